#include "retrain/retrain.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "core/error.h"
#include "data/dataset.h"
#include "data/writer.h"
#include "eval/decode.h"
#include "lang/domains.h"
#include "train/checkpoint.h"
#include "train/device.h"
#include "train/loaded_model.h"

namespace lasynth {
namespace retrain {
namespace fs = std::filesystem;

namespace {

// The program kept for one specification. Ranks exchange these (eval::gather_by_index) as JSON
// objects keyed by the fields' names.
struct KeptProgram {
  int64_t index = 0;            // of the specification in the train split
  std::vector<int32_t> tokens;  // the program
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KeptProgram, index, tokens)

// The shortest candidate (ties: the first in beam order) consistent with every pair of `example`,
// or null when none is.
const std::vector<int32_t>* shortest_consistent(
    const Domain& domain, const data::StoredExample& example,
    const std::vector<std::vector<int32_t>>& candidates) {
  const std::vector<int32_t>* best = nullptr;
  for (const auto& c : candidates) {
    if (best && c.size() >= best->size()) continue;
    if (eval::score(domain, c, example.tokens, example.io).generalizes) best = &c;
  }
  return best;
}

// The original's test: the greedy prediction when it matches the specification pairs (the
// paper's io_consistency), or null.
const std::vector<int32_t>* consistent_prediction(
    const Domain& domain, const data::StoredExample& example,
    const std::vector<std::vector<int32_t>>& candidates) {
  const std::vector<int32_t>& prediction = candidates.front();
  return eval::score(domain, prediction, example.tokens, example.io).consistent ? &prediction
                                                                                : nullptr;
}

// Decodes the first `n` specifications of the train split; rank 0 returns every rank's kept
// programs, by specification, the other ranks nothing. All ranks, same order; blocks.
std::vector<std::optional<KeptProgram>> decode_programs(const ProgramGenOptions& o,
                                                        train::LoadedModel& model,
                                                        data::Dataset& ds, const Domain& domain,
                                                        int64_t n) {
  const int rank = o.comm ? o.comm->rank() : 0;
  const bool original = o.rule == "original";
  std::vector<KeptProgram> kept;  // this rank's
  const auto each = [&](int64_t index, const data::StoredExample& example,
                        const std::vector<std::vector<int32_t>>& candidates) {
    const std::vector<int32_t>* program = original
                                              ? consistent_prediction(domain, example, candidates)
                                              : shortest_consistent(domain, example, candidates);
    if (program) kept.push_back({index, *program});
  };
  const auto progress = [&](int64_t done, int64_t mine) {
    if (!o.quiet && rank == 0 && (done == mine || done % (o.batch_size * 20) == 0)) {
      std::cerr << fmt::format("decoded {}/{} specifications of this rank; {} predictions kept\n",
                               done, mine, kept.size());
    }
  };
  eval::DecodeOptions decode = eval::decode_options_for(o, "train", n);
  if (original) decode.beam = 1;
  eval::decode_split(model.net, ds, domain.num_spec(), decode, each, progress);
  return eval::gather_by_index(kept, n, o.comm);
}

// The programs of val and test, which the train split must not hold (lasynth-data verify checks
// that splits share no program).
std::set<std::vector<int32_t>> held_out_programs(data::Dataset& ds) {
  std::set<std::vector<int32_t>> held_out;
  for (const char* split : {"val", "test"}) {
    for (int64_t i = 0; i < ds.size(split); ++i) held_out.insert(ds.get(split, i).tokens);
  }
  return held_out;
}

// `program`'s pairs on the inputs of `io` (its own outputs), or null when it fails on one.
// REQUIRES: `program` parses (it matched the specification pairs).
std::optional<std::vector<IoPair>> run_on_inputs(const Domain& domain,
                                                 const std::vector<int32_t>& program,
                                                 const std::vector<IoPair>& io) {
  const std::unique_ptr<Program> parsed = domain.parse(domain.vocabulary().decode(program));
  std::vector<IoPair> pairs;
  for (const IoPair& pair : io) {
    ExecResult r = parsed->execute(pair.input);
    if (!r.ok()) return std::nullopt;
    pairs.push_back({pair.input, std::move(r.output)});
  }
  return pairs;
}

void add_length(const std::vector<data::StoredExample>& train, ProgramGenResult& result) {
  int64_t length = 0;
  for (const data::StoredExample& ex : train) length += static_cast<int64_t>(ex.tokens.size());
  result.kept = static_cast<int64_t>(train.size());
  result.avg_length = result.kept ? static_cast<double>(length) / result.kept : 0.0;
}

// The "shortest" rule's train split: each specification with a kept program, that program in
// place of its reference; the others dropped, and a program that is also one of val or test too.
std::vector<data::StoredExample> shortest_train_split(
    data::Dataset& ds, const std::vector<std::optional<KeptProgram>>& programs,
    ProgramGenResult& result) {
  const std::set<std::vector<int32_t>> held_out = held_out_programs(ds);
  std::vector<data::StoredExample> train;
  for (const std::optional<KeptProgram>& program : programs) {
    if (!program) continue;
    if (held_out.count(program->tokens)) {
      ++result.shared;
      continue;
    }
    data::StoredExample ex = ds.get("train", program->index);
    if (ex.tokens != program->tokens) ++result.replaced;
    ex.tokens = program->tokens;
    train.push_back(std::move(ex));
  }
  result.predictions_kept = static_cast<int64_t>(train.size());
  add_length(train, result);
  return train;
}

// The original rule's train split: every specification, with its kept prediction or else its
// reference program, so the set keeps its size. A kept prediction stores its own outputs for the
// held-out pairs (the original's data has none; the specification pairs stay the reference's):
// an example is a program with its own outputs, which training relies on and lasynth-data verify
// checks. A prediction that fails on a held-out input, or that is also one of val or test, gives
// way to the reference.
std::vector<data::StoredExample> original_train_split(
    data::Dataset& ds, const Domain& domain,
    const std::vector<std::optional<KeptProgram>>& programs, ProgramGenResult& result) {
  const std::set<std::vector<int32_t>> held_out = held_out_programs(ds);
  std::vector<data::StoredExample> train;
  for (int64_t i = 0; i < static_cast<int64_t>(programs.size()); ++i) {
    data::StoredExample ex = ds.get("train", i);
    const std::optional<KeptProgram>& program = programs[i];
    std::optional<std::vector<IoPair>> pairs;
    if (program && held_out.count(program->tokens)) {
      ++result.shared;
    } else if (program) {
      pairs = run_on_inputs(domain, program->tokens, ex.io);
      if (!pairs) ++result.held_out_fails;
    }
    if (pairs) {
      ++result.predictions_kept;
      if (ex.tokens != program->tokens) ++result.replaced;
      for (size_t p = 0; p < pairs->size(); ++p) {
        if ((*pairs)[p].output != ex.io[p].output) {
          ++result.held_out_recomputed;
          break;
        }
      }
      ex.tokens = program->tokens;
      ex.io = std::move(*pairs);
    } else {
      ++result.references_kept;
    }
    train.push_back(std::move(ex));
  }
  add_length(train, result);
  return train;
}

// Writes OUT: `train` as its train split, with the provenance of `result`, and val and test
// copied from the original.
void write_dataset(const ProgramGenOptions& o, data::Dataset& ds, const Domain& domain,
                   const train::LoadedModel& model, const std::vector<data::StoredExample>& train,
                   const ProgramGenResult& result) {
  const bool original = o.rule == "original";
  nlohmann::ordered_json provenance;
  provenance["kind"] = "iterative_retraining";
  provenance["specifications_from"] = o.data_folder;
  provenance["checkpoint"] = model.path;
  provenance["step"] = model.step;
  provenance["rule"] = o.rule;
  provenance["rule_description"] =
      original ? "the original's: the greedy prediction if it matches the specification pairs, "
                 "else the reference program"
               : "the shortest beam candidate consistent with every pair (specification and "
                 "held-out); specifications without one dropped";
  provenance["beam"] = original ? 1 : o.beam;
  provenance["specifications"] = result.specifications;
  provenance["kept"] = result.kept;
  provenance["predictions_kept"] = result.predictions_kept;
  provenance["replaced"] = result.replaced;
  if (original) {
    provenance["references_kept"] = result.references_kept;
    provenance["references_kept_because"] = {
        {"prediction_misses_a_specification_pair",
         result.references_kept - result.shared - result.held_out_fails},
        {"prediction_is_a_val_or_test_program", result.shared},
        {"prediction_fails_on_a_held_out_input", result.held_out_fails}};
    provenance["held_out_outputs_recomputed"] = result.held_out_recomputed;
  } else {
    provenance["dropped_shared_with_val_or_test"] = result.shared;
  }
  const int shards = static_cast<int>(std::min<int64_t>(o.shards, result.kept));
  data::write_split(o.out, domain, "train", train, shards, provenance, true);
  for (const char* split : {"val", "test"}) {
    const int64_t count = ds.size(split);
    if (count == 0) continue;
    std::vector<data::StoredExample> copy;
    for (int64_t i = 0; i < count; ++i) copy.push_back(ds.get(split, i));
    const data::SplitEntry* entry = ds.manifest().split(split);
    nlohmann::ordered_json from;
    from["kind"] = "copied";
    from["from"] = o.data_folder;
    data::write_split(o.out, domain, split, copy,
                      static_cast<int>(std::min<int64_t>(count, entry->shards.size())), from, true);
  }
}

}  // namespace

std::string summary(const std::string& rule, const ProgramGenResult& r) {
  if (rule == "original") {
    return fmt::format(
        "{} training programs (avg length {:.2f}): {} predictions matching their specification "
        "({} differing from the reference), {} reference programs kept",
        r.kept, r.avg_length, r.predictions_kept, r.replaced, r.references_kept);
  }
  return fmt::format(
      "{} of {} specifications have a program consistent with every pair (avg length {:.2f}); "
      "{} shared with val or test left out",
      r.kept, r.specifications, r.avg_length, r.shared);
}

ProgramGenResult generate_programs(const ProgramGenOptions& o) {
  if (o.rule != "original" && o.rule != "shortest") {
    throw ConfigError(
        fmt::format("--retrain_rule {}: not a rule; use original or shortest", o.rule));
  }
  data::Dataset ds(o.data_folder);
  train::LoadedModel model = train::load_model(o.checkpoint);
  eval::check_compatible(ds, model);
  const auto domain = make_domain(ds.manifest().domain, ds.manifest().domain_options);
  model.net->to(train::resolve_device(o.device, o.comm ? o.comm->world().local_rank : 0));
  model.net->eval();
  ProgramGenResult result;
  result.specifications = eval::examples_to_decode(ds, "train", o.limit);
  const std::vector<std::optional<KeptProgram>> programs =
      decode_programs(o, model, ds, *domain, result.specifications);
  // Rank 0 alone builds and writes the new train split; the others wait at the barrier.
  if (!o.comm || o.comm->rank() == 0) {
    const std::vector<data::StoredExample> train =
        o.rule == "original" ? original_train_split(ds, *domain, programs, result)
                             : shortest_train_split(ds, programs, result);
    if (train.empty()) {
      throw ConfigError(fmt::format(
          "{} found no program consistent with every pair of the {} specifications decoded; "
          "train it longer, decode with a larger --retrain_beam, or use --retrain_rule original",
          model.path, result.specifications));
    }
    write_dataset(o, ds, *domain, model, train, result);
  }
  if (o.comm) o.comm->barrier();
  return result;
}

std::string retrain_markdown(const nlohmann::ordered_json& table) {
  std::string md =
      "| round | training programs | test generalization | avg program length (test) | "
      "checkpoint |\n|---|---|---|---|---|\n";
  for (const auto& row : table["rounds"]) {
    md += fmt::format("| {} | {} | {:.4f} | {:.2f} | {} |\n", row["round"].get<int>(),
                      row["training_programs"].get<int64_t>(), row["generalization"].get<double>(),
                      row["avg_length"].get<double>(), row["checkpoint"].get<std::string>());
  }
  return md;
}

namespace {

// A progress line (the lead rank's; the others say nothing).
using Say = std::function<void(const std::string&)>;

bool has_dataset(const std::string& dir) { return fs::exists(dir + "/manifest.json"); }

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

// The training set of round `round` > 0: the programs the round before's model decodes for the
// original's specifications, in DIR/data, decoded once (a resumed run finds them there).
std::string decoded_data(const RetrainOptions& o, int round, const std::string& dir,
                         const std::string& previous, const Say& say) {
  const std::string data = dir + "/data";
  if (has_dataset(data)) {
    say(fmt::format("round {}: {} exists, not decoded again", round, data));
    return data;
  }
  say(fmt::format("round {}: decoding the training specifications with {}", round, previous));
  ProgramGenOptions g = o.generate;
  g.data_folder = o.data_folder;
  g.checkpoint = previous;
  g.out = data;
  const ProgramGenResult r = generate_programs(g);
  say(fmt::format("round {}: {}", round, summary(g.rule, r)));
  return data;
}

// Trains round `round`'s model in model_dir on `data`, continuing where an interrupted run
// stopped. Returns whether a signal stopped it (train/preemption.h).
bool train_round(const RetrainOptions& o, const train::TrainHooks& hooks, int round,
                 const std::string& data, const std::string& model_dir, const std::string& previous,
                 const Say& say) {
  train::TrainOptions t = o.train;
  t.data_folder = data;
  t.model_dir = model_dir;
  t.resume = true;
  if (round > 0 && o.continue_training && !fs::exists(model_dir + "/" + train::kLatestFile)) {
    t.init_from = previous;
  }
  say(fmt::format("round {}: training {} on {}", round, model_dir, data));
  return train::train(t, o.model, hooks).preempted;
}

// The test report of `checkpoint`, DIR/test-report.json: evaluated unless that file holds it.
nlohmann::json test_report(const RetrainOptions& o, int round, const std::string& dir,
                           const std::string& checkpoint, const Say& say) {
  const std::string report = dir + "/test-report.json";
  fs::create_directories(dir);
  const nlohmann::json body = read_json(report);
  if (!body.is_discarded() && body.value("checkpoint", "") == checkpoint) return body;
  eval::EvalOptions e = o.evaluate;
  e.data_folder = o.data_folder;
  e.checkpoint = checkpoint;
  e.report = report;
  e.comm = o.generate.comm;
  say(fmt::format("round {}: evaluating {} on the test split", round, checkpoint));
  return nlohmann::json::parse(eval::evaluate(e).dump());
}

// The table's row of a round trained on `data`.
nlohmann::ordered_json round_row(int round, const std::string& data, const std::string& checkpoint,
                                 const nlohmann::json& report) {
  const data::Manifest m = data::read_manifest(data);
  nlohmann::ordered_json row;
  row["round"] = round;
  row["training_programs"] = m.split("train") ? m.split("train")->examples() : 0;
  row["generalization"] = report["metrics"]["generalization"];
  row["io_consistency"] = report["metrics"]["io_consistency"];
  row["avg_length"] = report["metrics"]["avg_length"];
  row["checkpoint"] = checkpoint;
  row["data_folder"] = data;
  return row;
}

}  // namespace

nlohmann::ordered_json run_retraining(const RetrainOptions& o, const train::TrainHooks& hooks) {
  if (o.rounds < 1) throw ConfigError("--rounds must be at least 1");
  dist::Communicator* comm = o.generate.comm;
  const bool lead = !comm || comm->rank() == 0;
  const Say say = [&](const std::string& line) {
    if (lead) std::cerr << "retrain: " << line << '\n';
  };
  fs::create_directories(o.run_dir);
  nlohmann::ordered_json table;
  table["data_folder"] = o.data_folder;
  table["rounds"] = nlohmann::ordered_json::array();
  std::string previous;  // the model of the round before
  for (int round = 0; round <= o.rounds; ++round) {
    const std::string dir = fmt::format("{}/round-{}", o.run_dir, round);
    std::string data = o.data_folder, model_dir = dir + "/model";
    if (round == 0 && !o.base_model.empty()) {
      model_dir = o.base_model;
      say(fmt::format("round 0: the model {}", model_dir));
    } else {
      if (round > 0) data = decoded_data(o, round, dir, previous, say);
      if (train_round(o, hooks, round, data, model_dir, previous, say)) {
        table["stopped_in_round"] = round;  // the same command with the same run dir resumes
        return table;
      }
    }
    const std::string checkpoint = train::resolve_checkpoint(model_dir);
    const nlohmann::ordered_json row =
        round_row(round, data, checkpoint, test_report(o, round, dir, checkpoint, say));
    say(fmt::format("round {}: {} training programs, test generalization {:.4f}", round,
                    row["training_programs"].get<int64_t>(), row["generalization"].get<double>()));
    table["rounds"].push_back(row);
    previous = checkpoint;
  }
  if (lead) {
    std::ofstream(o.run_dir + "/retrain.json") << table.dump(2) << '\n';
    std::ofstream(o.run_dir + "/retrain.md") << retrain_markdown(table);
  }
  if (comm) comm->barrier();
  return table;
}

}  // namespace retrain
}  // namespace lasynth
