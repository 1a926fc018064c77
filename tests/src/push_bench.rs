//! Status pushed over the verification's WebSocket against the widget's polling fallback, in
//! headless Chromium against the local edge: how long from the call reported to the page's
//! `ringproof-verified`, what an idle widget asks of the edge, and how many idle sockets the
//! local workerd holds.

use crate::browser::Browser;
use crate::harness::LocalEdge;
use crate::host_page::HostPage;
use crate::http;
use crate::ws_client::{self, Frame, Handshake};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Verifications per source (the provider's webhook, the sandbox's call) and transport.
pub const RUNS: usize = 30;
/// Sockets opened for [`idle_sockets`].
pub const SOCKETS: usize = 1000;
const IDLE_SECS: u64 = 60;

/// Milliseconds from the call reported to `ringproof-verified`, sorted, per source.
pub struct Latencies {
    pub webhook: Vec<f64>,
    pub sandbox: Vec<f64>,
}

pub struct Idle {
    /// Status polls and sockets opened in [`IDLE_SECS`].
    pub requests: u64,
    /// Frames the page sent (pings) in the same time.
    pub pings: u64,
}

pub struct Held {
    pub opened: usize,
    /// Sockets that still answered a ping after the idle wait.
    pub answering: usize,
    pub rss_before_kb: u64,
    /// With the verifications started, before any socket.
    pub rss_objects_kb: u64,
    pub rss_open_kb: u64,
    pub rss_idle_kb: u64,
    pub error: Option<String>,
}

/// The probe page with the sandbox site; with `blocked`, its sockets fail (polling only).
fn page(edge: &LocalEdge, blocked: bool) -> HostPage {
    let refused = format!("ws://127.0.0.1:{}/", crate::harness::free_port());
    let block = blocked.then_some(refused.as_str());
    HostPage::serve(HostPage::probed(
        &edge.base_url,
        &edge.sandbox.site_key,
        block,
    ))
}

fn js(b: &Browser, script: &str) -> Result<Value, String> {
    b.execute(&format!("return {script}"), vec![])
}

