// Dataset throughput on one core: generating shards (program sampling, execution, HDF5 writing)
// for each domain, and reading them back — sequentially shard by shard, at random through the
// dataset index, and through the prefetching batch loader.
//
//   dataset_bench --c-examples 50000 --karel-examples 10000
#include <chrono>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "data/generate.h"
#include "data/loader.h"
#include "lang/domains.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void row(const std::string& what, int64_t n, double s, const std::string& unit) {
  std::cout << fmt::format("| {:<44} | {:>9} | {:>7.2f} | {:>12.0f} {:<10} |\n", what, n, s, n / s,
                           unit);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lasynth;
  int64_t c_examples = 50000, karel_examples = 10000;
  CLI::App app{"dataset_bench: dataset generation and reading throughput on one core"};
  app.add_option("--c-examples", c_examples, "restricted-C training examples")->capture_default_str();
  app.add_option("--karel-examples", karel_examples, "Karel training examples")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto root = std::filesystem::temp_directory_path() / fmt::format("lasynth-bench-{}", getpid());
  std::cout << fmt::format("| {:<44} | {:>9} | {:>7} | {:>23} |\n|{:-<46}|{:->11}|{:->9}|{:->25}|\n",
                           "measure (one thread)", "examples", "seconds", "throughput", "", "", "",
                           "");
  for (const auto& [name, n] : {std::pair<std::string, int64_t>{"c", c_examples}, {"karel", karel_examples}}) {
    data::GenerateOptions o;
    o.domain = name;
    o.train = n;
    o.val = 0;
    o.test = 0;
    o.shards = 4;
    const std::string dir = (root / name).string();
    const auto domain = make_domain(name);
    data::start_generation(dir, o, true);
    auto t = Clock::now();
    for (const auto& u : data::plan_units(o)) data::generate_unit(*domain, o, u, dir, nullptr);
    data::finalize(*domain, o, dir);
    row(fmt::format("{}: generate + write shards", name), n, since(t), "examples/s");

    data::Dataset ds(dir);
    t = Clock::now();
    int64_t read = 0;
    for (size_t k = 0; k < 4; ++k) read += static_cast<int64_t>(ds.shard("train", k).read_all().size());
    row(fmt::format("{}: read whole shards", name), read, since(t), "examples/s");

    Rng rng(1);
    const int64_t random_reads = std::min<int64_t>(n, 20000);
    t = Clock::now();
    for (int64_t i = 0; i < random_reads; ++i) ds.get("train", static_cast<int64_t>(rng.below(n)));
    row(fmt::format("{}: random access (Dataset::get)", name), random_reads, since(t), "examples/s");

    data::LoaderOptions lo;
    lo.dir = dir;
    lo.sampler.batch_size = 32;
    data::BatchLoader loader(lo);
    const int64_t steps = std::min<int64_t>(loader.steps_per_epoch(), random_reads / 32);
    t = Clock::now();
    int64_t loaded = 0;
    for (int64_t s = 0; s < steps; ++s) loaded += loader.next().size;
    row(fmt::format("{}: shuffled batches of 32 (BatchLoader)", name), loaded, since(t), "examples/s");
  }
  std::filesystem::remove_all(root);
  return 0;
}
