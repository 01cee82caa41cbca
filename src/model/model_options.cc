#include "model/model_options.h"

#include <fmt/format.h>

#include "core/error.h"

namespace lasynth {
namespace model {
std::string ModelOptions::name() const {
  if (use_properties) return "PropertySignatures";
  if (!latent_execution) {
    if (operation_predictor || decoder_self_attention) return "RobustFill+";
    return "RobustFill";
  }
  if (no_partial_execution) return "NoPartialExecutor";
  return "LaSynth";
}

void check_switches(const ModelOptions& o) {
  if (o.no_partial_execution && !o.latent_execution) {
    throw ConfigError("--no_partial_execution needs --latent_execution (it changes when it runs)");
  }
  if (o.use_properties && (o.latent_execution || o.operation_predictor)) {
    throw ConfigError(
        "--use_properties replaces the IO pairs by their property signature; it does not "
        "combine with --latent_execution or --operation_predictor");
  }
  if (o.exec_period < 1) throw ConfigError("--exec_period must be at least 1");
}

void set_domain(ModelOptions& o, const Domain& domain, int64_t vocab_size) {
  o.values = domain.value_layout();
  o.vocab_size = vocab_size;
  if (o.operation_predictor && !o.values.operation_table) {
    throw ConfigError(fmt::format(
        "--operation_predictor: its +c/-c operation table is defined on array values like the C "
        "domain's, not on the {} domain's values; leave it off for {} (the paper's Karel LaSynth "
        "has none)",
        domain.name(), domain.name()));
  }
  check_switches(o);
}

}  // namespace model
}  // namespace lasynth
