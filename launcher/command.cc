#include "launcher/command.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace lasynth {
namespace launcher {

std::vector<HostSlots> parse_hosts(const std::string& text) {
  std::vector<HostSlots> hosts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, comma - start);
    start = comma + 1;
    HostSlots h;
    const size_t colon = part.rfind(':');
    h.host = part.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string n = part.substr(colon + 1);
      if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(n) < 1) {
        throw ConfigError(fmt::format(
            "--hosts: '{}' has no valid slot count (write HOST:N with N >= 1, e.g. a:4,b:4)",
            part));
      }
      h.slots = std::stoi(n);
    }
    if (h.host.empty()) {
      throw ConfigError(fmt::format("--hosts '{}': an empty host name (write a:4,b:4)", text));
    }
    hosts.push_back(h);
  }
  return hosts;
}

bool is_local_host(const std::string& host, const std::string& hostname) {
  return host == hostname || host == "localhost" || host.rfind("127.", 0) == 0;
}

LaunchPlan plan_launch(const LaunchOptions& o) {
  LaunchPlan plan;
  for (const HostSlots& h : o.hosts) plan.all_local &= is_local_host(h.host, o.hostname);
  const int slots = std::accumulate(o.hosts.begin(), o.hosts.end(), 0,
                                    [](int n, const HostSlots& h) { return n + h.slots; });
  if (!o.hosts.empty() && slots < o.ranks) {
    throw ConfigError(
        fmt::format("-n {} ranks but --hosts has {} slot(s): add slots or hosts", o.ranks, slots));
  }
  std::vector<std::string>& a = plan.argv;
  if (o.srun) {
    // PMIx: Debian's Open MPI has no PMI2 (PLATFORM.md). One task per rank; the rank picks its
    // GPU from SLURM_LOCALID, so no per-task CUDA_VISIBLE_DEVICES (it breaks NCCL's P2P).
    plan.all_local = false;
    a = {"srun", "--mpi=pmix", "-n", std::to_string(o.ranks), "--kill-on-bad-exit=1"};
  } else {
    a = {"mpirun", "-np", std::to_string(o.ranks)};
    if (o.as_root) a.push_back("--allow-run-as-root");
    if (!o.hosts.empty()) {
      std::string list;
      for (const HostSlots& h : o.hosts) {
        list += (list.empty() ? "" : ",") + fmt::format("{}:{}", h.host, h.slots);
      }
      a.insert(a.end(), {"--host", list});
    }
    // One core per rank (ranks x threads <= cores, PLATFORM.md); more ranks than local cores
    // cannot bind.
    const bool oversubscribed = o.hosts.empty() && o.ranks > o.local_cores;
    a.insert(a.end(), {"--map-by", "slot", "--bind-to", oversubscribed ? "none" : "core"});
    if (oversubscribed) a.push_back("--oversubscribe");
    if (plan.all_local) {
      // Shared memory between ranks, and no listening on every interface.
      a.insert(a.end(), {"--mca", "pml", "ob1", "--mca", "btl", "self,vader", "--mca",
                         "oob_tcp_if_include", "lo"});
    }
    for (const std::string& name : o.export_names) a.insert(a.end(), {"-x", name});
  }
  a.insert(a.end(), {o.agent, "--agent", "--"});
  a.insert(a.end(), o.command.begin(), o.command.end());
  return plan;
}

std::vector<std::string> exported_names(char** environ_list) {
  std::vector<std::string> names;
  for (char** e = environ_list; e && *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    for (const char* prefix : {"NCCL_", "OMP_", "LASYNTH_"}) {
      if (name.rfind(prefix, 0) == 0) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace launcher
}  // namespace lasynth
