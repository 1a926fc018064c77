//! Issue 25: the site owners' console. An account is a number proved by a Ringproof
//! verification on the console's own site; its session is a cookie; an owner reaches only
//! their own activities; the history in D1 counts what visitors did and keeps no number.

use crate::{
    inbound_number, signed, unique_ctid, visitor_e164, visitor_phone, Ctx, Scenario, ORIGIN,
};
use ringproof_tests::browser::Device;
use ringproof_tests::console_page::ConsolePage;
use ringproof_tests::fake_providers::SmsOutcome;
use ringproof_tests::harness::OPERATOR_NUMBER;
use ringproof_tests::http::{self, Reply};
use serde_json::{json, Value};
use std::time::Duration;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    an_owner_signs_up_by_a_verification_and_reaches_only_their_own,
    the_console_counts_what_visitors_did,
    the_history_keeps_no_number_and_forgets_after_ninety_days,
    a_site_owner_works_the_console_in_a_browser,
    an_owner_tests_their_callback_and_sends_a_failed_one_again,
    pumping_and_a_stopped_channel_are_told_to_the_owner_once,
    a_stranger_with_an_account_costs_no_one_else,
];

/// A number of this scenario's own besides [`visitor_e164`].
fn other_number(k: u32) -> String {
    format!(
        "+447400{}",
        800_000 + crate::e2e::runner::index() as u32 * 10 + k
    )
}

/// A browser session of the console, as its cookie and origin.
struct Console {
    cookie: String,
    base: String,
    account: Value,
}

impl Console {
    /// Proves `number` on the console's own site (a missed call) and signs in with the token.
    fn sign_in(ctx: &Ctx, number: &str) -> Console {
        let base = ctx.edge.base_url.clone();
        let token = console_token(ctx, number);
        let r = sign_in_with(ctx, &token);
        assert_eq!(r.status, 200, "{}", r.body);
        let set = r.header("Set-Cookie").expect("a session cookie").to_owned();
        for part in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=",
        ] {
            assert!(set.contains(part), "{set}");
        }
        let cookie = set.split(';').next().unwrap().to_owned();
        Console {
            cookie,
            base,
            account: r.json(),
        }
    }

    /// Proves the admin token: the session's cookie becomes an operator's.
    fn elevate(&mut self, admin_token: &str) {
        let r = self.post("/elevate", json!({ "admin_token": admin_token }));
        assert_eq!(r.status, 200, "{}", r.body);
        let set = r.header("Set-Cookie").expect("a new session cookie");
        self.cookie = set.split(';').next().unwrap().to_owned();
    }

    fn id(&self) -> String {
        self.account["account_id"].as_str().unwrap().to_owned()
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("Cookie", self.cookie.as_str()),
            ("Origin", self.base.as_str()),
        ]
    }

    fn url(&self, path: &str) -> String {
        format!("{}/console/api{path}", self.base)
    }

    fn get(&self, path: &str) -> Reply {
        http::get_with(&self.url(path), &self.headers()).unwrap()
    }

    fn post(&self, path: &str, body: Value) -> Reply {
        http::post_json(&self.url(path), &body, &self.headers()).unwrap()
    }

    fn patch(&self, path: &str, body: Value) -> Reply {
        http::patch(&self.url(path), &body.to_string(), &self.headers()).unwrap()
    }

    fn delete(&self, path: &str) -> Reply {
        http::delete_with(&self.url(path), &self.headers()).unwrap()
    }
}

/// A token of a verified missed call from `number` on the console's site, from the console's
/// own page.
fn console_token(ctx: &Ctx, number: &str) -> String {
    let base = ctx.edge.base_url.clone();
    let r = ctx.create(
        json!({"site_key": "rp_console", "phone": number, "channel": "missed_call"}),
        Some(&base),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let called = inbound_number(v["call_to_uri"].as_str().unwrap());
    let call = ctx.provider_webhook(&number[1..], &called);
    assert_eq!(call.call_outcome(), "verified", "{}", call.body);
    let id = v["verification_id"].as_str().unwrap();
    let view = http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}")),
        &[("Origin", &base)],
    )
    .unwrap()
    .json();
    view["token"].as_str().expect("a token").to_owned()
}

fn sign_in_with(ctx: &Ctx, token: &str) -> Reply {
    http::post_json(
        &ctx.url("/console/api/session"),
        &json!({ "token": token }),
        &[("Origin", &ctx.edge.base_url)],
    )
    .unwrap()
}

/// A missed call started with `body` from the test page, made by the visitor and redeemed by
/// the site's server with `secret`.
fn verify_and_redeem(ctx: &Ctx, body: Value, secret: &str) {
    let r = ctx.create(body, Some(ORIGIN));
    assert_eq!(r.status, 201, "{}", r.body);
    ctx.call(&r.json());
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    let token = ctx.status(&id)["token"].as_str().unwrap().to_owned();
    assert_eq!(ctx.siteverify(secret, &token)["success"], true);
}

