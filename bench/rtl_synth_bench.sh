#!/usr/bin/env bash
# DESCRIPTION: Yosys time per PE configuration (every line of rtl/pe/*/synth.list), as seconds and as
# a ratio to the baseline int8_mac lanes=1 PE synthesized in the same run. Not a test.
# Usage: bench/rtl_synth_bench.sh
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/rtl/synth/area_table.sh" "$tmp/table.inc" 2> "$tmp/times" >/dev/null
base=$(awk '/^synth int8_mac\/lanes=1\// { print $3 }' "$tmp/times")
printf "%-48s %8s %10s\n" configuration seconds "x int8_mac"
awk -v b="$base" '/^synth / { sub(":", "", $2); printf "%-48s %8.2f %10.2f\n", $2, $3, $3 / b }' "$tmp/times"
