#!/usr/bin/env bash
# Profiles the worker while it drains a backlog (P4's first drain, every message traced):
#   bench/profile.sh [--messages N] [--worker-env KEY=VALUE]...
# Runs bench/run.sh --only P4, and for a few seconds of the worker's drain records every CPU with perf (the share of
# each process; the worker's CPU by library and by frame, its JIT-compiled code named through perf maps) and the
# worker's counters with dotnet-counters (JIT, allocations, GC, and the time batches spend in each stage), into
# bench/profile.out/. dotnet-trace's CPU sampling on Linux needs `collect-linux` and user_events; perf does that here.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/profile.out
seconds=${PROFILE_SECONDS:-6}
mkdir -p "$out"
command -v perf >/dev/null 2>&1 || bash eng/install-packages.sh bench linux-perf
command -v dotnet-counters >/dev/null 2>&1 || PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-counters >/dev/null 2>&1 || dotnet tool install -g dotnet-counters --version 10.0.750501
# Perf maps name the JIT's code; W^X off keeps it at the addresses the maps give.
args=(--only P4 --messages 150000 --output "$out/results.md" --worker-env DOTNET_PerfMapEnabled=3 --worker-env DOTNET_EnableWriteXorExecute=0 "$@")

worker_pid() {
  for p in $(pgrep -f 'Worker(\.dll)?( |$)' || true); do
    # The worker itself, not a shell or the bench whose command line names it.
    if [[ "$(readlink -f /proc/$p/exe 2>/dev/null)" == */dotnet || "$(readlink -f /proc/$p/exe 2>/dev/null)" == */Worker ]] \
       && tr '\0' ' ' < /proc/$p/cmdline | grep -q 'Worker/bin/'; then echo "$p"; return; fi
  done
}

bash bench/run.sh "${args[@]}" > "$out/bench.log" 2>&1 &
bench=$!
trap 'kill -INT $bench 2>/dev/null || true' EXIT
first=""
# The first worker is the app's own; the drain runs in the one started after the backlog is published.
while kill -0 $bench 2>/dev/null; do
  pid=$(worker_pid)
  if [[ -n "$pid" && -z "$first" ]]; then first=$pid; fi
  if [[ -n "$pid" && "$pid" != "$first" ]]; then
    # Busy for half a second: past its start, into the drain.
    a=$(awk '{print $14+$15}' /proc/$pid/stat); sleep 0.5; b=$(awk '{print $14+$15}' /proc/$pid/stat 2>/dev/null || echo "$a")
    if (( b - a > 35 )); then break; fi
    continue
  fi
  sleep 0.5
done
kill -0 $bench 2>/dev/null || { echo "profile: the bench ended before the worker drained" >&2; tail -20 "$out/bench.log" >&2; exit 1; }
perf record -a -g -F 499 -o "$out/perf.data" -- sleep "$seconds" 2> "$out/perf-record.log" &
perf=$!
duration=$(printf '00:00:00:%02d' "$seconds")
dotnet-counters collect -p "$pid" --counters System.Runtime,Worker --refresh-interval 1 --duration "$duration" --format csv -o "$out/counters.csv" > "$out/counters.log" 2>&1 &
counters=$!
wait $counters || true
wait $perf
echo "recorded $seconds s of the drain by worker $pid"
wait $bench || true
trap - EXIT
report() { "$@" 2>/dev/null | grep -v '^#' | grep -v '^$' | head -"$lines" || true; }
lines=15 report perf report -i "$out/perf.data" --no-children --sort comm --stdio -g none > "$out/by-process.txt"
lines=15 report perf report -i "$out/perf.data" --no-children --pid "$pid" --sort dso --stdio -g none > "$out/worker-by-library.txt"
lines=40 report perf report -i "$out/perf.data" --no-children --pid "$pid" --sort sym --stdio -g none > "$out/worker-self.txt"
lines=60 report perf report -i "$out/perf.data" --children --pid "$pid" --sort sym --stdio -g none > "$out/worker-inclusive.txt"
# Each stage's median over the recording (worker.batch.stage.duration, p50 of each second), in ms.
awk -F, '/worker.batch.stage.duration/ && /Percentile=50/ { match($3, /worker.stage=[a-z-]+/); s = substr($3, RSTART + 13, RLENGTH - 13); sum[s] += $5 * 1000; n[s]++ }
  END { for (s in sum) printf "%-8s %6.2f ms\n", s, sum[s] / n[s] }' "$out/counters.csv" | sort > "$out/worker-stages.txt"
grep -E '^P4 drain rate of' "$out/bench.log" || true
echo "wrote $out/{by-process,worker-by-library,worker-self,worker-inclusive,worker-stages}.txt and $out/counters.csv"
