// lasynth-datagen and the lasynth-data dataset commands, run as a user runs them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/writer.h"
#include "lang/domains.h"
#include "run_tool.h"
#include "test_files.h"
#include "tree_files.h"

namespace lasynth {
namespace {

namespace fs = std::filesystem;
using testing::files;
using testing::Result;
using testing::run_command;
using testing::ScratchDir;

const std::string kGen = LASYNTH_DATAGEN_BIN;
const std::string kData = LASYNTH_DATA_BIN;
const std::string kSmall = " --train 3000 --val 120 --test 120 --shards 3 --eval-shards 2 --seed 5";

Result gen(const std::string& args, const std::string& env = "") {
  return run_command(env + " " + kGen + " " + args, true);
}
Result data(const std::string& args) { return run_command(kData + " " + args, true); }

TEST(Datagen, SameBytesWithThreadsShardRangesAndSlurmArrays) {
  ScratchDir dir;
  const std::string one = dir.path("one"), two = dir.path("two"), ranges = dir.path("ranges"),
                    array = dir.path("array");
  ASSERT_EQ(gen("--out " + one + kSmall + " --threads 1").exit_code, 0);
  ASSERT_EQ(gen("--out " + two + kSmall + " --threads 2").exit_code, 0);
  // 7 shards: test 0-1, val 2-3, train 4-6.
  for (const char* r : {"0:3", "3:4", "4:7"}) {
    const Result part = gen("--out " + ranges + kSmall + " --shard-range " + r);
    ASSERT_EQ(part.exit_code, 0) << part.out;
    EXPECT_NE(part.out.find("lasynth-data finalize"), std::string::npos) << part.out;
  }
  EXPECT_FALSE(fs::exists(ranges + "/manifest.json"));
  ASSERT_EQ(data("finalize " + ranges).exit_code, 0);
  for (int task = 1; task <= 3; ++task) {
    const std::string env = "SLURM_ARRAY_TASK_ID=" + std::to_string(task) +
                            " SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3";
    ASSERT_EQ(gen("--out " + array + kSmall, env).exit_code, 0);
  }
  const Result fin = data("finalize " + array);
  ASSERT_EQ(fin.exit_code, 0) << fin.out;
  const auto want = files(one);
  EXPECT_EQ(want.size(), 9u);  // 7 shards, the manifest, the settings
  for (const std::string& other : {two, ranges, array}) EXPECT_TRUE(files(other) == want) << other;
}

TEST(Datagen, ResumesKeepingFinishedShards) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  ASSERT_EQ(gen("--out " + out + kSmall).exit_code, 0);
  const auto want = files(out);
  // An interrupted run: no manifest, one shard never written, one cut short, a leftover temp.
  fs::remove(out + "/manifest.json");
  fs::remove(out + "/train/shard-00001-of-00003.h5");
  const std::string cut = out + "/train/shard-00002-of-00003.h5";
  testing::write_file(cut, testing::read_file(cut).substr(0, 1000));
  testing::write_file(out + "/train/shard-00000-of-00003.h5.partial-1-0", "junk");
  const Result r = gen("--out " + out + kSmall);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("5 already done"), std::string::npos) << r.out;
  fs::remove(out + "/train/shard-00000-of-00003.h5.partial-1-0");
  EXPECT_TRUE(files(out) == want);
}

