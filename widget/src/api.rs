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
    read(&exchange(req).await?).ok_or_else(network_error)
}

pub async fn get<R>(
    edge: &Edge,
    url: &str,
    read: fn(&JsValue) -> Option<R>,
) -> Result<R, ErrorDetail> {
    read(&get_js(edge, url).await?).ok_or_else(network_error)
}

/// A GET's answer as `JSON.parse` gives it.
pub async fn get_js(edge: &Edge, url: &str) -> Result<JsValue, ErrorDetail> {
    let init = RequestInit::new();
    init.set_signal(Some(&edge.signal));
    let req = Request::new_with_str_and_init(url, &init).map_err(|_| network_error())?;
    exchange(req).await
}

/// The answer when it is 2xx, its error otherwise; the same code for every answer type.
async fn exchange(req: Request) -> Result<JsValue, ErrorDetail> {
    let window = web_sys::window().ok_or_else(network_error)?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| network_error())?
        .dyn_into()
        .map_err(|_| network_error())?;
    let json = JsFuture::from(res.json().map_err(|_| network_error())?)
        .await
        .map_err(|_| network_error())?;
    if res.ok() {
        Ok(json)
    } else {
        Err(read::error(&wire::field(&json, "error")).unwrap_or_else(network_error))
    }
}
