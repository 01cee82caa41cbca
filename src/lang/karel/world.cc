#include "lang/karel/world.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace lasynth {
namespace karel {
namespace {

int parse_int(const std::string& text, const char* field, const std::string& item) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw ParseError(
        fmt::format("grid field '{}': '{}' in '{}' is not an integer", field, text, item));
  }
  return value;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(text);
  while (std::getline(in, cur, sep)) {
    if (!cur.empty() || sep == ':') out.push_back(cur);
  }
  return out;
}

}  // namespace

const char* dir_name(int dir) {
  static const char* kNames[] = {"north", "east", "south", "west"};
  return dir >= 0 && dir < 4 ? kNames[dir] : "?";
}

World world_from_value(const Value& value, int rows, int cols) {
  if (value.size() != static_cast<size_t>(3 + rows * cols)) {
    throw ParseError(fmt::format("a {}x{} Karel world has {} values, got {}", rows, cols,
                                 3 + rows * cols, value.size()));
  }
  World w;
  w.rows = rows;
  w.cols = cols;
  w.hero_row = value[0];
  w.hero_col = value[1];
  w.hero_dir = value[2];
  w.cells.resize(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < w.cells.size(); ++i) {
    const int32_t x = value[3 + i];
    if (x < kWall || x > kMaxMarkers) {
      throw ParseError(fmt::format("Karel cell {} holds {}; cells are -1 (wall) or 0..{} markers",
                                   i, x, kMaxMarkers));
    }
    w.cells[i] = static_cast<int8_t>(x);
  }
  if (w.hero_dir < 0 || w.hero_dir > 3 || !w.clear(w.hero_row, w.hero_col)) {
    throw ParseError(fmt::format("Karel hero {}:{}:{} is not on a free cell of the {}x{} grid",
                                 w.hero_row, w.hero_col, w.hero_dir, rows, cols));
  }
  return w;
}

World pad_world(const World& w, int rows, int cols) {
  World out = w;
  out.rows = rows;
  out.cols = cols;
  out.cells.assign(static_cast<size_t>(rows * cols), kWall);
  for (int r = 0; r < w.rows; ++r) {
    for (int c = 0; c < w.cols; ++c) out.at(r, c) = w.at(r, c);
  }
  return out;
}

Value world_to_value(const World& w) {
  Value v;
  v.reserve(3 + w.cells.size());
  v.push_back(w.hero_row);
  v.push_back(w.hero_col);
  v.push_back(w.hero_dir);
  v.insert(v.end(), w.cells.begin(), w.cells.end());
  return v;
}

nlohmann::ordered_json world_to_json(const World& w) {
  std::string blocked, markers;
  for (int r = w.rows - 1; r >= 0; --r) {
    for (int c = 0; c < w.cols; ++c) {
      const int8_t x = w.at(r, c);
      if (x == kWall) blocked += fmt::format("{}{}:{}", blocked.empty() ? "" : " ", r, c);
      if (x > 0) markers += fmt::format("{}{}:{}:{}", markers.empty() ? "" : " ", r, c, x);
    }
  }
  nlohmann::ordered_json j;
  j["rows"] = w.rows;
  j["cols"] = w.cols;
  j["hero"] = fmt::format("{}:{}:{}", w.hero_row, w.hero_col, dir_name(w.hero_dir));
  j["blocked"] = blocked;
  j["markers"] = markers;
  j["crashed"] = false;
  return j;
}

