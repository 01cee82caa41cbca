// lasynth: train and evaluate program-synthesis models.
//
//   lasynth train --data_folder DATA --model_dir RUN [--max_steps N] [--config FILE.yaml]
//   lasynth eval  --data_folder DATA --load_model RUN/ckpt-N.pt --report report.json
//   lasynth eval  --data_folder DATA --checkpoints RUN        metric vs step of every checkpoint
//   lasynth synthesize --load_model RUN --examples io.json   a program for your examples
//   lasynth retrain --data_folder DATA --model_dir RUN [--load_model M] --rounds 2   retraining
//   lasynth sweep FILE.yaml [--launch 2 | --slurm] [--collect]  a grid of runs, then their table
//   lasynth --data_folder DATA --model_dir RUN [--eval]      the original run.py's spelling
//   mpirun -np 2 lasynth train ...                         data-parallel: one process per core
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "app/flags.h"
#include "core/error.h"
#include "dist/communicator.h"
#include "dist/heartbeat_client.h"
#include "dist/mpi_communicator.h"
#include "dist/world.h"
#include "eval/checkpoint_eval.h"
#include "eval/evaluate.h"
#include "eval/synthesize.h"
#include "lang/domains.h"
#include "retrain/retrain.h"
#include "sweep/sweep.h"
#include "train/preemption.h"
#include "train/trainer.h"

