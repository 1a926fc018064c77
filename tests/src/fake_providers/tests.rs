//! The fakes themselves over real HTTP: their wire formats, their TSA check (by hand and
//! against the official TeleSign SDK), their failure modes, their webhooks and the control
//! surface the demo page uses.

use super::*;
use crate::fake_providers::carriers::{incoming_call, CarrierKeys};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::sync::mpsc;

const PHONE: &str = "447400123456";
const PHONE_E164: &str = "+447400123456";
const FORM: &str = "application/x-www-form-urlencoded";

fn fakes() -> FakeProviders {
    FakeProviders::start(FakeConfig::generate(), None).unwrap()
}

fn headers(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Sends raw bytes and reads what comes back within `wait`: for what the HTTP client
/// cannot send (OPTIONS) or must not wait for (a hanging provider).
fn raw(f: &FakeProviders, request: &str, wait: Duration) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", f.port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A stand-in for the edge: answers every webhook `{"outcome":"applied"}` and hands each
/// request to the test.
fn fake_edge(f: &FakeProviders) -> mpsc::Receiver<Request> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    f.set_edge_base(&format!("http://{}/", listener.local_addr().unwrap()));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(req) = read_request(&stream) else {
                continue;
            };
            write_response(&stream, &Response::json(200, json!({"outcome": "applied"})));
            if tx.send(req).is_err() {
                return;
            }
        }
    });
    rx
}

fn received(edge: &mpsc::Receiver<Request>) -> (Request, Value) {
    let req = edge
        .recv_timeout(Duration::from_secs(10))
        .expect("a webhook reached the edge");
    let body = serde_json::from_slice(&req.body).expect("a JSON webhook");
    (req, body)
}

// ---------------------------------------------------------------------- MCN

fn password_call(f: &FakeProviders, bearer: &str, body: &Value) -> Reply {
    let url = format!("{}/api/protected/api/auth/passwordcall", f.mcn_base());
    http::post_json(&url, body, &[("Authorization", bearer)]).unwrap()
}

fn bearer(f: &FakeProviders) -> String {
    format!("Bearer {}", f.config().mcn_token)
}

fn seed_call(code: &str) -> Value {
    json!({"phone_number": PHONE, "verification_code": code, "is_with_redirect": false})
}

#[test]
fn mcn_places_a_flash_call_as_the_seed_answers() {
    let f = fakes();
    let r = password_call(&f, &bearer(&f), &seed_call("1234"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        keys(&v),
        BTreeSet::from([
            "ok",
            "caller_number",
            "verification_code",
            "verification_uuid",
            "is_redirect"
        ])
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["caller_number"], "421222201234");
    assert_eq!(v["verification_code"], "1234");
    assert_eq!(v["is_redirect"], false);
    let uuid = v["verification_uuid"].as_str().unwrap();
    let (id, account) = uuid.split_once('_').unwrap();
    assert_eq!(account, "117793");
    assert!(
        id.len() == 12
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );

    let phone = f.last_message(PHONE_E164).unwrap();
    assert_eq!(
        phone,
        PhoneMessage {
            channel: "flash_call".into(),
            code: "1234".into(),
            caller: Some("+421222201234".into()),
            text: None,
            reference: uuid.into(),
        }
    );
    let sent = f.requests_to(Provider::Mcn);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/mcn/api/protected/api/auth/passwordcall")
    );
    assert!(sent[0].auth_ok);
    assert_eq!(
        serde_json::from_str::<Value>(&sent[0].body).unwrap(),
        seed_call("1234")
    );
}

