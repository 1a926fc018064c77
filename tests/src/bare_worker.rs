//! The bench's baseline: `tests/bare-worker`, a JavaScript Worker that reads one Durable
//! Object, run by `wrangler dev` beside the edge, so a status read's throughput is compared
//! with the least such a read can cost on the same machine in the same run.

use crate::harness::{free_port, stop_group};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct BareWorker {
    child: Child,
    pub base_url: String,
}

impl BareWorker {
    /// The Worker and its object alone.
    pub fn plain() -> Result<BareWorker, String> {
        BareWorker::start("wrangler.toml")
    }

    /// The same, with static assets beside it as the edge has (the widget's files): each
    /// request passes wrangler's assets layer first.
    pub fn serving_assets() -> Result<BareWorker, String> {
        BareWorker::start("wrangler.assets.toml")
    }

    fn start(config: &str) -> Result<BareWorker, String> {
        let wrangler = std::env::var_os("RINGPROOF_WRANGLER")
            .map(PathBuf::from)
            .ok_or("RINGPROOF_WRANGLER is not set: run through `cargo xtask bench`")?;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bare-worker");
        let port = free_port();
        let persist = std::env::temp_dir().join(format!("ringproof-bare-{port}"));
        let child = Command::new(wrangler)
            .current_dir(&dir)
            .args(["dev", "--config", config])
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            // Two baselines run beside the edge: each its own debugger port.
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(&persist)
            .arg("--show-interactive-dev-session=false")
            .envs([
                ("WRANGLER_SEND_METRICS", "false"),
                ("WRANGLER_SEND_ERROR_REPORTS", "false"),
                ("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start wrangler for the bare worker: {e}"))?;
        let mut bare = BareWorker {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = bare.child.try_wait() {
                return Err(format!("the bare worker's wrangler exited ({status})"));
            }
            if crate::http::get(&format!("{}/", bare.base_url)).is_ok_and(|r| r.status == 200) {
                return Ok(bare);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err("the bare worker did not answer within 60 s".into())
    }
}

impl Drop for BareWorker {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

/// Requests a second `connections` clients, each one request after another, get from `url`
/// in `secs`; every answer must be a 200.
pub fn throughput(
    url: &str,
    headers: &[(&str, &str)],
    connections: usize,
    secs: f64,
) -> Result<f64, String> {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..connections)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < until {
                        let r = crate::http::get_with(url, headers)?;
                        if r.status != 200 {
                            return Err(format!("{url} answered {}: {}", r.status, r.body));
                        }
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        clients
            .into_iter()
            .map(|c| c.join().unwrap_or_else(|_| Err("a client panicked".into())))
            .collect()
    });
    let mut total = 0;
    for r in results {
        total += r?;
    }
    Ok(total as f64 / secs)
}
