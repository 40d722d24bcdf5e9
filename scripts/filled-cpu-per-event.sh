#!/usr/bin/env bash
# CPU of all four validators per committed event on a filled chain (a stopped bench network,
# e.g. BENCH_DIR/net/bench-4 after `tradeledger-testnet bench`), for comparing builds or
# allocator settings where the flat-cost row is decided.
#
#   scripts/filled-cpu-per-event.sh BINDIR NET WORK [RATE] [SECONDS]
#
# Copies NET to WORK/net (deleted first), starts it, waits 20 s for the nodes to warm their
# state caches, offers RATE events/s (default 2000) for SECONDS (default 60) with
# `tradeledger-testnet load --devices 256`, and prints the load tool's summary and the CPU
# (utime + stime of the four node processes, over the load) per committed event. The network
# is stopped at the end. Environment variables reach the nodes (they inherit the testnet
# tool's), so e.g. GLIBC_TUNABLES=... applies to them. PERF=FILE also records a whole-machine
# profile (`perf record -F 499 -a`) of 15 s starting 15 s into the load.
set -euo pipefail
bin=$1 src=$2 work=$3 rate=${4:-2000} secs=${5:-60}
mkdir -p "$work"
net=$work/net
rm -rf "$net"
cp -a "$src" "$net"
"$bin/tradeledger-testnet" --dir "$net" up >"$work/up.log" 2>&1
trap '"$bin/tradeledger-testnet" --dir "$net" down >/dev/null 2>&1' EXIT
sleep 20
. "$(dirname "$0")/testnet-cpu.sh" # ticks: CPU of $pids
pids=$(for f in "$net"/nodes/*/node.pid; do cat "$f"; echo; done)
api=$(grep -m1 '^api = ' "$net/testnet.toml" | cut -d'"' -f2)
committed() { curl -s "http://$api/metrics" | awk '/^tradeledger_events_committed_total/{print $2}'; }
e0=$(committed) c0=$(ticks)
if [ -n "${PERF:-}" ]; then
  (sleep 15 && perf record -q -F 499 -a -o "$PERF" -- sleep 15 2>/dev/null) &
fi
"$bin/tradeledger-testnet" --dir "$net" load --rate "$rate" --duration "$secs" --devices 256 2>&1 | tail -3
wait
c1=$(ticks) e1=$(committed)
hz=$(getconf CLK_TCK)
python3 -c "print(f'{($c1 - $c0) / $hz:.1f} s CPU for {$e1 - $e0} events = {($c1 - $c0) / $hz * 1e6 / max(1, $e1 - $e0):.0f} µs per event (4 validators)')"
