//! Node processes: start detached, find by pid file, signal.

use crate::network::NodeEntry;
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pid_file(dir: &Path, node: &NodeEntry) -> PathBuf {
    dir.join(&node.home).join("node.pid")
}

/// The node's log file.
pub fn log_file(dir: &Path, node: &NodeEntry) -> PathBuf {
    dir.join(&node.home).join("node.log")
}

/// The pid of the node's process if it is alive (a stopped process counts as alive).
pub fn running_pid(dir: &Path, node: &NodeEntry) -> Option<i32> {
    let text = std::fs::read_to_string(pid_file(dir, node)).ok()?;
    let pid: i32 = text.trim().parse().ok()?;
    // A zombie or a recycled pid: check the command line names our home directory.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let home = dir.join(&node.home);
    let ours = String::from_utf8_lossy(&cmdline).contains(&*home.to_string_lossy());
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let zombie = state.split(") ").nth(1).is_some_and(|s| s.starts_with('Z'));
    (ours && !zombie).then_some(pid)
}

/// Starts the node in its own process group (it outlives this command), logging to node.log.
pub fn start(dir: &Path, node: &NodeEntry, node_bin: &Path) -> Result<i32> {
    if let Some(pid) = running_pid(dir, node) {
        return Ok(pid);
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file(dir, node))?;
    let child = Command::new(node_bin)
        .arg("run")
        .arg("--home")
        .arg(dir.join(&node.home))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting node {}", node.name))?;
    let pid = i32::try_from(child.id()).context("pid out of range")?;
    std::fs::write(pid_file(dir, node), pid.to_string())?;
    // Reap the child when it exits, so that in a long-lived command (chaos, bench) a killed
    // node does not linger as a zombie; a short-lived command simply leaves it to init.
    let mut child = child;
    std::thread::spawn(move || child.wait());
    Ok(pid)
}

/// Sends a signal to the node's process.
pub fn signal(dir: &Path, node: &NodeEntry, sig: Signal) -> Result<i32> {
    let Some(pid) = running_pid(dir, node) else {
        bail!("node {} is not running", node.name)
    };
    kill(Pid::from_raw(pid), sig)
        .with_context(|| format!("sending {sig} to node {} (pid {pid})", node.name))?;
    Ok(pid)
}

/// Stops the node: SIGTERM (after SIGCONT, in case it is paused), then SIGKILL after `grace`.
pub fn stop(dir: &Path, node: &NodeEntry, grace: Duration) -> Result<bool> {
    let Some(pid) = running_pid(dir, node) else {
        return Ok(false);
    };
    let p = Pid::from_raw(pid);
    // Errors here mean the process is already gone, which is what we want.
    kill(p, Signal::SIGCONT).ok();
    kill(p, Signal::SIGTERM).ok();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if running_pid(dir, node).is_none() {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(p, Signal::SIGKILL).ok();
    Ok(true)
}
