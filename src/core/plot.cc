#include "core/plot.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace lasynth {
namespace {

// gnuplot reads strings in double quotes: keep them plain.
std::string quoted(std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\\' || c == '\n') c = ' ';
  }
  return "\"" + text + "\"";
}

// Runs gnuplot on `script`; throws IoError naming `png` when it is missing or fails.
void run_gnuplot(const std::string& png, const std::string& script) {
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

// From 0; when every value is 0 (an untrained model), up to 1 rather than gnuplot's warning.
const char* y_top(const std::vector<Series>& series) {
  double top = 0;
  for (const Series& s : series) {
    for (double y : s.y) top = std::max(top, y);
  }
  return top > 0 ? "*" : "1";
}

}  // namespace

void plot_png(const std::string& png, const std::string& title, const std::string& x_label,
              const std::string& y_label, const std::vector<double>& x,
              const std::vector<Series>& series) {
  std::string script = fmt::format(
      "set terminal png size 800,500 noenhanced\nset output {}\nset title {}\nset xlabel {}\n"
      "set ylabel {}\nset yrange [0:{}]\nset key outside right\nset grid\n",
      quoted(png), quoted(title), quoted(x_label), quoted(y_label), y_top(series));
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
  run_gnuplot(png, script);
}

void plot_bars_png(const std::string& png, const std::string& title, const std::string& y_label,
                   const std::vector<std::string>& labels, const std::vector<Series>& series) {
  std::string script = fmt::format(
      "set terminal png size 900,500 noenhanced\nset output {}\nset title {}\nset ylabel {}\n"
      "set yrange [0:{}]\nset style data histogram\nset style histogram cluster gap 1\n"
      "set style fill solid border -1\nset xtics rotate by -25\nset key outside right\n"
      "set grid ytics\n",
      quoted(png), quoted(title), quoted(y_label), y_top(series));
  script += "plot ";
  for (size_t s = 0; s < series.size(); ++s) {
    script += fmt::format("{}'-' using 2:xtic(1) title {}", s ? ", " : "", quoted(series[s].name));
  }
  script += "\n";
  for (const Series& s : series) {
    for (size_t i = 0; i < labels.size() && i < s.y.size(); ++i) {
      script += fmt::format("{} {}\n", quoted(labels[i]), s.y[i]);
    }
    script += "e\n";
  }
  run_gnuplot(png, script);
}

}  // namespace lasynth
