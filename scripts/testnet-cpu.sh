# Shared by scripts/cpu-per-event.sh and scripts/overload-idle-cpu.sh (sourced, not run).
#
#   testnet_up BIN DIR   fresh 4-validator testnet in DIR (its `up` log in DIR.up.log); sets
#                        `pids` (the node processes) and `url` (the first validator's API).
#                        BLOCK_EVENTS_MAX in the environment caps its blocks (small blocks
#                        show per-block costs)
#   ticks                CPU time of those processes so far (utime + stime), in clock ticks

testnet_up() {
  local bin=$1 dir=$2
  rm -rf "$dir"
  "$bin/tradeledger-testnet" --dir "$dir" up ${BLOCK_EVENTS_MAX:+--block-events-max "$BLOCK_EVENTS_MAX"} \
    >"$dir.up.log" 2>&1 || {
    cat "$dir.up.log" >&2
    exit 1
  }
  pids=$(for f in "$dir"/nodes/*/node.pid; do cat "$f"; echo; done)
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir.up.log" | head -1)
}

ticks() {
  local t=0 p
  for p in $pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