World world_from_json(const nlohmann::json& json_in) {
  nlohmann::json json = json_in;
  if (json.is_string()) {
    try {
      json = nlohmann::json::parse(json.get<std::string>());
    } catch (const nlohmann::json::exception& e) {
      throw ParseError(fmt::format("grid: a string that is not JSON ({})", e.what()));
    }
  }
  if (!json.is_object()) throw ParseError("grid: expected a JSON object with rows, cols, hero");
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!json.contains(name)) throw ParseError(fmt::format("grid: field '{}' is missing", name));
    return json.at(name);
  };
  World w;
  const auto& rows = field("rows");
  const auto& cols = field("cols");
  if (!rows.is_number_integer() || !cols.is_number_integer() || rows.get<int64_t>() < 1 ||
      cols.get<int64_t>() < 1 || rows.get<int64_t>() > 256 || cols.get<int64_t>() > 256) {
    throw ParseError(fmt::format("grid: rows and cols must be integers in [1, 256], got {} x {}",
                                 rows.dump(), cols.dump()));
  }
  w.rows = rows.get<int>();
  w.cols = cols.get<int>();
  w.cells.assign(static_cast<size_t>(w.rows * w.cols), 0);
  if (json.contains("crashed") && json.at("crashed").is_boolean() &&
      json.at("crashed").get<bool>()) {
    throw ParseError("grid: a crashed grid is not a world");
  }
  auto cell = [&](const std::vector<std::string>& parts, const char* f, const std::string& item) {
    const int r = parse_int(parts[0], f, item), c = parse_int(parts[1], f, item);
    if (!w.inside(r, c)) {
      throw ParseError(fmt::format("grid field '{}': cell {}:{} is outside the {}x{} grid", f, r, c,
                                   w.rows, w.cols));
    }
    return std::make_pair(r, c);
  };
  auto text = [&](const char* name) {
    if (!json.contains(name)) return std::string();
    if (!json.at(name).is_string()) {
      throw ParseError(fmt::format("grid field '{}' must be a string", name));
    }
    return json.at(name).get<std::string>();
  };
  for (const std::string& item : split(text("blocked"), ' ')) {
    const auto parts = split(item, ':');
    if (parts.size() != 2)
      throw ParseError(fmt::format("grid field 'blocked': '{}' is not r:c", item));
    const auto [r, c] = cell(parts, "blocked", item);
    w.at(r, c) = kWall;
  }
  for (const std::string& item : split(text("markers"), ' ')) {
    const auto parts = split(item, ':');
    if (parts.size() != 3) {
      throw ParseError(fmt::format("grid field 'markers': '{}' is not r:c:n", item));
    }
    const auto [r, c] = cell(parts, "markers", item);
    const int n = parse_int(parts[2], "markers", item);
    if (n < 0 || n > kMaxMarkers || w.at(r, c) == kWall) {
      throw ParseError(fmt::format("grid field 'markers': '{}' needs 0..{} markers on a free cell",
                                   item, kMaxMarkers));
    }
    w.at(r, c) = static_cast<int8_t>(n);
  }
  const std::string hero = text("hero");
  const auto parts = split(hero, ':');
  if (parts.size() != 3)
    throw ParseError(fmt::format("grid field 'hero': '{}' is not r:c:dir", hero));
  const auto [r, c] = cell(parts, "hero", hero);
  w.hero_row = r;
  w.hero_col = c;
  w.hero_dir = -1;
  for (int d = 0; d < 4; ++d) {
    if (parts[2] == dir_name(d)) w.hero_dir = d;
  }
  if (w.hero_dir < 0) {
    throw ParseError(
        fmt::format("grid field 'hero': direction '{}' is not north, east, south or "
                    "west",
                    parts[2]));
  }
  if (w.at(r, c) == kWall)
    throw ParseError(fmt::format("grid field 'hero': {} is on a wall", hero));
  return w;
}

std::vector<int64_t> world_channels(const World& w) {
  const int64_t plane = static_cast<int64_t>(w.rows) * w.cols;
  std::vector<int64_t> out;
  out.push_back(w.hero_dir * plane + w.hero_row * w.cols + w.hero_col);
  for (int64_t i = 0; i < plane; ++i) {
    const int8_t x = w.cells[static_cast<size_t>(i)];
    out.push_back((x == kWall ? 4 : 5 + x) * plane + i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string world_tensor_text(const World& w) {
  std::string out;
  for (int64_t i : world_channels(w)) out += fmt::format("{}{}:1.0", out.empty() ? "" : " ", i);
  return out;
}

std::string world_to_text(const World& w) {
  static const char kHero[] = {'^', '>', 'v', '<'};
  std::string out;
  for (int r = w.rows - 1; r >= 0; --r) {
    for (int c = 0; c < w.cols; ++c) {
      const int8_t x = w.at(r, c);
      if (r == w.hero_row && c == w.hero_col)
        out += kHero[w.hero_dir];
      else if (x == kWall)
        out += '#';
      else if (x == 0)
        out += '.';
      else
        out += x == kMaxMarkers ? 'X' : static_cast<char>('0' + x);
    }
    out += '\n';
  }
  return out;
}

}  // namespace karel
}  // namespace lasynth
