#include "dist/monitor_protocol.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace lasynth {
namespace dist {
namespace {

using nlohmann::json;

std::string line_of(const json& j) { return j.dump() + "\n"; }

}  // namespace

MonitorMessage parse_monitor_line(std::string_view line) {
  MonitorMessage m;
  if (line.size() > kMaxMonitorLine) return m;
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) return m;
  const std::string type = j["type"];
  try {
    if (type == "hello") {
      m.hello.token = j.at("token").get<std::string>();
      m.hello.role = j.at("role").get<std::string>();
      m.hello.rank = j.at("rank").get<int>();
      m.hello.size = j.at("size").get<int>();
      m.hello.host = j.at("host").get<std::string>();
      m.hello.pid = j.at("pid").get<int64_t>();
      if ((m.hello.role != "rank" && m.hello.role != "agent") || m.hello.rank < 0 ||
          m.hello.size < 1 || m.hello.rank >= m.hello.size) {
        return m;
      }
      m.kind = MessageKind::kHello;
    } else if (type == "beat") {
      m.beat.step = j.at("step").get<int64_t>();
      m.beat.epoch = j.value("epoch", int64_t{0});
      // A NaN loss arrives as null: it is still a heartbeat.
      m.beat.loss = j.at("loss").is_number() ? j["loss"].get<double>() : std::nan("");
      m.beat.examples_per_s = j.at("examples_per_s").get<double>();
      m.beat.progress = j.value("progress", int64_t{0});
      m.beat.work_s = j.value("work_s", 0.0);
      m.beat.in_collective_s = j.value("in_collective_s", 0.0);
      m.beat.in_collective_since = j.value("in_collective_since", 0.0);
      m.kind = MessageKind::kBeat;
    } else if (type == "exit") {
      m.exit.code = j.at("code").get<int>();
      m.exit.signal = j.at("signal").get<int>();
      m.kind = MessageKind::kExit;
    } else if (type == "bye") {
      m.kind = MessageKind::kBye;
    } else if (type == "stop") {
      m.kind = MessageKind::kStop;
    } else if (type == "end") {
      m.kind = MessageKind::kEnd;
    } else {
      m.kind = MessageKind::kUnknown;
    }
  } catch (const json::exception&) {
    m.kind = MessageKind::kMalformed;
  }
  return m;
}

std::string monitor_line(const MonitorHello& h) {
  return line_of({{"type", "hello"},
                  {"token", h.token},
                  {"role", h.role},
                  {"rank", h.rank},
                  {"size", h.size},
                  {"host", h.host},
                  {"pid", h.pid}});
}

std::string monitor_line(const Heartbeat& b) {
  return line_of({{"type", "beat"},
                  {"step", b.step},
                  {"epoch", b.epoch},
                  {"loss", b.loss},
                  {"examples_per_s", b.examples_per_s},
                  {"progress", b.progress},
                  {"work_s", b.work_s},
                  {"in_collective_s", b.in_collective_s},
                  {"in_collective_since", b.in_collective_since}});
}

std::string monitor_line(const ExitReport& e) {
  return line_of({{"type", "exit"}, {"code", e.code}, {"signal", e.signal}});
}

std::string monitor_bye_line() { return line_of({{"type", "bye"}}); }
std::string monitor_stop_line() { return line_of({{"type", "stop"}}); }
std::string monitor_end_line() { return line_of({{"type", "end"}}); }

void split_monitor_address(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  int value = -1;
  if (colon != std::string::npos && colon > 0 && colon + 1 < address.size() &&
      address.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
      address.size() - colon <= 6) {
    value = std::stoi(address.substr(colon + 1));
  }
  if (value < 1 || value > 65535) {
    throw ConfigError(
        fmt::format("{}='{}' is not HOST:PORT (lasynth-launch sets it; unset it to "
                    "run without a monitor)",
                    kMonitorAddressEnv, address));
  }
  *host = address.substr(0, colon);
  *port = static_cast<uint16_t>(value);
}

std::string describe_exit(const ExitReport& e) {
  if (e.signal != 0) {
    const char* abbrev = sigabbrev_np(e.signal);
    return fmt::format("killed by signal {} (SIG{})", e.signal, abbrev ? abbrev : "?");
  }
  return fmt::format("exited with status {}", e.code);
}

}  // namespace dist
}  // namespace lasynth
