//! `tradeledger-bridge`: feeds a tradeledger node from devices (MQTT and JSON lines on stdin),
//! and converts EPC tags and EPCIS documents on the command line.
//!
//! ```text
//! tradeledger-bridge epc decode HEX [--output text|json]
//! tradeledger-bridge epc encode URI [--filter N]
//! tradeledger-bridge epcis import FILE [--shipment ID] [--dry-run]
//!                                 [--node URL --key FILE --spool DIR [--chain-id ID]]
//! tradeledger-bridge run --node URL --key FILE --chain-id ID --spool DIR
//!                        [--mqtt HOST:PORT --topic T ...] [--stdin]
//! ```
//! The message format of `run` is documented in the `tradeledger_sdk::bridge` module.

mod cli;
mod epc_cmd;
mod epcis_cmd;
mod inputs;
mod keyfile;
mod run;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Epc(cmd) => epc_cmd::main(cmd),
        cli::Command::Epcis(cmd) => epcis_cmd::main(cmd),
        cli::Command::Run(args) => run::main(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tradeledger-bridge: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
