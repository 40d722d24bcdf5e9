//! `cargo fuzz` entry for [`tradeledger_fuzz::consensus_handle`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::consensus_handle::run(data));
