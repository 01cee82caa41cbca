#include "lang/external_format.h"

namespace lasynth {

void ImportReport::skip(const std::string& kind, const std::string& where_why) {
  ++skipped[kind];
  if (first_reasons.size() < 5) first_reasons.push_back(where_why);
}

}  // namespace lasynth
