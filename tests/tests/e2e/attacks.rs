//! Issue 9: each attack as an attacker would send it, against the real edge. Every scenario
//! here failed on the code before its defence.

use crate::{inbound_number, visitor_phone, Ctx, Scenario, ORIGIN};
use ringproof_api::{Channel, SiteLimits};
use ringproof_tests::fake_providers::{Mode, Provider};
use ringproof_tests::harness::{OsRandom, SandboxSite, SANDBOX_NUMBERS};
use ringproof_tests::{http, proof};
use serde_json::json;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    country_plans_answer_only_the_sites_pages_and_countries,
    a_missed_call_cannot_be_stolen_from_another_site,
    origins_are_parsed_and_texts_name_the_configured_domain,
    cors_names_allowed_origins_only,
    bodies_are_capped_before_they_are_read,
    the_sandbox_completes_only_its_own_sites_verifications,
    siteverify_checks_the_secret_before_the_token,
    callback_urls_that_reach_inside_are_refused,
    answers_with_state_are_never_cached,
    paid_channels_follow_the_sites_countries,
    starts_per_client_are_capped,
    paid_sends_are_capped_per_client_and_site,
    a_burst_to_one_range_blocks_it,
    the_daily_spend_cap_stops_paid_sends,
    wrong_codes_are_counted_per_number_across_verifications,
    no_paid_send_without_a_fresh_proof_of_work,
    a_replayed_proof_takes_nothing_from_its_client_or_its_transaction_id,
    a_page_cannot_squat_the_sites_transaction_ids,
    turnstile_sites_start_only_with_a_valid_token,
    a_deployment_missing_a_secret_names_it,
];

/// A site of the attacker's (or a victim's) own with these channels and limits.
fn site_limited(ctx: &Ctx, channels: &[Channel], change: impl Fn(&mut SiteLimits)) -> SandboxSite {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Limited", &["http://localhost:*"]);
    site.channels = channels.to_vec();
    change(&mut site.limits);
    ctx.edge.put_site(&site).unwrap();
    creds
}

/// `POST /v1/verifications` for `channel`, from the client at `ip` with a proof it fetched.
pub fn start_with(
    ctx: &Ctx,
    site: &SandboxSite,
    phone: &str,
    channel: &str,
    ip: &str,
) -> http::Reply {
    let asker = proof::Asker {
        client_ip: Some(ip),
        verification: None,
    };
    let proof = proof::solved_by(&ctx.edge.base_url, &site.site_key, ORIGIN, asker);
    http::post_json(
        &ctx.url("/v1/verifications"),
        &json!({"site_key": site.site_key, "phone": phone, "channel": channel, "proof": proof}),
        &[("Origin", ORIGIN), ("CF-Connecting-IP", ip)],
    )
    .unwrap()
}

/// The failure code a paid start ended with, or "sent".
fn send_outcome(r: &http::Reply) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    v["failure"]["code"].as_str().unwrap_or("sent").to_owned()
}

/// A number no other scenario uses, so its lines are this scenario's alone.
const VICTIM: &str = "+447400555001";

fn start(ctx: &Ctx, site_key: &str, phone: &str, origin: &str) -> http::Reply {
    ctx.create(
        json!({"site_key": site_key, "phone": phone, "channel": "missed_call"}),
        Some(origin),
    )
}

/// A missed-call start from the client at `ip`, with a proof that client fetched.
pub fn start_from(ctx: &Ctx, site_key: &str, phone: &str, origin: &str, ip: &str) -> http::Reply {
    let asker = proof::Asker {
        client_ip: Some(ip),
        verification: None,
    };
    let proof = proof::solved_by(&ctx.edge.base_url, site_key, origin, asker);
    http::post_json(
        &ctx.url("/v1/verifications"),
        &json!({"site_key": site_key, "phone": phone, "channel": "missed_call", "proof": proof}),
        &[("Origin", origin), ("CF-Connecting-IP", ip)],
    )
    .unwrap()
}

