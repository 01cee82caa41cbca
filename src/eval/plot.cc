#include "eval/plot.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace lasynth {
namespace eval {
namespace {

// gnuplot reads strings in double quotes: keep them plain.
std::string quoted(std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\\' || c == '\n') c = ' ';
  }
  return "\"" + text + "\"";
}

}  // namespace

void plot_png(const std::string& png, const std::string& title, const std::string& x_label,
              const std::string& y_label, const std::vector<double>& x,
              const std::vector<Series>& series) {
  // From 0; when every value is 0 (an untrained model), up to 1 rather than gnuplot's warning.
  double top = 0;
  for (const Series& s : series) {
    for (double y : s.y) top = std::max(top, y);
  }
  std::string script = fmt::format(
      "set terminal png size 800,500 noenhanced\nset output {}\nset title {}\nset xlabel {}\n"
      "set ylabel {}\nset yrange [0:{}]\nset key outside right\nset grid\n",
      quoted(png), quoted(title), quoted(x_label), quoted(y_label), top > 0 ? "*" : "1");
  script += "plot ";
  for (size_t s = 0; s < series.size(); ++s) {
    script += fmt::format("{}'-' using 1:2 with linespoints title {}", s ? ", " : "",
                          quoted(series[s].name));
  }
  script += "\n";
  for (const Series& s : series) {
    for (size_t i = 0; i < x.size() && i < s.y.size(); ++i) {
      script += fmt::format("{} {}\n", x[i], s.y[i]);
    }
    script += "e\n";
  }
  FILE* pipe = popen("gnuplot 2>&1", "w");
  if (!pipe) throw IoError(fmt::format("{}: cannot start gnuplot", png));
  fwrite(script.data(), 1, script.size(), pipe);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw IoError(fmt::format(
        "{}: gnuplot failed or is missing (exit status {}); scripts/install-deps.sh installs "
        "gnuplot-nox",
        png, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
}

}  // namespace eval
}  // namespace lasynth
