#include "lang/karel/benchmark.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace lasynth {
namespace karel {
namespace {

const std::string kSample = std::string(LASYNTH_TEST_DATA) + "/karel/data/sample_benchmark.json";

TEST(KarelBenchmark, ReadsTheHandWrittenSample) {
  const KarelDomain domain({});
  const auto tasks = read_benchmark_file(domain, kSample);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].guid, "hand-1");
  EXPECT_EQ(tasks[0].tokens.size(), 7u);
  ASSERT_EQ(tasks[0].io.size(), 2u);
  ASSERT_EQ(tasks[1].io.size(), 2u);  // grids given as strings holding JSON, then objects
  // Our interpreter reproduces every hand-checked output grid.
  for (const auto& task : tasks) {
    const auto program = domain.parse(task.tokens);
    for (const IoPair& pair : task.io) {
      const ExecResult r = program->execute(pair.input);
      ASSERT_TRUE(r.ok()) << task.guid;
      EXPECT_EQ(r.output, pair.output) << task.guid;
    }
  }
}

TEST(KarelBenchmark, WritesBackKeepingUnknownFields) {
  const KarelDomain domain({});
  const auto tasks = read_benchmark_file(domain, kSample);
  const auto j = nlohmann::json::parse(write_benchmark_task(domain, tasks[0]));
  EXPECT_EQ(j.at("extra_field"), 42);
  EXPECT_EQ(j.at("program_json").at("type"), "run");
  EXPECT_EQ(j.at("examples")[0].at("custom"), "kept");
  EXPECT_EQ(j.at("examples")[0].at("actions"), (nlohmann::json{"move", "turnLeft", "putMarker"}));
  EXPECT_EQ(j.at("examples")[1].at("example_index"), 1);
  EXPECT_EQ(j.at("examples")[0].at("outgrid_json").at("hero"), "1:0:west");
  EXPECT_FALSE(j.at("examples")[0].at("inpgrid_tensor").get<std::string>().empty());
  // Written lines read back to the same task.
  const auto again = read_benchmark_task(domain, j.dump());
  EXPECT_EQ(again.tokens, tasks[0].tokens);
  ASSERT_EQ(again.io.size(), tasks[0].io.size());
  EXPECT_EQ(again.io[1].output, tasks[0].io[1].output);
  // A generated example exports too.
  const Example ex = domain.make_sampler(3)->next();
  BenchmarkTask fresh;
  fresh.guid = "g";
  fresh.tokens = ex.tokens;
  fresh.io = ex.io;
  const auto k = nlohmann::json::parse(write_benchmark_task(domain, fresh));
  EXPECT_EQ(k.at("examples").size(), 6u);
}

TEST(KarelBenchmark, MalformedLinesNameFileAndLine) {
  const KarelDomain domain({});
  const std::string path = ::testing::TempDir() + "/bad_karel.json";
  auto error_for = [&](const std::string& second_line) {
    std::ifstream good(kSample);
    std::string first;
    std::getline(good, first);
    std::ofstream(path) << first << "\n" << second_line << "\n";
    try {
      read_benchmark_file(domain, path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_for("{not json").find(":2: not JSON"), std::string::npos);
  EXPECT_NE(error_for(R"J({"guid": "x", "examples": []})J").find(":2: field 'program_tokens'"),
            std::string::npos);
  EXPECT_NE(error_for(R"J({"program_tokens": ["DEF", "run", "m(", "jump", "m)"], "examples": []})J")
                .find("'jump'"),
            std::string::npos);
  EXPECT_NE(error_for(R"J({"program_tokens": ["DEF", "run", "m(", "m)"], "examples": [{}]})J")
                .find("examples[0]: field 'inpgrid_json' is missing"),
            std::string::npos);
  // A smaller grid is padded with walls; a larger one cannot be.
  EXPECT_NE(error_for(R"J({"program_tokens": ["DEF", "run", "m(", "m)"], "examples": [)J"
                      R"J({"inpgrid_json": {"rows": 20, "cols": 20, "hero": "0:0:north"},)J"
                      R"J( "outgrid_json": {"rows": 20, "cols": 20, "hero": "0:0:north"}}]})J")
                .find("grid is 20x20, larger than this dataset's 18x18"),
            std::string::npos);
  EXPECT_THROW(read_benchmark_file(domain, path + ".missing"), IoError);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace karel
}  // namespace lasynth
