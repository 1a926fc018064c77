//! Issue 23: no defence a stranger can turn against an honest visitor. Each scenario is an
//! attack from the issue, made as a script would make it (its own site, other sites' public
//! keys, test keys, many numbers and many addresses, proofs of work solved as the widget
//! solves them), with the honest visitor alongside who must still verify.

use crate::e2e::attacks::start_with as start;
use crate::{inbound_number, Ctx, Scenario, ORIGIN};
use ringproof_api::{paths, Channel, SiteLimits};
use ringproof_tests::harness::{OsRandom, SandboxSite, SANDBOX_NUMBERS};
use ringproof_tests::request_costs::Calls;
use ringproof_tests::{http, proof, ws_client};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    a_stranger_cannot_lock_a_number_on_a_site_they_do_not_control,
    concurrent_checks_count_only_the_codes_compared,
    missed_call_lines_cannot_be_hoarded_or_rerouted,
    refused_sends_leave_no_trace_and_range_blocks_stay_on_their_site,
    an_ipv6_client_is_its_64_within_its_48,
    the_proof_of_work_grows_with_paid_attempts_only,
    turnstile_is_checked_on_every_paid_attempt_and_on_onering,
    the_live_token_goes_only_to_the_verifications_page,
    sockets_are_bounded_per_client,
    test_keys_are_not_sites_and_keep_no_records,
    telesign_callbacks_must_carry_telesigns_signature,
    the_spend_cap_counts_every_channel_before_it_sends,
];

/// A site of its own (the attacker's or the victim's) with these channels and limits, paying
/// for every country.
fn site(
    ctx: &Ctx,
    channels: &[Channel],
    change: impl Fn(&mut ringproof_core::site::Site),
) -> SandboxSite {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Bystanders", &["http://localhost:*"]);
    site.channels = channels.to_vec();
    site.limits = SiteLimits {
        paid_countries: Some(vec!["*".into()]),
        pow_max_number: Some(ringproof_core::limits::POW_MAX_NUMBER_RANGE.0),
        ..Default::default()
    };
    change(&mut site);
    ctx.edge.put_site(&site).unwrap();
    creds
}

fn check(ctx: &Ctx, id: &str, code: &str, ip: &str) -> http::Reply {
    http::post_json(
        &ctx.url(&format!("/v1/verifications/{id}/check")),
        &json!({"code": code}),
        &[("Origin", ORIGIN), ("CF-Connecting-IP", ip)],
    )
    .unwrap()
}

/// A resend or switch (`path`) from `ip`, with a proof fetched for the verification.
fn again(
    ctx: &Ctx,
    site: &SandboxSite,
    id: &str,
    path: &str,
    mut body: Value,
    ip: &str,
) -> http::Reply {
    let asker = proof::Asker {
        client_ip: Some(ip),
        verification: Some(id),
    };
    body["proof"] = json!(proof::solved_by(
        &ctx.edge.base_url,
        &site.site_key,
        ORIGIN,
        asker
    ));
    http::post_json(
        &ctx.url(&format!("/v1/verifications/{id}/{path}")),
        &body,
        &[("Origin", ORIGIN), ("CF-Connecting-IP", ip)],
    )
    .unwrap()
}

fn id_of(r: &http::Reply) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["verification_id"].as_str().unwrap().to_owned()
}

fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// The attacker starts verifications for the victim's number on a site of their own and types
/// wrong codes until it locks. The victim, on another site, is texted and verifies; the
/// attacker's own client stays locked for that number wherever it goes; and the attacker's
/// site tells a locked number so before it texts it again.
fn a_stranger_cannot_lock_a_number_on_a_site_they_do_not_control(ctx: &Ctx) {
    let victim = "+447400555701";
    let lockable = |s: &mut ringproof_core::site::Site| {
        s.limits.failed_checks_per_number_per_day = Some(3);
    };
    let attackers = site(ctx, &[Channel::Sms], lockable);
    let victims = site(ctx, &[Channel::Sms, Channel::MissedCall], lockable);
    let (attacker_ip, victim_ip) = ("203.0.113.71", "198.51.100.71");

    let id = id_of(&start(ctx, &attackers, victim, "sms", attacker_ip));
    let texted = ctx.edge.fakes.last_message(victim).unwrap();
    for _ in 0..3 {
        let r = check(ctx, &id, wrong_code(&texted.code), attacker_ip);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Locked on the attacker's site: told before anything is sent.
    let r = start(ctx, &attackers, victim, "sms", "203.0.113.72");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "number_locked"),
        "{}",
        r.body
    );
    let last = ctx.edge.fakes.last_message(victim).map(|m| m.reference);
    assert_eq!(
        last.as_deref(),
        Some(texted.reference.as_str()),
        "nothing more was texted"
    );
    // The attacker's client carries its lock to the victim's site; a start that names no
    // channel gets the missed call, which needs no code, instead of a dead end.
    let r = start(ctx, &victims, victim, "sms", attacker_ip);
    assert_eq!(r.error_code(), "number_locked", "{}", r.body);
    let asker = proof::Asker {
        client_ip: Some(attacker_ip),
        verification: None,
    };
    let proof = proof::solved_by(&ctx.edge.base_url, &victims.site_key, ORIGIN, asker);
    let r = http::post_json(
        &ctx.url("/v1/verifications"),
        &json!({"site_key": victims.site_key, "phone": victim, "proof": proof}),
        &[("Origin", ORIGIN), ("CF-Connecting-IP", attacker_ip)],
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["channel"], "missed_call", "{}", r.body);

    // The victim, on their own site, is texted and verifies.
    let id = id_of(&start(ctx, &victims, victim, "sms", victim_ip));
    let code = ctx.edge.fakes.last_message(victim).unwrap().code;
    let r = check(ctx, &id, &code, victim_ip);
    assert_eq!(r.json()["status"], "verified", "{}", r.body);
}

/// Fifty concurrent checks on one verification whose cap is five: five codes are compared and
/// the rest refused by the cap, not by a lock; the number stays open on the site.
fn concurrent_checks_count_only_the_codes_compared(ctx: &Ctx) {
    let phone = "+447400555702";
    let s = site(ctx, &[Channel::Sms], |s| {
        s.limits.failed_checks_per_number_per_day = Some(10);
    });
    let ip = "203.0.113.73";
    let id = id_of(&start(ctx, &s, phone, "sms", ip));
    let right = ctx.edge.fakes.last_message(phone).unwrap().code;
    let bad = wrong_code(&right);
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| scope.spawn(|| check(ctx, &id, bad, ip)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let r = h.join().unwrap();
                (r.status, r.error_code())
            })
            .collect()
    });
    let compared = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(compared, 5, "the cap: {answers:?}");
    assert!(
        answers.iter().all(|(_, code)| code != "number_locked"),
        "no check was refused as a lock: {answers:?}"
    );
    // Five wrong codes of ten: the same client, on the same site, is texted again.
    let r = start(ctx, &s, phone, "sms", ip);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "pending", "{}", r.body);
}

