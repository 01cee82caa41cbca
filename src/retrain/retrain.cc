#include "retrain/retrain.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "core/error.h"
#include "data/dataset.h"
#include "data/writer.h"
#include "eval/decode.h"
#include "lang/domains.h"
#include "train/checkpoint.h"

namespace lasynth {
namespace retrain {
namespace fs = std::filesystem;

ProgramGenResult generate_programs(const ProgramGenOptions& o) {
  data::Dataset ds(o.data_folder);
  const data::Manifest& manifest = ds.manifest();
  train::LoadedModel model = train::load_model(o.checkpoint);
  if (manifest.domain != model.domain) {
    throw ConfigError(fmt::format("{}: a {} dataset, but {} holds a {} model", o.data_folder,
                                  manifest.domain, model.path, model.domain));
  }
  const auto domain = make_domain(manifest.domain, manifest.domain_options);
  if (manifest.vocab_hash != domain->vocabulary().hash_hex()) {
    throw ConfigError(fmt::format("{}: its vocabulary differs from the one {} was trained with",
                                  o.data_folder, model.path));
  }
  model.net->to(train::resolve_device(o.device, o.comm ? o.comm->world().local_rank : 0));
  model.net->eval();
  int64_t n = ds.size("train");
  if (n == 0) throw ConfigError(fmt::format("{}: no train split to decode", o.data_folder));
  if (o.limit >= 0) n = std::min(n, o.limit);
  const int rank = o.comm ? o.comm->rank() : 0;

  // This rank's kept programs: [index, tokens].
  nlohmann::json kept = nlohmann::json::array();
  eval::DecodeOptions d;
  d.split = "train";
  d.count = n;
  d.batch_size = o.batch_size;
  d.beam = o.beam;
  d.max_decode_len = o.max_decode_len;
  d.comm = o.comm;
  const auto each = [&](int64_t index, const data::StoredExample& example,
                        const std::vector<std::vector<int32_t>>& candidates) {
    const std::vector<int32_t>* best = nullptr;
    for (const auto& c : candidates) {
      if (best && c.size() >= best->size()) continue;  // the shortest; ties: beam order
      if (eval::score(*domain, c, example.tokens, example.io).generalizes) best = &c;
    }
    if (best) kept.push_back({index, *best});
  };
  const auto progress = [&](int64_t done, int64_t mine) {
    if (!o.quiet && rank == 0 && (done == mine || done % (o.batch_size * 20) == 0)) {
      std::cerr << fmt::format("decoded {}/{} specifications of this rank; {} programs kept\n",
                               done, mine, kept.size());
    }
  };
  eval::decode_split(model.net, ds, domain->num_spec(), d, each, progress);
  const std::vector<std::string> parts =
      o.comm ? o.comm->allgather_strings(kept.dump()) : std::vector<std::string>{kept.dump()};
  std::vector<std::vector<int32_t>> programs(static_cast<size_t>(n));
  std::vector<bool> found(static_cast<size_t>(n), false);
  for (const std::string& part : parts) {
    for (const auto& line : nlohmann::json::parse(part)) {
      const size_t index = line[0].get<size_t>();
      programs[index] = line[1].get<std::vector<int32_t>>();
      found[index] = true;
    }
  }
  // Splits never share a program (lasynth-data verify checks it): a program the model found that
  // is also one of val or test stays out.
  std::set<std::vector<int32_t>> held_out;
  for (const char* split : {"val", "test"}) {
    for (int64_t i = 0; i < ds.size(split); ++i) held_out.insert(ds.get(split, i).tokens);
  }
  ProgramGenResult result;
  result.specifications = n;
  std::vector<data::StoredExample> train;
  int64_t length = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!found[static_cast<size_t>(i)]) continue;
    if (held_out.count(programs[static_cast<size_t>(i)])) {
      ++result.dropped_shared;
      continue;
    }
    data::StoredExample ex = ds.get("train", i);
    ex.tokens = programs[static_cast<size_t>(i)];
    length += static_cast<int64_t>(ex.tokens.size());
    train.push_back(std::move(ex));
  }
  result.kept = static_cast<int64_t>(train.size());
  result.avg_length = result.kept ? static_cast<double>(length) / result.kept : 0.0;
  if (rank == 0) {
    if (train.empty()) {
      throw ConfigError(fmt::format(
          "{} found no program consistent with every pair of the {} specifications decoded; "
          "train it longer or decode with a larger --retrain_beam",
          model.path, n));
    }
    nlohmann::ordered_json provenance;
    provenance["kind"] = "iterative_retraining";
    provenance["specifications_from"] = o.data_folder;
    provenance["checkpoint"] = model.path;
    provenance["step"] = model.step;
    provenance["beam"] = o.beam;
    provenance["specifications"] = result.specifications;
    provenance["kept"] = result.kept;
    provenance["dropped_shared_with_val_or_test"] = result.dropped_shared;
    provenance["rule"] =
        "shortest candidate consistent with every pair (specification and held-out)";
    const int shards = static_cast<int>(std::min<int64_t>(o.shards, result.kept));
    data::write_split(o.out, *domain, "train", train, shards, provenance, true);
    for (const char* split : {"val", "test"}) {
      const int64_t count = ds.size(split);
      if (count == 0) continue;
      std::vector<data::StoredExample> copy;
      for (int64_t i = 0; i < count; ++i) copy.push_back(ds.get(split, i));
      const data::SplitEntry* entry = manifest.split(split);
      nlohmann::ordered_json from;
      from["kind"] = "copied";
      from["from"] = o.data_folder;
      data::write_split(o.out, *domain, split, copy,
                        static_cast<int>(std::min<int64_t>(count, entry->shards.size())), from,
                        true);
    }
  }
  if (o.comm) o.comm->barrier();
  return result;
}

