//! Talking to the edge from the browser.

use crate::{read, wire};
use ringproof_api::ErrorDetail;
use wasm_bindgen::closure::Closure;
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
    let body = wire::stringify(body).ok_or_else(network_error)?;
    let answer = exchange(edge, url, Some(&body), POST_DEADLINE_MS)
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
    match exchange(edge, url, None, GET_DEADLINE_MS).await {
        Err(Failed::Stalled) if !edge.stopped() => exchange(edge, url, None, GET_DEADLINE_MS).await,
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

/// One request's own stop: the widget's, or its deadline's, whichever comes first. A stalled
/// connection is closed rather than left open behind the visitor's back. Dropped when the
/// exchange is over, which clears the timer and leaves the widget's signal as it was.
struct Deadline {
    controller: AbortController,
    widget: AbortSignal,
    abort: Closure<dyn FnMut()>,
    timer: Option<i32>,
}

impl Deadline {
    fn start(edge: &Edge, ms: i32) -> Option<Deadline> {
        let controller = AbortController::new().ok()?;
        let stop = controller.clone();
        let abort = Closure::<dyn FnMut()>::new(move || stop.abort());
        let call = abort.as_ref().unchecked_ref();
        let timer = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(call, ms)
            .ok();
        edge.signal
            .add_event_listener_with_callback("abort", call)
            .ok()?;
        if edge.stopped() {
            controller.abort();
        }
        Some(Deadline {
            controller,
            widget: edge.signal.clone(),
            abort,
            timer,
        })
    }

    fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// Why a request that failed failed: its deadline passed (the widget is still on the page),
    /// or anything else.
    fn failure(&self) -> Failed {
        if self.controller.signal().aborted() && !self.widget.aborted() {
            Failed::Stalled
        } else {
            Failed::Refused(network_error())
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let (Some(window), Some(timer)) = (web_sys::window(), self.timer) {
            window.clear_timeout_with_handle(timer);
        }
        let call = self.abort.as_ref().unchecked_ref();
        let _ = self
            .widget
            .remove_event_listener_with_callback("abort", call);
    }
}

/// The answer when it is 2xx, its error otherwise; the same code for every answer type. A
/// `body` makes it a POST. The whole exchange, headers and body, has `deadline_ms`: a stalled
/// connection never leaves the visitor waiting.
async fn exchange(
    edge: &Edge,
    url: &str,
    body: Option<&str>,
    deadline_ms: i32,
) -> Result<JsValue, Failed> {
    let refused = |_: JsValue| Failed::Refused(network_error());
    let deadline =
        Deadline::start(edge, deadline_ms).ok_or_else(|| Failed::Refused(network_error()))?;
    let init = RequestInit::new();
    init.set_signal(Some(&deadline.signal()));
    if let Some(body) = body {
        init.set_method("POST");
        init.set_body(&body.into());
    }
    let req = Request::new_with_str_and_init(url, &init).map_err(refused)?;
    if body.is_some() {
        // A simple request: no preflight round trip before every call, and the edge answers
        // CORS only to the pages it allows.
        req.headers()
            .set("Content-Type", "text/plain;charset=UTF-8")
            .map_err(refused)?;
    }
    let window = web_sys::window().ok_or_else(|| Failed::Refused(network_error()))?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| deadline.failure())?
        .dyn_into()
        .map_err(refused)?;
    let json = JsFuture::from(res.json().map_err(refused)?)
        .await
        .map_err(|_| deadline.failure())?;
    if res.ok() {
        Ok(json)
    } else {
        Err(Failed::Refused(
            read::error(&wire::field(&json, "error")).unwrap_or_else(network_error),
        ))
    }
}
