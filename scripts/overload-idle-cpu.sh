#!/usr/bin/env bash
# CPU of four idle validators after an overload left their mempools full of parked events.
#
#   scripts/overload-idle-cpu.sh BINDIR TAG [RATE] [SECONDS]
#
# BINDIR holds `tradeledger-testnet` and the `tradeledger` node binary it starts. Brings up a
# fresh 4-validator testnet in /tmp/ov-TAG, offers RATE events/s (default 6 000, well over
# what the network commits) for SECONDS (default 60) with `load --devices 256`, waits (at
# most 90 s) until the first validator's pool holds only parked events (the backlog
# committed), then prints the CPU time the four node processes used over 10 s of that idle
# state (utime + stime from /proc/PID/stat), and stops the network. An idle network with an
# empty pool uses about 2.3 s per 10 s on the development machine (BENCHMARKS.md, session 7).
set -euo pipefail
bin=$1
tag=$2
rate=${3:-6000}
secs=${4:-60}
dir=/tmp/ov-$tag
. "$(dirname "$0")/testnet-cpu.sh"
testnet_up "$bin" "$dir"
"$bin/tradeledger-testnet" --dir "$dir" load --rate "$rate" --duration "$secs" --devices 256 2>&1 | tail -3
metric() { curl -s "$url/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
for _ in $(seq 90); do
  [ "$(metric tradeledger_mempool_events)" = "$(metric tradeledger_mempool_parked_events)" ] && break
  sleep 1
done
echo "pool of the first validator: $(metric tradeledger_mempool_events) events, $(metric tradeledger_mempool_parked_events) parked"
c0=$(ticks)
sleep 10
c1=$(ticks)
hz=$(getconf CLK_TCK)
python3 -c "print(f'$tag: {($c1 - $c0) / $hz:.2f} s CPU of the 4 idle validators in 10 s')"
"$bin/tradeledger-testnet" --dir "$dir" down >/dev/null 2>&1
