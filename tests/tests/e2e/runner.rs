//! The scenarios' runner: libtest's command line (`--list`, `--exact`, `--skip`, a filter)
//! over one shared edge, plus `--shuffle` and `--shuffle-seed N` (or `RINGPROOF_SHUFFLE_SEED`).
//! A filter that matches nothing fails; a failing scenario reports its own slice of the
//! wrangler log and a screenshot of each browser it had open; after the run every edge log
//! of this process is scanned for the secrets, codes and phone numbers the run handled.

use crate::{Ctx, Scenario};
use libtest_mimic::{Arguments, Failed, Trial};
use ringproof_tests::scenario_args::ScenarioArgs;
use ringproof_tests::{browser, watched};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// The scenario running now, for the panic hook.
static CURRENT: Mutex<Option<&'static str>> = Mutex::new(None);
/// The running scenario's place in the declared order (see [`index`]).
static INDEX: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Screenshots the panic hook took for the running scenario.
static SHOTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The running scenario's place in the declared order, whatever order the run takes: what a
/// scenario owns (its phone number) is chosen by it.
pub fn index() -> usize {
    INDEX.load(std::sync::atomic::Ordering::Relaxed)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn main(
    scenarios: Vec<(&'static str, Scenario)>,
    start: fn() -> Result<Ctx, String>,
) -> ExitCode {
    let env_seed = std::env::var("RINGPROOF_SHUFFLE_SEED").ok();
    let chosen_args = match ScenarioArgs::parse(std::env::args(), env_seed.as_deref()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut args = Arguments::from_iter(chosen_args.rest.clone());
    // One edge, one callback receiver and fakes with modes of their own: one scenario at a
    // time, whatever `--test-threads` says.
    args.test_threads = Some(1);
    let mut scenarios: Vec<(usize, &'static str, Scenario)> = scenarios
        .into_iter()
        .enumerate()
        .map(|(i, (name, f))| (i, name, f))
        .filter(|(_, name, _)| chosen_args.picks(name, args.exact))
        .collect();
    let seed = chosen_args.shuffle_seed;
    let filters = &chosen_args.filters;
    if let Some(seed) = seed {
        fastrand::Rng::with_seed(seed).shuffle(&mut scenarios);
        println!("scenarios shuffled with seed {seed} (again: -- --shuffle-seed {seed})");
    }
    if args.list {
        let trials = scenarios
            .iter()
            .map(|(_, name, _)| Trial::test(*name, || Err("listed, not run".into())))
            .collect();
        return libtest_mimic::run(&args, trials).exit_code();
    }
    let chosen = scenarios
        .iter()
        .filter(|(_, name, _)| !args.is_filtered_out(&Trial::test(*name, || Ok(()))))
        .count();
    if chosen == 0 {
        eprintln!(
            "no scenario matches {}{}{}: `cargo xtask e2e --list` names them",
            if filters.is_empty() { "at all" } else { "" },
            filters.join(" or "),
            match (args.exact, args.skip.is_empty()) {
                (true, _) => " exactly",
                (false, false) => " once --skip is applied",
                (false, true) => "",
            },
        );
        return ExitCode::from(2);
    }
    let ctx = match start() {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("cannot start the edge: {e}");
            return ExitCode::FAILURE;
        }
    };
    photograph_on_panic();
    let trials = scenarios
        .iter()
        .map(|&(index, name, f)| {
            let ctx = Arc::clone(&ctx);
            Trial::test(name, move || run_one(&ctx, index, name, f))
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    let clean = logs_hold_no_secrets();
    drop(ctx);
    if conclusion.has_failed() || !clean {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn failures_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-failures")
}

/// Photographs every open browser at a scenario's first panic, before unwinding closes them.
fn photograph_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let Some(name) = *lock(&CURRENT) else { return };
        if lock(&SHOTS).is_empty() {
            let shots = browser::screenshot_open(&failures_dir(), name);
            lock(&SHOTS).extend(shots);
        }
    }));
}

fn run_one(ctx: &Ctx, index: usize, name: &'static str, f: Scenario) -> Result<(), Failed> {
    INDEX.store(index, std::sync::atomic::Ordering::Relaxed);
    let before: HashMap<PathBuf, u64> = edge_logs()
        .into_iter()
        .map(|p| {
            let len = std::fs::metadata(&p).map_or(0, |m| m.len());
            (p, len)
        })
        .collect();
    *lock(&CURRENT) = Some(name);
    lock(&SHOTS).clear();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(ctx)));
    *lock(&CURRENT) = None;
    let Err(payload) = outcome else {
        return Ok(());
    };
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".into());
    // Let the edge write what it was doing when the scenario gave up.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut logs = String::new();
    // The shared edge's log from where the scenario began, and the whole of any edge the
    // scenario started for itself.
    for log in edge_logs() {
        let from = before.get(&log).copied().unwrap_or(0);
        let bytes = std::fs::read(&log).unwrap_or_default();
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
        let slice = String::from_utf8_lossy(&bytes[from..]);
        if !slice.trim().is_empty() {
            logs.push_str(&format!(
                "--- {}: this scenario's {} lines ---\n{slice}",
                log.display(),
                slice.lines().count()
            ));
        }
    }
    if logs.is_empty() {
        logs.push_str("--- no edge logged anything during this scenario ---\n");
    }
    let shots: Vec<String> = lock(&SHOTS)
        .drain(..)
        .map(|p| p.display().to_string())
        .collect();
    Err(format!(
        "{message}\n{logs}--- screenshots: {}",
        if shots.is_empty() {
            "none (no browser was open)".to_owned()
        } else {
            shots.join(", ")
        }
    )
    .into())
}

/// The log of every edge this process started: the shared one and those scenarios start.
fn edge_logs() -> Vec<PathBuf> {
    let prefix = format!("ringproof-test-{}-", std::process::id());
    let mut logs: Vec<PathBuf> = std::fs::read_dir(std::env::temp_dir())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "log")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    logs.sort();
    logs
}

/// Scans every edge log this process wrote, the shared edge's and those scenarios started
/// for themselves, for what the run handled; prints what it found, masked.
fn logs_hold_no_secrets() -> bool {
    let logs = edge_logs();
    let counts = watched::counts()
        .map(|(k, n)| format!("{n} {k:?}"))
        .join(", ");
    let mut lines = 0;
    let mut found = Vec::new();
    for log in &logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        lines += text.lines().count();
        found.extend(
            watched::leaks(&text)
                .into_iter()
                .map(|l| format!("{}: {l}", log.display())),
        );
    }
    if found.is_empty() {
        println!(
            "log scan: {} logs, {lines} lines, watched {counts}: none found",
            logs.len()
        );
        true
    } else {
        eprintln!(
            "log scan FAILED: {} of {lines} lines hold what must never be logged (watched {counts}):\n{}",
            found.len(),
            found.join("\n")
        );
        false
    }
}
