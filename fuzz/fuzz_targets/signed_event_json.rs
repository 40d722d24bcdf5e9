//! `cargo fuzz` entry for [`tradeledger_fuzz::signed_event_json`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::signed_event_json::run(data));
