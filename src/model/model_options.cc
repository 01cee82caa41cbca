#include "model/model_options.h"

#include <fmt/format.h>

#include "core/error.h"

namespace lasynth {
namespace model {
namespace {

int64_t option(const DomainOptions& options, const std::string& key, const std::string& domain) {
  const auto it = options.find(key);
  if (it == options.end()) {
    throw ConfigError(fmt::format("the {} domain's options lack '{}'", domain, key));
  }
  return std::stoll(it->second);
}

}  // namespace

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

void set_domain(ModelOptions& o, const std::string& domain, const DomainOptions& options,
                int64_t vocab_size) {
  o.domain = domain;
  o.vocab_size = vocab_size;
  if (domain == "c") {
    o.value_range = option(options, "value_range", domain);
    o.io_size = option(options, "array_len", domain);
  } else if (domain == "karel") {
    o.grid_rows = option(options, "rows", domain);
    o.grid_cols = option(options, "cols", domain);
    if (o.operation_predictor) {
      throw ConfigError(
          "--operation_predictor: its +c/-c operation table is defined on the C domain's array "
          "values only; leave it off for Karel (the paper's Karel LaSynth has none)");
    }
  } else {
    throw ConfigError(fmt::format("domain '{}': no model for it", domain));
  }
  check_switches(o);
}

}  // namespace model
}  // namespace lasynth
