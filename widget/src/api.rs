//! Talking to the edge from the browser.

use ringproof_api::{ErrorBody, ErrorDetail};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// What a visitor is told when the edge cannot be reached: the edge's own error shape, with
/// a code of its own.
pub(crate) fn network_error() -> ErrorDetail {
    ErrorDetail {
        code: "network".into(),
        message:
            "We could not reach the verification service. Check your connection and try again."
                .into(),
        retry_after: None,
    }
}

pub async fn post<B: Serialize, R: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<R, ErrorDetail> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(
        &serde_json::to_string(body).map_err(|_| network_error())?,
    ));
    let req = Request::new_with_str_and_init(url, &init).map_err(|_| network_error())?;
    // A simple request: no preflight round trip before every call, and the edge answers CORS
    // only to the pages it allows.
    req.headers()
        .set("Content-Type", "text/plain;charset=UTF-8")
        .map_err(|_| network_error())?;
    send(req).await
}

pub async fn get<R: DeserializeOwned>(url: &str) -> Result<R, ErrorDetail> {
    let req = Request::new_with_str(url).map_err(|_| network_error())?;
    send(req).await
}

/// A GET read by the browser's `JSON.parse`, for answers read field by field (no serde code
/// for them in the wasm).
pub async fn get_js(url: &str) -> Result<JsValue, ErrorDetail> {
    let req = Request::new_with_str(url).map_err(|_| network_error())?;
    let text = exchange(req).await?;
    js_sys::JSON::parse(&text).map_err(|_| network_error())
}

async fn send<R: DeserializeOwned>(req: Request) -> Result<R, ErrorDetail> {
    let text = exchange(req).await?;
    serde_json::from_str(&text).map_err(|_| network_error())
}

/// The answer's text when it is 2xx, its error otherwise; the same code for every answer type.
async fn exchange(req: Request) -> Result<String, ErrorDetail> {
    let window = web_sys::window().ok_or_else(network_error)?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| network_error())?
        .dyn_into()
        .map_err(|_| network_error())?;
    let text = JsFuture::from(res.text().map_err(|_| network_error())?)
        .await
        .map_err(|_| network_error())?
        .as_string()
        .unwrap_or_default();
    if res.ok() {
        Ok(text)
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or_else(|_| network_error()))
    }
}
