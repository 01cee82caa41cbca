// PNG plots drawn by gnuplot (installed by scripts/install-deps.sh): metrics against training
// steps, and metrics per run of a sweep. The data and script go to gnuplot's stdin, nothing else
// is written.
#ifndef LASYNTH_CORE_PLOT_H_
#define LASYNTH_CORE_PLOT_H_

#include <string>
#include <vector>

namespace lasynth {

struct Series {
  std::string name;
  std::vector<double> y;  // one value per x
};

// Writes `png` (800 x 500): every series against `x`, with the title and axis labels given.
// Throws IoError when gnuplot is missing or fails (the message says how to install it).
void plot_png(const std::string& png, const std::string& title, const std::string& x_label,
              const std::string& y_label, const std::vector<double>& x,
              const std::vector<Series>& series);

// Writes `png` (900 x 500): a group of bars per label (e.g. the runs of a sweep), one bar per
// series in each. Throws IoError as plot_png.
void plot_bars_png(const std::string& png, const std::string& title, const std::string& y_label,
                   const std::vector<std::string>& labels, const std::vector<Series>& series);

}  // namespace lasynth

#endif  // LASYNTH_CORE_PLOT_H_
