#!/usr/bin/env bash
# DESCRIPTION: The main job. Until the DSE exists, a short demonstration: `mpsim quantize` on one row
# of LLM-like weights (with an outlier) through several formats, the golden model's error table, and
# the cycle-level model of every PE family on Llama-2-7B decode and ViT-B/16.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
BUILD_DIR=${MPSIM_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mpsim
MPSIM="$BUILD_DIR/sim/app/mpsim"
OUT=${MPSIM_OUT:-out/demo}
mkdir -p "$OUT"

# 64 values: a smooth signal in [-0.5, 0.5] plus one outlier channel at 6.0.
awk 'BEGIN { for (i = 0; i < 64; i++) printf "%.6f\n", (i == 17 ? 6.0 : 0.5 * sin(i * 0.7)) }' > "$OUT/row.txt"

echo "== worked example: MXFP4 block (numerics spec §2.3 A)"
echo "0.3 -1.7 2.9 3.0 5.0 -11.0 0.0 7.0" | "$MPSIM" quantize --format mxfp4 --json

echo
printf "== %-12s %12s   (64 values, one outlier)\n" format rmse
for f in fp8_e4m3 fp6_e3m2 fp4_e2m1 mxfp8_e4m3 mxfp6_e2m3 mxfp4 mxint8 bfp12 bfp16 \
         int4_g32 int4_g64 gptq_int4 qserve_w4a8 q4_0 q8_0 q4_k nf4 bitmod_fp4 bitmod_fp3; do
  if "$MPSIM" quantize --format "$f" --input "$OUT/row.txt" > "$OUT/$f.txt" 2> "$OUT/$f.err"; then
    rmse=$(paste "$OUT/row.txt" "$OUT/$f.txt" | awk '{ d = $1 - $2; s += d * d; n++ } END { printf "%.6f", sqrt(s / n) }')
    printf "   %-12s %12s\n" "$f" "$rmse"
  else
    printf "   %-12s %12s   (%s)\n" "$f" "n/a" "$(head -c 120 "$OUT/$f.err")"
  fi
done
echo
echo "== workloads: presets and one expanded step (Llama-3-8B decode, 4096 tokens in the KV cache)"
"$MPSIM" workload list
"$MPSIM" workload show llama3-8b --phase decode --seq 4096 | tail -4

echo
echo "== golden model: per-op and end-to-end quantization error, MXFP4 weights / MXFP8 activations"
"$MPSIM" golden run --workload tiny-llama --recipe workloads/recipes/mxfp4_mxfp8.yaml | tee "$OUT/golden_run.txt"

echo
echo "== cycle-level model: every PE family on Llama-2-7B decode (KV 2048) and ViT-B/16, values sampled"
echo "   against the golden model (stats.json, layers.csv, timeline.json under $OUT/sim/)"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
for run in "int8_mac_ws int8" "int8_mac_os int8" "block_fp mxfp4_mxfp8" "int4_tc w4a8_int" \
           "shift_add w4a8_group" "bitserial bitmod_w4"; do
  set -- $run
  for wl in "llama2-7b --phase decode --seq 2048" "vit-b16"; do
    name="$1_$(echo "$wl" | cut -d' ' -f1)"
    "$MPSIM" sim --arch "sim/configs/$1.yaml" --workload $wl --recipe "workloads/recipes/$2.yaml" \
      --check sample:2 --timeline --out "$OUT/sim/$name" | head -3
  done
done

echo
echo "outputs in $OUT/"
