// The Karel vocabulary (version 1): the token format of Devlin et al. 2017 and Bunel et al. 2018,
// so that the public benchmark's programs parse unchanged. A program's text is its tokens joined
// by single spaces, e.g. `DEF run m( WHILE c( frontIsClear c) w( move w) putMarker m)`.
#ifndef LASYNTH_LANG_KAREL_TOKENS_H_
#define LASYNTH_LANG_KAREL_TOKENS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lang/vocabulary.h"

namespace lasynth {
namespace karel {

constexpr int kVocabularyVersion = 1;
constexpr int kMinRepeat = 2;
constexpr int kMaxRepeat = 10;

// clang-format off
enum Tok : int32_t {
  kPad = 0, kBos = 1, kEos = 2,
  kDef, kRun, kMOpen, kMClose,
  kMove, kTurnLeft, kTurnRight, kPickMarker, kPutMarker,
  kFrontIsClear, kLeftIsClear, kRightIsClear, kMarkersPresent, kNoMarkersPresent,
  kNot, kCOpen, kCClose,
  kIf, kIfElse, kElse, kWhile, kRepeat,
  kIOpen, kIClose, kEOpen, kEClose, kWOpen, kWClose, kROpen, kRClose,
  kRepeat0,                                   // kRepeat0 + k is `R=k`, kMinRepeat <= k <= kMaxRepeat
  kNumTokens = kRepeat0 + kMaxRepeat + 1,
};
// clang-format on

inline bool is_action(int32_t t) { return t >= kMove && t <= kPutMarker; }
inline bool is_condition(int32_t t) { return t >= kFrontIsClear && t <= kNoMarkersPresent; }
inline bool is_repeat_count(int32_t t) {
  return t >= kRepeat0 + kMinRepeat && t <= kRepeat0 + kMaxRepeat;
}

// The version-1 vocabulary; built once, shared. Ids kRepeat0 .. kRepeat0 + 1 are placeholders
// (`R=0`, `R=1`) that no program uses, so that `R=k` has id kRepeat0 + k.
const Vocabulary& vocabulary();

// Splits program text on whitespace; throws ParseError naming the position of a word that is not
// a Karel token.
std::vector<std::string> tokenize(const std::string& text);

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_TOKENS_H_
