use super::*;
use ringproof_api::Delivery;
use serde_json::json;

const T0: f64 = 1_800_000_000_000.0;

/// Times in these tests are `"<ms>"`: the machine only needs them as numbers.
fn rules() -> Rules {
    Rules {
        problem: |_, typed| (typed.len() < 6).then_some("form.too_short"),
        format: |_, typed| typed.trim().to_owned(),
        time: |t| t.parse().unwrap_or(f64::NAN),
        fold: str::to_lowercase,
    }
}

fn state() -> State {
    State::new(rules(), String::new(), T0)
}

fn view(id: &str, status: &str, channel: &str) -> VerificationView {
    let mut v = json!({
        "verification_id": id,
        "status": status,
        "channel": channel,
        "expires_at": (T0 + 600_000.0).to_string(),
        "other_channels": ["missed_call"],
    });
    if channel == "sms" || channel == "voice_call" {
        v["code_length"] = json!(6);
        v["checks_left"] = json!(5);
    }
    serde_json::from_value(v).expect("a view as the edge sends it")
}

fn verified(id: &str, token: &str) -> VerificationView {
    let mut v = view(id, "verified", "sms");
    v.token = Some(token.into());
    v.token_expires_at = Some((T0 + 300_000.0).to_string());
    v
}

/// What the page is told of `verified(id, token)`.
fn told_verified(id: &str, token: &str) -> Told {
    Told::Verified {
        token: token.into(),
        id: id.into(),
        expires_at: Some((T0 + 300_000.0).to_string()),
    }
}

fn plan(country: &str) -> PhoneCountry {
    serde_json::from_value(
        json!({"country": country, "dial_code": 44, "regions": [], "formats": []}),
    )
    .expect("a plan as the edge sends it")
}

fn error(code: &str) -> ErrorDetail {
    ErrorDetail {
        code: code.into(),
        message: String::new(),
        retry_after: None,
        reason: None,
    }
}

/// A state showing a pending SMS verification `v1`, its socket open.
fn pending_sms() -> State {
    let mut s = state();
    update(&mut s, Msg::Typed("+447400123456".into()));
    update(&mut s, Msg::Submit);
    update(&mut s, Msg::Started(Ok(view("v1", "pending", "sms"))));
    update(&mut s, Msg::SocketOpened);
    s
}

