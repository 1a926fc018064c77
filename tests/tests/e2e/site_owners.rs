//! Issue 12: the widget as a site owner meets it after Turnstile: a real form control with
//! `required`, events and `data-*-callback`s, `window.ringproof` in a single-page app, a
//! strict CSP, themes, and the test keys a site's own automated test signs up with.

use crate::{accessible, form_token, type_and_submit_in, visitor_e164, visitor_phone, Ctx, ORIGIN};
use ringproof_api::Channel;
use ringproof_tests::browser::{Browser, Device};
use ringproof_tests::fake_providers::Provider;
use ringproof_tests::host_page::HostPage;
use ringproof_tests::http;
use serde_json::{json, Value};
use std::time::Duration;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    a_required_field_holds_the_form_until_verified,
    test_keys_verify_every_channel_without_a_provider,
    test_secrets_redeem_only_test_tokens,
    test_keys_cannot_lock_a_real_number,
    explicit_render_remove_and_render_again,
    strict_csp_reports_no_violation,
    themes_follow_the_page_and_the_visitor,
    attributes_and_callbacks_are_followed,
    the_field_name_and_size_are_the_pages,
    a_lost_connection_is_an_error_event,
    an_expired_token_is_cleared_and_renewed_without_another_sms,
    vue_example_verifies,
    the_loader_checks_what_it_loads,
];

use crate::Scenario;

const HOST: &str = "ringproof-verify";

/// Records every `ringproof-*`, `input` and `change` event the page hears, in order.
const RECORDER: &str = r#"
window.heard = [];
['ready','pending','verified','failed','expired','error'].forEach(function (n) {
  document.addEventListener('ringproof-' + n, function (e) {
    window.heard.push(n + (e.detail && e.detail.code ? ':' + e.detail.code : ''));
  });
});
document.addEventListener('input', function (e) { if (e.target.localName === 'ringproof-verify') window.heard.push('input'); });
document.addEventListener('change', function (e) { if (e.target.localName === 'ringproof-verify') window.heard.push('change'); });
window.submitted = 0;
document.addEventListener('submit', function (e) { e.preventDefault(); window.submitted++; });
"#;

/// A page on another origin: `body` inside `<body>`, the recorder, then the loader.
fn page(ctx: &Ctx, html_lang: &str, body: &str, loader_query: &str) -> HostPage {
    HostPage::serve(format!(
        r#"<!doctype html><html lang="{html_lang}"><head><title>Sign up</title></head><body>
{body}
<script>{RECORDER}</script>
<script src="{edge}/v1/widget.js{loader_query}" async></script></body></html>"#,
        edge = ctx.edge.base_url
    ))
}

fn open(page: &HostPage) -> Browser {
    let b = Browser::start().expect("browser");
    b.goto(&page.url).unwrap();
    b
}

fn js(b: &Browser, script: &str) -> Value {
    b.execute(script, vec![]).unwrap()
}

fn heard(b: &Browser) -> Vec<String> {
    serde_json::from_value(js(b, "return window.heard")).unwrap()
}

fn wait_heard(b: &Browser, what: &str) {
    b.wait_for(&format!("the page to hear {what}"), || {
        let h = heard(b);
        let said = said(b);
        h.iter()
            .any(|e| e == what)
            .then_some(())
            .ok_or(format!("{h:?}, the widget says {said:?}"))
    })
    .unwrap();
}

/// The widget's error line as it stands (without waiting for one).
fn said(b: &Browser) -> Value {
    js(
        b,
        "var r = document.querySelector('ringproof-verify'); var e = r && r.shadowRoot && r.shadowRoot.querySelector('[data-testid=error]'); return e ? e.textContent : null",
    )
}

fn text_of(b: &Browser, testid: &str) -> String {
    b.in_shadow(HOST, &format!("[data-testid={testid}]"))
        .unwrap()
        .text()
        .unwrap()
}

fn start_with(b: &Browser, number: &str) {
    type_and_submit_in(b, HOST, number);
}

/// Types the test keys' code into the code field, which sends it on its last digit.
fn type_code(b: &Browser, code: &str) {
    b.in_shadow(HOST, "[data-testid=code]")
        .unwrap()
        .type_text(code)
        .unwrap();
}

fn wait_token(b: &Browser) -> String {
    b.wait_for("a token in the form", || {
        form_token(b)?.ok_or_else(|| format!("{:?}, the widget says {:?}", heard(b), said(b)))
    })
    .unwrap()
}

fn provider_requests(ctx: &Ctx) -> usize {
    [Provider::Mcn, Provider::TeleSign, Provider::PhoneConfirm]
        .into_iter()
        .map(|p| ctx.edge.fakes.requests_to(p).len())
        .sum()
}

