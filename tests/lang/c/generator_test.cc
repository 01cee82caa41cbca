#include "lang/c/generator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "lang/c/interpreter.h"
#include "lang/c/parser.h"
#include "lang/c/printer.h"
#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

TEST(CGenerator, ProgramsStayWithinTheLimits) {
  Limits limits;
  limits.max_locals = 3;
  limits.max_statements = 6;
  limits.max_depth = 1;
  limits.const_min = -2;
  limits.const_max = 3;
  Generator gen(limits);
  Rng rng(3);
  int loops = 0, ifs = 0;
  for (int i = 0; i < 3000; ++i) {
    const Program p = gen.sample_program(rng);
    ASSERT_LE(static_cast<int>(p.decls.size()), 3);
    ASSERT_LE(statement_count(p), 6 + 1);  // a while loop adds its counter's step
    ASSERT_LE(nesting_depth(p), 1);
    for (const Decl& d : p.decls) {
      ASSERT_GE(d.init, -2);
      ASSERT_LE(d.init, 3);
    }
    for (const Stmt& s : p.body) {
      loops += s.kind == Stmt::Kind::kFor || s.kind == Stmt::Kind::kWhile;
      ifs += s.kind == Stmt::Kind::kIf;
    }
  }
  EXPECT_GT(loops, 300);
  EXPECT_GT(ifs, 300);
}

// The share of top-level for loops that walk the whole array, up (0 to n) or down (n - 1 to 0).
double whole_loop_share(double whole_loops) {
  Limits limits;
  limits.whole_loops = whole_loops;
  Generator gen(limits);
  Rng rng(5);
  int loops = 0, whole = 0;
  for (int i = 0; i < 2000; ++i) {
    for (const Stmt& s : gen.sample_program(rng).body) {
      if (s.kind != Stmt::Kind::kFor) continue;
      ++loops;
      const int32_t start = s.init->value->value;
      const int32_t end = s.value->rhs->value;
      const bool up = s.value->op == BinOp::kLt;
      whole +=
          up ? start == 0 && end == limits.array_len : start == limits.array_len - 1 && end == 0;
    }
  }
  EXPECT_GT(loops, 200);
  return static_cast<double>(whole) / loops;
}

TEST(CGenerator, WholeLoopsSetsTheShareOfLoopsOverTheWholeArray) {
  EXPECT_EQ(whole_loop_share(1.0), 1.0);
  // Random bounds walk the whole array in 1 loop of 25.
  EXPECT_LT(whole_loop_share(0.0), 0.15);
  const double half = whole_loop_share(0.5);
  EXPECT_GT(half, 0.45);
  EXPECT_LT(half, 0.65);
}

TEST(CGenerator, InputsAreDistinctAndInRange) {
  Limits limits;
  limits.value_range = 2;
  limits.array_len = 4;
  Generator gen(limits);
  Rng rng(1);
  for (int i = 0; i < 100; ++i) {
    const auto inputs = gen.sample_inputs(rng);
    ASSERT_EQ(inputs.size(), 10u);
    std::set<Value> distinct(inputs.begin(), inputs.end());
    EXPECT_EQ(distinct.size(), 10u);
    for (const Value& v : inputs) {
      ASSERT_EQ(v.size(), 4u);
      for (int32_t x : v) {
        ASSERT_GE(x, -2);
        ASSERT_LE(x, 2);
      }
    }
  }
}

TEST(CSampler, AcceptedExamplesPassEveryCheck) {
  Limits limits;
  Sampler sampler(limits, 17);
  std::set<std::vector<std::string>> seen;
  for (int i = 0; i < 500; ++i) {
    const Example ex = sampler.next();
    ASSERT_TRUE(seen.insert(ex.tokens).second) << "duplicate program " << ex.source;
    ASSERT_LE(static_cast<int>(ex.tokens.size()), limits.max_tokens);
    ASSERT_EQ(ex.io.size(), 10u);
    const Program p = parse(vocabulary().encode(ex.tokens));
    ASSERT_EQ(to_source(p), ex.source);
    const Executable exe(p, limits.array_len);
    bool changes = false, depends = false;
    for (const IoPair& pair : ex.io) {
      Value out(5);
      ASSERT_EQ(exe.run(pair.input.data(), out.data(), limits.step_limit), ExecStatus::kOk);
      ASSERT_EQ(out, pair.output);
      for (int32_t x : out) {
        ASSERT_GE(x, -limits.output_range);
        ASSERT_LE(x, limits.output_range);
      }
      changes = changes || pair.output != pair.input;
      depends = depends || pair.output != ex.io[0].output;
    }
    EXPECT_TRUE(changes) << ex.source;
    EXPECT_TRUE(depends) << ex.source;
  }
  const auto counters = sampler.counters();
  EXPECT_EQ(counters.at("accepted"), 500);
  // The checks really reject: each reason shows up in a run this long.
  for (const char* reason :
       {"division_by_zero", "index_out_of_range", "out_of_range", "no_effect", "ignores_input"}) {
    EXPECT_GT(counters.count(reason) ? counters.at(reason) : 0, 0) << reason;
  }
}

