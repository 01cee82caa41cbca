// The interface through which everything above src/lang/ (data, models, training, evaluation,
// retraining) sees a program-synthesis domain. Nothing above this layer names a domain.
//
// Values: one program input or output is a flat int32 array whose shape the domain gives
// (restricted C: the array's {length}; Karel: its grid encoding), and whose layout the models
// read (ValueLayout: they dispatch on it, never on a name). An example is a program with K
// input/output pairs; the first num_spec() pairs specify it and the rest are held out to check
// that a synthesized program generalizes.
#ifndef LASYNTH_LANG_DOMAIN_H_
#define LASYNTH_LANG_DOMAIN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lang/vocabulary.h"

namespace lasynth {

using Value = std::vector<int32_t>;

// How an execution ended. Every failure is typed; none is undefined behaviour in our process.
enum class ExecStatus : uint8_t {
  kOk = 0,
  kDivisionByZero,   // `/` or `%` by zero
  kOverflow,         // INT_MIN / -1 or INT_MIN % -1, which trap on real hardware
  kIndexOutOfRange,  // an array index outside [0, length)
  kStepLimit,        // more steps than the domain's step limit (e.g. an endless loop)
  kCrash,            // a domain action that is not allowed in the current state (Karel)
};

// A short stable name, e.g. "division_by_zero".
const char* exec_status_name(ExecStatus status);

struct ExecResult {
  ExecStatus status = ExecStatus::kOk;
  Value output;  // meaningful only when status == kOk
  bool ok() const { return status == ExecStatus::kOk; }
};

struct IoPair {
  Value input;
  Value output;
};

// A program with its input/output pairs, as the generator produces it.
struct Example {
  std::vector<std::string> tokens;  // the program in the domain's token format
  std::string source;               // the same program as readable text
  std::vector<IoPair> io;           // io.size() == Domain::io_pairs()
};

// A program's size and control structure (`lasynth-data stats`): statements and the loops and
// branches among them, nested ones included; depth: how deeply loops and branches nest, 0 for
// straight-line code.
struct ProgramShape {
  int statements = 0, depth = 0, loops = 0, branches = 0;
};

// A parsed program. Immutable; safe to execute from several threads at once.
class Program {
 public:
  virtual ~Program() = default;
  virtual std::vector<std::string> tokens() const = 0;
  virtual std::string source() const = 0;
  // Runs the program on `input`. REQUIRES: input.size() == the domain's value size.
  virtual ExecResult execute(const Value& input) const = 0;
  virtual ProgramShape shape() const = 0;
};

// Draws accepted examples one after another. Not thread-safe: one sampler per worker. Programs it
// returned before are never returned again (compared by canonical form).
class ExampleSampler {
 public:
  virtual ~ExampleSampler() = default;
  virtual Example next() = 0;
  // Programs drawn and why each rejected one was rejected, e.g. {"accepted", 10}, {"failed", 3}.
  virtual std::map<std::string, int64_t> counters() const = 0;
};

// How a domain's values look to a model, which picks its value network by `kind` and sizes it by
// the rest, so that the models work with any domain of either layout.
struct ValueLayout {
  enum class Kind : uint8_t {
    // `length` ints; inputs in [-range, range], outputs in [-output_range, output_range], which
    // is at most 4 range (the reach of the value embedding): the original's latent executor
    // scores the 2 output_range + 1 output values.
    kArray,
    // A world of rows x cols cells: [hero_row, hero_col, hero_dir (0..3), then the cells
    // row-major, -1 a wall, else a marker count]. A model sees it as `channels` feature planes:
    // 4 for the hero's directions, 1 for walls, 1 for each marker count from 0 up.
    kGrid,
  };
  Kind kind = Kind::kArray;
  int64_t length = 0, range = 0, output_range = 0;  // kArray
  int64_t channels = 0, rows = 0, cols = 0;         // kGrid
  // Whether the operation predictor's table of +c/-c operations on each array position (c in
  // [-range, range]) describes how these values change.
  bool operation_table = false;
};

// Settings of a domain (its limits) by name, as given on a command line or in a config file.
using DomainOptions = std::map<std::string, std::string>;

// One settable limit of a domain, for --help and for validation.
struct DomainOptionSpec {
  std::string key;            // e.g. "max_locals"; the command-line flag is --max-locals
  std::string default_value;  // as text
  std::string help;
};

// Immutable after construction; every method may be called from several threads at once.
class Domain {
 public:
  virtual ~Domain() = default;