fn a_required_field_holds_the_form_until_verified(ctx: &Ctx) {
    let page = page(
        ctx,
        "de",
        r#"<form id="signup" action="/signup" method="post">
  <input name="email" value="a@example.com">
  <ringproof-verify site-key="rp_test_sms" required action="signup" cdata="cart-42"></ringproof-verify>
  <button id="send">Registrieren</button>
</form>"#,
        "",
    );
    let b = open(&page);
    wait_heard(&b, "ready");
    // Not verified yet: the form does not submit, and says why in the page's language.
    let valid = js(&b, "var f = document.getElementById('signup'); f.requestSubmit(); return [f.checkValidity(), document.querySelector('ringproof-verify').validationMessage, window.submitted]");
    assert_eq!(
        valid,
        json!([false, "Bitte bestätigen Sie Ihre Telefonnummer.", 0])
    );
    assert_eq!(
        js(
            &b,
            "return document.querySelector('ringproof-verify').matches(':state(verified)')"
        ),
        json!(false)
    );
    start_with(&b, visitor_phone());
    wait_heard(&b, "pending");
    type_code(&b, "123456");
    let token = wait_token(&b);
    let state = js(
        &b,
        "var e = document.querySelector('ringproof-verify'); return [e.matches(':state(verified)'), e.checkValidity(), e.value === e.getResponse(), [...new FormData(document.getElementById('signup')).keys()]]",
    );
    assert_eq!(
        state,
        json!([true, true, true, ["email", "ringproof-response"]])
    );
    let events = heard(&b);
    for e in ["ready", "pending", "verified", "input", "change"] {
        assert!(events.contains(&e.to_owned()), "{e} in {events:?}");
    }
    js(&b, "document.getElementById('signup').requestSubmit()");
    assert_eq!(
        js(&b, "return window.submitted"),
        json!(1),
        "verified: it submits"
    );
    // The site's server, with the test secret: the page's host and labels come back.
    let ok = ctx.siteverify("rp_test_secret_verifies", &token);
    assert_eq!(ok["success"], true, "{ok}");
    assert_eq!(ok["test"], true);
    assert_eq!(ok["phone"], visitor_e164());
    assert_eq!(ok["channel"], "sms");
    assert_eq!(ok["hostname"], "localhost");
    assert_eq!(ok["action"], "signup");
    assert_eq!(ok["cdata"], "cart-42");
    let again = ctx.siteverify("rp_test_secret_verifies", &token);
    assert_eq!(again["error_codes"], json!(["timeout-or-duplicate"]));
    // The form's reset empties the field and starts the widget afresh.
    js(&b, "document.getElementById('signup').reset()");
    b.wait_for("the phone form again", || {
        b.in_shadow(HOST, "[data-testid=phone]").map(|_| ())
    })
    .unwrap();
    let reset = js(&b, "var e = document.querySelector('ringproof-verify'); return [e.checkValidity(), e.getResponse() === undefined, new FormData(document.getElementById('signup')).get('ringproof-response')]");
    assert_eq!(reset, json!([false, true, null]));
}

