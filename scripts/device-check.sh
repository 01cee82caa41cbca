#!/usr/bin/env bash
# Checks that need a GPU, run on a GPU machine (the `device` tool). That machine has CUDA, PyTorch's
# wheel (LibTorch with CUDA, NCCL), g++, CMake and ninja, but no MPI, HDF5, fmt, CLI11, nlohmann-json,
# OpenSSL headers, Boost or GoogleTest, so the checks build only what they need, by hand or
# with libraries carried from here:
#   scripts/device-check.sh kit     here: copies GoogleTest's sources and the header-only and
#                                   OpenSSL headers into .gpu-kit/, the benchmarks' batches, and
#                                   Debian's files of the libraries `lasynth` links with all they
#                                   load (sysroot.tar.xz, about 21 MB; add /.gpu-kit/ to
#                                   .git/info/exclude, carry .gpu-kit)
#   scripts/device-check.sh nccl    there: src/dist with NCCL (MPI stubbed: one process never calls
#                                   it) and tests/dist; NCCL refuses two ranks on one GPU, so one rank
#   scripts/device-check.sh cuda    there: tests/train/cuda_test.cc (training, checkpoint, resume and
#                                   beam search on the GPU) against the wheel's LibTorch
#   scripts/device-check.sh e2e     there: CMake builds `lasynth` and `lasynth-datagen` against the
#                                   wheel's LibTorch and the kit's libraries, then a user's run on
#                                   the GPU with --backend nccl: data, training, a resume that must
#                                   match the uninterrupted run bit for bit, bf16, eval's report,
#                                   synthesize and a round of retrain
#   scripts/device-check.sh bench   there: model_step_bench against the wheel's LibTorch, then C++
#                                   vs the PyTorch reference (stepwise and fused) on the GPU
#   scripts/device-check.sh paper   there: the same at the paper's sizes (embedding 1024, 2 layers of
#                                   hidden 512, MLP 512), batch 8 and 64, fp32 and bf16, with beam-64
#                                   programs/s; JSON lines in $OUT/paper.jsonl
#   scripts/device-check.sh all     there: nccl, cuda, e2e and paper one after another, each under
#                                   its own time limit (570 s in all at most), then one table of
#                                   what passed and the step times: printed, and $OUT/device_table.md
# Not here: several ranks on the one GPU. NCCL refuses two ranks on one device, and lasynth refuses
# --backend mpi for CUDA ranks (it reduces gradients from LibTorch's CUDA thread); that N ranks x
# batch B train as 1 rank x N*B is tested on CPU under mpirun
# (EveryModel.TwoRanksTrainLikeOneRankOnTheGlobalBatch).
# Logs go to $OUT when it is set (the device tool brings them back). LASYNTH_DEVICE_CHECK_CPU=1 runs
# the same builds and checks on this machine's CPU against Debian's LibTorch and the CUDA toolkit's
# NCCL headers, at small sizes: the tests that need a GPU skip, and e2e configures against the
# kit's libraries (ignoring the system's) but runs the suite's own build (ctest runs `kit` and
# `all` so).
# LASYNTH_DEVICE_E2E_BUILD=1 makes e2e build its commands on the CPU too (minutes).
# LASYNTH_DEVICE_KIT puts the kit elsewhere than .gpu-kit/, LASYNTH_DEVICE_WORK the builds elsewhere
# than /tmp/lasynth-device-check (`all` empties it first).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kit=${LASYNTH_DEVICE_KIT:-$root/.gpu-kit}
cpu=${LASYNTH_DEVICE_CHECK_CPU:-0}
out=${OUT:-/tmp}
work=${LASYNTH_DEVICE_WORK:-/tmp/lasynth-device-check}
cuda=${CUDA_HOME:-/usr/local/cuda}
device=cuda
[[ $cpu == 1 ]] && device=cpu
# The first python3 with torch: the wheel's there; here pyenv's may come first without it.
python=python3
python3 -c "import torch" 2> /dev/null || python=/usr/bin/python3
need_kit() {  # a file every kit holds
  [[ -e $kit/$1 ]] || { echo "no $kit: run '$0 kit' first, and carry .gpu-kit" >&2; exit 1; }
}
build_gtest() {  # sets gt, the directory of libgtest.a
  cmake -S "$kit/googletest" -B "$work/gt" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null &&
    ninja -C "$work/gt" > /dev/null || { echo "GoogleTest build failed"; exit 1; }
  gt=$(dirname "$(find "$work/gt" -name libgtest.a | head -1)")
}
find_torch() {  # sets torch_dir and abi: the LibTorch inside python's torch, and its C++ ABI
  torch_dir=$($python -c "import torch; print(torch.__path__[0])")
  abi=$($python -c "import torch; print(int(torch.compiled_with_cxx11_abi()))")
}
find_nccl() {  # sets nccl and nccl_lib (its library folder): the toolkit's here, the wheel's there
  if [[ $cpu == 1 ]]; then
    nccl=${LASYNTH_NCCL_HOME:-$cuda}
  else
    nccl=$($python -c "import nvidia.nccl; print(list(nvidia.nccl.__path__)[0])")
  fi
  nccl_lib=$nccl/lib
  [[ -d $nccl_lib ]] || nccl_lib=$nccl/lib64
}
case ${1:-} in
  kit)
    rm -rf "$kit" && mkdir -p "$kit/include/x86_64-linux-gnu"
    cp -r /usr/src/googletest "$kit/googletest"
    cp -r /usr/include/fmt /usr/include/nlohmann /usr/include/CLI /usr/include/openssl "$kit/include/"
    cp -r /usr/include/x86_64-linux-gnu/openssl "$kit/include/x86_64-linux-gnu/"
    # The libraries `lasynth` builds against, and all they load but the C and C++ runtimes, as
    # Debian installed them (its files under usr/, found there by CMAKE_PREFIX_PATH): `e2e` builds
    # the real commands with them. Compressed: Boost's headers alone are 160 MB.
    dev=(libhdf5-dev libyaml-cpp-dev libboost1.74-dev libboost-system1.74-dev libopenmpi-dev
      libfmt-dev nlohmann-json3-dev libcli11-dev libssl-dev)
    arch=/usr/lib/x86_64-linux-gnu
    runtime=$(for so in hdf5/serial/libhdf5.so libmpi.so libyaml-cpp.so libfmt.so \
      libboost_system.so libcrypto.so; do
      readlink -f "$arch/$so" && ldd "$(readlink -f "$arch/$so")" | awk '$3 ~ /^\// {print $3}'
    done | sort -u | while read -r f; do
      # dpkg knows a file by one of its two paths under merged /usr.
      { dpkg -S "$f" || dpkg -S "/usr${f#/usr}" || dpkg -S "${f#/usr}"; } 2> /dev/null |
        head -1 | cut -d: -f1
    done | sort -u | grep -vxE 'libc6|libgcc-s1|libstdc\+\+6')
    dpkg -L "${dev[@]}" $runtime | grep -vE '^/usr/share/(doc|man|lintian)/|\.a$' |
      while read -r f; do [[ -f $f || -L $f ]] && echo "${f#/}"; done | sort -u |
      # Merged /usr: a library dpkg lists under lib/ lies under usr/lib/.
      tar -C / -I 'xz -T0' -cf "$kit/sysroot.tar.xz" --no-recursion \
        --transform 's,^lib/,usr/lib/,' -T - || { echo "sysroot: tar failed"; exit 1; }
    for b in 8 32 64; do
      "${LASYNTH_BUILD_DIR:-$root/build}/bench/model_step_bench" --model lasynth --batch_size $b \
        --write_batch "$kit/b$b.json" > /dev/null
    done
    echo "device-check: kit in $kit ($(du -sh "$kit" | cut -f1))"
    ;;
  bench | cuda | paper)
    need_kit b64.json
    exec > >(tee "$out/$1_check.log") 2>&1
    cd "$root"
    [[ $cpu == 1 ]] || nvidia-smi --query-gpu=name --format=csv,noheader
    find_torch
    $python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
    # Here the build is checked, not timed: unoptimized compiles in half the time.
    opt=-O2
    [[ $cpu == 1 ]] && opt=-O0
    flags="-std=c++17 $opt -w -D_GLIBCXX_USE_CXX11_ABI=$abi -DFMT_HEADER_ONLY -Isrc -I$kit/include"
    flags+=" -I$kit/include/x86_64-linux-gnu -I$torch_dir/include"
    flags+=" -I$torch_dir/include/torch/csrc/api/include -I$cuda/include"
    flags+=" -I$kit/googletest/googletest/include"
    libs=(-L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib")
    [[ $cpu == 1 ]] || libs+=(-Wl,--no-as-needed -ltorch -ltorch_cuda -lc10_cuda -Wl,--as-needed)
    libs+=(-ltorch -ltorch_cpu -lc10 -l:libcrypto.so.3 -lpthread)
    # The sources every binary here links, compiled once for the checks after it with the same
    # flags (the model's as one translation unit, as CMake's unity build: a fifth of the time of
    # ten).
    common=$work/common
    if [[ ! -f $common/done || $(cat "$common/done") != "$flags" ]]; then
      rm -rf "$common" && mkdir -p "$common"
      for f in src/model/*.cc; do echo "#include \"$f\""; done > "$common/model_unit.cc"
      printf '%s\n' "$common/model_unit.cc" src/lang/*.cc src/lang/c/*.cc src/lang/karel/*.cc \
        src/core/*.cc src/data/batch.cc src/train/checkpoint.cc src/train/device.cc |
        xargs -P "$(nproc)" -I{} sh -c "g++ $flags -I. -c {} -o $common/\$(echo {} | tr / _).o" ||
        { echo "compile failed"; exit 1; }
      echo "$flags" > "$common/done"
    fi
    if [[ $1 == cuda ]]; then
      build_gtest
      g++ $flags -c tests/train/cuda_test.cc -o "$work/cuda_test.o" || { echo "compile failed"; exit 1; }
      g++ -rdynamic "$work/cuda_test.o" "$common"/*.o -L"$gt" -lgtest_main -lgtest "${libs[@]}" \
        -o "$work/cuda_tests" || { echo "link failed"; exit 1; }
      "$work/cuda_tests"
      exit
    fi
    g++ $flags -c bench/model_step_bench.cc -o "$work/model_step_bench.o" ||
      { echo "compile failed"; exit 1; }
    g++ "$work/model_step_bench.o" "$common"/*.o "${libs[@]}" -o "$work/model_step_bench" ||
      { echo "link failed"; exit 1; }
    # C++, then the PyTorch reference with the same batch and initial parameters, token by token
    # and fused; one JSON line each (into paper.jsonl for `paper`).
    # The initial parameters depend on the model and its sizes only: written once (640 MB at the
    # paper's sizes).
    compare() {  # model batch precision sizes...
      local model=$1 batch=$2 precision=$3
      shift 3
      [[ -f $work/p-$model.bin ]] ||
        "$work/model_step_bench" --model "$model" "$@" --batch_file "$kit/b$batch.json" \
          --write_params "$work/p-$model.bin" || return 1
      "$work/model_step_bench" --model "$model" "$@" --batch_file "$kit/b$batch.json" \
        --device $device --precision "$precision" || return 1
      for tf in stepwise fused; do
        $python bench/model_step_bench.py --model "$model" "$@" --batch_file "$kit/b$batch.json" \
          --params "$work/p-$model.bin" --device $device --precision "$precision" \
          --teacher_forcing $tf || return 1
      done
    }
    if [[ $1 == bench ]]; then
      sizes=(--embedding_size 256 --hidden_size 256 --mlp_hidden_size 512 --num_layers 1
        --steps 20 --warmup 5 --beam 64 --beam_examples 8 --max_len 60)
      [[ $cpu == 1 ]] && sizes=(--embedding_size 32 --hidden_size 32 --mlp_hidden_size 32
        --num_layers 1 --steps 2 --warmup 1 --beam 8 --beam_examples 2 --max_len 20)
      rm -f "$work"/p-*.bin
      for model in lasynth robustfill; do compare $model 32 fp32 "${sizes[@]}" || exit 1; done
      exit
    fi
    # PAPER.md: embedding 1024, 2-layer bidirectional LSTMs of hidden 512, output MLP 512.
    sizes=(--embedding_size 1024 --hidden_size 512 --mlp_hidden_size 512 --num_layers 2
      --steps 10 --warmup 3 --beam 64 --beam_examples 8 --max_len 60)
    batches=(8 64)
    [[ $cpu == 1 ]] && sizes=(--embedding_size 32 --hidden_size 16 --mlp_hidden_size 16
      --num_layers 2 --steps 2 --warmup 1 --beam 4 --beam_examples 2 --max_len 10) && batches=(8)
    rm -f "$out/paper.jsonl" "$work"/p-*.bin
    # fp32 first: under the time limit, what matters most comes back first.
    for precision in fp32 bf16; do
      for batch in "${batches[@]}"; do
        compare lasynth "$batch" "$precision" "${sizes[@]}" | tee -a "$out/paper.jsonl"
        [[ ${PIPESTATUS[0]} == 0 ]] || exit 1
      done
    done
    ;;
  nccl)
    need_kit googletest
    exec > >(tee "$out/nccl_check.log") 2>&1
    cd "$root"
    # Here the toolkit's NCCL (or LASYNTH_NCCL_HOME's) is compiled and linked; its tests skip.
    [[ $cpu == 1 ]] || nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
    find_nccl
    mkdir -p "$work"
    cat > "$work/mpi_stub.cc" <<'CC'
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
    build_gtest
    # tests/dist but the heartbeat client's test, which needs Boost (not there).
    tests=$(ls tests/dist/*_test.cc | grep -v heartbeat_client_test)
    g++ -std=c++17 -O1 -DLASYNTH_WITH_NCCL=1 -DFMT_HEADER_ONLY -Isrc -I"$kit/include" \
      -I"$kit/include/x86_64-linux-gnu" -I"$nccl/include" -I"$cuda/include" \
      -I"$kit/googletest/googletest/include" src/dist/communicator.cc src/dist/world.cc \
      src/dist/reducer.cc src/dist/nccl_communicator.cc src/dist/fault.cc src/dist/progress.cc \
      src/dist/monitor_protocol.cc "$work/mpi_stub.cc" $tests \
      -L"$gt" -lgtest_main -lgtest -L"$nccl_lib" -l:libnccl.so.2 -L"$cuda/lib64" -lcudart \
      -lpthread -Wl,-rpath,"$nccl_lib" -Wl,-rpath,"$cuda/lib64" -o "$work/dist_tests" ||
      { echo "compile failed"; exit 1; }
    "$work/dist_tests"
    ;;
  e2e)
    need_kit sysroot.tar.xz
    exec > >(tee "$out/e2e_check.log") 2>&1
    cd "$root"
    sysroot=$work/sysroot
    arch=$sysroot/usr/lib/x86_64-linux-gnu
    rm -rf "$sysroot" && mkdir -p "$sysroot"
    if command -v xz > /dev/null; then
      tar -C "$sysroot" -xJf "$kit/sysroot.tar.xz"
    else
      $python -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
        "$kit/sysroot.tar.xz" "$sysroot"
    fi || { echo "sysroot: extraction failed"; exit 1; }
    # LibTorch as a CMake package of our own instead of the wheel's TorchConfig, which asks for
    # the whole CUDA toolkit, cuDNN and more at configure time: the include directories and the
    # libraries the other checks link.
    if [[ $cpu == 1 ]]; then
      torch_inc=(/usr/include /usr/include/torch/csrc/api/include)
      torch_lib=/usr/lib/x86_64-linux-gnu
      torch_libs="$torch_lib/libtorch.so;$torch_lib/libtorch_cpu.so;$torch_lib/libc10.so"
      abi=1
    else
      nvidia-smi --query-gpu=name --format=csv,noheader
      find_torch
      torch_inc=("$torch_dir/include" "$torch_dir/include/torch/csrc/api/include")
      torch_lib=$torch_dir/lib
      # --no-as-needed: nothing calls libtorch_cuda by name, yet it must load to register CUDA.
      torch_libs="-Wl,--no-as-needed;$torch_lib/libtorch_cuda.so;$torch_lib/libc10_cuda.so"
      torch_libs+=";-Wl,--as-needed;$torch_lib/libtorch.so;$torch_lib/libtorch_cpu.so"
      torch_libs+=";$torch_lib/libc10.so"
    fi
    find_nccl
    mkdir -p "$work/torch"
    cat > "$work/torch/TorchConfig.cmake" <<CMAKE
add_library(lasynth_device_torch INTERFACE IMPORTED)
set_target_properties(lasynth_device_torch PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "$(IFS=';'; echo "${torch_inc[*]}")"
  INTERFACE_LINK_LIBRARIES "$torch_libs")
set(TORCH_LIBRARIES lasynth_device_torch)
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=$abi")
set(Torch_FOUND TRUE)
CMAKE
    build=$work/e2e-build
    # Open MPI's and HDF5's own compiler wrappers would name where Debian put them: the libraries
    # are named instead. Here the system's copies are ignored, so that what the kit lacks fails
    # here too.
    ignore=()
    [[ $cpu == 1 ]] && ignore=(-DCMAKE_IGNORE_PREFIX_PATH=/usr -DHDF5_C_COMPILER_EXECUTABLE=)
    # -O1: these commands are checked, not timed. -rpath-link: the linker looks for the
    # libraries that the kit's libraries load in the system's directories, not in -L's.
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
      -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$arch:$arch/openmpi/lib" \
      -DLASYNTH_BUILD_TESTS=OFF -DLASYNTH_BUILD_BENCH=OFF \
      -DCMAKE_PREFIX_PATH="$sysroot/usr;$work/torch" "${ignore[@]}" \
      -DHDF5_ROOT="$arch/hdf5/serial" -DOPENSSL_ROOT_DIR="$sysroot/usr" \
      -DMPI_C_LIB_NAMES=mpi -DMPI_mpi_LIBRARY="$arch/openmpi/lib/libmpi.so" \
      -DMPI_C_HEADER_DIR="$arch/openmpi/include" -DCUDAToolkit_ROOT="$cuda" \
      -DNCCL_INCLUDE_DIR="$nccl/include" \
      -DNCCL_LIBRARY="$(ls "$nccl_lib"/libnccl.so* | head -1)" ||
      { echo "e2e: configure failed"; exit 1; }
    # Every library the build found is the kit's.
    for found in fmt_DIR nlohmann_json_DIR CLI11_DIR yaml-cpp_DIR Boost_DIR HDF5_C_INCLUDE_DIR \
      OPENSSL_CRYPTO_LIBRARY MPI_mpi_LIBRARY; do
      value=$(grep "^$found:" "$build/CMakeCache.txt" | cut -d= -f2-)
      [[ $value == "$sysroot"/* ]] || { echo "e2e: $found is '$value', not the kit's"; exit 1; }
    done
    grep -q "^LASYNTH_WITH_TORCH:BOOL=ON" "$build/CMakeCache.txt" ||
      { echo "e2e: configured without LibTorch"; exit 1; }
    backend=nccl
    [[ $cpu == 1 ]] && backend=mpi
    if [[ $cpu == 1 && ${LASYNTH_DEVICE_E2E_BUILD:-0} != 1 ]]; then
      # Here the configure is what is checked; the commands are the suite's own build.
      bin=${LASYNTH_BUILD_DIR:-$root/build}
    else
      echo "== building lasynth and lasynth-datagen ($out/e2e_build.log)"
      ninja -C "$build" lasynth lasynth-datagen > "$out/e2e_build.log" 2>&1 ||
        { tail -30 "$out/e2e_build.log"; echo "e2e: build failed"; exit 1; }
      bin=$build
      # The kit's libraries and what they load, before any of this machine's of the same name.
      export LD_LIBRARY_PATH=$arch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    fi
    # A user's run, small: data, training, a resume that must end where the uninterrupted run
    # ends, bit for bit, then evaluation, synthesis and a round of retraining.
    lasynth=$bin/src/app/lasynth
    e=$work/e2e
    rm -rf "$e" && mkdir -p "$e"
    step() { echo "== ${*##*/}"; "$@" || { echo "e2e: failed ($?): $*"; exit 1; }; }
    step "$bin/data_tools/lasynth-datagen" --preset small --train 320 --val 32 --test 32 \
      --shards 2 --seed 1 --out "$e/data" --quiet
    # LaSynth (the quickstart's configuration), smaller; --deterministic, or GPU kernels that sum
    # through atomics would make the resumed run differ from the uninterrupted one.
    run=(--config configs/quickstart.yaml --data_folder "$e/data" --device $device
      --backend $backend --embedding_size 32 --LSTM_hidden_size 32 --MLP_hidden_size 32
      --batch_size 8 --log_interval 10 --val_examples 8 --max_decode_len 60 --seed 1
      --deterministic)
    step "$lasynth" train "${run[@]}" --model_dir "$e/straight" --max_steps 20
    step "$lasynth" train "${run[@]}" --model_dir "$e/resumed" --max_steps 10
    step "$lasynth" train "${run[@]}" --model_dir "$e/resumed" --max_steps 20 --resume
    step $python - "$e/straight/ckpt-20.pt" "$e/resumed/ckpt-20.pt" <<'PY'
