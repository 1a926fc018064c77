//! End to end: the real edge under `wrangler dev`, a fake missed-call provider speaking the
//! webhook format over HTTP, and headless Chromium driving the real widget on another origin.

// Host-side tooling measures real time; the ban in clippy.toml is for code that runs in wasm.
#![allow(clippy::disallowed_methods)]

/// A scenario table from its functions: each runs under its own function's name, so a name
/// can never drift from what it runs.
macro_rules! scenarios {
    ($($f:ident),* $(,)?) => {
        &[$((stringify!($f), $f as Scenario)),*]
    };
}

mod e2e {
    pub mod attacks;
    pub mod bystanders;
    pub mod callbacks;
    pub mod carriers;
    pub mod channels;
    pub mod console;
    pub mod failover;
    pub mod hostile;
    pub mod lifetimes;
    pub mod live;
    pub mod runner;
    pub mod sdk;
    pub mod site_owners;
    pub mod sites;
    pub mod visitors;
}

use ringproof_api::{paths, Channel};
use ringproof_tests::browser::Browser;
use ringproof_tests::callback_receiver::CallbackReceiver;
use ringproof_tests::fake_providers::standard_signature;
use ringproof_tests::harness::{LocalEdge, SandboxSite, SANDBOX_NUMBERS};
use ringproof_tests::host_page::HostPage;
use ringproof_tests::http::{self, Reply};
use ringproof_tests::proof;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// This scenario's own mobile number, as a visitor types it (`+44 7400 2…`): no two
/// scenarios share one, so none meets another's lines, limits or messages, in any order.
pub fn visitor_phone() -> &'static str {
    &own_number().international
}

/// [`visitor_phone`] in E.164, as the edge and the providers write it.
pub fn visitor_e164() -> &'static str {
    &own_number().e164
}

/// [`visitor_phone`] as a visitor in the UK writes it at home (`07400 2…`).
pub fn visitor_national() -> &'static str {
    &own_number().national
}

struct Number {
    international: String,
    e164: String,
    national: String,
}

/// The running scenario's number, by its place in the declared order, so a scenario has the
/// same one however the run is ordered or filtered.
fn own_number() -> &'static Number {
    static NUMBERS: std::sync::OnceLock<Vec<Number>> = std::sync::OnceLock::new();
    let numbers = NUMBERS.get_or_init(|| {
        (0..1000)
            .map(|i| {
                let subscriber = 200_000 + i;
                Number {
                    international: format!("+44 7400 {subscriber}"),
                    e164: format!("+447400{subscriber}"),
                    national: format!("07400 {subscriber}"),
                }
            })
            .collect()
    });
    &numbers[e2e::runner::index() % numbers.len()]
}
pub const ORIGIN: &str = "http://localhost:3000";

