#!/usr/bin/env bash
# The whole experiment as chained SLURM jobs (each starts only if the one before succeeded):
# dataset generation (an array, then its manifest) -> training -> evaluation of the final model
# on the test split and the table of every checkpoint on the validation split -> iterative
# retraining (each round evaluated on the test split) -> evaluation of its last model.
#
#   slurm/pipeline.sh RUN_DIR          (run it from the lasynth checkout; it submits and returns)
#
# RUN_DIR receives data/, model/, test-report.json, retrain/ (round-R/, retrain.{json,md}),
# retrain-test-report.json, the jobs' logs and pipeline.jobs (the job ids). Settings by
# environment:
#   LASYNTH_DATAGEN_TASKS   array tasks of the generation (default 4)
#   LASYNTH_DATAGEN_FLAGS   lasynth-datagen flags (default "--train 10000 --val 200 --test 200")
#   LASYNTH_NODES           training nodes (default 1)
#   LASYNTH_TASKS_PER_NODE  training ranks per node, one per GPU or core (default 1)
#   LASYNTH_GPUS_PER_NODE   GPUs per node for training (default 0: CPU)
#   LASYNTH_TRAIN_FLAGS     lasynth train flags (default "--config configs/quickstart.yaml")
#   LASYNTH_EVAL_FLAGS      lasynth eval flags (default "--beam 8")
#   LASYNTH_RETRAIN_ROUNDS  retraining rounds (default 1; 0: no retraining)
#   LASYNTH_RETRAIN_FLAGS   more lasynth retrain flags (default: LASYNTH_TRAIN_FLAGS)
#   LASYNTH_BUILD           see slurm/common.sh
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: slurm/pipeline.sh RUN_DIR" >&2; exit 2; }
[[ -f slurm/common.sh ]] || { echo "pipeline.sh: run it from the lasynth checkout" >&2; exit 2; }
run=$(mkdir -p "$1" && cd "$1" && pwd)
read -r -a datagen_flags <<< "${LASYNTH_DATAGEN_FLAGS:---train 10000 --val 200 --test 200}"
read -r -a train_flags <<< "${LASYNTH_TRAIN_FLAGS:---config configs/quickstart.yaml}"
read -r -a eval_flags <<< "${LASYNTH_EVAL_FLAGS:---beam 8}"
tasks=${LASYNTH_DATAGEN_TASKS:-4}
nodes=${LASYNTH_NODES:-1}
per_node=${LASYNTH_TASKS_PER_NODE:-1}
gpus=${LASYNTH_GPUS_PER_NODE:-0}
gres=()
[[ $gpus -gt 0 ]] && gres=(--gres="gpu:$gpus")

submit() { sbatch --parsable "$@" | cut -d';' -f1; }
array=$(submit --array="0-$((tasks - 1))" --output="$run/datagen-%A_%a.out" \
  slurm/datagen.sbatch "$run/data" "${datagen_flags[@]}")
finalize=$(submit --dependency="afterok:$array" --output="$run/datagen-finalize-%j.out" \
  slurm/datagen.sbatch --finalize "$run/data")
train=$(submit --dependency="afterok:$finalize" -N "$nodes" --ntasks-per-node="$per_node" \
  "${gres[@]}" --output="$run/train-%j.out" \
  slurm/train.sbatch "$run/data" "$run/model" "${train_flags[@]}")
test_eval=$(LASYNTH_EVAL_REPORT=$run/test-report.json submit --dependency="afterok:$train" \
  --output="$run/eval-test-%j.out" slurm/eval.sbatch "$run/data" "$run/model" "${eval_flags[@]}")
table=$(submit --dependency="afterok:$train" --output="$run/eval-val-%j.out" \
  slurm/eval.sbatch "$run/data" "$run/model" --split val "${eval_flags[@]}")
printf 'datagen %s\nfinalize %s\ntrain %s\neval-test %s\neval-val %s\n' \
  "$array" "$finalize" "$train" "$test_eval" "$table" > "$run/pipeline.jobs"
echo "pipeline.sh: jobs datagen $array -> finalize $finalize -> train $train -> eval $test_eval" \
  "(test report $run/test-report.json) and $table (checkpoint table on val)"
rounds=${LASYNTH_RETRAIN_ROUNDS:-1}
if [[ $rounds -gt 0 ]]; then
  read -r -a retrain_flags <<< "${LASYNTH_RETRAIN_FLAGS:-${train_flags[*]}}"
  retrain=$(submit --dependency="afterok:$test_eval" --ntasks=$((nodes * per_node)) \
    --output="$run/retrain-%j.out" slurm/retrain.sbatch "$run/data" "$run/model" "$run/retrain" \
    --rounds "$rounds" "${retrain_flags[@]}" "${eval_flags[@]}")
  retrain_eval=$(LASYNTH_EVAL_REPORT=$run/retrain-test-report.json submit \
    --dependency="afterok:$retrain" --output="$run/eval-retrain-%j.out" \
    slurm/eval.sbatch "$run/data" "$run/retrain/round-$rounds/model" "${eval_flags[@]}")
  printf 'retrain %s\neval-retrain %s\n' "$retrain" "$retrain_eval" >> "$run/pipeline.jobs"
  echo "pipeline.sh: -> retrain $retrain ($rounds round(s), table $run/retrain/retrain.md) ->" \
    "eval $retrain_eval (test report $run/retrain-test-report.json)"
fi
echo "pipeline.sh: job ids in $run/pipeline.jobs"
