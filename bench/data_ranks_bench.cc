// What one rank of a large job reads: the bytes and shards a rank touches, its reads per second
// and its peak memory, for the epoch's order shuffled by examples (with the chunk cache of earlier
// versions, 32 MiB per array of every shard, and with the bounded cache) and by shards. A few
// ranks of a job of --ranks are simulated, each in its own process (so its peak memory is its
// own), reading its batches of --epochs epochs in step order as the training loader does. The
// shards are in this machine's page cache: reads/s is CPU (decompression and copies), the bytes
// are what a shared filesystem would have to serve. "Job's shards a step" counts the shards all
// ranks together read at a step: what a node's page cache or the filesystem's must hold to serve
// the job's reads from memory.
//
//   data_ranks_bench --ranks 512 --examples 160000 --shards 64
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/generate.h"
#include "data/sampler.h"
#include "lang/domains.h"

namespace {

using namespace lasynth;
using Clock = std::chrono::steady_clock;

// Bytes this process asked the kernel to read so far (rchar: every read(2), cached or not).
int64_t bytes_read() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return -1;
}

// A line of /proc/self/status in KiB (VmRSS, VmHWM).
int64_t status_kib(const std::string& key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  return -1;
}

struct RankFigures {
  double seconds = 0;
  int64_t examples = 0, bytes = 0, shards_opened = 0;
  int64_t memory_kib = 0;  // the peak resident memory above the forked process's at start
};

struct Mode {
  std::string name;
  data::Shuffle shuffle;
  data::ReadOptions read;
};

// Reads the rank's batches of `epochs` epochs in a child process; its figures come back on a pipe.
RankFigures run_rank(const std::string& dir, const Mode& mode, data::SamplerOptions sampler,
                     int epochs) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    RankFigures f;
    const int64_t resident = status_kib("VmRSS");
    data::Dataset ds(dir, mode.read);
    data::DistributedSampler s(sampler);
    const int64_t before = bytes_read();
    const auto start = Clock::now();
    for (int epoch = 0; epoch < epochs; ++epoch) {
      for (int64_t step = 0; step < s.steps_per_epoch(); ++step) {
        for (int64_t i : s.batch(epoch, step)) {
          ds.get("train", i);
          ++f.examples;
        }
      }
    }
    f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    f.bytes = bytes_read() - before;
    f.shards_opened = ds.shards_opened();
    f.memory_kib = status_kib("VmHWM") - resident;
    const ssize_t n = write(fds[1], &f, sizeof f);
    _exit(n == static_cast<ssize_t>(sizeof f) ? 0 : 1);
  }
  close(fds[1]);
  RankFigures f;
  const ssize_t n = read(fds[0], &f, sizeof f);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof f) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(fmt::format("the rank process for mode '{}' failed", mode.name));
  }
  return f;
}

// The shards every rank together reads at a step, on average over an epoch (no reading: the
// sampler alone).
double job_shards_per_step(data::SamplerOptions sampler) {
  std::vector<int64_t> shard_of;
  for (size_t k = 0; k < sampler.shard_sizes.size(); ++k) {
    shard_of.insert(shard_of.end(), static_cast<size_t>(sampler.shard_sizes[k]),
                    static_cast<int64_t>(k));
  }
  sampler.rank = 0;
  data::DistributedSampler s(sampler);
  int64_t touched = 0;
  for (int64_t step = 0; step < s.steps_per_epoch(); ++step) {
    std::vector<bool> seen(sampler.shard_sizes.size(), false);
    for (int64_t i : s.global_batch(0, step)) {
      const auto k = static_cast<size_t>(shard_of[static_cast<size_t>(i)]);
      touched += seen[k] ? 0 : 1;
      seen[k] = true;
    }
  }
  return static_cast<double>(touched) / static_cast<double>(s.steps_per_epoch());
}

}  // namespace

