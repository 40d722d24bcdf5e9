//! The first-hour pages (docs/first-hour/) run as written. The test makes what a fresh clone
//! holds after `./dev demo | tee demo.log`: a working directory with `docs/`, the built
//! binaries in `target/debug/`, a running demo network in `./testnet` and the demo's output in
//! `demo.log`. Then, for each page, it runs every block fenced ```sh, in page order, as one
//! `bash -euo pipefail` script (a reader's terminal: variables carry from block to block) with
//! the environment a reader's shell has (PATH, HOME) and nothing else, and checks that every
//! block ran and that the page's key outputs appear. Blocks fenced otherwise (```text, ```toml,
//! ```rust) are not run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The pages, in the order they run, each with outputs that must appear.
const PAGES: [(&str, &[&str]); 4] = [
    (
        "operator.md",
        &[
            "public_key = ",
            "peer_id = ",
            "a read-only node (key not in the genesis validator set)",
            r#""validator":true"#,
            "tradeledger_peers 3",
            "committing: height",
            "started quarantine",
        ],
    ),
    (
        "integrator.md",
        &[
            r#""status":"pending""#,
            r#""status": "committed""#,
            r#""outcome": "applied""#,
        ],
    ),
    (
        "analyst.md",
        &[
            "lane RED",
            "risk.cold_chain_excursion",
            "ipr.possible_counterfeit",
            "lane GREEN",
            "event: flag",
        ],
    ),
    (
        "auditor.md",
        &[
            "verified heights 1..=",
            "is in block",
            "proof verified: event",
            "proof does not verify",
            "| verified |",
        ],
    ),
];

/// How long one page may run.
const PAGE_TIMEOUT: Duration = Duration::from_secs(90);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn testnet_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tradeledger-testnet"))
}

/// The directory holding both binaries (cargo builds the node's for its own tests).
fn bin_dir() -> PathBuf {
    let dir = testnet_bin().parent().unwrap().to_owned();
    assert!(
        dir.join("tradeledger").exists(),
        "{} missing: build it with `cargo build -p tradeledger-node`",
        dir.join("tradeledger").display()
    );
    dir
}

/// A command with a reader's environment: PATH and HOME, none of the variables cargo sets for
/// tests (with `CARGO` set, `tradeledger-testnet` would rebuild the node first).
fn reader_command(program: &str, clone: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear().current_dir(clone);
    for var in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    cmd
}

/// Stops the network when the test ends, pass or fail.
struct Down(PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let out = reader_command(testnet_bin().to_str().unwrap(), &self.0)
            .arg("down")
            .output();
        if let Ok(out) = out
            && !out.status.success()
        {
            eprintln!("down failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// The blocks fenced ```sh of a Markdown page, in order.
fn sh_blocks(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    // Inside a block: Some(true) for ```sh, Some(false) for any other.
    let mut inside: Option<bool> = None;
    let mut current = String::new();
    for line in page.lines() {
        let fence = line.trim_start().starts_with("```");
        match inside {
            None if fence => inside = Some(line.trim() == "```sh"),
            None => {}
            Some(sh) if fence => {
                if sh {
                    blocks.push(std::mem::take(&mut current));
                }
                inside = None;
            }
            Some(true) => {
                current.push_str(line);
                current.push('\n');
            }
            Some(false) => {}
        }
    }
    blocks
}

/// Runs a page's sh blocks as one script; returns (success, output).
fn run_page(clone: &Path, name: &str, blocks: &[String]) -> (bool, String) {
    let mut script = String::new();
    for (i, b) in blocks.iter().enumerate() {
        script.push_str(b);
        script.push_str(&format!("echo '@@ {name} block {} ok'\n", i + 1));
    }
    let script_path = clone.join(format!(".first-hour-{name}.sh"));
    std::fs::write(&script_path, script).unwrap();
    let output_path = clone.join(format!(".first-hour-{name}.out"));
    let output = std::fs::File::create(&output_path).unwrap();
    let mut child = reader_command("bash", clone)
        .args(["-euo", "pipefail"])
        .arg(&script_path)
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .process_group(0)
        .spawn()
        .expect("running bash");
    let pgid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    let deadline = Instant::now() + PAGE_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Whatever the page left running in the background (it should have stopped it).
    killpg(pgid, Signal::SIGTERM).ok();
    if status.is_none() {
        child.kill().ok();
        child.wait().ok();
    }
    let text = std::fs::read_to_string(&output_path).unwrap();
    match status {
        Some(s) => (s.success(), text),
        None => (false, format!("{text}\n(timed out after {PAGE_TIMEOUT:?})")),
    }
}

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cbor2, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with cbor2 and cryptography is required in CI"
        );
        eprintln!("skipping integrator.md: python3 with cbor2 and cryptography not available");
    }
    ok
}

#[test]
fn fenced_sh_blocks_are_found_in_order() {
    let page = "text\n```sh\na\nb\n```\n\n```text\nnot run\n```\n```rust\nx\n```\n```sh\nc\n```\n";
    assert_eq!(sh_blocks(page), ["a\nb\n", "c\n"]);
}

#[test]
fn every_page_is_linked_from_the_index_and_the_index_from_the_readme() {
    let index = std::fs::read_to_string(repo().join("docs/first-hour/README.md")).unwrap();
    for (page, _) in PAGES {
        assert!(index.contains(&format!("({page})")), "index lacks {page}");
    }
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("(docs/first-hour/README.md)"));
}

#[test]
fn first_hour_pages_run_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("tradeledger");
    std::fs::create_dir_all(clone.join("target")).unwrap();
    // A copy, not a link: running the pages writes beside their scripts (Python's caches).
    let copied = Command::new("cp")
        .arg("-r")
        .arg(repo().join("docs"))
        .arg(clone.join("docs"))
        .status()
        .unwrap();
    assert!(copied.success());
    std::os::unix::fs::symlink(bin_dir(), clone.join("target/debug")).unwrap();
    let _down = Down(clone.clone());

    // `./dev demo | tee demo.log`, with the binaries `./dev demo` builds.
    let started = Instant::now();
    let demo = reader_command(testnet_bin().to_str().unwrap(), &clone)
        .arg("demo")
        .output()
        .expect("running tradeledger-testnet demo");
    let demo_out = String::from_utf8_lossy(&demo.stdout);
    assert!(
        demo.status.success(),
        "demo failed:\n{demo_out}\n{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    std::fs::write(clone.join("demo.log"), demo.stdout.as_slice()).unwrap();
    eprintln!("demo played in {:.1?}", started.elapsed());

    let python = python_ready();
    for (page, expected) in PAGES {
        if page == "integrator.md" && !python {
            continue;
        }
        let text = std::fs::read_to_string(repo().join("docs/first-hour").join(page)).unwrap();
        let blocks = sh_blocks(&text);
        assert!(!blocks.is_empty(), "{page} has no ```sh block");
        let started = Instant::now();
        let (ok, out) = run_page(&clone, page.trim_end_matches(".md"), &blocks);
        eprintln!(
            "{page}: {} blocks in {:.1?}",
            blocks.len(),
            started.elapsed()
        );
        let ran = out.matches("@@ ").count();
        assert!(
            ok && ran == blocks.len(),
            "{page}: block {} of {} failed:\n{out}",
            ran + 1,
            blocks.len()
        );
        for e in expected {
            assert!(out.contains(e), "{page}: output lacks {e:?}:\n{out}");
        }
    }
}
