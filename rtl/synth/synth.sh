#!/usr/bin/env bash
# DESCRIPTION: Synthesizes a PE to mpsim's area-only 45 nm-like cell library with Yosys and prints
# "<top> <cells> <area_um2> <ge>". Usage: rtl/synth/synth.sh FILE.sv TOP [DEFINE...]. ABC runs with
# -fast and a timeout: the default script can hang on wide arithmetic (energy_and_speed.md 5.2).
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sv="$1"; top="$2"; shift 2
defs=""
for d in "$@"; do defs="$defs -D$d"; done
lib="$here/area45.lib"
log=$(timeout 300 yosys -q -p "read_verilog -sv $defs $sv; hierarchy -top $top; synth -flatten -top $top; \
  dfflibmap -liberty $lib; abc -fast -liberty $lib; opt_clean; tee -o /dev/stdout stat -liberty $lib")
area=$(echo "$log" | awk '/Chip area for module/ { print $NF }')
cells=$(echo "$log" | awk '/Number of cells:/ { print $NF; exit }')
ge=$(awk -v a="$area" 'BEGIN { printf "%.1f", a / 0.798 }')
echo "$top $cells $area $ge"
