#include "lang/domain.h"

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
