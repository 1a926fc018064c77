//! `cargo xtask deploy --dry-run` as an operator runs it, offline, on the edge `cargo xtask
//! build` left: it must do every offline step and leave no secret anywhere it writes.

use std::path::{Path, PathBuf};
use std::process::Command;

const SENTINEL: &str = "sentinel-credential-7f3a9c";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_dry_run_checks_migrations_bundles_and_writes_no_secret() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["deploy", "--dry-run", "--no-build"])
        .current_dir(root())
        .env("TELESIGN_API_KEY", SENTINEL)
        .env("ADMIN_TOKEN", SENTINEL)
        .env("INBOUND_NUMBERS", "+14155550100=twilio,+918047100000=plivo")
        .env("SANDBOX", "true")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    // Every offline step ran: the objects' migrations, the D1 migrations on a real (local) D1,
    // the bundle.
    assert!(
        stdout.contains("7 classes, each created by a migration"),
        "{stdout}"
    );
    for migration in std::fs::read_dir(root().join("edge/migrations")).unwrap() {
        let name = migration
            .unwrap()
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            stdout.contains(&format!("{name}: applied")),
            "{name} was not applied:\n{stdout}"
        );
    }
    let deploy = root().join("target/deploy");
    let bundle = deploy.join("bundle");
    assert!(bundle.join("index.js").exists());
    assert!(files_under(&bundle)
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "wasm")));

    // What it would do, by name: generated only what nobody chose.
    assert!(
        stdout.contains("would generate  TOKEN_KEY, SITE_SECRET_KEY, unless"),
        "{stdout}"
    );
    assert!(
        stdout.contains("would upload    ADMIN_TOKEN, TELESIGN_API_KEY"),
        "{stdout}"
    );
    assert!(stdout.contains("SANDBOX is for local development only"));

    // The configuration carries the environment's vars and not its secrets or local switches.
    let config = std::fs::read_to_string(deploy.join("wrangler.toml")).unwrap();
    assert!(config.contains(r#"INBOUND_NUMBERS = "+14155550100=twilio,+918047100000=plivo""#));
    assert!(config.contains(r#"SANDBOX = "false""#));
    assert!(!stdout.contains(SENTINEL) && !stderr.contains(SENTINEL));
    let mut written = files_under(&deploy);
    written.extend(
        files_under(&root().join("edge"))
            .into_iter()
            .filter(|p| !p.starts_with(root().join("edge/node_modules"))),
    );
    for file in written {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes
                .windows(SENTINEL.len())
                .any(|w| w == SENTINEL.as_bytes()),
            "a secret was written to {}",
            file.display()
        );
    }
    // Nothing left in the system's temporary directory either.
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("ringproof-deploy-")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn an_unknown_argument_is_refused_with_the_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["deploy", "--force"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown argument \"--force\"") && stderr.contains("--dry-run"),
        "{stderr}"
    );
}
