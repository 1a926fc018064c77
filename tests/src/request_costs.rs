//! What each request and each whole verification costs in Durable Object calls and
//! sequential rounds, read from a real local edge: a local edge answers every request with
//! `Ringproof-Object-Calls: calls=C, rounds=R, isolate=T` (`edge/src/tally.rs`). Requests are
//! made one at a time, so each figure is that request's own.

use crate::harness::{LocalEdge, SandboxSite};
use crate::http::{self, Reply};
use ringproof_api::{paths, Channel};
use serde_json::json;
use std::time::Duration;

/// One request's object calls and sequential rounds, and the isolate's total after it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calls {
    pub calls: u64,
    pub rounds: u64,
    pub isolate: u64,
}

impl Calls {
    /// Read from an answer of a local edge.
    pub fn of(reply: &Reply) -> Result<Calls, String> {
        let header = reply
            .header("Ringproof-Object-Calls")
            .ok_or_else(|| format!("no Ringproof-Object-Calls header on {}", reply.status))?;
        let mut out = Calls::default();
        for part in header.split(',') {
            let (name, value) = part.trim().split_once('=').ok_or("a malformed tally")?;
            let value: u64 = value.parse().map_err(|_| "a tally that is not a number")?;
            match name {
                "calls" => out.calls = value,
                "rounds" => out.rounds = value,
                "isolate" => out.isolate = value,
                _ => {}
            }
        }
        Ok(out)
    }
}

/// A whole verification on one channel, as the widget and the site's server make it: the
/// challenge, the start, one status read, then the code's check (whose answer gives the token)
/// or the call and the status read that gives it, and siteverify.
pub struct Whole {
    /// Requests to the Worker: the page's, the carrier's and the site server's.
    pub worker_requests: u64,
    /// Durable Object calls, counted by the isolate from before the challenge until all the
    /// work after the last answer is done.
    pub object_calls: u64,
    /// Each request's own figures, by name.
    pub steps: Vec<(&'static str, Calls)>,
}

impl Whole {
    pub fn billable(&self) -> u64 {
        self.worker_requests + self.object_calls
    }
}

struct Run<'a> {
    edge: &'a LocalEdge,
    origin: &'a str,
    steps: Vec<(&'static str, Calls)>,
    requests: u64,
}

impl Run<'_> {
    fn step(&mut self, name: &'static str, reply: Result<Reply, String>) -> Result<Reply, String> {
        let reply = reply?;
        if reply.status >= 400 {
            return Err(format!("{name} answered {}: {}", reply.status, reply.body));
        }
        self.steps.push((name, Calls::of(&reply)?));
        self.requests += 1;
        Ok(reply)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.edge.base_url)
    }
}

/// The isolate's total once the work begun after the last answer is done.
fn settled_total(edge: &LocalEdge) -> Result<u64, String> {
    std::thread::sleep(Duration::from_millis(1500));
    let r = http::get(&format!("{}{}", edge.base_url, paths::countries("")))?;
    let c = Calls::of(&r)?;
    Ok(c.isolate - c.calls)
}

/// Runs a whole verification on `channel` for `phone` on a site offering every channel.
pub fn whole(
    edge: &LocalEdge,
    creds: &SandboxSite,
    origin: &str,
    channel: Channel,
    phone: &str,
) -> Result<Whole, String> {
    let before = settled_total(edge)?;
    let mut run = Run {
        edge,
        origin,
        steps: Vec::new(),
        requests: 0,
    };
    let h = [("Origin", run.origin)];
    let challenge = run.step(
        "challenge",
        http::get_with(&run.url(&paths::challenge(&creds.site_key)), &h),
    )?;
    let c: ringproof_api::PowChallenge =
        serde_json::from_str(&challenge.body).map_err(|e| e.to_string())?;
    let proof = crate::proof::solve(&c).ok_or("the challenge could not be solved")?;
    let created = run.step(
        "start",
        http::post_json(
            &run.url(&paths::verifications()),
            &json!({"site_key": creds.site_key, "phone": phone, "channel": channel, "proof": proof}),
            &h,
        ),
    )?;
    let view = created.json();
    let id = view["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let status_url = run.url(&paths::verification(&id));
    run.step("status", http::get_with(&status_url, &h))?;
    let verified = if channel == Channel::MissedCall {
        let called = view["call_to_uri"]
            .as_str()
            .and_then(|u| u.strip_prefix("tel:"))
            .ok_or("no number to call")?
            .to_owned();
        run.step("carrier's call report", edge.call(phone, &called))?;
        run.step("status", http::get_with(&status_url, &h))?.json()
    } else {
        let code = edge
            .fakes
            .last_message(phone)
            .ok_or("the fake phone received nothing")?
            .code;
        // The check's answer carries the view, token and all: no status read follows.
        let checked = run.step(
            "check",
            http::post_json(
                &run.url(&paths::of_verification(&id, paths::CHECK)),
                &json!({"code": code}),
                &h,
            ),
        )?;
        checked.json()["view"].clone()
    };
    let token = verified["token"]
        .as_str()
        .ok_or_else(|| format!("not verified: {verified}"))?
        .to_owned();
    run.step(
        "siteverify",
        http::post_json(
            &run.url(&paths::siteverify()),
            &json!({"secret": creds.secret, "response": token}),
            &[],
        ),
    )?;
    let after = settled_total(edge)?;
    Ok(Whole {
        worker_requests: run.requests,
        object_calls: after - before,
        steps: run.steps,
    })
}

/// Prints each request's calls and rounds, and each channel's billable requests.
pub fn print(edge: &LocalEdge, origin: &str) -> Result<(), String> {
    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Bench costs", &[origin]);
    site.channels = vec![
        Channel::MissedCall,
        Channel::FlashCall,
        Channel::Sms,
        Channel::VoiceCall,
    ];
    edge.put_site(&site)?;
    println!(
        "\nDurable Object calls per request [sequential rounds], and billable requests per verification\n\
         (Worker requests + object calls, from the challenge to siteverify; goal: at most 10):"
    );
    let phones = [
        "+447400770001",
        "+447400770002",
        "+447400770003",
        "+447400770004",
    ];
    for (channel, phone) in site.channels.clone().into_iter().zip(phones) {
        let whole = whole(edge, &creds, origin, channel, phone)?;
        let steps: Vec<String> = whole
            .steps
            .iter()
            .map(|(name, c)| format!("{name} {} [{}]", c.calls, c.rounds))
            .collect();
        println!(
            "  {:<12} {:>3} billable ({} Worker + {} object calls): {}",
            format!("{channel:?}"),
            whole.billable(),
            whole.worker_requests,
            whole.object_calls,
            steps.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Calls;
    use crate::http::Reply;

    #[test]
    fn a_tally_is_read_from_its_header() {
        let reply = Reply {
            status: 201,
            headers: vec![(
                "ringproof-object-calls".into(),
                "calls=7, rounds=3, isolate=120".into(),
            )],
            body: String::new(),
        };
        let c = Calls::of(&reply).unwrap();
        assert_eq!((c.calls, c.rounds, c.isolate), (7, 3, 120));
        let bare = Reply {
            status: 200,
            headers: vec![],
            body: String::new(),
        };
        assert!(Calls::of(&bare).is_err());
    }
}