pub struct Ctx {
    edge: LocalEdge,
    /// Sites' callback URLs point here.
    receiver: CallbackReceiver,
    /// Which site each verification started through `create` belongs to, so a resend or a
    /// switch can solve that site's challenge.
    sites: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.edge.base_url)
    }

    /// `POST /v1/verifications` as the widget sends it: with a solved challenge, unless the
    /// body brings its own `proof` (or `null` for none).
    fn create(&self, mut body: Value, origin: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        let key = body["site_key"].as_str().unwrap_or_default().to_owned();
        if let (Some(o), None) = (origin, body.get("proof")) {
            if let Some(p) = proof::solved(&self.edge.base_url, &key, o) {
                body["proof"] = json!(p);
            }
        }
        let r = http::post_json(&self.url(&paths::verifications()), &body, &headers).unwrap();
        if let Some(id) = r
            .status
            .eq(&201)
            .then(|| r.json()["verification_id"].clone())
        {
            let id = id.as_str().unwrap_or_default().to_owned();
            self.sites.lock().unwrap().insert(id, key);
        }
        r
    }

    fn start(&self) -> Value {
        let r = self.create(
            {
                let ctid = unique_ctid();
                json!({"site_key": self.edge.sandbox.site_key, "phone": visitor_phone(), "channel": "missed_call",
                       "client_transaction_signature": signed(&self.edge.sandbox.secret, &ctid),
                       "client_transaction_id": ctid})
            },
            Some(ORIGIN),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()
    }

    fn status(&self, id: &str) -> Value {
        let r = http::get_with(&self.url(&paths::verification(id)), &[("Origin", ORIGIN)]).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// `caller` dials `called`, and the carrier that rents `called` reports it.
    fn provider_webhook(&self, caller: &str, called: &str) -> Reply {
        self.edge.call(caller, called).unwrap()
    }

    /// The visitor calls the number they were shown, and the provider reports it.
    fn call(&self, created: &Value) -> String {
        let called = inbound_number(created["call_to_uri"].as_str().unwrap());
        let r = self.provider_webhook(&visitor_e164()[1..], &called);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.call_outcome(), "verified", "{}", r.body);
        called
    }

    /// A site of its own with these channels, in this order, for pages on localhost.
    fn site_with(&self, channels: &[Channel]) -> SandboxSite {
        let creds = SandboxSite::generate(&self.edge.secrets);
        let mut site = self.edge.site(
            &creds,
            "Channels",
            &["http://localhost:*", "http://127.0.0.1:*"],
        );
        site.channels = channels.to_vec();
        self.edge.put_site(&site).unwrap();
        creds
    }

    /// Starts a verification on `site` with `channel` from the test origin.
    fn start_on(&self, site: &SandboxSite, channel: Channel) -> Value {
        let r = self.create(
            json!({"site_key": site.site_key, "phone": visitor_phone(), "channel": channel}),
            Some(ORIGIN),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()
    }

    /// `&proof=…` for a OneRing request from `page` of `site_key`: a page pays the proof of
    /// work a widget would (empty when the edge gives the page no challenge).
    fn onering_proof(&self, site_key: &str, page: &str) -> String {
        // `scheme://host[:port]`: what comes before the path.
        let origin = page
            .split_once("://")
            .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")))
            .unwrap_or_default();
        proof::solved(&self.edge.base_url, site_key, &origin)
            .map(|p| format!("&{}", serde_urlencoded::to_string([("proof", p)]).unwrap()))
            .unwrap_or_default()
    }

    /// `POST /v1/verifications/{id}/{action}` from the test origin.
    fn act(&self, id: &str, action: &str, mut body: Value) -> Reply {
        let key = self.sites.lock().unwrap().get(id).cloned();
        if let (Some(key), None) = (key, body.get("proof")) {
            let asker = proof::Asker {
                verification: Some(id),
                ..Default::default()
            };
            if let Some(p) = proof::solved_by(&self.edge.base_url, &key, ORIGIN, asker) {
                body["proof"] = json!(p);
            }
        }
        http::post_json(
            &self.url(&paths::of_verification(id, action)),
            &body,
            &[("Origin", ORIGIN)],
        )
        .unwrap()
    }

    /// A page on another origin embedding `site_key`, open in a fresh browser.
    fn open_widget(&self, site_key: &str) -> (HostPage, Browser) {
        let page = HostPage::serve(HostPage::embedding(&self.edge.base_url, site_key));
        let b = Browser::start().expect("browser");
        b.goto(&page.url).unwrap();
        (page, b)
    }

    fn siteverify(&self, secret: &str, token: &str) -> Value {
        let r = http::post_json(
            &self.url(&paths::siteverify()),
            &json!({"secret": secret, "response": token}),
            &[],
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }
}

fn inbound_number(tel_uri: &str) -> String {
    tel_uri.strip_prefix("tel:").expect("a tel: URI").to_owned()
}

/// What a site's server hands its page with a ClientTransactionId, so the id binds.
pub fn signed(secret: &str, ctid: &str) -> String {
    ringproof_core::signature::transaction_signature(secret.as_bytes(), ctid)
}

/// ClientTransactionIds are unique per site, so each test start needs its own.
fn unique_ctid() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("ctx-{}-{n}", now_secs())
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------------------------------------------------------------- the whole flow in a browser

fn browser_flow_on_another_origin(ctx: &Ctx) {
    let (_page, b) = ctx.open_widget(&ctx.edge.sandbox.site_key);
    let host = "ringproof-verify";
    b.in_shadow(host, "[data-testid=phone]").unwrap();
    accessible(&b, "the phone form");
    type_and_submit(&b, visitor_phone());

    let img = b.in_shadow(host, "[data-testid=number-image]").unwrap();
    accessible(&b, "the missed call's step");
    // The number's text alternative, digit by digit; the QR code of the same link beside it.
    let alt = img.attribute("alt").unwrap().unwrap_or_default();
    assert!(alt.contains("+ 4 4 "), "{alt}");
    let qr = b.in_shadow(host, "[data-testid=call-qr]").unwrap();
    let qr_src = qr.attribute("src").unwrap().unwrap();
    let svg = http::get(&qr_src).unwrap();
    assert_eq!(svg.status, 200);
    assert!(
        svg.body.starts_with("<svg") && svg.body.contains("<path"),
        "{}",
        svg.body
    );
    let src = img.attribute("src").unwrap().unwrap();
    assert!(
        src.starts_with(&ctx.edge.base_url) && src.ends_with("/number.svg"),
        "{src}"
    );
    let id = src.split('/').rev().nth(1).unwrap().to_owned();
    let link = b.in_shadow(host, "[data-testid=call-link]").unwrap();
    let tel = link.attribute("href").unwrap().unwrap();
    assert!(tel.starts_with("tel:+44"), "{tel}");
    let countdown = b
        .in_shadow(host, "[data-testid=countdown]")
        .unwrap()
        .text()
        .unwrap();
    assert!(
        countdown == "10:00 left" || (countdown.starts_with("9:") && countdown.ends_with(" left")),
        "the countdown starts at the 10-minute window: {countdown}"
    );
    let shadow_text: String = b
        .execute(
            "return document.querySelector('ringproof-verify').shadowRoot.textContent",
            vec![],
        )
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !shadow_text.contains("7946"),
        "the number to call must not be text: {shadow_text}"
    );

    // Server side, as the site's backend would ask: no Origin header.
    let pending = http::get(&ctx.url(&format!("/v1/verifications/{id}")))
        .unwrap()
        .json();
    assert_eq!(pending["status"], "pending");
    let r = ctx.provider_webhook(&visitor_e164()[1..], &inbound_number(&tel));
    assert_eq!(r.call_outcome(), "verified", "{}", r.body);

    let status = b.in_shadow(host, "[data-testid=status]").unwrap();
    b.wait_for("verified status", || {
        let t = status.text()?;
        t.starts_with("Verified").then_some(()).ok_or(t)
    })
    .unwrap();
    accessible(&b, "verified");
    let event_tokens = b.execute("return window.ringproofEvents", vec![]).unwrap();
    let token = form_token(&b).unwrap().expect("token in the form");
    assert_eq!(
        event_tokens,
        json!([token]),
        "one event, carrying the same token"
    );
    assert!(token.len() <= 2048);

    let ok = ctx.siteverify(&ctx.edge.sandbox.secret, &token);
    assert_eq!(ok["success"], true, "{ok}");
    assert_eq!(ok["phone"], visitor_e164());
    assert_eq!(ok["channel"], "missed_call");
    let replay = ctx.siteverify(&ctx.edge.sandbox.secret, &token);
    assert_eq!(replay["success"], false);
    assert_eq!(replay["error_codes"], json!(["timeout-or-duplicate"]));
}

fn browser_shows_errors_in_plain_words(ctx: &Ctx) {
    let (_page, b) = ctx.open_widget(&ctx.edge.sandbox.site_key);
    let host = "ringproof-verify";
    choose_country(&b, "GB");
    // Checked in the page against the chosen country's plan, before anything is sent.
    let cases = [
        ("07400 12", "too short"),
        ("07400 1234567", "too long"),
        ("0909 879 0000", "service or premium number"),
        ("07400", "too short"),
        // A Cyrillic letter, judged by the browser's Unicode tables (none in the wasm).
        ("+44 7400 12\u{0417}456", "digits only"),
    ];
    for (typed, said) in cases {
        clear_phone(&b);
        type_and_submit(&b, typed);
        let err = b.in_shadow(host, "[data-testid=phone-error]").unwrap();
        let t = b
            .wait_for("the field's error", || {
                let t = err.text()?;
                (!t.is_empty()).then_some(t.clone()).ok_or(t)
            })
            .unwrap();
        assert!(t.contains(said), "{typed}: {t}");
        accessible(&b, &format!("the field's error for {typed}"));
        let phone = b.in_shadow(host, "[data-testid=phone]").unwrap();
        assert_eq!(
            phone.attribute("aria-invalid").unwrap().as_deref(),
            Some("true")
        );
        assert_eq!(
            phone.attribute("aria-describedby").unwrap().as_deref(),
            Some("rp-phone-error")
        );
    }
    // The edge's own refusals still read as plain words.
    clear_phone(&b);
    type_and_submit(&b, "+44 12");
    let err = b.in_shadow(host, "[data-testid=error]").unwrap();
    b.wait_for("an error message", || {
        let t = err.text()?;
        (!t.is_empty()).then_some(t.clone()).ok_or(t)
    })
    // In the catalog's words for the edge's reason (`too_short`), not the edge's English.
    .map(|t| assert!(t.contains("That number is too short."), "{t}"))
    .unwrap();
}

/// A visitor in the UK types their number as they write it at home: it is grouped as they
/// type, and verifies.
fn browser_takes_national_numbers(ctx: &Ctx) {
    let (_page, b) = ctx.open_widget(&ctx.edge.sandbox.site_key);
    let host = "ringproof-verify";
    choose_country(&b, "GB");
    let phone = b.in_shadow(host, "[data-testid=phone]").unwrap();
    let placeholder = phone.attribute("placeholder").unwrap().unwrap_or_default();
    assert!(placeholder.starts_with("07"), "{placeholder}");
    phone
        .type_text(&visitor_national().replace(' ', ""))
        .unwrap();
    assert_eq!(phone_value(&b).unwrap(), visitor_national());
    b.in_shadow(host, "[data-testid=submit]")
        .unwrap()
        .click()
        .unwrap();
    b.in_shadow(host, "[data-testid=number-image]")
        .expect("a national number starts the verification");
    // Focus goes where the visitor acts next: the call link of a missed call.
    wait_focus(&b, "call-link");
    // Every other channel of the site is offered, and the number can be changed at any step.
    let switches = b
        .execute(
            "return document.querySelector('ringproof-verify').shadowRoot.querySelectorAll('[data-testid=switch]').length",
            vec![],
        )
        .unwrap();
    assert_eq!(switches, json!(3), "the sandbox site has four channels");
    let change = b.in_shadow(host, "[data-testid=change-number]").unwrap();
    assert!(
        change
            .text()
            .unwrap()
            .replace(['\u{2066}', '\u{2069}'], "")
            .ends_with(&format!("{})", &visitor_e164()[visitor_e164().len() - 3..])),
        "{:?}",
        change.text()
    );
    change.click().unwrap();
    b.in_shadow(host, "[data-testid=phone]").unwrap();
    // Focus is in the field the visitor came back to change.
    wait_focus(&b, "phone");
    b.wait_for("the number, kept", || {
        let v = phone_value(&b)?;
        (v == visitor_national()).then_some(()).ok_or(v)
    })
    .unwrap();
}

/// Picks `country` in the widget's picker, as a visitor would, and waits for its plan.
fn choose_country(b: &Browser, country: &str) {
    b.in_shadow("ringproof-verify", "[data-testid=country]")
        .unwrap();
    // The site's countries arrive first (and with them the visitor's default country).
    b.wait_for("the site's countries", || {
        let n = b.execute(
            "return document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=country]').options.length",
            vec![],
        )?;
        (n.as_u64() > Some(0)).then_some(()).ok_or(n.to_string())
    })
    .unwrap();
    b.execute(
        "var s = document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=country]');
         s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        vec![json!(country)],
    )
    .unwrap();
    let phone = b
        .in_shadow("ringproof-verify", "[data-testid=phone]")
        .unwrap();
    let example = match country {
        "GB" => "07",
        _ => "",
    };
    b.wait_for("the country's example number", || {
        let p = phone.attribute("placeholder")?.unwrap_or_default();
        p.starts_with(example).then_some(()).ok_or(p)
    })
    .unwrap();
}

/// What the widget's phone field shows now.
fn phone_value(b: &Browser) -> Result<String, String> {
    let v = b.execute(
        "return document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=phone]').value",
        vec![],
    )?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

fn clear_phone(b: &Browser) {
    b.execute(
        "var i = document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=phone]');
         i.value = ''; i.dispatchEvent(new Event('input'));",
        vec![],
    )
    .unwrap();
}

// ---------------------------------------------------------------- HTTP contract

fn create_answers_201_with_image_and_tel(ctx: &Ctx) {
    let v = ctx.start();
    assert_eq!(v["status"], "pending");
    assert_eq!(v["channel"], "missed_call");
    assert!(v["call_to_uri"]
        .as_str()
        .unwrap()
        .starts_with("tel:+4420794600"));
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'));
    let img = http::get(v["number_image_url"].as_str().unwrap()).unwrap();
    assert_eq!(img.status, 200);
    assert_eq!(img.header("content-type"), Some("image/svg+xml"));
    assert!(img.body.starts_with("<svg") && !img.body.contains("<text"));
    assert!(!img.body.contains("7946"));
    // The QR code of the same link: an image per verification, never cached by a proxy.
    let id = v["verification_id"].as_str().unwrap();
    let qr_url = v["call_qr_url"].as_str().unwrap();
    assert_eq!(qr_url, ctx.url(&format!("/v1/verifications/{id}/call.svg")));
    let qr = http::get(qr_url).unwrap();
    assert_eq!(qr.status, 200);
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert_eq!(qr.header("cache-control"), Some("private, no-store"));
    assert!(
        !qr.body.contains("7946"),
        "the number is drawn, not written"
    );
    // No QR code for what has no number to call.
    let unknown = http::get(&ctx.url("/v1/verifications/AAAAAAAAAAAAAAAAAAAAAA/call.svg")).unwrap();
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (404, "verification_not_found")
    );
}

fn cors_allows_the_sites_origins_only(ctx: &Ctx) {
    let ok = ctx.create(
        json!({"site_key": ctx.edge.sandbox.site_key, "phone": visitor_phone(), "channel": "missed_call"}),
        Some("http://127.0.0.1:5555"),
    );
    assert_eq!(ok.status, 201);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://127.0.0.1:5555")
    );
    let bad = ctx.create(
        json!({"site_key": ctx.edge.sandbox.site_key, "phone": visitor_phone(), "channel": "missed_call"}),
        Some("https://evil.example"),
    );
    assert_eq!(
        (bad.status, bad.error_code().as_str()),
        (403, "origin_not_allowed")
    );
    // Not even the refusal may be read by that page, and nothing is granted to everyone.
    assert_eq!(bad.header("access-control-allow-origin"), None);
    assert_eq!(bad.header("vary"), Some("Origin"));
    let none = ctx.create(
        json!({"site_key": ctx.edge.sandbox.site_key, "phone": visitor_phone(), "channel": "missed_call"}),
        None,
    );
    assert_eq!(
        (none.status, none.error_code().as_str()),
        (403, "origin_not_allowed")
    );
    // Following a verification from another page is refused too.
    let id = ctx.start()["verification_id"].as_str().unwrap().to_owned();
    let other = http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}")),
        &[("Origin", "http://localhost:9")],
    )
    .unwrap();
    assert_eq!(
        (other.status, other.error_code().as_str()),
        (403, "origin_not_allowed")
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
}

