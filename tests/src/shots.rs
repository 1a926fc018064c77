//! `cargo xtask shots`: PNG screenshots of every step of every channel, on a phone and on a
//! desktop, in English, Arabic and Hindi, from headless Chromium against a real local edge
//! with the fake providers, so a person can review the widget as visitors see it.

use crate::browser::{Browser, Device};
use crate::fake_providers::{Mode, Provider};
use crate::harness::{LocalEdge, SandboxSite};
use crate::host_page::HostPage;
use crate::http;
use ringproof_api::Channel;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const HOST: &str = "ringproof-verify";
const LANGUAGES: [&str; 3] = ["en", "ar", "hi"];

struct Shooter<'a> {
    edge: &'a LocalEdge,
    out: &'a Path,
    saved: Vec<PathBuf>,
    /// A fresh number per flow, so no flow waits on another's lines or limits.
    next_phone: u32,
}

/// Every screenshot, or the console's alone.
pub fn run(
    env: &[(String, String)],
    out: &Path,
    console_only: bool,
) -> Result<Vec<PathBuf>, String> {
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let edge = LocalEdge::start_for_tests()?;
    let mut s = Shooter {
        edge: &edge,
        out,
        saved: Vec::new(),
        next_phone: 100,
    };
    for device in [Device::Phone, Device::Desktop] {
        s.console(device)?;
    }
    if console_only {
        return Ok(s.saved);
    }
    for lang in LANGUAGES {
        for device in [Device::Phone, Device::Desktop] {
            for channel in Channel::ALL {
                s.flow(lang, device, channel)?;
            }
            s.failure(lang, device)?;
            s.no_free_line(lang, device)?;
        }
    }
    Ok(s.saved)
}

fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> Result<T, String> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("shots: waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn in_shadow(b: &Browser, js: &str) -> Value {
    b.execute(
        &format!("var r = document.querySelector('{HOST}').shadowRoot; if (!r) return null; {js}"),
        vec![],
    )
    .unwrap_or(Value::Null)
}

fn present(b: &Browser, testid: &str) -> bool {
    in_shadow(
        b,
        &format!("return !!r.querySelector('[data-testid={testid}]')"),
    ) == json!(true)
}