TEST(Datagen, RefusesOtherSettingsUnlessForced) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  ASSERT_EQ(gen("--out " + out + kSmall).exit_code, 0);
  const auto before = files(out);
  const Result other = gen("--out " + out +
                           " --train 3000 --val 120 --test 120 --shards 3 "
                           "--eval-shards 2 --seed 6");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.out.find("--force"), std::string::npos) << other.out;
  EXPECT_EQ(testing::lines_of(other.out).size(), 1u) << other.out;
  EXPECT_TRUE(files(out) == before);
  const Result forced = gen("--out " + out +
                            " --train 3000 --val 120 --test 120 --shards 3 "
                            "--eval-shards 2 --seed 6 --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_FALSE(files(out) == before);
  fs::create_directories(dir.path("busy"));
  testing::write_file(dir.path("busy/notes.txt"), "mine");
  EXPECT_NE(gen("--out " + dir.path("busy") + kSmall).exit_code, 0);
  EXPECT_EQ(testing::read_file(dir.path("busy/notes.txt")), "mine");
  EXPECT_NE(gen("--out " + dir.path("x") + " --train 0 --val 0 --test 0").exit_code, 0);
  EXPECT_NE(gen("--out " + dir.path("x") + kSmall + " --shard-range 5:2").exit_code, 0);
}

// Limits that allow no (or too few) programs end the run with the cause, instead of drawing
// forever.
TEST(Datagen, LimitsThatAllowTooFewProgramsAreAnError) {
  ScratchDir dir;
  const Result r = gen("--out " + dir.path("d") +
                       " --train 10 --val 0 --test 0 --shards 1 --max-tokens 16 --quiet");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(testing::lines_of(r.out).size(), 1u) << r.out;
  EXPECT_NE(r.out.find("too_long 1000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("raise the program limits"), std::string::npos) << r.out;
}

TEST(Datagen, DatasetCommandsAndVerify) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  const Result g = gen("--out " + out + kSmall);
  ASSERT_EQ(g.exit_code, 0);
  EXPECT_NE(g.out.find("generating:"), std::string::npos) << "plain progress lines when piped";
  const Result inspect = data("inspect " + out);
  ASSERT_EQ(inspect.exit_code, 0);
  EXPECT_NE(inspect.out.find("| train  |       3000 |      3 |"), std::string::npos) << inspect.out;
  const Result show = data("show " + out + " --split val --index 119");
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("int * func_1(int a[])"), std::string::npos);
  EXPECT_NE(data("show " + out + " --split val --index 120").exit_code, 0);
  const Result stats = data("stats " + out + " --split test");
  ASSERT_EQ(stats.exit_code, 0);
  EXPECT_NE(stats.out.find("nesting depth"), std::string::npos);
  const Result exported = run_command(kData + " export " + out + " --split test");
  ASSERT_EQ(exported.exit_code, 0);
  const auto rows = testing::lines_of(exported.out);
  ASSERT_EQ(rows.size(), 120u);
  EXPECT_EQ(nlohmann::json::parse(rows[0]).at("io").size(), 10u);
  EXPECT_NE(stats.out.find("distinct functions"), std::string::npos) << stats.out;
  const Result ok = data("verify " + out + " --quiet");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("verify: OK: 3240 examples"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("no function"), std::string::npos) << ok.out;
  const auto manifest = nlohmann::json::parse(testing::read_file(out + "/manifest.json"));
  EXPECT_EQ(manifest.at("domain_options").at("output_range"), "4");
  EXPECT_NE(manifest.at("generator").at("split_rule").get<std::string>().find("behaviour"),
            std::string::npos);

  // One byte changed anywhere in a shard: the checksum names it.
  const std::string shard = out + "/train/shard-00001-of-00003.h5";
  std::string bytes = testing::read_file(shard);
  bytes[bytes.size() / 2] ^= 1;
  testing::write_file(shard, bytes);
  const Result bad = data("verify " + out + " --quiet");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("shard-00001-of-00003.h5: sha256"), std::string::npos) << bad.out;
  // A shard of another dataset put in its place.
  ASSERT_EQ(gen("--out " + dir.path("other") +
                " --train 3000 --val 120 --test 120 --shards 3 "
                "--eval-shards 2 --seed 9")
                .exit_code,
            0);
  fs::copy_file(dir.path("other") + "/train/shard-00001-of-00003.h5", shard,
                fs::copy_options::overwrite_existing);
  EXPECT_NE(data("verify " + out + " --quiet").exit_code, 0);
  fs::remove(out + "/manifest.json");
  const Result none = data("inspect " + out);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.out.find("lasynth-data finalize"), std::string::npos) << none.out;
}