fn a_site_bound_to_its_domain_refuses_localhost(ctx: &Ctx) {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let site = ctx.edge.site(&creds, "Shop", &["https://shop.example"]);
    ctx.edge.put_site(&site).unwrap();
    let body =
        json!({"site_key": creds.site_key, "phone": visitor_phone(), "channel": "missed_call"});
    let r = ctx.create(body.clone(), Some(ORIGIN));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "origin_not_allowed")
    );
    let r = ctx.create(body, Some("https://shop.example"));
    assert_eq!(r.status, 201, "{}", r.body);
}

fn bad_input_gets_stable_4xx_codes(ctx: &Ctx) {
    let key = ctx.edge.sandbox.site_key.clone();
    let missed_call_only = ctx.site_with(&[Channel::MissedCall]).site_key;
    let cases = [
        (
            json!({"site_key": "rp_site_nope", "phone": visitor_phone(), "channel": "missed_call"}),
            404,
            "unknown_site",
        ),
        (
            json!({"site_key": key, "phone": "not a phone", "channel": "missed_call"}),
            400,
            "invalid_phone",
        ),
        (
            json!({"site_key": key, "phone": visitor_national(), "channel": "missed_call"}),
            400,
            "invalid_phone",
        ),
        (
            json!({"site_key": missed_call_only, "phone": visitor_national(), "country": "GB", "channel": "sms"}),
            400,
            "channel_not_available",
        ),
        (
            json!({"site_key": key, "phone": visitor_phone(), "channel": "carrier_pigeon"}),
            400,
            "invalid_request",
        ),
        (json!({"site_key": key}), 400, "invalid_request"),
    ];
    for (body, status, code) in cases {
        let r = ctx.create(body.clone(), Some(ORIGIN));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{body} -> {}",
            r.body
        );
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = http::post(
        &ctx.url("/v1/verifications"),
        "application/json",
        "{not json",
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "invalid_request")
    );
    let national = ctx.create(
        json!({"site_key": key, "phone": visitor_national(), "country": "GB", "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(
        national.status, 201,
        "a country hint reads national numbers: {}",
        national.body
    );
    let missing = http::get(&ctx.url("/v1/verifications/nope")).unwrap();
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "verification_not_found")
    );
    let nowhere = http::get(&ctx.url("/v1/nowhere")).unwrap();
    assert_eq!(
        (nowhere.status, nowhere.error_code().as_str()),
        (404, "not_found")
    );
}

