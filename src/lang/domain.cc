#include "lang/domain.h"

#include <string>

#include "core/hash.h"

namespace lasynth {

const char* exec_status_name(ExecStatus status) {
  switch (status) {
    case ExecStatus::kOk:
      return "ok";
    case ExecStatus::kDivisionByZero:
      return "division_by_zero";
    case ExecStatus::kOverflow:
      return "overflow";
    case ExecStatus::kIndexOutOfRange:
      return "index_out_of_range";
    case ExecStatus::kStepLimit:
      return "step_limit";
    case ExecStatus::kCrash:
      return "crash";
  }
  return "unknown";
}

uint64_t behaviour_signature(const Domain& domain, const Program& program) {
  uint64_t h = fnv1a64("lasynth-behaviour");
  for (const Value& input : domain.probe_inputs()) {
    const ExecResult r = program.execute(input);
    // Little-endian bytes whatever the host, so that a dataset's splits are the same everywhere.
    std::string bytes(1, static_cast<char>(r.status));
    for (int32_t x : r.output) {
      const auto u = static_cast<uint32_t>(x);
      for (int shift = 0; shift < 32; shift += 8) bytes += static_cast<char>((u >> shift) & 0xff);
    }
    h = fnv1a64(bytes, h);
  }
  return h;
}

nlohmann::ordered_json example_to_json(const Domain& domain, const Example& example) {
  nlohmann::ordered_json io = nlohmann::ordered_json::array();
  for (const IoPair& pair : example.io) {
    nlohmann::ordered_json p;
    p["input"] = domain.value_to_json(pair.input);
    p["output"] = domain.value_to_json(pair.output);
    io.push_back(std::move(p));
  }
  nlohmann::ordered_json j;
  j["source"] = example.source;
  j["tokens"] = example.tokens;
  j["io"] = std::move(io);
  return j;
}

}  // namespace lasynth
