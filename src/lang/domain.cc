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

nlohmann::json example_to_json(const Domain& domain, const Example& example) {
  nlohmann::json io = nlohmann::json::array();
  for (const IoPair& pair : example.io) {
    io.push_back({{"input", domain.value_to_json(pair.input)},
                  {"output", domain.value_to_json(pair.output)}});
  }
  return {{"source", example.source}, {"tokens", example.tokens}, {"io", std::move(io)}};
}

}  // namespace lasynth