TEST(Datagen, OutputRangeIsAFlagRecordedInTheManifest) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  ASSERT_EQ(gen("--out " + out +
                " --train 200 --val 20 --test 20 --shards 1 --output-range 9 "
                "--quiet")
                .exit_code,
            0);
  const auto manifest = nlohmann::json::parse(testing::read_file(out + "/manifest.json"));
  EXPECT_EQ(manifest.at("domain_options").at("output_range"), "9");
  const std::string exported = run_command(kData + " export " + out + " --split train").out;
  int beyond_default = 0;
  for (const std::string& row : testing::lines_of(exported)) {
    const nlohmann::json example = nlohmann::json::parse(row);
    for (const auto& pair : example.at("io")) {
      for (int x : pair.at("output")) {
        ASSERT_LE(std::abs(x), 9);
        beyond_default += std::abs(x) > 4;
      }
    }
  }
  EXPECT_GT(beyond_default, 0);
  const Result bad = gen("--out " + dir.path("e") + " --train 10 --output-range 17 --quiet");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("output_range (17) is above 4 * value_range (16)"), std::string::npos)
      << bad.out;
}

// The row of `split` in the summary table of `lasynth-data stats`, by column name.
std::map<std::string, double> stats_row(const std::string& stats, const std::string& split) {
  std::vector<std::string> header, row;
  for (const std::string& line : testing::lines_of(stats)) {
    std::vector<std::string> cells;
    size_t at = 1;
    while (line.size() > 1 && line[0] == '|' && at < line.size()) {
      const size_t bar = line.find('|', at);
      if (bar == std::string::npos) break;
      std::string cell = line.substr(at, bar - at);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
      at = bar + 1;
    }
    if (!cells.empty() && cells[0] == "split" && header.empty()) header = cells;
    if (!cells.empty() && cells[0] == split && row.empty()) row = cells;
  }
  std::map<std::string, double> out;
  for (size_t i = 1; i < header.size() && i < row.size(); ++i) out[header[i]] = std::stod(row[i]);
  return out;
}

TEST(Datagen, ThePresetSmallHasThePapersCharacterAndIsRecorded) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  ASSERT_EQ(gen("--preset small --train 1500 --val 50 --test 50 --shards 1 --quiet --out " + out)
                .exit_code,
            0);
  const auto manifest = nlohmann::json::parse(testing::read_file(out + "/manifest.json"));
  EXPECT_EQ(manifest.at("generator").at("preset"), "small");
  EXPECT_EQ(manifest.at("domain_options").at("max_tokens"), "96");
  EXPECT_EQ(manifest.at("domain_options").at("output_range"), "4");
  const Result stats = data("stats " + out);
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  EXPECT_NE(stats.out.find("preset small"), std::string::npos) << stats.out;
  const auto train = stats_row(stats.out, "train");
  ASSERT_EQ(train.at("examples"), 1500) << stats.out;
  EXPECT_GE(train.at("% loop"), 30) << stats.out;
  EXPECT_GE(train.at("% branch"), 20) << stats.out;
  EXPECT_GE(train.at("tokens"), 30) << stats.out;
  EXPECT_LE(train.at("tokens"), 60) << stats.out;
  EXPECT_GT(train.at("functions"), 0) << stats.out;
  // An explicit limit beside the preset wins, and the dataset says so.
  ASSERT_EQ(gen("--preset small --max-tokens 80 --train 100 --val 10 --test 10 --shards 1 "
                "--quiet --out " +
                dir.path("e"))
                .exit_code,
            0);
  const auto other = nlohmann::json::parse(testing::read_file(dir.path("e") + "/manifest.json"));
  EXPECT_EQ(other.at("domain_options").at("max_tokens"), "80");
  EXPECT_EQ(other.at("domain_options").at("max_locals"), "3");
}

