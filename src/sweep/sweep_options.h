// The settings of `lasynth sweep FILE` (its flags), torch-free like the rest of src/sweep.
#ifndef LASYNTH_SWEEP_SWEEP_OPTIONS_H_
#define LASYNTH_SWEEP_SWEEP_OPTIONS_H_

#include <string>

#include "core/fields.h"

namespace lasynth {
namespace sweep {

struct SweepOptions {
  bool collect = false;  // write OUT/sweep.{json,csv,md,png} instead of running
  bool slurm = false;    // submit the unfinished runs as a SLURM array
  int launch = 0;        // ranks per run through lasynth-launch (0 or 1: one process)
  int only = -1;         // run only the run of this index (-1: every run)
  bool dry_run = false;  // print the commands, run nothing

  // Set by the caller (the positional argument), not a setting.
  std::string file;

  template <typename Visitor>
  static void fields(Visitor& v) {
    using S = SweepOptions;
    v.group("Sweep");
    v("collect", &S::collect, "write OUT/sweep.{json,csv,md,png} from the runs' reports");
    v("slurm", &S::slurm, "submit the unfinished runs as a SLURM array (slurm/sweep.sbatch)");
    v("launch", &S::launch, "ranks per run, through lasynth-launch (default: one process)",
      AtLeast(0));
    v("only", &S::only, "run only the run of this index (from 0)", AtLeast(-1));
    v("dry-run", &S::dry_run, "print the commands, run nothing");
  }
};

}  // namespace sweep
}  // namespace lasynth

#endif  // LASYNTH_SWEEP_SWEEP_OPTIONS_H_
