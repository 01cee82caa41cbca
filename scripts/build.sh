#!/usr/bin/env bash
# Installs the dependencies (unless LASYNTH_SKIP_INSTALL=1) and builds lasynth into build/ (or
# $LASYNTH_BUILD_DIR) with CMake and Ninja: everything, or only the targets named as arguments
# (e.g. `scripts/build.sh lasynth`). Incremental: a second run rebuilds only what changed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LASYNTH_BUILD_DIR:-$root/build}

if [ "${LASYNTH_SKIP_INSTALL:-0}" != 1 ]; then
  "$root/scripts/install-deps.sh"
fi

start=$(date +%s)
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${LASYNTH_BUILD_TYPE:-Release}" >/dev/null
# A LibTorch target compiles as one translation unit of ~1.5 GB; the default parallelism is the
# core count.
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build_dir" "${targets[@]}" -- ${LASYNTH_JOBS:+-j "$LASYNTH_JOBS"}
echo "build: done in $(( $(date +%s) - start )) s ($build_dir)"
