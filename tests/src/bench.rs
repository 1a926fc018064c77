//! Latency figures from a real local edge: the cold first request (which pays for loading the
//! phone-number metadata in a fresh isolate) against warm ones.

use crate::harness::LocalEdge;
use crate::http;
use serde_json::json;
use std::time::Instant;

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
    Ok(())
}
