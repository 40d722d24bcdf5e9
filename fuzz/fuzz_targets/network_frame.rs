//! `cargo fuzz` entry for [`tradeledger_fuzz::network_frame`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::network_frame::run(data));
