#!/usr/bin/env bash
# What lasynth-launch's monitor costs a training job, side by side in one run: 2 ranks train the
# same steps on the same data under a plain `mpirun` and under `lasynth-launch` (agents,
# heartbeats every second, the monitor), alternating ROUNDS times; the table gives the median
# examples/s of each and their ratio (target: within 1%).
#
#   bench/monitor_overhead.sh [STEPS]     (default 200 steps; model: configs/quickstart.yaml)
# Environment: BUILD (default build/), ROUNDS (default 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
steps=${1:-200}
rounds=${ROUNDS:-3}
lasynth=$build/src/app/lasynth
launch=$build/launcher/lasynth-launch
for bin in "$lasynth" "$launch" "$build/data_tools/lasynth-datagen"; do
  [[ -x $bin ]] || { echo "no $bin: build first (scripts/build.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
"$build/data_tools/lasynth-datagen" --train 8000 --val 100 --test 100 --shards 2 --seed 1 \
  --max-statements 1 --max-depth 0 --max-locals 0 --max-tokens 30 --out "$tmp/data" --quiet
train=(train --config "$root/configs/quickstart.yaml" --data_folder "$tmp/data" --max_steps "$steps"
  --log_interval "$steps" --val_examples 0)
rate() { /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['examples_per_s'])" "$1/metrics.jsonl"; }
plain=() launched=()
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds ..." >&2
  mpirun -np 2 --mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo --bind-to core \
    "$lasynth" "${train[@]}" --model_dir "$tmp/plain$round" > /dev/null 2>&1
  plain+=("$(rate "$tmp/plain$round")")
  "$launch" -n 2 -- "$lasynth" "${train[@]}" --model_dir "$tmp/launched$round" > /dev/null 2>&1
  launched+=("$(rate "$tmp/launched$round")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
a=$(median "${plain[@]}")
b=$(median "${launched[@]}")
echo "| 2 ranks, $steps steps | examples/s (median of $rounds) | every round |"
echo "|---|---|---|"
echo "| mpirun | $a | ${plain[*]} |"
echo "| lasynth-launch (monitor, agents, heartbeats) | $b | ${launched[*]} |"
awk -v a="$a" -v b="$b" 'BEGIN { printf "| ratio launch / mpirun | %.4f (%+.2f%%) | |\n", b / a, 100 * (b / a - 1) }'
