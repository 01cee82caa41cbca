// c-fuzz: a seeded mutation fuzzer over restricted-C token sequences and program text. Built with
// AddressSanitizer and UndefinedBehaviorSanitizer (abort on the first report), so a run that
// ends with exit 0 found nothing: every input either parsed or was refused with ParseError, every
// parsed program executed to a typed result, and printed back to the same program.
//
//   c-fuzz --iterations 1000000 --seed 1
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>

#include "core/error.h"
#include "core/rng.h"
#include "lang/c/generator.h"
#include "lang/c/interpreter.h"
#include "lang/c/parser.h"
#include "lang/c/printer.h"
#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

struct Fuzzer {
  explicit Fuzzer(uint64_t seed) : rng(seed), gen(limits) {
    limits.step_limit = 2000;
    for (int i = 0; i < 256; ++i) corpus.push_back(to_tokens(gen.sample_program(rng)));
  }

  int32_t random_id() { return static_cast<int32_t>(rng.uniform_int(-2, kNumTokens + 1)); }

  std::vector<int32_t> mutate(std::vector<int32_t> ids) {
    const int rounds = static_cast<int>(rng.uniform_int(1, 4));
    for (int r = 0; r < rounds; ++r) {
      const size_t n = ids.size();
      const auto at = [&](size_t extra) { return static_cast<size_t>(rng.below(n + extra)); };
      switch (rng.below(8)) {
        case 0:
          if (n) ids[at(0)] = random_id();
          break;
        case 1:
          ids.insert(ids.begin() + static_cast<long>(at(1)), random_id());
          break;
        case 2:
          if (n) ids.erase(ids.begin() + static_cast<long>(at(0)));
          break;
        case 3:
          if (n) ids.resize(at(0));
          break;
        case 4:
          if (n > 1) std::swap(ids[at(0)], ids[at(0)]);
          break;
        case 5: {  // duplicate a span elsewhere
          if (!n) break;
          const size_t from = at(0), len = std::min<size_t>(n - from, 1 + rng.below(12));
          const std::vector<int32_t> span(ids.begin() + static_cast<long>(from),
                                          ids.begin() + static_cast<long>(from + len));
          ids.insert(ids.begin() + static_cast<long>(at(1)), span.begin(), span.end());
          break;
        }
        case 6: {  // splice the tail of another program
          const auto& other = corpus[rng.below(corpus.size())];
          ids.resize(at(1));
          const size_t from = rng.below(other.size());
          ids.insert(ids.end(), other.begin() + static_cast<long>(from), other.end());
          break;
        }
        default: {  // replace with a token of the same kind, keeping the shape
          if (!n) break;
          const size_t i = at(0);
          if (is_num(ids[i]))
            ids[i] = kNum0 + static_cast<int32_t>(rng.below(kMaxLiteral + 1));
          else if (is_var(ids[i]))
            ids[i] = kVar0 + static_cast<int32_t>(rng.below(kNumVars));
          else
            ids[i] = random_id();
        }
      }
    }
    return ids;
  }

  void execute(const Program& p) {
    const Executable exe(p, limits.array_len);
    const std::vector<Value> inputs = gen.sample_inputs(rng);
    Value out(limits.array_len);
    ++statuses[exec_status_name(exe.run(inputs[0].data(), out.data(), limits.step_limit))];
  }

  // Parses `ids` whole and as a prefix; everything that parses must run and print back to itself.
  void check(const std::vector<int32_t>& ids) {
    try {
      const Program p = parse(ids);
      ++parsed;
      execute(p);
      if (!(parse(to_tokens(p)) == p)) finding("print/parse round trip differs", ids);
    } catch (const ParseError&) {
      ++refused;
    }
    try {
      const size_t n = rng.below(ids.size() + 1);
      const Program p = parse_prefix({ids.begin(), ids.begin() + static_cast<long>(n)});
      ++prefixes_parsed;
      execute(p);
    } catch (const ParseError&) {
      ++prefixes_refused;
    }
  }

  void check_text(const std::vector<int32_t>& ids) {
    std::string text = format(ids);
    const int edits = static_cast<int>(rng.uniform_int(1, 4));
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t i = rng.below(text.size());
      switch (rng.below(3)) {
        case 0:
          text[i] = static_cast<char>(rng.below(256));
          break;
        case 1:
          text.erase(i, 1 + rng.below(8));
          break;
        default:
          text.insert(i, 1, "(){}[];+-*/%<>=!&|_lpa0123456789 \n"[rng.below(35)]);
      }
    }
    try {
      check(vocabulary().encode(tokenize(text)));
      ++text_tokenized;
    } catch (const ParseError&) {
      ++text_refused;
    }
  }

  [[noreturn]] void finding(const std::string& what, const std::vector<int32_t>& ids) {
    std::string tokens;
    for (int32_t id : ids) tokens += fmt::format("{} ", id);
    std::cerr << "c-fuzz: FINDING: " << what << "\n  token ids: " << tokens << "\n";
    std::exit(1);
  }

  void run(int64_t iterations) {
    for (int64_t i = 0; i < iterations; ++i) {
      const std::vector<int32_t> base = corpus[rng.below(corpus.size())];
      std::vector<int32_t> ids = mutate(base);
      try {
        if (i % 8 == 7)
          check_text(base);
        else
          check(ids);
      } catch (const std::exception& e) {
        finding(fmt::format("unexpected exception: {}", e.what()), ids);
      }
      // Keep mutants that still parse, so later mutations reach deeper.
      if (i % 16 == 0 && ids.size() < 512) {
        try {
          parse(ids);
          corpus[rng.below(corpus.size())] = ids;
        } catch (const ParseError&) {
        }
      }
    }
  }

  Limits limits;
  Rng rng;
  Generator gen;
  std::vector<std::vector<int32_t>> corpus;
  int64_t parsed = 0, refused = 0, prefixes_parsed = 0, prefixes_refused = 0;
  int64_t text_tokenized = 0, text_refused = 0;
  std::map<std::string, int64_t> statuses;
};

}  // namespace
}  // namespace c
}  // namespace lasynth

int main(int argc, char** argv) {
  int64_t iterations = 1000000;
  uint64_t seed = 1;
  CLI::App app{
      "c-fuzz: seeded mutation fuzzing of the restricted-C tokenizer, parser, printer "
      "and interpreter (run the sanitized build)"};
  app.add_option("--iterations", iterations, "mutated inputs to try")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  lasynth::c::Fuzzer fuzzer(seed);
  fuzzer.run(iterations);
  std::string statuses;
  for (const auto& [name, n] : fuzzer.statuses) statuses += fmt::format(" {}={}", name, n);
  std::cout << fmt::format(
      "c-fuzz: {} inputs, no finding\n"
      "  whole programs: {} parsed, {} refused with ParseError\n"
      "  prefixes:       {} parsed, {} refused\n"
      "  mutated text:   {} tokenized, {} refused\n"
      "  executions:    {}\n",
      iterations, fuzzer.parsed, fuzzer.refused, fuzzer.prefixes_parsed, fuzzer.prefixes_refused,
      fuzzer.text_tokenized, fuzzer.text_refused, statuses);
  return 0;
}
