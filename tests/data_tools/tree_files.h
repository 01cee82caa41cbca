// Every file under a directory, by relative path, with its bytes: for comparing dataset trees.
#ifndef LASYNTH_TESTS_DATA_TOOLS_TREE_FILES_H_
#define LASYNTH_TESTS_DATA_TOOLS_TREE_FILES_H_

#include <filesystem>
#include <map>
#include <string>

#include "test_files.h"

namespace lasynth {
namespace testing {

inline std::map<std::string, std::string> files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[std::filesystem::relative(e.path(), dir).string()] = read_file(e.path().string());
    }
  }
  return out;
}

}  // namespace testing
}  // namespace lasynth

#endif  // LASYNTH_TESTS_DATA_TOOLS_TREE_FILES_H_
