//! Building answers: JSON bodies, error bodies and CORS headers.

use js_sys::{Reflect, Uint8Array};
use ringproof_core::ApiError;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;
use worker::{Headers, Response};

use ringproof_core::error::BODY_MAX;

/// Every JSON answer is `no-store`: views carry tokens and a verification's state, and none
/// is worth a shared cache keeping.
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    json_text(
        status,
        serde_json::to_string(body).unwrap_or_else(|_| "{}".into()),
    )
}

/// [`json`] for a body already written as JSON.
pub fn json_text(status: u16, text: String) -> Response {
    no_store(with_type(Response::ok(text), status, "application/json"))
}

/// A JSON answer the page's browser may keep for `max_age` seconds: the same for every visit
/// of this visitor, and nothing secret (a numbering plan).
pub fn json_cached<T: Serialize>(body: &T, max_age: u32) -> Response {
    let r = json(200, body);
    let _ = r
        .headers()
        .set("Cache-Control", &format!("private, max-age={max_age}"));
    r
}

fn no_store(r: Response) -> Response {
    let _ = r.headers().set("Cache-Control", "no-store");
    r
}

pub fn svg(body: String) -> Response {
    let r = with_type(Response::ok(body), 200, "image/svg+xml");
    // A number image is per verification and must not linger in shared caches.
    let _ = r.headers().set("Cache-Control", "private, no-store");
    r
}

fn with_type(r: worker::Result<Response>, status: u16, content_type: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    match r {
        Ok(r) => r.with_status(status).with_headers(headers),
        Err(_) => Response::empty()
            .expect("an empty response")
            .with_status(500),
    }
}

/// The error's answer: its status and body.
pub fn failure(e: ApiError) -> Response {
    if let ApiError::Internal(detail) = &e {
        // Ours to fix: logged here, hidden from the caller.
        worker::console_error!("internal error: {detail}");
    }
    json(e.status(), &e.body())
}

/// The body as text, at most [`BODY_MAX`] bytes: a declared length over it is refused before
/// anything is read; a stream that passes it is kept no further.
pub async fn body_text(req: &mut worker::Request) -> Result<String, ApiError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|l| l > BODY_MAX as u64) {
        return Err(ApiError::BodyTooLarge(BODY_MAX));
    }
    let Some(body) = req.inner().body() else {
        return Ok(String::new());
    };
    let unreadable = || ApiError::InvalidRequest("the body could not be read".into());
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    let mut read = 0usize;
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| unreadable())?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(|_| unreadable())?
            .unchecked_into();
        read += value.length() as usize;
        // Past the cap the rest is read to its end but never copied or kept. Cancelling
        // instead makes wrangler dev's proxy stall every request after it for 30 s and more
        // (seen here, with a chunked body); Cloudflare caps bodies at 100 MB anyway.
        if read <= BODY_MAX {
            bytes.extend(value.to_vec());
        }
    }
    if read > BODY_MAX {
        return Err(ApiError::BodyTooLarge(BODY_MAX));
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::InvalidRequest("the body is not UTF-8 text".into()))
}

/// The token of `Authorization: Bearer <token>`, empty when absent.
pub fn bearer(req: &worker::Request) -> String {
    req.headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default()
}

/// A path segment as the client meant it (`order%2042` is `order 42`); `None` when its escapes
/// do not spell UTF-8.
pub fn decode_segment(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

/// Lets the page at `granted` read this answer: only an origin the site (or the verification)
/// allows is ever named. `Vary` is set either way, since the answer depends on the Origin.
pub fn allow_origin(r: Response, granted: Option<&str>) -> Response {
    let h = r.headers();
    let _ = h.set("Vary", "Origin");
    if let Some(origin) = granted {
        let _ = h.set("Access-Control-Allow-Origin", origin);
    }
    r
}

/// Preflight for the browser-facing endpoints (`origin::PREFLIGHT`), granted to `granted` only.
pub fn preflight(granted: Option<&str>) -> Response {
    let r = Response::empty()
        .expect("an empty response")
        .with_status(204);
    let h = r.headers();
    for (name, value) in ringproof_core::origin::PREFLIGHT {
        let _ = h.set(name, value);
    }
    allow_origin(r, granted)
}
