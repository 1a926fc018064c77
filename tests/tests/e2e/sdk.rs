//! Issue 4: what a site owner's server runs. The Rust SDK, and the README's curl, Node and
//! Python snippets, taken from the README as they stand, against the running edge and the
//! callbacks it really sent.

use crate::e2e::callbacks::{site_calling_back, verify_by_call, verify_by_call_as, wait_for_state};
use crate::{visitor_e164, Ctx, Scenario};
use ringproof_api::{CallbackFormat, CallbackState, CallbackType, Channel};
use ringproof_sdk::callback::{self, WebhookHeaders};
use ringproof_sdk::Client;
use ringproof_tests::callback_receiver::Received;
use ringproof_tests::harness::SandboxSite;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    rust_sdk_checks_tokens_callbacks_and_transactions,
    readme_snippets_work_against_the_edge,
];

const WAIT: Duration = Duration::from_secs(30);

/// A verified missed call on `site`: its id, ClientTransactionId and widget token.
fn verified(ctx: &Ctx, site: &SandboxSite) -> (String, String, String) {
    let (id, ctid) = verify_by_call(ctx, site);
    let token = ctx.status(&id)["token"].as_str().unwrap().to_owned();
    (id, ctid, token)
}

fn headers_of(r: &Received) -> Vec<(&str, &str)> {
    r.headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn rust_sdk_checks_tokens_callbacks_and_transactions(ctx: &Ctx) {
    let site = site_calling_back(
        ctx,
        &[Channel::MissedCall],
        "/sdk/json",
        CallbackFormat::Json,
    );
    let (id, ctid, token) = verified(ctx, &site);
    let client = Client::new(&ctx.edge.base_url, &site.secret);

    let answer = client.siteverify(&token).unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.phone.as_deref(), Some(visitor_e164()));
    assert_eq!(answer.client_transaction_id.as_deref(), Some(ctid.as_str()));
    let again = client.siteverify(&token).unwrap();
    assert_eq!(again.error_codes, ["timeout-or-duplicate"]);

    let t = client.transaction(&ctid).unwrap();
    assert_eq!(t.verification_id, id);
    // Ids are the site's own strings: spaces and slashes survive the path.
    let odd = format!("order 42/{}", crate::unique_ctid());
    let r = ctx.create(
        json!({"site_key": site.site_key, "phone": crate::visitor_phone(), "channel": "missed_call",
               "client_transaction_signature": crate::signed(&site.secret, &odd),
               "client_transaction_id": odd}),
        Some(crate::ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        client.transaction(&odd).unwrap().verification_id,
        r.json()["verification_id"].as_str().unwrap()
    );
    let wrong = Client::new(&ctx.edge.base_url, "rp_secret_wrong");
    let e = wrong.transaction(&ctid).unwrap_err();
    assert_eq!(e.code(), "unauthorized", "{e}");

    let got = ctx.receiver.wait_for("/sdk/json", 1, WAIT);
    let r = got.first().expect("the callback arrived");
    let event = callback::verify_json(
        &site.secret,
        WebhookHeaders::from_pairs(headers_of(r)),
        &r.body,
    )
    .unwrap();
    assert_eq!(event.kind, CallbackType::Verified);
    assert_eq!(event.data.verification_id, id);
    let e = callback::verify_json(
        &ctx.edge.sandbox.secret,
        WebhookHeaders::from_pairs(headers_of(r)),
        &r.body,
    )
    .unwrap_err();
    assert_eq!(e.code(), "signature_mismatch");

    // The receiver has answered; the edge records the attempt just after.
    wait_for_state(ctx, &id, &site.secret, "delivered");
    let log = client.callbacks(&id).unwrap();
    assert_eq!(log.deliveries.len(), 1);
    assert_eq!(log.deliveries[0].state, CallbackState::Delivered);

    // OneRing's GET, through the SDK.
    let onering = site_calling_back(
        ctx,
        &[Channel::MissedCall],
        "/sdk/onering",
        CallbackFormat::OneringGet,
    );
    let (id, ctid, _) = verified(ctx, &onering);
    let got = ctx.receiver.wait_for("/sdk/onering", 1, WAIT);
    let notice = callback::verify_onering(&onering.secret, &got[0].raw_query).unwrap();
    assert_eq!(notice.fields.activity_token_id, id);
    assert_eq!(notice.fields.client_transaction_id, ctid);
    assert_eq!(notice.fields.verified_mobile_number, &visitor_e164()[1..]);
    assert_eq!(notice.event_id, format!("evt_{id}"));
}

/// The fenced block after `<!-- snippet: name -->` in the README.
fn snippet(name: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let marker = format!("<!-- snippet: {name} -->");
    let after = &readme[readme
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker}"))..];
    let mut lines = after
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("```"));
    let open = lines.next().expect("a fenced block");
    let indent = open.len() - open.trim_start().len();
    lines
        .take_while(|l| !l.trim_start().starts_with("```"))
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `program` with `script` as a file, `stdin`, and the README's variables.
fn run(program: &str, ext: &str, script: &str, stdin: &str, vars: &[(&str, &str)]) -> String {
    let path = std::env::temp_dir().join(format!(
        "ringproof-snippet-{}-{}.{ext}",
        std::process::id(),
        crate::unique_ctid()
    ));
    std::fs::write(&path, script).unwrap();
    let mut child = Command::new(program)
        .arg(&path)
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_line(out: &str) -> Value {
    serde_json::from_str(out.lines().find(|l| l.starts_with('{')).unwrap_or(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

const NODE_DRIVER: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const at = input.now ?? undefined; // null: the snippet's own clock
(async () => {
  const out = {};
  if (input.token) out.siteverify = await siteverify(input.edge, input.secret, input.token);
  for (const [name, check] of [
    ['json', () => verifyJsonCallback(input.secret, input.headers, input.body, at)],
    ['onering', () => verifyOneRingCallback(input.onering_secret, input.query, at)],
  ]) {
    try { out[name] = check(); } catch (e) { out[name] = { error: e.message }; }
  }
  console.log(JSON.stringify(out));
})();
"#;

const PYTHON_DRIVER: &str = r#"
import sys
inp = json.load(sys.stdin)
out = {"siteverify": siteverify(inp["edge"], inp["secret"], inp["token"])}
try:
    out["json"] = on_callback(inp["body"].encode(), inp["headers"])
except Exception as e:
    out["json"] = {"error": type(e).__name__ + ": " + str(e)}
print(json.dumps(out))
"#;

fn readme_snippets_work_against_the_edge(ctx: &Ctx) {
    let site = site_calling_back(
        ctx,
        &[Channel::MissedCall],
        "/readme/json",
        CallbackFormat::Json,
    );
    let edge = ctx.edge.base_url.as_str();
    let vars = |token: &str, id: &str, ctid: &str| -> Vec<(String, String)> {
        [
            ("RINGPROOF_EDGE", edge),
            ("RINGPROOF_SECRET", site.secret.as_str()),
            ("TOKEN", token),
            ("VERIFICATION_ID", id),
            ("CTID", ctid),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let sh = |name: &str, vars: &[(String, String)]| -> Value {
        let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        json_line(&run("bash", "sh", &snippet(name), "", &v))
    };

    // curl
    let (id, ctid, token) = verified(ctx, &site);
    let v = vars(&token, &id, &ctid);
    let answer = sh("siteverify-curl", &v);
    assert_eq!(answer["success"], true, "{answer}");
    assert_eq!(answer["phone"], visitor_e164());
    assert_eq!(
        sh("siteverify-curl", &v)["error_codes"][0],
        "timeout-or-duplicate"
    );
    assert_eq!(sh("transaction-curl", &v)["status"], "verified");
    ctx.receiver.wait_for("/readme/json", 1, WAIT);
    wait_for_state(ctx, &id, &site.secret, "delivered");
    let log = sh("callbacks-curl", &v);
    assert_eq!(log["deliveries"][0]["state"], "delivered", "{log}");

    let json_callbacks = ctx.receiver.received("/readme/json");
    let cb = &json_callbacks[0];
    let headers: serde_json::Map<String, Value> = cb
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), Value::from(v.as_str())))
        .collect();

    // A OneRing GET callback to check too.
    let onering = site_calling_back(
        ctx,
        &[Channel::MissedCall],
        "/readme/onering",
        CallbackFormat::OneringGet,
    );
    // Characters JavaScript's encodeURIComponent leaves alone but RFC 3986 escapes: the
    // snippet must escape them as our canonical query does, or the signature will not match.
    let odd_ctid = format!("order 42/!*'()~ {}", crate::unique_ctid());
    let (onering_id, _) = verify_by_call_as(ctx, &onering, odd_ctid.clone());
    let query = ctx.receiver.wait_for("/readme/onering", 1, WAIT)[0]
        .raw_query
        .clone();

    // Node: plain HMAC, no library.
    let node = format!("{}\n{NODE_DRIVER}", snippet("node"));
    let (_, _, token) = verified(ctx, &site);
    // The JSON callback is checked with `secret`, the OneRing one with `onering_secret`.
    let input = |secret: &str, body: &str, query: &str, token: &str, now: Option<u64>| {
        json!({"edge": edge, "secret": secret, "onering_secret": onering.secret, "token": token,
               "headers": headers, "body": body, "query": query, "now": now})
        .to_string()
    };
    let out = json_line(&run(
        "node",
        "js",
        &node,
        &input(&site.secret, &cb.body, "", &token, None),
        &[],
    ));
    assert_eq!(out["siteverify"]["success"], true, "{out}");
    assert_eq!(out["json"]["type"], "verification.verified", "{out}");
    let out = json_line(&run(
        "node",
        "js",
        &node,
        &input(&onering.secret, "", &query, "", None),
        &[],
    ));
    assert_eq!(
        out["onering"]["ActivityTokenId"],
        onering_id.as_str(),
        "{out}"
    );
    assert_eq!(out["onering"]["MobileStatus"], "verified", "{out}");
    assert_eq!(
        out["onering"]["ClientTransactionId"],
        odd_ctid.as_str(),
        "{out}"
    );
    // Tampered, signed with another secret, or replayed later: refused.
    let tampered = cb.body.replace(visitor_e164(), "+447400999999");
    let forged_query = query.replace("MobileStatus=verified", "MobileStatus=failed");
    let out = json_line(&run(
        "node",
        "js",
        &node,
        &input(&site.secret, &tampered, &forged_query, "", None),
        &[],
    ));
    assert_eq!(out["json"]["error"], "bad signature", "{out}");
    assert_eq!(out["onering"]["error"], "bad signature", "{out}");
    let later = Some(crate::now_secs() + 400);
    let out = json_line(&run(
        "node",
        "js",
        &node,
        &input(&site.secret, &cb.body, &query, "", later),
        &[],
    ));
    for kind in ["json", "onering"] {
        assert!(
            out[kind]["error"].as_str().unwrap().starts_with("stale"),
            "{kind}: {out}"
        );
    }

    // Python: Standard Webhooks' own library.
    let python = std::env::var("RINGPROOF_PYTHON").expect("RINGPROOF_PYTHON (cargo xtask test)");
    let script = format!("{}\n{PYTHON_DRIVER}", snippet("python"));
    let (_, _, token) = verified(ctx, &site);
    let webhook_secret = site.webhook_secret();
    let py_vars = [("RINGPROOF_WEBHOOK_SECRET", webhook_secret.as_str())];
    let out = json_line(&run(
        &python,
        "py",
        &script,
        &input(&site.secret, &cb.body, "", &token, None),
        &py_vars,
    ));
    assert_eq!(out["siteverify"]["success"], true, "{out}");
    assert_eq!(out["json"]["type"], "verification.verified", "{out}");
    assert_eq!(out["json"]["data"]["verification_id"], id.as_str(), "{out}");
    let out = json_line(&run(
        &python,
        "py",
        &script,
        &input(&site.secret, &tampered, "", &token, None),
        &py_vars,
    ));
    assert!(
        out["json"]["error"]
            .as_str()
            .unwrap()
            .starts_with("WebhookVerificationError"),
        "{out}"
    );
}
