//! The operator commands: keys, init, and start-up refusals that name the problem.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tradeledger");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run tradeledger");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn keys_generate_writes_a_private_file_and_show_prints_key_and_peer_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("node.key");
    let p = path.to_str().expect("utf8 path");
    let (ok, generated, err) = run(&["keys", "generate", "--out", p]);
    assert!(ok, "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    let (ok, shown, err) = run(&["keys", "show", p]);
    assert!(ok, "{err}");
    assert!(
        shown.contains("public_key = \"") && shown.contains("peer_id = \"12D3KooW"),
        "{shown}"
    );
    assert!(generated.contains(shown.trim()), "generate and show agree");
    let (ok, _, err) = run(&["keys", "generate", "--out", p]);
    assert!(
        !ok && err.contains("exists"),
        "must not overwrite a key: {err}"
    );
}

#[test]
fn start_up_refuses_wrong_values_and_names_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("node.key");
    let genesis = dir.path().join("genesis.toml");
    let home = dir.path().join("home");
    let s = |p: &std::path::Path| p.to_str().expect("utf8").to_owned();
    assert!(run(&["keys", "generate", "--out", &s(&key)]).0);
    // A genesis whose validators do not include this key.
    std::fs::write(
        &genesis,
        tradeledger_contracts::testkit::genesis().to_toml(),
    )
    .expect("write genesis");
    let (ok, _, err) = run(&[
        "init",
        "--genesis",
        &s(&genesis),
        "--key",
        &s(&key),
        "--home",
        &s(&home),
        "--api-listen",
        "nope",
    ]);
    assert!(!ok && err.contains("api_listen"), "{err}");
    let (ok, out, err) = run(&[
        "init",
        "--genesis",
        &s(&genesis),
        "--key",
        &s(&key),
        "--home",
        &s(&home),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("read-only"), "{out}");
    assert!(home.join("config.toml").exists() && home.join("genesis.toml").exists());
    let (ok, _, err) = run(&["run", "--home", &s(&home)]);
    assert!(
        !ok && err.contains("key_file"),
        "a key outside the validator set is refused: {err}"
    );
    std::fs::write(home.join("config.toml"), "mempool_events_max = 0\n").expect("write config");
    let (ok, _, err) = run(&["run", "--home", &s(&home)]);
    assert!(!ok && err.contains("mempool_events_max"), "{err}");
    std::fs::write(home.join("config.toml"), "mempol_events_max = 5\n").expect("write config");
    let (ok, _, err) = run(&["run", "--home", &s(&home)]);
    assert!(
        !ok && err.contains("mempol_events_max"),
        "unknown fields are named: {err}"
    );
    let (ok, _, err) = run(&[
        "run",
        "--home",
        &s(&home),
        "--p2p-listen",
        "not-a-multiaddr",
    ]);
    assert!(!ok && err.contains("p2p_listen"), "{err}");
}
