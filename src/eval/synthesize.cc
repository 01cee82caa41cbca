#include "eval/synthesize.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/error.h"
#include "lang/domains.h"
#include "train/checkpoint.h"
#include "train/loaded_model.h"

namespace lasynth {
namespace eval {
namespace {

// Arrays: the model was trained on inputs in [-R, R] and outputs in [-output_range,
// output_range] (its executor predicts no other output); a value outside is refused here rather
// than decoded into no program.
void check_value_range(const model::ModelOptions& o, const std::vector<IoPair>& io,
                       const std::string& where) {
  if (o.values.kind != ValueLayout::Kind::kArray) return;
  const int64_t outputs = o.values.output_range > 0 ? o.values.output_range : o.value_offset();
  auto check = [&](const std::vector<int32_t>& values, int64_t bound, size_t pair,
                   const char* side) {
    for (int32_t v : values) {
      if (v < -bound || v > bound) {
        throw ParseError(fmt::format(
            "{}: io[{}]: {} value {} is outside [{}, {}], the {}s this model was trained on", where,
            pair, side, v, -bound, bound, side));
      }
    }
  };
  for (size_t i = 0; i < io.size(); ++i) {
    check(io[i].input, o.values.range, i, "input");
    check(io[i].output, outputs, i, "output");
  }
}

}  // namespace

SynthesisResult synthesize(const std::string& checkpoint, const nlohmann::json& examples,
                           int64_t beam, int64_t max_len, Search search, bool close_blocks,
                           std::string* domain_name, const std::string& where) {
  train::LoadedModel model = train::load_model(checkpoint);
  const auto domain = make_domain(model.domain, model.domain_options);
  if (domain_name) *domain_name = model.domain;
  if (!examples.is_object() || !examples.contains("io") || !examples.at("io").is_array() ||
      examples.at("io").empty()) {
    throw ParseError(
        fmt::format(R"({}: expected {{"io": [{{"input": ..., "output": ...}}, ...]}})", where));
  }
  std::vector<IoPair> io;
  for (size_t i = 0; i < examples.at("io").size(); ++i) {
    const auto& pair = examples.at("io")[i];
    if (!pair.is_object() || !pair.contains("input") || !pair.contains("output")) {
      throw ParseError(fmt::format("{}: io[{}] needs \"input\" and \"output\"", where, i));
    }
    try {
      io.push_back(
          {domain->value_from_json(pair.at("input")), domain->value_from_json(pair.at("output"))});
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("{}: io[{}]: {}", where, i, e.what()));
    }
  }
  for (size_t i = 0; i < io.size(); ++i) {
    if (io[i].input.size() != io[0].input.size() || io[i].output.size() != io[0].input.size()) {
      throw ParseError(fmt::format("{}: io[{}]: its values differ in size from io[0]'s", where, i));
    }
  }
  check_value_range(model.net->options(), io, where);
  model::Synthesizer& net = model.net;
  const int64_t k = static_cast<int64_t>(io.size()), v = static_cast<int64_t>(io[0].input.size());
  std::vector<int32_t> in, out;
  for (const IoPair& p : io) {
    in.insert(in.end(), p.input.begin(), p.input.end());
    out.insert(out.end(), p.output.begin(), p.output.end());
  }
  ExecutionGuide guide(*domain, {io});
  model::SynthesizerImpl::CandidateFilter keep;
  model::SynthesizerImpl::Completer complete;
  if (search == Search::kExecutionGuided) {
    keep = guide.filter();
    if (close_blocks) complete = guide.completer();
  }
  const auto candidates = net->beam_search(torch::from_blob(in.data(), {1, k, v}, torch::kInt32),
                                           torch::from_blob(out.data(), {1, k, v}, torch::kInt32),
                                           beam, max_len, keep, complete)[0];
  SynthesisResult result;
  result.candidates = static_cast<int64_t>(candidates.size());
  // The model decodes what follows the domain's fixed prefix.
  const std::vector<int32_t> prefix = domain->fixed_prefix_ids();
  for (std::vector<int32_t> ids : candidates) {
    ids.insert(ids.begin(), prefix.begin(), prefix.end());
    std::unique_ptr<Program> program;
    try {
      program = domain->parse(domain->vocabulary().decode(ids));
    } catch (const ParseError&) {
      continue;
    }
    bool all = true;
    for (const IoPair& p : io) {
      const ExecResult r = program->execute(p.input);
      all = all && r.ok() && r.output == p.output;
    }
    if (all) {
      result.program = Example{program->tokens(), program->source(), io};
      return result;
    }
  }
  return result;
}

}  // namespace eval
}  // namespace lasynth
