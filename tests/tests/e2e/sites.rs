//! Issue 4: sites through the admin API and `cargo xtask site`.

use crate::e2e::callbacks::{deliveries, verify_by_call, wait_for_state};
use crate::{visitor_e164, visitor_phone, Ctx, Scenario, ORIGIN};
use ringproof_api::Channel;
use ringproof_core::signature;
use ringproof_tests::harness::SandboxSite;
use ringproof_tests::http::{self, Reply};
use serde_json::{json, Value};
use std::process::Command;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    admin_api_manages_sites_behind_its_token,
    xtask_site_cli_talks_to_the_admin_api,
    client_transaction_ids_are_unique_and_can_be_looked_up,
    onering_integration_works_by_changing_the_host,
    a_secret_opens_its_own_site_only_and_not_after_rotation,
];

pub fn admin(ctx: &Ctx, method: &str, path: &str, body: Option<Value>) -> Reply {
    let url = ctx.url(&format!("/v1/admin/sites{path}"));
    let auth = format!("Bearer {}", ctx.edge.secrets.admin_token);
    let h = [("Authorization", auth.as_str())];
    match (method, body) {
        ("GET", _) => http::get_with(&url, &h),
        ("DELETE", _) => http::delete_with(&url, &h),
        (m, b) => {
            let text = b.unwrap_or(json!({})).to_string();
            if m == "PATCH" {
                http::patch(&url, &text, &h)
            } else {
                http::post(&url, "application/json", &text, &h)
            }
        }
    }
    .unwrap()
}

fn admin_api_manages_sites_behind_its_token(ctx: &Ctx) {
    let body = json!({"title": "Shop", "domains": ["http://localhost:*"], "channels": ["missed_call", "sms"],
                      "allowed_countries": ["GB"], "callback_url": "https://shop.example/hooks"});
    for auth in [None, Some("Bearer wrong")] {
        let h: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let r = http::post_json(&ctx.url("/v1/admin/sites"), &body, &h).unwrap();
        assert_eq!((r.status, r.error_code()), (401, "unauthorized".into()));
    }
    let r = admin(ctx, "POST", "", Some(body));
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let key = created["site"]["site_key"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(created["api_key"].as_str().unwrap().starts_with("rp_api_"));
    assert!(created["site"]["activity_token_id"]
        .as_str()
        .unwrap()
        .starts_with("rp_act_"));

    // The new site works at once: its key starts verifications from its domains.
    let start = |phone: &str| {
        ctx.create(
            json!({"site_key": key, "phone": phone, "channel": "missed_call"}),
            Some(ORIGIN),
        )
    };
    let v = start(visitor_phone());
    assert_eq!(v.status, 201, "{}", v.body);
    let r = start("+33 6 12 34 56 78");
    assert_eq!(
        (r.status, r.error_code()),
        (400, "country_not_allowed".into())
    );

    let shown = admin(ctx, "GET", &format!("/{key}"), None);
    assert_eq!(shown.status, 200);
    assert!(!shown.body.contains("hash") && !shown.body.contains(&secret));
    assert_eq!(shown.json()["channels"], json!(["missed_call", "sms"]));
    let listed = admin(ctx, "GET", "", None).json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["site_key"] == key.as_str()));

    let r = admin(
        ctx,
        "PATCH",
        &format!("/{key}"),
        Some(json!({"title": "Shop 2", "channels": ["sms"]})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["title"], "Shop 2");
    let r = start(visitor_phone());
    assert_eq!(
        r.error_code(),
        "channel_not_available",
        "the change applies at once"
    );
    let r = admin(
        ctx,
        "PATCH",
        &format!("/{key}"),
        Some(json!({"domains": ["http://shop.example"]})),
    );
    assert_eq!((r.status, r.error_code()), (400, "invalid_request".into()));

    let rotated = admin(ctx, "POST", &format!("/{key}/rotate-secret"), None);
    assert_eq!(rotated.status, 200);
    assert_ne!(rotated.json()["secret"], secret.as_str());

    assert_eq!(admin(ctx, "DELETE", &format!("/{key}"), None).status, 200);
    assert_eq!(
        admin(ctx, "GET", &format!("/{key}"), None).error_code(),
        "unknown_site"
    );
    assert_eq!(start(visitor_phone()).error_code(), "unknown_site");
    assert_eq!(admin(ctx, "DELETE", "", None).status, 405);
}

