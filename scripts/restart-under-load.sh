#!/usr/bin/env bash
# Does a validator restarted under saturated load get back into consensus? On a fresh copy of a
# stopped 4-validator testnet (a bench's network, e.g. its filled chain), offers RATE events/s
# for 240 s; 40 s in, the quarantine validator gets SIGTERM, and 30 s later it is started again.
# Every 5 s it records the four committed heights (shipper, carrier, customs, quarantine), and at
# the end the load tool's summary and how often the restarted node's log shows each catch-up
# line.
#
#   scripts/restart-under-load.sh BINDIR NET WORK [RATE]
#
# e.g. scripts/restart-under-load.sh target/release /tmp/b10/net/bench-4 /tmp/rul 1900
# Writes WORK/heights (seconds since the load started, then the four heights) and WORK/summary.
# Needs curl and jq. WORK/net is deleted first and left stopped at the end.
set -euo pipefail
bin=$1 src=$2 work=$3 rate=${4:-1900}
mkdir -p "$work"
net=$work/net
rm -rf "$net"
cp -a "$src" "$net"
q=$net/nodes/quarantine
"$bin/tradeledger-testnet" --dir "$net" up >"$work/up.log" 2>&1
# The nodes warm their state caches at start.
sleep 20
apis=$(grep '^api = ' "$net/testnet.toml" | cut -d'"' -f2)
heights() {
  local a
  for a in $apis; do
    curl -s -m 2 "http://$a/v1/status" | jq -r '.height // "-"' 2>/dev/null || echo -
  done | tr '\n' ' '
}
"$bin/tradeledger-testnet" --dir "$net" load --rate "$rate" --duration 240 --devices 256 \
  >"$work/load.log" 2>&1 &
load=$!
t0=$(date +%s)
(while kill -0 "$load" 2>/dev/null; do
  echo "$(($(date +%s) - t0)) $(heights)"
  sleep 5
done) >"$work/heights" &
sampler=$!
sleep 40
kill -TERM "$(cat "$q/node.pid")"
echo "quarantine stopped at $(($(date +%s) - t0)) s" >"$work/summary"
sleep 30
# Count log lines of this restart only (a copied network brings its old log along).
before=$(wc -l <"$q/node.log")
"$bin/tradeledger" run --home "$q" >>"$q/node.log" 2>&1 &
echo $! >"$q/node.pid"
echo "quarantine started again at $(($(date +%s) - t0)) s" >>"$work/summary"
wait "$load"
kill "$sampler" 2>/dev/null || true
{
  echo "heights at the end: $(heights)"
  since_restart() { tail -n "+$((before + 1))" "$q/node.log" | grep -c "$1" || true; }
  echo "catch-up batches handed to consensus: $(since_restart 'catch-up: handing')"
  echo "core rebuilt after catch-up (builds before bf1eec6): $(since_restart 'caught up by sync')"
  tail -n "+$((before + 1))" "$q/node.log" | grep -E 'opening storage|state cache warmed' | cut -c1-200
  tail -4 "$work/load.log"
} >>"$work/summary"
"$bin/tradeledger-testnet" --dir "$net" down >/dev/null 2>&1 || true
cat "$work/summary"