/// An attacker with a site of their own on the same deployment starts verifications for the
/// victim's number again and again, hoping to take over the number the victim's page shows.
fn a_missed_call_cannot_be_stolen_from_another_site(ctx: &Ctx) {
    let victim = start(ctx, &ctx.edge.sandbox.site_key, VICTIM, ORIGIN);
    assert_eq!(victim.status, 201, "{}", victim.body);
    let victim = victim.json();
    let shown = inbound_number(victim["call_to_uri"].as_str().unwrap());

    // The attacker's site shares the deployment's pool, the victim's number among three.
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Attacker", &["http://localhost:*"]);
    site.channels = vec![Channel::MissedCall];
    site.inbound_numbers = vec![shown.clone()];
    site.inbound_numbers.extend(
        SANDBOX_NUMBERS
            .iter()
            .filter(|n| **n != shown)
            .take(2)
            .map(|n| n.to_string()),
    );
    site.limits.pending_calls_per_number = Some(50);
    ctx.edge.put_site(&site).unwrap();
    let mut taken = Vec::new();
    // From as many addresses as it likes: one client holds at most two of a caller's lines.
    for i in 0..6 {
        let ip = format!("198.51.100.{}", 60 + i);
        let r = start_from(ctx, &creds.site_key, VICTIM, "http://localhost:6666", &ip);
        match r.status {
            201 => taken.push(inbound_number(r.json()["call_to_uri"].as_str().unwrap())),
            429 => {
                assert_eq!(r.error_code(), "lines_busy", "{}", r.body);
                let wait = r.json()["error"]["retry_after"].as_u64().unwrap();
                assert!((1..=660).contains(&wait), "retry_after {wait}");
            }
            s => panic!("unexpected {s}: {}", r.body),
        }
    }
    assert_eq!(
        taken.len(),
        2,
        "only the numbers free for the victim: {taken:?}"
    );
    assert!(
        !taken.contains(&shown),
        "the victim's number was handed out"
    );

    // The victim calls the number their page showed: it verifies the victim's verification.
    let r = ctx.provider_webhook(&VICTIM[1..], &shown);
    assert_eq!(r.call_outcome(), "verified", "{}", r.body);
    let id = victim["verification_id"].as_str().unwrap();
    assert_eq!(ctx.status(id)["status"], "verified");

    // Verified, the victim's pair is released but stays out of circulation until it expires:
    // the attacker cannot reserve it, so a repeated report of the victim's call (a provider's
    // retry, or the victim calling again) is told "repeat" and verifies nothing of theirs.
    let after = start_from(
        ctx,
        &creds.site_key,
        VICTIM,
        "http://localhost:6666",
        "198.51.100.70",
    );
    if after.status == 201 {
        let number = inbound_number(after.json()["call_to_uri"].as_str().unwrap());
        assert_ne!(number, shown, "the released pair was handed out");
    } else {
        assert_eq!(after.error_code(), "lines_busy", "{}", after.body);
    }
    let r = ctx.provider_webhook(&VICTIM[1..], &shown);
    assert_eq!(r.call_outcome(), "repeat", "{}", r.body);
}

fn origins_are_parsed_and_texts_name_the_configured_domain(ctx: &Ctx) {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Wildcard", &["http://*.localhost:*"]);
    site.channels = vec![Channel::Sms];
    site.limits.paid_countries = Some(vec!["GB".into()]);
    ctx.edge.put_site(&site).unwrap();
    let body = json!({"site_key": creds.site_key, "phone": "+447400555002", "channel": "sms"});
    for forged in [
        "http://URGENT call 0800 123 456.localhost:3000",
        "http://urgent%20call.localhost:3000",
        "http://shop.localhost:3000/",
        "http://user@shop.localhost:3000",
        "http://SHOP.localhost:3000",
    ] {
        let r = ctx.create(body.clone(), Some(forged));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "origin_not_allowed"),
            "{forged}: {}",
            r.body
        );
    }
    // A subdomain the wildcard allows still never lands in the text: the configured domain does.
    let r = ctx.create(body, Some("http://call-0800-555-0199.localhost:3000"));
    assert_eq!(r.status, 201, "{}", r.body);
    let sent = ctx
        .edge
        .fakes
        .last_message("+447400555002")
        .expect("an SMS");
    let text = sent.text.unwrap();
    assert!(
        text.ends_with(&format!("\n\n@localhost #{}", sent.code)),
        "{text}"
    );
    assert!(!text.contains("0800"), "{text}");
}

fn cors_names_allowed_origins_only(ctx: &Ctx) {
    let key = ctx.edge.sandbox.site_key.clone();
    let preflight = |url: &str, origin: &str| {
        http::request(
            "OPTIONS",
            url,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
        )
        .unwrap()
    };
    let evil = preflight(&ctx.url("/v1/verifications"), "https://evil.example");
    assert_eq!(evil.header("access-control-allow-origin"), None);
    let named = preflight(
        &ctx.url(&format!("/v1/verifications?site_key={key}")),
        ORIGIN,
    );
    assert_eq!(named.header("access-control-allow-origin"), Some(ORIGIN));
    let refused = ctx.create(
        json!({"site_key": key, "phone": visitor_phone(), "channel": "missed_call"}),
        Some("https://evil.example"),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    let id = ctx.start()["verification_id"].as_str().unwrap().to_owned();
    let other = http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}")),
        &[("Origin", "http://localhost:9")],
    )
    .unwrap();
    assert_eq!(other.status, 403);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let own = preflight(&ctx.url(&format!("/v1/verifications/{id}/check")), ORIGIN);
    assert_eq!(own.header("access-control-allow-origin"), Some(ORIGIN));
    let foreign = preflight(
        &ctx.url(&format!("/v1/verifications/{id}/check")),
        "https://evil.example",
    );
    assert_eq!(foreign.header("access-control-allow-origin"), None);
}