// With dead_code 0, every declared local appears in the program's text again, and taking out any
// top-level statement of its syntax tree changes some output; the default keeps such programs.
TEST(CSampler, DeadCodeZeroRejectsUnusedLocalsAndStatementsThatChangeNothing) {
  Limits limits;
  limits.dead_code = 0;
  Sampler sampler(limits, 23);
  for (int i = 0; i < 300; ++i) {
    const Example ex = sampler.next();
    Program p = parse(vocabulary().encode(ex.tokens));
    const std::string text = ex.source;
    for (const Decl& d : p.decls) {
      const std::string name = var_name(d.var);
      size_t uses = 0;
      for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
        ++uses;
      }
      EXPECT_GE(uses, 2u) << name << " declared, never used: " << text;
    }
    for (size_t s = 0; s < p.body.size(); ++s) {
      Stmt taken = std::move(p.body[s]);
      p.body.erase(p.body.begin() + static_cast<std::ptrdiff_t>(s));
      const Executable without(p, limits.array_len);
      bool changes = false;
      for (const IoPair& pair : ex.io) {
        Value out(5);
        changes = changes ||
                  without.run(pair.input.data(), out.data(), limits.step_limit) != ExecStatus::kOk ||
                  out != pair.output;
      }
      EXPECT_TRUE(changes) << "statement " << s << " changes nothing: " << text;
      p.body.insert(p.body.begin() + static_cast<std::ptrdiff_t>(s), std::move(taken));
    }
  }
  const auto counters = sampler.counters();
  EXPECT_GT(counters.count("unused_local") ? counters.at("unused_local") : 0, 0);
  EXPECT_GT(counters.count("dead_statement") ? counters.at("dead_statement") : 0, 0);
  // The default keeps them: some of its programs hold a local no statement mentions.
  Sampler keeps(Limits{}, 23);
  int unused = 0;
  for (int i = 0; i < 300; ++i) {
    const Program q = parse(vocabulary().encode(keeps.next().tokens));
    const std::string text = to_source(q);
    for (const Decl& d : q.decls) {
      const std::string name = var_name(d.var);
      unused += text.find(name) == text.rfind(name);
    }
  }
  EXPECT_GT(unused, 0);
}

TEST(CSampler, OutputRangeBoundsEveryOutput) {
  Limits wide;
  wide.output_range = 16;
  Sampler sampler(wide, 17);
  int beyond_default = 0;
  for (int i = 0; i < 300; ++i) {
    for (const IoPair& pair : sampler.next().io) {
      for (int32_t x : pair.output) {
        ASSERT_LE(std::abs(x), 16);
        beyond_default += std::abs(x) > Limits{}.output_range;
      }
    }
  }
  // The wider range really admits what the default rejects.
  EXPECT_GT(beyond_default, 0);
}

TEST(CSampler, SameSeedSameExamples) {
  Sampler a(Limits{}, 99), b(Limits{}, 99), c(Limits{}, 100);
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const Example x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x.tokens, y.tokens);
    ASSERT_EQ(x.io.size(), y.io.size());
    for (size_t k = 0; k < x.io.size(); ++k) {
      EXPECT_EQ(x.io[k].input, y.io[k].input);
      EXPECT_EQ(x.io[k].output, y.io[k].output);
    }
    differs = differs || x.tokens != z.tokens;
  }
  EXPECT_TRUE(differs);
}

TEST(CSampler, ProgramsAreTensOfTokens) {
  Sampler sampler(Limits{}, 5);
  double total = 0;
  for (int i = 0; i < 1000; ++i) total += static_cast<double>(sampler.next().tokens.size());
  EXPECT_GT(total / 1000, 30.0);
  EXPECT_LT(total / 1000, 120.0);
}

}  // namespace
}  // namespace c
}  // namespace lasynth
