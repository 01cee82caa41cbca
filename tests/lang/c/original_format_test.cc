#include "lang/c/original_format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/test_files.h"
#include "lang/domains.h"

namespace lasynth {
namespace {

using testing::read_file;
using testing::ScratchDir;
using testing::write_file;

// A task written as the original's generator writes it and its loader reads it: a prototype, the
// definition, `int main(void)`, one input array per example (aK: example K), some values in
// parentheses, and a .out line per example whose values are each followed by a space. The
// inputs are not symmetric, so reading the arrays as positions would give other examples.
const char* const kCode = R"(#include <stdio.h>

int * func_1(int a[]);

int * func_1(int a[])
{
    a[0] = a[1] + a[4];
    a[2] = 1;
    return a;
}

int main(void)
{
    int a0[5] = {1, (-3), 0, 2, 2};
    int a1[5] = {(-2), 4, -1, 0, (-4)};
    int a2[5] = {3, 0, (4), -4, 1};
    int a3[5] = {0, 1, 2, 3, (-1)};
    int a4[5] = {-1, -1, (-1), 4, 3};
    return 0;
}
)";
const char* const kOut = "-1 -3 1 2 2 \n0 4 1 0 -4 \n1 0 1 -4 1 \n0 1 1 3 -1 \n2 -1 1 4 3 \n";

const std::vector<IoPair> kExpected = {{{1, -3, 0, 2, 2}, {-1, -3, 1, 2, 2}},
                                       {{-2, 4, -1, 0, -4}, {0, 4, 1, 0, -4}},
                                       {{3, 0, 4, -4, 1}, {1, 0, 1, -4, 1}},
                                       {{0, 1, 2, 3, -1}, {0, 1, 1, 3, -1}},
                                       {{-1, -1, -1, 4, 3}, {2, -1, 1, 4, 3}}};

std::unique_ptr<Domain> domain_of(const std::string& dir) {
  return make_domain("c", c::OriginalFormat().detect_options(dir));
}

std::vector<Example> read_all(const Domain& domain, const std::string& dir, ImportReport* report) {
  return c::OriginalFormat().read(domain, dir, report);
}

void expect_same(const std::vector<Example>& got, const std::vector<Example>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].tokens, want[i].tokens) << "example " << i;
    EXPECT_EQ(got[i].source, want[i].source) << "example " << i;
    ASSERT_EQ(got[i].io.size(), want[i].io.size()) << "example " << i;
    for (size_t e = 0; e < got[i].io.size(); ++e) {
      EXPECT_EQ(got[i].io[e].input, want[i].io[e].input) << "example " << i << " pair " << e;
      EXPECT_EQ(got[i].io[e].output, want[i].io[e].output) << "example " << i << " pair " << e;
    }
  }
}

std::string parse_error_of(const std::string& dir) {
  try {
    ImportReport report;
    read_all(*domain_of(dir), dir, &report);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(OriginalFormat, ReadsOneInputArrayPerExampleWithParenthesizedValues) {
  ScratchDir dir;
  write_file(dir.path("code_0.c"), kCode);
  write_file(dir.path("code_0.out"), kOut);
  const DomainOptions options = c::OriginalFormat().detect_options(dir.path());
  EXPECT_EQ(options.at("array_len"), "5");
  EXPECT_EQ(options.at("io_pairs"), "5");
  const auto domain = domain_of(dir.path());
  ImportReport report;
  const std::vector<Example> examples = read_all(*domain, dir.path(), &report);
  ASSERT_EQ(report.imported, 1) << (report.first_reasons.empty() ? "" : report.first_reasons[0]);
  ASSERT_EQ(examples.size(), 1u);
  const auto program =
      domain->parse_source("int * func_1(int a[]) { a[0] = a[1] + a[4]; a[2] = 1; return a; }");
  EXPECT_EQ(examples[0].tokens, program->tokens());
  ASSERT_EQ(examples[0].io.size(), kExpected.size());
  for (size_t e = 0; e < kExpected.size(); ++e) {
    EXPECT_EQ(examples[0].io[e].input, kExpected[e].input) << "example " << e;
    EXPECT_EQ(examples[0].io[e].output, kExpected[e].output) << "example " << e;
  }
}

TEST(OriginalFormat, ExportWritesWhatTheOriginalReadsAndImportGivesTheSameExamples) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path("orig"));
  write_file(dir.path("orig/code_0.c"), kCode);
  write_file(dir.path("orig/code_0.out"), kOut);
  const auto domain = domain_of(dir.path("orig"));
  ImportReport report;
  std::vector<Example> examples = read_all(*domain, dir.path("orig"), &report);
  // A second task with values that need no parentheses and another program.
  Example second;
  const auto program = domain->parse_source("int * func_1(int a[]) { a[4] = a[0]; return a; }");
  second.tokens = program->tokens();
  second.source = program->source();
  for (const IoPair& p : kExpected) {
    second.io.push_back({p.output, program->execute(p.output).output});
  }
  examples.push_back(second);
  ASSERT_EQ(examples.size(), 2u);

  c::OriginalFormat().write(*domain, examples, dir.path("back"));
  // The original's loader: the program after the second header, up to `int main(void)`; aK[5] =
  // {v, v, ...};\n with values split on ", "; each .out line split on " " minus its last item.
  const std::string c = read_file(dir.path("back/code_0.c"));
  const std::string header = "int * func_1(int a[])";
  const size_t first = c.find(header);
  ASSERT_NE(first, std::string::npos) << c;
  const size_t second_header = c.find(header, first + header.size());
  ASSERT_NE(second_header, std::string::npos) << c;
  const size_t main_at = c.find("int main(void)");
  ASSERT_NE(main_at, std::string::npos) << c;
  EXPECT_NE(c.substr(second_header, main_at - second_header).find("a[0] = a[1] + a[4];"),
            std::string::npos)
      << c;
  EXPECT_NE(c.find("int a0[5] = {1, -3, 0, 2, 2};\n"), std::string::npos) << c;
  EXPECT_NE(c.find("int a4[5] = {-1, -1, -1, 4, 3};\n"), std::string::npos) << c;
  EXPECT_EQ(read_file(dir.path("back/code_0.out")), kOut);

  ImportReport again;
  expect_same(read_all(*domain, dir.path("back"), &again), examples);
  EXPECT_EQ(again.imported, 2);
}

