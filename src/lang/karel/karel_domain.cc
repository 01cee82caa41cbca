#include "lang/karel/karel_domain.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "lang/karel/generator.h"
#include "lang/karel/interpreter.h"
#include "lang/karel/parser.h"
#include "lang/karel/tokens.h"

namespace lasynth {
namespace karel {
namespace {

class KarelProgram : public lasynth::Program {
 public:
  KarelProgram(karel::Program ast, const KarelDomain& domain)
      : ast_(std::move(ast)), domain_(domain) {}

  std::vector<std::string> tokens() const override { return vocabulary().decode(to_tokens(ast_)); }
  std::string source() const override {
    std::string out;
    for (const std::string& t : tokens()) out += (out.empty() ? "" : " ") + t;
    return out;
  }
  ProgramShape shape() const override {
    const auto& b = ast_.body;
    return {statement_count(b), nesting_depth(b), loop_count(b), branch_count(b)};
  }
  ExecResult execute(const Value& input) const override {
    World w = domain_.world(input);
    ExecResult result;
    result.status = run(ast_, &w, domain_.limits().step_limit);
    if (result.ok()) result.output = world_to_value(w);
    return result;
  }

 private:
  karel::Program ast_;
  const KarelDomain& domain_;
};

// Probe set 1 (a new set needs a new dataset format version): 16 worlds drawn from a fixed seed
// as the generator draws them. Fewer than C's 128 arrays suffice because one world tests a
// program's conditions (frontIsClear, markersPresent, ...) at every cell the hero visits, with
// walls and markers in many places, so a handful of worlds already takes each branch both ways;
// and a world is 327 values and a run up to 1,000 steps, so each probe costs far more.
constexpr int kProbeWorlds = 16;
constexpr uint64_t kProbeSeed = 0x1a5e7b0b5e7ULL;

std::vector<Value> make_probes(const Limits& limits) {
  const Generator generator(limits);
  Rng rng(kProbeSeed);
  std::vector<Value> probes;
  for (int k = 0; k < kProbeWorlds; ++k)
    probes.push_back(world_to_value(generator.sample_world(rng)));
  return probes;
}

}  // namespace

KarelDomain::KarelDomain(const DomainOptions& options)
    : limits_(Limits::from_options(options)), probes_(make_probes(limits_)) {}

const Vocabulary& KarelDomain::vocabulary() const { return karel::vocabulary(); }

ValueLayout KarelDomain::value_layout() const {
  ValueLayout layout;
  layout.kind = ValueLayout::Kind::kGrid;
  layout.channels = kChannels;
  layout.rows = limits_.rows;
  layout.cols = limits_.cols;
  layout.operation_table = false;  // the paper's Karel LaSynth has no operation predictor
  return layout;
}

World KarelDomain::world(const Value& value) const {
  return world_from_value(value, limits_.rows, limits_.cols);
}

bool KarelDomain::ends_statement(const std::vector<std::string>& tokens) const {
  // Outside every loop and branch is inside `m( ... m)` only (depth 1); a condition's `c( c)`
  // opens a level too, so an action is never counted inside one.
  int depth = 0;
  int32_t last = kPad;
  for (const int32_t t : karel::vocabulary().encode(tokens)) {
    const bool opens =
        t == kMOpen || t == kCOpen || t == kIOpen || t == kEOpen || t == kWOpen || t == kROpen;
    const bool closes = t == kMClose || t == kCClose || t == kIClose || t == kEClose ||
                        t == kWClose || t == kRClose;
    depth += opens - closes;
    last = t;
  }
  const bool block_closed =
      last == kIClose || last == kEClose || last == kWClose || last == kRClose;
  return (is_action(last) || block_closed) && depth == 1;
}

void KarelDomain::check_prefix(const std::vector<std::string>& tokens) const {
  parse_prefix(karel::vocabulary().encode(tokens));
}

std::unique_ptr<lasynth::Program> KarelDomain::parse(const std::vector<std::string>& tokens) const {
  return std::make_unique<KarelProgram>(karel::parse(karel::vocabulary().encode(tokens)), *this);
}

std::unique_ptr<lasynth::Program> KarelDomain::parse_source(const std::string& text) const {
  return parse(tokenize(text));
}

ExecResult KarelDomain::execute_prefix(const std::vector<std::string>& tokens, size_t n,
                                       const Value& input) const {
  if (n > tokens.size()) {
    throw ConfigError(
        fmt::format("prefix of {} tokens asked of a program of {}", n, tokens.size()));
  }
  const std::vector<std::string> head(tokens.begin(), tokens.begin() + static_cast<long>(n));
  return KarelProgram(parse_prefix(karel::vocabulary().encode(head)), *this).execute(input);
}

std::unique_ptr<ExampleSampler> KarelDomain::make_sampler(uint64_t seed) const {
  return std::make_unique<Sampler>(limits_, seed);
}

nlohmann::ordered_json KarelDomain::value_to_json(const Value& value) const {
  return world_to_json(world(value));
}

std::string KarelDomain::value_to_text(const Value& value) const {
  return world_to_text(world(value));
}

Value KarelDomain::value_from_json(const nlohmann::json& json) const {
  const World w = world_from_json(json);
  if (w.rows != limits_.rows || w.cols != limits_.cols) {
    throw ParseError(
        fmt::format("grid is {}x{} but this Karel domain's worlds are {}x{}; set "
                    "the options rows={} cols={}",
                    w.rows, w.cols, limits_.rows, limits_.cols, w.rows, w.cols));
  }
  return world_to_value(w);
}

}  // namespace karel
}  // namespace lasynth
