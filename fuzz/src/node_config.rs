//! The node's `config.toml`, parsed as [`Config::load`] does, then checked by
//! [`Config::resolve`].

use std::path::Path;
use tradeledger_node::config::Config;

/// Whatever parses prints ([`Config::to_toml`]) to TOML that parses to the same config, and
/// resolving it answers (never panics).
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = toml::from_str::<Config>(text) else {
        return;
    };
    let printed = config.to_toml();
    let back: Config = toml::from_str(&printed).expect("a printed config parses");
    assert_eq!(back, config, "TOML round trip changed the config");
    let _ = config.resolve(Path::new("/fuzz-home"));
}
