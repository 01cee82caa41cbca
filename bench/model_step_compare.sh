#!/usr/bin/env bash
# The C++ Synthesizer against the PyTorch reference (bench/reference/lasynth_reference.py), side
# by side in one run: the same batch, the same initial parameters, the same sizes and threads.
# For each model: model_step_bench writes the batch and its parameters, then the C++ and the
# Python bench time a training step (forward + loss + backward + Adam step) and a beam search.
# Python runs twice: "stepwise" trains token by token as the original LaSynth code does (the
# baseline of issue 5's goal), "fused" runs the C++ model's algorithm (LSTM over whole chunks),
# so that the table separates what the algorithm gains from what C++ gains. A table follows,
# with the ratios C++/Python (above 1: C++ is faster). Each bench reports its
# median step; the benches run ROUNDS times in alternating order and each implementation's best
# round is kept, so that other work on a shared machine disturbs the ratio less.
#
#   bench/model_step_compare.sh [flags for both benches]
#   e.g. bench/model_step_compare.sh --embedding_size 128 --hidden_size 128 \
#          --mlp_hidden_size 256 --num_layers 1 --batch_size 8 --threads 1 --steps 10 \
#          --beam 64 --beam_examples 2 --max_len 60
# Environment: BUILD (default: build/ at the repository root), MODELS (default
# "lasynth robustfill"), ROUNDS (default 2), PYTHON (default /usr/bin/python3: Debian's python3-torch, the same
# libtorch as the C++ build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD:-$root/build}/bench/model_step_bench
python=${PYTHON:-/usr/bin/python3}
models=${MODELS:-lasynth robustfill}
rounds=${ROUNDS:-2}
[[ -x $bin ]] || { echo "no $bin: ninja -C build model_step_bench" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpp() {
  "$bin" --model "$model" "$@" --batch_file "$tmp/batch.json" >> "$tmp/$model.cpp.jsonl"
}
py() {  # py stepwise|fused ...
  local mode=$1
  shift
  "$python" "$root/bench/model_step_bench.py" --model "$model" "$@" --teacher_forcing "$mode" \
    --batch_file "$tmp/batch.json" --params "$tmp/$model.params" >> "$tmp/$model.$mode.jsonl"
}
results=()
for model in $models; do
  "$bin" --model "$model" "$@" --write_batch "$tmp/batch.json" --write_params "$tmp/$model.params"
  for ((round = 1; round <= rounds; ++round)); do
    echo "timing $model, round $round of $rounds ..." >&2
    if ((round % 2)); then
      cpp "$@"; py stepwise "$@"; py fused "$@"
    else
      py fused "$@"; py stepwise "$@"; cpp "$@"
    fi
  done
  results+=("$tmp/$model.cpp.jsonl" "$tmp/$model.stepwise.jsonl" "$tmp/$model.fused.jsonl")
done

"$python" - "${results[@]}" <<'EOF'
import json, sys
def best(path):
    runs = [json.loads(line) for line in open(path)]
    r = max(runs, key=lambda r: r["samples_per_s"])
    r["programs_per_s"] = max((x.get("programs_per_s") for x in runs), default=None,
                              key=lambda x: x or 0)
    r["rounds"] = len(runs)
    return r
rows = [best(p) for p in sys.argv[1:]]
r0 = rows[0]
print(f"batch {r0['batch_size']} x {r0['io_pairs']} pairs, {r0['max_tokens']} tokens, "
      f"{r0['threads']} thread(s), median of {r0['steps']} steps, best of {r0['rounds']} rounds; "
      f"beam {r0.get('beam')} over {r0.get('beam_examples')} examples, max_len {r0.get('max_len')}")
print(f"| {'model':<10} | {'implementation':<24} | {'train samples/s':>15} | "
      f"{'beam programs/s':>15} | {'first loss':>10} | {'same beams':>10} |")
print(f"|{'-' * 12}|{'-' * 26}|{'-' * 17}|{'-' * 17}|{'-' * 12}|{'-' * 12}|")
fmt = lambda x: "-" if x is None else f"{x:.3f}"
for cpp, step, fused in zip(rows[0::3], rows[1::3], rows[2::3]):
    for r in (cpp, step, fused):
        same = r.get("beam_top") == cpp.get("beam_top")
        print(f"| {r['model']:<10} | {r['impl']:<24} | {r['samples_per_s']:>15.3f} | "
              f"{fmt(r.get('programs_per_s')):>15} | {r['first_loss']:>10.4f} | "
              f"{('yes' if same else 'NO'):>10} |")
    for py, label in ((step, "C++/Python stepwise"), (fused, "C++/Python fused")):
        ratio_beam = (cpp["programs_per_s"] / py["programs_per_s"]) if "programs_per_s" in cpp else None
        print(f"| {cpp['model']:<10} | {label:<24} | "
              f"{cpp['samples_per_s'] / py['samples_per_s']:>15.3f} | {fmt(ratio_beam):>15} | "
              f"{'':>10} | {'':>10} |")
        if abs(cpp["first_loss"] - py["first_loss"]) > 1e-4 * abs(cpp["first_loss"]):
            print(f"WARNING: {cpp['model']}: first losses of C++ and {py['impl']} differ: "
                  "the models are not the same", file=sys.stderr)
EOF
