// lasynth-datagen: generate a sharded HDF5 dataset (format in src/data/format.h).
//
//   lasynth-datagen --preset small --train 100000 --val 1000 --test 1000 --shards 8 --out data/c
//
// A preset names a whole task (lang/presets.h); limit flags beside it override its limits.
// The same seed gives byte-identical shards whether the work runs on threads of one process,
// on the ranks of `mpirun -np P lasynth-datagen ...` (each rank writes its own shards, rank 0 the
// manifest), or as SLURM array tasks (`--shard-range A:B`, or SLURM_ARRAY_TASK_ID/COUNT), which
// leave the manifest to `lasynth-data finalize DIR`. An interrupted run resumes: finished shards
// are kept and skipped.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "app/cli_checks.h"
#include "core/error.h"
#include "data/generate.h"
#include "dist/communicator.h"
#include "dist/mpi_communicator.h"
#include "dist/world.h"
#include "domain_flags.h"
#include "lang/domains.h"
#include "progress.h"

namespace lasynth {
namespace {

struct Args {
  DomainFlags domain;
  data::GenerateOptions gen;
  std::string out;
  int threads = 1;
  std::string shard_range;
  bool force = false;
  bool quiet = false;
};

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// Which of `n` units this process makes: [begin, end) with a stride.
struct Share {
  size_t begin = 0, end = 0, stride = 1;
  bool whole = true;  // every unit: this process also writes the manifest
  std::string how = "all shards";
};

Share my_share(const Args& args, size_t n, int rank, int ranks) {
  Share s;
  s.end = n;
  if (!args.shard_range.empty()) {
    const auto colon = args.shard_range.find(':');
    long a = -1, b = -1;
    try {
      if (colon != std::string::npos) {
        a = std::stol(args.shard_range.substr(0, colon));
        b = std::stol(args.shard_range.substr(colon + 1));
      }
    } catch (const std::exception&) {
    }
    if (a < 0 || b <= a || static_cast<size_t>(b) > n) {
      throw ConfigError(
          fmt::format("--shard-range '{}' must be A:B with 0 <= A < B <= {} (the "
                      "dataset has {} shards, test and val first)",
                      args.shard_range, n, n));
    }
    s.begin = static_cast<size_t>(a);
    s.end = static_cast<size_t>(b);
    s.whole = s.begin == 0 && s.end == n;
    s.how = fmt::format("shards {}..{} of {}", a, b - 1, n);
    return s;
  }
  if (ranks > 1) {
    s.begin = static_cast<size_t>(rank);
    s.stride = static_cast<size_t>(ranks);
    s.whole = false;
    s.how = fmt::format("rank {} of {}: every {}th shard", rank, ranks, ranks);
    return s;
  }
  if (std::getenv("SLURM_ARRAY_TASK_ID")) {
    const int count = env_int("SLURM_ARRAY_TASK_COUNT", 1);
    const int task = env_int("SLURM_ARRAY_TASK_ID", 0) - env_int("SLURM_ARRAY_TASK_MIN", 0);
    if (count > 1) {
      if (task < 0 || task >= count) {
        throw ConfigError(fmt::format("SLURM array task {} is outside 0..{}", task, count - 1));
      }
      s.begin = static_cast<size_t>(task);
      s.stride = static_cast<size_t>(count);
      s.whole = false;
      s.how = fmt::format("SLURM array task {} of {}", task, count);
    }
  }
  return s;
}

int run(Args& args, dist::Communicator& comm) {
  const int rank = comm.rank();
  const int ranks = comm.size();
  args.gen.domain = args.domain.domain();
  args.gen.domain_options = args.domain.options();
  args.gen.preset = args.domain.preset();
  const auto domain = make_domain(args.gen.domain, args.gen.domain_options);
  const std::vector<data::WorkUnit> units = data::plan_units(args.gen);
  const Share share = my_share(args, units.size(), rank, ranks);
  if (args.force && !share.whole && ranks == 1) {
    throw ConfigError(
        "--force with a share of the shards would delete the other tasks' shards; "
        "clear the directory once before starting the tasks instead");
  }
  if (rank == 0) data::start_generation(args.out, args.gen, args.force);
  comm.barrier();
  if (rank != 0) data::start_generation(args.out, args.gen, false);  // checks the settings

  std::vector<const data::WorkUnit*> todo;
  size_t kept = 0, mine = 0;
  int64_t examples = 0;
  for (size_t i = share.begin; i < share.end; i += share.stride) {
    ++mine;
    if (data::unit_done(*domain, args.gen, units[i], args.out)) {
      ++kept;
      continue;
    }
    todo.push_back(&units[i]);
    examples += units[i].examples;
  }
  if (!args.quiet) {
    std::cerr << fmt::format("lasynth-datagen: {} -> {} ({}; {} shards{}), {} thread(s)\n",
                             domain->name(), args.out, share.how, mine,
                             kept ? fmt::format(", {} already done", kept) : "", args.threads);
  }

  Progress progress(ranks > 1 ? fmt::format("rank {}", rank) : "generating", examples,
                    args.quiet || (ranks > 1 && rank != 0));
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr error;
  auto worker = [&] {
    while (true) {
      const size_t i = next++;
      if (i >= todo.size()) return;
      try {
        data::generate_unit(*domain, args.gen, *todo[i], args.out, progress.counter());
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        next = todo.size();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < args.threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  progress.stop();

  double failed = error ? 1 : 0;
  comm.allreduce_doubles(&failed, 1, dist::ReduceOp::kMax);
  if (error) std::rethrow_exception(error);
  if (failed) throw Error(fmt::format("rank {}: another rank failed; no manifest written", rank));

  if (share.whole || (ranks > 1 && rank == 0)) {
    const data::Manifest m = data::finalize(*domain, args.gen, args.out);
    if (!args.quiet) {
      std::string splits;
      for (const auto& s : m.splits) {
        splits += fmt::format("{}{} {} ({} shards)", splits.empty() ? "" : ", ", s.name,
                              s.examples(), s.shards.size());
      }
      std::cerr << fmt::format("lasynth-datagen: wrote {}/manifest.json: {}\n", args.out, splits);
    }
  } else if (!args.quiet && ranks == 1) {
    std::cerr << fmt::format(
        "lasynth-datagen: done with {}; when every task is done, run "
        "`lasynth-data finalize {}`\n",
        share.how, args.out);
  }
  return 0;
}

}  // namespace
}  // namespace lasynth

int main(int argc, char** argv) {
  lasynth::Args args;
  CLI::App app{
      "lasynth-datagen: generate a sharded HDF5 dataset of programs and their "
      "input/output examples"};
  args.domain.add_to(&app);
  app.add_option("--train", args.gen.train, "training examples")
      ->check(lasynth::app::at_least(0))
      ->capture_default_str();
  app.add_option("--val", args.gen.val, "validation examples")
      ->check(lasynth::app::at_least(0))
      ->capture_default_str();
  app.add_option("--test", args.gen.test, "test examples")
      ->check(lasynth::app::at_least(0))
      ->capture_default_str();
  app.add_option("--shards", args.gen.shards,
                 "shards per split (never more than the split's examples)")
      ->check(lasynth::app::number_in(1, 99999))
      ->capture_default_str();
  app.add_option("--eval-shards", args.gen.eval_shards,
                 "shards of val and of test each; 0: as many as --shards")
      ->check(lasynth::app::number_in(0, 99999))
      ->capture_default_str();
  app.add_option("--seed", args.gen.seed, "random seed: same seed, byte-identical shards")
      ->check(lasynth::app::non_negative_integer())
      ->capture_default_str();
  app.add_option("--out", args.out, "dataset directory")->required();
  app.add_option("--threads", args.threads, "generator threads in this process")
      ->check(lasynth::app::number_in(1, 256))
      ->capture_default_str();
  app.add_option("--shard-range", args.shard_range,
                 "make only shards A..B-1 of the dataset's list (test, val, then train), e.g. "
                 "for a SLURM array task; then run `lasynth-data finalize DIR`");
  app.add_flag("--force", args.force, "replace what DIR holds");
  app.add_flag("--quiet", args.quiet, "no progress output");
  lasynth::app::one_line_errors(app, "lasynth-datagen");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<lasynth::dist::Communicator> comm;
  try {
    // The ranks of `mpirun -np P lasynth-datagen` (or srun --mpi=pmix) share the shards.
    comm = lasynth::dist::make_communicator("mpi", lasynth::dist::world_from_environment());
    return lasynth::run(args, *comm);
  } catch (const std::exception& e) {
    const bool several = comm && comm->size() > 1;
    std::cerr << "lasynth-datagen: error"
              << (several ? fmt::format(" (rank {})", comm->rank()) : "") << ": " << e.what()
              << '\n';
    // The other ranks may be waiting in a collective for this one: end them all.
    if (several) lasynth::dist::abort_job(1);
    return 1;
  }
}
