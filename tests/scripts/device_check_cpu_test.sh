#!/usr/bin/env bash
# scripts/device-check.sh's CPU half (issue 19): the GPU machine's hand-made builds and its checks,
# run here against Debian's LibTorch and the CUDA toolkit's NCCL headers, so that a change that
# breaks them fails CI instead of a GPU session. The tests that need a GPU skip.
#   tests/scripts/device_check_cpu_test.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LASYNTH_BUILD_DIR=$1 LASYNTH_DEVICE_CHECK_CPU=1 LASYNTH_DEVICE_KIT=$tmp/kit
export LASYNTH_DEVICE_WORK=$tmp/work OUT=$tmp/out
mkdir -p "$OUT"
"$root/scripts/device-check.sh" kit || exit 1
"$root/scripts/device-check.sh" all
status=$?
fail() {
  echo "device_check_cpu_test: $*" >&2
  for log in "$OUT"/*_check.log; do echo "== $log"; tail -20 "$log"; done >&2
  exit 1
}
[[ $status == 0 ]] || fail "device-check.sh all exited $status"
table=$OUT/device_table.md
for check in nccl cuda e2e paper; do
  grep -q "^| $check | passed |" "$table" || fail "no passed row for $check in $table"
done
# The test binaries ran: their gtest summaries are in the table.
grep -q "^| nccl | passed | [0-9]* | PASSED [0-9]* tests" "$table" || fail "nccl ran no test"
# The user's run: the resumed model is the uninterrupted one's, bit for bit.
grep -q "tensors bit-identical, largest difference 0; steps 20 / 20" "$OUT/e2e_check.log" ||
  fail "e2e did not compare the resumed and uninterrupted checkpoints"
# One step-time row per precision, each with C++ and both PyTorch forms.
for precision in fp32 bf16; do
  grep -Eq "^\| 8 \| $precision \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|" "$table" ||
    fail "no complete step-time row for batch 8, $precision"
done
# Both sides start from the same parameters on the same batch: in fp32 their first losses agree.
losses=$(grep -E "^\| 8 \| fp32 \|" "$table" | awk -F'|' '{print $(NF-1)}' | tr -d ' ')
[[ ${losses%/*} == "${losses#*/}" ]] || fail "fp32 first losses differ, C++ / PyTorch: $losses"
echo "device_check_cpu_test: every check passed and the table is complete"
