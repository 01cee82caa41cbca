#include "lang/token_parser.h"

#include <fmt/format.h>

#include "core/error.h"

namespace lasynth {

TokenParser::TokenParser(const std::vector<int32_t>& ids, bool prefix, const Vocabulary& vocab,
                         size_t max_tokens, int max_nesting, bool (*is_program_token)(int32_t))
    : ids_(ids), prefix_(prefix), vocab_(vocab), max_nesting_(max_nesting) {
  if (ids.size() > max_tokens) {
    throw ParseError(
        fmt::format("program has {} tokens; the longest accepted is {}", ids.size(), max_tokens));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!is_program_token(ids[i])) {
      throw ParseError(
          fmt::format("token {}: id {} is not a {} program token", i, ids[i], vocab.domain()));
    }
  }
}

void TokenParser::fail(const std::string& why) const {
  if (pos_ < ids_.size()) {
    throw ParseError(fmt::format("token {} '{}': {}", pos_, vocab_.token(ids_[pos_]), why));
  }
  throw ParseError(fmt::format("end of input after {} tokens: {}", ids_.size(), why));
}

int32_t TokenParser::peek() {
  if (pos_ >= ids_.size()) {
    if (prefix_) throw OutOfTokens{};
    return Vocabulary::kEos;
  }
  return ids_[pos_];
}

bool TokenParser::accept(int32_t t) {
  if (peek() != t) return false;
  ++pos_;
  return true;
}

void TokenParser::expect(int32_t t, const std::string& what) {
  if (!accept(t)) fail("expected " + what);
}

TokenParser::NestingGuard::NestingGuard(TokenParser* parser) : parser_(parser) {
  if (++parser_->nesting_ > parser_->max_nesting_) {
    --parser_->nesting_;
    parser_->fail(fmt::format("nested deeper than {} levels", parser_->max_nesting_));
  }
}

}  // namespace lasynth