fn bodies_are_capped_before_they_are_read(ctx: &Ctx) {
    let huge = format!(
        "{{\"site_key\":\"{}\",\"phone\":\"{}\",\"x\":\"{}\"}}",
        ctx.edge.sandbox.site_key,
        visitor_phone(),
        "a".repeat(200_000)
    );
    for path in [
        "/v1/verifications",
        "/v1/siteverify",
        "/v1/verifications/x/check",
    ] {
        let r = http::post(
            &ctx.url(path),
            "application/json",
            &huge,
            &[("Origin", ORIGIN)],
        )
        .unwrap();
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (413, "body_too_large"),
            "{path}"
        );
    }
    // Without a length, the stream is cut off once it passes the cap.
    let r =
        http::post_chunked(&ctx.url("/v1/verifications"), &huge, &[("Origin", ORIGIN)]).unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    // ... and the edge goes on answering everyone else (a cancelled half-read body used to
    // stall wrangler dev's proxy, so this timed out).
    let after = http::get(&ctx.url("/v1/sandbox")).expect("the edge still answers");
    assert_eq!(after.status, 200);
}

fn the_sandbox_completes_only_its_own_sites_verifications(ctx: &Ctx) {
    let other = ctx.site_with(&[Channel::MissedCall]);
    let v = ctx.start_on(&other, Channel::MissedCall);
    let r = http::post_json(
        &ctx.url("/v1/sandbox/missed-call"),
        &json!({"verification_id": v["verification_id"]}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "sandbox_site_only"),
        "{}",
        r.body
    );
    assert_eq!(
        ctx.status(v["verification_id"].as_str().unwrap())["status"],
        "pending"
    );
}

fn siteverify_checks_the_secret_before_the_token(ctx: &Ctx) {
    let created = ctx.start();
    ctx.call(&created);
    let id = created["verification_id"].as_str().unwrap();
    let token = ctx.status(id)["token"].as_str().unwrap().to_owned();
    let made_up = format!("{id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    // Without the right secret, a real token and a made-up one read the same.
    for t in [&token, &made_up, &"x".to_owned()] {
        let r = ctx.siteverify("rp_secret_wrong", t);
        assert_eq!(r["error_codes"], json!(["invalid-input-secret"]), "{t}");
    }
    // Another site's valid secret learns nothing about this site's token, and spends nothing.
    let other = ctx.site_with(&[Channel::MissedCall]);
    let r = ctx.siteverify(&other.secret, &token);
    assert_eq!(r["error_codes"], json!(["invalid-input-response"]));
    let r = ctx.siteverify(&ctx.edge.sandbox.secret, &token);
    assert_eq!(r["success"], true, "{r}");
}

fn callback_urls_that_reach_inside_are_refused(ctx: &Ctx) {
    for url in [
        "http://localhost:1@evil.example/",
        "https://localhost:1@evil.example/",
        "https://user:pw@shop.example/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://metadata.internal/hook",
        "http://shop.example/hook",
        "https://shop.example/hook#x",
    ] {
        let r = crate::e2e::sites::admin(
            ctx,
            "POST",
            "",
            Some(json!({"title": "T", "domains": ["shop.example"], "callback_url": url})),
        );
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "invalid_request"),
            "{url}: {}",
            r.body
        );
    }
}

