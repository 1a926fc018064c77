//! A small blocking HTTP client for tests: every status is an answer, never an error.

use std::time::Duration;

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http_server::header(&self.headers, name)
    }

    /// What a carrier's report of a call did (`verified`, `repeat`, `unmatched`, `too_late`),
    /// whatever the format the carrier is answered in.
    pub fn call_outcome(&self) -> &str {
        self.header("Ringproof-Outcome").unwrap_or_default()
    }

    /// The stable error code of an error answer.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Reply, String> {
    let mut r = r.map_err(|e| e.to_string())?;
    let body = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
    crate::watched::watch_json(&body);
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    Ok(Reply {
        status: r.status().as_u16(),
        headers,
        body,
    })
}

pub fn get(url: &str) -> Result<Reply, String> {
    get_with(url, &[])
}

pub fn get_with(url: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
    if let Some((_, query)) = url.split_once('?') {
        crate::watched::watch_form(query);
    }
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.call())
}

pub fn patch(url: &str, body: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
    let mut req = agent()
        .patch(url)
        .header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.send(body))
}

pub fn delete_with(url: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
    let mut req = agent().delete(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.call())
}

pub fn post(
    url: &str,
    content_type: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Result<Reply, String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        crate::watched::watch_form(body);
    } else {
        crate::watched::watch_json(body);
    }
    let mut req = agent().post(url).header("Content-Type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.send(body))
}

pub fn post_json(
    url: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> Result<Reply, String> {
    post(url, "application/json", &body.to_string(), headers)
}

/// Any method, no body: for preflights.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(()).map_err(|e| e.to_string())?;
    reply(agent().run(req))
}

/// A POST whose body has no declared length (chunked), as a client streaming it would send.
pub fn post_chunked(url: &str, body: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
    let mut req = agent().post(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let reader = std::io::Cursor::new(body.as_bytes().to_vec());
    reply(req.send(ureq::SendBody::from_owned_reader(reader)))
}

/// Any method, any bytes: for hostile traffic. Methods without a body are sent without one.
pub fn raw(
    method: &str,
    url: &str,
    content_type: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> Result<Reply, String> {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if !content_type.is_empty() {
        req = req.header("Content-Type", content_type);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let with_body = matches!(method, "POST" | "PATCH" | "PUT");
    let bytes = if with_body { body.to_vec() } else { Vec::new() };
    let req = req.body(bytes).map_err(|e| e.to_string())?;
    reply(agent().run(req))
}