  virtual const std::string& name() const = 0;
  virtual const Vocabulary& vocabulary() const = 0;

  // Shape of one input or output value; their product is the Value's size.
  virtual std::vector<int64_t> value_shape() const = 0;
  virtual ValueLayout value_layout() const = 0;
  // Pairs per example, and how many of them form the specification.
  virtual int io_pairs() const = 0;
  virtual int num_spec() const = 0;
  // The limits in force, all keys present, as text.
  virtual DomainOptions options() const = 0;

  // The tokens every program of the domain begins with, which the models neither read nor decode
  // (batches leave them out, decoding puts them back): C's header `int * func_1 ( int a [ ] )`,
  // since the original decodes from `{`. Karel decodes whole programs, as Bunel et al.'s.
  virtual std::vector<std::string> fixed_prefix() const { return {}; }
  std::vector<int32_t> fixed_prefix_ids() const { return vocabulary().encode(fixed_prefix()); }

  // Whether `tokens`, the start of a program (fixed prefix included), end with a complete
  // statement outside every loop and branch, so that executing them (execute_prefix) runs exactly
  // what every completion runs first: a failure there is a failure of every program that begins
  // so. Execution-guided search prunes at these points only, since a prefix cut inside a loop may
  // fail where the whole loop does not (a `while` body before its counter's increment).
  virtual bool ends_statement(const std::vector<std::string>& tokens) const = 0;
  // The program that `tokens`, the start of a program (fixed prefix included), already determine
  // when they end a statement at any depth: every open block closed, what execute_prefix runs.
  // Null when they end none, or where the domain closes no programs (the default). Throws
  // ParseError when no program begins with `tokens`.
  virtual std::unique_ptr<Program> closed_program(const std::vector<std::string>& tokens) const {
    (void)tokens;
    return nullptr;
  }
  // Throws ParseError, naming the token and the reason, when no program begins with `tokens`.
  virtual void check_prefix(const std::vector<std::string>& tokens) const = 0;

  // Throws ParseError naming the offending token and the reason.
  virtual std::unique_ptr<Program> parse(const std::vector<std::string>& tokens) const = 0;
  virtual std::unique_ptr<Program> parse_source(const std::string& text) const = 0;

  // Runs what the first `n` tokens of a possibly unfinished program already say: the statement
  // being written is dropped and open blocks are closed. This is the partial program whose effect
  // the latent executor learns. REQUIRES: n <= tokens.size().
  virtual ExecResult execute_prefix(const std::vector<std::string>& tokens, size_t n,
                                    const Value& input) const = 0;

  // A sampler whose stream depends only on `seed`.
  virtual std::unique_ptr<ExampleSampler> make_sampler(uint64_t seed) const = 0;

  // The fixed inputs on which a program's behaviour is read (behaviour_signature), drawn once
  // from a fixed seed for these limits. Part of the dataset format: splits are chosen by
  // behaviour, so changing the probes needs a new data::kFormatVersion.
  virtual const std::vector<Value>& probe_inputs() const = 0;

  // JSON keeps key order as written (the layouts are read by people too).
  virtual nlohmann::ordered_json value_to_json(const Value& value) const = 0;
  // Throws ParseError when `json` is not a value of this domain.
  virtual Value value_from_json(const nlohmann::json& json) const = 0;
  // A readable rendering, possibly several lines (a Karel grid is a picture).
  virtual std::string value_to_text(const Value& value) const = 0;
};

// What `program` does on the domain's probe inputs, hashed: each probe's output, or how it
// failed. Two programs with equal signatures almost always compute the same function, whatever
// their text (the probe counts say why), which is what keeps a test function out of training.
uint64_t behaviour_signature(const Domain& domain, const Program& program);

// The JSON-lines layout of DESIGN.md: {"source", "tokens", "io": [{"input", "output"}, ...]}.
nlohmann::ordered_json example_to_json(const Domain& domain, const Example& example);

}  // namespace lasynth

#endif  // LASYNTH_LANG_DOMAIN_H_
