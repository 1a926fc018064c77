//! Running commands with visible progress and useful failures.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs one named step, printing what it does, how long it took, and what failed.
pub fn step<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    println!("==> {what}");
    let start = Instant::now();
    let out = f().map_err(|e| format!("{what}: {e}"))?;
    println!("    done in {:.1}s", start.elapsed().as_secs_f64());
    Ok(out)
}

pub fn run(c: &mut Command) -> Result<(), String> {
    let status = c
        .status()
        .map_err(|e| format!("could not start {:?}: {e}", c.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(c)))
    }
}

/// Runs and captures stdout; stderr passes through so the user sees progress and errors.
pub fn output(c: &mut Command) -> Result<String, String> {
    let out = c
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {:?}: {e}", c.get_program()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{} failed ({})", describe(c), out.status))
    }
}

/// Whether a command runs and succeeds, quietly.
pub fn succeeds(c: &mut Command) -> bool {
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn describe(c: &Command) -> String {
    let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy()).collect();
    format!("`{} {}`", c.get_program().to_string_lossy(), args.join(" "))
}