/// Waits (checking every few milliseconds: the page's own clock times the event, so only the
/// bench's wall time depends on this) until `script` is true.
fn until(b: &Browser, what: &str, script: &str) -> Result<(), String> {
    let start = Instant::now();
    while js(b, script)? != json!(true) {
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    Ok(())
}

const SHADOW: &str = "document.querySelector('ringproof-verify').shadowRoot";

/// Starts a missed call for `phone` in the widget: the verification's id and the number shown.
fn start(b: &Browser, phone: &str, push: bool) -> Result<(String, String), String> {
    let sockets = js(b, "probe.sockets.length")?.as_u64().unwrap_or(0);
    // The phone attribute restarts the widget with the number filled in.
    js(
        b,
        &format!(
            "document.querySelector('ringproof-verify').setAttribute('phone', '{phone}'), true"
        ),
    )?;
    until(
        b,
        "the form",
        &format!("!!{SHADOW}.querySelector('[data-testid=submit]')"),
    )?;
    js(
        b,
        &format!("{SHADOW}.querySelector('[data-testid=submit]').click(), true"),
    )?;
    until(
        b,
        "the number",
        &format!("!!{SHADOW}.querySelector('[data-testid=call-link]')"),
    )?;
    if push {
        until(
            b,
            "the socket",
            &format!("probe.sockets.length > {sockets} && probe.sockets[probe.sockets.length - 1].readyState === 1"),
        )?;
    }
    let tel = js(
        b,
        &format!("{SHADOW}.querySelector('[data-testid=call-link]').getAttribute('href')"),
    )?;
    let src = js(
        b,
        &format!("{SHADOW}.querySelector('[data-testid=number-image]').getAttribute('src')"),
    )?;
    let called = tel
        .as_str()
        .and_then(|t| t.strip_prefix("tel:"))
        .ok_or("no call link")?
        .to_owned();
    let id = src
        .as_str()
        .and_then(|s| s.split('/').rev().nth(1))
        .ok_or("no number image")?
        .to_owned();
    Ok((id, called))
}

/// A small generator for the moments calls are reported at: good enough to spread them over
/// the polling interval.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// [`RUNS`] verifications per source in one browser, with the call reported at a random moment
/// up to 1 s (a polling interval) after the step is shown.
pub fn latencies(edge: &LocalEdge, push: bool) -> Result<Latencies, String> {
    let page = page(edge, !push);
    let origin = page.url.trim_end_matches('/').to_owned();
    let b = Browser::start()?;
    b.goto(&page.url)?;
    until(&b, "the widget", &format!("!!document.querySelector('ringproof-verify').shadowRoot && !!{SHADOW}.querySelector('[data-testid=submit]')"))?;
    let mut moments = Moments(crate::bench::now_millis() | 1);
    let mut out = Latencies {
        webhook: Vec::new(),
        sandbox: Vec::new(),
    };
    let salt = crate::bench::now_millis() % 1000;
    for run in 0..2 * RUNS {
        let by_webhook = run % 2 == 0;
        let phone = format!("+447400{:03}{:03}", salt, run + if push { 0 } else { 500 });
        let (id, called) = start(&b, &phone, push)?;
        std::thread::sleep(Duration::from_millis(moments.next_ms(1000)));
        let told = js(&b, "probe.verified.length")?.as_u64().unwrap_or(0);
        let sent_at = crate::bench::now_millis() as f64;
        let r = if by_webhook {
            edge.call(&phone, &called)?
        } else {
            http::post_json(
                &format!("{}/v1/sandbox/missed-call", edge.base_url),
                &json!({"verification_id": id}),
                &[("Origin", origin.as_str())],
            )?
        };
        let outcome = if by_webhook {
            r.call_outcome().to_owned()
        } else {
            r.json()["outcome"].as_str().unwrap_or_default().to_owned()
        };
        if outcome != "verified" {
            return Err(format!("the call was not matched: {} {}", r.status, r.body));
        }
        until(
            &b,
            "ringproof-verified",
            &format!("probe.verified.length > {told}"),
        )?;
        let at = js(&b, "probe.verified[probe.verified.length - 1].at")?
            .as_f64()
            .ok_or("no event time")?;
        let ms = (at - sent_at).max(0.0);
        if by_webhook {
            out.webhook.push(ms);
        } else {
            out.sandbox.push(ms);
        }
    }
    out.webhook.sort_by(f64::total_cmp);
    out.sandbox.sort_by(f64::total_cmp);
    Ok(out)
}

/// What a widget waiting for a call asks of the edge in a minute, with sockets and without.
pub fn idle(edge: &LocalEdge) -> Result<(Idle, Idle), String> {
    let mut open = Vec::new();
    for (n, push) in [(0, true), (1, false)] {
        let page = page(edge, !push);
        let b = Browser::start()?;
        b.goto(&page.url)?;
        until(&b, "the widget", &format!("!!document.querySelector('ringproof-verify').shadowRoot && !!{SHADOW}.querySelector('[data-testid=submit]')"))?;
        start(
            &b,
            &format!("+4474009{n}{:04}", crate::bench::now_millis() % 10_000),
            push,
        )?;
        let before = counts(&b)?;
        open.push((page, b, before));
    }
    std::thread::sleep(Duration::from_secs(IDLE_SECS));
    let mut figures = Vec::new();
    for (_page, b, before) in &open {
        let after = counts(b)?;
        figures.push(Idle {
            requests: after.0 - before.0,
            pings: after.1 - before.1,
        });
    }
    let poll = figures.pop().ok_or("no polling figure")?;
    let push = figures.pop().ok_or("no push figure")?;
    Ok((push, poll))
}

/// Requests (polls and sockets opened) and frames sent so far.
fn counts(b: &Browser) -> Result<(u64, u64), String> {
    let v = js(b, "[probe.polls + probe.sockets.length, probe.sent.length]")?;
    Ok((v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0)))
}

