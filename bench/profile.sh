#!/bin/sh
# Where dtqvp's host time goes (docs/performance.md#profile): perf record of a scenario,
# then the top symbols (self time, no call graph) as text.
# usage: bench/profile.sh SCENARIO.yaml OUTDIR [--set k=v ...]
# Needs perf (Debian linux-perf) and permission to record (root, or
# kernel.perf_event_paranoid <= 1 for a user's own processes).
set -eu
[ $# -ge 2 ] || { echo "usage: bench/profile.sh SCENARIO.yaml OUTDIR [--set k=v ...]" >&2; exit 2; }
scenario=$1; out=$2; shift 2
DTQVP=${DTQVP:-build/dtqvp}
command -v perf >/dev/null || { echo "profile: perf not found (apt-get install linux-perf)" >&2; exit 1; }
mkdir -p "$out"
perf record -F 20000 -g -o "$out/perf.data" "$DTQVP" run "$scenario" --quiet --out "$out/run" "$@" 2>"$out/record.log" \
  || { echo "profile: perf record failed (see $out/record.log)" >&2; exit 1; }
perf report -i "$out/perf.data" --stdio --no-children -g none --percent-limit 0.7 --sort dso,symbol 2>/dev/null \
  | grep -E '^ +[0-9]' | cut -c1-150 | sed 's/ *$//' > "$out/top.txt"
echo "profile: $(grep -c . "$out/top.txt") symbols >= 0.7 % in $out/top.txt"
head -20 "$out/top.txt"
