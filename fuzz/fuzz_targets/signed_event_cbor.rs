//! `cargo fuzz` entry for [`tradeledger_fuzz::signed_event_cbor`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::signed_event_cbor::run(data));