#[test]
fn mcn_refuses_a_wrong_bearer_and_bad_fields() {
    let f = fakes();
    let r = password_call(&f, "Bearer wrong", &seed_call("1234"));
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"ok": false, "error": "unauthorized"}));
    assert!(!f.requests_to(Provider::Mcn)[0].auth_ok, "recorded as such");
    assert_eq!(f.last_message(PHONE_E164), None, "nothing was placed");

    for body in [
        json!({"phone_number": PHONE, "verification_code": "12a4"}),
        json!({"phone_number": PHONE, "verification_code": "12345"}),
        json!({"verification_code": "1234"}),
        json!({"phone_number": "+447400123456", "verification_code": "1234"}),
        json!({"phone_number": PHONE, "verification_code": "1234", "is_with_redirect": "no"}),
    ] {
        let r = password_call(&f, &bearer(&f), &body);
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.json()["ok"], false);
    }
}

// ---------------------------------------------------------------------- TeleSign

struct Signed {
    body: String,
    headers: Vec<(String, String)>,
}

/// A request signed by hand, straight from TeleSign's documentation, so the fake's check is
/// not tested against itself.
fn signed_by_hand(config: &FakeConfig, body: &str, date: &str, nonce: &str) -> Signed {
    let to_sign = format!(
        "POST\n{FORM}\n{date}\nx-ts-auth-method:HMAC-SHA256\nx-ts-nonce:{nonce}\n{body}\n/v1/verify/sms"
    );
    let key = STANDARD.decode(&config.telesign_api_key).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    Signed {
        body: body.into(),
        headers: vec![
            (
                "Authorization".into(),
                format!("TSA {}:{signature}", config.telesign_customer_id),
            ),
            ("Date".into(), date.into()),
            ("x-ts-auth-method".into(), "HMAC-SHA256".into()),
            ("x-ts-nonce".into(), nonce.into()),
        ],
    }
}

fn send_sms(f: &FakeProviders, s: &Signed) -> Reply {
    let url = format!("{}/v1/verify/sms", f.telesign_base());
    http::post(&url, FORM, &s.body, &headers(&s.headers)).unwrap()
}

fn sms_body(code: &str) -> String {
    format!("phone_number={PHONE}&verify_code={code}&template=Your+code+is+%24%24CODE%24%24.%0A%0A%40localhost+%23%24%24CODE%24%24")
}

fn http_date_secs_ago(secs: u64) -> String {
    Timestamp::from_secs(now().secs() - secs).to_rfc2616()
}

fn telesign_error_code(r: &Reply) -> i64 {
    r.json()["errors"][0]["code"].as_i64().unwrap()
}

#[test]
fn telesign_accepts_a_hand_signed_request_and_answers_as_documented() {
    let f = fakes();
    let s = signed_by_hand(
        &f.config(),
        &sms_body("123456"),
        &http_date_secs_ago(0),
        "n-1",
    );
    let r = send_sms(&f, &s);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        keys(&v),
        BTreeSet::from(["reference_id", "sub_resource", "errors", "status", "verify"])
    );
    let reference = v["reference_id"].as_str().unwrap();
    assert!(
        reference.len() == 32
            && reference
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "{reference}"
    );
    assert_eq!(v["sub_resource"], "sms");
    assert_eq!(v["errors"], json!([]));
    assert_eq!(v["status"]["code"], 290);
    assert_eq!(v["status"]["description"], "Message in progress");
    assert!(Timestamp::parse_rfc3339(v["status"]["updated_on"].as_str().unwrap()).is_some());
    assert_eq!(
        v["verify"],
        json!({"code_state": "UNKNOWN", "code_entered": ""})
    );

    let sent = &f.requests_to(Provider::TeleSign)[0];
    assert!(sent.auth_ok);
    assert_eq!(sent.path, "/telesign/v1/verify/sms");
    let m = f.last_message(PHONE_E164).unwrap();
    assert_eq!((m.channel.as_str(), m.code.as_str()), ("sms", "123456"));
    assert_eq!(m.reference, reference);
    assert_eq!(
        m.text.as_deref(),
        Some("Your code is 123456.\n\n@localhost #123456")
    );
}

