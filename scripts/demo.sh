#!/usr/bin/env bash
# DESCRIPTION: The main job: the built-in default study (dse/spaces/default.yaml: every PE family
# plus the INT8 baseline, Llama-2-7B decode and ViT-B/16, mixed per-layer-group precisions),
# screened with the analytical model, its front re-checked with the cycle-level SystemC model, and
# its report (Pareto plots, per-layer breakdowns, report.html).
# Usage: scripts/demo.sh [OUTDIR]   (default out/demo; rerunning resumes from OUTDIR/study.db)
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-${MPSIM_OUT:-out/demo}}
scripts/setup.sh
BUILD_DIR=${MPSIM_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mpsim mpsim-sc-worker
MPSIM="$BUILD_DIR/sim/app/mpsim"
mkdir -p "$OUT"

start=$(date +%s)
"$MPSIM" dse --spec dse/spaces/default.yaml --out "$OUT" -j 2 --verify-front 4
"$MPSIM" report "$OUT"
echo "study done in $(( $(date +%s) - start )) s: open $OUT/report.html (plots: $OUT/pareto_latency_energy.png)"
