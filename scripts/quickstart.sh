#!/usr/bin/env bash
# The main job on small defaults, on CPU: install, build, generate a dataset of short restricted-C
# programs, train LaSynth on it (configs/quickstart.yaml), evaluate it on the test split, and
# synthesize a program for hand-written examples. Writes runs/quickstart/ (or $1).
# Training and evaluation run data-parallel under mpirun, one rank per core (2 by default).
#   QUICKSTART_STEPS   training steps (default 1500)
#   QUICKSTART_RANKS   processes (default 2; must divide the global batch of 16)
#   QUICKSTART_COMPARE=1  also train and evaluate RobustFill on the same budget
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}
out=${1:-$root/runs/quickstart}
steps=${QUICKSTART_STEPS:-1500}
ranks=${QUICKSTART_RANKS:-2}
start=$(date +%s)
if ((16 % ranks)); then
  echo "quickstart: QUICKSTART_RANKS=$ranks does not divide the global batch of 16" >&2
  exit 2
fi
# Every rank on this machine: shared memory between them, nothing on the network.
mpi=(mpirun -np "$ranks" --oversubscribe --mca pml ob1 --mca btl self,vader
  --mca oob_tcp_if_include lo)
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

"$root/scripts/build.sh"
tools="$build_dir/data_tools"
lasynth="$build_dir/src/app/lasynth"

# Programs of one statement of at most 9 tokens (a[i] = a[j], a[i] += c, a[i] = c - c, ...):
# a distribution small enough for a small model to learn on one core in minutes. Test programs
# never occur in training (the splits are disjoint by program), so a correct answer generalizes.
echo "== generating a restricted-C dataset: 12,000 train, 200 val, 200 test (programs + 10 IO pairs)"
"$tools/lasynth-datagen" --domain c --train 12000 --val 200 --test 200 --shards 4 --seed 1 \
  --max-statements 1 --max-depth 0 --max-locals 0 --max-tokens 30 \
  --threads "$(nproc)" --out "$out/data" --quiet

echo "== what it holds"
"$tools/lasynth-data" inspect "$out/data"
echo "== a test example"
"$tools/lasynth-data" show "$out/data" --split test --index 0
echo "== checking it (checksums, shapes, every program re-executed)"
"$tools/lasynth-data" verify "$out/data" --quiet

train_and_eval() {  # name, extra flags...
  local name=$1
  shift
  echo "== training $name for $steps steps of 16 examples on $ranks ranks (configs/quickstart.yaml)"
  "${mpi[@]}" "$lasynth" train --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
    --model_dir "$out/$name" --max_steps "$steps" --batch_size $((16 / ranks)) --resume "$@"
  echo "== evaluating $name on the 200 test programs (beam 8, every candidate executed)"
  "${mpi[@]}" "$lasynth" eval --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
    --load_model "$out/$name" --report "$out/$name-report.json" "$@"
}

train_and_eval lasynth
if [[ ${QUICKSTART_COMPARE:-0} == 1 ]]; then
  train_and_eval robustfill --latent_execution=false --operation_predictor=false \
    --decoder_self_attention=false
fi

echo "== validation accuracy of every checkpoint kept (greedy), as a table and a plot"
"${mpi[@]}" "$lasynth" eval --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
  --checkpoints "$out/lasynth" --split val --beam 1

echo "== synthesizing a program for hand-written examples (a[4] grows by 3)"
cat >"$out/examples.json" <<'JSON'
{"io": [{"input": [1, 2, 3, 4, 0], "output": [1, 2, 3, 4, 3]},
        {"input": [-3, 0, 2, 2, 1], "output": [-3, 0, 2, 2, 4]},
        {"input": [4, -4, 0, 1, -2], "output": [4, -4, 0, 1, 1]}]}
JSON
"$lasynth" synthesize --load_model "$out/lasynth" --examples "$out/examples.json" --beam 16 \
  --max_decode_len 30 || echo "(no consistent program in the beam)"

echo "== done in $(($(date +%s) - start)) s; reports in $out/*-report.json"
