#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with ctest. Extra arguments go
# to ctest, e.g. `scripts/test.sh -L unit` for the unit tests alone. ctest counts a skipped test
# as passed, and a gtest suite whose SetUpTestSuite fails reports every test of it as skipped: so
# any skipped test but those that need a GPU (Nccl*, Cuda*) fails the run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}

"$root/scripts/build.sh"
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$log" ||
  status=$?
echo "tests: done in $(( $(date +%s) - start )) s"
# ctest lists them as "<TAB>N - Suite.Name (Skipped)".
unexpected=$(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) (Skipped)$/\1/p' "$log" |
  grep -Ev '^(Nccl|NcclGpu|Cuda)\.' || true)
if [[ -n $unexpected ]]; then
  echo "tests: skipped, though nothing here lets them skip (a suite's set-up failed?):" >&2
  echo "$unexpected" | sed 's/^/  /' >&2
  status=1
fi
exit "$status"
