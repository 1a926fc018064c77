//! Latency figures from a real local edge: a fresh isolate's first requests (the first pays
//! for the Worker's wasm, the first start for the phone-number metadata and the objects' first
//! calls) against warm ones.

use crate::callback_receiver::CallbackReceiver;
use crate::harness::{LocalEdge, SandboxSite};
use crate::http;
use ringproof_api::{paths, Channel};
use serde_json::json;
use std::time::{Duration, Instant};

pub fn latency(env: &[(String, String)]) -> Result<(), String> {
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    let edge = LocalEdge::start_for_tests()?;
    let origin = "http://localhost:3000";
    let mut n = 0u32;
    let mut create = || {
        // A number and a client each, as visitors are: one client holds two of a caller's
        // lines at most. The proof of work is solved before the clock starts.
        n += 1;
        let ip = format!("198.18.0.{n}");
        let asker = crate::proof::Asker {
            client_ip: Some(&ip),
            verification: None,
        };
        let proof = crate::proof::solved_by(&edge.base_url, &edge.sandbox.site_key, origin, asker)
            .ok_or("no proof-of-work challenge")?;
        let t = Instant::now();
        let r = http::post_json(
            &format!("{}{}", edge.base_url, paths::verifications()),
            &json!({"site_key": edge.sandbox.site_key, "phone": format!("+44 7400 1230{n:02}"),
                    "channel": "missed_call", "proof": proof}),
            &[("Origin", origin), ("CF-Connecting-IP", ip.as_str())],
        )?;
        if r.status != 201 {
            return Err(format!("create answered {}: {}", r.status, r.body));
        }
        Ok::<_, String>((t.elapsed().as_secs_f64() * 1000.0, r.json()))
    };
    let fresh = fresh_isolates(&edge, origin)?;
    let mut warm = Vec::new();
    let mut last = None;
    for _ in 0..20 {
        let (ms, v) = create()?;
        warm.push(ms);
        last = Some(v);
    }
    warm.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let id = last.unwrap()["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut polls = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        http::get_with(
            &format!("{}{}", edge.base_url, paths::verification(&id)),
            &[("Origin", origin)],
        )?;
        polls.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    polls.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("\nLatency against wrangler dev (workerd, local KV + Durable Objects):");
    let each = |v: &[f64]| {
        let shown: Vec<String> = v.iter().map(|ms| format!("{ms:.1}")).collect();
        shown.join(", ")
    };
    let (mut firsts, mut starts): (Vec<f64>, Vec<f64>) = fresh.into_iter().unzip();
    let (first, start) = (median(&mut firsts), median(&mut starts));
    println!(
        "  first request in a fresh isolate (a challenge)    {first:>7.1} ms median of {FRESH_EDGES} fresh edges ({})",
        each(&firsts)
    );
    println!(
        "  POST /v1/verifications, first in a fresh isolate  {start:>7.1} ms median of {FRESH_EDGES} fresh edges ({})",
        each(&starts)
    );
    println!(
        "  POST /v1/verifications, warm (median of 20)       {:>7.1} ms",
        warm[10]
    );
    println!(
        "  GET  /v1/verifications/{{id}} (median of 20)       {:>7.1} ms",
        polls[10]
    );
    status_against_bare(&edge, origin, &id)?;
    crate::request_costs::print(&edge, origin)?;
    print_time_to_field(&edge)?;
    let (sms, checks) = sms_latency(&edge, origin)?;
    println!(
        "  POST /v1/verifications, SMS, warm (median of 10) {:>7.1} ms",
        sms[sms.len() / 2]
    );
    println!(
        "  POST /v1/verifications/{{id}}/check (median of 10) {:>7.1} ms",
        checks[checks.len() / 2]
    );
    let f = failover(&edge, origin)?;
    println!(
        "  SMS start while its first provider hangs / answers 500 / is skipped (India, TeleSign -> Twilio)"
    );
    println!(
        "    {:>7.0} ms / {:.0} ms / {:.0} ms (healthy {:.0} ms); sends lost {} of {}",
        f.hanging, f.failing, f.skipped, f.healthy, f.lost, f.sends
    );
    let mut callbacks = callback_latency(&edge, origin)?;
    let proxied = load(&edge, (&edge.base_url, 0), origin, LOAD_CLIENTS, LOAD_SECS)?;
    let direct = edge.direct_base_url()?;
    let straight = load(&edge, (&direct, 1), origin, LOAD_CLIENTS, LOAD_SECS)?;
    callbacks.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "  missed call reported -> site's callback received  {:>7.1} ms median, {:.1} ms max (of {})",
        callbacks[callbacks.len() / 2],
        callbacks[callbacks.len() - 1],
        callbacks.len()
    );
    print_load(
        "through wrangler dev's proxy, as the tests reach the edge",
        &proxied,
    );
    print_load(
        "straight at workerd's own socket (no development proxy, as in production)",
        &straight,
    );
    push_against_polling(&edge, origin)
}