fn requests(fx: &[Effect]) -> Vec<&Request> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn told(fx: &[Effect]) -> Vec<&Told> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Tell(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn polls(fx: &[Effect]) -> usize {
    requests(fx)
        .iter()
        .filter(|r| matches!(r, Request::Poll { .. }))
        .count()
}

#[test]
fn a_start_is_one_request_until_it_is_answered() {
    let mut s = state();
    update(&mut s, Msg::Typed("+447400123456".into()));
    let fx = update(&mut s, Msg::Submit);
    assert_eq!(
        requests(&fx),
        [&Request::Start {
            phone: "+447400123456".into(),
            country: None
        }]
    );
    assert!(s.busy);
    assert!(
        update(&mut s, Msg::Submit).is_empty(),
        "a second press waits"
    );
}

#[test]
fn a_number_that_cannot_be_is_said_before_anything_is_sent() {
    let mut s = state();
    update(&mut s, Msg::Chose("GB".into()));
    update(&mut s, Msg::Plan(plan("GB")));
    update(&mut s, Msg::Typed("0740".into()));
    let fx = update(&mut s, Msg::Submit);
    assert!(requests(&fx).is_empty());
    assert_eq!(s.field_problem, Some("form.too_short"));
    assert!(!s.busy);
    update(&mut s, Msg::Typed("07400 123456".into()));
    assert_eq!(s.field_problem, None, "typing again clears it");
}

#[test]
fn choosing_a_country_fetches_its_plan_once_and_ignores_a_late_one() {
    let mut s = state();
    let fx = update(&mut s, Msg::Chose("GB".into()));
    assert_eq!(
        requests(&fx),
        [&Request::Plan {
            country: "GB".into()
        }]
    );
    update(&mut s, Msg::Chose("IN".into()));
    update(&mut s, Msg::Plan(plan("GB")));
    assert_eq!(s.plan, None, "GB's plan came after IN was chosen");
    update(&mut s, Msg::Plan(plan("IN")));
    assert_eq!(s.plan.as_ref().map(|p| p.country.as_str()), Some("IN"));
    assert!(requests(&update(&mut s, Msg::Chose("IN".into()))).is_empty());
}

fn dial(country: &str) -> Listed {
    let (name, dial_code) = match country {
        "GB" => ("United Kingdom", 44),
        "IN" => ("India", 91),
        "SK" => ("Slovakia", 421),
        "SI" => ("Slovenia", 386),
        "DE" => ("Deutschland", 49),
        _ => ("United States", 1),
    };
    Listed {
        country: country.into(),
        dial_code,
        name: name.into(),
        folded: name.to_lowercase(),
    }
}

fn countries(default: Option<&str>, asked: Option<&str>, page: Option<&str>) -> Msg {
    Msg::Countries {
        countries: vec![dial("GB"), dial("IN"), dial("US")],
        default_country: default.map(String::from),
        asked: asked.map(String::from),
        page_region: page.map(String::from),
        plan: None,
    }
}

#[test]
fn the_countries_are_asked_for_at_once() {
    let mut s = state();
    assert_eq!(
        requests(&update(&mut s, Msg::Mounted)),
        [&Request::Countries]
    );
}

#[test]
fn the_default_country_is_the_pages_then_the_visitors_then_the_languages_then_the_first() {
    let chosen = |msg| {
        let mut s = state();
        update(&mut s, msg);
        s.country
    };
    assert_eq!(
        chosen(countries(Some("GB"), Some("IN"), Some("US"))).as_deref(),
        Some("IN")
    );
    assert_eq!(
        chosen(countries(Some("GB"), Some("FR"), Some("US"))).as_deref(),
        Some("GB"),
        "FR is not the site's"
    );
    assert_eq!(
        chosen(countries(None, None, Some("US"))).as_deref(),
        Some("US")
    );
    assert_eq!(
        chosen(countries(None, None, Some("FR"))).as_deref(),
        Some("GB")
    );
    let mut s = state();
    update(
        &mut s,
        Msg::Countries {
            countries: vec![],
            default_country: None,
            asked: None,
            page_region: None,
            plan: None,
        },
    );
    assert_eq!(
        s.country, None,
        "a site open to every country: international numbers"
    );
}

#[test]
fn a_plan_sent_with_the_countries_is_not_asked_for_again() {
    let mut s = state();
    let fx = update(
        &mut s,
        Msg::Countries {
            countries: vec![dial("GB")],
            default_country: Some("GB".into()),
            asked: None,
            page_region: None,
            plan: Some(plan("GB")),
        },
    );
    assert!(requests(&fx).is_empty(), "{fx:?}");
    assert_eq!(s.country.as_deref(), Some("GB"));
}

#[test]
fn the_step_counts_down_holds_back_during_the_cool_down_and_says_when_a_code_is_late() {
    let mut s = pending_sms();
    let v = s.current.as_mut().unwrap();
    v.resend_at = Some((T0 + 30_000.0).to_string());
    v.fallback_at = Some((T0 + 60_000.0).to_string());
    update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 10_000.0,
            online: true,
        },
    );
    assert_eq!(s.time_left_ms(), Some(590_000.0));
    assert_eq!(s.cool_down_ms(), Some(20_000.0));
    assert!(!s.late());
    update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 60_000.0,
            online: true,
        },
    );
    assert_eq!(s.cool_down_ms(), None);
    assert!(s.late());
    update(&mut s, Msg::SocketView(verified("v1", "tok")));
    assert_eq!(
        (s.time_left_ms(), s.cool_down_ms(), s.late()),
        (None, None, false)
    );
}

#[test]
fn a_started_verification_is_told_followed_and_focused() {
    let mut s = state();
    update(&mut s, Msg::Submit);
    let fx = update(&mut s, Msg::Started(Ok(view("v1", "pending", "sms"))));
    assert_eq!(told(&fx), [&Told::Pending { id: "v1".into() }]);
    assert!(fx.contains(&Effect::OpenSocket("v1".into())));
    assert!(fx.contains(&Effect::ListenForSms), "WebOTP for an SMS");
    assert!(fx.contains(&Effect::Focus(Focus::Step)));
    assert!(!s.busy);
    assert_eq!(s.live.socket, Socket::Opening);
}

