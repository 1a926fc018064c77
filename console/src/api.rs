//! `/console/api`, from the console's own page: the session cookie goes with every request
//! (same origin), and every answer that is not 2xx reads as the edge's error.

use ringproof_api::ErrorBody;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// What went wrong, as the edge says it: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: String,
    pub message: String,
}

impl Problem {
    fn network() -> Problem {
        Problem {
            code: "network".into(),
            message: "The console could not reach the server. Please check your connection and try again.".into(),
        }
    }

    pub fn signed_out(&self) -> bool {
        self.code == "sign_in_required"
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Problem> {
    call("GET", path, None).await
}

pub async fn send<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> Result<T, Problem> {
    call(method, path, Some(body)).await
}

async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, Problem> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        init.set_body(&body.to_string().into());
    }
    let url = format!("/console/api{path}");
    let req = Request::new_with_str_and_init(&url, &init).map_err(|_| Problem::network())?;
    if body.is_some() {
        req.headers()
            .set("Content-Type", "application/json")
            .map_err(|_| Problem::network())?;
    }
    let window = web_sys::window().ok_or_else(Problem::network)?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| Problem::network())?
        .dyn_into()
        .map_err(|_| Problem::network())?;
    let text = JsFuture::from(res.text().map_err(|_| Problem::network())?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    if res.ok() {
        serde_json::from_str(&text).map_err(|_| Problem::network())
    } else {
        let body: ErrorBody = serde_json::from_str(&text).map_err(|_| Problem::network())?;
        Err(Problem {
            code: body.error.code,
            message: body.error.message,
        })
    }
}