/// A status read's throughput against a bare JavaScript Worker reading one Durable Object,
/// both on this machine in this run (goal: at least 0.9 of it at every concurrency).
fn status_against_bare(edge: &LocalEdge, origin: &str, id: &str) -> Result<(), String> {
    use crate::bare_worker::{throughput, BareWorker};
    let bare = BareWorker::plain()?;
    let shaped = BareWorker::serving_assets()?;
    let status = format!("{}{}", edge.base_url, paths::verification(id));
    // The same path on each: the assets layer looks for a file there before the Worker runs.
    let baseline = |b: &BareWorker| format!("{}{}", b.base_url, paths::verification(id));
    println!(
        "  status reads a second, 5 s each (connections: edge / bare worker = ratio; the bare worker with assets as the edge has them = ratio)"
    );
    let mut figures = Vec::new();
    for connections in [1, 4, 16] {
        let ours = throughput(&status, &[("Origin", origin)], connections, 5.0)?;
        let theirs = throughput(&baseline(&bare), &[], connections, 5.0)?;
        let alike = throughput(&baseline(&shaped), &[], connections, 5.0)?;
        figures.push(format!(
            "{connections}: {ours:.0} / {theirs:.0} = {:.2}x; / {alike:.0} = {:.2}x",
            ours / theirs,
            ours / alike
        ));
    }
    for f in figures {
        println!("    {f}");
    }
    Ok(())
}

/// Fresh edges measured for the cold figures: each a new workerd, so a new isolate.
const FRESH_EDGES: usize = 3;

/// `edge`'s first two requests, then those of as many more fresh edges (see
/// [`first_requests`]), in ms.
fn fresh_isolates(edge: &LocalEdge, origin: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut figures = vec![first_requests(edge, origin)?];
    for _ in 1..FRESH_EDGES {
        let fresh = LocalEdge::start_for_tests()?;
        figures.push(first_requests(&fresh, origin)?);
    }
    Ok(figures)
}

