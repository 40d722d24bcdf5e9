//! The `tradeledger-testnet` binary.
fn main() {}
