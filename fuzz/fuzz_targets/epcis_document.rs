//! `cargo fuzz` entry for [`tradeledger_fuzz::epcis_document`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tradeledger_fuzz::epcis_document::run(data));
