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
// LibTorch's small headers only (its threads, its denormal switch, its exception): this unit
// compiles without LibTorch's API, which costs a translation unit ~20 s.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <fmt/format.h>
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
#include <optional>
#include <thread>

#include "app/cli_checks.h"
#include "app/flags.h"
#include "core/error.h"
#include "core/exit_status.h"
#include "dist/communicator.h"
#include "dist/fault.h"
#include "dist/heartbeat_client.h"
#include "dist/mpi_communicator.h"
#include "dist/world.h"
#include "eval/checkpoint_eval.h"
#include "eval/evaluate.h"
#include "eval/synthesize.h"
#include "lang/domains.h"
#include "retrain/retrain.h"
#include "sweep/sweep.h"
#include "sweep/sweep_options.h"
#include "train/device.h"
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

// This process's place in a job, owned by main: the error handler names the rank and ends the
// whole job. Thread-safety: the main thread only (the heartbeat client has its own thread).
class Process {
 public:
  // Joins the job this process belongs to: alone, or a rank of mpirun / srun --mpi=pmix.
  void join(const RunOptions& run);

  // The job's ranks; null until join().
  dist::Communicator* comm() const { return comm_.get(); }
  bool lead() const { return !comm_ || comm_->rank() == 0; }
  // Heartbeats to lasynth-launch's monitor, when this rank runs under it.
  dist::HeartbeatClient* heartbeat() const { return heartbeat_.get(); }
  // The fault LASYNTH_FAULT asks this process to inject; none until join(), or when unset.
  const std::optional<dist::Fault>& fault() const { return fault_; }

  // A line of this rank's own log (--log_dir), time-stamped; nothing without one.
  void log(const std::string& line);

  // The error that ends this process: one line on stderr, and the other ranks ended too (they
  // may be waiting in a collective for this one). Returns the exit status.
  int fail(const std::string& what);

 private:
  std::unique_ptr<dist::Communicator> comm_;
  std::unique_ptr<dist::HeartbeatClient> heartbeat_;
  std::optional<dist::Fault> fault_;
  std::ofstream rank_log_;
};

void Process::log(const std::string& line) {
  if (!rank_log_.is_open()) return;
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", std::localtime(&now));
  rank_log_ << stamp << ' ' << line << '\n' << std::flush;
}

void Process::join(const RunOptions& run) {
  // First: a malformed value is an error before anything runs.
  fault_ = dist::fault_from_environment();
  const dist::World world = dist::world_from_environment();
  if (!run.log_dir.empty()) {
    std::filesystem::create_directories(run.log_dir);
    const std::string path = fmt::format("{}/rank-{}.log", run.log_dir, world.rank);
    rank_log_.open(path, std::ios::app);
    if (!rank_log_) throw IoError(fmt::format("{}: cannot write this rank's log", path));
  }
  // Before the communicator, whose start can hang on a broken network: the monitor then
  // already hears from this rank.
  heartbeat_ = dist::HeartbeatClient::from_environment(world, [] { train::request_stop(SIGUSR1); });
  comm_ = dist::make_communicator(run.backend_for(world.size), world);
  at::set_num_threads(threads_per_process(comm_->world()));
  const std::string layout = dist::job_layout(*comm_);
  if (comm_->size() > 1 && comm_->rank() == 0) std::cerr << "lasynth: " << layout << '\n';
  log(fmt::format("rank {} of {} on {} (pid {}): {}", comm_->rank(), comm_->size(),
                  comm_->world().host, getpid(), layout));
}

int Process::fail(const std::string& what) {
  log("error: " + what);
  if (comm_ && comm_->size() > 1) {
    std::cerr << fmt::format("lasynth: error on rank {} of {} ({}): {}\n", comm_->rank(),
                             comm_->size(), comm_->world().host, what)
              << std::flush;
    dist::abort_job(1);
  }
  std::cerr << "lasynth: error: " << what << '\n';
  return 1;
}

void require_data(const Flags& f) {
  if (f.run.data_folder.empty()) {
    throw ConfigError("--data_folder is required (a lasynth dataset directory)");
  }
}

