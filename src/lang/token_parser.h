// The machinery the domains' recursive-descent parsers share: a cursor over token ids whose
// errors name the token position, the token and the reason; a nesting limit, so absurd input
// cannot exhaust the stack; and the prefix mode in which running out of tokens is not an error
// but ends the partial program (see Domain::execute_prefix).
#ifndef LASYNTH_LANG_TOKEN_PARSER_H_
#define LASYNTH_LANG_TOKEN_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lang/vocabulary.h"

namespace lasynth {

class TokenParser {
 public:
  // Thrown in prefix mode when the tokens run out; the statement list being filled catches it.
  struct OutOfTokens {};

 protected:
  // Throws ParseError when there are more than `max_tokens` ids or an id is not one
  // `is_program_token` accepts.
  TokenParser(const std::vector<int32_t>& ids, bool prefix, const Vocabulary& vocab,
              size_t max_tokens, int max_nesting, bool (*is_program_token)(int32_t));

  [[noreturn]] void fail(const std::string& why) const;
  // The current token; past the end Vocabulary::kEos, or OutOfTokens in prefix mode.
  int32_t peek();
  bool peek_is(int32_t t) { return peek() == t; }
  bool accept(int32_t t);
  void expect(int32_t t, const std::string& what);
  // In prefix mode, whether every token has been consumed.
  bool at_end_of_prefix() const { return prefix_ && pos_ == ids_.size(); }

  // Counts one level of nesting for its lifetime; fails past the limit.
  class NestingGuard {
   public:
    explicit NestingGuard(TokenParser* parser);
    ~NestingGuard() { --parser_->nesting_; }

   private:
    TokenParser* parser_;
  };

  const std::vector<int32_t>& ids_;
  const bool prefix_;
  size_t pos_ = 0;
  bool truncated_ = false;  // a prefix ran out inside a statement list

 private:
  const Vocabulary& vocab_;
  const int max_nesting_;
  int nesting_ = 0;
};

}  // namespace lasynth

#endif  // LASYNTH_LANG_TOKEN_PARSER_H_
