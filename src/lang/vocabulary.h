// A closed, versioned token vocabulary: token <-> id, with a stable hash that datasets and
// checkpoints record so that a mismatch is caught before any training or decoding happens.
#ifndef LASYNTH_LANG_VOCABULARY_H_
#define LASYNTH_LANG_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lasynth {

// Immutable after construction; safe to share between threads.
class Vocabulary {
 public:
  // Every vocabulary starts with these ids, so padding and sequence markers mean the same in all
  // domains.
  static constexpr int32_t kPad = 0;
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;

  // `tokens` are the domain's tokens; the three specials are prepended.
  // REQUIRES: no duplicates, none equal to a special.
  Vocabulary(std::string domain, int version, const std::vector<std::string>& tokens);

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  int version() const { return version_; }
  const std::string& domain() const { return domain_; }

  // Id of `token`, or -1 when it is not in the vocabulary.
  int32_t find(std::string_view token) const;

  // REQUIRES: 0 <= id < size().
  const std::string& token(int32_t id) const { return tokens_[id]; }

  // Ids of `tokens`; throws ParseError naming the first unknown token and its position.
  std::vector<int32_t> encode(const std::vector<std::string>& tokens) const;

  // Tokens of `ids`; throws ParseError naming the first id out of range.
  std::vector<std::string> decode(const std::vector<int32_t>& ids) const;

  // FNV-1a over the domain, version and every token in order.
  uint64_t hash() const { return hash_; }
  std::string hash_hex() const;

  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::string domain_;
  int version_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> ids_;
  uint64_t hash_;
};

}  // namespace lasynth

#endif  // LASYNTH_LANG_VOCABULARY_H_