fn answers_with_state_are_never_cached(ctx: &Ctx) {
    let created = ctx.create(
        json!({"site_key": ctx.edge.sandbox.site_key, "phone": visitor_phone(), "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let v = created.json();
    // The number to call, drawn and as a QR code, is this verification's alone: no cache
    // may keep it for the next visitor.
    for field in ["number_image_url", "call_qr_url"] {
        let url = v[field].as_str().expect(field);
        let img = http::get(url).unwrap();
        assert_eq!(img.status, 200, "{field}");
        assert_eq!(img.header("content-type"), Some("image/svg+xml"), "{field}");
        assert_eq!(
            img.header("cache-control"),
            Some("private, no-store"),
            "{field}"
        );
    }
    ctx.call(&v);
    let id = v["verification_id"].as_str().unwrap();
    let r = http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}")),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert!(r.json()["token"].is_string());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let sv = http::post_json(
        &ctx.url("/v1/siteverify"),
        &json!({"secret": "x", "response": "y"}),
        &[],
    )
    .unwrap();
    assert_eq!(sv.header("cache-control"), Some("no-store"));
}

fn paid_channels_follow_the_sites_countries(ctx: &Ctx) {
    // No country listed: paid channels are off everywhere (Twilio's Geo Permissions default),
    // and the free missed call stays offered.
    let open = site_limited(ctx, &[Channel::Sms, Channel::MissedCall], |l| {
        l.paid_countries = None
    });
    let r = start_with(ctx, &open, "+447400555010", "sms", "203.0.113.1");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "paid_channel_not_allowed"),
        "{}",
        r.body
    );
    let r = ctx.create(
        json!({"site_key": open.site_key, "phone": "+447400555010"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(
        v["channel"], "missed_call",
        "the site's first allowed channel"
    );
    assert!(v.get("other_channels").is_none(), "{v}");
    // Paid for GB only: a French number gets the missed call, a British one the SMS.
    let gb = site_limited(ctx, &[Channel::Sms, Channel::MissedCall], |l| {
        l.paid_countries = Some(vec!["GB".into()])
    });
    let r = start_with(ctx, &gb, "+33 6 12 34 56 78", "sms", "203.0.113.1");
    assert_eq!(r.error_code(), "paid_channel_not_allowed", "{}", r.body);
    let r = start_with(ctx, &gb, "+447400555011", "sms", "203.0.113.1");
    assert_eq!(send_outcome(&r), "sent");
}

fn starts_per_client_are_capped(ctx: &Ctx) {
    let site = site_limited(ctx, &[Channel::MissedCall], |l| {
        l.starts_per_client_per_hour = Some(2)
    });
    for n in 0..2 {
        let r = start_with(
            ctx,
            &site,
            &format!("+44740055502{n}"),
            "missed_call",
            "203.0.113.2",
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = start_with(ctx, &site, "+447400555029", "missed_call", "203.0.113.2");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "too_many_starts"),
        "{}",
        r.body
    );
    assert!(r.json()["error"]["retry_after"].as_u64().unwrap() > 3000);
}

fn paid_sends_are_capped_per_client_and_site(ctx: &Ctx) {
    // A script rotating numbers from one client.
    let site = site_limited(ctx, &[Channel::Sms], |l| {
        l.paid_countries = Some(vec!["*".into()]);
        l.sends_per_client_per_hour = Some(2);
        l.sends_per_site_per_hour = Some(3);
    });
    let numbers = [
        "+447400555031",
        "+447400555132",
        "+447400555233",
        "+447400555334",
    ];
    assert_eq!(
        send_outcome(&start_with(ctx, &site, numbers[0], "sms", "203.0.113.3")),
        "sent"
    );
    assert_eq!(
        send_outcome(&start_with(ctx, &site, numbers[1], "sms", "203.0.113.3")),
        "sent"
    );
    let third = start_with(ctx, &site, numbers[2], "sms", "203.0.113.3");
    assert_eq!(send_outcome(&third), "client_rate_limited");
    assert!(
        third.json()["other_channels"].is_null(),
        "an SMS-only site has no other way"
    );
    assert!(
        ctx.edge.fakes.last_message(numbers[2]).is_none(),
        "no SMS was sent"
    );
    // A refused send leaves no trace in any other counter: the client-limited third did not
    // use up the site's hour, so another client's send goes out; then the site's own hourly
    // cap holds across clients.
    let r = start_with(ctx, &site, numbers[3], "sms", "203.0.113.4");
    assert_eq!(send_outcome(&r), "sent");
    let r = start_with(ctx, &site, "+447400555435", "sms", "203.0.113.5");
    assert_eq!(send_outcome(&r), "site_rate_limited");
    let counted = refusals(ctx, &site);
    assert_eq!(counted["client_rate_limited"], 1, "{counted}");
    assert!(
        counted["site_rate_limited"].as_u64() >= Some(1),
        "{counted}"
    );
}

fn a_burst_to_one_range_blocks_it(ctx: &Ctx) {
    let site = site_limited(ctx, &[Channel::Sms, Channel::MissedCall], |l| {
        l.paid_countries = Some(vec!["*".into()]);
        l.sends_per_range_per_10_min = Some(3);
    });
    for n in 1..=3 {
        let r = start_with(
            ctx,
            &site,
            &format!("+44740066600{n}"),
            "sms",
            "203.0.113.6",
        );
        assert_eq!(send_outcome(&r), "sent");
    }
    let r = start_with(ctx, &site, "+447400666004", "sms", "203.0.113.6");
    let v = r.json();
    assert_eq!(send_outcome(&r), "range_blocked");
    assert_eq!(v["other_channels"], json!(["missed_call"]), "{v}");
    // The whole range is blocked now, even for a number not sent to before; another is not.
    let r = start_with(ctx, &site, "+447400666999", "sms", "203.0.113.7");
    assert_eq!(send_outcome(&r), "range_blocked");
    let r = start_with(ctx, &site, "+447400667001", "sms", "203.0.113.7");
    assert_eq!(send_outcome(&r), "sent");
}

fn the_daily_spend_cap_stops_paid_sends(ctx: &Ctx) {
    use ringproof_tests::fake_providers::SmsOutcome;
    let site = site_limited(ctx, &[Channel::Sms], |l| {
        l.paid_countries = Some(vec!["*".into()]);
        l.daily_spend_cap = Some("1.10".into());
    });
    // The fake reports 0.5112 USD per SMS, as TeleSign's callback does; each report replaces
    // its send's estimate (0.10), which the reference's binding names.
    for n in 1..=2 {
        let phone = format!("+44740077700{n}");
        let r = start_with(ctx, &site, &phone, "sms", "203.0.113.8");
        assert_eq!(send_outcome(&r), "sent");
        let reference = ctx.edge.fakes.last_message(&phone).unwrap().reference;
        let fired = ctx
            .edge
            .fakes
            .fire_sms(&reference, SmsOutcome::Delivered)
            .unwrap();
        assert_eq!(fired.status, 200, "{}", fired.body);
        // A repeated report is not counted twice.
        ctx.edge
            .fakes
            .fire_sms(&reference, SmsOutcome::Delivered)
            .unwrap();
    }
    // 1.0224 spent: room for one more estimate (estimates left in place would make it 1.2224).
    let r = start_with(ctx, &site, "+447400777003", "sms", "203.0.113.8");
    assert_eq!(send_outcome(&r), "sent", "{}", r.body);
    let r = start_with(ctx, &site, "+447400777004", "sms", "203.0.113.8");
    assert_eq!(send_outcome(&r), "spend_cap_reached");
}

fn wrong_codes_are_counted_per_number_across_verifications(ctx: &Ctx) {
    let site = site_limited(ctx, &[Channel::Sms], |l| {
        l.paid_countries = Some(vec!["*".into()]);
        l.failed_checks_per_number_per_day = Some(3);
    });
    let phone = "+447400888001";
    let wrong = |id: &str, code: &str, ip: &str| {
        http::post_json(
            &ctx.url(&format!("/v1/verifications/{id}/check")),
            &json!({"code": code}),
            &[("Origin", ORIGIN), ("CF-Connecting-IP", ip)],
        )
        .unwrap()
    };
    let first = start_with(ctx, &site, phone, "sms", "203.0.113.9").json();
    let id = first["verification_id"].as_str().unwrap().to_owned();
    let code = ctx.edge.fakes.last_message(phone).unwrap().code;
    let bad = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        assert_eq!(wrong(&id, bad, "203.0.113.9").status, 200);
    }
    // The attacker restarts to get fresh tries, from another address: the number is locked on
    // this site, and told so before another code is texted.
    let last_sent = || ctx.edge.fakes.last_message(phone).map(|m| m.reference);
    let sent_before = last_sent();
    let again = start_with(ctx, &site, phone, "sms", "203.0.113.10");
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (429, "number_locked"),
        "{}",
        again.body
    );
    assert_eq!(last_sent(), sent_before, "a locked number is not texted");
    let locked = wrong(&id, bad, "203.0.113.10");
    assert_eq!(
        (locked.status, locked.error_code().as_str()),
        (429, "number_locked"),
        "{}",
        locked.body
    );
    assert!(locked.json()["error"]["retry_after"].as_u64().unwrap() > 80_000);
    assert!(
        locked.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wrong codes"),
        "the visitor is told why"
    );
    // Each look at the locks is paid for with one of the verification's checks (it had five,
    // three went on wrong codes): looking is bounded as guessing is.
    let looked = wrong(&id, bad, "203.0.113.10");
    assert_eq!(looked.error_code(), "number_locked", "{}", looked.body);
    let spent = wrong(&id, bad, "203.0.113.10");
    assert_eq!(
        (spent.status, spent.error_code().as_str()),
        (429, "too_many_attempts"),
        "{}",
        spent.body
    );
    let view = http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}")),
        &[("Origin", ORIGIN)],
    )
    .unwrap()
    .json();
    assert_eq!(
        (&view["status"], &view["failure"]["code"]),
        (&json!("failed"), &json!("too_many_attempts")),
        "the last check spent on a lock ends the verification: {view}"
    );
    // Right codes are not failures: another number verifies and leaves its count alone.
    let other = "+447400888002";
    let v = start_with(ctx, &site, other, "sms", "203.0.113.9").json();
    let oid = v["verification_id"].as_str().unwrap();
    let right = ctx.edge.fakes.last_message(other).unwrap().code;
    assert_eq!(
        wrong(oid, &right, "203.0.113.9").json()["status"],
        "verified"
    );
}

