//! `./dev`, the README's two commands: on a machine where it cannot install what is missing it
//! stops before anything compiles and names the packages and the command; it knows what each
//! command needs. Run in a sandboxed `PATH` (no clang, no apt-get, no sudo, not root) with a
//! stand-in `cargo` that records any call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A `PATH` directory with the few tools the script uses, a non-root `id`, and a `cargo` that
/// writes `cargo-called` next to itself; no clang, c++, apt-get, sudo or python3.
fn sandbox_bin(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    if bin.exists() {
        return bin;
    }
    std::fs::create_dir_all(&bin).unwrap();
    for tool in [
        "bash", "dirname", "tr", "sed", "grep", "mkdir", "cat", "env", "head",
    ] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{tool} not found in /usr/bin or /bin"));
        symlink(found, bin.join(tool)).unwrap();
    }
    let script = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    script("id", "echo 1000");
    script(
        "cargo",
        &format!("touch {}; exit 0", dir.join("cargo-called").display()),
    );
    bin
}

fn run_dev(dir: &Path, args: &[&str]) -> Output {
    let bin = sandbox_bin(dir);
    Command::new(bin.join("bash"))
        .arg(repo_root().join("dev"))
        .args(args)
        .env_clear()
        .env("PATH", &bin)
        .env("HOME", dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env(
            "TRADELEDGER_DEV_LIBCLANG_GLOBS",
            dir.join("none/libclang.so"),
        )
        .output()
        .expect("run ./dev")
}

#[test]
fn without_root_or_sudo_it_stops_before_compiling_and_names_the_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_dev(tmp.path(), &["demo"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("apt-get install -y clang libclang-dev g++"),
        "names the packages and the command: {stderr}"
    );
    assert!(stderr.contains("Nothing has been compiled"), "{stderr}");
    assert!(
        !tmp.path().join("cargo-called").exists(),
        "cargo ran before the prerequisites were there"
    );
}

#[test]
fn check_lists_what_each_command_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = run_dev(tmp.path(), &["check", "demo"]);
    let demo_err = String::from_utf8_lossy(&demo.stderr);
    assert_eq!(demo.status.code(), Some(1), "{demo_err}");
    assert!(demo_err.contains("clang libclang-dev g++"), "{demo_err}");
    assert!(
        !demo_err.contains("mosquitto") && !demo_err.contains("nextest"),
        "the demo does not need the test tools: {demo_err}"
    );

    let test = run_dev(tmp.path(), &["check", "test"]);
    let test_err = String::from_utf8_lossy(&test.stderr);
    assert_eq!(test.status.code(), Some(1), "{test_err}");
    // (mosquitto is looked for in /usr/sbin too, so whether it is listed depends on the machine)
    for needed in [
        "python3",
        "python3-venv",
        "cargo-nextest",
        "Python packages",
    ] {
        assert!(test_err.contains(needed), "missing {needed}: {test_err}");
    }
    assert!(!tmp.path().join("cargo-called").exists());
}

#[test]
fn an_unknown_command_prints_the_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_dev(tmp.path(), &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("./dev demo") && stderr.contains("./dev test"),
        "{stderr}"
    );
}