// Ranks training on GPUs reduce gradients from LibTorch's CUDA autograd thread; MPI was started
// for calls from the main thread only (MPI_THREAD_FUNNELED), so that pairing is refused.
void check_backend(const Flags& f, const dist::Communicator& comm) {
  if (comm.size() > 1 && f.run.effective_device() == "cuda" && comm.backend() == "mpi") {
    throw ConfigError(
        "--device cuda with --backend mpi on several ranks: gradients are reduced from "
        "LibTorch's CUDA thread, which MPI as started here does not allow; use --backend nccl");
  }
}

// After the flags' own checks and the device's: the dataset's shape against the original's
// data-shape flags.
void check_dataset(const Flags& f) {
  check_data_shape(f.shape, data::read_manifest(f.run.data_folder), f.run.data_folder);
}

// The hooks of this rank's training: heartbeats to the monitor, lines of its own log, progress
// on stderr.
train::TrainHooks train_hooks(const Flags& f, Process& process) {
  train::TrainHooks hooks;
  hooks.comm = process.comm();
  hooks.fault = process.fault();
  const int64_t log_interval = f.train.log_interval;
  hooks.on_step = [log_interval, &process](const dist::Heartbeat& beat) {
    if (process.heartbeat()) process.heartbeat()->update(beat);
    if (beat.step % log_interval == 0) {
      process.log(
          fmt::format("step {}  epoch {}  loss {:.4f} (this rank's examples)  {:.1f} examples/s",
                      beat.step, beat.epoch, beat.loss, beat.examples_per_s));
    }
  };
  hooks.print = [](const std::string& line) { std::cerr << line << '\n'; };
  return hooks;
}

retrain::ProgramGenOptions program_gen_options(const Flags& f, Process& process) {
  retrain::ProgramGenOptions g = f.generate;
  g.data_folder = f.run.data_folder;
  g.batch_size = f.eval.batch_size;
  g.max_decode_len = f.eval.max_decode_len;
  g.search = f.eval.search;
  g.close_blocks = f.eval.close_blocks;
  g.device = f.run.effective_device();
  g.comm = process.comm();
  g.quiet = false;
  return g;
}

// The original's --iterative_retraining_prog_gen: one decoding pass into a new dataset.
int run_program_gen(const Flags& f, Process& process) {
  process.join(f.run);
  check_dataset(f);
  retrain::ProgramGenOptions g = program_gen_options(f, process);
  g.checkpoint = f.run.checkpoint();
  if (g.out.empty()) g.out = f.run.model_dir + "/retrain-data";
  const retrain::ProgramGenResult r = retrain::generate_programs(g);
  if (process.lead()) {
    std::cout << g.out << ": " << retrain::summary(g.rule, r) << '\n';
  }
  return 0;
}

int run_retrain(const Flags& f, Process& process) {
  require_data(f);
  check_supported(f);
  process.join(f.run);
  train::watch_preemption_signals();
  retrain::RetrainOptions r = f.retrain;
  r.data_folder = f.run.data_folder;
  r.run_dir = f.run.model_dir;
  r.base_model = f.run.load_model;
  r.generate = program_gen_options(f, process);
  r.train = f.train_options();
  r.model = f.model;
  r.evaluate = f.eval_options();
  check_backend(f, *process.comm());
  if (r.train.deterministic) train::use_deterministic_algorithms();
  train::resolve_device(r.train.device, process.comm()->world().local_rank);
  check_dataset(f);
  const nlohmann::ordered_json table = retrain::run_retraining(r, train_hooks(f, process));
  if (table.contains("stopped_in_round")) return kExitPreempted;
  if (process.lead()) {
    std::cout << retrain::retrain_markdown(table)
              << fmt::format("wrote {0}/retrain.json and {0}/retrain.md\n", f.run.model_dir);
  }
  return 0;
}

// Validation during training: the first --val_examples of the val split, greedy, shared among
// the ranks of `comm` (null: this process alone).
std::function<nlohmann::ordered_json(model::Synthesizer&)> validation(const Flags& f,
                                                                      dist::Communicator* comm) {
  if (f.train.val_examples <= 0) return nullptr;
  auto val = std::make_shared<data::Dataset>(f.run.data_folder);
  if (val->size("val") == 0) return nullptr;
  eval::EvalOptions e = f.eval_options();
  e.split = "val";
  e.beam = 1;
  e.search = "beam";  // greedy: the paper's figure
  e.limit = f.train.val_examples;
  e.predictions = false;
  e.quiet = true;
  e.comm = comm;
  return
      [val, e](model::Synthesizer& net) { return eval::evaluate_model(net, *val, e)["metrics"]; };
}

