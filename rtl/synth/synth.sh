#!/usr/bin/env bash
# DESCRIPTION: Synthesizes one PE configuration to mpsim's area-only 45 nm-like cell library with
# Yosys and prints "<top> <cells> <area_um2> <ge> <seconds>".
# Usage: rtl/synth/synth.sh FILE.sv[,FILE.sv...] TOP [-DDEFINE]... [PARAM=VALUE]...
# ABC runs with -fast and a timeout: the default script can hang on wide arithmetic
# (energy_and_speed.md 5.2).
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sv="${1//,/ }"; top="$2"; shift 2
defs=""; params=""
for a in "$@"; do
  case "$a" in
    -D*) defs="$defs $a" ;;
    *=*) params="$params -chparam ${a%%=*} ${a#*=}" ;;
    *) echo "synth.sh: bad argument '$a' (expected -DNAME or PARAM=VALUE)" >&2; exit 2 ;;
  esac
done
lib="$here/area45.lib"
t0=$(date +%s.%N)
log=$(timeout "${MPSIM_SYNTH_TIMEOUT:-300}" yosys -q -p "read_verilog -sv -defer $defs $sv; \
  hierarchy -top $top $params; synth -flatten -top $top; \
  dfflibmap -liberty $lib; abc -fast -liberty $lib; opt_clean; tee -o /dev/stdout stat -liberty $lib")
t1=$(date +%s.%N)
area=$(echo "$log" | awk '/Chip area for module/ { print $NF }')
cells=$(echo "$log" | awk '/Number of cells:/ { print $NF; exit }')
ge=$(awk -v a="$area" 'BEGIN { printf "%.1f", a / 0.798 }')
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "$top $cells $area $ge $secs"
