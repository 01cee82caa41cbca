#!/usr/bin/env bash
# The main job on small defaults: install, build, generate a small restricted-C dataset, and look
# at it. Writes runs/quickstart/ (or $1). Training and evaluation join this script as they land.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}
out=${1:-$root/runs/quickstart}

"$root/scripts/build.sh"
tools="$build_dir/data_tools"

echo "== generating a restricted-C dataset: 5,000 train, 200 val, 200 test (programs + 10 IO pairs)"
"$tools/lasynth-datagen" --domain c --train 5000 --val 200 --test 200 --shards 2 --seed 1 \
  --threads "$(nproc)" --out "$out/data"

echo "== what it holds"
"$tools/lasynth-data" inspect "$out/data"

echo "== a test example"
"$tools/lasynth-data" show "$out/data" --split test --index 0

echo "== checking it (checksums, shapes, every program re-executed)"
"$tools/lasynth-data" verify "$out/data" --quiet