#[test]
fn telesign_refuses_a_request_changed_by_one_byte() {
    let f = fakes();
    let mut s = signed_by_hand(
        &f.config(),
        &sms_body("123456"),
        &http_date_secs_ago(0),
        "n-2",
    );
    s.body = sms_body("123457");
    let r = send_sms(&f, &s);
    assert_eq!(r.status, 401);
    assert_eq!(telesign_error_code(&r), -30000);
    assert_eq!(
        r.json()["errors"][0]["description"],
        "Invalid Customer ID / Signature"
    );
    assert!(!f.requests_to(Provider::TeleSign)[0].auth_ok);
    assert_eq!(f.last_message(PHONE_E164), None);
}

#[test]
fn telesign_checks_customer_date_and_nonce() {
    let f = fakes();
    let config = f.config();
    let body = sms_body("123456");

    let mut stranger = config.clone();
    stranger.telesign_customer_id = customer_id();
    let r = send_sms(
        &f,
        &signed_by_hand(&stranger, &body, &http_date_secs_ago(0), "n-3"),
    );
    assert_eq!(
        (r.status, telesign_error_code(&r)),
        (401, -30000),
        "another customer"
    );

    let stale = signed_by_hand(&config, &body, &http_date_secs_ago(16 * 60), "n-4");
    let r = send_sms(&f, &stale);
    assert_eq!(
        (r.status, telesign_error_code(&r)),
        (401, -30010),
        "a stale date"
    );
    let recent = signed_by_hand(&config, &body, &http_date_secs_ago(14 * 60), "n-5");
    assert_eq!(send_sms(&f, &recent).status, 200, "within 15 minutes");

    let replay = send_sms(&f, &recent);
    assert_eq!(
        (replay.status, telesign_error_code(&replay)),
        (401, -30012),
        "a replay"
    );

    let mut unsigned = signed_by_hand(&config, &body, &http_date_secs_ago(0), "n-6");
    unsigned.headers.retain(|(k, _)| k != "Authorization");
    assert_eq!(send_sms(&f, &unsigned).status, 401, "no Authorization");
}

