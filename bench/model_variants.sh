#!/usr/bin/env bash
# Model variants side by side: each trains on the same dataset with the same budget (the
# quickstart's: configs/quickstart.yaml, 1500 steps of 16 examples on 2 ranks) and is evaluated
# on the same test split; prints a table of training speed and accuracy. Issue 16 measures each
# change to the model this way (a change's old behaviour is a flag).
#
#   bench/model_variants.sh OUT NAME='FLAGS' [NAME='FLAGS' ...]
#   e.g. bench/model_variants.sh runs/variants base='' sum-loss='--loss_reduction sum'
#
# Environment: VARIANTS_PRESET (small), VARIANTS_TRAIN (12000 programs; val and test 200 each),
# VARIANTS_STEPS (1500), VARIANTS_RANKS (2), VARIANTS_DECODE_LEN (100), BUILD (build/).
# OUT/data is generated once and reused; a variant whose OUT/NAME-b8.json exists is not rerun.
# Columns: examples/s (the last metrics line), io_consistency with beam 1 (greedy: the paper's
# figure), and with beam 8 io_consistency and generalization (the 5 held-out pairs too).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
if (($# < 2)); then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out=$1
shift
preset=${VARIANTS_PRESET:-small}
steps=${VARIANTS_STEPS:-1500}
ranks=${VARIANTS_RANKS:-2}
decode_len=${VARIANTS_DECODE_LEN:-100}
lasynth=$build/src/app/lasynth
for bin in "$lasynth" "$build/data_tools/lasynth-datagen"; do
  [[ -x $bin ]] || { echo "no $bin: build first (scripts/build.sh)" >&2; exit 1; }
done
if ((16 % ranks)); then
  echo "model_variants: VARIANTS_RANKS=$ranks does not divide the global batch of 16" >&2
  exit 2
fi
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpi=(mpirun -np "$ranks" --oversubscribe --mca pml ob1 --mca btl self,vader
  --mca oob_tcp_if_include lo)
mkdir -p "$out"
if [[ ! -f $out/data/manifest.json ]]; then
  echo "== generating $out/data (preset $preset)" >&2
  "$build/data_tools/lasynth-datagen" --preset "$preset" --train "${VARIANTS_TRAIN:-12000}" \
    --val 200 --test 200 --shards 4 --seed 1 --threads "$(nproc)" --out "$out/data" --quiet
fi

config=(--config "$root/configs/quickstart.yaml" --data_folder "$out/data"
  --max_decode_len "$decode_len")
for variant in "$@"; do
  name=${variant%%=*}
  read -r -a flags <<< "${variant#*=}"
  [[ -f $out/$name-b8.json ]] && continue
  echo "== $name: training ${flags[*]:-(defaults)}" >&2
  start=$(date +%s)
  "${mpi[@]}" "$lasynth" train "${config[@]}" --model_dir "$out/$name" --max_steps "$steps" \
    --batch_size $((16 / ranks)) --val_examples 0 --log_interval "$steps" "${flags[@]}" \
    > "$out/$name-train.log" 2>&1
  echo "$(($(date +%s) - start))" > "$out/$name-train-seconds"
  for beam in 1 8; do
    "${mpi[@]}" "$lasynth" eval "${config[@]}" --load_model "$out/$name" --beam "$beam" \
      --report "$out/$name-b$beam.json" > "$out/$name-eval-b$beam.log" 2>&1
  done
done

/usr/bin/python3 - "$out" "$@" <<'PY'
import json, sys
out, variants = sys.argv[1], sys.argv[2:]
print(f"| variant | flags | examples/s | train s | io_consistency b1 | io_consistency b8 | generalization b8 |")
print("|---|---|---|---|---|---|---|")
for v in variants:
    name, _, flags = v.partition("=")
    speed = json.loads(open(f"{out}/{name}/metrics.jsonl").readlines()[-1])["examples_per_s"]
    seconds = open(f"{out}/{name}-train-seconds").read().strip()
    b1 = json.load(open(f"{out}/{name}-b1.json"))["metrics"]
    b8 = json.load(open(f"{out}/{name}-b8.json"))["metrics"]
    print(f"| {name} | `{flags or '(defaults)'}` | {speed:.1f} | {seconds} | "
          f"{b1['io_consistency']:.3f} | {b8['io_consistency']:.3f} | {b8['generalization']:.3f} |")
PY