/// A script posting straight to the API, with no proof, a forged one, another site's, or one
/// it already spent: refused before any provider is called.
fn no_paid_send_without_a_fresh_proof_of_work(ctx: &Ctx) {
    let site = site_limited(ctx, &[Channel::Sms, Channel::MissedCall], |l| {
        l.paid_countries = Some(vec!["*".into()]);
    });
    let other = site_limited(ctx, &[Channel::Sms], |_| {});
    let phone = "+447400999101";
    let post = |proof: serde_json::Value| {
        http::post_json(
            &ctx.url("/v1/verifications"),
            &json!({"site_key": site.site_key, "phone": phone, "channel": "sms", "proof": proof}),
            &[("Origin", ORIGIN)],
        )
        .unwrap()
    };
    let r = post(json!(null));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "proof_required"),
        "{}",
        r.body
    );
    let forged = ringproof_core::pow::encode(&ringproof_api::PowSolution {
        algorithm: "SHA-256".into(),
        challenge: "00".repeat(32),
        number: 0,
        salt: format!("x?expires=9999999999&site={}", site.site_key),
        signature: "00".repeat(32),
    });
    let foreign = proof::solved(&ctx.edge.base_url, &other.site_key, ORIGIN).unwrap();
    for bad in [json!("not base64"), json!(forged), json!(foreign)] {
        let r = post(bad.clone());
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "proof_invalid"),
            "{bad}"
        );
    }
    assert!(
        ctx.edge.fakes.last_message(phone).is_none(),
        "no provider was called"
    );
    // A good proof buys one send, once.
    let good = proof::solved(&ctx.edge.base_url, &site.site_key, ORIGIN).unwrap();
    let bought = post(json!(good));
    assert_eq!(bought.status, 201, "{}", bought.body);
    let replay = post(json!(good));
    assert_eq!(
        (replay.status, replay.error_code().as_str()),
        (403, "proof_invalid")
    );
    // Another send of the same verification is another paid attempt: it needs its own proof.
    let id = bought.json()["verification_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Past the test edge's 3 s cool-down, so only the proof is missing.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let resend = http::post_json(
        &ctx.url(&format!("/v1/verifications/{id}/resend")),
        &json!({}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (resend.status, resend.error_code().as_str()),
        (400, "proof_required"),
        "{}",
        resend.body
    );
    // The free missed call needs one too (its lines are scarce), and so does a switch.
    let missed = |proof: serde_json::Value| {
        http::post_json(
            &ctx.url("/v1/verifications"),
            &json!({"site_key": site.site_key, "phone": "+447400999102", "channel": "missed_call",
                    "proof": proof}),
            &[("Origin", ORIGIN)],
        )
        .unwrap()
    };
    assert_eq!(missed(json!(null)).error_code(), "proof_required");
    let r = missed(json!(proof::solved(
        &ctx.edge.base_url,
        &site.site_key,
        ORIGIN
    )));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    // Past the cool-down, so only the proof decides.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let switch = |proof: Option<String>| {
        http::post_json(
            &ctx.url(&format!("/v1/verifications/{id}/switch")),
            &json!({"channel": "sms", "proof": proof}),
            &[("Origin", ORIGIN)],
        )
        .unwrap()
    };
    assert_eq!(switch(None).error_code(), "proof_required");
    // A start's proof buys no switch: a switch's is fetched for its verification.
    let for_a_start = proof::solved(&ctx.edge.base_url, &site.site_key, ORIGIN);
    assert_eq!(switch(for_a_start).error_code(), "proof_invalid");
    let asker = proof::Asker {
        client_ip: None,
        verification: Some(&id),
    };
    let for_it = proof::solved_by(&ctx.edge.base_url, &site.site_key, ORIGIN, asker);
    let r = switch(for_it.clone());
    assert_eq!(r.status, 200, "{}", r.body);
    // The switch spent it: past the cool-down, the same proof buys no resend.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let again = http::post_json(
        &ctx.url(&format!("/v1/verifications/{id}/resend")),
        &json!({"proof": for_it}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (403, "proof_invalid"),
        "{}",
        again.body
    );
    // A proof pays only for the client that fetched it.
    let elsewhere = proof::Asker {
        client_ip: Some("192.0.2.200"),
        verification: None,
    };
    let theirs = proof::solved_by(&ctx.edge.base_url, &site.site_key, ORIGIN, elsewhere);
    let r = http::post_json(
        &ctx.url("/v1/verifications"),
        &json!({"site_key": site.site_key, "phone": "+447400999103", "channel": "sms", "proof": theirs}),
        &[("Origin", ORIGIN), ("CF-Connecting-IP", "192.0.2.201")],
    )
    .unwrap();
    assert_eq!(r.error_code(), "proof_invalid", "{}", r.body);
    // Challenges go only to the site's own pages.
    let c = http::get_with(
        &ctx.url(&format!("/v1/challenge?site_key={}", site.site_key)),
        &[("Origin", "https://evil.example")],
    )
    .unwrap();
    assert_eq!(
        (c.status, c.error_code().as_str()),
        (403, "origin_not_allowed")
    );
    // Every refusal is counted for the operator, by its code.
    let counted = refusals(ctx, &site);
    assert_eq!(counted["proof_required"], 4, "{counted}");
    assert_eq!(counted["proof_invalid"], 7, "{counted}");
}

