#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with ctest. Extra arguments go
# to ctest, e.g. `scripts/test.sh -L unit` for the unit tests alone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}

"$root/scripts/build.sh"
start=$(date +%s)
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
echo "tests: done in $(( $(date +%s) - start )) s"
