//! What must never reach the edge's log: every secret, code and full phone number a run has
//! handled. The harness, the HTTP client and the fake providers add what they see; after the
//! scenarios the runner scans the whole wrangler log for all of it.

use std::collections::BTreeSet;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A credential: admin token, site secret, API key, provider key, token key, a token.
    Secret,
    /// A provider's webhook secret. Providers are given a URL, not a header, so it is the last
    /// segment of `/v1/providers/{provider}/{secret}` and wrangler's own request line prints
    /// it; anywhere else it is a leak.
    WebhookPath,
    /// A code sent to a phone.
    Code,
    /// A full phone number in E.164.
    Phone,
}

static WATCHED: Mutex<BTreeSet<(Kind, String)>> = Mutex::new(BTreeSet::new());

fn set() -> std::sync::MutexGuard<'static, BTreeSet<(Kind, String)>> {
    WATCHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Adds `value` to what the log must not hold. Values too short to tell from noise are
/// skipped: a secret of under 8 characters would not be one.
pub fn watch(kind: Kind, value: &str) {
    let value = value.trim();
    let long_enough = match kind {
        Kind::Code => value.len() >= 4 && value.bytes().all(|b| b.is_ascii_digit()),
        Kind::Phone => digits(value).len() >= 9,
        Kind::Secret | Kind::WebhookPath => value.len() >= 8,
    };
    if long_enough {
        let value = match kind {
            Kind::Phone => digits(value),
            _ => value.to_owned(),
        };
        set().insert((kind, value));
    }
}

/// Watches what a JSON body carries under the names secrets, codes and phones go by.
pub fn watch_json(body: &str) {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        walk(&v);
    }
}

fn walk(v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                if let Some(s) = v.as_str() {
                    watch_named(k, s);
                }
                walk(v);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(walk),
        _ => {}
    }
}

/// Watches a form body's or a URL query's fields (`a=1&b=2`).
pub fn watch_form(pairs: &str) {
    if let Ok(fields) = serde_urlencoded::from_str::<Vec<(String, String)>>(pairs) {
        for (k, v) in fields {
            watch_named(&k, &v);
        }
    }
}

fn watch_named(name: &str, value: &str) {
    match name {
        "secret" | "webhook_secret" | "api_key" | "turnstile_secret" | "token" | "response"
        | "admin_token" | "ApiKey" => watch(Kind::Secret, value),
        // `code` is also an error's stable code; only digits are a phone's.
        "code" => watch(Kind::Code, value),
        "phone" | "verified_phone" | "MobileNumber" => watch(Kind::Phone, value),
        _ => {}
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// How many values are watched, by kind.
pub fn counts() -> [(Kind, usize); 4] {
    let s = set();
    [Kind::Secret, Kind::WebhookPath, Kind::Code, Kind::Phone]
        .map(|k| (k, s.iter().filter(|(w, _)| *w == k).count()))
}

/// Every line of `log` holding a watched value, with the value masked and what it is.
pub fn leaks(log: &str) -> Vec<String> {
    let watched = set().clone();
    let mut found = Vec::new();
    for (n, line) in log.lines().enumerate() {
        // wrangler's request line: `[wrangler:info] POST /v1/... 200 OK (12ms)`.
        let unspaced_line = unspaced(line);
        let request_line = line.starts_with("[wrangler:info] ")
            && line.split(' ').nth(2).is_some_and(|p| p.starts_with('/'));
        for (kind, value) in &watched {
            let hit = match kind {
                Kind::Secret => line.contains(value.as_str()),
                Kind::WebhookPath => {
                    line.contains(value.as_str())
                        && !(request_line && webhook_path_only(line, value))
                }
                // Digits in a request line are timings, ports and ids' chance digits.
                Kind::Code => !request_line && contains_word(line, value),
                // However it is spaced or punctuated: `+44 7400 123456`, `(7400) 123-456`.
                Kind::Phone => contains_word(&unspaced_line, value),
            };
            if hit {
                let mut shown: String = watched
                    .iter()
                    .fold(line.to_owned(), |l, (_, v)| l.replace(v.as_str(), &mask(v)));
                // A spaced number survives the replacement: every digit goes instead.
                shown = shown
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect();
                found.push(format!("line {}: {kind:?} {}: {shown}", n + 1, mask(value)));
            }
        }
    }
    found
}

/// The secret stands only as the last segment of a provider webhook's path.
fn webhook_path_only(line: &str, secret: &str) -> bool {
    let path = line.split(' ').nth(2).unwrap_or_default();
    let mut segments = path.split('/');
    matches!(
        (segments.next(), segments.next(), segments.next(), segments.next(), segments.next(), segments.next()),
        (Some(""), Some("v1"), Some("providers"), Some(_), Some(s), None) if s == secret
    ) && line.matches(secret).count() == 1
}

/// `line` without the spaces and punctuation that group a phone number's digits.
fn unspaced(line: &str) -> String {
    line.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect()
}

/// `value` occurs with no letter or digit either side, so `1234` is not found in `(11234ms)`.
fn contains_word(line: &str, value: &str) -> bool {
    line.match_indices(value).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + value.len()..].chars().next();
        let apart = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric());
        apart(before) && apart(after)
    })
}

fn mask(value: &str) -> String {
    let head: String = value.chars().take(2).collect();
    format!("{head}…({} chars)", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_watches_and_only_that() {
        watch(Kind::Secret, "s3cr3t-value-xyz");
        watch(Kind::WebhookPath, "hookhookhook123");
        watch(Kind::Code, "482913");
        watch(Kind::Phone, "+44 7400 999888");
        let log = "\
[wrangler:info] POST /v1/providers/mcn/hookhookhook123 200 OK (12ms)
[wrangler:info] GET /v1/verifications/abc 200 OK (482913ms)
warning: site rp_x482913 refused
warning: the code is 482913 for +44 7400 999-888
debug: hookhookhook123 in a message
[wrangler:info] POST /v1/siteverify?x=s3cr3t-value-xyz 200 OK (1ms)";
        let found = leaks(log);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("line 4: Code"), "{found:#?}");
        assert!(found[1].starts_with("line 4: Phone"), "{found:#?}");
        assert!(found[2].starts_with("line 5: WebhookPath"), "{found:#?}");
        assert!(found[3].starts_with("line 6: Secret"), "{found:#?}");
        assert!(found
            .iter()
            .all(|f| !f.contains("482913") && !f.contains("s3cr3t") && !f.contains("999")));
    }

    #[test]
    fn json_names_its_secrets() {
        watch_json(
            r#"{"site": {"key": "rp_site_x"}, "secret": "rp_secret_abcdefgh", "error": {"code": "expired"}, "items": [{"phone": "+15550001111"}]}"#,
        );
        let s = set().clone();
        assert!(s.contains(&(Kind::Secret, "rp_secret_abcdefgh".into())));
        assert!(s.contains(&(Kind::Phone, "15550001111".into())));
        assert!(!s.iter().any(|(_, v)| v == "expired" || v == "rp_site_x"));
    }
}