#[test]
fn a_missed_call_listens_for_no_sms() {
    let mut s = state();
    update(&mut s, Msg::Submit);
    let fx = update(
        &mut s,
        Msg::Started(Ok(view("v1", "pending", "missed_call"))),
    );
    assert!(!fx.contains(&Effect::ListenForSms));
    assert!(fx.contains(&Effect::Focus(Focus::Step)));
}

#[test]
fn a_refused_start_says_why_and_a_lost_network_tells_the_page() {
    let mut s = state();
    update(&mut s, Msg::Submit);
    let fx = update(&mut s, Msg::Started(Err(error("lines_busy"))));
    assert!(told(&fx).is_empty());
    assert_eq!(
        s.error.as_ref().map(|e| e.code.as_str()),
        Some("lines_busy")
    );
    assert!(!s.busy && s.current.is_none());
    update(&mut s, Msg::Submit);
    let fx = update(&mut s, Msg::Started(Err(error("network"))));
    assert_eq!(told(&fx), [&Told::NetworkError]);
    update(&mut s, Msg::Submit);
    assert_eq!(s.error, None, "a new try clears the old error");
}

#[test]
fn the_last_digit_sends_the_code_once() {
    let mut s = pending_sms();
    assert!(requests(&update(&mut s, Msg::CodeTyped("12 3-4a5".into()))).is_empty());
    assert_eq!(s.code, "12345");
    let fx = update(&mut s, Msg::CodeTyped("Your code is 123456.".into()));
    assert_eq!(
        requests(&fx),
        [&Request::Check {
            id: "v1".into(),
            code: "123456".into()
        }]
    );
    assert!(s.busy);
    assert!(
        requests(&update(&mut s, Msg::Check)).is_empty(),
        "one check at a time"
    );
    assert!(
        requests(&update(&mut s, Msg::CodeTyped("1234567".into()))).is_empty(),
        "nor by typing more"
    );
}

#[test]
fn a_wrong_code_says_the_tries_left_clears_the_field_and_waits_for_the_view() {
    let wrong = || {
        Msg::Checked(Ok(CheckResult {
            status: VerificationStatus::Pending,
            checks_left: 2,
            view: None,
        }))
    };
    let mut s = pending_sms();
    update(&mut s, Msg::CodeTyped("111111".into()));
    let fx = update(&mut s, wrong());
    assert_eq!(s.wrong_code, Some(2));
    assert_eq!(s.code, "");
    assert_eq!(s.current.as_ref().and_then(|v| v.checks_left), Some(2));
    assert_eq!(polls(&fx), 0, "the socket brings the view");
    assert!(!s.busy);
    // Without a socket, the view is asked for.
    update(&mut s, Msg::SocketClosed);
    update(&mut s, Msg::Polled(Err(error("network"))));
    update(&mut s, Msg::CodeTyped("222222".into()));
    assert_eq!(polls(&update(&mut s, wrong())), 1);
}

#[test]
fn a_right_codes_answer_brings_the_token_with_no_other_request() {
    let mut s = pending_sms();
    // No socket: the view would otherwise be asked for.
    update(&mut s, Msg::SocketClosed);
    update(&mut s, Msg::Polled(Err(error("network"))));
    update(&mut s, Msg::CodeTyped("123456".into()));
    let fx = update(
        &mut s,
        Msg::Checked(Ok(CheckResult {
            status: VerificationStatus::Verified,
            checks_left: 4,
            view: Some(Box::new(verified("v1", "tok"))),
        })),
    );
    assert_eq!(polls(&fx), 0, "the answer carried the view");
    assert_eq!(told(&fx), [&told_verified("v1", "tok")]);
    assert_eq!(
        s.current.as_ref().map(|v| v.status),
        Some(VerificationStatus::Verified)
    );
    assert!(!s.busy);
}

#[test]
fn a_code_field_takes_nothing_before_there_is_a_code() {
    let mut s = state();
    update(&mut s, Msg::Submit);
    update(
        &mut s,
        Msg::Started(Ok(view("v1", "pending", "missed_call"))),
    );
    assert!(update(&mut s, Msg::CodeTyped("123456".into())).is_empty());
    assert!(update(&mut s, Msg::Check).is_empty());
}