fn test_keys_verify_every_channel_without_a_provider(ctx: &Ctx) {
    let before = provider_requests(ctx);
    for (key, code) in [
        ("rp_test_sms", Some("123456")),
        ("rp_test_voice_call", Some("123456")),
        ("rp_test_flash_call", Some("1234")),
        ("rp_test_missed_call", None),
    ] {
        let page = page(
            ctx,
            "en",
            &format!(r#"<form><ringproof-verify site-key="{key}"></ringproof-verify></form>"#),
            "",
        );
        let b = open(&page);
        start_with(&b, visitor_phone());
        let note = b
            .wait_for("the test key's note", || {
                b.in_shadow(HOST, "[data-testid=test-note]")?.text()
            })
            .unwrap();
        assert!(note.starts_with("Test key"), "{key}: {note}");
        match code {
            Some(code) => {
                assert!(note.contains(code), "{note}");
                type_code(&b, code);
            }
            None => {
                accessible(&b, "a test key's missed call");
                b.in_shadow(HOST, "[data-testid=simulate]")
                    .unwrap()
                    .click()
                    .unwrap();
            }
        }
        let token = wait_token(&b);
        let ok = ctx.siteverify("rp_test_secret_verifies", &token);
        assert_eq!(ok["success"], true, "{key}: {ok}");
        assert_eq!(ok["test"], true);
    }
    assert_eq!(
        provider_requests(ctx),
        before,
        "no provider was asked to call or text"
    );

    // The failing key fails at once, and says so to the page.
    let page = page(
        ctx,
        "en",
        r#"<form><ringproof-verify site-key="rp_test_fails" data-failed-callback="onFailed"></ringproof-verify></form>
<script>window.failedWith = null; function onFailed(code) { window.failedWith = code; }</script>"#,
        "",
    );
    let b = open(&page);
    start_with(&b, visitor_phone());
    wait_heard(&b, "failed:sms_undelivered");
    assert_eq!(js(&b, "return window.failedWith"), json!("sms_undelivered"));
    assert_eq!(form_token(&b).unwrap(), None);
}

fn test_secrets_redeem_only_test_tokens(ctx: &Ctx) {
    // A test token, as a site's automated test gets it.
    let page = page(
        ctx,
        "en",
        r#"<form><ringproof-verify site-key="rp_test_sms"></ringproof-verify></form>"#,
        "",
    );
    let b = open(&page);
    start_with(&b, visitor_phone());
    type_code(&b, "123456");
    let token = wait_token(&b);
    let code = |v: Value| v["error_codes"][0].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        code(ctx.siteverify("rp_test_secret_fails", &token)),
        "invalid-input-response"
    );
    assert_eq!(
        code(ctx.siteverify("rp_test_secret_spent", &token)),
        "timeout-or-duplicate"
    );
    // A real site's secret never takes a test token.
    assert_eq!(
        code(ctx.siteverify(&ctx.edge.sandbox.secret, &token)),
        "invalid-input-response"
    );
    // And the test secret never takes a real one: a real missed call, verified.
    let created = ctx.start();
    ctx.call(&created);
    let id = created["verification_id"].as_str().unwrap();
    let real = ctx.status(id)["token"].as_str().unwrap().to_owned();
    assert_eq!(
        code(ctx.siteverify("rp_test_secret_verifies", &real)),
        "invalid-input-response"
    );
    let ok = ctx.siteverify(&ctx.edge.sandbox.secret, &real);
    assert_eq!(ok["success"], true, "the real token is still good: {ok}");
    assert!(ok.get("test").is_none(), "{ok}");
    // Another site's page may neither renew a test verification's token nor simulate its
    // call: both answer only the page that started it.
    let created = ctx.create(
        json!({"site_key": "rp_test_missed_call", "phone": visitor_phone()}),
        Some(ORIGIN),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let vid = created.json()["verification_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let evil = [("Origin", "https://evil.example")];
    for (path, body) in [
        (format!("/v1/verifications/{vid}/token"), json!({})),
        (
            "/v1/sandbox/missed-call".to_owned(),
            json!({"verification_id": vid}),
        ),
    ] {
        let r = http::post_json(&format!("{}{path}", ctx.edge.base_url), &body, &evil).unwrap();
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "origin_not_allowed");
    }
    // The sandbox's call completes no other site's verification (on the test edge it still
    // completes the sandbox site's own demo).
    let site = ctx.site_with(&[Channel::MissedCall]);
    let real = ctx.start_on(&site, Channel::MissedCall);
    let r = http::post_json(
        &format!("{}/v1/sandbox/missed-call", ctx.edge.base_url),
        &json!({"verification_id": real["verification_id"]}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "sandbox_site_only");
    // Markup in the labels siteverify echoes is refused before anything starts.
    for (field, bad) in [("action", "<script>"), ("cdata", "a b")] {
        let r = ctx.create(
            json!({"site_key": "rp_test_sms", "phone": visitor_phone(), field: bad}),
            Some(ORIGIN),
        );
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "invalid_request");
    }
    // Still unspent by the refusals above.
    assert_eq!(
        ctx.siteverify("rp_test_secret_verifies", &token)["success"],
        true
    );
}

/// Waits until the page's callbacks have recorded exactly `want` in `window.got`.
fn wait_got(b: &Browser, what: &str, want: Value) {
    b.wait_for(what, || {
        let got = js(b, "return window.got");
        (got == want).then_some(()).ok_or(got.to_string())
    })
    .unwrap();
}

fn explicit_render_remove_and_render_again(ctx: &Ctx) {
    let page = page(
        ctx,
        "en",
        r#"<main id="app"><div id="slot"></div></main>
<script>
window.got = [];
window.sockets = [];
var RealSocket = window.WebSocket;
window.WebSocket = function (url) { var ws = new RealSocket(url); window.sockets.push(ws); return ws; };
function mount() {
  return ringproof.render('#slot', {
    sitekey: 'rp_test_sms',
    callback: function (token) { window.got.push('token'); },
    'ready-callback': function () { window.got.push('ready'); },
    expiredCallback: function () { window.got.push('expired'); }
  });
}
function boot() { window.booted = true; window.first = mount(); }
</script>
<ringproof-verify site-key="rp_test_sms" id="static"></ringproof-verify>"#,
        "?render=explicit&onload=boot",
    );
    let b = open(&page);
    b.wait_for("the onload callback", || {
        (js(&b, "return window.booted === true") == json!(true))
            .then_some(())
            .ok_or("not yet".to_owned())
    })
    .unwrap();
    wait_got(&b, "the rendered widget's ready callback", json!(["ready"]));
    // Explicit mode: the element in the page's HTML waits for `render`.
    assert_eq!(
        js(
            &b,
            "return document.getElementById('static').shadowRoot === null"
        ),
        json!(true)
    );
    assert_eq!(
        js(
            &b,
            "return [ringproof.getResponse(window.first), ringproof.isExpired(window.first)]"
        ),
        json!([null, false])
    );
    // A verification under way follows the edge over a socket; removing the element stops it
    // all.
    let host = "#slot ringproof-verify";
    type_and_submit_in(&b, host, visitor_phone());
    wait_heard(&b, "pending");
    let open = "return window.sockets.map(function (s) { return s.readyState; })";
    b.wait_for("its socket", || {
        let v = js(&b, open);
        (v == json!([1])).then_some(()).ok_or(v.to_string())
    })
    .unwrap();
    let edge = ctx.edge.base_url.clone();
    let count = format!(
        "return performance.getEntriesByType('resource').filter(e => e.name.startsWith('{edge}/v1/verifications')).length"
    );
    let polls_before = js(&b, &count).as_u64().unwrap();
    js(&b, "ringproof.remove(window.first)");
    assert_eq!(
        js(
            &b,
            "return document.querySelector('#slot ringproof-verify')"
        ),
        Value::Null
    );
    std::thread::sleep(Duration::from_millis(4000));
    assert_eq!(
        js(&b, &count).as_u64().unwrap(),
        polls_before,
        "a removed widget asks nothing more"
    );
    assert_eq!(js(&b, open), json!([3]), "and its socket is closed");
    // Mounted again, as a single-page app returning to the page does: it works afresh.
    js(&b, "window.got = []; window.second = mount()");
    wait_got(&b, "ready again", json!(["ready"]));
    type_and_submit_in(&b, host, visitor_phone());
    b.in_shadow(host, "[data-testid=code]")
        .unwrap()
        .type_text("123456")
        .unwrap();
    wait_got(&b, "the token callback", json!(["ready", "token"]));
    let token = js(&b, "return ringproof.getResponse('#slot ringproof-verify')");
    assert!(
        token.as_str().is_some_and(|t| t.starts_with("rp1.")),
        "{token}"
    );
    // Moving the element within the page keeps its verification.
    js(
        &b,
        "document.getElementById('app').appendChild(window.second)",
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(js(&b, "return ringproof.getResponse(window.second)"), token);
    js(&b, "ringproof.reset(window.second)");
    assert_eq!(
        js(&b, "return ringproof.getResponse(window.second)"),
        Value::Null
    );
}

fn strict_csp_reports_no_violation(ctx: &Ctx) {
    let edge = &ctx.edge.base_url;
    // The directives the README lists, and nothing else allowed: no inline style, no eval.
    // Read from the README, so its line is the one tested.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let listed = readme
        .lines()
        .find(|l| l.starts_with("script-src https://YOUR-EDGE"))
        .expect("the README's CSP line");
    let host = edge.trim_start_matches("http://");
    let widget = listed
        .replace("https://YOUR-EDGE", edge)
        .replace("wss://YOUR-EDGE", &format!("ws://{host}"))
        .replace("script-src ", "script-src 'nonce-r1ng' ");
    let csp = format!(
        "default-src 'none'; {widget}; style-src 'self'; base-uri 'none'; form-action 'self'"
    );
    let html = format!(
        r#"<!doctype html><html lang="en"><head><title>Strict</title></head><body>
<script nonce="r1ng">
window.violations = [];
document.addEventListener('securitypolicyviolation', function (e) {{
  window.violations.push(e.violatedDirective + ' ' + e.blockedURI);
}});
{RECORDER}
</script>
<form><ringproof-verify site-key="rp_test_missed_call"></ringproof-verify></form>
<script nonce="r1ng" src="{edge}/v1/widget.js" async></script></body></html>"#
    );
    let page = HostPage::serve_with(html, &format!("Content-Security-Policy: {csp}\r\n"));
    let b = open(&page);
    wait_heard(&b, "ready");
    start_with(&b, visitor_phone());
    b.in_shadow(HOST, "[data-testid=number-image]").unwrap();
    b.in_shadow(HOST, "[data-testid=call-qr]").unwrap();
    // Styled by the widget's sheet, not left bare.
    let styled = js(
        &b,
        "var r = document.querySelector('ringproof-verify').shadowRoot; return [getComputedStyle(r.querySelector('[data-testid=simulate]')).backgroundColor, getComputedStyle(r.querySelector('.rp')).borderTopStyle, r.querySelectorAll('style').length]",
    );
    assert_eq!(styled, json!(["rgb(26, 86, 219)", "solid", 0]));
    b.in_shadow(HOST, "[data-testid=simulate]")
        .unwrap()
        .click()
        .unwrap();
    wait_token(&b);
    assert_eq!(js(&b, "return window.violations"), json!([]));
    // The listener does hear a violation: an image from elsewhere is one.
    js(&b, "var i = new Image(); i.src = 'http://127.0.0.1:9/blocked.png'; document.body.appendChild(i)");
    b.wait_for("the planted violation", || {
        let v = js(&b, "return window.violations");
        (v.as_array().map(Vec::len) == Some(1))
            .then_some(())
            .ok_or(v.to_string())
    })
    .unwrap();
}

/// The widget box's background, and its submit button's.
fn colours(b: &Browser) -> Value {
    js(
        b,
        "var r = document.querySelector('ringproof-verify').shadowRoot; return [getComputedStyle(r.querySelector('.rp')).backgroundColor, getComputedStyle(r.querySelector('[data-testid=submit]')).backgroundColor]",
    )
}

fn themes_follow_the_page_and_the_visitor(ctx: &Ctx) {
    let dark_page = page(
        ctx,
        "en",
        r#"<style>body { background: #0d1117; color: #e6edf3; font-family: Georgia, serif; }</style>
<form><ringproof-verify site-key="rp_test_sms" theme="dark"></ringproof-verify></form>"#,
        "",
    );
    for device in [Device::Phone, Device::Desktop] {
        let b = Browser::start_as(device).expect("browser");
        b.goto(&dark_page.url).unwrap();
        wait_heard(&b, "ready");
        assert_eq!(
            colours(&b),
            json!(["rgb(28, 31, 38)", "rgb(138, 180, 255)"])
        );
        // The page's font, by default.
        let font = js(&b, "return getComputedStyle(document.querySelector('ringproof-verify').shadowRoot.querySelector('.rp')).fontFamily");
        assert_eq!(font, json!("Georgia, serif"));
        accessible(&b, "the dark form");
        let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/shots");
        let _ = std::fs::create_dir_all(&shots);
        b.screenshot(&shots.join(format!("dark-form-{}.png", device.name())))
            .unwrap();
        start_with(&b, visitor_phone());
        b.in_shadow(HOST, "[data-testid=code]").unwrap();
        accessible(&b, "the dark SMS step");
        b.screenshot(&shots.join(format!("dark-sms-{}.png", device.name())))
            .unwrap();
    }
    // `auto` (the default) follows the visitor's preference; `light` does not.
    let page = page(
        ctx,
        "en",
        r#"<form><ringproof-verify site-key="rp_test_sms" id="auto"></ringproof-verify>
<ringproof-verify site-key="rp_test_sms" id="light" theme="light"></ringproof-verify>
<ringproof-verify site-key="rp_test_sms" id="custom" style="--ringproof-accent: rgb(200, 0, 0); --ringproof-radius: 0px"></ringproof-verify></form>
<style>ringproof-verify::part(phone) { border-width: 3px; }</style>"#,
        "",
    );
    let b = open(&page);
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    )
    .unwrap();
    b.wait_for("three widgets", || {
        let n = js(&b, "return document.querySelectorAll('ringproof-verify').length && [...document.querySelectorAll('ringproof-verify')].filter(e => e.shadowRoot && e.shadowRoot.querySelector('[data-testid=submit]')).length");
        (n == json!(3)).then_some(()).ok_or(n.to_string())
    })
    .unwrap();
    let of = |id: &str| {
        js(
            &b,
            &format!("var r = document.getElementById('{id}').shadowRoot; return [getComputedStyle(r.querySelector('.rp')).backgroundColor, getComputedStyle(r.querySelector('[data-testid=submit]')).backgroundColor, getComputedStyle(r.querySelector('[data-testid=phone]')).borderTopWidth, getComputedStyle(r.querySelector('.rp')).borderTopLeftRadius]"),
        )
    };
    assert_eq!(of("auto")[0], json!("rgb(28, 31, 38)"), "auto is dark here");
    assert_eq!(of("light")[0], json!("rgb(255, 255, 255)"));
    let custom = of("custom");
    assert_eq!(custom[1], json!("rgb(200, 0, 0)"), "{custom}");
    assert_eq!(custom[2], json!("3px"), "::part(phone) styled by the page");
    assert_eq!(custom[3], json!("0px"));
}

fn attributes_and_callbacks_are_followed(ctx: &Ctx) {
    let page = page(
        ctx,
        "en",
        r#"<form><ringproof-verify site-key="rp_test_verifies" channel="sms" country="IN" phone="98765 43210"
  data-callback="onToken" data-pending-callback="onPending" data-ready-callback="onReady"></ringproof-verify></form>
<script>
window.calls = [];
function onReady() { calls.push('ready'); }
function onPending(d) { calls.push('pending ' + (d.verification_id.length > 10)); }
function onToken(t) { calls.push('token ' + t.slice(0, 4)); }
</script>"#,
        "",
    );
    let b = open(&page);
    wait_heard(&b, "ready");
    // The page's country and number are there; the visitor only confirms.
    b.wait_for("India chosen", || {
        let v = js(&b, "return document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=country]').value");
        (v == json!("IN")).then_some(()).ok_or(v.to_string())
    })
    .unwrap();
    let typed = js(&b, "return document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=phone]').value");
    assert_eq!(typed, json!("98765 43210"));
    b.in_shadow(HOST, "[data-testid=submit]")
        .unwrap()
        .click()
        .unwrap();
    // `channel="sms"`: the site's first way is a missed call, the page asked for a text.
    b.in_shadow(HOST, "[data-testid=code]").unwrap();
    type_code(&b, "123456");
    let token = wait_token(&b);
    assert_eq!(
        js(&b, "return window.calls"),
        json!(["ready", "pending true", "token rp1."])
    );
    let ok = ctx.siteverify("rp_test_secret_verifies", &token);
    assert_eq!(ok["phone"], "+919876543210", "{ok}");
    assert_eq!(ok["channel"], "sms");
    // A changed attribute is followed: a new language starts the widget afresh in it.
    js(
        &b,
        "document.querySelector('ringproof-verify').setAttribute('lang', 'fr')",
    );
    let fr: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../widget/i18n/fr.json"
        ))
        .unwrap(),
    )
    .unwrap();
    b.wait_for("the form in French", || {
        let t = text_of(&b, "submit");
        (t == fr["form.submit"]).then_some(()).ok_or(t)
    })
    .unwrap();
    assert_eq!(form_token(&b).unwrap(), None, "a fresh start has no token");
}

