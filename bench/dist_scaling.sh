#!/usr/bin/env bash
# Data-parallel scaling on this machine, side by side in one run: training throughput of 1 rank
# vs 2 ranks (each with the same per-rank batch, so 2 ranks do twice the work per step; the
# target is >= 1.8x), the reducer's cost per step and the share of its communication hidden
# under backward, and the reducer's bandwidth vs a raw MPI_Allreduce of the same bytes.
#
#   bench/dist_scaling.sh [STEPS]      (default 300 steps; model: configs/quickstart.yaml)
# Environment: BUILD (default build/ at the repository root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
steps=${1:-300}
lasynth=$build/src/app/lasynth
for bin in "$lasynth" "$build/data_tools/lasynth-datagen" "$build/bench/reducer_bench"; do
  [[ -x $bin ]] || { echo "no $bin: build first (scripts/build.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpi=(mpirun --oversubscribe --mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo)

"$build/data_tools/lasynth-datagen" --train 8000 --val 100 --test 100 --shards 2 --seed 1 \
  --max-statements 1 --max-depth 0 --max-locals 0 --max-tokens 30 --out "$tmp/data" --quiet
train() {  # ranks
  "${mpi[@]}" -np "$1" "$lasynth" train --config "$root/configs/quickstart.yaml" \
    --data_folder "$tmp/data" --model_dir "$tmp/run$1" --max_steps "$steps" \
    --log_interval "$steps" --val_examples 0 --batch_size 16 2> "$tmp/log$1" > /dev/null
  /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['examples_per_s'])" \
    "$tmp/run$1/metrics.jsonl"
}
echo "training $steps steps of 16 examples per rank (configs/quickstart.yaml) ..." >&2
one=$(train 1)
two=$(train 2)
stats=$(grep "gradient all-reduce" "$tmp/log2")
mib=$(sed -E 's/.* and ([0-9.]+) MiB per step.*/\1/' <<<"$stats")

echo "| ranks | global batch | examples/s | vs 1 rank |"
echo "|-------|--------------|------------|-----------|"
printf "| 1 | 16 | %.1f | 1.00 |\n" "$one"
printf "| 2 | 32 | %.1f | %.2f |\n" "$two" "$(awk -v a="$two" -v b="$one" 'BEGIN { print a / b }')"
echo
echo "2 ranks: $stats"
echo "(the wait after backward includes waiting for the rank with the longer programs)"
echo
# The model's gradient bytes, reduced alone and under a simulated backward of 20 ms.
"${mpi[@]}" -np 2 "$build/bench/reducer_bench" --mb "$mib" --reps 50 --backward_ms 20
