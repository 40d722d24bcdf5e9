#!/usr/bin/env python3
"""Sign one reefer temperature reading as a tradeledger sensor report (docs/data-model.md).

Needs `pip install cbor2 cryptography`. Writes the canonical signed event to OUT_FILE (post it
with `curl --data-binary @OUT_FILE -H 'content-type: application/cbor' NODE/v1/events`) and
prints its event id, the SHA-256 of those bytes.

Usage: sensor_event.py KEY_FILE CHAIN_ID SEQ SHIPMENT_ID DEVICE_ID MILLI_C OUT_FILE
  KEY_FILE  the signer's key: 64 hex characters (`tradeledger keys generate` writes one)
  SEQ       the signer's next sequence number (docs/data-model.md, EventBody `seq`)
  MILLI_C   the temperature in milli-degrees Celsius (7.5 °C is 7500), read now
"""
import hashlib
import sys
import time

from sign_event import sign_event


def sensor_report(shipment_id: str, device_id: str, milli_c: int, time_ms: int) -> dict:
    # SensorReport: [shipment_id, device_id, readings, stats, series_len, series_root].
    # A series this short is carried whole: stats over it, no Merkle root.
    reading = ["temperature", milli_c, "CEL", time_ms]  # Reading: kind, value, unit, time
    stats = ["temperature", 1, milli_c, milli_c]  # SeriesStats: kind, count, min, max
    return {"sensor_report": [shipment_id, device_id, [reading], [stats], 1, None]}


def main() -> None:
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    key_file, chain_id, seq, shipment_id, device_id, milli_c, out_file = sys.argv[1:]
    with open(key_file, encoding="ascii") as f:
        seed = bytes.fromhex(f.read().strip())
    now_ms = int(time.time() * 1000)
    payload = sensor_report(shipment_id, device_id, int(milli_c), now_ms)
    event = sign_event(seed, chain_id, int(seq), payload)
    with open(out_file, "wb") as f:
        f.write(event)
    print(hashlib.sha256(event).hexdigest())


if __name__ == "__main__":
    main()
