//! The `tradeledger` binary: operator commands and the validator node.

use anyhow::{Context as _, bail};
use clap::Parser as _;
use std::path::Path;
use tradeledger_node::cli::{Cli, Command, InitArgs, KeysCommand};
use tradeledger_node::config::{CONFIG_FILE, Config};
use tradeledger_node::keys::NodeKey;
use tradeledger_types::Genesis;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keys(KeysCommand::Generate { out }) => keys_generate(&out),
        Command::Keys(KeysCommand::Show { file }) => keys_show(&file),
        Command::Init(args) => init(&args),
        Command::Run(args) => tradeledger_node::node::run(&args.home, &args.config),
        Command::Query(args) => tradeledger_node::audit::cli::run_query(&args),
        Command::Audit(cmd) => tradeledger_node::audit::cli::run_audit(&cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn keys_generate(out: &Path) -> anyhow::Result<()> {
    let key = NodeKey::generate()?;
    key.write_new(out)?;
    println!("wrote {}", out.display());
    print_key(&key);
    Ok(())
}

fn keys_show(file: &Path) -> anyhow::Result<()> {
    print_key(&NodeKey::read(file)?);
    Ok(())
}

fn print_key(key: &NodeKey) {
    println!("public_key = \"{}\"", key.public());
    println!("peer_id = \"{}\"", key.peer_id());
}

fn init(args: &InitArgs) -> anyhow::Result<()> {
    let genesis_text = std::fs::read_to_string(&args.genesis)
        .with_context(|| format!("reading {}", args.genesis.display()))?;
    let genesis = Genesis::from_toml(&genesis_text)
        .with_context(|| format!("genesis {}", args.genesis.display()))?;
    let key = NodeKey::read(&args.key)?;
    let config_path = args.home.join(CONFIG_FILE);
    if config_path.exists() && !args.force {
        bail!(
            "{} exists; pass --force to overwrite",
            config_path.display()
        );
    }
    let mut config = Config::default();
    args.config.apply(&mut config);
    config.clone().resolve(&args.home)?;
    std::fs::create_dir_all(&args.home)
        .with_context(|| format!("creating {}", args.home.display()))?;
    let genesis_dest = args.home.join(&config.genesis_file);
    std::fs::write(&genesis_dest, &genesis_text)
        .with_context(|| format!("writing {}", genesis_dest.display()))?;
    let key_dest = args.home.join(&config.key_file);
    if std::fs::canonicalize(&args.key).ok() != std::fs::canonicalize(&key_dest).ok() {
        if key_dest.exists() {
            let existing = NodeKey::read(&key_dest)?;
            if existing.public() != key.public() {
                bail!(
                    "{} holds another key; remove it or choose another --key-file",
                    key_dest.display()
                );
            }
        } else {
            key.write_new(&key_dest)?;
        }
    }
    std::fs::write(&config_path, config.to_toml())
        .with_context(|| format!("writing {}", config_path.display()))?;
    let role = match genesis
        .validators
        .iter()
        .find(|v| v.consensus_key == key.public())
    {
        Some(v) => format!("validator {:?}", v.name),
        None => "a read-only node (key not in the genesis validator set)".to_owned(),
    };
    println!(
        "initialised {} for chain {} as {role}",
        args.home.display(),
        genesis.chain_id
    );
    println!("peer_id = \"{}\"", key.peer_id());
    Ok(())
}
