// PNG line plots of metrics against training steps, drawn by gnuplot (installed by
// scripts/install-deps.sh): the data and script go to gnuplot's stdin, nothing else is written.
#ifndef LASYNTH_EVAL_PLOT_H_
#define LASYNTH_EVAL_PLOT_H_

#include <string>
#include <vector>

namespace lasynth {
namespace eval {

struct Series {
  std::string name;
  std::vector<double> y;  // one value per x
};

// Writes `png` (800 x 500): every series against `x`, with the title and axis labels given.
// Throws IoError when gnuplot is missing or fails (the message says how to install it).
void plot_png(const std::string& png, const std::string& title, const std::string& x_label,
              const std::string& y_label, const std::vector<double>& x,
              const std::vector<Series>& series);

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_PLOT_H_
