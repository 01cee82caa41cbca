#!/usr/bin/env bash
# The NCCL communicator checked for real on a GPU machine (one rank: NCCL refuses two ranks on
# one GPU; multi-rank logic is tested with MPI on CPU). The GPU machine has CUDA, NCCL (in
# PyTorch's wheel), g++, CMake and ninja but no MPI, fmt or GoogleTest, so:
#   scripts/nccl-device-check.sh kit   here: copies GoogleTest's sources and fmt's headers into
#                                      .gpu-kit/ (add /.gpu-kit/ to .git/info/exclude and carry it)
#   scripts/nccl-device-check.sh run   there: builds src/dist with NCCL (MPI stubbed: one process
#                                      never calls it) and runs tests/dist; log in $OUT if set
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kit=$root/.gpu-kit
case ${1:-} in
  kit)
    rm -rf "$kit" && mkdir -p "$kit/include"
    cp -r /usr/src/googletest "$kit/googletest"
    cp -r /usr/include/fmt "$kit/include/"
    echo "nccl-device-check: kit in $kit ($(du -sh "$kit" | cut -f1))"
    ;;
  run)
    [[ -d $kit/googletest ]] || { echo "no $kit: run '$0 kit' first, and carry .gpu-kit" >&2; exit 1; }
    log=${OUT:-/tmp}/nccl_device_check.log
    exec > >(tee "$log") 2>&1
    cd "$root"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
    nccl=$(python3 -c "import nvidia.nccl; print(list(nvidia.nccl.__path__)[0])")
    cuda=${CUDA_HOME:-/usr/local/cuda}
    cat > /tmp/mpi_stub.cc <<'CC'
// One process, no MPI: communicator.cc asks for MPI only under an MPI launcher.
#include <stdexcept>
#include "dist/mpi_communicator.h"
namespace lasynth { namespace dist {
std::unique_ptr<Communicator> make_mpi_communicator(const World&) {
  throw std::runtime_error("no MPI in the device check");
}
void abort_job(int) {}
}}
CC
    cmake -S "$kit/googletest" -B /tmp/gt -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null &&
      ninja -C /tmp/gt > /dev/null || { echo "GoogleTest build failed"; exit 1; }
    gt=$(dirname "$(find /tmp/gt -name libgtest.a | head -1)")
    g++ -std=c++17 -O1 -DLASYNTH_WITH_NCCL=1 -DFMT_HEADER_ONLY -Isrc -I"$kit/include" \
      -I"$nccl/include" -I"$cuda/include" -I"$kit/googletest/googletest/include" \
      src/dist/communicator.cc src/dist/world.cc src/dist/reducer.cc \
      src/dist/nccl_communicator.cc /tmp/mpi_stub.cc tests/dist/*_test.cc \
      -L"$gt" -lgtest_main -lgtest -L"$nccl/lib" -l:libnccl.so.2 -L"$cuda/lib64" -lcudart \
      -lpthread -Wl,-rpath,"$nccl/lib" -Wl,-rpath,"$cuda/lib64" -o /tmp/dist_tests ||
      { echo "compile failed"; exit 1; }
    /tmp/dist_tests
    ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
