#include "lang/karel/tokens.h"

#include <fmt/format.h>

#include <sstream>

#include "core/error.h"

namespace lasynth {
namespace karel {

const Vocabulary& vocabulary() {
  static const Vocabulary* vocab = [] {
    std::vector<std::string> t = {"DEF",
                                  "run",
                                  "m(",
                                  "m)",
                                  "move",
                                  "turnLeft",
                                  "turnRight",
                                  "pickMarker",
                                  "putMarker",
                                  "frontIsClear",
                                  "leftIsClear",
                                  "rightIsClear",
                                  "markersPresent",
                                  "noMarkersPresent",
                                  "not",
                                  "c(",
                                  "c)",
                                  "IF",
                                  "IFELSE",
                                  "ELSE",
                                  "WHILE",
                                  "REPEAT",
                                  "i(",
                                  "i)",
                                  "e(",
                                  "e)",
                                  "w(",
                                  "w)",
                                  "r(",
                                  "r)"};
    for (int k = 0; k <= kMaxRepeat; ++k) t.push_back(fmt::format("R={}", k));
    auto* v = new Vocabulary("karel", kVocabularyVersion, t);
    if (v->size() != kNumTokens) throw Error("Karel vocabulary and Tok disagree");
    return v;
  }();
  return *vocab;
}

std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> tokens;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    const int32_t id = vocabulary().find(word);
    if (id < 0 || id < kDef || (id >= kRepeat0 && !is_repeat_count(id))) {
      throw ParseError(fmt::format(
          "word {} '{}' is not a Karel token (actions move turnLeft turnRight pickMarker "
          "putMarker, conditions frontIsClear leftIsClear rightIsClear markersPresent "
          "noMarkersPresent, control DEF IF IFELSE ELSE WHILE REPEAT R={}..R={}, brackets m( c( "
          "i( e( w( r( and their closers)",
          tokens.size(), word.size() > 40 ? word.substr(0, 40) + "..." : word, kMinRepeat,
          kMaxRepeat));
    }
    tokens.push_back(std::move(word));
  }
  return tokens;
}

}  // namespace karel
}  // namespace lasynth