fn an_expired_token_is_cleared_and_renewed_without_another_sms(ctx: &Ctx) {
    // The sandbox site, whose SMS goes through the fake TeleSign: one send, counted.
    // The site's server chose a ClientTransactionId and signed it; the page passes both on.
    let ctid = crate::unique_ctid();
    let html = format!(
        r#"<form id="f"><ringproof-verify site-key="{}" channel="sms" client-transaction-id="{ctid}" client-transaction-signature="{}" data-expired-callback="onExpired"></ringproof-verify></form>
<script>window.expiredCalls = 0; function onExpired() {{ window.expiredCalls++; }}</script>"#,
        ctx.edge.sandbox.site_key,
        crate::signed(&ctx.edge.sandbox.secret, &ctid)
    );
    let page = page(ctx, "en", &html, "");
    let b = open(&page);
    let sends = ctx
        .edge
        .fakes
        .requests_for(Provider::TeleSign, visitor_e164())
        .len();
    start_with(&b, visitor_phone());
    b.in_shadow(HOST, "[data-testid=code]").unwrap();
    let code = b
        .wait_for("the SMS", || {
            ctx.edge
                .fakes
                .last_message(visitor_e164())
                .filter(|m| m.channel == "sms")
                .map(|m| m.code)
                .ok_or("no SMS yet".to_owned())
        })
        .unwrap();
    type_code(&b, &code);
    let first = wait_token(&b);
    let got_it = std::time::Instant::now();
    // The test edge's tokens live 40 s (`TOKEN_TTL_SECS`); the page hears the end.
    b.wait_for("the token's expiry", || {
        let h = heard(&b);
        h.contains(&"expired".to_owned())
            .then_some(())
            .ok_or(format!("{h:?}"))
    })
    .unwrap();
    let lived = got_it.elapsed().as_secs_f64();
    assert!(
        (38.0..50.0).contains(&lived),
        "the token lived {lived:.1} s, not the test edge's 40"
    );
    assert_eq!(
        form_token(&b).unwrap(),
        None,
        "the dead token left the form"
    );
    assert_eq!(js(&b, "return window.expiredCalls"), json!(1));
    assert_eq!(
        js(&b, "var e = document.querySelector('ringproof-verify'); return [e.isExpired(), e.matches(':state(expired)'), ringproof.isExpired()]"),
        json!([true, true, true])
    );
    assert!(
        text_of(&b, "status").contains("expired"),
        "{}",
        text_of(&b, "status")
    );
    accessible(&b, "an expired token");
    let dead = ctx.siteverify(&ctx.edge.sandbox.secret, &first);
    assert_eq!(
        dead["error_codes"],
        json!(["timeout-or-duplicate"]),
        "{dead}"
    );
    b.in_shadow(HOST, "[data-testid=renew]")
        .unwrap()
        .click()
        .unwrap();
    let fresh = b
        .wait_for("a fresh token", || {
            form_token(&b)?
                .filter(|t| *t != first)
                .ok_or("not yet".to_owned())
        })
        .unwrap();
    assert_eq!(
        ctx.edge
            .fakes
            .requests_for(Provider::TeleSign, visitor_e164())
            .len(),
        sends + 1,
        "one SMS in all"
    );
    assert_eq!(
        js(
            &b,
            "return document.querySelector('ringproof-verify').isExpired()"
        ),
        json!(false)
    );
    let ok = ctx.siteverify(&ctx.edge.sandbox.secret, &fresh);
    assert_eq!(ok["success"], true, "{ok}");
    assert_eq!(ok["client_transaction_id"], ctid.as_str());
    // Spent: no more renewals, so one verification is one sign-up (asked from its own page:
    // a request without it gets no token at all).
    let id = fresh.split('.').nth(1).unwrap();
    let renew = |headers: &[(&str, &str)]| {
        http::post_json(
            &format!("{}/v1/verifications/{id}/token", ctx.edge.base_url),
            &json!({}),
            headers,
        )
        .unwrap()
    };
    assert_eq!(renew(&[]).error_code(), "origin_not_allowed");
    let own = page.url.split('/').take(3).collect::<Vec<_>>().join("/");
    let r = renew(&[("Origin", own.as_str())]);
    assert_eq!(r.status, 410, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "expired");
}

