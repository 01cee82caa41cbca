#!/usr/bin/env bash
# Training throughput on this machine against ranks, threads per rank and the per-rank batch
# (issue 17: on 2 cores, throughput buys accuracy). Each setting trains the quickstart model
# (configs/quickstart.yaml) for STEPS steps on the same `small`-preset dataset, with no
# validation, and reports the examples/s of its last metrics line, side by side in one run.
#
#   bench/train_throughput.sh OUT [STEPS] [SETTING ...]
#   SETTING is RANKSxTHREADSxBATCH (batch per rank); default: 2x1x8 2x1x16 2x1x32 1x2x16 1x2x32
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
if (($# < 1)); then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out=$1
steps=${2:-200}
shift $(($# >= 2 ? 2 : 1))
settings=("$@")
((${#settings[@]})) || settings=(2x1x8 2x1x16 2x1x32 1x2x16 1x2x32)
lasynth=$build/src/app/lasynth
[[ -x $lasynth ]] || { echo "no $lasynth: build first (scripts/build.sh)" >&2; exit 1; }
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p "$out"
if [[ ! -f $out/data/manifest.json ]]; then
  "$build/data_tools/lasynth-datagen" --preset small --train 12000 --val 200 --test 200 \
    --shards 4 --seed 1 --threads "$(nproc)" --out "$out/data" --quiet
fi
echo "| ranks | threads per rank | batch per rank | global batch | examples/s | steps/s |"
echo "|---|---|---|---|---|---|"
for s in "${settings[@]}"; do
  IFS=x read -r ranks threads batch <<< "$s"
  run=$out/run-$s
  rm -rf "$run"
  LASYNTH_THREADS=$threads mpirun -np "$ranks" --oversubscribe --bind-to none --mca pml ob1 \
    --mca btl self,vader --mca oob_tcp_if_include lo -x LASYNTH_THREADS \
    "$lasynth" train --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
    --model_dir "$run" --max_steps "$steps" --batch_size "$batch" --val_examples 0 \
    --log_interval "$steps" > "$out/train-$s.log" 2>&1
  speed=$(tail -n1 "$run/metrics.jsonl" | grep -o '"examples_per_s": *[0-9.]*' | grep -o '[0-9.]*$')
  global=$((ranks * batch))
  per_step=$(awk -v s="$speed" -v g="$global" 'BEGIN { printf "%.2f", s / g }')
  echo "| $ranks | $threads | $batch | $global | $speed | $per_step |"
done
