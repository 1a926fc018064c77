//! `cargo xtask site ...`: the admin API from a terminal, against a local or deployed edge.

use ringproof_tests::http;
use serde_json::{json, Value};

pub const USAGE: &str = "usage: cargo xtask site <command> [options]

  create --title T --domain D [--domain D ...] [--callback URL] [--format json|onering_get]
         [--channel missed_call|flash_call|sms|voice_call ...] [--country GB ...]
  list
  show KEY
  rotate-secret KEY
  delete KEY

  --edge URL          the edge (default $RINGPROOF_EDGE, else http://127.0.0.1:8787)
  --admin-token T     default $RINGPROOF_ADMIN_TOKEN, else the local demo's token";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut opts = Options::parse(args)?;
    let edge = opts
        .take_one("--edge")
        .or_else(|| std::env::var("RINGPROOF_EDGE").ok())
        .unwrap_or_else(|| "http://127.0.0.1:8787".into());
    let token = opts
        .take_one("--admin-token")
        .or_else(|| std::env::var("RINGPROOF_ADMIN_TOKEN").ok())
        .or_else(local_demo_token)
        .ok_or("no admin token: pass --admin-token or set RINGPROOF_ADMIN_TOKEN")?;
    let base = format!("{}/v1/admin/sites", edge.trim_end_matches('/'));
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];
    let reply = match opts.positional.as_slice() {
        [cmd] if cmd == "create" => {
            let body = json!({
                "title": opts.take_one("--title").ok_or("create needs --title")?,
                "domains": opts.take_all("--domain"),
                "callback_url": opts.take_one("--callback"),
                "callback_format": opts.take_one("--format").unwrap_or_else(|| "json".into()),
                "channels": Some(opts.take_all("--channel")).filter(|c| !c.is_empty()),
                "allowed_countries": opts.take_all("--country"),
            });
            http::post_json(&base, &body, &headers)
        }
        [cmd] if cmd == "list" => http::get_with(&base, &headers),
        [cmd, key] if cmd == "show" => http::get_with(&format!("{base}/{key}"), &headers),
        [cmd, key] if cmd == "rotate-secret" => {
            http::post_json(&format!("{base}/{key}/rotate-secret"), &json!({}), &headers)
        }
        [cmd, key] if cmd == "delete" => http::delete_with(&format!("{base}/{key}"), &headers),
        _ => return Err(USAGE.into()),
    }
    .map_err(|e| format!("cannot reach the edge at {edge}: {e}"))?;
    opts.finish()?;
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body));
    if reply.status >= 400 {
        let e = &body["error"];
        return Err(format!("{} {}: {}", reply.status, e["code"], e["message"]));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&body).unwrap_or_default()
    );
    Ok(())
}

/// `cargo xtask dev` keeps its admin token beside the demo's state.
fn local_demo_token() -> Option<String> {
    let saved =
        std::fs::read_to_string(crate::cmd::root().join("edge/.wrangler/ringproof-dev.txt"))
            .ok()?;
    saved.lines().nth(4).map(str::to_owned)
}

struct Options {
    positional: Vec<String>,
    flags: Vec<(String, String)>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut positional = Vec::new();
        let mut flags = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a.starts_with("--") {
                let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
                flags.push((a.clone(), v.clone()));
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Options { positional, flags })
    }

    fn take_all(&mut self, name: &str) -> Vec<String> {
        let (hit, rest): (Vec<_>, Vec<_>) = self.flags.drain(..).partition(|(k, _)| k == name);
        self.flags = rest;
        hit.into_iter().map(|(_, v)| v).collect()
    }

    fn take_one(&mut self, name: &str) -> Option<String> {
        self.take_all(name).pop()
    }

    /// Any option left was not understood: say so rather than ignore it.
    fn finish(self) -> Result<(), String> {
        match self.flags.first() {
            Some((k, _)) => Err(format!("unknown option {k}\n\n{USAGE}")),
            None => Ok(()),
        }
    }
}