int run_train(const Flags& f, Process& process) {
  require_data(f);
  check_supported(f);
  if (f.run.iterative_retraining_prog_gen) return run_program_gen(f, process);
  process.join(f.run);
  train::watch_preemption_signals();
  const train::TrainOptions options = f.train_options();
  check_backend(f, *process.comm());
  if (options.deterministic) train::use_deterministic_algorithms();
  // Before any data is read: a missing GPU is the first thing to say.
  train::resolve_device(options.device, process.comm()->world().local_rank);
  check_dataset(f);
  train::TrainHooks hooks = train_hooks(f, process);
  hooks.validate = validation(f, process.comm());
  const train::TrainResult r = train::train(options, f.model, hooks);
  if (process.lead()) {
    std::cout << fmt::format("{} {} steps; last loss {:.4f}; checkpoint {}\n",
                             r.preempted ? "stopped by a signal after" : "trained", r.steps,
                             r.last_loss, r.checkpoint);
  }
  process.log(
      fmt::format("{} at step {}", r.preempted ? "stopped by a signal" : "finished", r.steps));
  return r.preempted ? kExitPreempted : 0;
}

int run_checkpoint_eval(eval::EvalOptions options, const Process& process) {
  options.checkpoint = options.checkpoints;
  const eval::CheckpointTable t = eval::evaluate_checkpoints(options);
  if (!process.lead()) return 0;
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

int run_eval(const Flags& f, Process& process) {
  require_data(f);
  check_supported(f);
  process.join(f.run);
  eval::EvalOptions options = f.eval_options();
  options.comm = process.comm();
  train::resolve_device(options.device, process.comm()->world().local_rank);
  check_dataset(f);
  if (!options.checkpoints.empty()) return run_checkpoint_eval(options, process);
  const auto report = eval::evaluate(options);
  if (!process.lead()) return 0;
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

// The examples of `synthesize`: a JSON file, or stdin for "" and "-".
nlohmann::json read_examples(const std::string& file) {
  try {
    if (file.empty() || file == "-") return nlohmann::json::parse(std::cin);
    std::ifstream in(file);
    if (!in) throw IoError(fmt::format("{}: cannot read the examples", file));
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw ParseError(fmt::format("{}: not JSON ({})", file.empty() ? "stdin" : file, e.what()));
  }
}

int run_synthesize(const Flags& f, const std::string& examples_file, bool json) {
  const nlohmann::json examples = read_examples(examples_file);
  std::string domain_name;
  const eval::SynthesisResult r =
      eval::synthesize(f.run.checkpoint(), examples, f.eval.beam, f.eval.max_decode_len,
                       eval::parse_search(f.eval.search), f.eval.close_blocks, &domain_name,
                       examples_file.empty() ? "stdin" : examples_file);
  if (!r.program) {
    std::cerr << fmt::format("lasynth: no consistent program in beam {} ({} candidates{})\n",
                             f.eval.beam, r.candidates,
                             f.eval.search == "beam" ? "" : ", " + f.eval.search + " search");
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

int run_sweep(const sweep::SweepOptions& a) {
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

// The command line: the original's flags at the top level, and a subcommand per action, each
// with every flag bound to its own Flags.
struct CommandLine {
  CLI::App app{"lasynth: train and evaluate LaSynth, RobustFill and Property Signatures models"};
  Flags top, train, eval, retrain, synth;
  CLI::App* train_cmd = nullptr;
  CLI::App* eval_cmd = nullptr;
  CLI::App* retrain_cmd = nullptr;
  CLI::App* synth_cmd = nullptr;
  CLI::App* sweep_cmd = nullptr;
  std::string examples_file;
  bool as_json = false;
  sweep::SweepOptions sweep;

  CommandLine();
  // Runs the subcommand parsed (after its --config), or the original's spelling.
  int run(Process& process);
};

CommandLine::CommandLine() {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // One line, as every other error: the flag, the value, and where the flags are listed.
  one_line_errors(app, "lasynth");
  app.footer(fmt::format(
      "Several processes: `mpirun -np N lasynth train|eval ...` or `srun --mpi=pmix ...`; "
      "--batch_size is per process.\nExit status: 0 done; 2 synthesize found no consistent "
      "program; {} training stopped by SIGTERM/SIGUSR1 after writing a checkpoint (continue "
      "with --resume); any other non-zero status: an error, explained in one line.",
      kExitPreempted));
  add_flags(&app, &top);
  train_cmd = app.add_subcommand("train", "train a model on a dataset's train split");
  add_flags(train_cmd, &train);
  eval_cmd = app.add_subcommand("eval", "evaluate a checkpoint on a split");
  add_flags(eval_cmd, &eval);
  retrain_cmd = app.add_subcommand(
      "retrain",
      "iterative retraining: the model decodes programs for the training specifications and "
      "--retrain_rule picks each one's program for the next model's training set (original: "
      "the greedy prediction where it matches, else the reference); --rounds times, each round "
      "evaluated on the test split (MODEL_DIR/round-R, MODEL_DIR/retrain.{json,md})");
  add_flags(retrain_cmd, &retrain);
  synth_cmd = app.add_subcommand(
      "synthesize", "the best program consistent with every given input/output example");
  // A user asking for a program wants one that runs: synthesis prunes by execution unless told
  // not to, and searches wider (one example costs seconds; 16 programs written by people, the
  // quickstart's model: beam 64 finds 2, 256 finds 4, 1024 finds 6, bench/human_programs.py);
  // eval keeps plain beam search, the paper's.
  synth.eval.search = "execution_guided";
  synth.eval.beam = 256;
  add_flags(synth_cmd, &synth);
  synth_cmd->add_option("--examples", examples_file,
                        "JSON file {\"io\": [{\"input\", \"output\"}, ...]} (- or absent: stdin)");
  synth_cmd->add_flag("--json", as_json, "print the JSON-lines layout instead of source text");
  sweep_cmd = app.add_subcommand(
      "sweep",
      "train and evaluate every point of a sweep file's grid (run directories under its 'out'; "
      "finished runs are skipped), or --collect their reports into one table");
  sweep_cmd->add_option("file", sweep.file, "the sweep file (YAML)")->required();
  bind_fields(sweep_cmd, &sweep);
  app.require_subcommand(0, 1);
}

int CommandLine::run(Process& process) {
  if (train_cmd->parsed()) {
    apply_config(train_cmd, &train);
    return run_train(train, process);
  }
  if (synth_cmd->parsed()) {
    apply_config(synth_cmd, &synth);
    return run_synthesize(synth, examples_file, as_json);
  }
  if (sweep_cmd->parsed()) return run_sweep(sweep);
  if (retrain_cmd->parsed()) {
    apply_config(retrain_cmd, &retrain);
    return run_retrain(retrain, process);
  }
  if (eval_cmd->parsed()) {
    apply_config(eval_cmd, &eval);
    return run_eval(eval, process);
  }
  apply_config(&app, &top);
  return top.run.eval ? run_eval(top, process) : run_train(top, process);
}

}  // namespace
}  // namespace app
}  // namespace lasynth

int main(int argc, char** argv) {
  lasynth::app::CommandLine command;
  lasynth::app::Process process;
  try {
    command.app.parse(argc, argv);
    at::set_num_threads(1);
    at::globalContext().setFlushDenormal(true);  // denormal floats are ~100x slower on x86 CPUs
    return command.run(process);
  } catch (const CLI::ParseError& e) {
    return command.app.exit(e);
  } catch (const c10::Error& e) {
    // LibTorch's message ends in a stack of C++ frames: for developers (LASYNTH_DEBUG=1) only.
    const char* debug = std::getenv("LASYNTH_DEBUG");
    return process.fail(debug && std::string(debug) == "1" ? e.what() : e.what_without_backtrace());
  } catch (const std::exception& e) {
    return process.fail(e.what());
  }
}