// Val and test measure functions, not the generator's favourites: each function once in the
// split, though its shards are generated apart (before, 124 of the small preset's 200 test
// programs computed a[4] = a[2]).
TEST(Datagen, ValAndTestHoldEachFunctionOnceAcrossTheirShards) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  ASSERT_EQ(gen("--preset small --train 30 --val 60 --test 60 --shards 3 --quiet --out " + out)
                .exit_code,
            0);
  const Result stats = data("stats " + out);
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  for (const char* split : {"val", "test"}) {
    const auto row = stats_row(stats.out, split);
    EXPECT_EQ(row.at("examples"), 60) << split << "\n" << stats.out;
    EXPECT_EQ(row.at("functions"), 60) << split << "\n" << stats.out;
  }
  EXPECT_EQ(data("verify " + out + " --quiet").exit_code, 0);
}

// A test function must not be in training under another text: verify names the two examples.
TEST(Verify, SplitsSharingAFunctionFailNamingBothExamples) {
  ScratchDir dir;
  const std::string out = dir.path("d");
  const auto domain = make_domain("c");
  auto example = [&](const std::string& body) {
    const auto program = domain->parse_source("int * func_1(int a[]) { " + body + " return a; }");
    data::StoredExample ex;
    ex.tokens = domain->vocabulary().encode(program->tokens());
    for (int k = 0; k < domain->io_pairs(); ++k) {
      const Value input = {k % 9 - 4, 1, 2, 3, 4};
      ex.io.push_back({input, program->execute(input).output});
    }
    return ex;
  };
  data::write_split(out, *domain, "train", {example("a[1] = 2;"), example("a[0] = a[0] + 1;")}, 1,
                    {}, false);
  data::write_split(out, *domain, "test", {example("a[0] += 1;")}, 1, {}, false);
  const Result r = data("verify " + out + " --quiet");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("splits train and test share a function: " + out +
                       "/train/shard-00000-of-00001.h5 example 1 and " + out +
                       "/test/shard-00000-of-00001.h5 example 0"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("share 1 program"), std::string::npos) << "different texts";
}

TEST(Datagen, KarelThroughTheSameTools) {
  ScratchDir dir;
  const std::string out = dir.path("k");
  const Result g =
      gen("--domain karel --rows 8 --cols 8 --train 200 --val 20 --test 20 "
          "--shards 2 --out " +
          out);
  ASSERT_EQ(g.exit_code, 0) << g.out;
  const Result ok = data("verify " + out + " --quiet");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  const Result show = data("show " + out + " --split test --index 3");
  EXPECT_NE(show.out.find("DEF run m("), std::string::npos);
}

TEST(Import, OriginalLasynthFilesAndBack) {
  ScratchDir dir;
  const std::string out = dir.path("imported");
  const Result r =
      data("import-lasynth " + std::string(LASYNTH_TEST_DATA) + "/data/lasynth_original " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("read 5 task(s), imported 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no_out_file 1"), std::string::npos);
  EXPECT_NE(r.out.find("output_differs 1"), std::string::npos);
  EXPECT_NE(r.out.find("outside_grammar 1"), std::string::npos);
  EXPECT_NE(r.out.find("code_1.c: token"), std::string::npos) << "the first reasons are printed";
  EXPECT_EQ(data("verify " + out + " --quiet").exit_code, 0);
  ASSERT_EQ(
      data("export " + out + " --split train --format lasynth --out " + dir.path("back")).exit_code,
      0);
  ASSERT_EQ(data("import-lasynth " + dir.path("back") + " " + dir.path("again")).exit_code, 0);
  EXPECT_EQ(run_command(kData + " export " + out + " --split train").out,
            run_command(kData + " export " + dir.path("again") + " --split train").out);
  // A second split into the same dataset; replacing one needs --force.
  EXPECT_EQ(data("import-lasynth " + dir.path("back") + " " + out + " --split test").exit_code, 0);
  EXPECT_NE(data("import-lasynth " + dir.path("back") + " " + out + " --split test").exit_code, 0);
  EXPECT_EQ(
      data("import-lasynth " + dir.path("back") + " " + out + " --split test --force").exit_code,
      0);
  EXPECT_NE(data("import-lasynth " + dir.path("nowhere") + " " + dir.path("x")).exit_code, 0);
}