/// Headers the official SDK produced (`RestClient.generate_telesign_headers`, telesign 4.1.1)
/// for fixed credentials, date and nonce: the check agrees with the SDK even where Python is
/// not at hand.
#[test]
fn tsa_check_accepts_the_sdks_own_signature() {
    let mut config = FakeConfig::generate();
    config.telesign_customer_id = "FFFFFFFF-EEEE-DDDD-1234-AB1234567890".into();
    config.telesign_api_key = "RW1wdHlLZXlFbXB0eUtleUVtcHR5S2V5RW1wdHlLZXk=".into();
    let date = "Mon, 23 Nov 2026 06:05:08 GMT";
    let mut req = Request {
        method: "POST".into(),
        target: "/telesign/v1/verify/sms".into(),
        path: "/telesign/v1/verify/sms".into(),
        query: vec![],
        headers: [
            ("Authorization", "TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:LDfCzCvQ6t2YRdb1yk4UaGedd3U2A4lhYQrB3ZqXAKc="),
            ("Date", date),
            ("Content-Type", FORM),
            ("x-ts-auth-method", "HMAC-SHA256"),
            ("x-ts-nonce", "A1592C6F-E384-4CDB-BC42-C3AB970369E9"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
        body: b"phone_number=447400123456&verify_code=123456&template=Your+code+is+%24%24CODE%24%24.%0A%0A%40shop.example+%23%24%24CODE%24%24".to_vec(),
    };
    let signed_at = parse_http_date(date).unwrap();
    assert_eq!(tsa_check(&config, &req, signed_at), Ok(()));
    assert_eq!(
        tsa_check(&config, &req, signed_at.plus_secs(16 * 60)),
        Err(TSA_STALE_DATE)
    );
    req.body[13] = b'5';
    assert_eq!(tsa_check(&config, &req, signed_at), Err(TSA_INVALID));
}

/// The official TeleSign SDK (PyPI `telesign`, pinned in `xtask/python/requirements.txt`)
/// sends an SMS Verify request through its generic REST client, unchanged: the fake accepts
/// it, and refuses it under a wrong key. The edge's signer is checked against this same fake
/// in the end-to-end tests, so all three agree.
#[test]
fn official_telesign_sdk_request_is_accepted() {
    let f = fakes();
    let config = f.config();
    let template = "Your code is $$CODE$$.\n\n@localhost #$$CODE$$";
    let run = |api_key: &str| -> Value {
        let base = f.telesign_base();
        let args = [base.as_str(), config.telesign_customer_id.as_str(), api_key];
        crate::python::run_json(
            "telesign_sdk_request.py",
            &[&args[..], &[PHONE, "424242", template]].concat(),
        )
    };

    let ok = run(&config.telesign_api_key);
    assert_eq!(ok["status"], 200, "{ok}");
    let answer: Value = serde_json::from_str(ok["body"].as_str().unwrap()).unwrap();
    assert_eq!(answer["status"]["code"], 290);
    let sent = f.requests_to(Provider::TeleSign);
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert!(r.auth_ok, "the SDK's signature verified");
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/telesign/v1/verify/sms")
    );
    let header = |n: &str| crate::http_server::header(&r.headers, n);
    assert!(header("user-agent").is_some_and(|v| v.starts_with("TeleSignSDK/python")));
    assert_eq!(header("content-type").unwrap(), FORM);
    assert_eq!(
        decode_form(&r.body),
        [
            ("phone_number".to_owned(), PHONE.to_owned()),
            ("verify_code".to_owned(), "424242".to_owned()),
            ("template".to_owned(), template.to_owned()),
        ]
    );

    let mut other_key = [0u8; 32];
    OsRandom.fill(&mut other_key);
    let refused = run(&STANDARD.encode(other_key));
    assert_eq!(refused["status"], 401, "{refused}");
    let answer: Value = serde_json::from_str(refused["body"].as_str().unwrap()).unwrap();
    assert_eq!(answer["errors"][0]["code"], -30000);
    assert!(!f.requests_to(Provider::TeleSign)[1].auth_ok);
}

/// The fake signs its delivery callbacks as TeleSign does: the official SDK's
/// `verify_telesign_callback_signature` accepts the signature, and so does the edge's check
/// (core's); both refuse it for an altered body or under another key.
#[test]
fn callbacks_are_signed_as_telesign_signs_them() {
    let config = fakes().config();
    let key = config.telesign_api_key.as_str();
    let body = r#"{"reference_id":"0123456789ABCDEF0123456789ABCDEF","status":{"code":200}}"#;
    let signature = callback_signature(key, body);
    let sdk = |key: &str, body: &str| {
        crate::python::run_json("telesign_sdk_callback.py", &[key, &signature, body])["valid"]
            .as_bool()
            .unwrap()
    };
    let holds = ringproof_core::providers::telesign::callback_signature_holds;
    assert!(sdk(key, body), "the SDK accepts the fake's signature");
    assert!(holds(key, body.as_bytes(), &signature));
    let altered = body.replace("200", "203");
    assert!(!sdk(key, &altered));
    assert!(!holds(key, altered.as_bytes(), &signature));
    let mut other = [0u8; 32];
    OsRandom.fill(&mut other);
    let other = STANDARD.encode(other);
    assert!(!sdk(&other, body));
    assert!(!holds(&other, body.as_bytes(), &signature));
}

// ---------------------------------------------------------------------- Phone Confirm

fn pc_get(f: &FakeProviders, endpoint: &str, params: &[(&str, &str)]) -> Reply {
    let query = serde_urlencoded::to_string(params).unwrap();
    http::get(&format!("{}/api/{endpoint}?{query}", f.phoneconfirm_base())).unwrap()
}

/// Places a voice call in JSON and answers its transaction number.
fn placed_call(f: &FakeProviders, key: &str) -> String {
    place(f, "json", key, "localhost").json()["transaction_number"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn place(f: &FakeProviders, kind: &str, key: &str, domain: &str) -> Reply {
    pc_get(
        f,
        "call",
        &[
            ("phone", "7400123456"),
            ("type", kind),
            ("country_code", "44"),
            ("code", "123456"),
            ("redial_count", "2"),
            ("redial_interval", "60"),
            ("APIkey", key),
            ("domain", domain),
        ],
    )
}

#[test]
fn phone_confirm_places_calls_in_json_and_xml() {
    let f = fakes();
    let c = f.config();
    let j = place(&f, "json", &c.phoneconfirm_api_key, "localhost");
    assert_eq!(j.status, 200);
    let v = j.json();
    assert_eq!(
        (v["error"].as_str(), v["status"].as_str()),
        (Some("0"), Some("valid"))
    );
    assert_eq!(v["message"], "Call placed");
    let tx = v["transaction_number"].as_str().unwrap().to_owned();
    assert!(tx.len() == 10 && tx.bytes().all(|b| b.is_ascii_digit()));
    let m = f.last_message(PHONE_E164).unwrap();
    assert_eq!(
        (m.channel.as_str(), m.code.as_str()),
        ("voice_call", "123456")
    );
    assert_eq!(m.reference, tx);
    let recorded = &f.requests_to(Provider::PhoneConfirm)[0];
    assert!(recorded.auth_ok);
    assert!(recorded
        .query
        .contains(&("country_code".into(), "44".into())));

    let x = place(&f, "xml", &c.phoneconfirm_api_key, "localhost");
    assert_eq!(x.header("content-type"), Some("application/xml"));
    let body = x.body;
    assert!(body.starts_with("<?xml version=\"1.0\"?><response><error>0</error><status>valid</status><message>Call placed</message><transaction_number>"), "{body}");
    assert!(body.ends_with("</transaction_number></response>"), "{body}");
}

#[test]
fn phone_confirm_guards_its_key_and_domain() {
    let f = fakes();
    let c = f.config();
    let wrong_key = place(&f, "json", "not-the-key", "localhost");
    assert_eq!(wrong_key.status, 200);
    let v = wrong_key.json();
    assert_ne!(v["error"], "0");
    assert_eq!(v["status"], "invalid");
    assert!(!v["message"].as_str().unwrap().is_empty());
    assert!(!f.requests_to(Provider::PhoneConfirm)[0].auth_ok);

    let untrusted = place(&f, "json", &c.phoneconfirm_api_key, "shop.example");
    assert_eq!(
        (untrusted.status, untrusted.body.as_str()),
        (503, "unauthorized domain")
    );
    assert_eq!(f.last_message(PHONE_E164), None, "no call was placed");
}

#[test]
fn phone_confirm_verifies_the_code_of_a_placed_call() {
    let f = fakes();
    let key = f.config().phoneconfirm_api_key;
    let tx = placed_call(&f, &key);
    let verify = |tx: &str, code: &str| {
        pc_get(
            &f,
            "verify",
            &[
                ("transaction_number", tx),
                ("code", code),
                ("APIkey", &key),
                ("domain", "localhost"),
                ("type", "json"),
            ],
        )
        .json()
    };
    let ok = verify(&tx, "123456");
    assert_eq!(
        (ok["error"].as_str(), ok["status"].as_str()),
        (Some("0"), Some("valid"))
    );
    let wrong = verify(&tx, "654321");
    assert_eq!(
        (wrong["error"].as_str(), wrong["status"].as_str()),
        (Some("0"), Some("invalid"))
    );
    let unknown = verify("999", "123456");
    assert_eq!(
        (unknown["error"].as_str(), unknown["status"].as_str()),
        (Some("1"), Some("invalid"))
    );
}

// ---------------------------------------------------------------------- failure modes

#[test]
fn modes_provoke_each_failure_and_requests_are_recorded_anyway() {
    let f = fakes();
    let sms = format!("{}/v1/verify/sms", f.telesign_base());

    f.set_mode(Provider::TeleSign, Mode::ServerError);
    let r = http::post(&sms, FORM, "phone_number=1", &[]).unwrap();
    assert_eq!(r.status, 500);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));

    f.set_mode(Provider::TeleSign, Mode::Malformed);
    let r = http::post(&sms, FORM, "phone_number=1", &[]).unwrap();
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<Value>(&r.body).is_err(),
        "{}",
        r.body
    );

    f.set_mode(Provider::TeleSign, Mode::ClientError);
    let r = http::post(&sms, FORM, "phone_number=1", &[]).unwrap();
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"][0]["code"].is_i64());
    assert_eq!(f.requests_to(Provider::TeleSign).len(), 3);

    f.set_mode(Provider::Mcn, Mode::Malformed);
    assert_eq!(
        password_call(&f, &bearer(&f), &seed_call("1234")).body,
        "{\"ok\": tru"
    );
    f.set_mode(Provider::Mcn, Mode::Refuse);
    let r = password_call(&f, &bearer(&f), &seed_call("1234"));
    assert_eq!((r.status, &r.json()["ok"]), (200, &json!(false)));

    let key = f.config().phoneconfirm_api_key;
    f.set_mode(Provider::PhoneConfirm, Mode::Refuse);
    let v = place(&f, "json", &key, "localhost").json();
    assert_eq!(
        (v["error"].as_str(), v["status"].as_str()),
        (Some("1"), Some("invalid"))
    );
    f.set_mode(Provider::PhoneConfirm, Mode::UnauthorizedDomain);
    assert_eq!(place(&f, "json", &key, "localhost").status, 503);

    f.set_mode(Provider::Mcn, Mode::Ok);
    assert_eq!(
        password_call(&f, &bearer(&f), &seed_call("1234")).status,
        200
    );
    assert_eq!(f.last_message(PHONE_E164).unwrap().channel, "flash_call");
}