int main(int argc, char** argv) {
  int ranks = 512, sample = 4, shard_window = 4, epochs = 2;
  int64_t examples = 160000, shards = 64, batch = 8, cache_mb = 256;
  CLI::App app{"data_ranks_bench: what one rank of a large job reads, by shuffle mode"};
  app.add_option("--ranks", ranks, "ranks in the simulated job")->capture_default_str();
  app.add_option("--sample", sample, "ranks simulated (spread over the job)")
      ->capture_default_str();
  app.add_option("--examples", examples, "training examples (restricted C)")->capture_default_str();
  app.add_option("--shards", shards, "training shards")->capture_default_str();
  app.add_option("--batch", batch, "examples per rank per step")->capture_default_str();
  app.add_option("--epochs", epochs, "epochs each simulated rank reads")->capture_default_str();
  app.add_option("--shard-window", shard_window, "shards per window (--shuffle shards)")
      ->capture_default_str();
  app.add_option("--cache-mb", cache_mb, "bounded chunk cache per rank (MiB)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto root =
      std::filesystem::temp_directory_path() / fmt::format("lasynth-data-ranks-{}", getpid());
  const std::string dir = (root / "c").string();
  data::GenerateOptions g;
  g.train = examples;
  g.val = 0;
  g.test = 0;
  g.shards = static_cast<int>(shards);
  const auto domain = make_domain("c");
  std::cerr << fmt::format("generating {} examples in {} shards...\n", examples, shards);
  data::start_generation(dir, g, true);
  for (const auto& u : data::plan_units(g)) data::generate_unit(*domain, g, u, dir, nullptr);
  data::finalize(*domain, g, dir);
  std::vector<int64_t> sizes;
  {
    const data::Dataset ds(dir);
    for (const auto& s : ds.manifest().split("train")->shards) sizes.push_back(s.examples);
  }

  const int64_t bounded = cache_mb << 20;
  std::vector<Mode> modes = {
      {"examples, 96 MiB cache per shard (before)",
       data::Shuffle::kExamples,
       {false, int64_t{96 << 20} * shards, 0}},
      {fmt::format("examples, {} MiB cache in all", cache_mb),
       data::Shuffle::kExamples,
       {false, bounded, 0}},
      {fmt::format("shards (window {}), {} MiB cache", shard_window, cache_mb),
       data::Shuffle::kShards,
       {false, bounded, 2 * shard_window}},
  };
  std::cout << fmt::format(
      "{} ranks x batch {}, {} examples in {} shards; per rank: the mean of {} ranks over {} "
      "epoch(s); memory: the largest rise of a rank's peak resident memory while reading\n\n",
      ranks, batch, examples, shards, sample, epochs);
  std::cout << fmt::format("| {:<44} | {:>9} | {:>10} | {:>9} | {:>13} | {:>12} | {:>19} |\n",
                           "shuffle", "examples", "reads/s", "MiB read", "shards opened",
                           "memory MiB", "job's shards a step");
  std::cout << fmt::format("|{:-<46}|{:->11}|{:->12}|{:->11}|{:->15}|{:->14}|{:->21}|\n", "", "",
                           "", "", "", "", "");
  std::vector<double> mib(modes.size()), rss(modes.size());
  for (size_t m = 0; m < modes.size(); ++m) {
    RankFigures sum;
    data::SamplerOptions s;
    for (int k = 0; k < sample; ++k) {
      s.num_examples = examples;
      s.batch_size = batch;
      s.world_size = ranks;
      s.rank = static_cast<int>(static_cast<int64_t>(k) * ranks / sample);
      s.seed = 1;
      s.shuffle = modes[m].shuffle;
      s.shard_sizes = sizes;
      s.shard_window = shard_window;
      const RankFigures f = run_rank(dir, modes[m], s, epochs);
      sum.seconds += f.seconds;
      sum.examples += f.examples;
      sum.bytes += f.bytes;
      sum.shards_opened += f.shards_opened;
      sum.memory_kib = std::max(sum.memory_kib, f.memory_kib);
    }
    mib[m] = static_cast<double>(sum.bytes) / sample / (1 << 20);
    rss[m] = static_cast<double>(sum.memory_kib) / 1024;
    std::cout << fmt::format(
        "| {:<44} | {:>9} | {:>10.0f} | {:>9.1f} | {:>13.1f} | {:>12.1f} | {:>19.1f} |\n",
        modes[m].name, sum.examples / sample, sum.examples / sum.seconds, mib[m],
        static_cast<double>(sum.shards_opened) / sample, rss[m], job_shards_per_step(s));
  }
  std::cout << fmt::format(
      "\nbytes read per rank, shards / examples (bounded cache): {:.2f}; memory, shards / "
      "examples (before): {:.2f}\n",
      mib[2] / mib[1], rss[2] / rss[0]);
  std::filesystem::remove_all(root);
  return 0;
}
