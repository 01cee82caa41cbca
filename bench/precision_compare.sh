#!/usr/bin/env bash
# fp32 against bf16 (issue 19): the quickstart model (configs/quickstart.yaml) trained on the same
# `small`-preset dataset with the same seed, 2 ranks x 8, side by side in one run, with the
# forward pass in float32 or bfloat16 (--precision) and the gradient all-reduce in float32 or
# bfloat16 (--grad_dtype). Prints each setting's loss at every log step, its last loss against
# fp32's, and its examples/s against fp32's.
#
#   bench/precision_compare.sh OUT [STEPS] [LOG_INTERVAL]      (default 2000 steps, the quickstart's)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
if (($# < 1)); then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out=$1
steps=${2:-2000}
interval=${3:-$((steps / 4))}
lasynth=$build/src/app/lasynth
[[ -x $lasynth ]] || { echo "no $lasynth: build first (scripts/build.sh)" >&2; exit 1; }
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p "$out"
if [[ ! -f $out/data/manifest.json ]]; then
  "$build/data_tools/lasynth-datagen" --preset small --train 12000 --val 200 --test 200 \
    --shards 4 --seed 1 --threads "$(nproc)" --out "$out/data" --quiet
fi
settings=(fp32/fp32 bf16/fp32 bf16/bf16)
for s in "${settings[@]}"; do
  IFS=/ read -r precision grad <<< "$s"
  run=$out/run-$precision-$grad
  rm -rf "$run"
  mpirun -np 2 --oversubscribe --mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo \
    "$lasynth" train --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
    --model_dir "$run" --max_steps "$steps" --batch_size 8 --val_examples 0 \
    --log_interval "$interval" --precision "$precision" --grad_dtype "$grad" \
    > "$out/train-$precision-$grad.log" 2>&1 < /dev/null
done
field() { grep -o "\"$2\": *[0-9.e-]*" "$1" | grep -o '[0-9.e-]*$'; }
base=$out/run-fp32-fp32/metrics.jsonl
echo "| precision | grad_dtype | loss at each log step | last loss | vs fp32 | examples/s | vs fp32 |"
echo "|---|---|---|---|---|---|---|"
for s in "${settings[@]}"; do
  IFS=/ read -r precision grad <<< "$s"
  m=$out/run-$precision-$grad/metrics.jsonl
  curve=$(field "$m" loss | awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 }')
  last=$(field "$m" loss | tail -n1)
  speed=$(field "$m" examples_per_s | tail -n1)
  awk -v p="$precision" -v g="$grad" -v c="$curve" -v l="$last" -v s="$speed" \
    -v bl="$(field "$base" loss | tail -n1)" -v bs="$(field "$base" examples_per_s | tail -n1)" \
    'BEGIN { printf "| %s | %s | %s | %.4f | %+.2f%% | %.1f | %.2fx |\n", p, g, c, l, 100 * (l - bl) / bl, s, s / bs }'
done
