//! Status pushed from the verification's Durable Object over a WebSocket
//! (`GET /v1/verifications/{id}/live`): who may open one, what it carries, and the widget
//! falling back to polling when sockets are blocked or cut.

use crate::{
    form_token, inbound_number, type_and_submit, visitor_e164, visitor_phone, Ctx, Scenario, ORIGIN,
};
use ringproof_api::Channel;
use ringproof_tests::browser::Browser;
use ringproof_tests::fake_providers::SmsOutcome;
use ringproof_tests::host_page::HostPage;
use ringproof_tests::http;
use ringproof_tests::ws_client::{self, Frame, Handshake, Socket};
use serde_json::{json, Value};
use std::time::Duration;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    live_sockets_follow_only_their_own_page,
    sockets_that_never_answer_are_capped,
    delivery_reports_and_failures_are_pushed,
    the_attempts_end_is_pushed,
    the_widget_is_told_without_polling,
    the_widget_polls_when_sockets_are_blocked,
    a_cut_socket_is_replaced_and_nothing_is_lost,
];

const HOST: &str = "ringproof-verify";

pub fn live_path(id: &str) -> String {
    format!("/v1/verifications/{id}/live")
}

fn follow(ctx: &Ctx, id: &str, origin: Option<&str>) -> Handshake {
    ws_client::connect(&ctx.edge.base_url, &live_path(id), origin).unwrap()
}

fn opened(ctx: &Ctx, id: &str) -> Socket {
    opened_at(&ctx.edge.base_url, id)
}

/// The test page's socket to verification `id` on the edge at `base`, which must accept it.
pub fn opened_at(base: &str, id: &str) -> Socket {
    match ws_client::connect(base, &live_path(id), Some(ORIGIN)).unwrap() {
        Handshake::Open(s) => s,
        Handshake::Refused { status, body } => panic!("refused {status}: {body}"),
    }
}

