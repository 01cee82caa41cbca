// The restricted-C domain behind the Domain interface.
#ifndef LASYNTH_LANG_C_C_DOMAIN_H_
#define LASYNTH_LANG_C_C_DOMAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "lang/c/limits.h"
#include "lang/domain.h"

namespace lasynth {
namespace c {

// Immutable after construction; thread-safe.
class CDomain : public Domain {
 public:
  // Throws ConfigError for an unknown option or a value out of range.
  explicit CDomain(const DomainOptions& options);

  static std::vector<DomainOptionSpec> option_specs() { return Limits::specs(); }
  const Limits& limits() const { return limits_; }

  const std::string& name() const override { return name_; }
  const Vocabulary& vocabulary() const override;
  std::vector<int64_t> value_shape() const override { return {limits_.array_len}; }
  ValueLayout value_layout() const override;
  int io_pairs() const override { return limits_.io_pairs; }
  int num_spec() const override { return limits_.num_spec; }
  DomainOptions options() const override { return limits_.to_options(); }

  std::vector<std::string> fixed_prefix() const override;
  bool ends_statement(const std::vector<std::string>& tokens) const override;
  std::unique_ptr<lasynth::Program> closed_program(
      const std::vector<std::string>& tokens) const override;
  void check_prefix(const std::vector<std::string>& tokens) const override;
  std::unique_ptr<Program> parse(const std::vector<std::string>& tokens) const override;
  std::unique_ptr<Program> parse_source(const std::string& text) const override;
  ExecResult execute_prefix(const std::vector<std::string>& tokens, size_t n,
                            const Value& input) const override;
  std::unique_ptr<ExampleSampler> make_sampler(uint64_t seed) const override;
  const std::vector<Value>& probe_inputs() const override { return probes_; }
  nlohmann::ordered_json value_to_json(const Value& value) const override;
  std::string value_to_text(const Value& value) const override;
  Value value_from_json(const nlohmann::json& json) const override;

 private:
  std::string name_ = "c";
  Limits limits_;
  std::vector<Value> probes_;
};

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_C_DOMAIN_H_
