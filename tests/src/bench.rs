//! Latency figures from a real local edge: the cold first request (which pays for loading the
//! phone-number metadata in a fresh isolate) against warm ones.

use crate::callback_receiver::CallbackReceiver;
use crate::harness::{LocalEdge, SandboxSite};
use crate::http;
use ringproof_api::Channel;
use ringproof_core::Timestamp;
use serde_json::json;
use std::time::{Duration, Instant};

pub fn latency(env: &[(String, String)]) -> Result<(), String> {
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    let edge = LocalEdge::start_for_tests()?;
    let origin = "http://localhost:3000";
    let create = || {
        let t = Instant::now();
        let r = http::post_json(
            &format!("{}/v1/verifications", edge.base_url),
            &json!({"site_key": edge.sandbox.site_key, "phone": "+44 7400 123456", "channel": "missed_call"}),
            &[("Origin", origin)],
        )?;
        if r.status != 201 {
            return Err(format!("create answered {}: {}", r.status, r.body));
        }
        Ok::<_, String>((t.elapsed().as_secs_f64() * 1000.0, r.json()))
    };
    let (cold, _) = create()?;
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
            &format!("{}/v1/verifications/{id}", edge.base_url),
            &[("Origin", origin)],
        )?;
        polls.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    polls.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("\nLatency against wrangler dev (workerd, local KV + Durable Objects):");
    println!("  POST /v1/verifications, first in a fresh isolate  {cold:>7.1} ms");
    println!(
        "  POST /v1/verifications, warm (median of 20)       {:>7.1} ms",
        warm[10]
    );
    println!(
        "  GET  /v1/verifications/{{id}} (median of 20)       {:>7.1} ms",
        polls[10]
    );
    let mut callbacks = callback_latency(&edge, origin)?;
    callbacks.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "  missed call reported -> site's callback received  {:>7.1} ms median, {:.1} ms max (of {})",
        callbacks[callbacks.len() / 2],
        callbacks[callbacks.len() - 1],
        callbacks.len()
    );
    Ok(())
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
        let r = http::post_json(
            &format!("{}/v1/verifications", edge.base_url),
            &json!({"site_key": creds.site_key, "phone": "+44 7400 123456", "channel": "missed_call"}),
            &[("Origin", origin)],
        )?;
        let called = r.json()["call_to_uri"]
            .as_str()
            .and_then(|u| u.strip_prefix("tel:"))
            .ok_or("no number to call")?
            .to_owned();
        let t = Instant::now();
        http::post_json(
            &format!(
                "{}/v1/providers/missed-call/{}",
                edge.base_url, edge.secrets.provider_secret
            ),
            &json!({"caller": "447400123456", "called": called.trim_start_matches('+'),
                    "call_time": Timestamp(now_millis()).to_rfc3339()}),
            &[],
        )?;
        let got = receiver.wait_for("/bench", n + 1, Duration::from_secs(10));
        let last = got.get(n).ok_or("the callback did not arrive")?;
        out.push(last.at.duration_since(t).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
