#!/usr/bin/env bash
# Runs `tradeledger-testnet bench` and profiles the whole machine in two of its windows: the
# empty chain's window at RATE (the last of --rates, saturated) and the filled chain's window.
# Each profile is `perf record -F 499 -a` (no call graphs: cheap enough to run at saturation)
# for 15 s, starting 15 s into the window. Alongside each it writes the CPU time of the four
# validators and the events the first one committed over the same 15 s, so the two windows'
# CPU per committed event can be compared.
#
#   scripts/bench-profiles.sh BINDIR OUT RATE [bench arguments...]
#
# e.g. scripts/bench-profiles.sh target/release /tmp/bp 3000 --rates 1000,2000,3000 \
#        --window 60 --fill 600000 --sync-blocks 300
# Then: perf report -i OUT/empty.perf --sort sym (or --sort comm), and OUT/*.cpu.
set -euo pipefail
bin=$1 out=$2 rate=$3
shift 3
mkdir -p "$out"
log=$out/bench.log
: >"$log"
net=$out/net/bench-4

ticks() {
  local t=0 f p
  for f in "$net"/nodes/*/node.pid; do
    p=$(cat "$f")
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

committed() {
  local api
  api=$(grep -m1 '^api = ' "$net/testnet.toml" | cut -d'"' -f2)
  curl -s "http://$api/metrics" | awk '/^tradeledger_events_committed_total/ {print $2}'
}

# Waits for MARKER in the log, then for the next "offering" line, then profiles.
profile_after() {
  local marker=$1 name=$2 from t0 t1 c0 c1
  until from=$(grep -n -F -m1 "$marker" "$log" | cut -d: -f1) && [ -n "$from" ]; do
    sleep 1
  done
  until tail -n +"$from" "$log" | grep -q 'offering'; do sleep 1; done
  sleep 15
  t0=$(ticks) c0=$(committed)
  perf record -q -F 499 -a -o "$out/$name.perf" -- sleep 15 2>/dev/null
  t1=$(ticks) c1=$(committed)
  local hz
  hz=$(getconf CLK_TCK)
  awk -v t="$((t1 - t0))" -v c="$((c1 - c0))" -v hz="$hz" 'BEGIN {
    printf "validators CPU %.1f s for %d committed events: %.0f us per event\n",
      t / hz, c, (c > 0 ? t / hz / c * 1e6 : 0) }' >"$out/$name.cpu"
  echo "profiled $name: $(cat "$out/$name.cpu")" >&2
}

profile_after "throughput curve: $rate/s" empty &
p1=$!
profile_after "throughput on the filled chain" filled &
p2=$!
"$bin/tradeledger-testnet" --dir "$out/net" bench --out "$out/table.md" "$@" 2>&1 | tee "$log"
wait "$p1" "$p2" 2>/dev/null || true