/// Lines: test keys hold none of a real caller's; a refused switch reserves none; one client
/// holds at most two of a caller's lines over every site; and a released pair stays its
/// verification's, so a provider's repeated report (named by its call id) is a repeat.
fn missed_call_lines_cannot_be_hoarded_or_rerouted(ctx: &Ctx) {
    let victim = "+447400555703";
    // One number in the pool, shared by every site here: any hoarding would show.
    let line = SANDBOX_NUMBERS[0].to_owned();
    let one_line = |s: &mut ringproof_core::site::Site| s.inbound_numbers = vec![line.clone()];
    let victims = site(ctx, &[Channel::MissedCall], one_line);
    let sms_only = site(ctx, &[Channel::Sms], one_line);

    // Test keys, from many addresses, as many as their site allows: their lines are their own.
    let test_key = SandboxSite {
        site_key: ringproof_core::test_keys::SITE_MISSED_CALL.into(),
        ..Default::default()
    };
    for i in 0..ringproof_core::limits::PENDING_CALLS_PER_NUMBER {
        let r = start(
            ctx,
            &test_key,
            victim,
            "missed_call",
            &format!("192.0.2.{}", 30 + i),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // A switch to a channel the site does not offer is refused, and reserves nothing.
    let id = id_of(&start(ctx, &sms_only, victim, "sms", "203.0.113.74"));
    std::thread::sleep(Duration::from_secs(3));
    let r = again(
        ctx,
        &sms_only,
        &id,
        "switch",
        json!({"channel": "missed_call"}),
        "203.0.113.74",
    );
    assert_eq!(r.error_code(), "channel_not_available", "{}", r.body);

    // The victim gets the only line.
    let r = start(ctx, &victims, victim, "missed_call", "198.51.100.73");
    let v = r.json();
    assert_eq!(r.status, 201, "{}", r.body);
    let shown = inbound_number(v["call_to_uri"].as_str().unwrap());
    assert_eq!(shown, line);

    // One client holds two lines of a caller at most, whatever the sites.
    let big = site(ctx, &[Channel::MissedCall], |s| {
        s.limits.starts_per_client_per_hour = Some(2)
    });
    let other = site(ctx, &[Channel::MissedCall], |_| {});
    let hoarder = "203.0.113.75";
    let caller = "+447400555704";
    assert_eq!(start(ctx, &big, caller, "missed_call", hoarder).status, 201);
    assert_eq!(
        start(ctx, &other, caller, "missed_call", hoarder).status,
        201
    );
    let r = start(ctx, &big, caller, "missed_call", hoarder);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "lines_busy"),
        "{}",
        r.body
    );
    // That refused start still counts: a client cannot ask for a caller's lines without end.
    let r = start(ctx, &big, "+447400555705", "missed_call", hoarder);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "too_many_starts"),
        "{}",
        r.body
    );
    // ... and another client of the same caller is not refused for it.
    assert_eq!(
        start(ctx, &big, caller, "missed_call", "198.51.100.74").status,
        201
    );

    // The victim calls; the carrier reports the call twice (a retry), by its call id.
    let call = ctx.edge.incoming_call(victim, &shown);
    let report = |call: &ringproof_tests::fake_providers::CarrierRequest| {
        call.send().unwrap().call_outcome().to_owned()
    };
    assert_eq!(report(&call), "verified");
    // A stranger starts for the victim's number at once: the released pair is not theirs.
    let r = start(ctx, &victims, victim, "missed_call", "203.0.113.76");
    assert_eq!(r.error_code(), "lines_busy", "{}", r.body);
    assert_eq!(report(&call), "repeat", "the retry reached the victim's");
    assert_eq!(
        report(&ctx.edge.incoming_call(victim, &shown)),
        "repeat",
        "so does another call on the pair"
    );
}

/// A stranger's refused sends use up nothing of anyone's, and a range block set by one site
/// (by its own threshold) holds on that site only.
fn refused_sends_leave_no_trace_and_range_blocks_stay_on_their_site(ctx: &Ctx) {
    let strict = site(ctx, &[Channel::Sms, Channel::MissedCall], |s| {
        s.limits.sends_per_range_per_10_min = Some(1);
        s.limits.sends_per_site_per_hour = Some(3);
    });
    let honest = site(ctx, &[Channel::Sms], |_| {});
    let ip = "203.0.113.77";
    let sent = |r: &http::Reply| {
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["failure"]["code"]
            .as_str()
            .unwrap_or("sent")
            .to_owned()
    };
    assert_eq!(
        sent(&start(ctx, &strict, "+447400771001", "sms", ip)),
        "sent"
    );
    // The range is blocked on the strict site, for every number in it ...
    let victim = "+447400771002";
    for _ in 0..4 {
        assert_eq!(
            sent(&start(ctx, &strict, victim, "sms", ip)),
            "range_blocked"
        );
    }
    // ... refused sends took nothing of the site's hour (3): two more ranges still go out ...
    assert_eq!(
        sent(&start(ctx, &strict, "+447400772001", "sms", ip)),
        "sent"
    );
    assert_eq!(
        sent(&start(ctx, &strict, "+447400773001", "sms", ip)),
        "sent"
    );
    assert_eq!(
        sent(&start(ctx, &strict, "+447400774001", "sms", ip)),
        "site_rate_limited"
    );
    // ... and the block is the strict site's alone: the victim is texted on another site.
    assert_eq!(
        sent(&start(ctx, &honest, victim, "sms", "198.51.100.77")),
        "sent"
    );
}

