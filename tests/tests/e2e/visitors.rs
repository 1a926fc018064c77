//! Issue 11: the widget as visitors meet it: their language (right to left too), the text
//! message in it, one catalog downloaded, a country found by searching, and a whole
//! verification done with the keyboard alone.

use crate::{accessible, visitor_e164, Ctx, Scenario};
use ringproof_api::Channel;
use ringproof_tests::browser::Browser;
use ringproof_tests::fake_providers::Provider;
use ringproof_tests::host_page::HostPage;
use serde_json::{json, Value};
use std::time::Duration;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    widget_speaks_the_element_and_page_language,
    sms_is_written_in_the_visitors_language,
    country_search_finds_by_name_and_dial_code,
    sms_verifies_by_keyboard_alone,
    national_numbers_of_several_countries_verify,
    a_visitor_whose_lines_are_held_is_offered_another_way_at_once,
    a_number_typed_before_the_widget_loads_is_kept_and_sent,
];

const HOST: &str = "ringproof-verify";

fn catalog(tag: &str) -> Value {
    let path = format!("{}/../widget/i18n/{tag}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A page with `html_lang` on `<html>` and `attrs` on the element.
fn open(ctx: &Ctx, site_key: &str, html_lang: &str, attrs: &str) -> (HostPage, Browser) {
    let html = format!(
        r#"<!doctype html><html lang="{html_lang}"><head><title>Shop</title></head><body>
<form id="checkout"><ringproof-verify site-key="{site_key}" {attrs}></ringproof-verify></form>
<script src="{edge}/v1/widget.js" async></script></body></html>"#,
        edge = ctx.edge.base_url
    );
    let page = HostPage::serve(html);
    let b = Browser::start().expect("browser");
    b.goto(&page.url).unwrap();
    (page, b)
}

fn shadow(b: &Browser, js: &str) -> Value {
    b.execute(
        &format!("var r = document.querySelector('ringproof-verify').shadowRoot; {js}"),
        vec![],
    )
    .unwrap()
}

fn text_of(b: &Browser, testid: &str) -> String {
    b.in_shadow(HOST, &format!("[data-testid={testid}]"))
        .unwrap()
        .text()
        .unwrap()
}

/// Waits for the phone form to be in the language of `catalog`.
fn form_in(b: &Browser, catalog: &Value) {
    b.wait_for("the form in its language", || {
        let t = text_of(b, "submit");
        (t == catalog["form.submit"]).then_some(()).ok_or(t)
    })
    .unwrap();
}

/// The catalogs this page downloaded, by file name.
fn catalogs_fetched(b: &Browser) -> Value {
    b.execute(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/i18n/')).map(n => n.split('/').pop())",
        vec![],
    )
    .unwrap()
}

fn widget_speaks_the_element_and_page_language(ctx: &Ctx) {
    let site = &ctx.edge.sandbox.site_key;
    // The element's own `lang` wins over the page's; Arabic reads right to left, while the
    // number field stays left to right.
    let (_page, b) = open(ctx, site, "de", r#"lang="ar""#);
    let ar = catalog("ar");
    form_in(&b, &ar);
    assert_eq!(
        shadow(&b, "var w = r.querySelector('[data-testid=widget]'); return [w.dir, w.lang, r.querySelector('[data-testid=phone]').dir]"),
        json!(["rtl", "ar", "ltr"])
    );
    assert_eq!(
        catalogs_fetched(&b),
        json!(["ar.json"]),
        "only the visitor's language"
    );
    accessible(&b, "the Arabic form");
    // A field error in Arabic too.
    crate::type_and_submit(&b, "0");
    b.wait_for("the Arabic field error", || {
        let t = text_of(&b, "phone-error");
        (!t.is_empty()).then_some(t).ok_or_default()
    })
    .map(|t| {
        let said = [
            ar["phone.too_short"].as_str(),
            ar["phone.not_a_number"].as_str(),
        ];
        assert!(said.contains(&Some(t.as_str())), "{t}");
    })
    .unwrap();
    drop(b);

    // No `lang` on the element: the page's (`pt-BR` is Portuguese).
    let (_page, b) = open(ctx, site, "pt-BR", "");
    let pt = catalog("pt");
    form_in(&b, &pt);
    assert_eq!(catalogs_fetched(&b), json!(["pt.json"]));
    drop(b);

    // A language we do not have: the browser's (English in the test browser).
    let (_page, b) = open(ctx, site, "it", "");
    let en = catalog("en");
    form_in(&b, &en);
}

trait OkOrDefault<T> {
    fn ok_or_default(self) -> Result<T, String>;
}

impl<T> OkOrDefault<T> for Option<T> {
    fn ok_or_default(self) -> Result<T, String> {
        self.ok_or_else(|| "not yet".into())
    }
}

fn sms_is_written_in_the_visitors_language(ctx: &Ctx) {
    let site = ctx.site_with(&[Channel::Sms]);
    ctx.edge.fakes.clear();
    let (_page, b) = open(ctx, &site.site_key, "ja", "");
    let ja = catalog("ja");
    form_in(&b, &ja);
    crate::type_and_submit(&b, crate::visitor_phone());
    b.in_shadow(HOST, "[data-testid=code]").unwrap();
    accessible(&b, "the Japanese SMS step");
    let sent = b
        .wait_for("the SMS request", || {
            let sent = ctx
                .edge
                .fakes
                .requests_for(Provider::TeleSign, visitor_e164());
            sent.into_iter().next().ok_or_default()
        })
        .unwrap();
    let form: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(&sent.body).unwrap();
    let template = &form["template"];
    assert!(template.starts_with("認証コードは $$CODE$$"), "{template}");
    assert!(
        template.ends_with("#$$CODE$$"),
        "the WebOTP line stays: {template}"
    );
}

fn country_search_finds_by_name_and_dial_code(ctx: &Ctx) {
    let creds = ringproof_tests::harness::SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "World", &["http://localhost:*"]);
    // Every country: the search box is there.
    site.allowed_countries = Vec::new();
    ctx.edge.put_site(&site).unwrap();
    let (_page, b) = open(ctx, &creds.site_key, "en", "");
    let search = b.in_shadow(HOST, "[data-testid=country-search]").unwrap();
    b.wait_for("the search box", || {
        let hidden = shadow(
            &b,
            "return r.querySelector('[data-testid=country-search]').hidden",
        );
        (hidden == json!(false))
            .then_some(())
            .ok_or(hidden.to_string())
    })
    .unwrap();
    accessible(&b, "the country search");
    let chosen = || shadow(&b, "return r.querySelector('[data-testid=country]').value");
    let options = || {
        shadow(
            &b,
            "return r.querySelector('[data-testid=country]').options.length",
        )
        .as_u64()
        .unwrap_or(0)
    };
    let all = options();
    assert!(all > 200, "every country: {all}");
    search.type_text("slovak").unwrap();
    b.wait_for("Slovakia chosen", || {
        let c = chosen();
        (c == json!("SK")).then_some(()).ok_or(c.to_string())
    })
    .unwrap();
    assert_eq!(options(), 1);
    shadow(&b, "var s = r.querySelector('[data-testid=country-search]'); s.value = '+91'; s.dispatchEvent(new Event('input'));");
    b.wait_for("India by its dial code", || {
        let c = chosen();
        (c == json!("IN")).then_some(()).ok_or(c.to_string())
    })
    .unwrap();
    shadow(&b, "var s = r.querySelector('[data-testid=country-search]'); s.value = 'zzzz'; s.dispatchEvent(new Event('input'));");
    b.wait_for("no match said", || {
        let t = text_of(&b, "country-none");
        (!t.is_empty()).then_some(()).ok_or(t)
    })
    .unwrap();
    // The plan follows the chosen country: India's example number is the placeholder.
    let placeholder = shadow(
        &b,
        "return r.querySelector('[data-testid=phone]').placeholder",
    );
    let digits: String = placeholder
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    // libphonenumber's example Indian mobile number, written nationally.
    assert!(digits.ends_with("8123456789"), "{placeholder}");
}

/// Tab, type, Enter: no mouse anywhere. Focus lands where the next thing to do is.
fn sms_verifies_by_keyboard_alone(ctx: &Ctx) {
    let site = ctx.site_with(&[Channel::Sms, Channel::MissedCall]);
    ctx.edge.fakes.clear();
    let (_page, b) = open(ctx, &site.site_key, "en", "");
    b.in_shadow(HOST, "[data-testid=phone]").unwrap();
    let focused = || crate::focused(&b).unwrap();
    // Tab from the page's start until the phone field has focus.
    for _ in 0..6 {
        if focused() == json!("phone") {
            break;
        }
        b.press("\u{E004}").unwrap();
    }
    assert_eq!(
        focused(),
        json!("phone"),
        "the phone field is reachable by Tab"
    );
    b.press(&format!("{}\u{E007}", &visitor_e164())).unwrap();
    type_the_texted_code(ctx, &b);
    accessible(&b, "verified by keyboard");
}

/// The sandbox's missed call to the sandbox verification whose number image is `img`, from
/// the number the edge read; then the token the page got, redeemed: siteverify's answer.
fn called_and_redeemed(
    ctx: &Ctx,
    page: &HostPage,
    b: &Browser,
    img: &ringproof_tests::browser::Element,
) -> Value {
    let src = img.attribute("src").unwrap().unwrap_or_default();
    let id = src.split('/').rev().nth(1).unwrap().to_owned();
    let origin = page.url.trim_end_matches('/').to_owned();
    let r = ringproof_tests::http::post_json(
        &ctx.url("/v1/sandbox/missed-call"),
        &json!({"verification_id": id}),
        &[("Origin", &origin)],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let token = b
        .wait_for("the token", || crate::form_token(b)?.ok_or_default())
        .unwrap();
    ctx.siteverify(&ctx.edge.sandbox.secret, &token)
}

/// Visitors in India, Slovakia, Russia, Germany, Canada, Belarus and Argentina type their
/// numbers as they write them at home: each is grouped as the country writes it (Canada with
/// the United States' formats; Argentina's, whose prefix a rule rewrites, left as typed),
/// accepted, and verified as the right E.164 number.
fn national_numbers_of_several_countries_verify(ctx: &Ctx) {
    let cases = [
        ("IN", "98765 43210", "98765 43210", "+919876543210"),
        ("SK", "0905123456", "0905 123 456", "+421905123456"),
        ("RU", "8 912 345-67-89", "8 (912) 345-67-89", "+79123456789"),
        ("DE", "01512-3456789", "01512 3456789", "+4915123456789"),
        ("CA", "5062345678", "(506) 234-5678", "+15062345678"),
        ("BY", "8 029 491-19-11", "8 029 491-19-11", "+375294911911"),
        ("AR", "011 15-2345-6789", "0111523456789", "+5491123456789"),
    ];
    for (country, typed, shown, e164) in cases {
        let (page, b) = open(ctx, &ctx.edge.sandbox.site_key, "en", "");
        crate::choose_country(&b, country);
        let phone = b.in_shadow(HOST, "[data-testid=phone]").unwrap();
        phone.type_text(typed).unwrap();
        let value = shadow(&b, "return r.querySelector('[data-testid=phone]').value");
        assert_eq!(value, json!(shown), "{country}: grouped as typed");
        b.in_shadow(HOST, "[data-testid=submit]")
            .unwrap()
            .click()
            .unwrap();
        let img = b
            .in_shadow(HOST, "[data-testid=number-image]")
            .unwrap_or_else(|e| panic!("{country} {typed}: {e} ({})", text_of(&b, "phone-error")));
        let answer = called_and_redeemed(ctx, &page, &b, &img);
        assert_eq!(answer["phone"], e164, "{country} {typed}: {answer}");
    }
}

/// Issue 23: a stranger holds the only line a site could show the visitor (its pool is one
/// number). The visitor's start is no dead end: the widget says why at once and offers the
/// site's SMS, which verifies.
fn a_visitor_whose_lines_are_held_is_offered_another_way_at_once(ctx: &Ctx) {
    let creds = ringproof_tests::harness::SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(
        &creds,
        "One line",
        &["http://localhost:*", "http://127.0.0.1:*"],
    );
    site.channels = vec![Channel::MissedCall, Channel::Sms];
    site.inbound_numbers = vec![ringproof_tests::harness::SANDBOX_NUMBERS[1].to_owned()];
    ctx.edge.put_site(&site).unwrap();
    let held = crate::e2e::attacks::start_from(
        ctx,
        &creds.site_key,
        visitor_e164(),
        crate::ORIGIN,
        "203.0.113.99",
    );
    assert_eq!(held.status, 201, "{}", held.body);
    ctx.edge.fakes.clear();
    let (_page, b) = open(ctx, &creds.site_key, "en", "");
    let en = catalog("en");
    b.in_shadow(HOST, "[data-testid=phone]")
        .unwrap()
        .type_text(&format!("{}\u{E007}", visitor_e164()))
        .unwrap();
    let said = en["error.no_free_line"].as_str().unwrap().to_owned();
    b.wait_for("the reason, at once", || {
        let t = text_of(&b, "status");
        (t == said).then_some(()).ok_or(t)
    })
    .unwrap();
    accessible(&b, "no free line");
    b.in_shadow(HOST, "[data-testid=switch][data-channel=sms]")
        .unwrap()
        .click()
        .unwrap();
    type_the_texted_code(ctx, &b);
}

/// Once the code field has focus: types the code texted to the visitor (the last digit sends
/// it) and waits for the verified status.
fn type_the_texted_code(ctx: &Ctx, b: &Browser) {
    crate::wait_focus(b, "code");
    let got = loop {
        if let Some(m) = ctx.edge.fakes.last_message(visitor_e164()) {
            break m;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    b.press(&got.code).unwrap();
    b.wait_for("verified", || {
        let t = text_of(b, "status");
        t.starts_with("Verified").then_some(()).ok_or(t)
    })
    .unwrap();
}

/// Issue 26: the phone field is there before the widget's wasm. A page holds the wasm back
/// (it wraps `fetch`, which the loader fetches it with) while the visitor types: what they
/// typed, the focus and an Enter already pressed all carry over, and the number verified is
/// the one typed.
fn a_number_typed_before_the_widget_loads_is_kept_and_sent(ctx: &Ctx) {
    let html = format!(
        r#"<!doctype html><html lang="en"><head><title>Shop</title><script>
  var held = [], fetched = window.fetch;
  window.fetch = function (url, init) {{
    if (String(url).indexOf('_bg.wasm') < 0) return fetched.apply(this, arguments);
    return new Promise(function (resolve) {{ held.push(function () {{ resolve(fetched(url, init)); }}); }});
  }};
  window.release = function () {{ var n = held.length; held.forEach(function (go) {{ go(); }}); return n; }};
</script></head><body>
<form id="checkout"><ringproof-verify site-key="{key}"></ringproof-verify></form>
<script src="{edge}/v1/widget.js" async></script></body></html>"#,
        key = ctx.edge.sandbox.site_key,
        edge = ctx.edge.base_url
    );
    let page = HostPage::serve(html);
    let held = |b: &Browser| {
        b.wait_for("the wasm held back", || {
            let n = b.execute("return held.length", vec![])?;
            (n == json!(1)).then_some(()).ok_or(n.to_string())
        })
        .unwrap();
    };
    let release =
        |b: &Browser| assert_eq!(b.execute("return release()", vec![]).unwrap(), json!(1));
    let (first, rest) = visitor_e164().split_at(6);

    // Typing, then the widget arrives: the value and the focus stay, and typing goes on.
    let b = Browser::start().expect("browser");
    b.goto(&page.url).unwrap();
    held(&b);
    let phone = b.in_shadow(HOST, "[data-testid=phone]").unwrap();
    phone.type_text(first).unwrap();
    assert_eq!(
        shadow(
            &b,
            "return r.querySelector('[data-testid=submit]') === null"
        ),
        json!(true),
        "the widget is not there yet"
    );
    let label = shadow(
        &b,
        "return r.querySelector('label[for=rp-phone]').textContent",
    );
    assert_eq!(label, catalog("en")["phone.label"]);
    release(&b);
    b.in_shadow(HOST, "[data-testid=submit]").unwrap();
    assert_eq!(crate::focused(&b).unwrap(), json!("phone"), "focus kept");
    let kept = shadow(&b, "return r.querySelector('[data-testid=phone]').value");
    assert_eq!(kept, json!(first), "what was typed is kept");
    b.press(&format!("{rest}\u{E007}")).unwrap();
    b.in_shadow(HOST, "[data-testid=number-image]").unwrap();
    drop(b);

    // The whole number and Enter before the widget arrives: it starts once it is there, and
    // the number verified is the one typed.
    let b = Browser::start().expect("browser");
    b.goto(&page.url).unwrap();
    held(&b);
    b.in_shadow(HOST, "[data-testid=phone]")
        .unwrap()
        .type_text(&format!("{}\u{E007}", visitor_e164()))
        .unwrap();
    release(&b);
    let img = b.in_shadow(HOST, "[data-testid=number-image]").unwrap();
    let answer = called_and_redeemed(ctx, &page, &b, &img);
    assert_eq!(answer["phone"], visitor_e164(), "{answer}");
}
