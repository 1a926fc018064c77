//! Talking to the edge from the browser.

use ringproof_api::ErrorBody;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// What a visitor can be told when a request fails.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub(crate) fn network() -> Self {
        Failure {
            code: "network".into(),
            message:
                "We could not reach the verification service. Check your connection and try again."
                    .into(),
        }
    }
}

pub async fn post<B: Serialize, R: DeserializeOwned>(url: &str, body: &B) -> Result<R, Failure> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(
        &serde_json::to_string(body).map_err(|_| Failure::network())?,
    ));
    let req = Request::new_with_str_and_init(url, &init).map_err(|_| Failure::network())?;
    // A simple request: no preflight round trip before every call, and the edge answers CORS
    // only to the pages it allows.
    req.headers()
        .set("Content-Type", "text/plain;charset=UTF-8")
        .map_err(|_| Failure::network())?;
    send(req).await
}

pub async fn get<R: DeserializeOwned>(url: &str) -> Result<R, Failure> {
    let req = Request::new_with_str(url).map_err(|_| Failure::network())?;
    send(req).await
}

async fn send<R: DeserializeOwned>(req: Request) -> Result<R, Failure> {
    let window = web_sys::window().ok_or_else(Failure::network)?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| Failure::network())?
        .dyn_into()
        .map_err(|_| Failure::network())?;
    let text = JsFuture::from(res.text().map_err(|_| Failure::network())?)
        .await
        .map_err(|_| Failure::network())?
        .as_string()
        .unwrap_or_default();
    if res.ok() {
        serde_json::from_str(&text).map_err(|_| Failure::network())
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(|b| Failure {
                code: b.error.code,
                message: b.error.message,
            })
            .unwrap_or_else(|_| Failure::network()))
    }
}
