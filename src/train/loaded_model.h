// A trained model read back from its checkpoint, for evaluation, synthesis and retraining.
#ifndef LASYNTH_TRAIN_LOADED_MODEL_H_
#define LASYNTH_TRAIN_LOADED_MODEL_H_

#include <cstdint>
#include <string>

#include "lang/domain.h"
#include "model/synthesizer.h"

namespace lasynth {
namespace train {

// A model with the sizes and switches of a checkpoint (a ckpt-STEP.pt file or a model directory),
// its weights loaded, in eval mode. Throws IoError naming the file.
struct LoadedModel {
  model::Synthesizer net{nullptr};
  std::string path;  // the checkpoint file
  std::string domain;
  DomainOptions domain_options;
  int64_t step = 0;
};
LoadedModel load_model(const std::string& checkpoint);

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_LOADED_MODEL_H_
