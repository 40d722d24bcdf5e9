#!/usr/bin/env bash
# Runs fuzz targets one after another (never in parallel: the machines are shared), each for a
# fixed time, then minimises its corpus and prints one summary line per target.
#
#   fuzz/run-all.sh [seconds-per-target] [target ...]     (default: 600 s, every target)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Uses
# `--sanitizer none`: the workspace forbids unsafe code, so AddressSanitizer would mostly
# instrument RocksDB's C++ (which the targets never call) at the price of a long rebuild.
# Logs go to fuzz/logs/ (not committed); a crash leaves its input in fuzz/artifacts/<target>/.
set -u
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=(consensus_handle network_frame epcis_document epc genesis_toml node_config
    signed_event_json signed_event_cbor event_batch consensus_message)
fi
# Build once, then run the binaries directly: `cargo fuzz run` would rebuild whenever someone
# edits a workspace crate, which in a shared checkout is all the time.
nice -n 10 cargo +nightly fuzz build --features libfuzzer --sanitizer none || exit 1
bin="${CARGO_TARGET_DIR:-fuzz/target}/x86_64-unknown-linux-gnu/release"
mkdir -p fuzz/logs
for t in "${targets[@]}"; do
  log="fuzz/logs/$t.log"
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  nice -n 10 "$bin/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$secs" -print_final_stats=1 -timeout=10 >"$log" 2>&1
  rc=$?
  # Minimise (like `cargo fuzz cmin`, but a set cover of the edges, which keeps the committed
  # corpora small): merge the corpus into an empty folder, swap.
  rm -rf "fuzz/corpus/$t.min" && mkdir "fuzz/corpus/$t.min"
  if nice -n 10 "$bin/$t" -set_cover_merge=1 -use_counters=0 "fuzz/corpus/$t.min" "fuzz/corpus/$t" >"fuzz/logs/$t.cmin.log" 2>&1; then
    rm -rf "fuzz/corpus/$t" && mv "fuzz/corpus/$t.min" "fuzz/corpus/$t"
  else
    rm -rf "fuzz/corpus/$t.min"
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  time_s=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
  files=$(find "fuzz/corpus/$t" -type f | wc -l)
  bytes=$(du -sb "fuzz/corpus/$t" | cut -f1)
  crashes=$(find "fuzz/artifacts/$t" -type f | wc -l)
  echo "$t: exit $rc, ${time_s:-?} s, ${execs:-?} executions, corpus $files files / $bytes bytes, artifacts $crashes"
done
