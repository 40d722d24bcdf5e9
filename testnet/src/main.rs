//! `tradeledger-testnet`: a local tradeledger network on 127.0.0.1 — up, down, status, logs,
//! the border-crossing demo, a load generator, fault injection and a crash loop under load.

mod bench;
mod binary;
mod chaos;
mod consistency;
mod demo;
mod fault;
mod follow;
mod load;
mod network;
mod process;
mod rules;
mod setup;
mod submit;
mod workload;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use network::Network;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// A local tradeledger network: the four stakeholder agencies' validators on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "tradeledger-testnet", version, about)]
struct Cli {
    /// Testnet directory (keys, genesis, node homes, logs).
    #[arg(
        long,
        global = true,
        default_value = "./testnet",
        env = "TRADELEDGER_TESTNET_DIR"
    )]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the network if needed, start every node, wait until blocks commit.
    Up {
        /// Number of validators (the four agencies, plus extra agencies beyond four).
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// How long to wait for the first commits, seconds.
        #[arg(long, default_value_t = 60)]
        wait_secs: u64,
        /// Most events per block, written into a new network's genesis (an existing network
        /// keeps its own).
        #[arg(long, default_value_t = setup::BLOCK_EVENTS_MAX)]
        block_events_max: u32,
    },
    /// Stop every node (SIGTERM, then SIGKILL after 10 s).
    Down,
    /// Each node's API URL, process state and height.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Print a node's log.
    Logs {
        /// Node name (shipper, carrier, customs, quarantine, ...).
        node: String,
        /// Only the last N lines.
        #[arg(long)]
        tail: Option<usize>,
    },
    /// Bring the network up if needed and play the border-crossing scenario end to end.
    Demo,
    /// Open-loop load of pre-signed events through the SDK; prints counts, throughput and
    /// submission-to-commit latency percentiles.
    Load {
        /// Offered events per second.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        /// Timed window, seconds.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Approximate size of each signed event, bytes.
        #[arg(long, default_value_t = 300)]
        event_bytes: usize,
        /// Device keys signing in parallel.
        #[arg(long, default_value_t = 64)]
        devices: usize,
        /// Most requests in flight.
        #[arg(long, default_value_t = 256)]
        in_flight: usize,
        /// Events per request (`POST /v1/events/batch`); 1 posts each event alone.
        #[arg(long, default_value_t = 200)]
        batch: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Crash loop under load: `kill -9` a random validator every few seconds (seeded), restart
    /// it, while the load generator runs; then check that every validator holds the same
    /// chain and that every event seen committed is still committed everywhere. Exits non-zero
    /// on any loss or divergence.
    Chaos {
        /// Length of the crash loop and of the load, seconds.
        #[arg(long, default_value_t = 300)]
        duration: u64,
        /// Seconds between two kills.
        #[arg(long, default_value_t = 5.0)]
        kill_every: f64,
        /// Shortest outage of a killed validator, milliseconds.
        #[arg(long, default_value_t = 200)]
        down_ms_min: u64,
        /// Longest outage of a killed validator, milliseconds.
        #[arg(long, default_value_t = 3000)]
        down_ms_max: u64,
        /// Seed of the kill schedule (random and printed when absent).
        #[arg(long)]
        seed: Option<u64>,
        /// Offered events per second.
        #[arg(long, default_value_t = 200)]
        rate: u64,
        /// Approximate size of each signed event, bytes.
        #[arg(long, default_value_t = 300)]
        event_bytes: usize,
        /// Device keys signing.
        #[arg(long, default_value_t = 32)]
        devices: usize,
        /// Most submissions in flight.
        #[arg(long, default_value_t = 256)]
        in_flight: usize,
        /// How long the network may take to settle after the loop, seconds.
        #[arg(long, default_value_t = 120)]
        settle: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// The performance matrix of issue 9 on fresh networks in DIR/bench-4 and DIR/bench-7:
    /// verification bound, throughput curve and latency, 4 vs 7 validators, a filled chain
    /// (throughput and shipment queries), audit speed and catch-up. Prints a Markdown table.
    Bench {
        /// Everything small (a minute or two): a smoke test of the whole matrix.
        #[arg(long)]
        quick: bool,
        /// Offered loads of the throughput curve, events/s (comma-separated).
        #[arg(long, value_delimiter = ',')]
        rates: Option<Vec<u64>>,
        /// Length of each measured window, seconds.
        #[arg(long)]
        window: Option<u64>,
        /// Events per request (`POST /v1/events/batch`).
        #[arg(long)]
        batch: Option<usize>,
        /// Events committed before the flat-cost measurements.
        #[arg(long)]
        fill: Option<u64>,
        /// Blocks a stopped validator is left behind before its catch-up is timed.
        #[arg(long)]
        sync_blocks: Option<u64>,
        /// Validators of the scaling comparison (against 4).
        #[arg(long)]
        scaling_validators: Option<usize>,
        /// Device keys signing.
        #[arg(long)]
        devices: Option<usize>,
        /// Also write the table to this file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format (the JSON holds every figure).
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Times the catch-up of a validator far behind (issue 9's 100 000 blocks) on a fresh
    /// 4-validator network in DIR/catch-up. Small blocks let the chain grow that long in
    /// minutes.
    CatchUp {
        /// Blocks the validator is left behind.
        #[arg(long, default_value_t = 100_000)]
        blocks: u64,
        /// Most events per block in the network's genesis.
        #[arg(long, default_value_t = 10)]
        block_events_max: u32,
        /// Events/s offered while the chain grows.
        #[arg(long, default_value_t = 500)]
        rate: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Real faults on running nodes.
    Fault {
        /// What to do.
        #[arg(value_enum)]
        action: fault::Action,
        /// Node names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = cli.dir;
    match cli.command {
        Command::Up {
            validators,
            wait_secs,
            block_events_max,
        } => up(
            &dir,
            validators,
            block_events_max,
            Duration::from_secs(wait_secs),
        )
        .map(|_| ()),
        Command::Down => down(&dir),
        Command::Status { output } => status(&dir, output),
        Command::Logs { node, tail } => logs(&dir, &node, tail),
        Command::Demo => {
            let network = up(&dir, 4, setup::BLOCK_EVENTS_MAX, Duration::from_secs(90))?;
            demo::run(&dir, &network)
        }
        Command::Load {
            rate,
            duration,
            event_bytes,
            devices,
            in_flight,
            batch,
            output,
        } => {
            if rate == 0 || duration == 0 || devices == 0 || in_flight == 0 || batch == 0 {
                bail!("--rate, --duration, --devices, --in-flight and --batch must be positive");
            }
            let network = Network::load(&dir)?;
            let args = load::LoadArgs {
                rate,
                duration_s: duration,
                event_bytes,
                devices,
                in_flight_max: in_flight,
                batch,
            };
            let r = load::run(&dir, &network, &args)?;
            match output {
                Output::Json => println!("{}", serde_json::to_string(&r)?),
                Output::Text => {
                    println!(
                        "submitted {}  committed {}  rejected {}",
                        r.submitted, r.committed, r.rejected
                    );
                    println!(
                        "offered {:.0}/s  committed throughput {:.0}/s  (client signing {:.0}/s, before the window)",
                        r.offered_per_s, r.throughput_per_s, r.signing_per_s
                    );
                    println!(
                        "latency submission→commit: p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms",
                        r.latency_ms.p50, r.latency_ms.p95, r.latency_ms.p99
                    );
                }
            }
            Ok(())
        }
        Command::Chaos {
            duration,
            kill_every,
            down_ms_min,
            down_ms_max,
            seed,
            rate,
            event_bytes,
            devices,
            in_flight,
            settle,
            output,
        } => {
            if rate == 0 || duration == 0 || devices == 0 || in_flight == 0 || kill_every <= 0.0 {
                bail!(
                    "--rate, --duration, --devices, --in-flight and --kill-every must be positive"
                );
            }
            if down_ms_min > down_ms_max {
                bail!("--down-ms-min must not exceed --down-ms-max");
            }
            let network = Network::load(&dir)?;
            let args = chaos::ChaosArgs {
                duration_s: duration,
                kill_every_s: kill_every,
                down_ms_min,
                down_ms_max,
                seed,
                rate,
                event_bytes,
                devices,
                in_flight_max: in_flight,
                settle_s: settle,
            };
            let r = chaos::run(&dir, &network, &args)?;
            match output {
                Output::Json => println!("{}", serde_json::to_string(&r)?),
                Output::Text => print_chaos(&r),
            }
            if !r.passed() {
                bail!(
                    "the crash loop lost events or the validators diverged (seed {})",
                    r.seed
                );
            }
            Ok(())
        }
        Command::CatchUp {
            blocks,
            block_events_max,
            rate,
            output,
        } => {
            let s = bench::catch_up(&dir, blocks, block_events_max, rate)?;
            match output {
                Output::Json => println!("{}", serde_json::to_string(&s)?),
                Output::Text => println!(
                    "{} caught up {} blocks ({} events) in {:.1} s: {:.0} blocks/s, {:.0} events/s",
                    s.node, s.blocks_behind, s.events, s.seconds, s.blocks_per_s, s.events_per_s
                ),
            }
            Ok(())
        }
        Command::Bench {
            quick,
            rates,
            window,
            batch,
            fill,
            sync_blocks,
            scaling_validators,
            devices,
            out,
            output,
        } => {
            let mut args = if quick {
                bench::BenchArgs::quick()
            } else {
                bench::BenchArgs::full()
            };
            args.rates = rates.unwrap_or(args.rates);
            args.window_s = window.unwrap_or(args.window_s);
            args.batch = batch.unwrap_or(args.batch);
            args.fill = fill.unwrap_or(args.fill);
            args.sync_blocks = sync_blocks.unwrap_or(args.sync_blocks);
            args.scaling_validators = scaling_validators.unwrap_or(args.scaling_validators);
            args.devices = devices.unwrap_or(args.devices);
            if args.scaling_validators < 4 || args.batch == 0 || args.devices == 0 {
                bail!("--scaling-validators must be at least 4; --batch and --devices positive");
            }
            let report = bench::run(&dir, &args)?;
            let table = bench::markdown(&report);
            if let Some(path) = out {
                std::fs::write(&path, &table)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            match output {
                Output::Json => println!("{}", serde_json::to_string(&report)?),
                Output::Text => print!("{table}"),
            }
            Ok(())
        }
        Command::Fault { action, nodes } => fault::run(&dir, action, &nodes),
    }
}

fn print_chaos(r: &chaos::ChaosReport) {
    let e = &r.events;
    let c = &r.consistency;
    println!(
        "seed {}  duration {} s  kills {}  restarts {}",
        r.seed, r.duration_s, r.kills, r.restarts
    );
    println!(
        "events: submitted {}  acknowledged {}  committed {}  reposted {}  refused {:?}  never committed {}  lost {}",
        e.submitted, e.acknowledged, e.committed, e.reposted, e.refused, e.never_committed, e.lost
    );
    println!(
        "load: committed {:.0}/s  latency p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms",
        r.load.throughput_per_s,
        r.load.latency_ms.p50,
        r.load.latency_ms.p95,
        r.load.latency_ms.p99
    );
    let heights: Vec<String> = c
        .final_heights
        .iter()
        .map(|(n, h)| format!("{n} {h}"))
        .collect();
    println!("final heights: {}", heights.join(", "));
    println!(
        "blocks 1..={} compared on every validator: chains identical {}  state roots equal {}",
        c.compared_height, c.chains_identical, c.state_roots_equal
    );
    println!(
        "block {}: hash {}  state root {}",
        c.compared_height, c.last_block_hash, c.state_root
    );
    println!(
        "event look-ups (GET /v1/events/{{id}}, every validator): {}  committed but not applied: {}",
        c.event_lookups, c.events_not_applied
    );
    for st in &r.stuck {
        println!(
            "STUCK device {} seq {} event {}: {:?}; previous {:?}",
            st.device, st.seq, st.event, st.status, st.previous
        );
    }
    if let Some(d) = &c.divergence {
        println!("DIVERGENCE: {d}");
    }
}

/// Brings the network up (creating it on first use) and waits for commits.
fn up(dir: &Path, validators: usize, block_events_max: u32, wait: Duration) -> Result<Network> {
    let bin = binary::node_binary()?;
    let network = if dir.join(network::MANIFEST).exists() {
        let n = Network::load(dir)?;
        if n.nodes.len() != validators && validators != 4 {
            bail!(
                "{} already holds a {}-validator network; use another --dir or remove it",
                dir.display(),
                n.nodes.len()
            );
        }
        n
    } else {
        eprintln!(
            "creating a {validators}-validator network in {}",
            dir.display()
        );
        setup::create(dir, validators, block_events_max, &bin)?
    };
    for node in &network.nodes {
        let pid = process::start(dir, node, &bin)?;
        eprintln!(
            "  {:<12} pid {pid:<7} api {}",
            node.name,
            Network::url(node)
        );
    }
    let height = wait_for_height(dir, &network, 2, wait)?;
    println!(
        "testnet up: {} validators committing (height {height})",
        network.nodes.len()
    );
    for node in &network.nodes {
        println!("  {:<12} {}", node.name, Network::url(node));
    }
    Ok(network)
}

/// Waits until every running node reports at least `height`; returns the lowest height seen.
fn wait_for_height(dir: &Path, network: &Network, height: u64, wait: Duration) -> Result<u64> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let heights: Vec<Option<u64>> = network.nodes.iter().map(node_height).collect();
        let lowest = heights.iter().flatten().copied().min();
        if heights.iter().all(Option::is_some) && lowest.is_some_and(|h| h >= height) {
            return Ok(lowest.unwrap_or(0));
        }
        if std::time::Instant::now() > deadline {
            let dead: Vec<&str> = network
                .nodes
                .iter()
                .filter(|n| process::running_pid(dir, n).is_none())
                .map(|n| n.name.as_str())
                .collect();
            bail!(
                "nodes did not reach height {height} within {:?} (heights {heights:?}; not running: {dead:?}); see `tradeledger-testnet logs NODE`",
                wait
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The node's committed height from `GET /v1/status`, if it answers.
fn node_height(node: &network::NodeEntry) -> Option<u64> {
    let client = tradeledger_sdk::client::BlockingClient::new(&Network::url(node)).ok()?;
    client.status().ok().map(|s| s.height)
}

fn down(dir: &Path) -> Result<()> {
    let network = Network::load(dir)?;
    for node in &network.nodes {
        let stopped = process::stop(dir, node, Duration::from_secs(10))?;
        println!(
            "  {:<12} {}",
            node.name,
            if stopped {
                "stopped"
            } else {
                "was not running"
            }
        );
    }
    Ok(())
}

fn status(dir: &Path, output: Output) -> Result<()> {
    let network = Network::load(dir)?;
    let genesis =
        std::fs::canonicalize(dir.join(&network.genesis)).context("genesis file missing")?;
    let rows: Vec<serde_json::Value> = network
        .nodes
        .iter()
        .map(|n| {
            let running = process::running_pid(dir, n).is_some();
            let height = if running { node_height(n) } else { None };
            serde_json::json!({"name": n.name, "api": Network::url(n), "running": running, "height": height})
        })
        .collect();
    match output {
        Output::Json => println!("{}", serde_json::json!({"genesis": genesis, "nodes": rows})),
        Output::Text => {
            println!("genesis: {}", genesis.display());
            println!("{:<12} {:<28} {:<8} height", "node", "api", "running");
            for r in rows {
                println!(
                    "{:<12} {:<28} {:<8} {}",
                    r["name"].as_str().unwrap_or(""),
                    r["api"].as_str().unwrap_or(""),
                    // A bool, not the JSON value: only the former honours the column width.
                    r["running"].as_bool().unwrap_or(false),
                    r["height"]
                        .as_u64()
                        .map_or("-".to_owned(), |h| h.to_string())
                );
            }
        }
    }
    Ok(())
}

fn logs(dir: &Path, name: &str, tail: Option<usize>) -> Result<()> {
    let network = Network::load(dir)?;
    let node = network.node(name)?;
    let path = process::log_file(dir, node);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let start = tail.map_or(0, |n| lines.len().saturating_sub(n));
    for l in &lines[start..] {
        println!("{l}");
    }
    Ok(())
}
