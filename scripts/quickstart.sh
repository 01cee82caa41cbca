#!/usr/bin/env bash
# The main job on small defaults: install, build, generate restricted-C examples, and show them.
# Writes runs/quickstart/ (or $1). Later stages (dataset, training, evaluation) join this script
# as they land.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}
out=${1:-$root/runs/quickstart}

"$root/scripts/build.sh"
mkdir -p "$out"
data="$build_dir/data_tools/lasynth-data"

echo "== generating 1000 restricted-C examples (program + 10 input/output pairs each)"
"$data" sample --domain c --count 1000 --seed 1 > "$out/samples.jsonl"
echo "wrote $out/samples.jsonl ($(wc -l < "$out/samples.jsonl") examples)"

echo "== a look at the first two"
"$data" sample --domain c --count 2 --seed 1 --pretty --quiet