/// Per-client limits count an IPv6 client by its /64, and its /48 (which a carrier's
/// subscribers share) sixteen times as widely; only starts that paid a proof are counted.
fn an_ipv6_client_is_its_64_within_its_48(ctx: &Ctx) {
    let s = site(ctx, &[Channel::MissedCall], |s| {
        s.limits.starts_per_client_per_hour = Some(2);
    });
    let wide = ringproof_core::client::NETWORKS_PER_ALLOCATION;
    let mut n = 0;
    let mut go = |ip: &str| {
        n += 1;
        start(ctx, &s, &format!("+4474007{n:05}"), "missed_call", ip)
    };
    assert_eq!(go("2001:db8:78:1::1").status, 201);
    assert_eq!(go("2001:db8:78:1::2").status, 201);
    let r = go("2001:db8:78:1:ffff::3");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "too_many_starts"),
        "rotating in a /64"
    );
    // A neighbour on the same /48 that pays no proof counts for nothing.
    for _ in 0..5 {
        let r = http::post_json(
            &ctx.url("/v1/verifications"),
            &json!({"site_key": s.site_key, "phone": "+447400780999", "channel": "missed_call"}),
            &[
                ("Origin", ORIGIN),
                ("CF-Connecting-IP", "2001:db8:78:99::1"),
            ],
        )
        .unwrap();
        assert_eq!(r.error_code(), "proof_required");
    }
    // Other /64s of the /48 each get their own, up to sixteen clients' worth for the /48.
    for net in 2..=wide {
        for host in 1..=2 {
            let r = go(&format!("2001:db8:78:{net:x}::{host}"));
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }
    let r = go("2001:db8:78:ff::1");
    assert_eq!(r.error_code(), "too_many_starts", "the /48 is bounded too");
    assert_eq!(go("2001:db8:79:1::1").status, 201, "another /48");
}

