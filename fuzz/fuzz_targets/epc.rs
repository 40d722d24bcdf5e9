//! `cargo fuzz` entry for [`tradeledger_fuzz::epc`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::epc::run(data));
