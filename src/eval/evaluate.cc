#include "eval/evaluate.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>

#include "core/error.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "eval/decode.h"
#include "lang/domains.h"
#include "train/checkpoint.h"
#include "train/device.h"
#include "train/loaded_model.h"

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

namespace {

// What the report needs of one decoded example. Ranks exchange these (gather_by_index) as JSON
// objects keyed by the fields' names.
struct ScoredExample {
  int64_t index = 0;  // in the split
  bool consistent = false;
  bool generalizes = false;
  bool exact = false;
  int64_t length = 0;            // of the chosen program, in tokens
  int64_t reference_length = 0;  // in tokens
  std::string source;            // the chosen program; empty when the report lists none
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScoredExample, index, consistent, generalizes, exact, length,
                                   reference_length, source)

// Scores the program a beam chose: the first candidate in beam order that matches every
// specification pair, else the top one.
ScoredExample score_beam(const Domain& domain, int64_t index, const data::StoredExample& example,
                         const std::vector<std::vector<int32_t>>& candidates, bool keep_source) {
  Score s;
  size_t chosen = 0;
  for (size_t c = 0; c < candidates.size(); ++c) {
    Score t = score(domain, candidates[c], example.tokens, example.io);
    if (c == 0 || t.consistent) {
      s = t;
      chosen = c;
    }
    if (t.consistent) break;
  }
  ScoredExample r;
  r.index = index;
  r.consistent = s.consistent;
  r.generalizes = s.generalizes;
  r.exact = s.exact;
  r.length = candidates.empty() ? 0 : static_cast<int64_t>(candidates[chosen].size());
  r.reference_length = static_cast<int64_t>(example.tokens.size());
  if (keep_source) r.source = s.source;
  return r;
}

// Rank 0's progress lines on stderr: at most one every 5 s, and one when its share is done.
// Not thread-safe.
class ProgressLines {
 public:
  ProgressLines(int64_t total, int world) : total_(total), world_(world) {}

  void report(int64_t done, int64_t mine, int64_t generalizes) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(5) && done < mine) return;
    const double wall = std::chrono::duration<double>(now - start_).count();
    const std::string of =
        world_ > 1 ? fmt::format("{} (rank 0's share of {} on {} ranks)", mine, total_, world_)
                   : std::to_string(total_);
    std::cerr << fmt::format("evaluated {}/{}  generalization {:.3f}  {:.1f} programs/s{}\n", done,
                             of, generalizes / static_cast<double>(done), world_ * done / wall,
                             world_ > 1 ? " in all" : "");
    last_ = now;
  }

 private:
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
  const int64_t total_;
  const int world_;
};

// The report's "examples", "metrics" and (with `predictions`) "predictions" of the first `n`
// examples of the split, each scored on one rank (`mine`: this rank's). Every rank gets the
// metrics; the predictions reach rank 0 alone, the others list none. With comm: all ranks, same
// order; blocks.
nlohmann::ordered_json make_report(const std::vector<ScoredExample>& mine, int64_t n,
                                   bool predictions, dist::Communicator* comm) {
  // Counts and token sums, exact in doubles up to 2^53.
  double sums[6] = {static_cast<double>(mine.size()), 0, 0, 0, 0, 0};
  for (const ScoredExample& e : mine) {
    sums[1] += e.consistent;
    sums[2] += e.generalizes;
    sums[3] += e.exact;
    sums[4] += static_cast<double>(e.length);
    sums[5] += static_cast<double>(e.reference_length);
  }
  if (comm) comm->allreduce_doubles(sums, 6, dist::ReduceOp::kSum);
  const double count = sums[0];
  nlohmann::ordered_json report;
  report["examples"] = static_cast<int64_t>(count);
  report["metrics"] = {{"io_consistency", sums[1] / count},
                       {"generalization", sums[2] / count},
                       {"exact_match", sums[3] / count},
                       {"avg_length", sums[4] / count},
                       {"avg_reference_length", sums[5] / count}};
  if (!predictions) return report;
  nlohmann::ordered_json listed = nlohmann::ordered_json::array();
  // In example order, the same whatever the number of ranks.
  for (const std::optional<ScoredExample>& line : gather_by_index(mine, n, comm)) {
    const ScoredExample& e = line.value();
    nlohmann::ordered_json p;
    p["index"] = e.index;
    p["source"] = e.source;
    p["consistent"] = e.consistent;
    p["generalizes"] = e.generalizes;
    p["exact"] = e.exact;
    listed.push_back(std::move(p));
  }
  report["predictions"] = std::move(listed);
  return report;
}

}  // namespace

nlohmann::ordered_json evaluate_model(model::Synthesizer& net, data::Dataset& ds,
                                      const EvalOptions& o) {
  const data::Manifest& manifest = ds.manifest();
  const auto domain = make_domain(manifest.domain, manifest.domain_options);
  const int64_t n = examples_to_decode(ds, o.split, o.limit);
  const int rank = o.comm ? o.comm->rank() : 0;
  ProgressLines progress_lines(n, o.comm ? o.comm->size() : 1);
  std::vector<ScoredExample> scored;  // this rank's examples
  int64_t generalizes = 0;
  const auto each = [&](int64_t index, const data::StoredExample& example,
                        const std::vector<std::vector<int32_t>>& candidates) {
    scored.push_back(score_beam(*domain, index, example, candidates, o.predictions));
    generalizes += scored.back().generalizes;
  };
  const auto progress = [&](int64_t done, int64_t mine) {
    if (!o.quiet && rank == 0) progress_lines.report(done, mine, generalizes);
  };
  decode_split(net, ds, domain->num_spec(), decode_options_for(o, o.split, n), each, progress);
  return make_report(scored, n, o.predictions, o.comm);
}

nlohmann::ordered_json evaluate(const EvalOptions& o) {
  data::Dataset ds(o.data_folder);
  train::LoadedModel model = train::load_model(o.checkpoint);
  check_compatible(ds, model);
  model.net->to(train::resolve_device(o.device, o.comm ? o.comm->world().local_rank : 0));
  nlohmann::ordered_json body = evaluate_model(model.net, ds, o);
  nlohmann::ordered_json report;
  report["checkpoint"] = model.path;
  report["step"] = model.step;
  report["split"] = o.split;
  report["examples"] = body["examples"];
  report["beam"] = std::max<int64_t>(1, o.beam);
  report["search"] = o.search;
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
