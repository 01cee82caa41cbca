#!/usr/bin/env bash
# Checks that need a GPU, run on a GPU machine (the `device` tool). That machine has CUDA, PyTorch's
# wheel (LibTorch with CUDA, NCCL), g++, CMake and ninja, but no MPI, HDF5, fmt, CLI11, nlohmann-json,
# OpenSSL headers or GoogleTest, so the checks build only what they need, by hand:
#   scripts/device-check.sh kit     here: copies GoogleTest's sources and the header-only and
#                                   OpenSSL headers into .gpu-kit/, and a batch for the benchmark
#                                   (add /.gpu-kit/ to .git/info/exclude, carry .gpu-kit)
#   scripts/device-check.sh nccl    there: src/dist with NCCL (MPI stubbed: one process never calls
#                                   it) and tests/dist; NCCL refuses two ranks on one GPU, so one rank
#   scripts/device-check.sh bench   there: model_step_bench against the wheel's LibTorch, then C++
#                                   vs the PyTorch reference (stepwise and fused) on the GPU
#   scripts/device-check.sh cuda    there: tests/train/cuda_test.cc (training, checkpoint, resume and
#                                   beam search on the GPU) against the wheel's LibTorch
# Logs go to $OUT when it is set (the device tool brings them back).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kit=$root/.gpu-kit
case ${1:-} in
  kit)
    rm -rf "$kit" && mkdir -p "$kit/include/x86_64-linux-gnu"
    cp -r /usr/src/googletest "$kit/googletest"
    cp -r /usr/include/fmt /usr/include/nlohmann /usr/include/CLI /usr/include/openssl "$kit/include/"
    cp -r /usr/include/x86_64-linux-gnu/openssl "$kit/include/x86_64-linux-gnu/"
    "${LASYNTH_BUILD_DIR:-$root/build}/bench/model_step_bench" --model lasynth --batch_size 32 \
      --write_batch "$kit/b32.json" > /dev/null
    echo "device-check: kit in $kit ($(du -sh "$kit" | cut -f1))"
    ;;
  bench | cuda)
    [[ -f $kit/b32.json ]] || { echo "no $kit: run '$0 kit' first, and carry .gpu-kit" >&2; exit 1; }
    exec > >(tee "${OUT:-/tmp}/$1_check.log") 2>&1
    cd "$root"
    nvidia-smi --query-gpu=name --format=csv,noheader
    torch_dir=$(python3 -c "import torch; print(torch.__path__[0])")
    abi=$(python3 -c "import torch; print(int(torch.compiled_with_cxx11_abi()))")
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
    cuda=${CUDA_HOME:-/usr/local/cuda}
    flags="-std=c++17 -O2 -w -D_GLIBCXX_USE_CXX11_ABI=$abi -DFMT_HEADER_ONLY -Isrc -I$kit/include"
    flags+=" -I$kit/include/x86_64-linux-gnu -I$torch_dir/include"
    flags+=" -I$torch_dir/include/torch/csrc/api/include -I$cuda/include"
    flags+=" -I$kit/googletest/googletest/include"
    libs=(-L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed -ltorch -ltorch_cuda
      -lc10_cuda -Wl,--as-needed -ltorch_cpu -lc10 -l:libcrypto.so.3 -lpthread)
    objects() {  # sources... -> /tmp/obj/*.o
      rm -rf /tmp/obj && mkdir -p /tmp/obj
      ls "$@" | xargs -P "$(nproc)" -I{} sh -c "g++ $flags -c {} -o /tmp/obj/\$(echo {} | tr / _).o" ||
        { echo "compile failed"; exit 1; }
    }
    common=(src/model/*.cc src/lang/*.cc src/lang/c/*.cc src/lang/karel/*.cc src/core/*.cc)
    if [[ $1 == cuda ]]; then
      cmake -S "$kit/googletest" -B /tmp/gt -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null &&
        ninja -C /tmp/gt > /dev/null || { echo "GoogleTest build failed"; exit 1; }
      gt=$(dirname "$(find /tmp/gt -name libgtest.a | head -1)")
      objects tests/train/cuda_test.cc src/train/checkpoint.cc "${common[@]}"
      g++ -rdynamic /tmp/obj/*.o -L"$gt" -lgtest_main -lgtest "${libs[@]}" -o /tmp/cuda_tests ||
        { echo "link failed"; exit 1; }
      /tmp/cuda_tests
      exit
    fi
    objects bench/model_step_bench.cc src/data/batch.cc "${common[@]}"
    g++ /tmp/obj/*.o "${libs[@]}" -o /tmp/model_step_bench || { echo "link failed"; exit 1; }
    sizes=(--embedding_size 256 --hidden_size 256 --mlp_hidden_size 512 --num_layers 1
      --steps 20 --warmup 5 --beam 64 --beam_examples 8 --max_len 60)
    for model in lasynth robustfill; do
      /tmp/model_step_bench --model $model "${sizes[@]}" --batch_file "$kit/b32.json" \
        --write_params "/tmp/p-$model.bin"
      /tmp/model_step_bench --model $model "${sizes[@]}" --batch_file "$kit/b32.json" --device cuda
      for tf in stepwise fused; do
        python3 bench/model_step_bench.py --model $model "${sizes[@]}" --batch_file "$kit/b32.json" \
          --params "/tmp/p-$model.bin" --device cuda --teacher_forcing $tf
      done
    done
    ;;
  nccl)
    [[ -d $kit/googletest ]] || { echo "no $kit: run '$0 kit' first, and carry .gpu-kit" >&2; exit 1; }
    log=${OUT:-/tmp}/nccl_check.log
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
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
