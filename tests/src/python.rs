//! The pinned Python tools (`xtask/python/requirements.txt`: the official TeleSign SDK,
//! libphonenumber's `phonenumbers`) run from the virtualenv `cargo xtask setup` makes.

use serde_json::Value;
use std::process::Command;

/// Runs `tests/python/{script}` with `args` and reads the JSON it prints.
pub fn run_json(script: &str, args: &[&str]) -> Value {
    let python = std::env::var_os("RINGPROOF_PYTHON").unwrap_or_else(|| {
        panic!(
            "RINGPROOF_PYTHON is not set: run the tests through `cargo xtask test`, which \
             installs the pinned Python tools in a virtualenv and points this variable at it"
        )
    });
    let path = format!("{}/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&python)
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python:?}: {e}; run `cargo xtask setup`"));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} prints JSON: {e}"))
}
