#!/usr/bin/env bash
# DESCRIPTION: `mpirun -np 2 mpsim dse --mpi` (one master, one worker rank) stores exactly what a
# single-process run stores: same keys, statuses and metrics. Usage: mpi_equals_one_run.sh MPSIM
# MPIEXEC SPEC. Exit 77 (skipped) when mpirun cannot start here.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
mpsim="$1"; mpiexec="$2"; spec="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$mpsim" dse --spec "$spec" --out "$tmp/one" --no-progress > /dev/null 2>&1
if ! "$mpiexec" --allow-run-as-root --oversubscribe -np 1 true > /dev/null 2>&1; then
  echo "mpirun cannot start processes here: skipped"
  exit 77
fi
"$mpiexec" --allow-run-as-root --oversubscribe -np 2 "$mpsim" dse --spec "$spec" --out "$tmp/mpi" \
  --mpi --no-progress > "$tmp/mpi.log" 2>&1 || { cat "$tmp/mpi.log"; exit 1; }
query="select key, status, reason, latency_s, energy_j, area_mm2, accuracy_sqnr_db from points order by key"
sqlite3 "$tmp/one/study.db" "$query" > "$tmp/one.txt"
sqlite3 "$tmp/mpi/study.db" "$query" > "$tmp/mpi.txt"
n=$(wc -l < "$tmp/one.txt")
[[ "$n" -gt 0 ]] || { echo "the single-process run stored nothing"; exit 1; }
diff -u "$tmp/one.txt" "$tmp/mpi.txt"
echo "MPI run equals the single-process run on $n points"