/// The numbering-plan endpoints answer only the site's own pages, only for its countries, and
/// never from a shared cache: a script learns nothing a page of the site would not show, and
/// cannot use a site to map countries it does not serve.
fn country_plans_answer_only_the_sites_pages_and_countries(ctx: &Ctx) {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Plans", &[ORIGIN]);
    site.allowed_countries = vec!["SK".into(), "RU".into()];
    ctx.edge.put_site(&site).unwrap();
    let get = |path: &str, origin: &str| {
        let url = ctx.url(&format!("/v1/countries{path}?site_key={}", site.site_key));
        http::get_with(
            &url,
            &[("Origin", origin), ("CF-Connecting-IP", "198.51.100.9")],
        )
        .unwrap()
    };
    let list = get("", ORIGIN);
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        list.header("cache-control"),
        Some("private, max-age=600"),
        "the browser's own cache, 10 minutes, as the README says"
    );
    let ids: Vec<String> = list.json()["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["country"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["SK", "RU"]);
    let sk = get("/SK", ORIGIN);
    assert_eq!(
        (sk.status, sk.json()["dial_code"].clone()),
        (200, json!(421))
    );
    // Another site's page reads nothing, and is counted as a refusal.
    let foreign = get("", "https://evil.example");
    assert_eq!(
        (foreign.status, foreign.error_code().as_str()),
        (403, "origin_not_allowed")
    );
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    assert_eq!(get("/SK", "https://evil.example").status, 403);
    // Only the site's countries.
    let gb = get("/GB", ORIGIN);
    assert_eq!(
        (gb.status, gb.error_code().as_str()),
        (400, "country_not_allowed")
    );
    let unknown = http::get_with(
        &ctx.url("/v1/countries?site_key=rp_site_nope"),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(unknown.error_code(), "unknown_site");
    assert_eq!(refusals(ctx, &creds)["origin_not_allowed"], 2);
}

/// Today's refusals of `site`, as the operator reads them.
fn refusals(ctx: &Ctx, site: &SandboxSite) -> serde_json::Value {
    let path = format!("/{}/refusals", site.site_key);
    let r = crate::e2e::sites::admin(ctx, "GET", &path, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["refusals"].clone()
}

/// The attacker claims the victim site's next order id from the public endpoint, with their
/// own phone, before the real customer does.
fn a_page_cannot_squat_the_sites_transaction_ids(ctx: &Ctx) {
    let site = ctx.site_with(&[Channel::MissedCall]);
    let ctid = format!("order-squat-{}", crate::now_secs());
    let squat = ctx.create(
        json!({"site_key": site.site_key, "phone": "+447400555901", "channel": "missed_call",
               "client_transaction_id": ctid}),
        Some(ORIGIN),
    );
    assert_eq!(
        (squat.status, squat.error_code().as_str()),
        (400, "transaction_id_unsigned"),
        "{}",
        squat.body
    );
    let forged = ctx.create(
        json!({"site_key": site.site_key, "phone": "+447400555901", "channel": "missed_call",
               "client_transaction_id": ctid,
               "client_transaction_signature": crate::signed("rp_secret_guess", &ctid)}),
        Some(ORIGIN),
    );
    assert_eq!(forged.error_code(), "transaction_id_unsigned");
    // Nothing was claimed: the real customer's page, with the server's signature, gets it.
    let real = ctx.create(
        json!({"site_key": site.site_key, "phone": visitor_phone(), "channel": "missed_call",
               "client_transaction_id": ctid,
               "client_transaction_signature": crate::signed(&site.secret, &ctid)}),
        Some(ORIGIN),
    );
    assert_eq!(real.status, 201, "{}", real.body);
    let auth = format!("Bearer {}", site.secret);
    let t = http::get_with(
        &ctx.url(&format!("/v1/transactions/{ctid}")),
        &[("Authorization", auth.as_str())],
    )
    .unwrap();
    assert_eq!(t.json()["phone"], crate::visitor_e164(), "{}", t.body);

    // OneRing from a page: an unsigned id starts the verification but binds nothing.
    let onering = |ctid: &str, extra: &str, headers: &[(&str, &str)]| {
        // A page pays a proof of work; the site's server does not.
        let page = headers
            .iter()
            .find(|(k, _)| *k == "Referer")
            .map(|(_, v)| *v);
        let proof = page
            .map(|p| ctx.onering_proof(&ctx.edge.sandbox.site_key, p))
            .unwrap_or_default();
        let url = ctx.url(&format!(
            "/Apps/Plugin/NewMobileRecorded.ashx?ApiKey={}&ActivityTokenId={}&MobileNumber=447400555902&ClientTransactionId={ctid}{extra}{proof}",
            ctx.edge.sandbox.api_key, ctx.edge.sandbox.activity_token_id
        ));
        http::get_with(&url, headers).unwrap().json()
    };
    let page_ctid = format!("page-{}", crate::now_secs());
    let r = onering(
        &page_ctid,
        "",
        &[("Referer", "http://localhost:3000/signup")],
    );
    assert_eq!(r["Message"], "Success", "{r}");
    let sandbox_auth = format!("Bearer {}", ctx.edge.sandbox.secret);
    let lookup = http::get_with(
        &ctx.url(&format!("/v1/transactions/{page_ctid}")),
        &[("Authorization", sandbox_auth.as_str())],
    )
    .unwrap();
    assert_eq!(
        lookup.status, 404,
        "an unsigned id never shows up: {}",
        lookup.body
    );
    // ... and is not exclusive: the site's server can still use it.
    let r = onering(&page_ctid, "", &[("Authorization", sandbox_auth.as_str())]);
    assert_eq!(r["Message"], "Success", "{r}");
    // A header-less call on the public ApiKey alone is refused.
    let r = onering(&format!("{page_ctid}-2"), "", &[]);
    assert_eq!(r["Message"], "Failed#InvalidApiKey", "{r}");
}

/// A script replays one spent proof of work, each time naming a ClientTransactionId: every
/// replay is refused, and neither the client's starts nor the id stay taken. Round one counts
/// the client's start and claims the id beside the proof's spend, and gives both back when the
/// proof turns out spent already.
fn a_replayed_proof_takes_nothing_from_its_client_or_its_transaction_id(ctx: &Ctx) {
    let site = site_limited(ctx, &[Channel::MissedCall], |l| {
        l.starts_per_client_per_hour = Some(2)
    });
    let ip = "198.51.100.77";
    let solved = || {
        let asker = proof::Asker {
            client_ip: Some(ip),
            verification: None,
        };
        proof::solved_by(&ctx.edge.base_url, &site.site_key, ORIGIN, asker).unwrap()
    };
    let post = |proof: &str, phone: &str, ctid: Option<&str>| {
        let mut body = json!({"site_key": site.site_key, "phone": phone,
                              "channel": "missed_call", "proof": proof});
        if let Some(c) = ctid {
            body["client_transaction_id"] = json!(c);
            body["client_transaction_signature"] = json!(crate::signed(&site.secret, c));
        }
        http::post_json(
            &ctx.url("/v1/verifications"),
            &body,
            &[("Origin", ORIGIN), ("CF-Connecting-IP", ip)],
        )
        .unwrap()
    };
    let spent = solved();
    let first = post(&spent, "+447400555921", None);
    assert_eq!(first.status, 201, "{}", first.body);
    let ctid = format!("replayed-{}", crate::now_secs());
    for _ in 0..5 {
        let r = post(&spent, "+447400555922", Some(&ctid));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "proof_invalid"),
            "{}",
            r.body
        );
    }
    // The client's second start of two, under the id the replays named.
    let second = post(&solved(), "+447400555922", Some(&ctid));
    assert_eq!(second.status, 201, "{}", second.body);
    let auth = format!("Bearer {}", site.secret);
    let t = http::get_with(
        &ctx.url(&format!("/v1/transactions/{ctid}")),
        &[("Authorization", auth.as_str())],
    )
    .unwrap();
    assert_eq!(t.json()["phone"], "+447400555922", "{}", t.body);
    // Only the two real starts were counted.
    let third = post(&solved(), "+447400555923", None);
    assert_eq!(
        (third.status, third.error_code().as_str()),
        (429, "too_many_starts"),
        "{}",
        third.body
    );
}

