// The settings of evaluation and decoding (flags, configs), torch-free so that src/app and the
// configs' tests read them without LibTorch.
#ifndef LASYNTH_EVAL_EVAL_OPTIONS_H_
#define LASYNTH_EVAL_EVAL_OPTIONS_H_

#include <cstdint>
#include <string>

#include "core/fields.h"
#include "dist/communicator.h"

namespace lasynth {
namespace eval {

struct EvalOptions {
  std::string split = "test";
  std::string report;           // where to write the JSON report ("" for none)
  std::string checkpoints;      // a model directory: evaluate every checkpoint into its table
  int64_t beam = 64;            // 1: greedy decoding
  std::string search = "beam";  // or "execution_guided" (eval/execution_guide.h)
  bool close_blocks = true;     // execution_guided: answers from candidates, blocks closed
  int64_t batch_size = 32;
  int64_t max_decode_len = 256;

  // Set by the caller, not settings.
  std::string data_folder;
  std::string checkpoint;      // a ckpt-STEP.pt file, or a model directory (its `latest`)
  std::string device = "cpu";  // evaluate(): where the model runs ("cpu" or "cuda")
  int64_t limit = -1;          // evaluate only the first `limit` examples (-1: all)
  bool predictions = true;     // list every prediction in the report
  bool quiet = true;           // progress lines on stderr
  // The job's ranks (null: this process alone). Rank r decodes the batches b with
  // b % world_size == r, the same batches a single process would form, so every example is
  // decoded once and exactly as alone; every rank returns the whole report, rank 0 writes it.
  dist::Communicator* comm = nullptr;

  template <typename Visitor>
  static void fields(Visitor& v) {
    using E = EvalOptions;
    v.group("Evaluation");
    v("split", &E::split, "evaluation: train, val or test", OneOf({"train", "val", "test"}));
    v("report", &E::report, "evaluation: write the JSON report here");
    v("checkpoints", &E::checkpoints,
      "evaluation: every checkpoint of this model directory not yet in its table (writes "
      "DIR/eval-SPLIT-beamN.{json,csv,png})");
    v("beam", &E::beam, "beam size at evaluation (1: greedy)", AtLeast(1));
    v("search", &E::search,
      "how to decode: beam (beam search) or execution_guided (beam search that drops a "
      "candidate as soon as no program begins with it or, run on the specification inputs "
      "whenever it completes a top-level statement, it fails there; a finished one stays only "
      "when it reproduces every specification output, and one whose program so far, its "
      "blocks closed, already reproduces every output is an answer at once)",
      OneOf({"beam", "execution_guided"}));
    v("close_blocks", &E::close_blocks,
      "execution_guided: a candidate whose program so far, its open blocks closed, reproduces "
      "every specification output is an answer at once (C; false: only finished programs are)");
    v("eval_batch_size", &E::batch_size, "examples decoded at once", AtLeast(1));
    v("max_decode_len", &E::max_decode_len,
      "most tokens decoded (after the fixed prefix the model does not decode: C's header)",
      AtLeast(1));
  }
};

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_EVAL_OPTIONS_H_