fn test_keys_cannot_lock_a_real_number(ctx: &Ctx) {
    // An attacker's script guesses wrong test codes for a victim's number, more than the
    // daily limit of wrong codes a number may have (10).
    let victim = "+447400555123";
    for _ in 0..3 {
        let r = ctx.create(
            json!({"site_key": "rp_test_sms", "phone": victim}),
            Some(ORIGIN),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["verification_id"].as_str().unwrap().to_owned();
        for _ in 0..5 {
            let wrong = ctx.act(&id, "check", json!({"code": "000000"}));
            assert_eq!(wrong.status, 200, "{}", wrong.body);
        }
    }
    // The victim's real verification on a real site still takes their code.
    let r = ctx.create(
        json!({"site_key": ctx.edge.sandbox.site_key, "phone": victim, "channel": "sms"}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    let code = ctx.edge.fakes.last_message(victim).expect("the SMS").code;
    let right = ctx.act(&id, "check", json!({"code": code}));
    assert_eq!(right.status, 200, "not locked: {}", right.body);
    assert_eq!(right.json()["status"], "verified");
}

/// The README's Vue example, as written there, in a page with Vue's browser build.
fn vue_example_verifies(ctx: &Ctx) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let from = readme.find("<template>").expect("the README's Vue example");
    let to = readme[from..].find("</template>").unwrap() + from + "</template>".len();
    let template = &readme[from + "<template>".len()..to - "</template>".len()];
    let vue_path = std::env::var("RINGPROOF_VUE")
        .expect("RINGPROOF_VUE is not set (run through `cargo xtask test`)");
    let vue = std::fs::read_to_string(&vue_path).expect("Vue's browser build");
    let html = format!(
        r#"<!doctype html><html lang="en"><head><title>Vue sign-up</title></head><body>
<div id="app"></div>
<script type="text/x-template" id="signup">{template}</script>
<script>{vue}</script>
<script>
const app = Vue.createApp({{
  template: '#signup',
  data: () => ({{ siteKey: 'rp_test_sms', token: null }}),
}});
app.config.compilerOptions.isCustomElement = (tag) => tag.startsWith('ringproof-');
window.vm = app.mount('#app');
</script>
<script src="{edge}/v1/widget.js" async></script></body></html>"#,
        edge = ctx.edge.base_url
    );
    let page = HostPage::serve(html);
    let b = open(&page);
    let button_disabled = "return document.querySelector('#app button').disabled";
    b.wait_for("the widget inside Vue's template", || {
        b.in_shadow(HOST, "[data-testid=phone]").map(|_| ())
    })
    .unwrap();
    assert_eq!(js(&b, button_disabled), json!(true));
    start_with(&b, visitor_phone());
    type_code(&b, "123456");
    b.wait_for("Vue's state to hold the token", || {
        let t = js(&b, "return window.vm.token");
        t.as_str()
            .filter(|t| t.starts_with("rp1."))
            .map(|_| ())
            .ok_or(t.to_string())
    })
    .unwrap();
    assert_eq!(
        js(&b, button_disabled),
        json!(false),
        "the button follows the token"
    );
    let token = js(&b, "return window.vm.token");
    let ok = ctx.siteverify("rp_test_secret_verifies", token.as_str().unwrap());
    assert_eq!(ok["success"], true, "{ok}");
}

/// Subresource Integrity's `sha384-<base64>`, computed here, not by the build.
fn sri(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes))
    )
}

