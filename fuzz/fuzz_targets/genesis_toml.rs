//! `cargo fuzz` entry for [`tradeledger_fuzz::genesis_toml`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::genesis_toml::run(data));