/// A site's proof of work grows with its paid attempts only: refusals that cost nothing (a
/// foreign page, a missing proof) do not make it harder for the site's visitors, and a
/// stranger's free challenges do not queue in the site's object.
fn the_proof_of_work_grows_with_paid_attempts_only(ctx: &Ctx) {
    let s = site(ctx, &[Channel::Sms], |s| {
        s.limits.sends_per_client_per_hour = Some(1);
        s.limits.starts_per_client_per_hour = Some(500);
    });
    let base = ringproof_core::limits::POW_MAX_NUMBER_RANGE.0;
    let difficulty = || {
        let asker = proof::Asker {
            client_ip: Some("198.51.100.91"),
            verification: None,
        };
        proof::challenge(&ctx.edge.base_url, &s.site_key, ORIGIN, asker)
            .unwrap()
            .maxnumber
    };
    let step = ringproof_core::pow::PRESSURE_STEP;
    for _ in 0..step {
        let r = http::post_json(
            &ctx.url("/v1/verifications"),
            &json!({"site_key": s.site_key, "phone": "+447400791001", "channel": "sms"}),
            &[("Origin", ORIGIN), ("CF-Connecting-IP", "203.0.113.91")],
        )
        .unwrap();
        assert_eq!(r.error_code(), "proof_required");
    }
    assert_eq!(difficulty(), base, "free refusals raised nothing");
    // Paid attempts (one sent, the rest refused by the client's limit) double it.
    for n in 0..step {
        let r = start(
            ctx,
            &s,
            &format!("+4474007920{n:02}"),
            "sms",
            "203.0.113.92",
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // A read of the pressure stands for a second in the isolate.
    std::thread::sleep(
        Duration::from_secs(ringproof_core::pow::PRESSURE_READ_SECS) + Duration::from_millis(200),
    );
    assert_eq!(difficulty(), 2 * base);
    // So a stranger's free challenges do not queue in the site's object: they cost at most
    // one read a second between them, not one each.
    let began = Instant::now();
    let mut calls = 0;
    for n in 0..20 {
        let r = http::get_with(
            &ctx.url(&paths::challenge(&s.site_key)),
            &[
                ("Origin", ORIGIN),
                ("CF-Connecting-IP", &format!("198.51.100.{n}")),
            ],
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        calls += Calls::of(&r).unwrap().calls;
    }
    let secs = began.elapsed().as_secs();
    assert!(
        calls <= 1 + secs,
        "20 challenges in {secs} s read the site's object {calls} times"
    );
}

/// On a site that checks Turnstile, every paid attempt needs its own token (one token does not
/// buy every resend), and OneRing's endpoint checks it too.
fn turnstile_is_checked_on_every_paid_attempt_and_on_onering(ctx: &Ctx) {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut s = ctx
        .edge
        .site(&creds, "Turnstile everywhere", &["http://localhost:*"]);
    s.channels = vec![Channel::Sms, Channel::MissedCall];
    let plain = ctx.edge.fakes.config().turnstile_secret;
    let master = ctx.edge.secrets.site_secret_key.as_bytes();
    s.turnstile_secret = Some(ringproof_core::secret::seal(
        master,
        &creds.site_key,
        &plain,
        &mut OsRandom,
    ));
    ctx.edge.put_site(&s).unwrap();
    let phone = "+447400555705";
    let ip = "203.0.113.78";
    let asker = proof::Asker {
        client_ip: Some(ip),
        verification: None,
    };
    let proof = proof::solved_by(&ctx.edge.base_url, &creds.site_key, ORIGIN, asker);
    let token = ctx.edge.fakes.turnstile_token("localhost");
    let r = http::post_json(
        &ctx.url("/v1/verifications"),
        &json!({"site_key": creds.site_key, "phone": phone, "channel": "sms", "proof": proof,
                "turnstile_response": token}),
        &[("Origin", ORIGIN), ("CF-Connecting-IP", ip)],
    )
    .unwrap();
    let id = id_of(&r);
    std::thread::sleep(Duration::from_secs(3));
    let r = again(ctx, &creds, &id, "resend", json!({}), ip);
    assert_eq!(r.error_code(), "turnstile_required", "{}", r.body);
    let r = again(
        ctx,
        &creds,
        &id,
        "resend",
        json!({"turnstile_response": token}),
        ip,
    );
    assert_eq!(
        r.error_code(),
        "turnstile_failed",
        "a spent token: {}",
        r.body
    );
    let fresh = ctx.edge.fakes.turnstile_token("localhost");
    let r = again(
        ctx,
        &creds,
        &id,
        "resend",
        json!({"turnstile_response": fresh}),
        ip,
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // OneRing from a page: the same token rule.
    let onering = |extra: &str| {
        let page = "http://localhost:3000/signup";
        let url = ctx.url(&format!(
            "/Apps/Plugin/NewMobileRecorded.ashx?ApiKey={}&ActivityTokenId={}&MobileNumber=447400555706&ClientTransactionId=t-{}{}{extra}",
            creds.api_key,
            creds.activity_token_id,
            crate::now_secs(),
            ctx.onering_proof(&creds.site_key, page)
        ));
        http::get_with(&url, &[("Referer", page)]).unwrap().json()
    };
    assert_eq!(onering("")["Message"], "Failed#TurnstileFailed");
    let token = ctx.edge.fakes.turnstile_token("localhost");
    let r = onering(&format!("&cf-turnstile-response={token}"));
    assert_eq!(r["Message"], "Success", "{r}");
}

/// The verification id travels in image URLs and OneRing's answers: a request without the
/// verification's page as its Origin never reads the live token.
fn the_live_token_goes_only_to_the_verifications_page(ctx: &Ctx) {
    let v = ctx.start();
    ctx.call(&v);
    let id = v["verification_id"].as_str().unwrap();
    let own = ctx.status(id);
    assert!(own["token"].is_string(), "{own}");
    let bare = http::get(&ctx.url(&format!("/v1/verifications/{id}"))).unwrap();
    assert_eq!(bare.status, 200, "{}", bare.body);
    assert_eq!(bare.json()["status"], "verified");
    assert!(bare.json().get("token").is_none(), "{}", bare.body);
    let other = http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}")),
        &[("Origin", "https://evil.example")],
    )
    .unwrap();
    assert_eq!(other.status, 403, "{}", other.body);
    // Nor does a renewal without the page.
    let renew = http::post(
        &ctx.url(&format!("/v1/verifications/{id}/token")),
        "application/json",
        "{}",
        &[],
    )
    .unwrap();
    assert_eq!(
        (renew.status, renew.error_code().as_str()),
        (403, "origin_not_allowed"),
        "{}",
        renew.body
    );
}

/// One client opens at most thirty sockets in ten minutes over every verification.
fn sockets_are_bounded_per_client(ctx: &Ctx) {
    let v = ctx.start();
    let id = v["verification_id"].as_str().unwrap();
    let path = format!("/v1/verifications/{id}/live");
    let open = |ip: &str| {
        ws_client::connect_with(
            &ctx.edge.base_url,
            &path,
            Some(ORIGIN),
            &[("CF-Connecting-IP", ip)],
        )
        .unwrap()
    };
    let mut refused = None;
    for i in 0..31 {
        // Opened and dropped, as a script cycling sockets would.
        if let ws_client::Handshake::Refused { status, body } = open("203.0.113.79") {
            refused = Some((i, status, body));
            break;
        }
    }
    let (i, status, body) = refused.expect("a refusal within 31 sockets");
    assert_eq!(
        (i, status),
        (
            ringproof_core::limits::SOCKETS_PER_CLIENT_PER_10_MIN as usize,
            429
        ),
        "{body}"
    );
    assert!(body.contains("too_many_followers"), "{body}");
    assert!(
        matches!(open("198.51.100.79"), ws_client::Handshake::Open(_)),
        "another client"
    );
}

/// Test keys are public: the admin API does not know them as sites, and their verifications
/// leave no month-long record behind.
fn test_keys_are_not_sites_and_keep_no_records(ctx: &Ctx) {
    let auth = format!("Bearer {}", ctx.edge.secrets.admin_token);
    let key = ringproof_core::test_keys::SITE_VERIFIES;
    let url = ctx.url(&format!("/v1/admin/sites/{key}"));
    let r = http::patch(
        &url,
        r#"{"title":"mine now"}"#,
        &[("Authorization", auth.as_str())],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "unknown_site"),
        "{}",
        r.body
    );
    let r = http::post(
        &format!("{url}/rotate-secret"),
        "application/json",
        "{}",
        &[("Authorization", auth.as_str())],
    )
    .unwrap();
    assert_eq!(r.status, 404, "{}", r.body);
    let r = http::get_with(&url, &[("Authorization", auth.as_str())]).unwrap();
    assert_eq!(r.status, 404, "{}", r.body);
    // A test verification, finished, left no KV record.
    let test_key = SandboxSite {
        site_key: key.into(),
        ..Default::default()
    };
    let id = id_of(&start(ctx, &test_key, "+447400555707", "sms", "192.0.2.77"));
    let r = check(ctx, &id, ringproof_core::code::TEST_CODE, "192.0.2.77");
    assert_eq!(r.json()["status"], "verified", "{}", r.body);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        ctx.edge.kv_get(&format!("verification:{id}")).is_none(),
        "no record kept"
    );
}

