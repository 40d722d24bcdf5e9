//! Soak test: runs many seeds of the consensus simulator and reports violations.
//!
//! ```text
//! cargo run -p tradeledger-consensus --release --example sim -- --seeds 10000 --validators 7 --byzantine 2
//! ```
//!
//! Options: `--seeds N` (default 1000), `--seed-start S` (default 0), `--validators N`
//! (default 4), `--byzantine F` (default ⌊(N−1)/3⌋), `--threads T` (default: available
//! parallelism), `--verbose` (one line per seed). Exits with status 1 when any seed violates
//! safety or fails liveness, after printing the seeds that replay the failures.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use tradeledger_consensus::sim::{self, FaultCounts, SimConfig, SimReport};

struct Args {
    seeds: u64,
    seed_start: u64,
    validators: usize,
    byzantine: Option<usize>,
    threads: usize,
    verbose: bool,
}

fn parse() -> anyhow::Result<Args> {
    let mut a = Args {
        seeds: 1000,
        seed_start: 0,
        validators: 4,
        byzantine: None,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seeds" => a.seeds = value()?.parse()?,
            "--seed-start" => a.seed_start = value()?.parse()?,
            "--validators" => a.validators = value()?.parse()?,
            "--byzantine" => a.byzantine = Some(value()?.parse()?),
            "--threads" => a.threads = value()?.parse()?,
            "--verbose" => a.verbose = true,
            other => bail!("unknown option {other}"),
        }
    }
    if a.validators < 1 {
        bail!("--validators must be at least 1");
    }
    Ok(a)
}

fn main() -> anyhow::Result<ExitCode> {
    let args = parse()?;
    let f_max = (args.validators - 1) / 3;
    let byzantine = args.byzantine.unwrap_or(f_max);
    if byzantine > f_max {
        bail!(
            "{byzantine} Byzantine of {} validators exceeds f = {f_max}",
            args.validators
        );
    }
    let next = AtomicU64::new(args.seed_start);
    let end = args.seed_start + args.seeds;
    let failures: Mutex<Vec<SimReport>> = Mutex::new(Vec::new());
    let totals: Mutex<(u64, u64, u64, FaultCounts)> = Mutex::new((0, 0, 0, FaultCounts::default()));
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.threads.max(1) {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let report = sim::run(&SimConfig::new(seed, args.validators, byzantine));
                    if args.verbose {
                        println!(
                            "seed {seed}: {} blocks, {} rounds, {} faults, {:?}{}",
                            report.blocks_committed,
                            report.rounds,
                            report.faults.total(),
                            report.behaviours,
                            if report.ok() { "" } else { "  FAILED" }
                        );
                    }
                    let mut t = totals
                        .lock()
                        .expect("no thread panics while holding the lock");
                    t.0 += 1;
                    t.1 += report.blocks_committed;
                    t.2 += report.messages_delivered;
                    t.3.add(&report.faults);
                    drop(t);
                    if !report.ok() {
                        failures
                            .lock()
                            .expect("no thread panics while holding the lock")
                            .push(report);
                    }
                }
            });
        }
    });
    let (runs, blocks, messages, faults) = totals.into_inner().expect("threads joined");
    let mut failures = failures.into_inner().expect("threads joined");
    failures.sort_by_key(|r| r.seed);
    println!(
        "validators {} byzantine {byzantine}: seeds run {runs}, blocks committed {blocks}, messages delivered {messages}, \
         faults injected {} in {:.1} s",
        args.validators,
        faults.total(),
        started.elapsed().as_secs_f64()
    );
    println!("faults: {faults:?}");
    if failures.is_empty() {
        println!("no safety violation, liveness held after healing in every seed");
        return Ok(ExitCode::SUCCESS);
    }
    for r in &failures {
        for v in &r.violations {
            println!("VIOLATION seed {}: {v}", r.seed);
        }
        if let Some(l) = &r.liveness_failure {
            println!("LIVENESS FAILURE seed {}: {l}", r.seed);
        }
        println!(
            "  replay: cargo run -p tradeledger-consensus --release --example sim -- --seed-start {} --seeds 1 --validators {} --byzantine {byzantine}",
            r.seed, args.validators
        );
    }
    Ok(ExitCode::FAILURE)
}