/// The first request a fresh isolate serves (a challenge: the Worker's wasm is compiled and
/// instantiated for it), then its first start (the number's metadata read, the objects' first
/// calls): nothing may have reached `edge`'s Worker before.
fn first_requests(edge: &LocalEdge, origin: &str) -> Result<(f64, f64), String> {
    let ip = "198.18.1.1";
    let asker = crate::proof::Asker {
        client_ip: Some(ip),
        verification: None,
    };
    let t = Instant::now();
    let challenge = crate::proof::challenge(&edge.base_url, &edge.sandbox.site_key, origin, asker)
        .ok_or("no proof-of-work challenge")?;
    let first = t.elapsed().as_secs_f64() * 1000.0;
    let proof = crate::proof::solve(&challenge).ok_or("an unsolvable challenge")?;
    let t = Instant::now();
    let r = http::post_json(
        &format!("{}{}", edge.base_url, paths::verifications()),
        &json!({"site_key": edge.sandbox.site_key, "phone": "+44 7400 123199",
                "channel": "missed_call", "proof": proof}),
        &[("Origin", origin), ("CF-Connecting-IP", ip)],
    )?;
    if r.status != 201 {
        return Err(format!(
            "a fresh edge's start answered {}: {}",
            r.status, r.body
        ));
    }
    Ok((first, t.elapsed().as_secs_f64() * 1000.0))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

/// The widget following its verification over a WebSocket, beside its polling fallback.
fn push_against_polling(edge: &LocalEdge, origin: &str) -> Result<(), String> {
    use crate::push_bench::{self, RUNS, SOCKETS};
    let push = push_bench::latencies(edge, true)?;
    let poll = push_bench::latencies(edge, false)?;
    let (idle_push, idle_poll) = push_bench::idle(edge)?;
    let held = push_bench::idle_sockets(edge, origin)?;
    let fig = |v: &[f64]| {
        let at = |p: f64| v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1];
        format!("{:>5.0} {:>5.0} {:>5.0}", at(0.50), at(0.95), at(1.0))
    };
    println!(
        "\nStatus pushed over the verification's WebSocket, and polled every second when sockets are blocked"
    );
    println!(
        "(headless Chromium, {RUNS} runs each, the call reported at a random moment; ms p50 / p95 / max):"
    );
    println!("                                              push               polling");
    println!(
        "  provider's webhook -> ringproof-verified  {}    {}",
        fig(&push.webhook),
        fig(&poll.webhook)
    );
    println!(
        "  sandbox call -> ringproof-verified        {}    {}",
        fig(&push.sandbox),
        fig(&poll.sandbox)
    );
    println!(
        "  an idle widget's edge requests per minute {:>5} ({} pings)     {:>5}",
        idle_push.requests, idle_push.pings, idle_poll.requests
    );
    println!(
        "Idle sockets, one per verification: {} of {SOCKETS} opened, {} still answering a ping after 30 s idle",
        held.opened, held.answering
    );
    let mb = |kb: u64| kb as f64 / 1024.0;
    let each = |from: u64, to: u64| to.saturating_sub(from) as f64 / held.opened.max(1) as f64;
    println!(
        "  workerd resident memory: {:.0} MB before; {:.0} MB with the {SOCKETS} verifications started ({:.0} KB each);",
        mb(held.rss_before_kb),
        mb(held.rss_objects_kb),
        each(held.rss_before_kb, held.rss_objects_kb)
    );
    println!(
        "  {:.0} MB with their sockets open ({:.1} KB a socket); {:.0} MB after 30 s idle",
        mb(held.rss_open_kb),
        each(held.rss_objects_kb, held.rss_open_kb),
        mb(held.rss_idle_kb)
    );
    if let Some(e) = held.error {
        println!("  stopped early: {e}");
    }
    Ok(())
}

/// `cargo xtask bench widget`: how soon a page's visitor can type their number.
pub fn widget(env: &[(String, String)]) -> Result<(), String> {
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    let edge = LocalEdge::start_for_tests()?;
    println!("\nThe widget in headless Chromium, against wrangler dev:");
    print_time_to_field(&edge)
}

fn print_time_to_field(edge: &LocalEdge) -> Result<(), String> {
    let [plain, throttled] = time_to_field(edge)?;
    let at = |v: &[f64], q: usize| v[(v.len() * q / 100).min(v.len() - 1)];
    println!("  script tag -> (ms, median and max of {RUNS} fresh browsers)   no throttling    4x CPU throttling");
    for (what, pick) in [
        ("a phone field the visitor can type in", Figure::Field),
        ("the site's countries in its picker", Figure::Countries),
    ] {
        let (p, t) = (pick.of(&plain), pick.of(&throttled));
        println!(
            "    {what:<44} {:>7.0} {:>7.0}    {:>7.0} {:>7.0}",
            at(&p, 50),
            at(&p, 100),
            at(&t, 50),
            at(&t, 100)
        );
    }
    Ok(())
}

/// Page loads per figure of [`time_to_field`].
const RUNS: usize = 7;

#[derive(Clone, Copy)]
enum Figure {
    Field,
    Countries,
}

