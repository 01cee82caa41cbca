#!/usr/bin/env bash
# The main job on small defaults, on CPU: install, build, generate a dataset of the `small` preset
# (restricted-C programs of up to 4 statements with loops and branches), train LaSynth on it
# (configs/quickstart.yaml), evaluate it on the test split (greedy: the paper's io_consistency;
# beam 8: generalization), and synthesize a loop for hand-written examples with execution-guided
# search. Writes runs/quickstart/ (or $1). Training and evaluation run data-parallel under
# mpirun, one rank per core (2 by default).
#   QUICKSTART_STEPS   training steps (default 2000)
#   QUICKSTART_RANKS   processes (default 2; must divide the global batch of 16)
#   QUICKSTART_SEED    the dataset's and the model's seed (default 2; the synthesis step
#                      succeeds for seeds 1, 2 and 3: README, issue 17)
#   QUICKSTART_COMPARE=1  also train and evaluate RobustFill on the same budget
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}
out=${1:-$root/runs/quickstart}
steps=${QUICKSTART_STEPS:-2000}
seed=${QUICKSTART_SEED:-2}
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

# Only what the quickstart runs: the tests build with scripts/test.sh.
"$root/scripts/build.sh" lasynth lasynth-datagen lasynth-data
tools="$build_dir/data_tools"
lasynth="$build_dir/src/app/lasynth"

# The `small` preset: a CPU-scale task of the paper's character (about half the programs loop,
# a third branch). Test programs compute functions no training program computes (the splits are
# disjoint by behaviour), so a correct answer generalizes.
echo "== generating a restricted-C dataset (preset small): 12,000 train, 200 val, 200 test"
"$tools/lasynth-datagen" --preset small --train 12000 --val 200 --test 200 --shards 4 \
  --seed "$seed" --threads "$(nproc)" --out "$out/data" --quiet

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
    --model_dir "$out/$name" --max_steps "$steps" --batch_size $((16 / ranks)) --seed "$seed" \
    --resume "$@"
  echo "== evaluating $name on the 200 test programs: greedy (the paper's io_consistency)"
  "${mpi[@]}" "$lasynth" eval --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
    --load_model "$out/$name" --beam 1 --report "$out/$name-report-beam1.json" "$@"
  echo "== evaluating $name on the 200 test programs: beam 8 (generalization: held-out pairs too)"
  "${mpi[@]}" "$lasynth" eval --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
    --load_model "$out/$name" --beam 8 --report "$out/$name-report.json" "$@"
}

train_and_eval lasynth
if [[ ${QUICKSTART_COMPARE:-0} == 1 ]]; then
  train_and_eval robustfill --latent_execution=false --operation_predictor=false \
    --decoder_self_attention=false
fi

echo "== validation accuracy of every checkpoint kept (greedy), as a table and a plot"
"${mpi[@]}" "$lasynth" eval --config "$root/configs/quickstart.yaml" --data_folder "$out/data" \
  --checkpoints "$out/lasynth" --split val --beam 1

echo "== synthesizing a program for hand-written examples (add 1 to every element: a loop)"
cat >"$out/examples.json" <<'JSON'
{"io": [{"input": [1, 2, 3, -4, 0], "output": [2, 3, 4, -3, 1]},
        {"input": [-3, 0, 2, 2, 1], "output": [-2, 1, 3, 3, 2]},
        {"input": [3, -1, -2, 0, -4], "output": [4, 0, -1, 1, -3]},
        {"input": [0, 0, 0, 0, 0], "output": [1, 1, 1, 1, 1]},
        {"input": [-4, 3, 1, -2, 2], "output": [-3, 4, 2, -1, 3]}]}
JSON
# Execution-guided search (synthesize's default): candidates that no program begins with, or that
# fail on the examples where they end a statement, leave the beam; the program printed
# reproduces every pair, executed. Beam 1,024 (about 8 s): at 256, one of seeds 1, 2, 3 missed the
# loop, which a model of this budget ranks that low (README, issue 17).
"$lasynth" synthesize --load_model "$out/lasynth" --examples "$out/examples.json" --beam 1024 \
  --max_decode_len 90 ||
  echo "(no consistent program in the beam: at this budget the model does not yet put this loop" \
    "among its 1,024 best candidates; see the README's quickstart figures and issue 17)"

echo "== done in $(($(date +%s) - start)) s"
metric() { grep -o "\"$2\": [0-9.e-]*" "$1" | head -n1 | awk '{print $2}'; }
echo "LaSynth on the 200 test programs of the small preset:"
echo "  io_consistency, greedy (the paper's figure: the program reproduces the 5 specification" \
  "pairs): $(metric "$out/lasynth-report-beam1.json" io_consistency)"
echo "  generalization, beam 8 (ours, stricter: the 5 held-out pairs too):" \
  "$(metric "$out/lasynth-report.json" generalization)"