#[test]
fn the_token_is_told_once_and_again_only_after_a_renewal() {
    let mut s = pending_sms();
    let fx = update(&mut s, Msg::SocketView(verified("v1", "tok")));
    assert_eq!(told(&fx), [&told_verified("v1", "tok")]);
    assert!(fx.contains(&Effect::CloseSocket), "nothing left to follow");
    assert!(told(&update(&mut s, Msg::Polled(Ok(verified("v1", "tok"))))).is_empty());
    // The token's end passes unspent: the page is told once, and a renewal tells it again.
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 300_000.0,
            online: true,
        },
    );
    assert_eq!(told(&fx), [&Told::Expired]);
    assert!(s.expired);
    assert!(told(&update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 301_000.0,
            online: true
        }
    ))
    .is_empty());
    let fx = update(&mut s, Msg::Renew);
    assert_eq!(requests(&fx), [&Request::Renew { id: "v1".into() }]);
    update(&mut s, Msg::Renewed(Err(error("network"))));
    assert!(
        told(&update(&mut s, Msg::Polled(Ok(verified("v1", "tok"))))).is_empty(),
        "a failed renewal tells the page no old token"
    );
    update(&mut s, Msg::Renew);
    let fx = update(&mut s, Msg::Renewed(Ok(verified("v1", "tok"))));
    assert_eq!(told(&fx).len(), 1, "the page cleared the old one");
    assert!(!s.expired);
}

#[test]
fn a_failed_attempt_is_told_once() {
    let mut s = pending_sms();
    let mut failed = view("v1", "failed", "sms");
    failed.failure = Some(error("sms_undelivered"));
    let fx = update(&mut s, Msg::SocketView(failed.clone()));
    assert_eq!(
        told(&fx),
        [&Told::Failed {
            code: "sms_undelivered".into(),
            id: "v1".into()
        }]
    );
    assert!(fx.contains(&Effect::StopListening));
    assert!(told(&update(&mut s, Msg::Polled(Ok(failed)))).is_empty());
    let expired = view("v2", "expired", "missed_call");
    update(&mut s, Msg::Back);
    update(&mut s, Msg::Submit);
    let fx = update(&mut s, Msg::Started(Ok(expired)));
    assert!(told(&fx).contains(&&Told::Failed {
        code: "expired".into(),
        id: "v2".into()
    }));
}

#[test]
fn a_resend_or_switch_is_one_request_and_a_new_step_takes_focus() {
    let mut s = pending_sms();
    update(&mut s, Msg::CodeTyped("12".into()));
    let fx = update(&mut s, Msg::Again(Some(Channel::MissedCall)));
    assert_eq!(
        requests(&fx),
        [&Request::Again {
            id: "v1".into(),
            channel: Some(Channel::MissedCall)
        }]
    );
    assert_eq!(s.code, "");
    assert!(update(&mut s, Msg::Again(None)).is_empty(), "one at a time");
    let fx = update(
        &mut s,
        Msg::Changed(Ok(view("v1", "pending", "missed_call"))),
    );
    assert!(
        fx.contains(&Effect::StopListening),
        "no SMS to wait for now"
    );
    assert!(fx.contains(&Effect::Focus(Focus::Step)));
    assert!(
        !fx.contains(&Effect::OpenSocket("v1".into())),
        "still the same verification"
    );
    // A resend of the same attempt keeps focus where it is.
    update(&mut s, Msg::Again(None));
    let fx = update(
        &mut s,
        Msg::Changed(Ok(view("v1", "pending", "missed_call"))),
    );
    assert!(!fx.contains(&Effect::Focus(Focus::Step)));
}

#[test]
fn a_refused_resend_keeps_the_step_and_says_why() {
    let mut s = pending_sms();
    update(&mut s, Msg::Again(None));
    update(&mut s, Msg::Changed(Err(error("resend_too_soon"))));
    assert_eq!(
        s.error.as_ref().map(|e| e.code.as_str()),
        Some("resend_too_soon")
    );
    assert!(s.current.is_some() && !s.busy);
}

#[test]
fn back_to_the_form_keeps_the_number_and_lets_the_socket_go() {
    let mut s = pending_sms();
    let fx = update(&mut s, Msg::Back);
    assert!(s.current.is_none());
    assert_eq!(s.phone, "+447400123456");
    assert!(fx.contains(&Effect::CloseSocket));
    assert!(fx.contains(&Effect::StopListening));
    assert!(fx.contains(&Effect::Focus(Focus::Phone)));
    assert_eq!(s.live, Live::default());
}

