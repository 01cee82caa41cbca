// Settings declared once. A component's options struct gives each setting a default (the member's
// initializer) and lists it, with its key and help, in one static member template:
//
//   struct TrainOptions {
//     int64_t batch_size = 8;
//     template <typename Visitor>
//     static void fields(Visitor& v) {
//       v.group("Training");
//       v("batch_size", &TrainOptions::batch_size, "examples per step per process", AtLeast(1));
//     }
//   };
//
// Every reader and writer of settings walks that list: the command-line flags and --help
// (src/app/), config files (keys are the flags' names), the config a checkpoint records, and the
// round trip of both in tests. A struct may hold other members (paths or pointers its caller sets
// at run time): those are not settings and stay out of the list.
//
// Member types: bool, int, int64_t, uint64_t, double, std::string.
#ifndef LASYNTH_CORE_FIELDS_H_
#define LASYNTH_CORE_FIELDS_H_

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace lasynth {

// The values a setting accepts (a numeric range, or a list of words); checked wherever a value is
// read: flags, config files, checkpoints.
struct Check {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // for text: the accepted words (empty: any)
};
inline Check AtLeast(double min) { return Check{min, std::numeric_limits<double>::infinity(), {}}; }
inline Check Between(double min, double max) { return Check{min, max, {}}; }
inline Check OneOf(std::vector<std::string> words) {
  Check c;
  c.choices = std::move(words);
  return c;
}

// "at least 1", "in [0, 1]", "one of adam, sgd, rmsprop"; "" when anything goes.
inline std::string describe(const Check& c) {
  if (!c.choices.empty()) return fmt::format("one of {}", fmt::join(c.choices, ", "));
  const double inf = std::numeric_limits<double>::infinity();
  if (c.min == -inf && c.max == inf) return "";
  if (c.max == inf) return fmt::format("at least {}", c.min);
  if (c.min == -inf) return fmt::format("at most {}", c.max);
  return fmt::format("in [{}, {}]", c.min, c.max);
}

// Throws ConfigError naming `where`, `key` and the accepted values when `value` fails `check`.
template <typename T>
void check_value(const std::string& where, const char* key, const T& value, const Check& check) {
  bool ok = true;
  if constexpr (std::is_same_v<T, std::string>) {
    ok = check.choices.empty() ||
         std::find(check.choices.begin(), check.choices.end(), value) != check.choices.end();
  } else if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    const double v = static_cast<double>(value);
    ok = v >= check.min && v <= check.max;
  }
  if (!ok) {
    throw ConfigError(fmt::format("{}{} = {}: must be {}", where, key, value, describe(check)));
  }
}

namespace fields_detail {

// Writes every listed setting of an object into a JSON object, in the list's order.
template <typename S>
class JsonWriter {
 public:
  JsonWriter(const S& object, nlohmann::ordered_json* out) : object_(object), out_(out) {}
  void group(const char*) {}
  template <typename T>
  void operator()(const char* key, T S::*member, const char*, const Check& = {}) {
    (*out_)[key] = object_.*member;
  }

 private:
  const S& object_;
  nlohmann::ordered_json* out_;
};

// Reads the listed settings that a JSON object holds; other keys are left to other structs.
template <typename S>
class JsonReader {
 public:
  JsonReader(const nlohmann::json& in, const std::string& where, S* object)
      : in_(in), where_(where), object_(object) {}
  void group(const char*) {}
  template <typename T>
  void operator()(const char* key, T S::*member, const char*, const Check& check = {}) {
    const auto it = in_.find(key);
    if (it == in_.end()) return;
    T value;
    try {
      value = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      throw ConfigError(
          fmt::format("{}{} = {}: not a value of the right type", where_, key, it->dump()));
    }
    check_value(where_, key, value, check);
    object_->*member = value;
  }

 private:
  const nlohmann::json& in_;
  const std::string& where_;
  S* object_;
};

class KeyLister {
 public:
  explicit KeyLister(std::vector<std::string>* keys) : keys_(keys) {}
  void group(const char*) {}
  template <typename S, typename T>
  void operator()(const char* key, T S::*, const char*, const Check& = {}) {
    keys_->push_back(key);
  }

 private:
  std::vector<std::string>* keys_;
};

}  // namespace fields_detail

// The settings of `object` as a JSON object {key: value}, in the order S::fields lists them.
template <typename S>
nlohmann::ordered_json fields_to_json(const S& object) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  fields_detail::JsonWriter<S> writer(object, &out);
  S::fields(writer);
  return out;
}

// Sets the settings of `object` that `in` (a JSON object) holds; keys S does not list are
// ignored. Throws ConfigError naming `where` (e.g. "run/ckpt-10.pt: ") and the key for a value
// of the wrong type or one its check refuses.
template <typename S>
void fields_from_json(const nlohmann::json& in, S* object, const std::string& where = "") {
  fields_detail::JsonReader<S> reader(in, where, object);
  S::fields(reader);
}

// The keys S lists, in order.
template <typename S>
std::vector<std::string> field_keys() {
  std::vector<std::string> keys;
  fields_detail::KeyLister lister(&keys);
  S::fields(lister);
  return keys;
}

}  // namespace lasynth

#endif  // LASYNTH_CORE_FIELDS_H_