/// Starts [`SOCKETS`] verifications, then opens one socket to each (an object keeps at most
/// four), leaves them idle so the objects may hibernate, and checks they still answer; workerd's
/// memory at each step, so the objects' cost and the sockets' are told apart.
pub fn idle_sockets(edge: &LocalEdge, origin: &str) -> Result<Held, String> {
    let rss_before_kb = workerd_rss_kb();
    let salt = crate::bench::now_millis() % 100;
    // Four clients at once, a quarter of the verifications each.
    let started = in_parallel(4, |t| {
        let mut ids = Vec::new();
        for i in (t..SOCKETS).step_by(4) {
            let ip = format!("198.19.{}.{}", i / 250, i % 250 + 1);
            let asker = crate::proof::Asker {
                client_ip: Some(&ip),
                verification: None,
            };
            let proof =
                crate::proof::solved_by(&edge.base_url, &edge.sandbox.site_key, origin, asker);
            let r = http::post_json(
                &format!("{}/v1/verifications", edge.base_url),
                &json!({"site_key": edge.sandbox.site_key, "phone": format!("+4474008{salt:02}{i:03}"),
                        "channel": "missed_call", "proof": proof}),
                &[("Origin", origin), ("CF-Connecting-IP", ip.as_str())],
            )?;
            if r.status != 201 {
                return Err(format!("start {i} answered {}: {}", r.status, r.body));
            }
            ids.push(
                r.json()["verification_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        Ok(ids)
    })?;
    let rss_objects_kb = workerd_rss_kb();
    let ids: Vec<String> = started.into_iter().flatten().collect();
    let chunks: Vec<&[String]> = ids.chunks(ids.len().div_ceil(4).max(1)).collect();
    let mut error = None;
    let opened = in_parallel(chunks.len(), |t| {
        let mut sockets = Vec::new();
        for id in chunks[t] {
            let path = format!("/v1/verifications/{id}/live");
            match ws_client::connect(&edge.base_url, &path, Some(origin)) {
                Ok(Handshake::Open(mut s)) => {
                    s.frame()?;
                    sockets.push(s);
                }
                Ok(Handshake::Refused { status, body }) => {
                    return Err(format!("a socket was refused {status}: {body}"))
                }
                // Out of file descriptors, say: the figure is what was held.
                Err(e) => return Err(format!("after {} sockets: {e}", sockets.len())),
            }
        }
        Ok(sockets)
    });
    let mut sockets: Vec<ws_client::Socket> = match opened {
        Ok(s) => s.into_iter().flatten().collect(),
        Err(e) => {
            error = Some(e);
            Vec::new()
        }
    };
    let count = sockets.len();
    let rss_open_kb = workerd_rss_kb();
    // Long enough for workerd to evict idle objects: their sockets stay open.
    std::thread::sleep(Duration::from_secs(30));
    let rss_idle_kb = workerd_rss_kb();
    let mut answering = 0;
    for s in &mut sockets {
        s.wait_at_most(Duration::from_secs(5));
        if s.send_text("ping").is_ok() && s.frame() == Ok(Frame::Text("pong".into())) {
            answering += 1;
        }
    }
    Ok(Held {
        opened: count,
        answering,
        rss_before_kb,
        rss_objects_kb,
        rss_open_kb,
        rss_idle_kb,
        error,
    })
}

/// Runs `f(0..n)` on `n` threads; the first error, if any.
fn in_parallel<T: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T, String> + Sync,
) -> Result<Vec<T>, String> {
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = (0..n).map(|t| scope.spawn(move || f(t))).collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a client panicked".to_string())?)
            .collect()
    })
}

/// The resident memory of every workerd process (the local edge is the only one running).
fn workerd_rss_kb() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "workerd")
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter_map(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .sum()
}