namespace lasynth {
namespace app {
namespace {

// One thread per process: on CPU lasynth runs one process per core (DESIGN.md), and with the
// small tensors of token-by-token decoding, OpenMP threads spend most of their time spinning
// (measured: 85% of the cycles in libgomp with 2 threads). LASYNTH_THREADS asks for more, at
// most as many as leave every rank of this node its share of the cores.
int threads_per_process(const dist::World& world) {
  const char* forced = std::getenv("LASYNTH_THREADS");
  if (!forced) return 1;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp(std::atoi(forced), 1, std::max(1, cores / std::max(1, world.local_size)));
}

// This process's place in a multi-process job, once train or eval joined one: the error
// handler names the rank and ends the whole job.
std::unique_ptr<dist::Communicator> g_comm;
// Heartbeats to lasynth-launch's monitor, when this rank runs under it.
std::unique_ptr<dist::HeartbeatClient> g_heartbeat;
// --log_dir: this rank's own log.
std::ofstream g_rank_log;

void rank_log(const std::string& line) {
  if (!g_rank_log.is_open()) return;
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", std::localtime(&now));
  g_rank_log << stamp << ' ' << line << '\n' << std::flush;
}

// The job this process belongs to: alone, or a rank of mpirun / srun --mpi=pmix.
std::unique_ptr<dist::Communicator> join_job(const Flags& f) {
  const dist::World world = dist::world_from_environment();
  if (!f.log_dir.empty()) {
    std::filesystem::create_directories(f.log_dir);
    const std::string path = fmt::format("{}/rank-{}.log", f.log_dir, world.rank);
    g_rank_log.open(path, std::ios::app);
    if (!g_rank_log) throw IoError(fmt::format("{}: cannot write this rank's log", path));
  }
  // Before the communicator, whose start can hang on a broken network: the monitor then
  // already hears from this rank.
  g_heartbeat =
      dist::HeartbeatClient::from_environment(world, [] { train::request_stop(SIGUSR1); });
  std::unique_ptr<dist::Communicator> comm = dist::make_communicator(f.backend, world);
  torch::set_num_threads(threads_per_process(comm->world()));
  const std::string layout = dist::job_layout(*comm);
  if (comm->size() > 1 && comm->rank() == 0) std::cerr << "lasynth: " << layout << '\n';
  rank_log(fmt::format("rank {} of {} on {} (pid {}): {}", comm->rank(), comm->size(),
                       comm->world().host, getpid(), layout));
  return comm;
}

void require_data(const Flags& f) {
  if (f.data_folder.empty())
    throw ConfigError("--data_folder is required (a lasynth dataset directory)");
}

// Training options with this rank's hooks: heartbeats to the monitor, lines of its own log.
train::TrainOptions rank_train_options(const Flags& f) {
  train::TrainOptions options = f.train_options();
  options.comm = g_comm.get();
  const int64_t log_interval = f.log_interval;
  options.on_step = [log_interval](const dist::Heartbeat& beat) {
    if (g_heartbeat) g_heartbeat->update(beat);
    if (beat.step % log_interval == 0) {
      rank_log(
          fmt::format("step {}  epoch {}  loss {:.4f} (this rank's examples)  {:.1f} "
                      "examples/s",
                      beat.step, beat.epoch, beat.loss, beat.examples_per_s));
    }
  };
  return options;
}

retrain::ProgramGenOptions program_gen_options(const Flags& f) {
  retrain::ProgramGenOptions g;
  g.data_folder = f.data_folder;
  g.beam = f.retrain_beam;
  g.batch_size = f.eval_batch_size;
  g.max_decode_len = f.max_decode_len;
  g.device = f.cpu ? "cpu" : f.device;
  g.comm = g_comm.get();
  g.quiet = false;
  return g;
}

// The original's --iterative_retraining_prog_gen: one decoding pass into a new dataset.
int run_program_gen(const Flags& f) {
  require_data(f);
  g_comm = join_job(f);
  retrain::ProgramGenOptions g = program_gen_options(f);
  g.checkpoint = f.load_model.empty() ? f.model_dir : f.load_model;
  g.out = f.retrain_out.empty() ? f.model_dir + "/retrain-data" : f.retrain_out;
  const retrain::ProgramGenResult r = retrain::generate_programs(g);
  if (g_comm->rank() == 0) {
    std::cout << fmt::format(
        "{}: {} of {} training specifications have a program consistent with every pair (avg "
        "length {:.2f}); {} shared with val or test left out\n",
        g.out, r.kept, r.specifications, r.avg_length, r.dropped_shared);
  }
  return 0;
}

int run_retrain(const Flags& f) {
  require_data(f);
  check_supported(f);
  g_comm = join_job(f);
  train::watch_preemption_signals();
  retrain::RetrainOptions r;
  r.data_folder = f.data_folder;
  r.run_dir = f.model_dir;
  r.base_model = f.load_model;
  r.rounds = f.rounds;
  r.continue_training = f.retrain_continue;
  r.generate = program_gen_options(f);
  r.train = rank_train_options(f);
  r.model = f.model_options();
  r.evaluate = f.eval_options();
  r.evaluate.quiet = false;
  train::resolve_device(r.train.device, g_comm->world().local_rank);
  const nlohmann::ordered_json table = retrain::run_retraining(r);
  if (table.contains("stopped_in_round")) return train::kPreemptedExitCode;
  if (g_comm->rank() == 0) {
    std::cout << retrain::retrain_markdown(table)
              << fmt::format("wrote {0}/retrain.json and {0}/retrain.md\n", f.model_dir);
  }
  return 0;
}

int run_train(const Flags& f) {
  require_data(f);
  check_supported(f);
  if (f.iterative_retraining_prog_gen) return run_program_gen(f);
  g_comm = join_job(f);
  train::watch_preemption_signals();
  train::TrainOptions options = rank_train_options(f);
  train::resolve_device(options.device, g_comm->world().local_rank);  // before any data is read
  if (f.val_examples > 0) {
    auto val = std::make_shared<data::Dataset>(f.data_folder);
    if (val->size("val") > 0) {
      eval::EvalOptions e = f.eval_options();
      e.split = "val";
      e.beam = 1;
      e.limit = f.val_examples;
      e.predictions = false;
      e.quiet = true;
      options.validate = [val, e](model::Synthesizer& net) {
        return eval::evaluate_model(net, *val, e)["metrics"];
      };
    }
  }
  const train::TrainResult r = train::train(options, f.model_options());
  if (g_comm->rank() == 0) {
    std::cout << fmt::format("{} {} steps; last loss {:.4f}; checkpoint {}\n",
                             r.preempted ? "stopped by a signal after" : "trained", r.steps,
                             r.last_loss, r.checkpoint);
  }
  rank_log(fmt::format("{} at step {}", r.preempted ? "stopped by a signal" : "finished", r.steps));
  return r.preempted ? train::kPreemptedExitCode : 0;
}

int run_checkpoint_eval(const Flags& f, eval::EvalOptions options) {
  options.checkpoint = f.checkpoints;
  const eval::CheckpointTable t = eval::evaluate_checkpoints(options);
  if (g_comm->rank() != 0) return 0;
  std::cout << fmt::format("{} checkpoint(s) evaluated, {} in the table\n", t.evaluated,
                           t.rows.size());
  std::cout << fmt::format("{:>10}  {:>14}  {:>14}  {:>11}\n", "step", "generalization",
                           "io_consistency", "exact_match");
  for (const auto& row : t.rows) {
    std::cout << fmt::format("{:>10}  {:>14.4f}  {:>14.4f}  {:>11.4f}\n",
                             row.at("step").get<int64_t>(), row.at("generalization").get<double>(),
                             row.at("io_consistency").get<double>(),
                             row.at("exact_match").get<double>());
  }
  std::cout << fmt::format("wrote {}, {} and {}\n", t.json, t.csv, t.png);
  return 0;
}

int run_eval(const Flags& f) {
  require_data(f);
  check_supported(f);
  g_comm = join_job(f);
  eval::EvalOptions options = f.eval_options();
  options.comm = g_comm.get();
  train::resolve_device(options.device, g_comm->world().local_rank);
  if (!f.checkpoints.empty()) return run_checkpoint_eval(f, options);
  const auto report = eval::evaluate(options);
  if (g_comm->rank() != 0) return 0;
  const auto& m = report.at("metrics");
  std::cout << fmt::format(
      "{} on {} ({} examples, step {}): generalization {:.4f}, io_consistency {:.4f}, exact_match "
      "{:.4f}, avg length {:.1f} (reference {:.1f})\n",
      report.at("checkpoint").get<std::string>(), report.at("split").get<std::string>(),
      report.at("examples").get<int64_t>(), report.at("step").get<int64_t>(),
      m.at("generalization").get<double>(), m.at("io_consistency").get<double>(),
      m.at("exact_match").get<double>(), m.at("avg_length").get<double>(),
      m.at("avg_reference_length").get<double>());
  return 0;
}

int run_synthesize(const Flags& f, const std::string& examples_file, bool json) {
  nlohmann::json examples;
  try {
    if (examples_file.empty() || examples_file == "-") {
      examples = nlohmann::json::parse(std::cin);
    } else {
      std::ifstream in(examples_file);
      if (!in) throw IoError(fmt::format("{}: cannot read the examples", examples_file));
      examples = nlohmann::json::parse(in);
    }
  } catch (const nlohmann::json::parse_error& e) {
    throw ParseError(fmt::format("{}: not JSON ({})",
                                 examples_file.empty() ? "stdin" : examples_file, e.what()));
  }
  const std::string checkpoint = f.load_model.empty() ? f.model_dir : f.load_model;
  std::string domain_name;
  const eval::SynthesisResult r =
      eval::synthesize(checkpoint, examples, f.beam, f.max_decode_len, &domain_name);
  if (!r.program) {
    std::cerr << fmt::format("lasynth: no consistent program in beam {} ({} candidates)\n", f.beam,
                             r.candidates);
    return 2;
  }
  if (json) {
    std::cout << example_to_json(*make_domain(domain_name, {}), *r.program).dump() << '\n';
  } else {
    std::cout << r.program->source;
    if (r.program->source.empty() || r.program->source.back() != '\n') std::cout << '\n';
  }
  return 0;
}

// This program's path, and lasynth-launch's: beside it (installed), or where the build puts it.
std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "lasynth";
}
std::string launcher_path() {
  const std::filesystem::path here = std::filesystem::path(self_path()).parent_path();
  for (const auto& candidate :
       {here / "lasynth-launch", here / ".." / ".." / "launcher" / "lasynth-launch"}) {
    if (std::filesystem::exists(candidate)) return candidate.lexically_normal().string();
  }
  return "lasynth-launch";  // on PATH
}

struct SweepArgs {
  std::string file;
  bool collect = false;
  bool slurm = false;
  bool dry_run = false;
  int launch = 0;
  int only = -1;
};

int run_sweep(const SweepArgs& a) {
  const sweep::Sweep s = sweep::load_sweep(a.file);
  if (a.collect) {
    const auto table = sweep::collect(s);
    std::ifstream md(s.out + "/sweep.md");
    std::cout << md.rdbuf()
              << fmt::format(
                     "wrote {0}/sweep.json, {0}/sweep.csv, {0}/sweep.md and {0}/sweep.png\n",
                     s.out);
    return 0;
  }
  if (a.slurm) return sweep::submit_to_slurm(s, a.launch, a.dry_run);
  sweep::RunnerOptions o;
  o.lasynth = self_path();
  o.only = a.only;
  o.dry_run = a.dry_run;
  if (a.launch > 1) o.launch = {launcher_path(), "-n", std::to_string(a.launch), "--"};
  const int failed = sweep::run_sweep(s, o);
  if (failed > 0) {
    throw Error(
        fmt::format("{} run(s) of {} failed (their log.txt says why); run the same "
                    "command again to retry them",
                    failed, a.file));
  }
  return 0;
}

}  // namespace
}  // namespace app
}  // namespace lasynth

