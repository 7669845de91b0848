#!/usr/bin/env bash
# DESCRIPTION: Installs every Debian 12 package mpsim needs (build, SystemC, Verilator, DSE, plots).
# SPDX-License-Identifier: Apache-2.0
# Idempotent and non-interactive: packages already installed are skipped, so a second run does nothing.
set -euo pipefail

PACKAGES=(
  # build tools
  build-essential cmake ninja-build pkg-config ccache git clang-format
  # numerics, golden model, CLI, configs
  libeigen3-dev libboost-dev libfmt-dev libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libdnnl-dev
  # oneDNN's CMake package requires OpenCL (Debian builds it with the OpenCL GPU runtime)
  ocl-icd-opencl-dev opencl-headers
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # cycle-level models and RTL
  libsystemc-dev verilator yosys
  # DSE: results store, NSGA-II/hypervolume, distributed sweeps, plots
  libsqlite3-dev sqlite3 libpagmo-dev libtbb-dev libopenmpi-dev openmpi-bin python3-matplotlib
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