impl Figure {
    /// This figure of each load, sorted.
    fn of(self, loads: &[(f64, f64)]) -> Vec<f64> {
        let mut v: Vec<f64> = loads
            .iter()
            .map(|l| match self {
                Figure::Field => l.0,
                Figure::Countries => l.1,
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }
}

/// From the loader's request (the script tag) to a phone field in the page that takes typing,
/// and to the site's countries in its picker, each in a fresh browser (nothing cached),
/// without and with Chromium's 4x CPU throttling (a mid-range phone): milliseconds per load.
fn time_to_field(edge: &LocalEdge) -> Result<[Vec<(f64, f64)>; 2], String> {
    let html = format!(
        r#"<!doctype html><html lang="en"><body><form><ringproof-verify site-key="{key}"></ringproof-verify></form>
<script>
  (function check() {{
    var el = document.querySelector('ringproof-verify'), r = el && el.shadowRoot;
    var loader = performance.getEntriesByType('resource').find(function (e) {{ return e.name.indexOf('/v1/widget.js') >= 0; }});
    var since = performance.now() - (loader ? loader.startTime : 0);
    var phone = r && r.querySelector('[data-testid=phone]');
    if (phone && !phone.disabled && phone.offsetParent && window.fieldAfter === undefined) window.fieldAfter = since;
    var select = r && r.querySelector('[data-testid=country]');
    if (window.fieldAfter !== undefined && select && select.options.length) window.usableAfter = since;
    else requestAnimationFrame(check);
  }})();
</script>
<script src="{edge}/v1/widget.js" async></script></body></html>"#,
        key = edge.sandbox.site_key,
        edge = edge.base_url
    );
    let page = crate::host_page::HostPage::serve(html);
    let mut figures = [Vec::new(), Vec::new()];
    for (i, throttle) in [false, true].into_iter().enumerate() {
        for _ in 0..RUNS {
            let b = crate::browser::Browser::start()?;
            if throttle {
                b.cdp("Emulation.setCPUThrottlingRate", json!({"rate": 4}))?;
            }
            b.goto(&page.url)?;
            let load = b.wait_for("a usable phone field", || {
                let v = b.execute("return [window.fieldAfter, window.usableAfter]", vec![])?;
                match (v[0].as_f64(), v[1].as_f64()) {
                    (Some(field), Some(countries)) => Ok((field, countries)),
                    _ => Err("not yet".to_string()),
                }
            })?;
            figures[i].push(load);
        }
    }
    Ok(figures)
}

const LOAD_CLIENTS: usize = 200;
const LOAD_SECS: u64 = 60;

struct Load {
    latencies: Vec<f64>,
    errors: usize,
    /// Requests wrangler dev's own proxy answered 503 because its connection to workerd broke
    /// (its keep-alive race, cloudflare/workers-sdk#14641): no answer of the edge's.
    dropped: usize,
    refusals: usize,
    /// 4xx answers by their stable code.
    codes: std::collections::BTreeMap<String, usize>,
    /// Server errors by status and code, and broken connections by what broke.
    failures: std::collections::BTreeMap<String, usize>,
}

impl Load {
    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len() - 1);
        self.latencies[i]
    }
}

/// What wrangler dev's proxy answers when its connection to workerd breaks under a request
/// that is not a GET (its GETs it sends again itself).
const PROXY_DROPPED: &str = "Your worker restarted mid-request.";

/// `clients` threads, each its own client address, looping for `secs`: start a missed call
/// for a random number, poll it three times; every fourth round an SMS (solving the proof of
/// work) and a wrong code.
/// Prints one load run's figures.
fn print_load(how: &str, load: &Load) {
    println!(
        "\nLoad: {LOAD_CLIENTS} concurrent clients for {LOAD_SECS} s (starts, polls, SMS with proof of work, wrong checks), {how}:"
    );
    println!(
        "  {} requests, {:.0} per second; 5xx from the edge or broken connections: {}; 4xx (limits, wrong codes): {}",
        load.latencies.len(),
        load.latencies.len() as f64 / LOAD_SECS as f64,
        load.errors,
        load.refusals
    );
    println!(
        "  lost between wrangler dev's proxy and workerd (503 from the proxy itself, workers-sdk#14641): {}",
        load.dropped
    );
    let codes: Vec<String> = load.codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("  4xx by code: {}", codes.join(", "));
    for (what, n) in &load.failures {
        println!("  failed {n}: {what}");
    }
    println!(
        "  latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        load.percentile(0.50),
        load.percentile(0.99),
        load.percentile(1.0)
    );
}

