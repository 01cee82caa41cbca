#!/usr/bin/env bash
# Installs every Debian package lasynth needs to build, test and run on CPU. Idempotent: when all
# packages are present it only checks them (seconds). Run as root, or with sudo available.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # tensor math: LibTorch (CPU) and the BLAS it must use (the reference BLAS is ~13x slower)
  libtorch-dev libopenblas0-openmp
  # distributed: MPI for CPU ranks and tests
  libopenmpi-dev openmpi-bin
  # data, networking, CLI, config, logs, JSON, checksums, tests
  libhdf5-dev libboost-dev libboost-system-dev libcli11-dev libyaml-cpp-dev libspdlog-dev
  libfmt-dev nlohmann-json3-dev libssl-dev libgtest-dev libgmock-dev
  # Python reference for comparisons and for reading checkpoints
  python3-torch python3-h5py python3-numpy
  # checkpoint-evaluation plots (PNG)
  gnuplot-nox
  # a real local SLURM for the launcher's tests
  slurm-wlm munge
  # the multi-node test's network namespaces
  iproute2 util-linux
  # the launcher's tests: its live page rendered headless, its endpoints read on a node
  chromium curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

# LibTorch resolves libblas.so.3 through Debian's alternatives; it must point at OpenBLAS.
blas_alt=libblas.so.3-x86_64-linux-gnu
blas=$(update-alternatives --query "$blas_alt" 2>/dev/null | awk '/^Value:/{print $2}')
case "$blas" in
  *openblas*) echo "install-deps: BLAS for LibTorch is OpenBLAS ($blas)" ;;
  *)
    openblas=$(update-alternatives --list "$blas_alt" 2>/dev/null | grep openblas-openmp | head -n1 || true)
    if [ -z "$openblas" ]; then
      echo "install-deps: error: OpenBLAS (libopenblas0-openmp) is not registered as $blas_alt;" \
           "LibTorch would use the slow reference BLAS. Reinstall libopenblas0-openmp." >&2
      exit 1
    fi
    $SUDO update-alternatives --set "$blas_alt" "$openblas"
    echo "install-deps: BLAS for LibTorch switched to OpenBLAS ($openblas)"
    ;;
esac
