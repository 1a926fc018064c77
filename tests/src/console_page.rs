//! The console in a real browser, as a site owner uses it: for the end-to-end scenario and
//! for `cargo xtask shots`.

use crate::browser::{Browser, Device};
use crate::harness::LocalEdge;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct ConsolePage {
    pub b: Browser,
}

fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> Result<T, String> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("console: waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl ConsolePage {
    /// `/console/` on `edge`, with its sign-in widget ready.
    pub fn open(edge: &LocalEdge, device: Device) -> Result<ConsolePage, String> {
        let b = Browser::start_as(device)?;
        b.goto(&format!("{}/console/", edge.base_url))?;
        let page = ConsolePage { b };
        wait("the sign-in widget", || {
            (page.js("var h = document.querySelector('ringproof-verify'); return !!(h && h.shadowRoot && h.shadowRoot.querySelector('[data-testid=submit]'))") == json!(true)).then_some(())
        })?;
        Ok(page)
    }

    pub fn js(&self, script: &str) -> Value {
        self.b.execute(script, vec![]).unwrap_or(Value::Null)
    }

    pub fn heading(&self) -> String {
        self.js("var h = document.querySelector('h1'); return h ? h.textContent : ''")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn wait_heading(&self, text: &str) -> Result<(), String> {
        wait(&format!("the heading {text:?}"), || {
            (self.heading() == text).then_some(())
        })
    }

    /// The page's text, for what a person would read.
    pub fn text(&self) -> String {
        self.js("return document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn wait_text(&self, text: &str) -> Result<(), String> {
        wait(&format!("{text:?} on the page"), || {
            self.text().contains(text).then_some(())
        })
    }

    /// Types `value` into the field `css` as a person would (an input event per change).
    pub fn fill(&self, css: &str, value: &str) -> Result<(), String> {
        self.b
            .execute(
                "var i = document.querySelector(arguments[0]); i.focus(); i.value = arguments[1];
                 i.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![json!(css), json!(value)],
            )
            .map(|_| ())
    }

    /// Clicks the first button or link whose text is `label`.
    pub fn click(&self, label: &str) -> Result<(), String> {
        let clicked = self.b.execute(
            "var label = arguments[0];
             var all = Array.from(document.querySelectorAll('button, a'));
             var e = all.find(function (x) { return x.textContent.trim() === label; });
             if (!e) return false; e.click(); return true;",
            vec![json!(label)],
        )?;
        (clicked == json!(true))
            .then_some(())
            .ok_or_else(|| format!("no button or link {label:?}"))
    }

    /// Proves `number` with the widget (a missed call through its carrier) and waits for the
    /// console behind it.
    pub fn sign_in(&self, edge: &LocalEdge, number: &str) -> Result<(), String> {
        self.b
            .execute(
                "var r = document.querySelector('ringproof-verify').shadowRoot;
                 var i = r.querySelector('[data-testid=phone]'); i.value = arguments[0];
                 i.dispatchEvent(new Event('input'));
                 r.querySelector('[data-testid=submit]').click();",
                vec![json!(number)],
            )
            .map(|_| ())?;
        let called = wait("the number to call", || {
            self.js("var r = document.querySelector('ringproof-verify').shadowRoot; var l = r && r.querySelector('[data-testid=call-link]'); return l ? l.getAttribute('href') : null")
                .as_str()
                .map(|t| t.trim_start_matches("tel:").to_owned())
        })?;
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let r = edge.call(&digits, &called)?;
        if r.call_outcome() != "verified" {
            return Err(format!("the sign-in call: {} {}", r.status, r.body));
        }
        self.wait_heading("Activities")
    }

    /// Makes an activity in the form and answers its secret, as the page shows it once.
    pub fn new_activity(&self, title: &str, domains: &str) -> Result<String, String> {
        self.fill("#title", title)?;
        self.fill("#domains", domains)?;
        self.click("Make the activity")?;
        wait("the new activity's secret", || {
            self.js("var s = document.querySelector('[data-testid=secret]'); return s ? s.textContent : null")
                .as_str()
                .map(str::to_owned)
        })
    }
}
