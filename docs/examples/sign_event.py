#!/usr/bin/env python3
"""Build and sign a tradeledger event in Python, following docs/data-model.md.

Needs `pip install cbor2 cryptography`. Prints the canonical signed event as hex on the first
line and its event id on the second. Post the bytes to a node with
`curl -X POST --data-binary @event.cbor -H 'content-type: application/cbor' URL/v1/events`.

Usage: sign_event.py SEED_HEX CHAIN_ID SEQ [SHIPMENT_ID]
"""
import hashlib
import sys

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def sign_event(seed: bytes, chain_id: str, seq: int, payload: dict) -> bytes:
    """The canonical bytes of a signed event: what to post, and what the event id hashes."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes_raw()
    body = [chain_id, public, seq, payload]
    body_bytes = cbor2.dumps(body, canonical=True)
    signature = key.sign(b"tradeledger/v1/event\x00" + body_bytes)
    return cbor2.dumps([body, signature], canonical=True)


def signed_clearance(seed: bytes, chain_id: str, seq: int, shipment_id: str) -> bytes:
    # Structs are arrays of their fields in declaration order; enums with content are
    # one-entry maps {"variant_name": content}; unit enums are their snake_case name.
    payload = {"clearance": [shipment_id, "hold", "RFID mismatch"]}
    return sign_event(seed, chain_id, seq, payload)


def main() -> None:
    seed = bytes.fromhex(sys.argv[1])
    chain_id = sys.argv[2]
    seq = int(sys.argv[3])
    shipment_id = sys.argv[4] if len(sys.argv) > 4 else "SHP-2026-000123"
    event = signed_clearance(seed, chain_id, seq, shipment_id)
    print(event.hex())
    print(hashlib.sha256(event).hexdigest())


if __name__ == "__main__":
    main()