fn xtask(ctx: &Ctx, args: &[&str]) -> (bool, String) {
    let exe = std::env::var("RINGPROOF_XTASK")
        .expect("RINGPROOF_XTASK is not set: run the tests through `cargo xtask test`");
    let out = Command::new(exe)
        .arg("site")
        .args(args)
        .args([
            "--edge",
            &ctx.edge.base_url,
            "--admin-token",
            &ctx.edge.secrets.admin_token,
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn xtask_site_cli_talks_to_the_admin_api(ctx: &Ctx) {
    let (ok, text) = xtask(
        ctx,
        &[
            "create",
            "--title",
            "CLI shop",
            "--domain",
            "localhost:3000",
            "--domain",
            "http://localhost:*",
            "--channel",
            "sms",
            "--callback",
            "https://cli.example/hook",
        ],
    );
    assert!(ok, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let key = created["site"]["site_key"].as_str().unwrap();
    assert_eq!(
        created["site"]["domains"],
        json!(["https://localhost:3000", "http://localhost:*"])
    );
    let (ok, text) = xtask(ctx, &["show", key]);
    assert!(ok && text.contains("CLI shop"), "{text}");
    let (ok, text) = xtask(ctx, &["list"]);
    assert!(ok && text.contains(key), "{text}");
    let (ok, text) = xtask(ctx, &["rotate-secret", key]);
    assert!(ok && text.contains("rp_secret_"), "{text}");
    let (ok, text) = xtask(ctx, &["create", "--title", "x", "--domain", "ftp://nope"]);
    assert!(
        !ok && text.contains("invalid_request"),
        "errors are shown: {text}"
    );
    let (ok, text) = xtask(ctx, &["delete", key]);
    assert!(ok, "{text}");
    let (ok, text) = xtask(ctx, &["show", key]);
    assert!(!ok && text.contains("unknown_site"), "{text}");
}

fn lookup(ctx: &Ctx, ctid: &str, secret: &str) -> Reply {
    let auth = format!("Bearer {secret}");
    http::get_with(
        &ctx.url(&format!("/v1/transactions/{ctid}")),
        &[("Authorization", auth.as_str())],
    )
    .unwrap()
}

fn client_transaction_ids_are_unique_and_can_be_looked_up(ctx: &Ctx) {
    let site = ctx.site_with(&[Channel::Sms]);
    let ctid = format!("order-{}", crate::now_secs());
    let body = json!({"site_key": site.site_key, "phone": visitor_phone(), "client_transaction_id": ctid,
                      "client_transaction_signature": crate::signed(&site.secret, &ctid)});
    let first = ctx.create(body.clone(), Some(ORIGIN));
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.json()["verification_id"].as_str().unwrap().to_owned();
    let again = ctx.create(body, Some(ORIGIN));
    assert_eq!(
        (again.status, again.error_code()),
        (409, "duplicate_transaction".into()),
        "a repeat is refused, not a second transaction"
    );

    let t = lookup(ctx, &ctid, &site.secret);
    assert_eq!(t.status, 200, "{}", t.body);
    let t = t.json();
    assert_eq!(t["verification_id"], id.as_str());
    assert_eq!(
        (t["status"].as_str(), t["channel"].as_str()),
        (Some("pending"), Some("sms"))
    );
    assert_eq!(t["phone"], visitor_e164());
    assert!(t.get("finished_at").is_none());

    let code = ctx.edge.fakes.last_message(visitor_e164()).unwrap().code;
    let r = ctx.act(&id, "check", json!({ "code": code }));
    assert_eq!(r.json()["status"], "verified", "{}", r.body);
    let t = lookup(ctx, &ctid, &site.secret).json();
    assert_eq!(t["status"], "verified");
    assert!(t["finished_at"].as_str().is_some());

    assert_eq!(lookup(ctx, &ctid, "rp_secret_wrong").status, 401);
    assert_eq!(lookup(ctx, &ctid, "").status, 401);
    let other = lookup(ctx, &ctid, &ctx.edge.sandbox.secret);
    assert_eq!(
        (other.status, other.error_code()),
        (404, "transaction_not_found".into()),
        "ids are per site"
    );
}

/// Written from the OneRing seed alone: the page's button calls NewMobileRecorded.ashx.
fn onering_integration_works_by_changing_the_host(ctx: &Ctx) {
    let r = admin(
        ctx,
        "POST",
        "",
        Some(
            json!({"title": "OneRing shop", "domains": ["http://localhost:*"],
                    "channels": ["missed_call"], "allowed_countries": ["GB"],
                    "callback_url": ctx.receiver.url("/callback.aspx?shop=main"),
                    "callback_format": "onering_get"}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let api_key = created["api_key"].as_str().unwrap().to_owned();
    let activity = created["site"]["activity_token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ctid = format!("onering-{}", crate::now_secs());
    let secret = created["secret"].as_str().unwrap().to_owned();
    let site_key = created["site"]["site_key"].as_str().unwrap().to_owned();
    let ask = |key: &str, mobile: &str, ctid: &str, page: &str| -> Value {
        // The page pays a proof of work first, as the widget would.
        let url = ctx.url(&format!(
            "/Apps/Plugin/NewMobileRecorded.ashx?ApiKey={key}&ActivityTokenId={activity}&MobileNumber={mobile}&ClientTransactionId={ctid}&ClientTransactionSignature={}{}",
            crate::signed(&secret, ctid),
            ctx.onering_proof(&site_key, page)
        ));
        let r = http::get_with(&url, &[("Referer", page)]).unwrap();
        // OneRing answers 200 even to refuse, except a page off the site's domains: 403.
        let foreign = !page.starts_with("http://localhost");
        assert_eq!(r.status, if foreign { 403 } else { 200 }, "{}", r.body);
        if foreign {
            assert_eq!(r.error_code(), "origin_not_allowed");
        }
        r.json()
    };
    let page = "http://localhost:3000/signup";
    // As a visitor in the UK types it, digits only.
    let national = crate::visitor_national().replace(' ', "");
    let national = national.as_str();
    let ok = ask(&api_key, national, &ctid, page);
    assert_eq!(ok["Message"], "Success", "{ok}");
    assert_eq!(ok["ClientTransactionId"], ctid.as_str());
    let token_id = ok["ActivityTokenId"].as_str().unwrap();
    assert_ne!(token_id, activity, "a new ActivityTokenId per transaction");
    let img = http::get(ok["img"].as_str().unwrap()).unwrap();
    assert_eq!(img.header("content-type"), Some("image/svg+xml"));

    // The visitor's missed call verifies it, and the site can look the transaction up.
    let view = ctx.status(token_id);
    ctx.call(&view);
    let t = lookup(ctx, &ctid, &secret).json();
    assert_eq!(t["status"], "verified", "{t}");

    // The seed's GET to the callback URL, signed over its time and its canonical query.
    let got = ctx
        .receiver
        .wait_for("/callback.aspx", 1, std::time::Duration::from_secs(30));
    assert_eq!(got.len(), 1, "one GET for one verified number");
    assert_eq!(got[0].method, "GET");
    assert_eq!(
        got[0].header("idempotency-key"),
        Some(format!("evt_{token_id}").as_str())
    );
    let now = crate::now_secs();
    let pairs = signature::verify_query(secret.as_bytes(), &got[0].raw_query, now)
        .expect("signed with the site secret");
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(
        field("shop"),
        Some("main"),
        "the site's own parameter is kept"
    );
    assert_eq!(field("VerifiedMobileNumber"), Some(&visitor_e164()[1..]));
    assert_eq!(field("ActivityTokenId"), Some(token_id));
    assert_eq!(field("ClientTransactionId"), Some(ctid.as_str()));
    assert_eq!(field("MobileStatus"), Some("verified"));
    let called = field("VerificationChannel").unwrap();
    assert!(
        ringproof_tests::harness::SANDBOX_NUMBERS.contains(&called),
        "the number the visitor called: {called}"
    );
    for k in ["TransactionTime", "CustomerCallTime", "SignedAt", "EventId"] {
        assert!(field(k).is_some_and(|v| !v.is_empty()), "{k}");
    }
    assert_eq!(
        signature::verify_query(secret.as_bytes(), &got[0].raw_query, now + 400),
        Err(signature::SignatureError::Stale),
        "a replay after 5 minutes is refused"
    );
    let forged = got[0]
        .raw_query
        .replace("MobileStatus=verified", "MobileStatus=verifiedd");
    assert_eq!(
        signature::verify_query(secret.as_bytes(), &forged, now),
        Err(signature::SignatureError::Mismatch)
    );

    for (key, mobile, id, from, reason) in [
        (
            api_key.as_str(),
            national,
            ctid.as_str(),
            page,
            "DuplicateClientTransactionId",
        ),
        ("wrong-key", national, "t-2", page, "InvalidApiKey"),
        (
            api_key.as_str(),
            national,
            "t-3",
            "https://evil.example/",
            "DomainNotAllowed",
        ),
        (api_key.as_str(), "12", "t-4", page, "InvalidMobileNumber"),
        (api_key.as_str(), "", "t-5", page, "MissingParameter"),
        // The site takes GB numbers only.
        (
            api_key.as_str(),
            "%2B33612345678",
            "t-6",
            page,
            "CountryNotAllowed",
        ),
    ] {
        let r = ask(key, mobile, id, from);
        assert_eq!(r["Message"], format!("Failed#{reason}"), "{r}");
    }
    // A site that offers no missed call has no OneRing to answer with.
    let r = admin(
        ctx,
        "PATCH",
        &format!("/{}", created["site"]["site_key"].as_str().unwrap()),
        Some(json!({"channels": ["sms"]})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = ask(&api_key, national, "t-7", page);
    assert_eq!(r["Message"], "Failed#ChannelNotAvailable", "{r}");

    // The sandbox site that `cargo xtask dev` prints has OneRing credentials too. This call
    // comes from a server (no Origin, no Referer), as a server-side button handler makes it.
    let sandbox = &ctx.edge.sandbox;
    let url = ctx.url(&format!(
        "/Apps/Plugin/NewMobileRecorded.ashx?ApiKey={}&ActivityTokenId={}&MobileNumber={}&ClientTransactionId={}",
        sandbox.api_key,
        sandbox.activity_token_id,
        &visitor_e164()[1..],
        crate::unique_ctid()
    ));
    // Its server credential is the site secret: the public ApiKey alone is not enough.
    let r = http::get(&url).unwrap();
    assert_eq!(r.json()["Message"], "Failed#InvalidApiKey", "{}", r.body);
    let bearer = format!("Bearer {}", sandbox.secret);
    let r = http::get_with(&url, &[("Authorization", bearer.as_str())]).unwrap();
    assert_eq!(r.json()["Message"], "Success", "{}", r.body);
}

/// A site made through the admin API, calling back to the receiver: its key and secret.
fn made_site(ctx: &Ctx, title: &str) -> SandboxSite {
    let body = json!({"title": title, "domains": ["http://localhost:*"], "channels": ["missed_call"],
                      "callback_url": ctx.receiver.url(&format!("/hooks/{title}"))});
    let r = admin(ctx, "POST", "", Some(body));
    assert_eq!(r.status, 201, "{}", r.body);
    let made = r.json();
    SandboxSite {
        site_key: made["site"]["site_key"].as_str().unwrap().to_owned(),
        secret: made["secret"].as_str().unwrap().to_owned(),
        ..Default::default()
    }
}

/// What a secret may open: its own site's tokens, transactions and callback logs, and none of
/// them once it has been rotated. Another site's good secret opens nothing and spends nothing.
fn a_secret_opens_its_own_site_only_and_not_after_rotation(ctx: &Ctx) {
    let (a, b) = (made_site(ctx, "shop-a"), made_site(ctx, "shop-b"));
    let verified = |site: &SandboxSite| {
        let (id, ctid) = verify_by_call(ctx, site);
        let token = ctx.status(&id)["token"].as_str().unwrap().to_owned();
        // The callback is on its way; the log must hold it before it is compared.
        wait_for_state(ctx, &id, &site.secret, "delivered");
        (id, ctid, token)
    };
    let (id, ctid, token) = verified(&a);

    let other = ctx.siteverify(&b.secret, &token);
    assert_eq!(
        other,
        json!({"success": false, "error_codes": ["invalid-input-response"]}),
        "another site's secret learns nothing of the token"
    );
    let r = lookup(ctx, &ctid, &b.secret);
    assert_eq!(
        (r.status, r.error_code()),
        (404, "transaction_not_found".into())
    );
    let r = deliveries(ctx, &id, &b.secret);
    assert_eq!((r.status, r.json()), (200, json!({"deliveries": []})));
    let r = deliveries(ctx, &id, &a.secret);
    assert_eq!(
        r.json()["deliveries"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    let r = lookup(ctx, &ctid, &a.secret);
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("verified"))
    );

    // The second token is redeemed after the rotation; the first was not spent by site B.
    let (id2, ctid2, token2) = verified(&a);
    let r = admin(ctx, "POST", &format!("/{}/rotate-secret", a.site_key), None);
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = r.json()["secret"].as_str().unwrap().to_owned();
    let old = &a.secret;
    assert_eq!(
        ctx.siteverify(old, &token2),
        json!({"success": false, "error_codes": ["invalid-input-secret"]})
    );
    for (ctid, id) in [(&ctid, &id), (&ctid2, &id2)] {
        let r = lookup(ctx, ctid, old);
        assert_eq!((r.status, r.error_code()), (401, "unauthorized".into()));
        let r = deliveries(ctx, id, old);
        assert_eq!((r.status, r.error_code()), (401, "unauthorized".into()));
        let r = lookup(ctx, ctid, &fresh);
        assert_eq!(
            (r.status, r.json()["status"].as_str()),
            (200, Some("verified"))
        );
        let r = deliveries(ctx, id, &fresh);
        assert_eq!(
            r.json()["deliveries"].as_array().map(Vec::len),
            Some(1),
            "{}",
            r.body
        );
    }
    for t in [&token, &token2] {
        let ok = ctx.siteverify(&fresh, t);
        assert_eq!(
            (ok["success"].as_bool(), ok["phone"].as_str()),
            (Some(true), Some(visitor_e164())),
            "{ok}"
        );
    }
}
