// Sweeps (lasynth sweep FILE.yaml): a base config, flags for every run and a grid; each point of
// the grid is a run directory trained and evaluated by lasynth itself, one after another, under
// lasynth-launch, or as a SLURM array (slurm/sweep.sbatch). Finished runs (those with a report)
// are skipped on a re-run; --collect tables every run's report.
//
//   base: ../quickstart.yaml          # a lasynth config, relative to the sweep file
//   out: runs/ablation-c              # run directories go under it (relative to where it runs)
//   flags: {data_folder: runs/quickstart/data, max_steps: 1500}     # every run
//   eval: {split: test, beam: 8}      # flags of each run's evaluation
//   greedy: true                      # and a second one at beam 1, the paper's figure
//                                     # (report-greedy.json; default false)
//   grid:                             # the product of every axis, in file order
//     model:                          # a map: named variants, each a set of flags
//       lasynth: {latent_execution: true, operation_predictor: true}
//       robustfill: {}
//     lr: [0.001, 0.003]              # a list: values of the flag of that name
//
// Run names join the variant names and KEY-VALUE for list axes ("lasynth_lr-0.001"); each run's
// directory holds config.yaml (base < flags < point), model/, report.json (report-greedy.json)
// and log.txt.
#ifndef LASYNTH_SWEEP_SWEEP_H_
#define LASYNTH_SWEEP_SWEEP_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lasynth {
namespace sweep {

struct Run {
  std::string name;
  std::string dir;
  // The point's values by axis, as shown in tables: {"model": "lasynth", "lr": "0.001"}.
  std::vector<std::pair<std::string, std::string>> point;
  // The whole config of the run (base, flags, point), flag name -> YAML scalar text.
  std::map<std::string, std::string> config;
};

struct Sweep {
  std::string file;
  std::string out;
  std::vector<std::string> axes;
  std::map<std::string, std::string> eval;  // eval flag -> value
  bool greedy = false;  // each run also evaluated with eval's flags at beam 1
  std::vector<Run> runs;
};

// Reads and expands a sweep file. Throws ConfigError naming the file and the key at fault.
Sweep load_sweep(const std::string& file);

// Whether the run finished: its report is there (and its greedy report, when the sweep asks).
bool finished(const Sweep& sweep, const Run& run);

struct RunnerOptions {
  std::string lasynth;  // the lasynth program
  // Prefix of each train/eval command, e.g. {"/path/lasynth-launch", "-n", "2", "--"}; empty:
  // lasynth alone.
  std::vector<std::string> launch;
  int only = -1;  // run only this index (a SLURM array task); -1: every run
  bool dry_run = false;
};

// Trains (resuming what an interrupted run left) and evaluates every unfinished run, printing a
// line per run; a failed run is reported and the others still run. Returns how many failed.
int run_sweep(const Sweep& sweep, const RunnerOptions& options);

// The commands of a run (train, eval, and the greedy eval when the sweep asks), for --dry-run
// and the runner, which leaves out those whose output is there: a run evaluated before the
// sweep asked for greedy gets only that evaluation.
std::vector<std::vector<std::string>> run_commands(const Sweep& sweep, const Run& run,
                                                   const RunnerOptions& options);

// The sbatch command that runs the runs numbered in `tasks` ("0,2,3") as an array of
// slurm/sweep.sbatch (a path relative to the lasynth checkout), each array task asking for
// `ntasks` SLURM tasks (lasynth-launch ranks; at least 1), its output in OUT/slurm-%A_%a.out.
// One word per argument: paths with spaces stay whole.
std::vector<std::string> slurm_submit_argv(const Sweep& sweep, int ntasks,
                                           const std::string& tasks);

// Submits the unfinished runs as a SLURM array with sbatch (slurm_submit_argv), after printing
// "sweep: <the command, shell-quoted>"; with dry_run only prints it. Run from the lasynth
// checkout. Returns 0 when submitted (or when every run is finished, which it says), 1 when
// sbatch failed (its own message says why). Throws ConfigError without slurm/sweep.sbatch here.
int submit_to_slurm(const Sweep& sweep, int ntasks, bool dry_run);

// Writes OUT/sweep.{json,csv,md,png}: per run its point, steps, metrics of its report and
// training examples/s; runs not finished are listed as such. Returns the JSON.
nlohmann::ordered_json collect(const Sweep& sweep);

}  // namespace sweep
}  // namespace lasynth

#endif  // LASYNTH_SWEEP_SWEEP_H_
