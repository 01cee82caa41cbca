#include "train/preemption.h"

#include <atomic>
#include <csignal>

namespace lasynth {
namespace train {
namespace {

// Lock-free, so both async-signal-safe and safe to set from the heartbeat thread.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

void on_signal(int signal) { g_signal = signal; }

}  // namespace

void watch_preemption_signals() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

int preemption_signal() { return g_signal; }

void request_stop(int signal) { g_signal = signal; }

}  // namespace train
}  // namespace lasynth