/// **Polling happens only while no socket is open.**
#[test]
fn polls_only_while_no_socket_is_open() {
    let mut s = pending_sms();
    for second in 1..=20 {
        let fx = update(
            &mut s,
            Msg::Tick {
                now_ms: T0 + f64::from(second) * 1000.0,
                online: true,
            },
        );
        assert_eq!(polls(&fx), 0, "second {second}: the socket is open");
    }
    let fx = update(&mut s, Msg::SocketClosed);
    assert_eq!(polls(&fx), 1, "something may have changed while it went");
    update(&mut s, Msg::Polled(Err(error("network"))));
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 21_000.0,
            online: true,
        },
    );
    assert_eq!(polls(&fx), 1, "no socket: polled");
    assert!(
        fx.contains(&Effect::OpenSocket("v1".into())),
        "and one tried again"
    );
    update(&mut s, Msg::SocketOpened);
    update(&mut s, Msg::Polled(Err(error("network"))));
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 22_000.0,
            online: true,
        },
    );
    assert_eq!(polls(&fx), 0, "open again: no poll");
}

#[test]
fn one_poll_at_a_time_and_none_for_a_final_verification() {
    let mut s = pending_sms();
    update(&mut s, Msg::SocketClosed);
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 1000.0,
            online: true,
        },
    );
    assert_eq!(polls(&fx), 0, "the first is still under way");
    update(&mut s, Msg::Polled(Ok(verified("v1", "tok"))));
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 5000.0,
            online: true,
        },
    );
    assert_eq!(polls(&fx), 0);
}

#[test]
fn an_answer_for_a_verification_no_longer_shown_changes_nothing() {
    let mut s = pending_sms();
    update(&mut s, Msg::SocketClosed);
    let fx = update(&mut s, Msg::Polled(Ok(verified("v0", "old"))));
    assert!(fx.is_empty());
    assert_eq!(
        s.current.as_ref().map(|v| v.status),
        Some(VerificationStatus::Pending)
    );
    assert!(update(&mut s, Msg::SocketView(verified("v0", "old"))).is_empty());
}

#[test]
fn a_quiet_socket_is_pinged_and_given_up_when_the_pong_is_late() {
    let mut s = pending_sms();
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + PING_AFTER_MS,
            online: true,
        },
    );
    assert_eq!(fx, [Effect::Ping]);
    update(&mut s, Msg::SocketPong);
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + PING_AFTER_MS + 6000.0,
            online: true,
        },
    );
    assert!(fx.is_empty(), "the pong came: all is well");
    update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 2.0 * PING_AFTER_MS + 6000.0,
            online: true,
        },
    );
    let late = T0 + 2.0 * PING_AFTER_MS + 6000.0 + PONG_WITHIN_MS;
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: late,
            online: true,
        },
    );
    assert!(fx.contains(&Effect::CloseSocket));
    assert_eq!(polls(&fx), 1, "given up: polled at once");
    assert_eq!(s.live.socket, Socket::Closed);
}

#[test]
fn sockets_are_tried_again_with_back_off_and_at_once_back_online() {
    assert_eq!(
        (0..7).map(backoff_ms).collect::<Vec<_>>(),
        [1000.0, 2000.0, 4000.0, 8000.0, 16_000.0, 30_000.0, 30_000.0]
    );
    let mut s = pending_sms();
    s.now_ms = T0;
    update(&mut s, Msg::SocketClosed);
    // 1 s of back-off: not yet at 0.5 s.
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 500.0,
            online: true,
        },
    );
    assert!(!fx.contains(&Effect::OpenSocket("v1".into())));
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 1000.0,
            online: true,
        },
    );
    assert!(fx.contains(&Effect::OpenSocket("v1".into())));
    update(&mut s, Msg::SocketClosed);
    update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 1500.0,
            online: false,
        },
    );
    let fx = update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 1600.0,
            online: true,
        },
    );
    assert!(
        fx.contains(&Effect::OpenSocket("v1".into())),
        "back online: no waiting out the back-off"
    );
}

