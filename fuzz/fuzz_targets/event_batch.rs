//! `cargo fuzz` entry for [`tradeledger_fuzz::event_batch`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::event_batch::run(data));