/// A page with the loader's text inline (so no `document.currentScript.src`: the element's
/// `edge` says where the edge is).
fn inline_loader_page(ctx: &Ctx, loader: &str) -> HostPage {
    HostPage::serve(format!(
        r#"<!doctype html><html lang="en"><head><title>Bundled</title></head><body>
<form><ringproof-verify site-key="rp_test_sms" edge="{edge}"></ringproof-verify></form>
<script>{RECORDER}</script>
<script>{loader}</script></body></html>"#,
        edge = ctx.edge.base_url
    ))
}

fn the_loader_checks_what_it_loads(ctx: &Ctx) {
    let edge = &ctx.edge.base_url;
    let release = http::get(&format!("{edge}/v1/release.json"))
        .unwrap()
        .json();
    let loader_path = release["loader"].as_str().unwrap().to_owned();
    let id = release["release"].as_str().unwrap().to_owned();
    let pinned = http::get(&format!("{edge}{loader_path}")).unwrap();
    assert_eq!(pinned.status, 200);
    assert_eq!(
        release["integrity"],
        sri(pinned.body.as_bytes()),
        "published SRI"
    );
    assert_eq!(
        http::get(&format!("{edge}/v1/widget.js")).unwrap().body,
        pinned.body,
        "/v1/widget.js is the latest release's loader"
    );
    // The loader's one address follows releases: cached 5 minutes, as the README says.
    let latest = http::get(&format!("{edge}/v1/widget.js")).unwrap();
    assert_eq!(
        latest.header("cache-control"),
        Some("public, max-age=300"),
        "/v1/widget.js"
    );
    // A release's files are named by it and cached for a year (the wasm under the same rule;
    // this client reads text only).
    for file in ["widget.js", "ringproof-widget.js", "i18n/en.json"] {
        let r = http::get(&format!("{edge}/v1/releases/{id}/{file}")).unwrap();
        assert_eq!(r.status, 200, "{file}");
        let cache = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("cache-control"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        assert!(
            cache.contains("immutable") && cache.contains("31536000"),
            "{file}: {cache}"
        );
    }
    let module = http::get(&format!("{edge}/v1/releases/{id}/ringproof-widget.js")).unwrap();
    assert_eq!(release["module_integrity"], sri(module.body.as_bytes()));

    // Pinned with SRI, as a site copies it from release.json: it loads, and takes that
    // release's files.
    let pinned_page = HostPage::serve(format!(
        r#"<!doctype html><html lang="en"><head><title>Pinned</title></head><body>
<form><ringproof-verify site-key="rp_test_sms"></ringproof-verify></form>
<script>{RECORDER}</script>
<script src="{edge}{loader_path}" integrity="{}" crossorigin="anonymous" async></script></body></html>"#,
        release["integrity"].as_str().unwrap()
    ));
    let b = open(&pinned_page);
    wait_heard(&b, "ready");
    let fetched = js(&b, "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('ringproof-widget'))");
    let fetched: Vec<String> = serde_json::from_value(fetched).unwrap();
    assert!(
        !fetched.is_empty()
            && fetched
                .iter()
                .all(|n| n.contains(&format!("/v1/releases/{id}/"))),
        "{fetched:?}"
    );

    // Inline, with the `edge` attribute: it loads.
    let b = open(&inline_loader_page(ctx, &pinned.body));
    wait_heard(&b, "ready");
    // A module or a wasm that is not the release's is refused, and the page is told.
    let other = sri(b"something else");
    for wrong in ["module_integrity", "wasm_integrity"] {
        let loader = pinned
            .body
            .replace(release[wrong].as_str().unwrap(), &other);
        assert_ne!(loader, pinned.body);
        let b = open(&inline_loader_page(ctx, &loader));
        wait_heard(&b, "error:load");
        assert!(!heard(&b).contains(&"ready".to_owned()), "{wrong}");
        let said = js(
            &b,
            "return document.querySelector('ringproof-verify').shadowRoot.textContent",
        );
        assert_eq!(
            said,
            json!("Phone verification could not load. Please reload the page.")
        );
        // The space the form will take is kept (8.5rem), loaded or not: the page never jumps.
        let height = js(
            &b,
            "return document.querySelector('ringproof-verify').getBoundingClientRect().height",
        );
        assert!(height.as_f64().unwrap() >= 136.0, "{height}");
    }
}

fn the_field_name_and_size_are_the_pages(ctx: &Ctx) {
    let page = page(
        ctx,
        "en",
        r#"<form id="f"><ringproof-verify site-key="rp_test_sms" name="other" response-field-name="phone_token" size="compact"></ringproof-verify></form>"#,
        "",
    );
    let b = open(&page);
    wait_heard(&b, "ready");
    let width = "return getComputedStyle(document.querySelector('ringproof-verify')).maxWidth";
    assert_eq!(js(&b, width), json!("256px"), "compact: 16rem");
    start_with(&b, visitor_phone());
    type_code(&b, "123456");
    let token = b
        .wait_for("the token under the page's name", || {
            js(
                &b,
                "return new FormData(document.getElementById('f')).get('phone_token')",
            )
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{:?}", heard(&b)))
        })
        .unwrap();
    assert_eq!(
        form_token(&b).unwrap(),
        None,
        "not under the default name too"
    );
    // `response-field="false"`: the form carries nothing; the script still reads it.
    js(
        &b,
        "document.querySelector('ringproof-verify').setAttribute('response-field', 'false')",
    );
    assert_eq!(
        js(&b, "return [[...new FormData(document.getElementById('f')).keys()], ringproof.getResponse()]"),
        json!([[], token])
    );
    js(
        &b,
        "document.querySelector('ringproof-verify').setAttribute('size', 'flexible')",
    );
    assert_eq!(js(&b, width), json!("none"));
}

fn a_lost_connection_is_an_error_event(ctx: &Ctx) {
    let page = page(
        ctx,
        "en",
        r#"<form><ringproof-verify site-key="rp_test_sms" data-error-callback="onError"></ringproof-verify></form>
<script>window.errors = []; function onError(code) { window.errors.push(code); }</script>"#,
        "",
    );
    let b = open(&page);
    wait_heard(&b, "ready");
    b.cdp("Network.enable", json!({})).unwrap();
    let offline = |on: bool| {
        b.cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .unwrap();
    };
    offline(true);
    start_with(&b, visitor_phone());
    wait_heard(&b, "error:network");
    assert_eq!(js(&b, "return window.errors"), json!(["network"]));
    let sentence = said(&b);
    assert!(
        sentence.as_str().is_some_and(|s| !s.is_empty()),
        "the visitor is told too: {sentence}"
    );
    // Back online, the same widget carries on, even when a request then stalls: the first
    // challenge it asks for never answers (until its signal closes it), and it is asked again
    // after ten seconds.
    offline(false);
    js(
        &b,
        r#"window.challenges = 0; window.stallsClosed = 0;
var realFetch = window.fetch;
window.fetch = function (req) {
  var url = typeof req === 'string' ? req : req.url;
  if (url.indexOf('/v1/challenge') >= 0 && window.challenges++ === 0) {
    return new Promise(function (_, reject) {
      req.signal.addEventListener('abort', function () { window.stallsClosed++; reject(req.signal.reason); });
    });
  }
  return realFetch.apply(this, arguments);
};
return null;"#,
    );
    b.in_shadow(HOST, "[data-testid=submit]")
        .unwrap()
        .click()
        .unwrap();
    type_code(&b, "123456");
    wait_token(&b);
    assert_eq!(
        js(&b, "return window.challenges"),
        json!(2),
        "the stalled challenge was asked again"
    );
    assert_eq!(
        js(&b, "return window.stallsClosed"),
        json!(1),
        "the stalled connection was closed, not left open"
    );
    assert_eq!(
        js(&b, "return window.errors"),
        json!(["network"]),
        "and the visitor was not told of it"
    );
}