/// A site that uses Cloudflare Turnstile: a script without a token solved on the site's page
/// starts nothing (siteverify against a fake speaking Turnstile's wire format).
fn turnstile_sites_start_only_with_a_valid_token(ctx: &Ctx) {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Turnstile", &["http://localhost:*"]);
    site.channels = vec![Channel::MissedCall];
    let master = ctx.edge.secrets.site_secret_key.as_bytes();
    let plain = ctx.edge.fakes.config().turnstile_secret;
    let sealed = ringproof_core::secret::seal(master, &creds.site_key, &plain, &mut OsRandom);
    site.turnstile_secret = Some(sealed);
    ctx.edge.put_site(&site).unwrap();
    let start = |token: Option<String>| {
        ctx.create(
            json!({"site_key": creds.site_key, "phone": "+447400555950", "channel": "missed_call",
                   "turnstile_response": token}),
            Some(ORIGIN),
        )
    };
    let r = start(None);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "turnstile_required"),
        "{}",
        r.body
    );
    let r = start(Some("XXXX.DUMMY.TOKEN.XXXX".into()));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "turnstile_failed"),
        "{}",
        r.body
    );
    // Turnstile down: closed, not open, and the token is not spent.
    let token = ctx.edge.fakes.turnstile_token("localhost");
    {
        let _down = ctx
            .edge
            .fakes
            .in_mode(Provider::Turnstile, Mode::ServerError);
        let r = start(Some(token.clone()));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (503, "turnstile_unavailable"),
            "{}",
            r.body
        );
    }
    assert_eq!(
        start(Some(token)).status,
        201,
        "the same token, once Turnstile is back"
    );
    // Solved on another site's page: refused, though Turnstile itself says success.
    let elsewhere = ctx.edge.fakes.turnstile_token("evil.example");
    assert_eq!(start(Some(elsewhere)).error_code(), "turnstile_failed");
    let token = ctx.edge.fakes.turnstile_token("localhost");
    let r = start(Some(token.clone()));
    assert_eq!(r.status, 201, "{}", r.body);
    let replay = start(Some(token));
    assert_eq!(
        replay.error_code(),
        "turnstile_failed",
        "a token is spent once"
    );
    // The admin API never shows the secret, only that the check is on.
    let shown = crate::e2e::sites::admin(ctx, "GET", &format!("/{}", creds.site_key), None);
    assert_eq!(shown.json()["turnstile"], true, "{}", shown.body);
    assert!(!shown
        .body
        .contains(&ctx.edge.fakes.config().turnstile_secret));
}

