#include "difftest_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/rng.h"
#include "lang/c/generator.h"

namespace lasynth {
namespace c {

DiffStats run_difftest(const DifftestOptions& options,
                       const std::function<void(const DiffStats&)>& progress) {
  const int64_t batches = (options.programs + options.batch - 1) / options.batch;
  std::string pattern = (std::filesystem::temp_directory_path() / "lasynth-difftest-XXXXXX");
  if (!mkdtemp(pattern.data())) throw IoError("cannot create a temporary directory for gcc");
  const std::filesystem::path root = pattern;

  std::atomic<int64_t> next_batch{0};
  std::mutex mu;
  DiffStats total;
  std::exception_ptr error;
  auto worker = [&] {
    while (true) {
      const int64_t b = next_batch++;
      if (b >= batches) return;
      try {
        const int64_t count =
            std::min<int64_t>(options.batch, options.programs - b * options.batch);
        Rng rng = Rng::derive(options.seed, {static_cast<uint64_t>(b)});
        const Generator gen(options.limits);
        std::vector<Program> programs;
        std::vector<DiffCase> cases;
        programs.reserve(count);
        for (int64_t i = 0; i < count; ++i) {
          programs.push_back(gen.sample_program(rng));
          cases.push_back({nullptr, gen.sample_inputs(rng)});
        }
        for (int64_t i = 0; i < count; ++i) cases[i].program = &programs[i];
        const std::filesystem::path dir = root / fmt::format("batch-{}", b);
        std::filesystem::create_directories(dir);
        const DiffStats stats = run_differential(cases, options.limits, dir.string());
        std::filesystem::remove_all(dir);
        std::lock_guard<std::mutex> lock(mu);
        total.add(stats);
        if (progress) progress(total);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        next_batch = batches;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, options.jobs); ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  std::filesystem::remove_all(root);
  if (error) std::rethrow_exception(error);
  return total;
}

}  // namespace c
}  // namespace lasynth