#[test]
fn a_simulated_call_is_followed_by_a_poll_only_without_a_socket() {
    let mut s = pending_sms();
    update(&mut s, Msg::Simulate);
    assert_eq!(polls(&update(&mut s, Msg::Simulated(Ok(())))), 0);
}

#[test]
fn a_test_keys_call_is_simulated_then_the_view_asked_for() {
    let mut s = state();
    update(&mut s, Msg::Submit);
    update(
        &mut s,
        Msg::Started(Ok(view("v1", "pending", "missed_call"))),
    );
    let fx = update(&mut s, Msg::Simulate);
    assert_eq!(requests(&fx), [&Request::Simulate { id: "v1".into() }]);
    let fx = update(&mut s, Msg::Simulated(Ok(())));
    assert_eq!(polls(&fx), 1);
}

#[test]
fn nothing_happens_on_the_step_without_a_verification() {
    let mut s = state();
    for msg in [Msg::Again(None), Msg::Renew, Msg::Simulate, Msg::Check] {
        assert!(update(&mut s, msg).is_empty());
    }
}

#[test]
fn each_channel_gets_its_step_and_only_an_sms_waits_for_webotp() {
    for channel in ["missed_call", "flash_call", "sms", "voice_call"] {
        let mut s = state();
        update(&mut s, Msg::Typed("+447400123456".into()));
        update(&mut s, Msg::Submit);
        let fx = update(&mut s, Msg::Started(Ok(view("v1", "pending", channel))));
        assert_eq!(
            s.current.as_ref().map(|v| v.channel.as_str()),
            Some(channel)
        );
        assert!(fx.contains(&Effect::Focus(Focus::Step)), "{channel}");
        assert!(fx.contains(&Effect::OpenSocket("v1".into())), "{channel}");
        assert_eq!(
            fx.contains(&Effect::ListenForSms),
            channel == "sms",
            "{channel}: {fx:?}"
        );
        // A code field only where a code comes.
        let fx = update(&mut s, Msg::CodeTyped("123456".into()));
        let sends_code = channel == "sms" || channel == "voice_call";
        assert_eq!(!requests(&fx).is_empty(), sends_code, "{channel}");
    }
}

#[test]
fn a_delivery_report_changes_the_step_in_place() {
    let mut s = pending_sms();
    for delivery in ["sent", "delivered"] {
        let mut v = view("v1", "pending", "sms");
        v.delivery = Delivery::parse(delivery);
        let fx = update(&mut s, Msg::SocketView(v));
        assert_eq!(
            s.current.as_ref().and_then(|v| v.delivery),
            Delivery::parse(delivery)
        );
        // The same step: no focus moves, WebOTP keeps waiting, nothing is told.
        assert!(fx.is_empty(), "{delivery}: {fx:?}");
    }
}

#[test]
fn an_undelivered_code_ends_the_attempt_and_is_told_with_its_reason() {
    let mut s = pending_sms();
    let mut v = view("v1", "failed", "sms");
    v.failure = Some(error("undelivered"));
    let fx = update(&mut s, Msg::SocketView(v));
    assert_eq!(
        told(&fx),
        [&Told::Failed {
            code: "undelivered".into(),
            id: "v1".into()
        }]
    );
    assert!(fx.contains(&Effect::StopListening));
    assert!(fx.contains(&Effect::CloseSocket), "nothing more to follow");
    assert_eq!(s.live.following, None);
}

#[test]
fn an_expired_attempt_is_told_as_expired() {
    let mut s = pending_sms();
    let fx = update(&mut s, Msg::SocketView(view("v1", "expired", "sms")));
    assert_eq!(
        told(&fx),
        [&Told::Failed {
            code: "expired".into(),
            id: "v1".into()
        }]
    );
    // The clock stops with it.
    assert_eq!(s.time_left_ms(), None);
}