/// An operator forgot `wrangler secret put TOKEN_KEY`: the first request says which secret is
/// missing, as a 503 with a stable code, instead of a 500 somewhere later.
fn a_deployment_missing_a_secret_names_it(_ctx: &Ctx) {
    let edge = ringproof_tests::harness::LocalEdge::start_for_tests_without(&[
        "TOKEN_KEY",
        "SITE_SECRET_KEY",
    ])
    .expect("an edge without two secrets");
    let r = http::post(
        &format!("{}/v1/carriers/twilio", edge.base_url),
        "application/x-www-form-urlencoded",
        "CallSid=CA1&From=%2B447400123456&To=%2B442079460000",
        &[],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (503, "deployment_misconfigured"),
        "{}",
        r.body
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("SITE_SECRET_KEY")),
        "{}",
        r.body
    );
    for path in ["/v1/sandbox", "/v1/siteverify", "/v1/verifications/x"] {
        let r = http::get(&format!("{}{path}", edge.base_url)).unwrap();
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (503, "deployment_misconfigured"),
            "{path}: {}",
            r.body
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("TOKEN_KEY") && message.contains("SITE_SECRET_KEY"),
            "{message}"
        );
    }
    // wrangler writes the Worker's console a moment after the answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !edge
        .log_tail()
        .contains("missing required configuration: TOKEN_KEY")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the operator's log names it too: {}",
            edge.log_tail()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