fn refused_with(h: Handshake) -> (u16, String) {
    match h {
        Handshake::Open(_) => panic!("the upgrade was accepted"),
        Handshake::Refused { status, body } => {
            let code = serde_json::from_str::<Value>(&body).unwrap_or_default()["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (status, code)
        }
    }
}

fn live_sockets_follow_only_their_own_page(ctx: &Ctx) {
    let created = ctx.start();
    let id = created["verification_id"].as_str().unwrap().to_owned();

    // Only the page that started it: another site's page, or a script with no Origin, gets
    // nothing, though the id is right.
    for origin in [
        Some("https://attacker.example"),
        Some("http://localhost:3001"),
        None,
    ] {
        assert_eq!(
            refused_with(follow(ctx, &id, origin)),
            (403, "origin_not_allowed".into()),
            "{origin:?}"
        );
    }
    let mut unknown = id.clone();
    let last = if unknown.ends_with('a') { "b" } else { "a" };
    unknown.replace_range(unknown.len() - 1.., last);
    assert_eq!(
        refused_with(follow(ctx, &unknown, Some(ORIGIN))),
        (404, "verification_not_found".into())
    );
    assert_eq!(
        refused_with(follow(ctx, "..%2Fadmin", Some(ORIGIN))),
        (404, "verification_not_found".into())
    );
    let plain = http::get_with(&ctx.url(&live_path(&id)), &[("Origin", ORIGIN)]).unwrap();
    assert_eq!(
        (plain.status, plain.error_code()),
        (400, "invalid_request".into())
    );

    // The page's own socket: the view at once, the same as the status endpoint's.
    let mut s = opened(ctx, &id);
    let first = s.next_json().unwrap();
    assert_eq!(first, ctx.status(&id));
    assert_eq!(first["status"], "pending");
    assert!(first.get("token").is_none());
    // Pings are answered (by the runtime, without waking the object).
    s.send_text("ping").unwrap();
    assert_eq!(s.frame().unwrap(), Frame::Text("pong".into()));

    // The call lands: the verified view, token included, then the socket closes.
    ctx.call(&created);
    let verified = s.next_json().unwrap();
    assert_eq!(verified["status"], "verified", "{verified}");
    let token = verified["token"].as_str().expect("the token").to_owned();
    assert_eq!(s.frame().unwrap(), Frame::Close(1000));
    let ok = ctx.siteverify(&ctx.edge.sandbox.secret, &token);
    assert_eq!(ok["success"], true, "{ok}");
    // A final verification is told once and closed.
    let mut late = opened(ctx, &id);
    assert_eq!(late.next_json().unwrap()["status"], "verified");
    assert_eq!(late.frame().unwrap(), Frame::Close(1000));

    // At most four sockets follow one verification: a fifth closes the oldest.
    let created = ctx.start();
    let id = created["verification_id"].as_str().unwrap().to_owned();
    let mut sockets: Vec<Socket> = (0..5)
        .map(|_| {
            let mut s = opened(ctx, &id);
            assert_eq!(s.next_json().unwrap()["status"], "pending");
            s
        })
        .collect();
    assert_eq!(sockets[0].frame().unwrap(), Frame::Close(4001));
    // Anything but a ping closes the socket that sent it; the others stay.
    sockets[1].send_text("{\"op\":\"check\"}").unwrap();
    assert_eq!(sockets[1].frame().unwrap(), Frame::Close(4002));
    sockets[4].send_text("ping").unwrap();
    assert_eq!(sockets[4].frame().unwrap(), Frame::Text("pong".into()));
    ctx.call(&created);
    for s in &mut sockets[2..] {
        assert_eq!(s.next_json().unwrap()["status"], "verified");
        assert_eq!(s.frame().unwrap(), Frame::Close(1000));
    }
}

/// A script that never answers the edge's close keeps its closed sockets listed: past eight
/// listed, a new socket is refused, and the refusals are counted for the site.
fn sockets_that_never_answer_are_capped(ctx: &Ctx) {
    let site = ctx.site_with(&[Channel::MissedCall]);
    let v = ctx.start_on(&site, Channel::MissedCall);
    let id = v["verification_id"].as_str().unwrap().to_owned();
    let mut held: Vec<Socket> = Vec::new();
    for n in 0..8 {
        let mut s = opened(ctx, &id);
        assert_eq!(s.next_json().unwrap()["status"], "pending", "socket {n}");
        held.push(s);
    }
    // The four oldest were closed as newer ones came (and never answered the close).
    for s in &mut held[..4] {
        assert_eq!(s.frame().unwrap(), Frame::Close(4001));
    }
    assert_eq!(
        refused_with(follow(ctx, &id, Some(ORIGIN))),
        (429, "too_many_followers".into())
    );
    // Another page is refused first for its origin, and both are counted.
    assert_eq!(
        refused_with(follow(ctx, &id, Some("https://attacker.example"))).0,
        403
    );
    let path = format!("/{}/refusals", site.site_key);
    let counted = crate::e2e::sites::admin(ctx, "GET", &path, None).json()["refusals"].clone();
    assert_eq!(counted["too_many_followers"], 1, "{counted}");
    assert_eq!(counted["origin_not_allowed"], 1, "{counted}");
    // The four open sockets still hear the verification.
    ctx.call(&v);
    for s in &mut held[4..] {
        assert_eq!(s.next_json().unwrap()["status"], "verified");
        assert_eq!(s.frame().unwrap(), Frame::Close(1000));
    }
}

/// An attempt's end changes nothing in storage: the object's alarm wakes for it and tells the
/// pages. An edge of its own, whose attempts last 4 s.
fn the_attempts_end_is_pushed(_ctx: &Ctx) {
    let edge =
        ringproof_tests::harness::LocalEdge::start_for_tests_changed(&[], &[("ATTEMPT_SECS", "4")])
            .expect("an edge with 4 s attempts");
    let r = http::post_json(
        &format!("{}/v1/verifications", edge.base_url),
        &json!({"site_key": edge.sandbox.site_key, "phone": visitor_phone(), "channel": "missed_call",
                "proof": ringproof_tests::proof::solved(&edge.base_url, &edge.sandbox.site_key, ORIGIN)}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    let mut s = opened_at(&edge.base_url, &id);
    assert_eq!(s.next_json().unwrap()["status"], "pending");
    // Nothing is asked: the next frame is the object's own, at the attempt's end.
    let expired = s.next_json().unwrap();
    assert_eq!(expired["status"], "expired", "{expired}");
    assert!(expired.get("token").is_none());
    assert_eq!(s.frame().unwrap(), Frame::Close(1000));
    let status = http::get_with(
        &format!("{}/v1/verifications/{id}", edge.base_url),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(status.json()["status"], "expired");

    // A code typed after its attempt ended: 410 `expired`, end to end.
    let proof = ringproof_tests::proof::solved(&edge.base_url, &edge.sandbox.site_key, ORIGIN)
        .expect("a proof of work");
    let r = http::post_json(
        &format!("{}/v1/verifications", edge.base_url),
        &json!({"site_key": edge.sandbox.site_key, "phone": visitor_phone(), "channel": "sms", "proof": proof}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    let code = edge
        .fakes
        .last_message(visitor_e164())
        .expect("the SMS")
        .code;
    let mut s = opened_at(&edge.base_url, &id);
    assert_eq!(s.next_json().unwrap()["status"], "pending");
    assert_eq!(s.next_json().unwrap()["status"], "expired");
    let late = http::post_json(
        &format!("{}/v1/verifications/{id}/check", edge.base_url),
        &json!({ "code": code }),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (late.status, late.error_code()),
        (410, "expired".to_owned()),
        "{}",
        late.body
    );
}

fn delivery_reports_and_failures_are_pushed(ctx: &Ctx) {
    let site = ctx.site_with(&[Channel::Sms, Channel::VoiceCall]);
    let v = ctx.start_on(&site, Channel::Sms);
    let id = v["verification_id"].as_str().unwrap().to_owned();
    let got = ctx
        .edge
        .fakes
        .last_message(visitor_e164())
        .expect("the SMS");
    let mut s = opened(ctx, &id);
    let first = s.next_json().unwrap();
    assert_eq!(
        (&first["status"], &first["delivery"]),
        (&json!("pending"), &json!("sent"))
    );
    ctx.edge
        .fakes
        .fire_sms(&got.reference, SmsOutcome::Delivered)
        .unwrap();
    let delivered = s.next_json().unwrap();
    assert_eq!(delivered["delivery"], "delivered", "{delivered}");
    // A wrong code typed on the page is pushed too: a second tab would show it.
    let wrong = if got.code.starts_with('1') {
        "222222"
    } else {
        "111111"
    };
    let r = ctx.act(&id, "check", json!({ "code": wrong }));
    assert_eq!(r.status, 200, "{}", r.body);
    let checked = s.next_json().unwrap();
    assert_eq!(checked["checks_left"], 4, "{checked}");
    assert_eq!(checked["status"], "pending");

    let v = ctx.start_on(&site, Channel::Sms);
    let id = v["verification_id"].as_str().unwrap().to_owned();
    let got = ctx
        .edge
        .fakes
        .last_message(visitor_e164())
        .expect("the SMS");
    let mut s = opened(ctx, &id);
    assert_eq!(s.next_json().unwrap()["status"], "pending");
    ctx.edge
        .fakes
        .fire_sms(&got.reference, SmsOutcome::Undelivered)
        .unwrap();
    let failed = s.next_json().unwrap();
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["failure"]["code"], "sms_undelivered");
    assert_eq!(s.frame().unwrap(), Frame::Close(1000));
}

/// A page with the probe, open in a fresh browser; with `block`, its sockets go there.
fn open_probed(ctx: &Ctx, block: Option<&str>) -> (HostPage, Browser) {
    let html = HostPage::probed(&ctx.edge.base_url, &ctx.edge.sandbox.site_key, block);
    let page = HostPage::serve(html);
    let b = Browser::start().expect("browser");
    b.goto(&page.url).unwrap();
    (page, b)
}

fn probe(b: &Browser, js: &str) -> Value {
    b.execute(&format!("return {js}"), vec![]).unwrap()
}

/// Starts a missed call in the widget: its id and the number it shows.
fn start_in_widget(b: &Browser) -> (String, String) {
    type_and_submit(b, visitor_phone());
    let link = b.in_shadow(HOST, "[data-testid=call-link]").unwrap();
    let tel = link.attribute("href").unwrap().unwrap();
    let img = b.in_shadow(HOST, "[data-testid=number-image]").unwrap();
    let src = img.attribute("src").unwrap().unwrap();
    let id = src.split('/').rev().nth(1).unwrap().to_owned();
    (id, inbound_number(&tel))
}

fn wait_open_sockets(b: &Browser, n: u64) {
    b.wait_for(&format!("socket {n} open"), || {
        let v = probe(
            b,
            "[probe.sockets.length, probe.sockets.filter(function (s) { return s.readyState === 1; }).length]",
        );
        (v[0] == n && v[1] == 1).then_some(()).ok_or(v.to_string())
    })
    .unwrap();
}

fn wait_verified(b: &Browser) -> String {
    b.wait_for("ringproof-verified", || {
        let v = probe(b, "probe.verified");
        v[0]["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or(v.to_string())
    })
    .unwrap()
}

fn the_widget_is_told_without_polling(ctx: &Ctx) {
    let (_page, b) = open_probed(ctx, None);
    let (id, called) = start_in_widget(&b);
    wait_open_sockets(&b, 1);
    let url = probe(&b, "probe.sockets[0].url");
    assert_eq!(
        url.as_str().unwrap(),
        format!("ws://{}{}", &ctx.edge.base_url[7..], live_path(&id))
    );
    // An idle widget asks nothing while its socket is open: three poll intervals, no poll.
    let polls = probe(&b, "probe.polls");
    std::thread::sleep(Duration::from_millis(4600));
    assert_eq!(
        probe(&b, "probe.polls"),
        polls,
        "an open socket means no polling"
    );

    let r = ctx.provider_webhook(&visitor_e164()[1..], &called);
    assert_eq!(r.call_outcome(), "verified", "{}", r.body);
    let token = wait_verified(&b);
    assert_eq!(probe(&b, "probe.polls"), polls, "the socket told it");
    let frames = probe(
        &b,
        "probe.frames.map(function (f) { return JSON.parse(f); })",
    );
    let last = frames.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "verified");
    assert_eq!(last["token"].as_str(), Some(token.as_str()));
    assert_eq!(form_token(&b).unwrap().as_deref(), Some(token.as_str()));
    // The edge closes the socket of a final verification, and nothing opens another.
    b.wait_for("the socket closed", || {
        let c = probe(&b, "probe.closes");
        (c == json!([1000])).then_some(()).ok_or(c.to_string())
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(3100));
    assert_eq!(probe(&b, "probe.sockets.length"), 1);
    assert_eq!(
        probe(&b, "probe.polls"),
        polls,
        "a final verification is not polled"
    );
    assert_eq!(probe(&b, "probe.verified.length"), 1, "told once");
}

fn the_widget_polls_when_sockets_are_blocked(ctx: &Ctx) {
    // A proxy that refuses WebSockets: every socket goes to a port nothing listens on.
    let refused = format!("ws://127.0.0.1:{}/", ringproof_tests::harness::free_port());
    let (_page, b) = open_probed(ctx, Some(&refused));
    let (_id, called) = start_in_widget(&b);
    b.wait_for("polling", || {
        let p = probe(&b, "probe.polls").as_u64().unwrap_or(0);
        (p >= 2).then_some(()).ok_or(p.to_string())
    })
    .unwrap();
    // Sockets are tried again with back-off (1 s, 2 s, 4 s …), not at every poll.
    std::thread::sleep(Duration::from_secs(9));
    let tried = probe(&b, "probe.sockets.length").as_u64().unwrap();
    let polls = probe(&b, "probe.polls").as_u64().unwrap();
    assert!(
        (2..=5).contains(&tried),
        "{tried} sockets tried in about 11 s"
    );
    assert!(polls >= 6, "{polls} polls in about 11 s");

    let r = ctx.provider_webhook(&visitor_e164()[1..], &called);
    assert_eq!(r.call_outcome(), "verified", "{}", r.body);
    let token = wait_verified(&b);
    assert_eq!(form_token(&b).unwrap().as_deref(), Some(token.as_str()));
    let status = b.in_shadow(HOST, "[data-testid=status]").unwrap();
    assert!(status.text().unwrap().starts_with("Verified"));
}

fn a_cut_socket_is_replaced_and_nothing_is_lost(ctx: &Ctx) {
    let (_page, b) = open_probed(ctx, None);
    let (_id, called) = start_in_widget(&b);
    wait_open_sockets(&b, 1);
    // Cut: the widget asks at once what it may have missed, then opens another socket.
    probe(&b, "probe.sockets[0].close(), true");
    wait_open_sockets(&b, 2);
    // The poll follows the close within a few milliseconds, not at the next 1.5 s tick.
    let gap = probe(
        &b,
        "probe.polledAt.filter(function (t) { return t >= probe.closedAt[0]; })[0] - probe.closedAt[0]",
    );
    assert!(
        gap.as_f64().is_some_and(|ms| ms < 100.0),
        "poll {gap} ms after the cut"
    );
    // Cut again, and the call lands while no socket is open: the poll or the new socket's
    // first view tells the widget.
    probe(&b, "probe.sockets[1].close(), true");
    let r = ctx.provider_webhook(&visitor_e164()[1..], &called);
    assert_eq!(r.call_outcome(), "verified", "{}", r.body);
    let token = wait_verified(&b);
    assert_eq!(form_token(&b).unwrap().as_deref(), Some(token.as_str()));
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(probe(&b, "probe.verified.length"), 1, "told once");
    let ok = ctx.siteverify(&ctx.edge.sandbox.secret, &token);
    assert_eq!(ok["success"], true, "{ok}");
}
