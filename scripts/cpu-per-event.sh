#!/usr/bin/env bash
# CPU of all four validators per committed event, end to end.
#
#   scripts/cpu-per-event.sh BINDIR TAG [RATE] [SECONDS]
#
# BINDIR holds `tradeledger-testnet` and the `tradeledger` node binary it starts (for example
# target/release). Brings up a fresh 4-validator testnet in /tmp/tn-TAG, offers RATE events/s
# for SECONDS with `tradeledger-testnet load --devices 256`, and divides the CPU time the four
# node processes used (utime + stime from /proc/PID/stat, whole window including the load
# tool's setup and drain) by the events they committed. Prints the load tool's summary and the
# figure, then stops the network. Compare builds back to back at the same load: the figure
# depends on how busy the machine is (larger blocks amortise more when CPU is short).
# BLOCK_EVENTS_MAX=N in the environment caps the testnet's blocks (per-block costs).
set -euo pipefail
bin=$1
tag=$2
rate=${3:-2000}
secs=${4:-30}
dir=/tmp/tn-$tag
. "$(dirname "$0")/testnet-cpu.sh"
testnet_up "$bin" "$dir"
committed() { curl -s "$url/metrics" | awk '/^tradeledger_events_committed_total/{print $2}'; }
e0=$(committed)
c0=$(ticks)
"$bin/tradeledger-testnet" --dir "$dir" load --rate "$rate" --duration "$secs" --devices 256 2>&1 | tail -3
c1=$(ticks)
e1=$(committed)
hz=$(getconf CLK_TCK)
python3 -c "print(f'$tag: {($c1 - $c0) / $hz:.1f} s CPU for {$e1 - $e0} events = {($c1 - $c0) / $hz * 1e6 / max(1, $e1 - $e0):.0f} µs per event (4 validators)')"
"$bin/tradeledger-testnet" --dir "$dir" down >/dev/null 2>&1
