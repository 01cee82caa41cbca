#!/usr/bin/env bash
# The longer CPU recipe (issue 17; README "A longer recipe"): LaSynth at 1.5x the quickstart's
# sizes (configs/long-recipe.yaml) on the `paper` preset, 100,000 training programs, 6,000 steps
# of 16 examples on 2 ranks (about 85 minutes of training alone on 2 cores, under 2 hours in all);
# then the greedy validation accuracy of every checkpoint (a table and a plot: the accuracy
# curve) and the test split greedy, at beam 8 and at beam 8 with execution-guided search.
# Writes runs/long-recipe/ (or $1); run it again after an interruption and it resumes.
#   LONG_RECIPE_SEED    the dataset's and the model's seed (default 1)
#   LONG_RECIPE_RANKS   processes (default 2; must divide the global batch of 16)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}
out=${1:-$root/runs/long-recipe}
seed=${LONG_RECIPE_SEED:-1}
ranks=${LONG_RECIPE_RANKS:-2}
start=$(date +%s)
if ((16 % ranks)); then
  echo "long-recipe: LONG_RECIPE_RANKS=$ranks does not divide the global batch of 16" >&2
  exit 2
fi
mpi=(mpirun -np "$ranks" --oversubscribe --mca pml ob1 --mca btl self,vader
  --mca oob_tcp_if_include lo)
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
config=$root/configs/long-recipe.yaml

"$root/scripts/build.sh" lasynth lasynth-datagen lasynth-data
tools="$build_dir/data_tools"
lasynth="$build_dir/src/app/lasynth"

if [[ ! -f $out/data/manifest.json ]]; then
  echo "== generating the paper preset: 100,000 train, 200 val, 200 test (each function once)"
  "$tools/lasynth-datagen" --preset paper --train 100000 --val 200 --test 200 --shards 4 \
    --seed "$seed" --threads "$(nproc)" --out "$out/data" --quiet
fi
"$tools/lasynth-data" stats "$out/data" | sed -n '1,8p'

phase=$(date +%s)
echo "== training LaSynth (configs/long-recipe.yaml) on $ranks ranks, $((16 / ranks)) examples each"
"${mpi[@]}" "$lasynth" train --config "$config" --data_folder "$out/data" \
  --model_dir "$out/lasynth" --batch_size $((16 / ranks)) --seed "$seed" --resume
echo "== training: $(($(date +%s) - phase)) s"

phase=$(date +%s)
echo "== greedy validation accuracy of every checkpoint: the accuracy curve"
"${mpi[@]}" "$lasynth" eval --config "$config" --data_folder "$out/data" \
  --checkpoints "$out/lasynth" --split val --beam 1
echo "== the test split: greedy, beam 8, beam 8 execution-guided"
"${mpi[@]}" "$lasynth" eval --config "$config" --data_folder "$out/data" \
  --load_model "$out/lasynth" --beam 1 --report "$out/test-beam1.json"
"${mpi[@]}" "$lasynth" eval --config "$config" --data_folder "$out/data" \
  --load_model "$out/lasynth" --beam 8 --report "$out/test-beam8.json"
"${mpi[@]}" "$lasynth" eval --config "$config" --data_folder "$out/data" \
  --load_model "$out/lasynth" --beam 8 --search execution_guided \
  --report "$out/test-beam8-guided.json"
echo "== evaluation: $(($(date +%s) - phase)) s"

echo "== done in $(($(date +%s) - start)) s"
metric() { grep -o "\"$2\": [0-9.e-]*" "$1" | head -n1 | awk '{print $2}'; }
echo "LaSynth on the 200 test programs of the paper preset (functions no training program computes):"
for r in beam1 beam8 beam8-guided; do
  echo "  $r: io_consistency $(metric "$out/test-$r.json" io_consistency)," \
    "generalization $(metric "$out/test-$r.json" generalization)"
done
echo "the curve: $out/lasynth/eval-val-beam1.csv and .png"
