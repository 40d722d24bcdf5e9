//! `cargo fuzz` entry for [`tradeledger_fuzz::node_config`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::node_config::run(data));