/// A German visitor in the United States types their own number internationally with the
/// picker on the US: the edge keeps the German number (a call from it verifies; the number the
/// US hint once made of it does not), and refuses impossible numbers with a reason.
fn a_country_hint_never_rewrites_an_international_number(ctx: &Ctx) {
    let key = &ctx.edge.sandbox.site_key;
    let r = ctx.create(
        json!({"site_key": key, "phone": "+49 1512 3456789", "country": "US", "channel": "missed_call"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let called = inbound_number(created["call_to_uri"].as_str().unwrap());
    let rewritten = ctx.provider_webhook("495123456789", &called);
    assert_eq!(rewritten.call_outcome(), "unmatched", "{}", rewritten.body);
    let own = ctx.provider_webhook("4915123456789", &called);
    assert_eq!(own.call_outcome(), "verified", "{}", own.body);
    // Numbers libphonenumber reads, by forms the old reader refused or rewrote.
    for (phone, country) in [
        ("+225 01 23 45 6789", None),
        ("011 15-2345-6789", Some("AR")),
        ("8 029 491-19-11", Some("BY")),
        ("+370 801 23 456", Some("US")),
    ] {
        let r = ctx.create(
            json!({"site_key": key, "phone": phone, "country": country, "channel": "missed_call"}),
            Some(ORIGIN),
        );
        assert_eq!(r.status, 201, "{phone} in {country:?}: {}", r.body);
    }
    for (phone, country, reason) in [
        ("+3161234567812", None, "does_not_exist"),
        ("+44 7400 1234567", None, "too_long"),
        ("+44 7400 12", None, "too_short"),
        ("+381001234567", None, "does_not_exist"),
        ("+44 909 8790000", Some("GB"), "service_number"),
        ("07400 123456", None, "needs_country"),
        ("+999 1234 5678", None, "unknown_country_code"),
        ("+44 7400 123456 ext. 12", None, "letters"),
    ] {
        let r = ctx.create(
            json!({"site_key": key, "phone": phone, "country": country, "channel": "missed_call"}),
            Some(ORIGIN),
        );
        let e = &r.json()["error"];
        assert_eq!(
            (r.status, e["code"].as_str(), e["reason"].as_str()),
            (400, Some("invalid_phone"), Some(reason)),
            "{phone}: {}",
            r.body
        );
    }
}

fn code_provider_webhooks_need_their_secret(ctx: &Ctx) {
    let id = ctx.start()["verification_id"].as_str().unwrap().to_owned();
    // Each provider's webhook has its own secret, and another's is as wrong as none.
    let secrets = ctx.edge.fakes.config();
    for (provider, other) in [
        ("mcn", &secrets.telesign_webhook_secret),
        ("telesign", &secrets.mcn_webhook_secret),
    ] {
        for given in ["wrong-secret", other.as_str()] {
            let r = http::post_json(
                &ctx.url(&format!("/v1/providers/{provider}/{given}")),
                &json!({}),
                &[],
            )
            .unwrap();
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (401, "unauthorized"),
                "{provider}: {}",
                r.body
            );
        }
    }
    assert_eq!(ctx.status(&id)["status"], "pending");
}

fn unmatched_calls_change_nothing_and_repeats_are_harmless(ctx: &Ctx) {
    let created = ctx.start();
    let id = created["verification_id"].as_str().unwrap().to_owned();
    for called in SANDBOX_NUMBERS {
        let r = ctx.provider_webhook("447400999999", called);
        assert_eq!(r.call_outcome(), "unmatched");
    }
    // Signed by the generic adapter, but not a report of a call.
    let (body, at) = (r#"{"caller":"1"}"#, now_secs());
    let signature = standard_signature(
        &ctx.edge.fakes.config().carriers.generic_secret,
        "msg_bad",
        at,
        body,
    );
    let bad = http::post(
        &ctx.url("/v1/carriers/generic"),
        "application/json",
        body,
        &[
            ("webhook-id", "msg_bad"),
            ("webhook-timestamp", &at.to_string()),
            ("webhook-signature", &signature),
        ],
    )
    .unwrap();
    assert_eq!(
        (bad.status, bad.error_code().as_str()),
        (400, "invalid_request")
    );
    assert_eq!(ctx.status(&id)["status"], "pending");
    assert!(ctx.status(&id).get("token").is_none());

    let called = ctx.call(&created);
    let first = ctx.status(&id);
    assert_eq!(first["status"], "verified");
    let again = ctx.provider_webhook(&visitor_e164()[1..], &called);
    assert_eq!(again.call_outcome(), "repeat");
    assert_eq!(ctx.status(&id), first, "a repeated webhook changes nothing");
}

fn siteverify_checks_secret_and_accepts_forms(ctx: &Ctx) {
    let created = ctx.start();
    let id = created["verification_id"].as_str().unwrap().to_owned();
    ctx.call(&created);
    let token = ctx.status(&id)["token"].as_str().unwrap().to_owned();

    let wrong = ctx.siteverify("rp_secret_wrong", &token);
    assert_eq!(wrong["error_codes"], json!(["invalid-input-secret"]));
    assert_eq!(
        ctx.siteverify(&ctx.edge.sandbox.secret, "rp1.x.y")["error_codes"],
        json!(["invalid-input-response"])
    );
    assert_eq!(
        ctx.siteverify("", &token)["error_codes"],
        json!(["missing-input-secret"])
    );
    assert_eq!(
        ctx.siteverify(&ctx.edge.sandbox.secret, "")["error_codes"],
        json!(["missing-input-response"])
    );

    // A refused check did not spend the token; a form-encoded check (reCAPTCHA style) can.
    let form = format!("secret={}&response={}", ctx.edge.sandbox.secret, token);
    let r = http::post(
        &ctx.url("/v1/siteverify"),
        "application/x-www-form-urlencoded",
        &form,
        &[],
    )
    .unwrap();
    let v = r.json();
    assert_eq!(v["success"], true, "{v}");
    assert!(v["client_transaction_id"]
        .as_str()
        .unwrap()
        .starts_with("ctx-"));
    assert!(v["verified_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        ctx.status(&id).get("token").is_none(),
        "a spent token is not shown again"
    );
}

fn concurrent_siteverify_succeeds_once(ctx: &Ctx) {
    let created = ctx.start();
    let id = created["verification_id"].as_str().unwrap().to_owned();
    ctx.call(&created);
    let token = ctx.status(&id)["token"].as_str().unwrap().to_owned();
    let url = ctx.url("/v1/siteverify");
    let secret = ctx.edge.sandbox.secret.clone();
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (url, secret, token) = (url.clone(), secret.clone(), token.clone());
            std::thread::spawn(move || {
                let r = http::post_json(&url, &json!({"secret": secret, "response": token}), &[])
                    .unwrap();
                assert_eq!(r.status, 200, "{}", r.body);
                r.json()
            })
        })
        .collect();
    // Every thread answers: a panic or a lost request is a failure, not a loser.
    let answers: Vec<Value> = handles
        .into_iter()
        .map(|h| h.join().expect("a siteverify thread"))
        .collect();
    let (wins, losses): (Vec<&Value>, Vec<&Value>) =
        answers.iter().partition(|a| a["success"] == true);
    assert_eq!(
        wins.len(),
        1,
        "a token is spent exactly once, even under concurrent checks: {answers:?}"
    );
    assert_eq!(wins[0]["phone"], visitor_e164());
    assert_eq!(losses.len(), 9);
    for lost in losses {
        assert_eq!(
            lost["error_codes"],
            json!(["timeout-or-duplicate"]),
            "every other check says the token was spent: {lost}"
        );
        assert!(lost.get("phone").is_none_or(Value::is_null), "{lost}");
    }
}

fn sandbox_goes_through_the_webhook_path(ctx: &Ctx) {
    let info = http::get(&ctx.url("/v1/sandbox")).unwrap().json();
    assert_eq!(info["site_key"], ctx.edge.sandbox.site_key.as_str());
    let id = ctx.start()["verification_id"].as_str().unwrap().to_owned();
    let r = http::post_json(
        &ctx.url("/v1/sandbox/missed-call"),
        &json!({"verification_id": id}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.json()["outcome"], "verified", "{}", r.body);
    assert_eq!(ctx.status(&id)["status"], "verified");
}

fn production_config_has_no_sandbox(_ctx: &Ctx) {
    let dir = std::env::var("RINGPROOF_EDGE_DIR").unwrap();
    let toml = std::fs::read_to_string(format!("{dir}/wrangler.toml")).unwrap();
    assert!(
        toml.contains("SANDBOX = \"false\""),
        "wrangler.toml must keep the sandbox off"
    );
}

/// A new deployment as `wrangler.toml` has it, the sandbox off and TeleSign's key never put:
/// the demo's endpoints are 403 `sandbox_disabled` and complete nothing, while a test key's
/// simulated call still works; an SMS fails `provider_misconfigured` and the next channel works.
fn a_new_deployment_refuses_the_sandbox_and_skips_a_keyless_channel(_ctx: &Ctx) {
    let edge = LocalEdge::start_for_tests_changed(&["TELESIGN_API_KEY"], &[("SANDBOX", "false")])
        .expect("an edge with the sandbox off and no TeleSign key");
    let url = |p: &str| format!("{}{p}", edge.base_url);
    let r = http::get_with(&url("/v1/sandbox"), &[("Origin", ORIGIN)]).unwrap();
    assert_eq!(
        (r.status, r.error_code()),
        (403, "sandbox_disabled".into()),
        "{}",
        r.body
    );
    let start = |site_key: &str| {
        let mut body =
            json!({"site_key": site_key, "phone": visitor_phone(), "channel": "missed_call"});
        if let Some(p) = proof::solved(&edge.base_url, site_key, ORIGIN) {
            body["proof"] = json!(p);
        }
        let r = http::post_json(&url("/v1/verifications"), &body, &[("Origin", ORIGIN)]).unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["verification_id"].as_str().unwrap().to_owned()
    };
    let simulate = |id: &str| {
        http::post_json(
            &url("/v1/sandbox/missed-call"),
            &json!({ "verification_id": id }),
            &[("Origin", ORIGIN)],
        )
        .unwrap()
    };
    let status = |id: &str| {
        http::get_with(
            &url(&format!("/v1/verifications/{id}")),
            &[("Origin", ORIGIN)],
        )
        .unwrap()
        .json()["status"]
            .clone()
    };
    let id = start(&edge.sandbox.site_key);
    let r = simulate(&id);
    assert_eq!(
        (r.status, r.error_code()),
        (403, "sandbox_disabled".into()),
        "{}",
        r.body
    );
    assert_eq!(status(&id), "pending", "the refused call changed nothing");
    let test = start(ringproof_core::test_keys::SITE_MISSED_CALL);
    let r = simulate(&test);
    assert_eq!(
        (r.status, r.json()["outcome"].as_str()),
        (200, Some("verified")),
        "{}",
        r.body
    );
    assert_eq!(status(&test), "verified");

    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Keyless SMS", &["http://localhost:*"]);
    site.channels = vec![Channel::Sms, Channel::VoiceCall];
    edge.put_site(&site).unwrap();
    let proof = proof::solved(&edge.base_url, &creds.site_key, ORIGIN).expect("a proof");
    let r = http::post_json(
        &url("/v1/verifications"),
        &json!({"site_key": creds.site_key, "phone": visitor_phone(), "channel": "sms", "proof": proof}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["status"].as_str(), v["failure"]["code"].as_str()),
        (Some("failed"), Some("provider_misconfigured")),
        "{v}"
    );
    assert_eq!(v["other_channels"], json!(["voice_call"]));
    let id = v["verification_id"].as_str().unwrap();
    let mut body = json!({"channel": "voice_call"});
    let asker = proof::Asker {
        verification: Some(id),
        ..Default::default()
    };
    body["proof"] =
        json!(proof::solved_by(&edge.base_url, &creds.site_key, ORIGIN, asker).expect("a proof"));
    let r = http::post_json(
        &url(&format!("/v1/verifications/{id}/switch")),
        &body,
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("pending")),
        "{}",
        r.body
    );
    assert_eq!(
        edge.fakes
            .requests_to(ringproof_tests::fake_providers::Provider::TeleSign),
        vec![],
        "nothing went to TeleSign without its key"
    );
}

/// A named end-to-end check against the shared edge.
pub type Scenario = fn(&Ctx);

/// The demo page `cargo xtask dev` serves, as a newcomer uses it: type a number, press
/// "Simulate the missed call", get the token and the siteverify command to try.
fn demo_page_verifies_with_the_simulate_button(ctx: &Ctx) {
    demo_page_verifies_with(ctx, "simulate");
}

/// The demo's second button: the fake carrier that rents the number shown sends its signed
/// webhook, as the real one would.
fn demo_page_verifies_through_the_carrier(ctx: &Ctx) {
    demo_page_verifies_with(ctx, "carrier-call");
}

fn demo_page_verifies_with(ctx: &Ctx, button: &str) {
    let b = Browser::start().expect("browser");
    b.goto(&format!("{}/", ctx.edge.base_url)).unwrap();
    type_and_submit(&b, visitor_phone());
    b.wait_for("the button to enable", || {
        let clicked = b.execute(
            &format!("var s = document.getElementById('{button}'); if (s.disabled) return false; s.click(); return true;"),
            vec![],
        )?;
        clicked
            .as_bool()
            .filter(|c| *c)
            .map(|_| ())
            .ok_or_else(|| "still disabled".to_owned())
    })
    .unwrap();
    let curl = b
        .wait_for("the verified panel", || {
            let text = b.execute(
                "var r = document.getElementById('result'); return r.hidden ? '' : document.getElementById('curl').textContent;",
                vec![],
            )?;
            text.as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| "still hidden".to_owned())
        })
        .unwrap();
    assert!(curl.contains("/v1/siteverify"), "{curl}");
    let token = curl
        .split("\"response\":\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("a token in the command");
    let answer = ctx.siteverify(&ctx.edge.sandbox.secret, token);
    assert_eq!(answer["success"], true, "{answer}");
    assert_eq!(answer["phone"], visitor_e164());
}

/// Types `number` into the widget's phone field and presses its button.
/// The token the page's form would send (`ringproof-response`, the element's form value),
/// once there.
pub fn form_token(b: &Browser) -> Result<Option<String>, String> {
    let v = b.execute(
        "var f = document.querySelector('form'); return f ? new FormData(f).get('ringproof-response') : null",
        vec![],
    )?;
    Ok(v.as_str().filter(|t| !t.is_empty()).map(str::to_owned))
}

/// The `data-testid` (else the tag) of what has focus inside the widget.
pub fn focused(b: &Browser) -> Result<Value, String> {
    b.execute(
        "var a = document.querySelector('ringproof-verify').shadowRoot.activeElement; return a ? (a.dataset.testid || a.tagName) : null;",
        vec![],
    )
}

/// Waits until focus is on the widget's element with `data-testid` `testid`.
pub fn wait_focus(b: &Browser, testid: &str) {
    b.wait_for(&format!("focus on {testid}"), || {
        let f = focused(b)?;
        (f == json!(testid)).then_some(()).ok_or(f.to_string())
    })
    .unwrap();
}

/// axe-core finds nothing wrong with the widget as it stands.
pub fn accessible(b: &Browser, step: &str) {
    ringproof_tests::axe::assert_accessible(b, "ringproof-verify", step);
}

pub fn type_and_submit(b: &Browser, number: &str) {
    type_and_submit_in(b, "ringproof-verify", number);
}

/// [`type_and_submit`] for the widget at `host` (a selector).
pub fn type_and_submit_in(b: &Browser, host: &str, number: &str) {
    b.in_shadow(host, "[data-testid=phone]")
        .unwrap()
        .type_text(number)
        .unwrap();
    b.in_shadow(host, "[data-testid=submit]")
        .unwrap()
        .click()
        .unwrap();
}

fn main() -> std::process::ExitCode {
    let tests: &[(&'static str, Scenario)] = scenarios![
        create_answers_201_with_image_and_tel,
        cors_allows_the_sites_origins_only,
        a_site_bound_to_its_domain_refuses_localhost,
        bad_input_gets_stable_4xx_codes,
        code_provider_webhooks_need_their_secret,
        unmatched_calls_change_nothing_and_repeats_are_harmless,
        siteverify_checks_secret_and_accepts_forms,
        concurrent_siteverify_succeeds_once,
        sandbox_goes_through_the_webhook_path,
        production_config_has_no_sandbox,
        a_new_deployment_refuses_the_sandbox_and_skips_a_keyless_channel,
        browser_flow_on_another_origin,
        browser_shows_errors_in_plain_words,
        browser_takes_national_numbers,
        a_country_hint_never_rewrites_an_international_number,
        demo_page_verifies_with_the_simulate_button,
        demo_page_verifies_through_the_carrier,
    ];
    let tests: Vec<(&'static str, Scenario)> = tests
        .iter()
        .copied()
        .chain(e2e::channels::SCENARIOS.iter().copied())
        .chain(e2e::sites::SCENARIOS.iter().copied())
        .chain(e2e::callbacks::SCENARIOS.iter().copied())
        .chain(e2e::sdk::SCENARIOS.iter().copied())
        .chain(e2e::attacks::SCENARIOS.iter().copied())
        .chain(e2e::bystanders::SCENARIOS.iter().copied())
        .chain(e2e::carriers::SCENARIOS.iter().copied())
        .chain(e2e::failover::SCENARIOS.iter().copied())
        .chain(e2e::hostile::SCENARIOS.iter().copied())
        .chain(e2e::visitors::SCENARIOS.iter().copied())
        .chain(e2e::site_owners::SCENARIOS.iter().copied())
        .chain(e2e::live::SCENARIOS.iter().copied())
        .chain(e2e::lifetimes::SCENARIOS.iter().copied())
        .chain(e2e::console::SCENARIOS.iter().copied())
        .collect();
    e2e::runner::main(tests, start)
}

/// The shared edge, and the receiver its sites' callbacks go to.
fn start() -> Result<Ctx, String> {
    Ok(Ctx {
        edge: LocalEdge::start_for_tests()?,
        receiver: CallbackReceiver::start().map_err(|e| format!("callback receiver: {e}"))?,
        sites: Default::default(),
    })
}
