#include "eval/evaluate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "data/generate.h"
#include "dist/progress.h"
#include "eval/decode.h"
#include "fake_communicator.h"
#include "lang/domains.h"
#include "test_files.h"
#include "train/loaded_model.h"
#include "train/trainer.h"

namespace lasynth {
namespace eval {
namespace {

std::vector<int32_t> ids(const Domain& d, const std::string& body) {
  return d.vocabulary().encode(
      d.parse_source("int * func_1(int a[]) {" + body + " return a; }")->tokens());
}

struct Tagged {
  int64_t index = 0;
  std::string text;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Tagged, index, text)

// An evaluation's records go to rank 0 alone: at 1,000 ranks an all-gather would hold every
// prediction of the split in every rank's memory.
TEST(GatherByIndex, RankZeroGetsEveryRecordInExampleOrderTheOthersNone) {
  std::vector<std::vector<std::optional<Tagged>>> got(3);
  const auto errors = dist::fake::run_ranks(3, [&](dist::fake::FakeCommunicator& comm) {
    std::vector<Tagged> mine;  // rank r decoded examples r, r + 3, ...; no rank example 7
    for (int64_t i = comm.rank(); i < 7; i += 3)
      mine.push_back({i, "program " + std::to_string(i)});
    got[static_cast<size_t>(comm.rank())] = gather_by_index(mine, 8, &comm);
  });
  ASSERT_EQ(errors, std::vector<std::string>(3));
  ASSERT_EQ(got[0].size(), 8u);
  for (int64_t i = 0; i < 7; ++i) {
    ASSERT_TRUE(got[0][static_cast<size_t>(i)].has_value()) << i;
    EXPECT_EQ(got[0][static_cast<size_t>(i)]->text, "program " + std::to_string(i));
  }
  EXPECT_FALSE(got[0][7].has_value());
  EXPECT_TRUE(got[1].empty());
  EXPECT_TRUE(got[2].empty());
}

TEST(Score, CountsConsistencyGeneralizationAndExactMatch) {
  const auto d = make_domain("c", {{"io_pairs", "4"}, {"num_spec", "2"}});
  const auto reference = ids(*d, "a[0] = a[1] + a[1];");
  std::vector<IoPair> io;
  for (const Value& in :
       {Value{1, 2, 0, 0, 0}, Value{0, -1, 0, 0, 0}, Value{3, 0, 0, 0, 0}, Value{0, 4, 1, 1, 1}}) {
    io.push_back({in, d->parse(d->vocabulary().decode(reference))->execute(in).output});
  }
  Score s = score(*d, reference, reference, io);
  EXPECT_TRUE(s.parses && s.consistent && s.generalizes && s.exact);
  s = score(*d, ids(*d, "a[0] = a[1] * 2;"), reference, io);  // the same function
  EXPECT_TRUE(s.consistent && s.generalizes);
  EXPECT_FALSE(s.exact);
  // Right on the two specification pairs (a[1] = 2, -1), wrong on the held-out a[1] = 4.
  s = score(*d, ids(*d, "if (a[1] < 3) { a[0] = a[1] + a[1]; }"), reference, io);
  EXPECT_TRUE(s.consistent);
  EXPECT_FALSE(s.generalizes);
  s = score(*d, {d->vocabulary().find("return"), d->vocabulary().find("a")}, reference, io);
  EXPECT_FALSE(s.parses || s.consistent || s.generalizes || s.exact);
  EXPECT_EQ(s.source, "return a");
  s = score(*d, ids(*d, "a[0] = 1 / a[2];"), reference, io);  // fails on a spec pair
  EXPECT_TRUE(s.parses);
  EXPECT_FALSE(s.consistent);
}

// A C dataset of 40 training programs (6 test) in dir/data and a tiny LaSynth trained `steps`
// steps on it in dir/run.
void train_tiny(const lasynth::testing::ScratchDir& dir, int64_t steps, double lr) {
  data::GenerateOptions g;
  g.train = 40;
  g.val = 4;
  g.test = 6;
  g.shards = 1;
  const auto domain = make_domain("c");
  const std::string data = dir.path("data");
  data::start_generation(data, g, false);
  for (const auto& u : data::plan_units(g)) data::generate_unit(*domain, g, u, data, nullptr);
  data::finalize(*domain, g, data);
  train::TrainOptions t;
  t.data_folder = data;
  t.model_dir = dir.path("run");
  t.max_steps = steps;
  t.log_interval = steps;
  t.batch_size = 4;
  t.lr = lr;
  model::ModelOptions m;
  m.embedding_size = m.hidden_size = m.mlp_hidden_size = 16;
  m.num_layers = m.num_attention_layers = 1;
  train::train(t, m);
}

TEST(Evaluate, WritesTheReportOfDesignMd) {
  torch::set_num_threads(1);
  lasynth::testing::ScratchDir dir;
  train_tiny(dir, 4, train::TrainOptions().lr);
  const std::string data = dir.path("data");

  EvalOptions e;
  e.data_folder = data;
  e.checkpoint = dir.path("run");
  e.report = dir.path("report.json");
  e.max_decode_len = 40;
  e.batch_size = 4;
  e.beam = 1;
  const int64_t progress = dist::progress_snapshot().progress;
  const auto report = evaluate(e);
  // One per batch decoded: lasynth-launch's progress timeout sees a long evaluation advance.
  EXPECT_EQ(dist::progress_snapshot().progress - progress, 2);
  EXPECT_EQ(report.at("step"), 4);
  EXPECT_EQ(report.at("split"), "test");
  EXPECT_EQ(report.at("examples"), 6);
  EXPECT_EQ(report.at("checkpoint"), dir.path("run") + "/ckpt-4.pt");
  for (const char* key : {"io_consistency", "generalization", "exact_match"}) {
    const double v = report.at("metrics").at(key).get<double>();
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // A prediction is the header the model does not decode (9 tokens), then at most 40 decoded.
  EXPECT_LE(report.at("metrics").at("avg_length").get<double>(), 9.0 + 40.0);
  ASSERT_EQ(report.at("predictions").size(), 6u);
  EXPECT_EQ(report.at("predictions")[5].at("index"), 5);
  EXPECT_TRUE(std::filesystem::exists(dir.path("report.json")));
  // With beam search every candidate is executed and one program per example is reported.
  e.beam = 4;
  e.report.clear();
  const auto beamed = evaluate(e);
  EXPECT_EQ(beamed.at("beam"), 4);
  EXPECT_EQ(beamed.at("search"), "beam");
  EXPECT_EQ(beamed.at("predictions").size(), 6u);
}

// Execution-guided: no candidate returned fails on a specification input where it ends a
// top-level statement, every finished one reproduces the specification, and accuracy is no
// lower than plain beam search's at the same width.
TEST(Evaluate, ExecutionGuidedSearchReturnsNoFailingPrefix) {
  torch::set_num_threads(1);
  lasynth::testing::ScratchDir dir;
  train_tiny(dir, 4, train::TrainOptions().lr);  // untrained: plain search writes no C
  const std::string data = dir.path("data");
  const auto domain = make_domain("c");
  EvalOptions e;
  e.data_folder = data;
  e.checkpoint = dir.path("run");
  e.max_decode_len = 40;
  e.batch_size = 4;
  e.beam = 4;
  const auto beamed = evaluate(e);
  e.search = "execution_guided";
  const auto guided = evaluate(e);
  EXPECT_EQ(guided.at("search"), "execution_guided");
  for (const char* key : {"io_consistency", "generalization"}) {
    EXPECT_GE(guided.at("metrics").at(key).get<double>(),
              beamed.at("metrics").at(key).get<double>())
        << key;
  }
  // Every candidate, for each search: how many begin no program, and the checks below.
  data::Dataset ds(data);
  train::LoadedModel model = train::load_model(dir.path("run"));
  auto ungrammatical = [&](const std::string& search) {
    e.search = search;
    int64_t count = 0, candidates = 0;
    decode_split(model.net, ds, domain->num_spec(), decode_options_for(e, "test", 6),
                 [&](int64_t, const data::StoredExample& example,
                     const std::vector<std::vector<int32_t>>& beam) {
                   for (const auto& ids : beam) {
                     ++candidates;
                     const auto tokens = domain->vocabulary().decode(ids);
                     try {
                       domain->check_prefix(tokens);
                     } catch (const ParseError&) {
                       ++count;
                       continue;
                     }
                     if (search == "beam") continue;
                     for (size_t n = 1; n <= tokens.size(); ++n) {
                       if (!domain->ends_statement(
                               {tokens.begin(), tokens.begin() + static_cast<long>(n)})) {
                         continue;
                       }
                       for (int p = 0; p < domain->num_spec(); ++p) {
                         EXPECT_TRUE(domain->execute_prefix(tokens, n, example.io[p].input).ok());
                       }
                     }
                     std::unique_ptr<Program> program;
                     try {
                       program = domain->parse(tokens);
                     } catch (const ParseError&) {
                       continue;  // unfinished: it reached max_decode_len
                     }
                     for (int p = 0; p < domain->num_spec(); ++p) {
                       EXPECT_EQ(program->execute(example.io[p].input).output,
                                 example.io[p].output);
                     }
                   }
                 });
    EXPECT_GT(candidates, 0);
    return count;
  };
  EXPECT_GT(ungrammatical("beam"), 0);
  EXPECT_EQ(ungrammatical("execution_guided"), 0);
}

}  // namespace
}  // namespace eval
}  // namespace lasynth

namespace lasynth {
namespace eval {
namespace {

struct Variant {
  const char* name;
  bool latent, no_partial, operations, self_attention, properties;
};

// Every model trains, is checkpointed, loads back and is evaluated, on both domains.
TEST(Evaluate, EveryModelOnBothDomains) {
  torch::set_num_threads(1);
  lasynth::testing::ScratchDir dir;
  for (const std::string name : {"c", "karel"}) {
    data::GenerateOptions g;
    g.domain = name;
    g.train = 16;
    g.val = 2;
    g.test = 3;
    g.shards = 1;
    const DomainOptions options =
        name == "karel" ? DomainOptions{{"rows", "6"}, {"cols", "6"}} : DomainOptions{};
    g.domain_options = options;
    const auto domain = make_domain(name, options);
    const std::string data = dir.path("data-" + name);
    data::start_generation(data, g, false);
    for (const auto& u : data::plan_units(g)) data::generate_unit(*domain, g, u, data, nullptr);
    data::finalize(*domain, g, data);
    for (const Variant& v : {Variant{"RobustFill", false, false, false, false, false},
                             Variant{"LaSynth", true, false, true, true, false},
                             Variant{"NoPartialExecutor", true, true, false, false, false},
                             Variant{"PropertySignatures", false, false, false, false, true}}) {
      SCOPED_TRACE(name + " " + v.name);
      model::ModelOptions m;
      m.embedding_size = m.hidden_size = m.mlp_hidden_size = 16;
      m.num_layers = m.num_attention_layers = 1;
      m.conv_channels = 4;
      m.exec_period = 4;
      m.latent_execution = v.latent;
      m.no_partial_execution = v.no_partial;
      m.operation_predictor = v.operations && name == "c";
      m.decoder_self_attention = v.self_attention;
      m.use_properties = v.properties;
      train::TrainOptions t;
      t.data_folder = data;
      t.model_dir = dir.path(name + "-" + v.name);
      t.max_steps = 2;
      t.log_interval = 2;
      t.batch_size = 4;
      train::train(t, m);
      EXPECT_EQ(train::load_model(t.model_dir).net->options().name(), v.name);
      EvalOptions e;
      e.data_folder = data;
      e.checkpoint = t.model_dir;
      e.max_decode_len = 12;
      e.beam = 2;
      const auto report = evaluate(e);
      EXPECT_EQ(report.at("examples"), 3);
      EXPECT_EQ(report.at("predictions").size(), 3u);
    }
  }
  EvalOptions e;
  e.data_folder = dir.path("data-karel");
  e.checkpoint = dir.path("c-RobustFill");
  try {
    evaluate(e);
    ADD_FAILURE() << "a C model evaluated on a Karel dataset";
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find(e.data_folder + ": a karel dataset, but"), std::string::npos) << what;
    EXPECT_NE(what.find("holds a c model"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace eval
}  // namespace lasynth
