#include "eval/evaluate.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "core/error.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "eval/decode.h"
#include "lang/domains.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace lasynth {
namespace eval {

Score score(const Domain& domain, const std::vector<int32_t>& predicted,
            const std::vector<int32_t>& reference, const std::vector<IoPair>& io) {
  Score s;
  s.exact = predicted == reference;
  std::vector<std::string> tokens;
  for (int32_t id : predicted) {
    tokens.push_back(id >= 0 && id < domain.vocabulary().size() ? domain.vocabulary().token(id)
                                                                : "<bad>");
  }
  std::unique_ptr<Program> program;
  try {
    program = domain.parse(tokens);
  } catch (const ParseError&) {
    for (const std::string& t : tokens) s.source += (s.source.empty() ? "" : " ") + t;
    return s;
  }
  s.parses = true;
  s.source = program->source();
  s.consistent = true;
  s.generalizes = true;
  for (size_t i = 0; i < io.size(); ++i) {
    const ExecResult r = program->execute(io[i].input);
    const bool match = r.ok() && r.output == io[i].output;
    if (static_cast<int>(i) < domain.num_spec()) s.consistent = s.consistent && match;
    s.generalizes = s.generalizes && match;
  }
  s.generalizes = s.generalizes && s.consistent;
  return s;
}

nlohmann::ordered_json evaluate_model(model::Synthesizer& net, data::Dataset& ds,
                                      const EvalOptions& o) {
  const data::Manifest& manifest = ds.manifest();
  const auto domain = make_domain(manifest.domain, manifest.domain_options);
  int64_t n = ds.size(o.split);
  if (n == 0) {
    throw ConfigError(fmt::format("{}: no '{}' split to evaluate", o.data_folder, o.split));
  }
  if (o.limit >= 0) n = std::min(n, o.limit);
  const int k = domain->num_spec();
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  const int rank = o.comm ? o.comm->rank() : 0, world = o.comm ? o.comm->size() : 1;
  int64_t done_generalizes = 0;
  // One line per example this rank decoded: what the report needs, gathered at the end.
  nlohmann::json scored = nlohmann::json::array();
  DecodeOptions d;
  d.split = o.split;
  d.count = n;
  d.batch_size = o.batch_size;
  d.beam = o.beam;
  d.max_decode_len = o.max_decode_len;
  d.comm = o.comm;
  const auto each = [&](int64_t index, const data::StoredExample& example,
                        const std::vector<std::vector<int32_t>>& candidates) {
    Score s;
    size_t chosen = 0;
    for (size_t c = 0; c < candidates.size(); ++c) {
      Score t = score(*domain, candidates[c], example.tokens, example.io);
      if (c == 0 || t.consistent) {
        s = t;
        chosen = c;
      }
      if (t.consistent) break;
    }
    const std::vector<int32_t> none;
    const std::vector<int32_t>& program = candidates.empty() ? none : candidates[chosen];
    scored.push_back({index, s.consistent, s.generalizes, s.exact, program.size(),
                      example.tokens.size(), o.predictions ? s.source : ""});
    done_generalizes += s.generalizes;
  };
  const auto progress = [&](int64_t done, int64_t mine) {
    const auto now = std::chrono::steady_clock::now();
    if (o.quiet || rank != 0 || (now - last_report < std::chrono::seconds(5) && done < mine)) {
      return;
    }
    const double wall = std::chrono::duration<double>(now - start).count();
    const std::string of =
        world > 1 ? fmt::format("{} (rank 0's share of {} on {} ranks)", mine, n, world)
                  : std::to_string(n);
    std::cerr << fmt::format("evaluated {}/{}  generalization {:.3f}  {:.1f} programs/s{}\n", done,
                             of, done_generalizes / static_cast<double>(done), world * done / wall,
                             world > 1 ? " in all" : "");
    last_report = now;
  };
  decode_split(net, ds, k, d, each, progress);
  // Every rank's lines, in example order: the same report whatever the number of ranks.
  std::vector<nlohmann::json> lines(static_cast<size_t>(n));
  const std::vector<std::string> parts =
      o.comm ? o.comm->allgather_strings(scored.dump()) : std::vector<std::string>{scored.dump()};
  for (const std::string& part : parts) {
    for (auto& line : nlohmann::json::parse(part)) {
      const size_t index = line[0].get<size_t>();
      lines[index] = std::move(line);
    }
  }
  int64_t consistent = 0, generalizes = 0, exact = 0, length = 0, reference_length = 0;
  nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
  for (const nlohmann::json& line : lines) {
    consistent += line[1].get<bool>();
    generalizes += line[2].get<bool>();
    exact += line[3].get<bool>();
    length += line[4].get<int64_t>();
    reference_length += line[5].get<int64_t>();
    if (o.predictions) {
      nlohmann::ordered_json p;
      p["index"] = line[0];
      p["source"] = line[6];
      p["consistent"] = line[1];
      p["generalizes"] = line[2];
      p["exact"] = line[3];
      predictions.push_back(std::move(p));
    }
  }
  const double count = static_cast<double>(n);
  nlohmann::ordered_json report;
  report["examples"] = n;
  report["metrics"] = {{"io_consistency", consistent / count},
                       {"generalization", generalizes / count},
                       {"exact_match", exact / count},
                       {"avg_length", length / count},
                       {"avg_reference_length", reference_length / count}};
  if (o.predictions) report["predictions"] = std::move(predictions);
  return report;
}

nlohmann::ordered_json evaluate(const EvalOptions& o) {
  data::Dataset ds(o.data_folder);
  train::LoadedModel model = train::load_model(o.checkpoint);
  const data::Manifest& manifest = ds.manifest();
  if (manifest.domain != model.domain) {
    throw ConfigError(fmt::format("{}: a {} dataset, but {} holds a {} model", o.data_folder,
                                  manifest.domain, model.path, model.domain));
  }
  if (manifest.vocab_hash !=
      make_domain(model.domain, model.domain_options)->vocabulary().hash_hex()) {
    throw ConfigError(fmt::format("{}: its vocabulary differs from the one {} was trained with",
                                  o.data_folder, model.path));
  }
  model.net->to(train::resolve_device(o.device, o.comm ? o.comm->world().local_rank : 0));
  nlohmann::ordered_json body = evaluate_model(model.net, ds, o);
  nlohmann::ordered_json report;
  report["checkpoint"] = model.path;
  report["step"] = model.step;
  report["split"] = o.split;
  report["examples"] = body["examples"];
  report["beam"] = std::max<int64_t>(1, o.beam);
  report["metrics"] = body["metrics"];
  if (o.predictions) report["predictions"] = std::move(body["predictions"]);
  if (!o.report.empty() && (!o.comm || o.comm->rank() == 0)) {
    std::ofstream out(o.report);
    out << report.dump(2) << '\n';
    if (!out) throw IoError(fmt::format("{}: cannot write the report", o.report));
  }
  return report;
}

}  // namespace eval
}  // namespace lasynth
