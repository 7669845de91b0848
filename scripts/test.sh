#!/usr/bin/env bash
# DESCRIPTION: The test command: install dependencies, configure, build (-j2) and run every test.
# SPDX-License-Identifier: Apache-2.0
# Usage: scripts/test.sh [extra ctest args, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
BUILD_DIR=${MPSIM_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPSIM_BUILD_TESTS=ON
cmake --build "$BUILD_DIR" -j2
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"
