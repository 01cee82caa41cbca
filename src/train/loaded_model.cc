#include "train/loaded_model.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fields.h"
#include "lang/domains.h"
#include "train/checkpoint.h"

namespace lasynth {
namespace train {

LoadedModel load_model(const std::string& path) {
  const Checkpoint checkpoint = read_checkpoint(path);
  LoadedModel loaded;
  loaded.path = checkpoint.path;
  loaded.step = checkpoint.state.step;
  model::ModelOptions m;
  const std::string where = checkpoint.path + ": config: ";
  try {
    const nlohmann::json config = nlohmann::json::parse(checkpoint.state.config);
    fields_from_json(config, &m, where);
    loaded.domain = config.at("domain").get<std::string>();
    loaded.domain_options = config.at("domain_options").get<DomainOptions>();
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}its config is incomplete ({})", where, e.what()));
  }
  const auto domain = make_domain(loaded.domain, loaded.domain_options);
  model::set_domain(m, *domain, domain->vocabulary().size());
  loaded.net = model::Synthesizer(m);
  restore_checkpoint(checkpoint, *loaded.net, nullptr);
  loaded.net->eval();
  return loaded;
}

}  // namespace train
}  // namespace lasynth