TEST(Import, KarelBenchmarkAndBack) {
  ScratchDir dir;
  const std::string out = dir.path("karel");
  const std::string sample =
      std::string(LASYNTH_TEST_DATA) + "/lang/karel/data/sample_benchmark.json";
  const Result r = data("import-karel " + sample + " " + out + " --split test");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("read 2 task(s), imported 2"), std::string::npos) << r.out;
  EXPECT_EQ(data("verify " + out + " --quiet").exit_code, 0);
  ASSERT_EQ(data("export " + out + " --split test --format karel --out " + dir.path("back.json"))
                .exit_code,
            0);
  EXPECT_NE(data("export " + out + " --split test --format karel --out " + dir.path("back.json"))
                .exit_code,
            0)
      << "an existing file is not overwritten without --force";
  const auto lines = testing::lines_of(testing::read_file(dir.path("back.json")));
  ASSERT_EQ(lines.size(), 2u);
  const auto task = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(task.at("examples")[1].at("outgrid_json").at("hero"), "0:17:east");
  EXPECT_EQ(task.at("examples")[1].at("actions").size(), 18u);
  ASSERT_EQ(
      data("import-karel " + dir.path("back.json") + " " + dir.path("again") + " --split test")
          .exit_code,
      0);
  EXPECT_EQ(run_command(kData + " export " + out + " --split test").out,
            run_command(kData + " export " + dir.path("again") + " --split test").out);
  // The benchmark mixes grid sizes: the dataset takes the largest, smaller worlds are padded with
  // walls (the same worlds to a program: nothing moves or senses past a grid's edge either).
  auto karel_task = [](int rows, int cols, const std::string& a, const std::string& b) {
    auto grid = [&](const std::string& hero) {
      return fmt::format(R"({{"rows": {}, "cols": {}, "hero": "{}", "blocked": "", )"
                         R"("markers": "", "crashed": false}})",
                         rows, cols, hero);
    };
    auto example = [&](const std::string& from) {
      const std::string to = std::to_string(std::stoi(from.substr(0, 1)) + 1) + from.substr(1);
      return fmt::format(R"({{"inpgrid_json": {}, "outgrid_json": {}}})", grid(from), grid(to));
    };
    return fmt::format(
        R"j({{"program_tokens": ["DEF", "run", "m(", "move", "m)"], "examples": [{}, {}]}})j",
        example(a), example(b));
  };
  testing::write_file(dir.path("mixed.json"), karel_task(3, 4, "0:0:north", "1:3:north") + "\n" +
                                                  karel_task(5, 5, "2:2:north", "0:4:north") +
                                                  "\n");
  const Result mixed =
      data("import-karel " + dir.path("mixed.json") + " " + dir.path("mixed") + " --split test");
  ASSERT_EQ(mixed.exit_code, 0) << mixed.out;
  EXPECT_NE(mixed.out.find("imported 2"), std::string::npos) << mixed.out;
  const auto padded = nlohmann::json::parse(
      testing::lines_of(run_command(kData + " export " + dir.path("mixed") + " --split test").out)
          .at(0));
  const auto first = padded.at("io")[0].at("input");
  EXPECT_EQ(first.at("rows"), 5);
  EXPECT_EQ(first.at("cols"), 5);
  EXPECT_NE(first.at("blocked").get<std::string>().find("3:0"), std::string::npos) << first;
  EXPECT_EQ(padded.at("io")[1].at("output").at("hero"), "2:3:north");

  testing::write_file(dir.path("bad.json"), "{\"program_tokens\": [\"DEF\"]}\n");
  const Result bad = data("import-karel " + dir.path("bad.json") + " " + dir.path("x"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("bad.json:1"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace lasynth