import sys, torch
a, b = (torch.load(p, map_location="cpu", weights_only=False) for p in sys.argv[1:])
same = [k for k in a["model"] if torch.equal(a["model"][k], b["model"][k])]
worst = max((a["model"][k].double() - b["model"][k].double()).abs().max().item()
            for k in a["model"])
print(f"resumed vs uninterrupted: {len(same)} of {len(a['model'])} tensors bit-identical, "
      f"largest difference {worst:.3g}; steps {a['step']} / {b['step']}")
sys.exit(0 if len(same) == len(a["model"]) and a["step"] == b["step"] == 20 else 1)
PY
    step "$lasynth" train "${run[@]}" --model_dir "$e/bf16" --max_steps 10 --precision bf16 \
      --grad_dtype bf16
    step "$lasynth" eval "${run[@]}" --load_model "$e/resumed" --beam 4 --report "$e/report.json"
    grep -q '"io_consistency"' "$e/report.json" ||
      { echo "e2e: no io_consistency in the report"; exit 1; }
    echo '{"io": [{"input": [1, 2, 3, -4, 0], "output": [2, 3, 4, -3, 1]}]}' > "$e/examples.json"
    echo "== synthesize"
    "$lasynth" synthesize --load_model "$e/resumed" --examples "$e/examples.json" --beam 8 \
      --max_decode_len 60 --device $device
    rc=$?
    # 2: no consistent program, an answer from a model this small.
    [[ $rc == 0 || $rc == 2 ]] || { echo "e2e: synthesize exited $rc"; exit 1; }
    step "$lasynth" retrain "${run[@]}" --load_model "$e/resumed" --model_dir "$e/retrain" \
      --rounds 1 --max_steps 10 --beam 2
    [[ -f $e/retrain/retrain.json ]] || { echo "e2e: retrain wrote no retrain.json"; exit 1; }
    echo "e2e: passed"
    ;;
  all)
    need_kit b64.json
    rm -rf "$work" && mkdir -p "$work" "$out"
    start=$(date +%s)
    # 570 s in all at most, under the 10 minutes a device command may run; a check over its limit
    # leaves what it wrote (paper.jsonl's rows so far).
    declare -A limit=([nccl]=60 [cuda]=150 [e2e]=210 [paper]=150)
    rows=()
    status=0
    for check in nccl cuda e2e paper; do
      t0=$(date +%s)
      timeout "${limit[$check]}" "$0" "$check" > /dev/null 2>&1
      rc=$?
      result=passed
      [[ $rc == 0 ]] || { result="FAILED (exit $rc; ${check}_check.log)"; status=1; }
      [[ $rc == 124 ]] && result="FAILED (over ${limit[$check]} s; ${check}_check.log)"
      if [[ $check == e2e ]]; then
        tests=$(grep -o "[0-9]* of [0-9]* tensors bit-identical, largest difference [^;]*" \
          "$out/e2e_check.log" 2> /dev/null | sed 's/^/resume: /')
      else
        tests=$(grep -E '^\[  (PASSED|FAILED|SKIPPED) *\] [0-9]+ tests?[,.]' \
          "$out/${check}_check.log" 2> /dev/null | sed 's/[][]//g; s/  */ /g; s/^ //; s/,.*//' |
          paste -sd ';' -)
      fi
      rows+=("| $check | $result | $(( $(date +%s) - t0 )) | ${tests:-} |")
    done
    {
      echo "# device check ($device; $(date -u +%Y-%m-%dT%H:%MZ); $(( $(date +%s) - start )) s)"
      echo
      echo "| check | result | seconds | tests |"
      echo "| --- | --- | --- | --- |"
      printf '%s\n' "${rows[@]}"
      echo
      $python - "$out/paper.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")] if len(sys.argv) > 1 else []
print("| batch | precision | C++ samples/s | PyTorch token by token | PyTorch fused | C++ / fused "
      "| beam-64 programs/s C++ / fused | first loss C++ / fused |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
by = {}
for r in rows:
    by.setdefault((r["batch_size"], r["precision"]), {})[r["impl"]] = r
for (batch, precision), impls in sorted(by.items()):
    c, s, f = (impls.get(k, {}) for k in ("c++", "python-stepwise", "python-fused"))
    sps = lambda r: f"{r['samples_per_s']:.1f}" if r else "-"
    pps = lambda r: f"{r['programs_per_s']:.1f}" if r.get("programs_per_s") else "-"
    ratio = f"{c['samples_per_s'] / f['samples_per_s']:.2f}" if c and f else "-"
    loss = lambda r: f"{r['first_loss']:.4f}" if r else "-"
    print(f"| {batch} | {precision} | {sps(c)} | {sps(s)} | {sps(f)} | {ratio} | {pps(c)} / {pps(f)} "
          f"| {loss(c)} / {loss(f)} |")
PY
    } | tee "$out/device_table.md"
    exit $status
    ;;
  *)
    awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
