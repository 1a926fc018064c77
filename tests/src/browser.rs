//! Headless Chromium through ChromeDriver, spoken to in plain W3C WebDriver.

use crate::harness::free_port;
use crate::http;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const SHADOW: &str = "shadow-6066-11e4-a52e-4f735466cecf";

/// The sessions open now, so a failing scenario's pages can be photographed before unwinding
/// closes them.
static OPEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn open_sessions() -> std::sync::MutexGuard<'static, Vec<String>> {
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Saves a PNG of every open browser as `{dir}/{stem}-{n}.png`; answers the files written.
pub fn screenshot_open(dir: &std::path::Path, stem: &str) -> Vec<std::path::PathBuf> {
    let sessions = open_sessions().clone();
    let _ = std::fs::create_dir_all(dir);
    sessions
        .iter()
        .enumerate()
        .filter_map(|(n, base)| {
            let path = dir.join(format!("{stem}-{n}.png"));
            save_screenshot(base, &path).ok().map(|()| path)
        })
        .collect()
}

fn save_screenshot(session: &str, path: &std::path::Path) -> Result<(), String> {
    use base64::Engine;
    let r = http::get(&format!("{session}/screenshot"))?;
    let v: Value = serde_json::from_str(&r.body).map_err(|e| e.to_string())?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v["value"].as_str().ok_or("no screenshot")?)
        .map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub struct Browser {
    driver: Child,
    base: String,
    profile: std::path::PathBuf,
}

/// What the browser pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// A laptop's window, with a mouse.
    Desktop,
    /// A phone's screen (390 × 844 CSS pixels, as an iPhone 14), with touch: the widget sees
    /// `pointer: coarse`.
    Phone,
}

impl Device {
    pub fn name(self) -> &'static str {
        match self {
            Device::Desktop => "desktop",
            Device::Phone => "phone",
        }
    }
}

impl Browser {
    pub fn start() -> Result<Self, String> {
        Self::start_as(Device::Desktop)
    }

    pub fn start_as(device: Device) -> Result<Self, String> {
        let chromedriver = std::env::var("RINGPROOF_CHROMEDRIVER")
            .map_err(|_| "RINGPROOF_CHROMEDRIVER is not set: run through `cargo xtask test`")?;
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        let profile = std::env::temp_dir().join(format!("ringproof-chromium-{port}"));
        let mut b = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            profile,
        };
        let start = Instant::now();
        while http::get(&format!("{}/status", b.base)).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not start".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", b.profile.display())]
        });
        if device == Device::Phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": true}
            });
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options
        }}});
        let v = b.send("POST", "/session", Some(caps))?;
        let sid = v["sessionId"].as_str().ok_or("no session id")?.to_owned();
        b.base = format!("{}/session/{sid}", b.base);
        open_sessions().push(b.base.clone());
        Ok(b)
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let r = match method {
            "GET" => http::get(&url)?,
            _ => http::post_json(&url, &body.unwrap_or(json!({})), &[])?,
        };
        let v: Value = serde_json::from_str(&r.body).map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!("webdriver {path}: {}", v["value"]["message"]));
        }
        Ok(v["value"].clone())
    }

    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.send("POST", "/url", Some(json!({ "url": url })))
            .map(|_| ())
    }

    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.send(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script` with a callback as its last argument, and answers what it is called with.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.send(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Presses `keys` one after another on whatever has focus, as a keyboard would (WebDriver
    /// key values: `"\u{E004}"` is Tab, `"\u{E007}"` Enter).
    pub fn press(&self, keys: &str) -> Result<(), String> {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| {
                let k = k.to_string();
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.send(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .map(|_| ())
    }

    /// Saves a PNG of the viewport to `path`.
    pub fn screenshot(&self, path: &std::path::Path) -> Result<(), String> {
        save_screenshot(&self.base, path)
    }

    /// A Chrome DevTools Protocol command (ChromeDriver's `goog/cdp/execute`), e.g.
    /// `Emulation.setCPUThrottlingRate`.
    pub fn cdp(&self, cmd: &str, params: Value) -> Result<Value, String> {
        self.send(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
    }

    /// An element inside the open shadow root of the first `host` element, waiting for it.
    pub fn in_shadow(&self, host: &str, css: &str) -> Result<Element<'_>, String> {
        self.wait_for(&format!("{css} inside {host}"), || {
            let h = self.send(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": host})),
            )?;
            let hid = h[ELEMENT].as_str().ok_or("no element")?;
            let s = self.send("GET", &format!("/element/{hid}/shadow"), None)?;
            let sid = s[SHADOW].as_str().ok_or("no shadow root")?;
            let e = self.send(
                "POST",
                &format!("/shadow/{sid}/element"),
                Some(json!({"using": "css selector", "value": css})),
            )?;
            Ok(Element {
                browser: self,
                id: e[ELEMENT].as_str().ok_or("no element")?.to_owned(),
            })
        })
    }

    /// Retries `f` for up to 90 s.
    pub fn wait_for<T>(
        &self,
        what: &str,
        mut f: impl FnMut() -> Result<T, String>,
    ) -> Result<T, String> {
        let start = Instant::now();
        loop {
            match f() {
                Ok(v) => return Ok(v),
                // Generous: wrangler dev's asset proxy was seen to hold one widget file for 23 s
                // and once for 49 s in a full run (the request log shows it: `GET
                // /v1/widget/ringproof-widget.js 200 OK (48882ms)`), and a page waits for its
                // files. Only a failing wait pays for this.
                Err(e) if start.elapsed() > Duration::from_secs(90) => {
                    return Err(format!("waiting for {what}: {e}"))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        open_sessions().retain(|b| *b != self.base);
        let _ = ureq_delete(&self.base);
        crate::harness::stop_group(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn ureq_delete(url: &str) -> Result<(), String> {
    ureq::delete(url)
        .call()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

impl Element<'_> {
    pub fn type_text(&self, text: &str) -> Result<(), String> {
        self.browser
            .send(
                "POST",
                &format!("/element/{}/value", self.id),
                Some(json!({ "text": text })),
            )
            .map(|_| ())
    }

    pub fn click(&self) -> Result<(), String> {
        self.browser
            .send(
                "POST",
                &format!("/element/{}/click", self.id),
                Some(json!({})),
            )
            .map(|_| ())
    }

    pub fn text(&self) -> Result<String, String> {
        let v = self
            .browser
            .send("GET", &format!("/element/{}/text", self.id), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    pub fn attribute(&self, name: &str) -> Result<Option<String>, String> {
        let v = self.browser.send(
            "GET",
            &format!("/element/{}/attribute/{name}", self.id),
            None,
        )?;
        Ok(v.as_str().map(str::to_owned))
    }
}
