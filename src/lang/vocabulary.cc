#include "lang/vocabulary.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/hash.h"

namespace lasynth {

Vocabulary::Vocabulary(std::string domain, int version, const std::vector<std::string>& tokens)
    : domain_(std::move(domain)), version_(version) {
  tokens_ = {"<pad>", "<s>", "</s>"};
  tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());
  uint64_t h = fnv1a64(fmt::format("{}/v{}", domain_, version_));
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (!ids_.emplace(tokens_[i], static_cast<int32_t>(i)).second) {
      throw ConfigError(fmt::format("vocabulary {} v{}: token '{}' appears twice", domain_,
                                    version_, tokens_[i]));
    }
    h = fnv1a64(tokens_[i], h);
    h = fnv1a64(std::string_view("\0", 1), h);
  }
  hash_ = h;
}

int32_t Vocabulary::find(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int32_t> Vocabulary::encode(const std::vector<std::string>& tokens) const {
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    int32_t id = find(tokens[i]);
    if (id < 0) {
      throw ParseError(fmt::format("token {} '{}' is not in the {} vocabulary (v{}, {} tokens)", i,
                                   tokens[i], domain_, version_, size()));
    }
    ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> Vocabulary::decode(const std::vector<int32_t>& ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= size()) {
      throw ParseError(
          fmt::format("token id {} at position {} is outside the {} vocabulary "
                      "(0..{})",
                      ids[i], i, domain_, size() - 1));
    }
    tokens.push_back(tokens_[ids[i]]);
  }
  return tokens;
}

std::string Vocabulary::hash_hex() const { return hex64(hash_); }

}  // namespace lasynth