/// A load run from `clients` threads against `base`; `run` (0 or 1) gives each run clients
/// and numbers of its own, so the second meets none of the first's limits.
fn load(
    edge: &LocalEdge,
    (base, run): (&str, u64),
    origin: &str,
    clients: usize,
    secs: u64,
) -> Result<Load, String> {
    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Load", &[origin]);
    site.channels = vec![Channel::MissedCall, Channel::Sms];
    edge.put_site(&site)?;
    let base = base.to_owned();
    let key = creds.site_key.clone();
    let until = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (base, key, origin) = (base.clone(), key.clone(), origin.to_owned());
            std::thread::spawn(move || {
                let ip = format!("198.{}.{}.{}", 18 + run, c / 250, c % 250 + 1);
                let mut out = Load {
                    latencies: Vec::new(),
                    errors: 0,
                    dropped: 0,
                    refusals: 0,
                    codes: Default::default(),
                    failures: Default::default(),
                };
                let mut round = 0u64;
                while Instant::now() < until {
                    round += 1;
                    let phone = format!(
                        "+44740{}{:06}",
                        run,
                        (c as u64 * 7919 + round * 104_729) % 1_000_000
                    );
                    let sms = round.is_multiple_of(4);
                    // Every start pays a proof of work, fetched from the client's own address.
                    let asker = crate::proof::Asker {
                        client_ip: Some(&ip),
                        verification: None,
                    };
                    let proof = crate::proof::solved_by(&base, &key, &origin, asker);
                    let body = json!({"site_key": key, "phone": phone,
                                      "channel": if sms { "sms" } else { "missed_call" }, "proof": proof});
                    let h = [("Origin", origin.as_str()), ("CF-Connecting-IP", ip.as_str())];
                    let mut timed = |r: Result<http::Reply, String>, t: Instant| {
                        out.latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        match r {
                            Ok(r) if r.status < 400 => Some(r),
                            Ok(r) if r.status < 500 => {
                                out.refusals += 1;
                                *out.codes.entry(r.error_code()).or_default() += 1;
                                None
                            }
                            Ok(r) if r.status == 503 && r.body.starts_with(PROXY_DROPPED) => {
                                out.dropped += 1;
                                None
                            }
                            Ok(r) => {
                                out.errors += 1;
                                // Not every failure is the edge's JSON: wrangler's proxy
                                // answers its own text when workerd drops a request.
                                let code = serde_json::from_str::<serde_json::Value>(&r.body)
                                    .ok()
                                    .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
                                let body: String = r.body.chars().take(60).collect();
                                let what = format!("{} {}", r.status, code.unwrap_or(body));
                                *out.failures.entry(what).or_default() += 1;
                                None
                            }
                            Err(e) => {
                                out.errors += 1;
                                let what: String = e.chars().take(80).collect();
                                *out.failures.entry(what).or_default() += 1;
                                None
                            }
                        }
                    };
                    let t = Instant::now();
                    let created = http::post_json(&format!("{base}{}", paths::verifications()), &body, &h);
                    let Some(created) = timed(created, t) else {
                        continue;
                    };
                    let id = created.json()["verification_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    for _ in 0..3 {
                        let t = Instant::now();
                        let r = http::get_with(&format!("{base}{}", paths::verification(&id)), &h);
                        timed(r, t);
                    }
                    if sms {
                        let t = Instant::now();
                        let r = http::post_json(
                            &format!("{base}{}", paths::of_verification(&id, paths::CHECK)),
                            &json!({"code": "000000"}),
                            &h,
                        );
                        timed(r, t);
                    }
                }
                out
            })
        })
        .collect();
    let mut all = Load {
        latencies: Vec::new(),
        errors: 0,
        dropped: 0,
        refusals: 0,
        codes: Default::default(),
        failures: Default::default(),
    };
    for t in threads {
        let part = t.join().map_err(|_| "a load client panicked")?;
        all.latencies.extend(part.latencies);
        all.errors += part.errors;
        all.dropped += part.dropped;
        all.refusals += part.refusals;
        for (code, n) in part.codes {
            *all.codes.entry(code).or_default() += n;
        }
        for (what, n) in part.failures {
            *all.failures.entry(what).or_default() += n;
        }
    }
    if all.latencies.is_empty() {
        return Err("the load run made no requests".into());
    }
    all.latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok(all)
}