#[test]
fn busy_lines_and_a_refused_paid_channel_say_why_and_keep_the_form() {
    for code in ["lines_busy", "paid_channel_not_allowed"] {
        let mut s = state();
        update(&mut s, Msg::Typed("+447400123456".into()));
        update(&mut s, Msg::Submit);
        let mut e = error(code);
        e.retry_after = Some(20);
        let fx = update(&mut s, Msg::Started(Err(e.clone())));
        assert_eq!(s.error, Some(e), "{code}");
        assert!(
            !s.busy && s.current.is_none(),
            "{code}: the form, to try again"
        );
        assert!(told(&fx).is_empty(), "{code}: not a network failure");
        // The visitor may try again, or another way.
        let fx = update(&mut s, Msg::Submit);
        assert_eq!(requests(&fx).len(), 1, "{code}");
        assert_eq!(s.error, None);
    }
    // Refused on a switch: the step stays, with why.
    let mut s = pending_sms();
    update(
        &mut s,
        Msg::Tick {
            now_ms: T0 + 60_000.0,
            online: true,
        },
    );
    update(&mut s, Msg::Again(Some(Channel::VoiceCall)));
    update(&mut s, Msg::Changed(Err(error("paid_channel_not_allowed"))));
    assert_eq!(s.current.as_ref().map(|v| v.channel), Some(Channel::Sms));
    assert_eq!(
        s.error.as_ref().map(|e| e.code.as_str()),
        Some("paid_channel_not_allowed")
    );
}

#[test]
fn once_the_element_is_removed_nothing_more_happens() {
    let mut s = pending_sms();
    let fx = update(&mut s, Msg::Removed);
    assert!(fx.contains(&Effect::StopListening) && fx.contains(&Effect::CloseSocket));
    assert_eq!(s.live.following, None);
    // A late answer, the clock, the visitor: nothing.
    for msg in [
        Msg::SocketView(verified("v1", "tok")),
        Msg::Tick {
            now_ms: T0 + 5_000.0,
            online: true,
        },
        Msg::CodeTyped("123456".into()),
        Msg::Polled(Ok(view("v1", "pending", "sms"))),
    ] {
        assert!(update(&mut s, msg).is_empty());
    }
    assert_eq!(
        s.current.as_ref().map(|v| v.status),
        Some(VerificationStatus::Pending)
    );
}

/// The picker as visitors search it: by name in their language, two letters or dial code.
#[test]
fn a_search_shows_its_matches_and_chooses_the_first_when_it_hides_the_chosen_country() {
    let mut s = state();
    update(
        &mut s,
        Msg::Countries {
            countries: ["GB", "IN", "SK", "SI", "DE", "US"].map(dial).to_vec(),
            default_country: Some("GB".into()),
            asked: None,
            page_region: None,
            plan: Some(plan("GB")),
        },
    );
    let shown = |s: &State| -> Vec<String> { s.shown().map(|l| l.country.clone()).collect() };
    assert_eq!(shown(&s).len(), 6, "no search: every country");

    // By name, any case: the chosen GB is hidden, so the first match is chosen, its plan asked.
    let fx = update(&mut s, Msg::Searched("SLOV".into()));
    assert_eq!(shown(&s), ["SK", "SI"]);
    assert_eq!(s.country.as_deref(), Some("SK"));
    assert_eq!(
        requests(&fx),
        [&Request::Plan {
            country: "SK".into()
        }]
    );
    // Narrower, the chosen one still shown: it stays.
    let fx = update(&mut s, Msg::Searched("slovak".into()));
    assert_eq!(shown(&s), ["SK"]);
    assert!(fx.is_empty(), "{fx:?}");
    // By dial code, with or without its plus; by the two letters.
    update(&mut s, Msg::Searched("+91".into()));
    assert_eq!(
        (shown(&s), s.country.as_deref()),
        (vec!["IN".into()], Some("IN"))
    );
    update(&mut s, Msg::Searched("42".into()));
    assert_eq!(shown(&s), ["SK"]);
    update(&mut s, Msg::Searched(" de ".into()));
    assert_eq!(shown(&s), ["DE"]);
    // Nothing matches: said, and the chosen country stays chosen.
    let chosen = s.country.clone();
    let fx = update(&mut s, Msg::Searched("zzzz".into()));
    assert!(s.no_match() && fx.is_empty());
    assert_eq!(s.country, chosen);
    update(&mut s, Msg::Searched(String::new()));
    assert!(!s.no_match());
    assert_eq!(shown(&s).len(), 6);
}

#[test]
fn a_site_with_no_countries_listed_says_no_match_for_nothing() {
    let mut s = state();
    update(&mut s, Msg::Searched("zzzz".into()));
    assert!(!s.no_match(), "no list, nothing to say");
    assert!(s.country.is_none());
}
