// The gradient reducer against a raw MPI all-reduce of the same bytes, side by side in one run
// under mpirun: what its buckets (first small, then --bucket_mb) cost next to one blocking
// MPI_Allreduce and one MPI_Iallreduce of the whole gradient, and how much of that cost it hides
// under a simulated backward pass (--backward_ms of busy work spread between the gradients,
// the same on every rank, so no rank waits for a slower one).
//
//   mpirun -np 2 bench/reducer_bench [--mb 10] [--tensors 60] [--bucket_mb 25] [--reps 20]
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "dist/communicator.h"
#include "dist/reducer.h"
#include "dist/world.h"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gradient reducer vs raw MPI_Allreduce of the same bytes (run under mpirun)"};
  double mb = 10, bucket_mb = 25, first_mb = 1;
  int tensors = 60, reps = 20;
  double backward_ms = 20;
  app.add_option("--mb", mb, "gradient size in MiB")->capture_default_str();
  app.add_option("--tensors", tensors, "gradients it is cut into")->capture_default_str();
  app.add_option("--bucket_mb", bucket_mb, "reducer bucket size (MiB)")->capture_default_str();
  app.add_option("--first_bucket_mb", first_mb, "first bucket (MiB)")->capture_default_str();
  app.add_option("--backward_ms", backward_ms, "simulated backward spread over the gradients")
      ->capture_default_str();
  app.add_option("--reps", reps, "timed repetitions (median kept)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    const auto world = lasynth::dist::world_from_environment();
    auto comm = lasynth::dist::make_communicator("mpi", world);
    const size_t total = static_cast<size_t>(mb * (1 << 20) / sizeof(float));
    const size_t each = total / static_cast<size_t>(tensors);
    std::vector<size_t> sizes(static_cast<size_t>(tensors), each);
    std::vector<float> raw(each * sizes.size(), 1.0f);
    lasynth::dist::ReducerOptions o;
    o.bucket_bytes = static_cast<size_t>(bucket_mb * (1 << 20));
    o.first_bucket_bytes = static_cast<size_t>(first_mb * (1 << 20));
    lasynth::dist::GradientReducer reducer(*comm, sizes, o);
    auto fill = [&] {
      for (size_t i = 0; i < sizes.size(); ++i) std::fill_n(reducer.slot(i), sizes[i], 1.0f);
    };
    auto busy = [](double seconds) {
      const double until = now_s() + seconds;
      while (now_s() < until) {
      }
    };
    const double per_gradient = backward_ms * 1e-3 / static_cast<double>(sizes.size());
    std::vector<double> raw_s, iraw_s, reducer_s, overlapped_s, wait_s;
    for (int rep = -2; rep < reps; ++rep) {  // two warm-up rounds
      comm->barrier();
      double t = now_s();
      MPI_Allreduce(MPI_IN_PLACE, raw.data(), static_cast<int>(raw.size()), MPI_FLOAT, MPI_SUM,
                    MPI_COMM_WORLD);
      if (rep >= 0) raw_s.push_back(now_s() - t);
      comm->barrier();
      t = now_s();
      MPI_Request request;
      MPI_Iallreduce(MPI_IN_PLACE, raw.data(), static_cast<int>(raw.size()), MPI_FLOAT, MPI_SUM,
                     MPI_COMM_WORLD, &request);
      MPI_Wait(&request, MPI_STATUS_IGNORE);
      if (rep >= 0) iraw_s.push_back(now_s() - t);
      fill();
      comm->barrier();
      t = now_s();
      for (size_t i = sizes.size(); i-- > 0;) reducer.mark_ready(i);
      reducer.finish();
      if (rep >= 0) reducer_s.push_back(now_s() - t);
      fill();
      comm->barrier();
      t = now_s();
      for (size_t i = sizes.size(); i-- > 0;) {
        busy(per_gradient);
        reducer.mark_ready(i);
      }
      const double end_of_backward = now_s();
      reducer.finish();
      if (rep >= 0) {
        overlapped_s.push_back(now_s() - t);
        wait_s.push_back(now_s() - end_of_backward);
      }
    }
    if (comm->rank() == 0) {
      const double bytes = static_cast<double>(raw.size() * sizeof(float));
      const double a = median(raw_s), ia = median(iraw_s), b = median(reducer_s);
      const double wait = median(wait_s);
      std::printf("%d ranks, %.2f MiB of gradients in %d tensors, reducer buckets: %zu\n",
                  comm->size(), bytes / (1 << 20), tensors, reducer.num_buckets());
      std::printf("| %-40s | %10s | %12s |\n", "all-reduce", "median ms", "GB/s (alg)");
      std::printf("|%s|%s|%s|\n", std::string(42, '-').c_str(), std::string(12, '-').c_str(),
                  std::string(14, '-').c_str());
      std::printf("| %-40s | %10.3f | %12.3f |\n", "MPI_Allreduce, one buffer", a * 1e3,
                  bytes / a / 1e9);
      std::printf("| %-40s | %10.3f | %12.3f |\n", "MPI_Iallreduce + MPI_Wait, one buffer",
                  ia * 1e3, bytes / ia / 1e9);
      std::printf("| %-40s | %10.3f | %12.3f |\n", "GradientReducer, all gradients ready", b * 1e3,
                  bytes / b / 1e9);
      std::printf("reducer / MPI_Allreduce bandwidth: %.3f; reducer / MPI_Iallreduce: %.3f\n",
                  a / b, ia / b);
      std::printf(
          "during a %.1f ms backward: step %.3f ms, waited %.3f ms after backward: %.0f%% of "
          "the reducer's %.3f ms hidden\n",
          backward_ms, median(overlapped_s) * 1e3, wait * 1e3,
          100.0 * std::max(0.0, 1.0 - wait / b), b * 1e3);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reducer_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
