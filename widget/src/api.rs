//! Talking to the edge from the browser.

use crate::{read, wire};
use ringproof_api::ErrorDetail;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Request, RequestInit, Response};

/// The edge one widget talks to, and the signal that ends its requests when the element
/// leaves the page.
#[derive(Clone)]
pub struct Edge {
    pub base: String,
    pub signal: AbortSignal,
}

impl Edge {
    pub fn new(base: String, stop: &AbortController) -> Self {
        Edge {
            base,
            signal: stop.signal(),
        }
    }

    /// Whether the widget was taken off the page: nothing more is asked.
    pub fn stopped(&self) -> bool {
        self.signal.aborted()
    }
}

/// When the edge cannot be reached, or answers what is not its JSON: the edge's own error
/// shape, with a code of its own (its words are in every catalog).
pub(crate) fn network_error() -> ErrorDetail {
    ErrorDetail {
        code: "network".into(),
        message: String::new(),
        retry_after: None,
        reason: None,
    }
}

/// POSTs `body` as JSON and reads the answer with `read`.
pub async fn post<R>(
    edge: &Edge,
    url: &str,
    body: &JsValue,
    read: fn(&JsValue) -> Option<R>,
) -> Result<R, ErrorDetail> {
    let init = RequestInit::new();
    init.set_signal(Some(&edge.signal));
    init.set_method("POST");
    init.set_body(&wire::stringify(body).ok_or_else(network_error)?.into());
    let req = Request::new_with_str_and_init(url, &init).map_err(|_| network_error())?;
    // A simple request: no preflight round trip before every call, and the edge answers CORS
    // only to the pages it allows.
    req.headers()
        .set("Content-Type", "text/plain;charset=UTF-8")
        .map_err(|_| network_error())?;
    let answer = exchange(req, POST_DEADLINE_MS)
        .await
        .map_err(Failed::detail)?;
    read(&answer).ok_or_else(network_error)
}

pub async fn get<R>(
    edge: &Edge,
    url: &str,
    read: fn(&JsValue) -> Option<R>,
) -> Result<R, ErrorDetail> {
    read(&get_js(edge, url).await?).ok_or_else(network_error)
}

/// A GET's answer as `JSON.parse` gives it. A GET changes nothing, so one that stalls is
/// asked once more before the visitor is told.
pub async fn get_js(edge: &Edge, url: &str) -> Result<JsValue, ErrorDetail> {
    let get = || {
        let init = RequestInit::new();
        init.set_signal(Some(&edge.signal));
        Request::new_with_str_and_init(url, &init).map_err(|_| network_error())
    };
    match exchange(get()?, GET_DEADLINE_MS).await {
        Err(Failed::Stalled) if !edge.stopped() => exchange(get()?, GET_DEADLINE_MS).await,
        other => other,
    }
    .map_err(Failed::detail)
}

/// How long a GET may stall (the edge answers one in milliseconds) before it is asked again.
const GET_DEADLINE_MS: i32 = 10_000;
/// How long a POST may take before the visitor is told the edge cannot be reached: a start
/// may wait on two providers' deadlines in turn (`providers::DEADLINE_SECS` each).
const POST_DEADLINE_MS: i32 = 30_000;

/// Why an exchange has no answer to read.
enum Failed {
    /// Nothing came back in time: the connection stalled.
    Stalled,
    /// The edge refused, or the network failed outright.
    Refused(ErrorDetail),
}

impl Failed {
    fn detail(self) -> ErrorDetail {
        match self {
            Failed::Stalled => network_error(),
            Failed::Refused(e) => e,
        }
    }
}

/// `promise`'s value, unless `ms` pass first.
async fn within(promise: js_sys::Promise, ms: i32) -> Result<JsValue, Failed> {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let first = js_sys::Promise::race(&js_sys::Array::of2(&promise, &timer));
    match JsFuture::from(first).await {
        // The timer resolves with nothing; every answer is an object.
        Ok(v) if v.is_undefined() => Err(Failed::Stalled),
        Ok(v) => Ok(v),
        Err(_) => Err(Failed::Refused(network_error())),
    }
}

/// The answer when it is 2xx, its error otherwise; the same code for every answer type. The
/// whole exchange, headers and body, has `deadline_ms`: a stalled connection never leaves the
/// visitor waiting. What stalled is left to the browser (and to the widget's own stop).
async fn exchange(req: Request, deadline_ms: i32) -> Result<JsValue, Failed> {
    let refused = |_| Failed::Refused(network_error());
    let began = js_sys::Date::now();
    let window = web_sys::window().ok_or_else(|| Failed::Refused(network_error()))?;
    let res: Response = within(window.fetch_with_request(&req), deadline_ms)
        .await?
        .dyn_into()
        .map_err(refused)?;
    let left = (f64::from(deadline_ms) - (js_sys::Date::now() - began)).max(0.0) as i32;
    let json = within(res.json().map_err(refused)?, left).await?;
    if res.ok() {
        Ok(json)
    } else {
        Err(Failed::Refused(
            read::error(&wire::field(&json, "error")).unwrap_or_else(network_error),
        ))
    }
}
