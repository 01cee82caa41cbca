// lasynth-data run as a user runs it: a child process, its standard output and exit status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "lang/domains.h"

namespace lasynth {
namespace {

struct Result {
  int exit_code;
  std::string out;  // stdout, or stdout and stderr together when asked
};

Result run(const std::string& args, bool with_stderr = false) {
  const std::string cmd =
      std::string(LASYNTH_DATA_BIN) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, ""};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(LasynthDataSample, PrintsVerifiableJsonLines) {
  const Result r = run("sample --domain c --count 20 --seed 4");
  ASSERT_EQ(r.exit_code, 0);
  const auto rows = lines(r.out);
  ASSERT_EQ(rows.size(), 20u);
  const auto domain = make_domain("c");
  for (const std::string& row : rows) {
    const auto j = nlohmann::json::parse(row);
    const auto program = domain->parse(j.at("tokens").get<std::vector<std::string>>());
    EXPECT_EQ(program->source(), j.at("source").get<std::string>());
    ASSERT_EQ(j.at("io").size(), 10u);
    for (const auto& pair : j.at("io")) {
      const ExecResult e = program->execute(domain->value_from_json(pair.at("input")));
      ASSERT_TRUE(e.ok());
      EXPECT_EQ(nlohmann::json(domain->value_to_json(e.output)), pair.at("output"));
    }
  }
}

TEST(LasynthDataSample, KarelLinesUseTheBenchmarkGridLayout) {
  const Result r = run("sample --domain karel --count 5 --seed 2 --rows 8 --cols 8");
  ASSERT_EQ(r.exit_code, 0);
  const auto rows = lines(r.out);
  ASSERT_EQ(rows.size(), 5u);
  const auto domain = make_domain("karel", {{"rows", "8"}, {"cols", "8"}});
  for (const std::string& row : rows) {
    const auto j = nlohmann::json::parse(row);
    EXPECT_EQ(j.at("source").get<std::string>().substr(0, 10), "DEF run m(");
    const auto program = domain->parse(j.at("tokens").get<std::vector<std::string>>());
    ASSERT_EQ(j.at("io").size(), 6u);
    for (const auto& pair : j.at("io")) {
      for (const char* key : {"rows", "cols", "hero", "blocked", "markers", "crashed"}) {
        EXPECT_TRUE(pair.at("input").contains(key)) << key;
      }
      const ExecResult e = program->execute(domain->value_from_json(pair.at("input")));
      ASSERT_TRUE(e.ok());
      EXPECT_EQ(nlohmann::json(domain->value_to_json(e.output)), pair.at("output"));
    }
  }
  const Result pretty = run("sample --domain karel --count 1 --rows 4 --cols 5 --pretty");
  EXPECT_EQ(pretty.exit_code, 0);
  EXPECT_NE(pretty.out.find("held-out"), std::string::npos);
}

TEST(LasynthDataSample, SameSeedSameLines) {
  const Result a = run("sample --count 30 --seed 9");
  const Result b = run("sample --count 30 --seed 9");
  const Result c = run("sample --count 30 --seed 10");
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  // A longer run starts with the same lines.
  const Result longer = run("sample --count 40 --seed 9");
  EXPECT_EQ(longer.out.substr(0, a.out.size()), a.out);
}

TEST(LasynthDataSample, DomainLimitsAreFlags) {
  const Result r = run("sample --count 5 --seed 1 --array-len 3 --io-pairs 4 --num-spec 2");
  ASSERT_EQ(r.exit_code, 0);
  for (const std::string& row : lines(r.out)) {
    const auto j = nlohmann::json::parse(row);
    ASSERT_EQ(j.at("io").size(), 4u);
    EXPECT_EQ(j.at("io")[0].at("input").size(), 3u);
  }
  const Result help = run("sample --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--max-locals"), std::string::npos);
  EXPECT_NE(help.out.find("--step-limit"), std::string::npos);
}

TEST(LasynthDataSample, APresetIsATaskAndFlagsBesideItOverrideIt) {
  const Result karel = run("sample --count 3 --seed 1 --preset karel-small");
  ASSERT_EQ(karel.exit_code, 0) << karel.out;
  for (const std::string& row : lines(karel.out)) {
    const auto input = nlohmann::json::parse(row).at("io")[0].at("input");
    EXPECT_EQ(input.at("rows"), 8);
    EXPECT_EQ(input.at("cols"), 8);
  }
  const Result shorter = run("sample --count 3 --seed 1 --preset small --array-len 4");
  ASSERT_EQ(shorter.exit_code, 0) << shorter.out;
  for (const std::string& row : lines(shorter.out)) {
    EXPECT_EQ(nlohmann::json::parse(row).at("io")[0].at("input").size(), 4u);
  }
  const Result help = run("sample --help");
  for (const char* name : {"paper", "small", "karel", "karel-small"}) {
    EXPECT_NE(help.out.find(std::string("  ") + name + " (domain "), std::string::npos) << name;
  }
  const Result clash = run("sample --preset small --domain karel", true);
  EXPECT_NE(clash.exit_code, 0);
  EXPECT_EQ(lines(clash.out).size(), 1u) << clash.out;
  EXPECT_NE(clash.out.find("--domain karel and --preset small disagree"), std::string::npos)
      << clash.out;
  const Result unknown = run("sample --preset huge", true);
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("huge"), std::string::npos) << unknown.out;
}

TEST(LasynthDataSample, BadInputGivesOneClearLineAndNonZeroExit) {
  const Result bad_limit = run("sample --array-len 0", true);
  EXPECT_NE(bad_limit.exit_code, 0);
  EXPECT_EQ(lines(bad_limit.out).size(), 1u) << bad_limit.out;
  EXPECT_NE(bad_limit.out.find("array_len = '0'"), std::string::npos) << bad_limit.out;

  const Result bad_domain = run("sample --domain cobol", true);
  EXPECT_NE(bad_domain.exit_code, 0);
  EXPECT_NE(bad_domain.out.find("cobol"), std::string::npos) << bad_domain.out;

  const Result bad_count = run("sample --count -3", true);
  EXPECT_NE(bad_count.exit_code, 0);

  const Result none = run("", true);
  EXPECT_NE(none.exit_code, 0);

  const Result zero = run("sample --count 0");
  EXPECT_EQ(zero.exit_code, 0);
  EXPECT_EQ(zero.out, "");
}

}  // namespace
}  // namespace lasynth