TEST(OriginalFormat, ExamplesAreArraysEvenWhenTheyAreNotFive) {
  // Three examples of five values: read as positions, the shape could not match.
  ScratchDir dir;
  const auto domain = make_domain("c", {{"io_pairs", "3"}, {"num_spec", "3"}});
  const auto program = domain->parse_source("int * func_1(int a[]) { a[1] = a[0]; return a; }");
  Example ex;
  ex.tokens = program->tokens();
  ex.source = program->source();
  for (const Value& input :
       {Value{1, 2, 3, 4, -4}, Value{0, -1, -2, -3, 4}, Value{2, 2, 0, 0, 1}}) {
    ex.io.push_back({input, program->execute(input).output});
  }
  c::OriginalFormat().write(*domain, {ex}, dir.path());
  const std::string c = read_file(dir.path("code_0.c"));
  EXPECT_NE(c.find("int a0[5] = {1, 2, 3, 4, -4};\n"), std::string::npos) << c;
  EXPECT_NE(c.find("int a2[5] = {2, 2, 0, 0, 1};\n"), std::string::npos) << c;
  EXPECT_EQ(c.find("a3["), std::string::npos) << c;
  EXPECT_EQ(read_file(dir.path("code_0.out")), "1 1 3 4 -4 \n0 0 -2 -3 4 \n2 2 0 0 1 \n");
  const DomainOptions options = c::OriginalFormat().detect_options(dir.path());
  EXPECT_EQ(options.at("array_len"), "5");
  EXPECT_EQ(options.at("io_pairs"), "3");
  ImportReport report;
  expect_same(read_all(*domain, dir.path(), &report), {ex});
}

TEST(OriginalFormat, AMalformedValueNamesTheFileAndLine) {
  ScratchDir dir;
  std::string code = kCode;
  code.replace(code.find("(-4)"), 4, "(-4");
  write_file(dir.path("code_0.c"), code);
  write_file(dir.path("code_0.out"), kOut);
  const std::string in_c = parse_error_of(dir.path());
  EXPECT_NE(in_c.find("code_0.c:15: '(-4' is not a 32-bit integer"), std::string::npos) << in_c;

  write_file(dir.path("code_0.c"), kCode);
  write_file(dir.path("code_0.out"), "-1 -3 1 2 2 \n0 4 x 0 -4 \n1 0 1 -4 1 \n");
  const std::string in_out = parse_error_of(dir.path());
  EXPECT_NE(in_out.find("code_0.out:2: 'x' is not a 32-bit integer"), std::string::npos) << in_out;

  std::string gap = kCode;
  gap.replace(gap.find("a2[5]"), 2, "a7");
  write_file(dir.path("code_0.c"), gap);
  const std::string missing = parse_error_of(dir.path());
  EXPECT_NE(missing.find("code_0.c: main declares a3 but no a2"), std::string::npos) << missing;
}

}  // namespace
}  // namespace lasynth