namespace {

bool has_dataset(const std::string& dir) { return fs::exists(dir + "/manifest.json"); }

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

}  // namespace

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

nlohmann::ordered_json run_retraining(const RetrainOptions& o, const train::TrainHooks& hooks) {
  if (o.rounds < 1) throw ConfigError("--rounds must be at least 1");
  const int rank = o.generate.comm ? o.generate.comm->rank() : 0;
  const bool lead = rank == 0;
  dist::Communicator* comm = o.generate.comm;
  auto say = [&](const std::string& line) {
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
    nlohmann::ordered_json row;
    row["round"] = round;
    if (round == 0 && !o.base_model.empty()) {
      model_dir = o.base_model;
      say(fmt::format("round 0: the model {}", model_dir));
    } else {
      if (round > 0) {
        data = dir + "/data";
        if (has_dataset(data)) {
          say(fmt::format("round {}: {} exists, not decoded again", round, data));
        } else {
          say(fmt::format("round {}: decoding the training specifications with {}", round,
                          previous));
          ProgramGenOptions g = o.generate;
          g.data_folder = o.data_folder;
          g.checkpoint = previous;
          g.out = data;
          const ProgramGenResult r = generate_programs(g);
          say(
              fmt::format("round {}: kept {} of {} programs (avg length {:.2f}); {} shared with "
                          "val or test left out",
                          round, r.kept, r.specifications, r.avg_length, r.dropped_shared));
        }
      }
      train::TrainOptions t = o.train;
      t.data_folder = data;
      t.model_dir = model_dir;
      t.resume = true;  // a round interrupted continues where it stopped
      if (round > 0 && o.continue_training && !fs::exists(model_dir + "/" + train::kLatestFile)) {
        t.init_from = previous;
      }
      say(fmt::format("round {}: training {} on {}", round, model_dir, data));
      if (train::train(t, o.model, hooks).preempted) {
        table["stopped_in_round"] = round;  // the same command with the same run dir resumes
        return table;
      }
    }
    const std::string report = dir + "/test-report.json";
    fs::create_directories(dir);
    nlohmann::json body = read_json(report);
    const std::string checkpoint = train::resolve_checkpoint(model_dir);
    if (body.is_discarded() || body.value("checkpoint", "") != checkpoint) {
      eval::EvalOptions e = o.evaluate;
      e.data_folder = o.data_folder;
      e.checkpoint = checkpoint;
      e.report = report;
      e.comm = comm;
      say(fmt::format("round {}: evaluating {} on the test split", round, checkpoint));
      const auto written = eval::evaluate(e);
      body = nlohmann::json::parse(written.dump());
    }
    const data::Manifest m = data::read_manifest(data);
    row["training_programs"] = m.split("train") ? m.split("train")->examples() : 0;
    row["generalization"] = body["metrics"]["generalization"];
    row["io_consistency"] = body["metrics"]["io_consistency"];
    row["avg_length"] = body["metrics"]["avg_length"];
    row["checkpoint"] = checkpoint;
    row["data_folder"] = data;
    table["rounds"].push_back(row);
    say(fmt::format("round {}: {} training programs, test generalization {:.4f}", round,
                    row["training_programs"].get<int64_t>(), row["generalization"].get<double>()));
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