fn new_activity(c: &Console, title: &str) -> Value {
    let r = c.post(
        "/activities",
        json!({"title": title, "domains": ["http://localhost:*"], "callback_url": null}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

fn an_owner_signs_up_by_a_verification_and_reaches_only_their_own(ctx: &Ctx) {
    let alice_number = visitor_e164().to_owned();
    let alice = Console::sign_in(ctx, &alice_number);
    assert_eq!(alice.account["new"], true, "{}", alice.account);
    assert_eq!(alice.account["channels"], json!(["missed_call"]));
    assert!(!alice.account["number"]
        .as_str()
        .unwrap()
        .contains(&alice_number[3..]));

    // A token signs in once; a token of another site signs in no one.
    let token = console_token(ctx, &alice_number);
    assert_eq!(sign_in_with(ctx, &token).status, 200);
    assert_eq!(sign_in_with(ctx, &token).error_code(), "unauthorized");
    let again = Console::sign_in(ctx, &alice_number);
    assert_eq!(
        (again.id(), &again.account["new"]),
        (alice.id(), &json!(false))
    );
    let created = ctx.start();
    ctx.call(&created);
    let id = created["verification_id"].as_str().unwrap();
    let other_sites = ctx.status(id)["token"].as_str().unwrap().to_owned();
    assert_eq!(sign_in_with(ctx, &other_sites).error_code(), "unauthorized");

    // Paid channels wait for the operator; the free missed call does not.
    let sms = alice.post(
        "/activities",
        json!({"title": "Shop", "domains": ["http://localhost:*"], "channels": ["sms"]}),
    );
    assert_eq!(
        (sms.status, sms.error_code().as_str()),
        (403, "channel_not_granted")
    );
    // Limits decide what the operator pays for: an owner cannot raise them.
    let raised = alice.post(
        "/activities",
        json!({"title": "Shop", "domains": ["http://localhost:*"], "limits": {"daily_spend_cap": "5000.00"}}),
    );
    assert_eq!(
        (raised.status, raised.error_code().as_str()),
        (403, "operator_only")
    );
    let made = new_activity(&alice, "Alice's shop");
    let key = made["site"]["site_key"].as_str().unwrap().to_owned();
    assert_eq!(made["site"]["channels"], json!(["missed_call"]));
    for field in ["secret", "webhook_secret", "api_key"] {
        assert!(
            made[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {made}"
        );
    }
    assert!(made["snippets"]["embed"].as_str().unwrap().contains(&key));
    let listed = alice.get("/activities").json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(
        listed[0].get("secret").is_none(),
        "a secret is shown once: {listed}"
    );
    // The activity works for visitors at once.
    let r = ctx.create(
        json!({"site_key": key, "phone": visitor_e164(), "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // Another owner sees none of it: every route on Alice's activity is `not_found`.
    let bob = Console::sign_in(ctx, &other_number(1));
    assert_ne!(bob.id(), alice.id());
    assert_eq!(bob.get("/activities").json(), json!([]));
    let path = format!("/activities/{key}");
    let tries = [
        bob.get(&path),
        bob.patch(
            &path,
            json!({"title": "Mine now", "callback_url": "https://evil.example/"}),
        ),
        bob.post(&format!("{path}/rotate-secret"), json!({})),
        bob.get(&format!("{path}/insights")),
        bob.get(&format!("{path}/verifications?format=csv")),
        bob.delete(&path),
    ];
    for r in &tries {
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (404, "not_found"),
            "{}",
            r.body
        );
    }
    // Nor may an owner reach the operator's or the test keys' sites.
    for foreign in [
        ctx.edge.sandbox.site_key.as_str(),
        "rp_test_verifies",
        "rp_console",
    ] {
        assert_eq!(
            bob.get(&format!("/activities/{foreign}")).status,
            404,
            "{foreign}"
        );
    }
    assert_eq!(alice.get(&path).json()["site"]["title"], "Alice's shop");
    let raise = alice.patch(&path, json!({"limits": {"sends_per_site_per_day": 100000}}));
    assert_eq!(raise.error_code(), "operator_only");
    // Nor anyone else's account, as a non-operator.
    let grant = bob.patch(
        &format!("/accounts/{}", bob.id()),
        json!({"channels": ["sms"]}),
    );
    assert_eq!(
        (grant.status, grant.error_code().as_str()),
        (403, "operator_only")
    );

    // No cookie, a forged one, or a change from another site's page: refused.
    let anon = http::get_with(&alice.url("/me"), &[]).unwrap();
    assert_eq!(
        (anon.status, anon.error_code().as_str()),
        (401, "sign_in_required")
    );
    let value = alice.cookie.split_once('=').unwrap().1;
    let forged_value = value.replacen(&alice.id(), &bob.id(), 1);
    let forged = format!("__Host-ringproof_console={forged_value}");
    let r = http::get_with(&alice.url("/me"), &[("Cookie", &forged)]).unwrap();
    assert_eq!(r.status, 401, "{}", r.body);
    let cross = http::post_json(
        &alice.url(&format!("{path}/rotate-secret")),
        &json!({}),
        &[
            ("Cookie", &alice.cookie),
            ("Origin", "https://evil.example"),
        ],
    )
    .unwrap();
    assert_eq!(
        (cross.status, cross.error_code().as_str()),
        (403, "origin_not_allowed")
    );

    // Sign out everywhere ends every session of the account, and only of that account.
    let second = Console::sign_in(ctx, &other_number(1));
    assert_eq!(bob.post("/sign-out-everywhere", json!({})).status, 200);
    assert_eq!(bob.get("/me").status, 401);
    assert_eq!(second.get("/me").status, 401);
    assert_eq!(alice.get("/me").status, 200);
    assert_eq!(alice.delete(&path).status, 200);
    assert_eq!(alice.get("/activities").json(), json!([]));
}

/// Waits for the history to show what `ready` looks for (events are written after the answer).
fn eventually(what: &str, mut ready: impl FnMut() -> Result<Value, String>) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match ready() {
            Ok(v) => return v,
            Err(e) if std::time::Instant::now() > deadline => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

fn the_console_counts_what_visitors_did(ctx: &Ctx) {
    let owner = Console::sign_in(ctx, &other_number(2));
    let made = new_activity(&owner, "Counted");
    let key = made["site"]["site_key"].as_str().unwrap().to_owned();
    let secret = made["secret"].as_str().unwrap().to_owned();

    // One verified and redeemed, one abandoned, one refused (a page the site does not allow).
    let ctid = unique_ctid();
    verify_and_redeem(
        ctx,
        json!({"site_key": key, "phone": visitor_e164(), "channel": "missed_call",
               "client_transaction_id": ctid, "client_transaction_signature": signed(&secret, &ctid)}),
        &secret,
    );
    let abandoned = other_number(3);
    let r = ctx.create(
        json!({"site_key": key, "phone": abandoned, "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let refused = ctx.create(
        json!({"site_key": key, "phone": visitor_e164(), "channel": "missed_call"}),
        Some("https://not-the-site.example"),
    );
    assert_eq!(refused.error_code(), "origin_not_allowed");

    let insights = eventually("the funnel", || {
        let i = owner
            .get(&format!("/activities/{key}/insights?days=7"))
            .json();
        let f = &i["funnel"];
        let counted = (f["started"] == 2 && f["verified"] == 1 && f["redeemed"] == 1)
            && i["refusals"].as_array().is_some_and(|r| !r.is_empty());
        counted.then_some(i.clone()).ok_or_else(|| i.to_string())
    });
    assert_eq!(insights["funnel"]["sent"], 2, "{insights}");
    assert_eq!(insights["funnel"]["delivered"], 1, "{insights}");
    // The foreign page was refused its challenge, then its start.
    assert_eq!(
        insights["refusals"],
        json!([{"key": "origin_not_allowed", "count": 2}])
    );
    let missed = &insights["by_channel"][0];
    assert_eq!(
        (&missed["key"], &missed["started"], &missed["verified"]),
        (&json!("missed_call"), &json!(2), &json!(1))
    );
    assert_eq!(missed["conversion"], 0.5);
    assert_eq!(insights["by_country"][0]["key"], "GB");
    let days = insights["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6]["started"], 2, "{insights}");

    // The log: masked numbers, searchable by ClientTransactionId and last digits, as CSV too.
    let log = owner
        .get(&format!("/activities/{key}/verifications"))
        .json();
    let lines = log.as_array().unwrap();
    assert_eq!(lines.len(), 2, "{log}");
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"verified") && statuses.contains(&"pending"),
        "{log}"
    );
    assert!(
        !log.to_string().contains(&visitor_e164()[3..]),
        "no number in the log: {log}"
    );
    let found = owner
        .get(&format!("/activities/{key}/verifications?q={ctid}"))
        .json();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(
        (&found[0]["redeemed"], &found[0]["channel"]),
        (&json!(true), &json!("missed_call"))
    );
    let last_two = &abandoned[abandoned.len() - 2..];
    let by_digits = owner
        .get(&format!("/activities/{key}/verifications?q={last_two}"))
        .json();
    assert!(by_digits
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["number"].as_str().unwrap().ends_with(last_two)));
    let csv = owner.get(&format!("/activities/{key}/verifications?format=csv"));
    assert!(csv.header("Content-Type").unwrap().starts_with("text/csv"));
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
    assert!(csv.body.contains(&ctid));

    // The operator grants the SMS code; then, and only then, the owner may offer it.
    let path = format!("/activities/{key}");
    let before = owner.patch(&path, json!({"channels": ["missed_call", "sms"]}));
    assert_eq!(before.error_code(), "channel_not_granted");
    // The operator's number proves only the number (a caller id can be forged): the
    // operator's powers need the admin token too, once per session.
    let mut operator = Console::sign_in(ctx, OPERATOR_NUMBER);
    assert_eq!(
        (
            &operator.account["operator"],
            &operator.account["may_elevate"]
        ),
        (&json!(false), &json!(true))
    );
    assert_eq!(operator.get("/accounts").error_code(), "operator_only");
    assert_eq!(
        operator
            .post("/elevate", json!({"admin_token": "guess"}))
            .error_code(),
        "unauthorized"
    );
    assert_eq!(
        owner
            .post(
                "/elevate",
                json!({"admin_token": ctx.edge.secrets.admin_token})
            )
            .error_code(),
        "operator_only"
    );
    operator.elevate(&ctx.edge.secrets.admin_token);
    assert_eq!(operator.get("/me").json()["operator"], true);
    // The operator's view: the whole deployment, every activity with its owner, the providers.
    let whole = operator.get("/deployment?days=7").json();
    assert!(
        whole["insights"]["funnel"]["verified"].as_u64() >= Some(1),
        "{whole}"
    );
    let listed = whole["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["site_key"] == key.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{whole}"));
    assert_eq!(
        (&listed["started"], &listed["verified"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(listed["account_id"], owner.id().as_str());
    assert_eq!(listed["daily_spend_cap"], "50.00");
    assert!(whole["providers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["provider"] == "telesign" && p["configured"] == true));
    let refused = owner.get("/deployment");
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (403, "operator_only")
    );
    let all = operator.get("/accounts").json();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|a| a["account_id"] == owner.id()),
        "{all}"
    );
    let every = json!(["missed_call", "flash_call", "sms", "voice_call"]);
    let granted = operator.patch(
        &format!("/accounts/{}", owner.id()),
        json!({ "channels": every }),
    );
    assert_eq!(granted.status, 200, "{}", granted.body);
    let after = owner.patch(&path, json!({ "channels": every }));
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(after.json()["site"]["channels"], every);
    // Codes go only to the countries the operator grants the activity (none until then).
    let limits = format!("{path}/limits");
    assert_eq!(
        owner
            .patch(&limits, json!({"paid_countries": ["GB"]}))
            .error_code(),
        "operator_only"
    );
    let refused = ctx.create(
        json!({"site_key": key, "phone": visitor_phone(), "channel": "sms"}),
        Some(ORIGIN),
    );
    assert_eq!(
        refused.error_code(),
        "paid_channel_not_allowed",
        "{}",
        refused.body
    );
    let r = operator.patch(&limits, json!({"paid_countries": ["GB"]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["site"]["limits"]["paid_countries"],
        json!(["GB"]),
        "{}",
        r.body
    );
    // Every paid channel through the owner's activity, as a visitor does it: the code the
    // phone got, and the SMS's delivery report with TeleSign's price. The console counts each
    // channel, and what the verified numbers cost.
    for channel in ["sms", "flash_call", "voice_call"] {
        let r = ctx.create(
            json!({"site_key": key, "phone": visitor_phone(), "channel": channel}),
            Some(ORIGIN),
        );
        assert_eq!(r.status, 201, "{channel}: {}", r.body);
        let id = r.json()["verification_id"].as_str().unwrap().to_owned();
        let got = eventually(&format!("the phone's {channel}"), || {
            match ctx.edge.fakes.last_message(visitor_e164()) {
                Some(m) if m.channel == channel => {
                    Ok(json!({"code": m.code, "reference": m.reference}))
                }
                other => Err(format!("{other:?}")),
            }
        });
        let checked = ctx.act(&id, "check", json!({ "code": got["code"] }));
        assert_eq!(checked.status, 200, "{channel}: {}", checked.body);
        eventually(&format!("{channel} verified"), || {
            let v = ctx.status(&id);
            (v["status"] == "verified")
                .then_some(v.clone())
                .ok_or_else(|| v.to_string())
        });
        if channel == "sms" {
            let reference = got["reference"].as_str().unwrap();
            ctx.edge
                .fakes
                .fire_sms(reference, SmsOutcome::Delivered)
                .unwrap();
        }
    }
    let every_channel = eventually("every channel and its cost", || {
        let i = owner
            .get(&format!("/activities/{key}/insights?days=7"))
            .json();
        let verified = |c: &str| {
            i["by_channel"]
                .as_array()
                .and_then(|a| a.iter().find(|r| r["key"] == c))
                .map(|r| r["verified"].clone())
        };
        let counted = ["sms", "flash_call", "voice_call"]
            .iter()
            .all(|c| verified(c) == Some(json!(1)));
        // TeleSign's price for the SMS; a flash call's provider may add its own.
        let paid = i["spend"].as_array().is_some_and(|spend| {
            spend.iter().any(|s| {
                s["currency"] == "USD"
                    && s["total"].as_str().and_then(|t| t.parse::<f64>().ok()) >= Some(0.5112)
            })
        });
        (counted && paid)
            .then_some(i.clone())
            .ok_or_else(|| i.to_string())
    });
    assert_eq!(every_channel["funnel"]["verified"], 4, "{every_channel}");
    assert!(
        every_channel["spend"].to_string().contains("per_verified"),
        "{every_channel}"
    );

    // The operator suspends this one activity: it keeps the free missed call, its owner cannot
    // change it, and the operator's view says so. Lifted, the owner may offer the rest again.
    let suspension = format!("{path}/suspension");
    assert_eq!(
        owner
            .patch(&suspension, json!({"suspended": true}))
            .error_code(),
        "operator_only"
    );
    let r = operator.patch(&suspension, json!({"suspended": true}));
    assert_eq!(r.status, 200, "{}", r.body);
    let shown = owner.get(&path).json();
    assert_eq!(
        (&shown["suspended"], &shown["site"]["channels"]),
        (&json!(true), &json!(["missed_call"])),
        "{shown}"
    );
    assert_eq!(
        owner
            .patch(&path, json!({ "channels": every }))
            .error_code(),
        "activity_suspended"
    );
    let paid = ctx.create(
        json!({"site_key": key, "phone": visitor_phone(), "channel": "sms"}),
        Some(ORIGIN),
    );
    assert_eq!(paid.error_code(), "channel_not_available", "{}", paid.body);
    let whole = operator.get("/deployment?days=7").json();
    assert!(
        whole["activities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["site_key"] == key.as_str() && a["suspended"] == true),
        "{whole}"
    );
    let r = operator.patch(&suspension, json!({"suspended": false}));
    assert_eq!(r.status, 200, "{}", r.body);
    let lifted = owner.patch(&path, json!({ "channels": every }));
    assert_eq!(lifted.status, 200, "{}", lifted.body);
    assert_eq!(lifted.json()["suspended"], false);
    // Taken back, the channel leaves the owner's activities at once; none at all is refused.
    let revoked = operator.patch(
        &format!("/accounts/{}", owner.id()),
        json!({"channels": ["missed_call"]}),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(
        owner.get(&path).json()["site"]["channels"],
        json!(["missed_call"])
    );
    let none = operator.patch(
        &format!("/accounts/{}", owner.id()),
        json!({"channels": []}),
    );
    assert_eq!(none.error_code(), "invalid_request");
    // A suspended account keeps its view but changes nothing.
    operator.patch(
        &format!("/accounts/{}", owner.id()),
        json!({"suspended": true}),
    );
    assert_eq!(
        owner
            .post(&format!("{path}/rotate-secret"), json!({}))
            .error_code(),
        "account_suspended"
    );
    assert_eq!(owner.get(&path).status, 200);
}

fn the_history_keeps_no_number_and_forgets_after_ninety_days(ctx: &Ctx) {
    let owner = Console::sign_in(ctx, &other_number(4));
    let made = new_activity(&owner, "Kept");
    let key = made["site"]["site_key"].as_str().unwrap().to_owned();
    let r = ctx.create(
        json!({"site_key": key, "phone": visitor_e164(), "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let rows = eventually("the start in D1", || {
        let rows = ctx
            .edge
            .d1(&format!("SELECT * FROM events WHERE site_key = '{key}'"))?;
        (rows.as_array().is_some_and(|r| !r.is_empty()))
            .then_some(rows.clone())
            .ok_or(rows.to_string())
    });
    let national = &visitor_e164()[3..];
    let everything = ctx.edge.d1("SELECT * FROM events").unwrap().to_string()
        + &ctx.edge.d1("SELECT * FROM accounts").unwrap().to_string();
    assert!(
        !everything.contains(national),
        "a number in the history: {everything}"
    );
    assert_eq!(rows[0]["country"], "GB");
    assert_eq!(
        rows[0]["last_two"],
        &visitor_e164()[visitor_e164().len() - 2..]
    );
    // Its block, for the pumping alerts: a million numbers wide.
    assert_eq!(
        rows[0]["number_block"],
        &visitor_e164()[..visitor_e164().len() - 6]
    );

    // An event 100 days old: the daily job rolls its day up, then drops it; today's stay.
    let day_ms: u64 = 86_400_000;
    let now_ms = crate::now_secs() * 1000;
    let old = now_ms - 100 * day_ms;
    ctx.edge
        .d1(&format!(
            "INSERT INTO events (at, site_key, verification_id, kind, channel, country) \
             VALUES ({old}, '{key}', 'old-one', 'started', 'sms', 'IN')"
        ))
        .unwrap();
    let fired = http::get(&ctx.url("/__scheduled?cron=17+3+*+*+*")).unwrap();
    assert_eq!(fired.status, 200, "{}", fired.body);
    let gone = eventually("the old event dropped", || {
        let left = ctx.edge.d1(&format!(
            "SELECT COUNT(*) AS n FROM events WHERE at < {}",
            now_ms - 90 * day_ms
        ))?;
        (left[0]["n"] == 0)
            .then_some(left.clone())
            .ok_or(left.to_string())
    });
    assert_eq!(gone[0]["n"], 0);
    let rollup = ctx
        .edge
        .d1(&format!(
            "SELECT * FROM daily WHERE site_key = '{key}' AND day = {}",
            old / day_ms
        ))
        .unwrap();
    assert_eq!(rollup[0]["verifications"], 1, "{rollup}");
    assert_eq!(
        (&rollup[0]["kind"], &rollup[0]["country"]),
        (&json!("started"), &json!("IN"))
    );
    let kept = ctx
        .edge
        .d1(&format!(
            "SELECT COUNT(*) AS n FROM events WHERE site_key = '{key}'"
        ))
        .unwrap();
    assert!(
        kept[0]["n"].as_u64().unwrap() >= 1,
        "today's events stay: {kept}"
    );
    // The rollup's day still shows in a long period's chart.
    let year = owner
        .get(&format!("/activities/{key}/insights?days=365"))
        .json();
    let day = ringproof_core::Timestamp(old / day_ms * day_ms).to_rfc3339()[..10].to_owned();
    let point = year["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == day.as_str())
        .cloned();
    assert_eq!(point.map(|p| p["started"].clone()), Some(json!(1)), "{day}");
}

fn accessible(page: &ConsolePage, step: &str) {
    ringproof_tests::axe::assert_accessible(&page.b, "body", step);
}

fn a_site_owner_works_the_console_in_a_browser(ctx: &Ctx) {
    let page = ConsolePage::open(&ctx.edge, Device::Phone).unwrap();
    assert_eq!(page.heading(), "Ringproof console");
    accessible(&page, "the sign-in page");
    page.sign_in(&ctx.edge, &other_number(5)).unwrap();
    page.wait_text("No activity yet").unwrap();
    accessible(&page, "an account with no activity");

    let secret = page
        .new_activity("Browser shop", "http://localhost:*")
        .unwrap();
    accessible(&page, "the new activity's secrets");
    let key = page.js("return document.querySelector('.created dd code').textContent");
    let key = key.as_str().unwrap().to_owned();
    assert!(
        page.text().contains(&format!("site-key=\"{key}\"")),
        "the embed snippet"
    );
    // What the page showed is the activity's own secret: a verification on it redeems with it.
    verify_and_redeem(
        ctx,
        json!({"site_key": key, "phone": visitor_e164(), "channel": "missed_call"}),
        &secret,
    );

    page.click("Open the activity").unwrap();
    page.wait_heading("Browser shop").unwrap();
    // The history is written after each answer: the page shows it once it is there.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !page
        .text()
        .contains("100% of started verifications were verified")
    {
        assert!(std::time::Instant::now() < deadline, "{}", page.text());
        std::thread::sleep(Duration::from_millis(500));
        page.b.execute("location.reload()", vec![]).unwrap();
        page.wait_heading("Browser shop").unwrap();
        std::thread::sleep(Duration::from_millis(500));
    }
    page.wait_text("GB").unwrap();
    accessible(&page, "the activity's figures and log");

    // Keyboard only: Tab reaches "Rotate the secret" and Enter rotates it.
    page.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)");
    let mut reached = false;
    for _ in 0..80 {
        page.b.press("\u{E004}").unwrap();
        let focused =
            page.js("return document.activeElement ? document.activeElement.textContent : ''");
        if focused == "Rotate the secret" {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the rotate button");
    page.b.press("\u{E007}").unwrap();
    page.wait_text("The new secret, shown once").unwrap();
    let fresh = page.js("return document.querySelector('[data-testid=rotated]').textContent");
    assert_ne!(fresh.as_str().unwrap(), secret);
    assert_eq!(
        ctx.siteverify(&secret, "x")["error_codes"],
        json!(["invalid-input-secret"])
    );

    page.click("Sign out").unwrap();
    page.wait_heading("Ringproof console").unwrap();
}

fn an_owner_tests_their_callback_and_sends_a_failed_one_again(ctx: &Ctx) {
    use ringproof_tests::callback_receiver::Answer;
    let owner = Console::sign_in(ctx, &other_number(6));
    let path = format!("/console-hook-{}", crate::e2e::runner::index());
    let r = owner.post(
        "/activities",
        json!({"title": "Hooked", "domains": ["http://localhost:*"], "callback_url": ctx.receiver.url(&path)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let made = r.json();
    let key = made["site"]["site_key"].as_str().unwrap().to_owned();
    let secret = made["secret"].as_str().unwrap().to_owned();

    // A test callback shows what was sent and what the site said; it is signed as real ones.
    ctx.receiver.plan(&path, &[Answer::Status(500)]);
    let failed = owner.post(&format!("/activities/{key}/test-callback"), json!({}));
    assert_eq!(failed.status, 200, "{}", failed.body);
    let t = failed.json();
    assert_eq!(
        (&t["status"], &t["delivered"]),
        (&json!(500), &json!(false)),
        "{t}"
    );
    let ok = owner
        .post(&format!("/activities/{key}/test-callback"), json!({}))
        .json();
    assert_eq!(
        (&ok["status"], &ok["delivered"]),
        (&json!(200), &json!(true)),
        "{ok}"
    );
    let got = ctx.receiver.wait_for(&path, 2, Duration::from_secs(10));
    let body = &got[1].body;
    assert!(body.contains("\"verification_id\":\"test_"), "{body}");
    assert_eq!(
        ok["request"]["body"].as_str(),
        Some(body.as_str()),
        "the page shows what was sent"
    );
    ringproof_core::signature::verify_webhook(
        secret.as_bytes(),
        got[1].header("webhook-id"),
        got[1].header("webhook-timestamp"),
        got[1].header("webhook-signature"),
        body,
        crate::now_secs(),
    )
    .expect("signed with the activity's secret");
    let stranger = Console::sign_in(ctx, &other_number(7));
    let theirs = stranger.post(&format!("/activities/{key}/test-callback"), json!({}));
    assert_eq!(theirs.status, 404);

    // A real callback that gave up (the site kept answering 500) is sent again on request.
    ctx.receiver.plan(&path, &[Answer::Status(500); 4]);
    let r = ctx.create(
        json!({"site_key": key, "phone": visitor_e164(), "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    ctx.call(&r.json());
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    ctx.receiver.wait_for(&path, 6, Duration::from_secs(30));
    let failing = eventually("the callback that gave up", || {
        let i = owner
            .get(&format!("/activities/{key}/insights?days=1"))
            .json();
        let f = i["failing_callbacks"].clone();
        (f.as_array().is_some_and(|a| a.len() == 1) && f[0]["attempts"] == 4)
            .then_some(f.clone())
            .ok_or(i.to_string())
    });
    assert_eq!(failing[0]["verification_id"], id.as_str());
    assert_eq!(failing[0]["last_outcome"], "http_500");
    let again_path = format!("/activities/{key}/callbacks/{id}/again");
    assert_eq!(
        stranger.post(&again_path, json!({})).status,
        404,
        "not the stranger's"
    );
    let again = owner.post(&again_path, json!({}));
    assert_eq!(again.json()["again"], true, "{}", again.body);
    let got = ctx.receiver.wait_for(&path, 7, Duration::from_secs(20));
    assert!(got[6].body.contains(&id));
    eventually("the callback delivered", || {
        let i = owner
            .get(&format!("/activities/{key}/insights?days=1"))
            .json();
        (i["failing_callbacks"] == json!([]))
            .then_some(json!(null))
            .ok_or(i.to_string())
    });
    // Delivered now: nothing to send again.
    assert_eq!(owner.post(&again_path, json!({})).json()["again"], false);

    // Test callbacks are the edge posting where an owner says: ten an hour per account.
    let elsewhere = format!("{path}-relay");
    let r = stranger.post(
        "/activities",
        json!({"title": "Relay", "domains": ["http://localhost:*"], "callback_url": ctx.receiver.url(&elsewhere)}),
    );
    let relay = r.json()["site"]["site_key"].as_str().unwrap().to_owned();
    // One that cannot be sent (no callback URL) is refused, and takes nothing of the hour.
    let r = stranger.post(
        "/activities",
        json!({"title": "Silent", "domains": ["http://localhost:*"]}),
    );
    let silent = r.json()["site"]["site_key"].as_str().unwrap().to_owned();
    let unsent = stranger.post(&format!("/activities/{silent}/test-callback"), json!({}));
    assert_eq!(
        (unsent.status, unsent.error_code().as_str()),
        (400, "invalid_request"),
        "{}",
        unsent.body
    );
    for _ in 0..10 {
        let t = stranger.post(&format!("/activities/{relay}/test-callback"), json!({}));
        assert_eq!(t.status, 200, "{}", t.body);
    }
    let over = stranger.post(&format!("/activities/{relay}/test-callback"), json!({}));
    assert_eq!(
        (over.status, over.error_code().as_str()),
        (429, "too_many_test_callbacks")
    );
    assert!(over.json()["error"]["retry_after"].as_u64() > Some(0));
    assert_eq!(ctx.receiver.received(&elsewhere).len(), 10);
}

/// `n` rows of `kind` for `site` at `at` (ms), each a verification of its own, as the edge
/// writes them: a history a test could not make with real sends in a minute.
/// `n` events of `kind`, as the edge writes them; the flood's numbers are all in one block,
/// the week's are spread over the country.
fn history_rows(site: &str, tag: &str, kind: &str, channel: &str, n: u32, at: u64) -> Vec<String> {
    let provider = if kind == "sent" { "'telesign'" } else { "NULL" };
    (0..n)
        .map(|i| {
            let block = if tag == "flood" {
                "+447400".to_owned()
            } else {
                format!("+4477{:02}", i % 100)
            };
            format!(
                "({at}, '{site}', '{tag}-{i}', '{kind}', '{channel}', 'GB', {provider}, '{block}')"
            )
        })
        .collect()
}

fn pumping_and_a_stopped_channel_are_told_to_the_owner_once(ctx: &Ctx) {
    use ringproof_tests::callback_receiver::Answer;
    let owner = Console::sign_in(ctx, &other_number(8));
    let path = format!("/console-alerts-{}", crate::e2e::runner::index());
    let mut sites = Vec::new();
    for title in ["Pumped", "Stopped"] {
        let r = owner.post(
            "/activities",
            json!({"title": title, "domains": ["http://localhost:*"], "callback_url": ctx.receiver.url(&path)}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let made = r.json();
        sites.push((
            made["site"]["site_key"].as_str().unwrap().to_owned(),
            made["secret"].as_str().unwrap().to_owned(),
        ));
    }
    let (pumped, stopped) = (&sites[0], &sites[1]);
    ctx.receiver.plan(&path, &[Answer::Status(200); 3]);
    // A week of SMS codes that mostly verified; then, today, a flood that does not (Pumped),
    // and an hour of codes not one of which arrived (Stopped).
    let day: u64 = 86_400_000;
    let now = crate::now_secs() * 1000;
    let mut rows = Vec::new();
    for d in 2..=7 {
        for (site, _) in &sites {
            let tag = format!("week{d}");
            let at = now - d * day;
            rows.extend(history_rows(site, &tag, "sent", "sms", 10, at));
            rows.extend(history_rows(site, &tag, "delivered", "sms", 9, at));
            rows.extend(history_rows(site, &tag, "verified", "sms", 8, at));
        }
    }
    rows.extend(history_rows(
        &pumped.0,
        "flood",
        "sent",
        "sms",
        60,
        now - 600_000,
    ));
    rows.extend(history_rows(
        &pumped.0,
        "flood",
        "delivered",
        "sms",
        55,
        now - 600_000,
    ));
    rows.extend(history_rows(
        &pumped.0,
        "flood",
        "verified",
        "sms",
        2,
        now - 600_000,
    ));
    rows.extend(history_rows(
        &stopped.0,
        "dark",
        "sent",
        "sms",
        6,
        now - 600_000,
    ));
    for chunk in rows.chunks(200) {
        ctx.edge
            .d1(&format!(
                "INSERT INTO events (at, site_key, verification_id, kind, channel, country, provider, number_block) VALUES {}",
                chunk.join(", ")
            ))
            .unwrap();
    }
    let fire = || {
        let r = http::get(&ctx.url("/__scheduled?cron=*/15+*+*+*+*")).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
    };
    fire();
    // Pumped: in its country and in the block the flood went to; Stopped: its channel.
    let told = ctx.receiver.wait_for(&path, 3, Duration::from_secs(20));
    let mut kinds = Vec::new();
    for got in &told {
        let body: Value = serde_json::from_str(&got.body).unwrap();
        assert_eq!(body["type"], "alert.opened", "{body}");
        let secret = if body["data"]["site_key"] == pumped.0.as_str() {
            &pumped.1
        } else {
            &stopped.1
        };
        ringproof_core::signature::verify_webhook(
            secret.as_bytes(),
            got.header("webhook-id"),
            got.header("webhook-timestamp"),
            got.header("webhook-signature"),
            &got.body,
            crate::now_secs(),
        )
        .expect("signed with the activity's own secret");
        kinds.push((
            body["data"]["site_key"].as_str().unwrap().to_owned(),
            body["data"]["kind"].as_str().unwrap().to_owned(),
        ));
    }
    kinds.sort();
    let mut want = vec![
        (pumped.0.clone(), "pumping".to_owned()),
        (pumped.0.clone(), "pumping".to_owned()),
        (stopped.0.clone(), "delivery_stopped".to_owned()),
    ];
    want.sort();
    assert_eq!(kinds, want);

    // On the console, with what the callback URL answered; and told once while it holds.
    let i = owner
        .get(&format!("/activities/{}/insights?days=1", pumped.0))
        .json();
    let alerts = i["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2, "{i}");
    let mut keys: Vec<&str> = alerts.iter().map(|a| a["key"].as_str().unwrap()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["+447400", "GB"]);
    for alert in alerts {
        assert_eq!(
            (&alert["kind"], &alert["open"], &alert["told"]),
            (&json!("pumping"), &json!(true), &json!("delivered")),
            "{alert}"
        );
    }
    fire();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        ctx.receiver.received(&path).len(),
        3,
        "an open alert is not told again"
    );
    let again = owner
        .get(&format!("/activities/{}/insights?days=1", stopped.0))
        .json();
    assert_eq!(again["alerts"].as_array().unwrap().len(), 1, "{again}");
    // Another owner's activity had none of this.
    let quiet = new_activity(&owner, "Quiet");
    let key = quiet["site"]["site_key"].as_str().unwrap();
    assert_eq!(
        owner.get(&format!("/activities/{key}/insights")).json()["alerts"],
        json!([])
    );
}

/// A stranger signs up (an account costs only a number) and turns what it has against others.
/// Its server, which pays no proof of work, starts missed calls for someone else's number from
/// rotating addresses: it counts as its account, so it holds the two lines one client may, and
/// the visitor's own site still gets a line at once. Its script reads the history as fast as it
/// can: after a person's worth in a minute it is told to wait, and another account is not.
fn a_stranger_with_an_account_costs_no_one_else(ctx: &Ctx) {
    let mallory = Console::sign_in(ctx, &other_number(1));
    let created = new_activity(&mallory, "Mallory's");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let victim = visitor_e164().to_owned();
    let start_from = |ip: &str| {
        let url = ctx.url(&format!(
            "/Apps/Plugin/NewMobileRecorded.ashx?ApiKey={}&ActivityTokenId={}&MobileNumber={}&ClientTransactionId={}",
            created["api_key"].as_str().unwrap(),
            created["site"]["activity_token_id"].as_str().unwrap(),
            &victim[1..],
            unique_ctid(),
        ));
        let auth = format!("Bearer {secret}");
        http::get_with(
            &url,
            &[("Authorization", auth.as_str()), ("CF-Connecting-IP", ip)],
        )
        .unwrap()
        .json()
    };
    assert_eq!(start_from("203.0.113.10")["Message"], "Success");
    assert_eq!(start_from("203.0.113.11")["Message"], "Success");
    for ip in ["203.0.113.12", "2001:db8:77::1", "198.51.100.99"] {
        let r = start_from(ip);
        assert_eq!(r["Message"], "Failed#ServiceUnavailable", "from {ip}: {r}");
    }
    let v = ctx.start();
    assert!(v["call_to_uri"].is_string(), "{v}");

    let key = created["site"]["site_key"].as_str().unwrap();
    let read = |c: &Console| c.get(&format!("/activities/{key}/verifications?days=1&q=00"));
    let per_minute = 120;
    for n in 0..per_minute {
        let r = read(&mallory);
        assert_eq!(r.status, 200, "read {n}: {}", r.body);
    }
    let r = read(&mallory);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "history_rate_limited"),
        "{}",
        r.body
    );
    let insights = mallory.get(&format!("/activities/{key}/insights?days=1"));
    assert_eq!(insights.status, 429, "{}", insights.body);
    // Someone else's console reads on.
    let bob = Console::sign_in(ctx, &other_number(2));
    let theirs = new_activity(&bob, "Bob's");
    let bobs_key = theirs["site"]["site_key"].as_str().unwrap();
    let r = bob.get(&format!("/activities/{bobs_key}/insights?days=1"));
    assert_eq!(r.status, 200, "{}", r.body);
}
