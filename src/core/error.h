// The project's exception types. Libraries throw; only the command-line front ends catch, print one
// line and exit non-zero. Messages name the file, rank, value and what to do about it.
#ifndef LASYNTH_CORE_ERROR_H_
#define LASYNTH_CORE_ERROR_H_

#include <stdexcept>
#include <string>

namespace lasynth {

// Base of every error lasynth raises on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A user-supplied value (flag, config entry, limit) is out of range or inconsistent.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what) {}
};

// Program text or tokens that do not belong to a domain's grammar.
class ParseError : public Error {
 public:
  explicit ParseError(const std::string& what) : Error(what) {}
};

// A file is missing, unreadable, truncated or not what it claims to be.
class IoError : public Error {
 public:
  explicit IoError(const std::string& what) : Error(what) {}
};

// A collective failed, or the ranks of a job disagree (world size, config, shapes); the message
// names the rank and the operation.
class DistError : public Error {
 public:
  explicit DistError(const std::string& what) : Error(what) {}
};

}  // namespace lasynth

#endif  // LASYNTH_CORE_ERROR_H_