#[test]
fn a_hanging_provider_reads_the_request_and_says_nothing() {
    let f = fakes();
    f.set_mode(Provider::Mcn, Mode::Hang);
    let body = seed_call("1234").to_string();
    let request = format!(
        "POST /mcn/api/protected/api/auth/passwordcall HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(raw(&f, &request, Duration::from_millis(700)), "");
    let recorded = f.requests_to(Provider::Mcn);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].body, body);
}

// ---------------------------------------------------------------------- webhooks

#[test]
fn fire_mcn_posts_each_cdr_variant_to_the_edge() {
    let f = fakes();
    let edge = fake_edge(&f);
    let uuid = password_call(&f, &bearer(&f), &seed_call("4321")).json()["verification_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = f.config().mcn_webhook_secret;
    for (outcome, q931, final_status) in [
        (McnOutcome::Answered, 16, "ANSWER"),
        (McnOutcome::Busy, 17, "CANCEL"),
        (McnOutcome::NotAnswered, 16, "CANCEL"),
        (McnOutcome::Rejected, 31, "CANCEL"),
        (McnOutcome::Billing, 41, "CANCEL"),
        (McnOutcome::Other, 1, "CANCEL"),
    ] {
        let reply = f.fire_mcn(&uuid, outcome).unwrap();
        assert_eq!(
            reply.json()["outcome"],
            "applied",
            "the edge's answer is returned"
        );
        let (req, body) = received(&edge);
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, format!("/v1/providers/mcn/{secret}"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(
            body,
            json!({
                "verification_call_uuid": uuid,
                "q931_status": q931,
                "final_status": final_status,
                "caller_number": "421222204321",
                "called_number": PHONE,
                "event": "password_call",
                "duration": 0,
            }),
            "{outcome:?}"
        );
    }
}

#[test]
fn fire_sms_posts_the_seed_callback_shape() {
    let f = fakes();
    let edge = fake_edge(&f);
    let secret = f.config().telesign_webhook_secret;
    for (outcome, code, description) in [
        (SmsOutcome::Delivered, 200, "Delivered to handset"),
        (SmsOutcome::Undelivered, 211, "Device not reachable"),
    ] {
        f.fire_sms("2557312299CC1304904080F4BE17BFB4", outcome)
            .unwrap();
        let (req, body) = received(&edge);
        assert_eq!(req.path, format!("/v1/providers/telesign/{secret}"));
        assert_eq!(
            keys(&body),
            BTreeSet::from([
                "status",
                "submit_timestamp",
                "errors",
                "reference_id",
                "verify",
                "sub_resource",
                "additional_info"
            ])
        );
        assert_eq!(
            keys(&body["status"]),
            BTreeSet::from(["updated_on", "code", "description"])
        );
        assert_eq!(
            (
                body["status"]["code"].as_u64(),
                body["status"]["description"].as_str()
            ),
            (Some(code), Some(description))
        );
        for t in [&body["status"]["updated_on"], &body["submit_timestamp"]] {
            let t = t.as_str().unwrap();
            assert!(
                Timestamp::parse_rfc3339(t).is_some() && t.len() == 27,
                "{t}"
            );
        }
        assert_eq!(body["errors"], json!([]));
        assert_eq!(body["reference_id"], "2557312299CC1304904080F4BE17BFB4");
        assert_eq!(
            body["verify"],
            json!({"code_state": "UNKNOWN", "code_entered": null})
        );
        assert_eq!(body["sub_resource"], "sms");
        assert_eq!(
            body["additional_info"],
            json!({"message_parts_count": 1, "price": "0.5112", "mnc": "03", "mcc": "220", "currency": "USD"})
        );
    }
}

#[test]
fn webhooks_need_the_edge_address() {
    let f = fakes();
    let Err(e) = f.fire_mcn("x_1", McnOutcome::Answered) else {
        panic!("a webhook with nowhere to go");
    };
    assert!(e.contains("set_edge_base"), "{e}");
}

#[test]
fn the_demo_gets_its_webhooks_by_itself() {
    let mut config = FakeConfig::generate();
    config.auto_webhooks = true;
    let f = FakeProviders::start(config, None).unwrap();
    let edge = fake_edge(&f);
    let uuid = password_call(&f, &bearer(&f), &seed_call("1234")).json()["verification_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = received(&edge);
    assert_eq!(body["verification_call_uuid"], uuid.as_str());
    assert_eq!(
        (body["q931_status"].as_u64(), body["final_status"].as_str()),
        (Some(16), Some("ANSWER"))
    );
}

// ---------------------------------------------------------------------- control surface

#[test]
fn control_surface_serves_the_demo_page_across_origins() {
    let f = fakes();
    let preflight = raw(
        &f,
        "OPTIONS /__fake/mode HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:8787\r\nAccess-Control-Request-Method: POST\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(preflight.starts_with("HTTP/1.1 204"), "{preflight}");
    assert!(preflight.contains("Access-Control-Allow-Origin: *"));
    assert!(preflight.contains("Access-Control-Allow-Headers: Content-Type"));

    let phone = |n: &str| http::get(&format!("{}/__fake/phone?number={n}", f.base_url)).unwrap();
    assert_eq!(phone("%2B447400123456").status, 404);
    password_call(&f, &bearer(&f), &seed_call("1234"));
    let r = phone("%2B447400123456");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.json(), json!(f.last_message(PHONE_E164).unwrap()));
    assert_eq!(
        phone("+447400123456").status,
        200,
        "an unencoded + reads as a space"
    );

    let control = |path: &str, body: Value| {
        http::post_json(&format!("{}/__fake/{path}", f.base_url), &body, &[]).unwrap()
    };
    let r = control(
        "mode",
        json!({"provider": "phoneconfirm", "mode": "unauthorized_domain"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        place(&f, "json", &f.config().phoneconfirm_api_key, "localhost").status,
        503
    );
    assert_eq!(
        control("mode", json!({"provider": "mcn", "mode": "sideways"})).status,
        400
    );
    assert_eq!(
        control("mode", json!({"provider": "control", "mode": "hang"})).status,
        400
    );

    let edge = fake_edge(&f);
    let r = control(
        "fire",
        json!({"provider": "telesign", "ref": "R1", "outcome": "undelivered"}),
    );
    assert_eq!(
        r.json(),
        json!({"edge_status": 200, "edge_body": {"outcome": "applied"}})
    );
    assert_eq!(received(&edge).1["status"]["code"], 211);
    let r = control(
        "fire",
        json!({"provider": "mcn", "ref": "u_1", "outcome": "billing"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(received(&edge).1["q931_status"], 41);
    assert_eq!(
        control(
            "fire",
            json!({"provider": "mcn", "ref": "u", "outcome": "delivered"})
        )
        .status,
        400
    );

    let all = http::get(&format!("{}/__fake/requests", f.base_url))
        .unwrap()
        .json();
    let providers: BTreeSet<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(
        providers,
        BTreeSet::from(["control", "mcn", "phoneconfirm"])
    );
    let mcn = http::get(&format!("{}/__fake/requests?provider=mcn", f.base_url))
        .unwrap()
        .json();
    assert_eq!(mcn.as_array().unwrap().len(), 1);
    assert_eq!(mcn[0]["path"], "/mcn/api/protected/api/auth/passwordcall");
}

#[test]
fn clear_forgets_requests_and_phones_but_not_the_providers_books() {
    let f = fakes();
    let key = f.config().phoneconfirm_api_key;
    let tx = placed_call(&f, &key);
    f.clear();
    assert!(f.requests().is_empty());
    assert_eq!(f.last_message(PHONE_E164), None);
    let v = pc_get(
        &f,
        "verify",
        &[
            ("transaction_number", &tx),
            ("code", "123456"),
            ("APIkey", &key),
            ("domain", "localhost"),
        ],
    )
    .json();
    assert_eq!(v["status"], "valid");
}

#[test]
fn http_dates_parse_as_telesign_sends_them() {
    let t = Timestamp::from_secs(1_795_413_908);
    assert_eq!(parse_http_date(&t.to_rfc2616()), Some(t));
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Timestamp::parse_rfc3339("1994-11-06T08:49:37Z")
    );
    assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
    assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
}

// ---------------------------------------------------------------------- carriers

/// Each fake carrier's incoming-call webhook is signed as that carrier signs: its official SDK
/// accepts it, core's reader accepts it, and both refuse it altered or under another key.
#[test]
fn carriers_sign_as_their_official_sdks_verify() {
    use ringproof_core::carriers::{self, Carrier, Delivered};
    let keys = CarrierKeys::generate();
    let strangers = CarrierKeys::generate();
    let base = "https://edge.example";
    let at = now().secs();
    for carrier in Carrier::ALL {
        let req = incoming_call(&keys, carrier, base, PHONE_E164, "+442079460001", at);
        let sdk = |key: &str, body: &str| {
            let headers: serde_json::Map<String, Value> = req
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let headers = Value::Object(headers).to_string();
            crate::python::run_json(
                "carrier_sdk.py",
                &[carrier.name(), key, &req.url, body, &headers],
            )["valid"]
                .as_bool()
                .unwrap()
        };
        let core = |key: &str, body: &str| {
            let d = Delivered {
                url: &req.url,
                headers: &req.headers,
                body,
            };
            carriers::read(carrier, Some(key), &d, now())
        };
        let key = keys.key_of(carrier);
        assert!(
            sdk(&key, &req.body),
            "{}: the SDK accepts it",
            carrier.name()
        );
        let call = core(&key, &req.body).unwrap().unwrap();
        assert_eq!(
            ringproof_core::phone::from_network(&call.caller)
                .unwrap()
                .as_str(),
            PHONE_E164
        );
        assert!(
            call.call_id.is_some(),
            "{}: the call is named",
            carrier.name()
        );

        let altered = req.body.replace("7400123456", "7400999999");
        assert_ne!(altered, req.body);
        assert!(!sdk(&key, &altered), "{}: altered", carrier.name());
        assert!(core(&key, &altered).is_err());
        let other = strangers.key_of(carrier);
        assert!(!sdk(&other, &req.body), "{}: another key", carrier.name());
        assert!(core(&other, &req.body).is_err());
    }
}
