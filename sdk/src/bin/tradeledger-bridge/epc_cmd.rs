//! `epc decode` and `epc encode`.

use crate::cli::{EpcCommand, Output};
use anyhow::{Context as _, bail};
use tradeledger_sdk::epc::Epc96;

pub fn main(cmd: EpcCommand) -> anyhow::Result<()> {
    match cmd {
        EpcCommand::Decode { hex, output } => {
            let epc = Epc96::from_hex(hex.trim()).with_context(|| format!("EPC {hex:?}"))?;
            match output {
                Output::Text => {
                    println!("{}", epc.pure_uri());
                    println!("{}", epc.tag_uri());
                }
                Output::Json => println!(
                    "{}",
                    serde_json::json!({
                        "hex": epc.to_hex(),
                        "scheme": epc.scheme().tag_name(),
                        "filter": epc.filter(),
                        "partition": epc.partition(),
                        "company_prefix": epc.company_prefix(),
                        "reference": epc.reference(),
                        "serial": epc.serial(),
                        "pure_uri": epc.pure_uri(),
                        "tag_uri": epc.tag_uri(),
                    })
                ),
            }
        }
        EpcCommand::Encode { uri, filter } => {
            let epc = if uri.starts_with("urn:epc:tag:") {
                if filter.is_some() {
                    bail!("--filter is only for pure-identity URIs (a tag URI carries its filter)");
                }
                Epc96::from_tag_uri(&uri)
            } else if uri.starts_with("urn:epc:id:") {
                let Some(filter) = filter else {
                    bail!("a pure-identity URI needs --filter (0-7): it is part of the tag");
                };
                Epc96::from_pure_uri(&uri, filter)
            } else {
                bail!("{uri:?} is neither a tag URI (urn:epc:tag:) nor a pure-identity URI (urn:epc:id:)");
            }
            .with_context(|| format!("URI {uri:?}"))?;
            println!("{}", epc.to_hex());
        }
    }
    Ok(())
}