/// TeleSign signs its delivery callbacks: one without the signature, or with another body's,
/// is refused even on the right path.
fn telesign_callbacks_must_carry_telesigns_signature(ctx: &Ctx) {
    let secret = &ctx.edge.fakes.config().telesign_webhook_secret;
    let path = ctx.url(&format!("/v1/providers/telesign/{secret}"));
    let body = json!({"reference_id": "0123456789ABCDEF0123456789ABCDEF",
                      "status": {"code": 200, "description": "Delivered to handset",
                                 "updated_on": "2026-12-06T10:00:00.000000Z"}})
    .to_string();
    let r = http::post(&path, "application/json", &body, &[]).unwrap();
    assert_eq!(r.status, 401, "unsigned: {}", r.body);
    let key = ctx.edge.fakes.config().telesign_api_key;
    let signed_other = ringproof_tests::fake_providers::callback_signature(&key, "{}");
    let r = http::post(
        &path,
        "application/json",
        &body,
        &[("Authorization", &signed_other)],
    )
    .unwrap();
    assert_eq!(r.status, 401, "another body's signature: {}", r.body);
    let signed = ringproof_tests::fake_providers::callback_signature(&key, &body);
    let r = http::post(
        &path,
        "application/json",
        &body,
        &[("Authorization", &signed)],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["outcome"], "unknown_reference");
}

/// Voice calls report no price: each paid send reserves its estimate (0.10 by default) before
/// it goes out, so the daily cap stops voice calls too.
fn the_spend_cap_counts_every_channel_before_it_sends(ctx: &Ctx) {
    let s = site(ctx, &[Channel::VoiceCall], |s| {
        s.limits.daily_spend_cap = Some("0.25".into());
    });
    let outcome = |n: u32| {
        let r = start(
            ctx,
            &s,
            &format!("+4474007900{n:02}"),
            "voice_call",
            "203.0.113.90",
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["failure"]["code"]
            .as_str()
            .unwrap_or("sent")
            .to_owned()
    };
    // 0.00, 0.10 and 0.20 are under 0.25: three calls; then the cap.
    for n in 1..=3 {
        assert_eq!(outcome(n), "sent");
    }
    assert_eq!(outcome(4), "spend_cap_reached");
}
