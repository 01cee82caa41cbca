// The Karel world: a grid of cells, each a wall or holding 0..10 markers, and the hero's position
// and direction. Rows count upward, as in the public benchmark: north is row + 1, east is
// column + 1. Leaving the grid counts as walking into a wall.
//
// As a domain Value (flat int32) a world is [hero_row, hero_col, hero_dir, cell(0,0), cell(0,1),
// ..., cell(rows-1, cols-1)] with cell = -1 for a wall, else its marker count, and hero_dir 0..3
// for north, east, south, west.
//
// The model's input is the standard 16-channel encoding: channels 0..3 the hero facing north,
// east, south, west (at the hero's cell), 4 a wall, 5 + m a cell holding m markers (m = 0..10).
// Flattened as [channel][row][col].
#ifndef LASYNTH_LANG_KAREL_WORLD_H_
#define LASYNTH_LANG_KAREL_WORLD_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace karel {

constexpr int kMaxMarkers = 10;
constexpr int kChannels = 16;
constexpr int8_t kWall = -1;

enum Dir : int { kNorth = 0, kEast = 1, kSouth = 2, kWest = 3 };

struct World {
  int rows = 0, cols = 0;
  int hero_row = 0, hero_col = 0, hero_dir = kNorth;
  std::vector<int8_t> cells;  // rows * cols, row-major

  int8_t& at(int r, int c) { return cells[static_cast<size_t>(r * cols + c)]; }
  int8_t at(int r, int c) const { return cells[static_cast<size_t>(r * cols + c)]; }
  bool inside(int r, int c) const { return r >= 0 && c >= 0 && r < rows && c < cols; }
  bool clear(int r, int c) const { return inside(r, c) && at(r, c) != kWall; }
  bool operator==(const World& o) const {
    return rows == o.rows && cols == o.cols && hero_row == o.hero_row && hero_col == o.hero_col &&
           hero_dir == o.hero_dir && cells == o.cells;
  }
};

const char* dir_name(int dir);

// REQUIRES: value.size() == 3 + rows * cols. Throws ParseError when the value is not a world.
World world_from_value(const Value& value, int rows, int cols);
Value world_to_value(const World& world);

// `world` at rows and columns 0.. of a rows x cols grid whose other cells are walls: the same world
// to every program, since the grid's edge acts as a wall (nothing moves or senses past either).
// REQUIRES: world.rows <= rows and world.cols <= cols.
World pad_world(const World& world, int rows, int cols);

// The public benchmark's grid JSON: {"rows", "cols", "hero": "r:c:dir", "blocked": "r:c ...",
// "markers": "r:c:n ...", "crashed": false}, cells listed from the top row down.
nlohmann::ordered_json world_to_json(const World& world);
// Accepts the object or a string holding it. Throws ParseError naming the field at fault.
World world_from_json(const nlohmann::json& json);

// Indices of the 16-channel encoding that are 1, ascending.
std::vector<int64_t> world_channels(const World& world);
// The benchmark's sparse tensor text: "index:1.0 index:1.0 ...".
std::string world_tensor_text(const World& world);

// A readable picture: one line per row, top row first; '#' wall, digits markers, '^>v<' hero.
std::string world_to_text(const World& world);

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_WORLD_H_