int main(int argc, char** argv) {
  using lasynth::app::Flags;
  CLI::App app{"lasynth: train and evaluate LaSynth, RobustFill and Property Signatures models"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.footer(fmt::format(
      "Several processes: `mpirun -np N lasynth train|eval ...` or `srun --mpi=pmix ...`; "
      "--batch_size is per process.\nExit status: 0 done; 2 synthesize found no consistent "
      "program; {} training stopped by SIGTERM/SIGUSR1 after writing a checkpoint (continue "
      "with --resume); any other non-zero status: an error, explained in one line.",
      lasynth::kExitPreempted));
  Flags top, train_flags, eval_flags;
  lasynth::app::add_flags(&app, &top);
  CLI::App* train_cmd = app.add_subcommand("train", "train a model on a dataset's train split");
  lasynth::app::add_flags(train_cmd, &train_flags);
  CLI::App* eval_cmd = app.add_subcommand("eval", "evaluate a checkpoint on a split");
  lasynth::app::add_flags(eval_cmd, &eval_flags);
  Flags retrain_flags;
  CLI::App* retrain_cmd = app.add_subcommand(
      "retrain",
      "iterative retraining: the model decodes programs for the training specifications, the "
      "shortest consistent with every pair become the next model's training set; --rounds times, "
      "each round evaluated on the test split (MODEL_DIR/round-R, MODEL_DIR/retrain.{json,md})");
  lasynth::app::add_flags(retrain_cmd, &retrain_flags);
  Flags synth_flags;
  std::string examples_file;
  bool as_json = false;
  CLI::App* synth_cmd = app.add_subcommand(
      "synthesize", "the best program consistent with every given input/output example");
  lasynth::app::add_flags(synth_cmd, &synth_flags);
  synth_cmd->add_option("--examples", examples_file,
                        "JSON file {\"io\": [{\"input\", \"output\"}, ...]} (- or absent: stdin)");
  synth_cmd->add_flag("--json", as_json, "print the JSON-lines layout instead of source text");
  lasynth::app::SweepArgs sweep_args;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep",
      "train and evaluate every point of a sweep file's grid (run directories under its 'out'; "
      "finished runs are skipped), or --collect their reports into one table");
  sweep_cmd->add_option("file", sweep_args.file, "the sweep file (YAML)")->required();
  sweep_cmd->add_flag("--collect", sweep_args.collect,
                      "write OUT/sweep.{json,csv,md,png} from the runs' reports");
  sweep_cmd->add_flag("--slurm", sweep_args.slurm,
                      "submit the unfinished runs as a SLURM array (slurm/sweep.sbatch)");
  sweep_cmd
      ->add_option("--launch", sweep_args.launch,
                   "ranks per run, through lasynth-launch (default: one process)")
      ->check(CLI::NonNegativeNumber);
  sweep_cmd->add_option("--only", sweep_args.only, "run only the run of this index (from 0)")
      ->check(CLI::NonNegativeNumber);
  sweep_cmd->add_flag("--dry-run", sweep_args.dry_run, "print the commands, run nothing");
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
    torch::set_num_threads(1);
    at::globalContext().setFlushDenormal(true);  // denormal floats are ~100x slower on x86 CPUs
    if (train_cmd->parsed()) {
      lasynth::app::apply_config(train_cmd, &train_flags);
      return lasynth::app::run_train(train_flags);
    }
    if (synth_cmd->parsed()) {
      lasynth::app::apply_config(synth_cmd, &synth_flags);
      return lasynth::app::run_synthesize(synth_flags, examples_file, as_json);
    }
    if (sweep_cmd->parsed()) return lasynth::app::run_sweep(sweep_args);
    if (retrain_cmd->parsed()) {
      lasynth::app::apply_config(retrain_cmd, &retrain_flags);
      return lasynth::app::run_retrain(retrain_flags);
    }
    if (eval_cmd->parsed()) {
      lasynth::app::apply_config(eval_cmd, &eval_flags);
      return lasynth::app::run_eval(eval_flags);
    }
    lasynth::app::apply_config(&app, &top);
    return top.eval ? lasynth::app::run_eval(top) : lasynth::app::run_train(top);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    const auto& comm = lasynth::app::g_comm;
    lasynth::app::rank_log(std::string("error: ") + e.what());
    if (comm && comm->size() > 1) {
      // The other ranks may be waiting in a collective for this one: end them all.
      std::cerr << fmt::format("lasynth: error on rank {} of {} ({}): {}\n", comm->rank(),
                               comm->size(), comm->world().host, e.what())
                << std::flush;
      lasynth::dist::abort_job(1);
    }
    std::cerr << "lasynth: error: " << e.what() << '\n';
    return 1;
  }
}