fn text(b: &Browser, testid: &str) -> String {
    in_shadow(
        b,
        &format!(
            "var e = r.querySelector('[data-testid={testid}]'); return e ? e.textContent : ''"
        ),
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

impl Shooter<'_> {
    /// The console as a new owner meets it: sign-in, no activity, a new one's secrets, and an
    /// activity's figures once visitors have verified (one verified, one abandoned).
    fn console(&mut self, device: Device) -> Result<(), String> {
        let page = crate::console_page::ConsolePage::open(self.edge, device)?;
        let name = |step: &str| format!("console-{}-{step}", device.name());
        self.shot(&page.b, name("1-sign-in"))?;
        let owner = self.phone();
        page.sign_in(self.edge, &owner)?;
        page.wait_text("No activity yet")?;
        self.shot(&page.b, name("2-no-activity"))?;
        let secret = page.new_activity("Corner shop", "http://localhost:*")?;
        self.shot(&page.b, name("3-created"))?;
        let key = page.js("return document.querySelector('.created dd code').textContent");
        let key = key.as_str().unwrap_or_default().to_owned();
        for verify in [true, true, false] {
            let phone = self.phone();
            let origin = "http://localhost:3000";
            let mut body = json!({"site_key": key, "phone": phone, "channel": "missed_call"});
            if let Some(p) = crate::proof::solved(&self.edge.base_url, &key, origin) {
                body["proof"] = json!(p);
            }
            let r = http::post_json(
                &format!("{}/v1/verifications", self.edge.base_url),
                &body,
                &[("Origin", origin)],
            )?;
            if r.status != 201 || !verify {
                continue;
            }
            let v = r.json();
            let called = v["call_to_uri"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("tel:");
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            self.edge.call(&digits, called)?;
            let id = v["verification_id"].as_str().unwrap_or_default();
            let view = http::get_with(
                &format!("{}/v1/verifications/{id}", self.edge.base_url),
                &[("Origin", origin)],
            )?
            .json();
            let token = view["token"].as_str().unwrap_or_default();
            http::post_json(
                &format!("{}/v1/siteverify", self.edge.base_url),
                &json!({"secret": secret, "response": token}),
                &[],
            )?;
        }
        // An alert, as the alert job records one, so the page shows how it reads.
        let now = crate::harness::now_millis();
        self.edge.d1(&format!(
            "INSERT INTO alerts (site_key, kind, key, opened_at, last_seen_at, summary, told) VALUES \
             ('{key}', 'pumping', 'GB', {now}, {now}, '60 codes sent to GB numbers in the last 24 hours (9 a day before), 3% verified (80% over the week before): someone may be pumping SMS through your form.', 'delivered')"
        ))?;
        page.click("Open the activity")?;
        page.wait_heading("Corner shop")?;
        std::thread::sleep(Duration::from_secs(2));
        page.b.execute("location.reload()", vec![])?;
        page.wait_text("of started verifications were verified")?;
        self.shot(&page.b, name("4-activity"))?;
        page.b
            .execute("document.getElementById('log').scrollIntoView()", vec![])?;
        self.shot(&page.b, name("5-log"))?;
        // The operator: their number, then the admin token, then the whole deployment.
        let operator = crate::console_page::ConsolePage::open(self.edge, device)?;
        operator.sign_in(self.edge, crate::harness::OPERATOR_NUMBER)?;
        operator.click("Operator")?;
        operator.wait_heading("Operator")?;
        self.shot(&operator.b, name("6-operator-token"))?;
        operator.fill("#admin-token", &self.edge.secrets.admin_token)?;
        operator.click("Continue as the operator")?;
        operator.wait_heading("The deployment")?;
        operator.wait_text("Corner shop")?;
        self.shot(&operator.b, name("7-deployment"))
    }

    fn site(&self, channels: &[Channel]) -> Result<SandboxSite, String> {
        let creds = SandboxSite::generate(&self.edge.secrets);
        let mut site = self.edge.site(&creds, "Shop", &["http://localhost:*"]);
        site.channels = channels.to_vec();
        self.edge.put_site(&site)?;
        Ok(creds)
    }

    fn open(
        &self,
        site_key: &str,
        lang: &str,
        device: Device,
    ) -> Result<(HostPage, Browser), String> {
        let html = format!(
            r#"<!doctype html><html lang="{lang}"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 16px; }}</style></head><body>
<h1 style="font-size:20px">Checkout</h1>
<form id="checkout"><ringproof-verify site-key="{site_key}"></ringproof-verify></form>
<script src="{edge}/v1/widget.js" async></script></body></html>"#,
            edge = self.edge.base_url
        );
        let page = HostPage::serve(html);
        let b = Browser::start_as(device)?;
        b.goto(&page.url)?;
        wait("the phone form", || present(&b, "submit").then_some(()))?;
        // The site's countries and the default plan.
        wait("the countries", || {
            (in_shadow(
                &b,
                "return r.querySelector('[data-testid=country]').options.length",
            )
            .as_u64()
                > Some(0))
            .then_some(())
        })?;
        Ok((page, b))
    }

    fn shot(&mut self, b: &Browser, name: String) -> Result<(), String> {
        // Let the last change paint (and any focus ring settle).
        std::thread::sleep(Duration::from_millis(300));
        let path = self.out.join(format!("{name}.png"));
        b.screenshot(&path)?;
        self.saved.push(path);
        Ok(())
    }

    fn phone(&mut self) -> String {
        self.next_phone += 1;
        format!("+44 7400 123{:03}", self.next_phone % 1000)
    }

    fn type_number(b: &Browser, typed: &str) -> Result<(), String> {
        b.execute(
            "var r = document.querySelector('ringproof-verify').shadowRoot;
             var i = r.querySelector('[data-testid=phone]'); i.value = arguments[0];
             i.dispatchEvent(new Event('input'));
             r.querySelector('[data-testid=submit]').click();",
            vec![json!(typed)],
        )
        .map(|_| ())
    }

    fn type_code(b: &Browser, code: &str) -> Result<(), String> {
        b.execute(
            "var i = document.querySelector('ringproof-verify').shadowRoot.querySelector('[data-testid=code]');
             i.value = arguments[0]; i.dispatchEvent(new Event('input'));",
            vec![json!(code)],
        )
        .map(|_| ())
    }

    fn flow(&mut self, lang: &str, device: Device, channel: Channel) -> Result<(), String> {
        let others: Vec<Channel> = Channel::ALL.into_iter().filter(|c| *c != channel).collect();
        let mut channels = vec![channel];
        channels.extend(others);
        let site = self.site(&channels)?;
        let (_page, b) = self.open(&site.site_key, lang, device)?;
        let name = |step: &str| format!("{lang}-{}-{}-{step}", device.name(), channel.as_str());
        if channel == Channel::MissedCall {
            // The form and its errors look the same whatever the channel: once per language.
            self.shot(&b, name("1-form"))?;
            Self::type_number(&b, "0")?;
            wait("the field error", || {
                (!text(&b, "phone-error").is_empty()).then_some(())
            })?;
            self.shot(&b, name("2-field-error"))?;
        }
        let phone = self.phone();
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        Self::type_number(&b, &phone)?;
        wait("the attempt", || present(&b, "instructions").then_some(()))?;
        if channel == Channel::MissedCall {
            wait("the number image", || {
                present(&b, "number-image").then_some(())
            })?;
            self.shot(&b, name("3-call-us"))?;
            let tel = in_shadow(
                &b,
                "return r.querySelector('[data-testid=call-link]').getAttribute('href')",
            );
            let called = tel
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("tel:")
                .to_owned();
            let r = self.edge.call(&digits, &called)?;
            if r.status != 200 {
                return Err(format!("missed-call webhook: {} {}", r.status, r.body));
            }
        } else {
            let e164 = format!("+{digits}");
            let got = wait("the provider's message", || {
                self.edge
                    .fakes
                    .last_message(&e164)
                    .filter(|m| m.channel == channel.as_str())
            })?;
            self.shot(&b, name("3-code-sent"))?;
            if channel == Channel::Sms {
                // Half a minute on the page's clock and no delivery report: the late notice.
                b.execute(
                    "window.realNow = Date.now; Date.now = function () { return window.realNow() + 31000; }; return true",
                    vec![],
                )?;
                wait("the late notice", || {
                    in_shadow(&b, "return !r.querySelector('[data-testid=late]').hidden")
                        .as_bool()
                        .filter(|v| *v)
                })?;
                self.shot(&b, name("3b-late"))?;
                b.execute("Date.now = window.realNow; return true", vec![])?;
            }
            let wrong: String = got
                .code
                .chars()
                .map(|c| {
                    if c == '9' {
                        '0'
                    } else {
                        char::from(c as u8 + 1)
                    }
                })
                .collect();
            Self::type_code(&b, &wrong)?;
            wait("the wrong-code message", || {
                (!text(&b, "error").is_empty()).then_some(())
            })?;
            self.shot(&b, name("4-wrong-code"))?;
            Self::type_code(&b, &got.code)?;
        }
        wait("verified", || {
            in_shadow(&b, "return !r.querySelector('[data-testid=instructions]') && !!r.querySelector('[data-testid=status]').textContent")
                .as_bool()
                .filter(|v| *v)
        })?;
        self.shot(&b, name("5-verified"))
    }

    /// The provider fails: the failure in words, and the other ways offered.
    fn failure(&mut self, lang: &str, device: Device) -> Result<(), String> {
        let site = self.site(&[Channel::FlashCall, Channel::Sms, Channel::MissedCall])?;
        let _failing = self.edge.fakes.in_mode(Provider::Mcn, Mode::ServerError);
        (|| {
            let (_page, b) = self.open(&site.site_key, lang, device)?;
            let phone = self.phone();
            Self::type_number(&b, &phone)?;
            wait("the failure", || present(&b, "restart").then_some(()))?;
            self.shot(&b, format!("{lang}-{}-flash_call-6-failed", device.name()))
        })()
    }
}

impl Shooter<'_> {
    /// A stranger holds the only line the site could show: the visitor is offered the SMS.
    fn no_free_line(&mut self, lang: &str, device: Device) -> Result<(), String> {
        let creds = SandboxSite::generate(&self.edge.secrets);
        let mut site = self.edge.site(&creds, "Shop", &["http://localhost:*"]);
        site.channels = vec![Channel::MissedCall, Channel::Sms];
        site.inbound_numbers = vec![crate::harness::SANDBOX_NUMBERS[2].to_owned()];
        self.edge.put_site(&site)?;
        let phone = self.phone();
        let stranger = crate::proof::Asker {
            client_ip: Some("203.0.113.99"),
            verification: None,
        };
        let origin = "http://localhost:3000";
        let proof = crate::proof::solved_by(&self.edge.base_url, &creds.site_key, origin, stranger);
        let held = http::post_json(
            &format!("{}/v1/verifications", self.edge.base_url),
            &json!({"site_key": creds.site_key, "phone": phone, "channel": "missed_call", "proof": proof}),
            &[("Origin", origin), ("CF-Connecting-IP", "203.0.113.99")],
        )?;
        if held.status != 201 {
            return Err(format!(
                "the stranger's start: {} {}",
                held.status, held.body
            ));
        }
        let (_page, b) = self.open(&creds.site_key, lang, device)?;
        Self::type_number(&b, &phone)?;
        wait("the other way offered", || {
            present(&b, "switch").then_some(())
        })?;
        self.shot(
            &b,
            format!("{lang}-{}-missed_call-7-no-free-line", device.name()),
        )
    }
}
