//! `cargo fuzz` entry for [`tradeledger_fuzz::consensus_message`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::consensus_message::run(data));
