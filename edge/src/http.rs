//! Building answers: JSON bodies, error bodies and CORS headers.

use crate::error::Failure;
use ringproof_core::ApiError;
use serde::{de::DeserializeOwned, Serialize};
use worker::{Headers, Response};

pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    with_type(Response::ok(text), status, "application/json")
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

pub fn failure(f: Failure) -> Response {
    match f {
        Failure::Api(e) => {
            if let ApiError::Internal(detail) = &e {
                // Ours to fix: logged here, hidden from the caller.
                worker::console_error!("internal error: {detail}");
            }
            json(e.status(), &e.body())
        }
        Failure::Relayed { status, body } => {
            with_type(Response::ok(body), status, "application/json")
        }
    }
}

pub async fn body_text(req: &mut worker::Request) -> Result<String, Failure> {
    req.text()
        .await
        .map_err(|_| ApiError::InvalidRequest("the body is not readable text".into()).into())
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
/// are broken or do not spell UTF-8.
pub fn decode_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

/// Lets the page at `origin` read this answer.
pub fn allow_origin(r: Response, origin: Option<&str>) -> Response {
    if let Some(origin) = origin {
        let h = r.headers();
        let _ = h.set("Access-Control-Allow-Origin", origin);
        let _ = h.set("Vary", "Origin");
    }
    r
}

/// Preflight for the browser-facing endpoints. It grants nothing by itself: each request is
/// checked against its site's origins when it arrives, since the preflight carries no site key.
pub fn preflight(origin: Option<&str>) -> Response {
    let r = Response::empty()
        .expect("an empty response")
        .with_status(204);
    let h = r.headers();
    let _ = h.set("Access-Control-Allow-Methods", "GET, POST");
    let _ = h.set("Access-Control-Allow-Headers", "Content-Type");
    let _ = h.set("Access-Control-Max-Age", "600");
    allow_origin(r, origin)
}