/// Starting an SMS verification (the proof of work solved beforehand, so only the edge is
/// timed: the provider's send included) and checking a wrong code, sorted.
fn sms_latency(edge: &LocalEdge, origin: &str) -> Result<(Vec<f64>, Vec<f64>), String> {
    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Bench SMS", &[origin]);
    site.channels = vec![Channel::Sms];
    edge.put_site(&site)?;
    let (mut starts, mut checks) = (Vec::new(), Vec::new());
    for n in 0..10 {
        let proof = crate::proof::solved(&edge.base_url, &creds.site_key, origin)
            .ok_or("no proof-of-work challenge")?;
        let t = Instant::now();
        let r = http::post_json(
            &format!("{}{}", edge.base_url, paths::verifications()),
            &json!({"site_key": creds.site_key, "phone": format!("+44740090{n:04}"),
                    "channel": "sms", "proof": proof}),
            &[("Origin", origin)],
        )?;
        starts.push(t.elapsed().as_secs_f64() * 1000.0);
        if r.status != 201 {
            return Err(format!("SMS create answered {}: {}", r.status, r.body));
        }
        let id = r.json()["verification_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let t = Instant::now();
        let r = http::post_json(
            &format!(
                "{}{}",
                edge.base_url,
                paths::of_verification(&id, paths::CHECK)
            ),
            &json!({"code": "000000"}),
            &[("Origin", origin)],
        )?;
        checks.push(t.elapsed().as_secs_f64() * 1000.0);
        if r.status != 200 {
            return Err(format!("check answered {}: {}", r.status, r.body));
        }
    }
    starts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    checks.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok((starts, checks))
}

struct Failover {
    healthy: f64,
    hanging: f64,
    failing: f64,
    skipped: f64,
    lost: usize,
    sends: usize,
}

/// An SMS start on a route of two providers (India's in the test deployment) while the first
/// is healthy, hangs, answers 500, and has been skipped by its breaker: what each costs the
/// visitor, and how many sends did not go out.
fn failover(edge: &LocalEdge, origin: &str) -> Result<Failover, String> {
    use crate::fake_providers::{Mode, Provider};
    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Bench failover", &[origin]);
    site.channels = vec![Channel::Sms, Channel::VoiceCall];
    site.limits.paid_countries = Some(vec!["IN".into()]);
    edge.put_site(&site)?;
    let mut n = 0u32;
    let (mut lost, mut sends) = (0, 0);
    let mut start = || {
        n += 1;
        let proof = crate::proof::solved(&edge.base_url, &creds.site_key, origin)
            .ok_or("no proof-of-work challenge")?;
        let t = Instant::now();
        let r = http::post_json(
            &format!("{}{}", edge.base_url, paths::verifications()),
            &json!({"site_key": creds.site_key, "phone": format!("+9198767{n:05}"),
                    "channel": "sms", "proof": proof}),
            &[("Origin", origin)],
        )?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if r.status != 201 {
            return Err(format!("SMS create answered {}: {}", r.status, r.body));
        }
        sends += 1;
        if r.json()["delivery"] != "sent" {
            lost += 1;
        }
        Ok::<_, String>(ms)
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let healthy = median((0..5).map(|_| start()).collect::<Result<_, _>>()?);
    let hanging = {
        let _down = edge.fakes.in_mode(Provider::TeleSign, Mode::Hang);
        start()?
    };
    let _down = edge.fakes.in_mode(Provider::TeleSign, Mode::ServerError);
    let failing = median((0..2).map(|_| start()).collect::<Result<_, _>>()?);
    let skipped = median((0..5).map(|_| start()).collect::<Result<_, _>>()?);
    Ok(Failover {
        healthy,
        hanging,
        failing,
        skipped,
        lost,
        sends,
    })
}

/// From the provider's webhook to the signed JSON callback arriving at the site: the handover
/// to the callback object and its alarm.
fn callback_latency(edge: &LocalEdge, origin: &str) -> Result<Vec<f64>, String> {
    let receiver = CallbackReceiver::start().map_err(|e| e.to_string())?;
    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Bench", &[origin]);
    site.channels = vec![Channel::MissedCall];
    site.callback_url = Some(receiver.url("/bench"));
    edge.put_site(&site)?;
    let mut out = Vec::new();
    for n in 0..10 {
        // A number each: a verified number's line stays its own until the attempt's end.
        let phone = format!("+44740012350{n}");
        let proof = crate::proof::solved(&edge.base_url, &creds.site_key, origin)
            .ok_or("no proof-of-work challenge")?;
        let r = http::post_json(
            &format!("{}{}", edge.base_url, paths::verifications()),
            &json!({"site_key": creds.site_key, "phone": phone, "channel": "missed_call",
                    "proof": proof}),
            &[("Origin", origin)],
        )?;
        let called = r.json()["call_to_uri"]
            .as_str()
            .and_then(|u| u.strip_prefix("tel:"))
            .ok_or("no number to call")?
            .to_owned();
        let t = Instant::now();
        edge.call(&phone, &called)?;
        let got = receiver.wait_for("/bench", n + 1, Duration::from_secs(10));
        let last = got.get(n).ok_or("the callback did not arrive")?;
        out.push(last.at.duration_since(t).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

pub(crate) fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
