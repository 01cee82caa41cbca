// Runs a command-line tool as a user would: a shell command, its output and exit status.
#ifndef LASYNTH_TESTS_DATA_TOOLS_RUN_TOOL_H_
#define LASYNTH_TESTS_DATA_TOOLS_RUN_TOOL_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace lasynth {
namespace testing {

struct Result {
  int exit_code;
  std::string out;  // stdout, or stdout and stderr together when asked
};

inline Result run_command(const std::string& cmd, bool with_stderr = false) {
  FILE* pipe = popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!pipe) return {-1, ""};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace testing
}  // namespace lasynth

#endif  // LASYNTH_TESTS_DATA_TOOLS_RUN_TOOL_H_
