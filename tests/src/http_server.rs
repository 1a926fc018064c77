//! HTTP/1.1, minimally: enough to serve the fake providers and the test callback receiver
//! from plain threads, one request per connection.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

const MAX_BODY: usize = 1 << 20;

pub struct Request {
    pub method: String,
    /// The request target as sent: path and raw query.
    pub target: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The value of the header `name` in `headers`, whatever its case: HTTP names are
/// case-insensitive, and the edge, workerd and the SDKs each spell them their own way.
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum ReadError {
    /// The client went away or sent something that is not HTTP: nobody to answer.
    Gone,
    Refused(u16, &'static str),
}

pub fn read_request(stream: &TcpStream) -> Result<Request, ReadError> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|_| ReadError::Gone)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Gone);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Gone);
    }
    let (method, target) = (method.to_owned(), target.to_owned());
    let headers = read_headers(&mut reader)?;
    let body = read_body(&mut reader, stream, &headers)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Ok(Request {
        method,
        target: target.clone(),
        path: path.to_owned(),
        query: decode_form(query),
        headers,
        body,
    })
}

fn read_headers(reader: &mut impl BufRead) -> Result<Vec<(String, String)>, ReadError> {
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|_| ReadError::Gone)? == 0 {
            return Err(ReadError::Gone);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Ok(headers);
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(ReadError::Refused(400, "a header line without a colon"))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
        if headers.len() > 100 {
            return Err(ReadError::Refused(431, "too many headers"));
        }
    }
}

fn read_body(
    reader: &mut impl Read,
    mut stream: &TcpStream,
    headers: &[(String, String)],
) -> Result<Vec<u8>, ReadError> {
    let header = |n: &str| header(headers, n);
    if header("transfer-encoding").is_some() {
        return Err(ReadError::Refused(
            411,
            "send a Content-Length: this fake does not read chunked bodies",
        ));
    }
    let len: usize = match header("content-length") {
        None => 0,
        Some(v) => v
            .parse()
            .map_err(|_| ReadError::Refused(400, "Content-Length is not a number"))?,
    };
    if len > MAX_BODY {
        return Err(ReadError::Refused(413, "the body is too large"));
    }
    // curl waits for this before sending a large body.
    if header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).map_err(|_| ReadError::Gone)?;
    Ok(body)
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub cors: bool,
}

impl Response {
    pub fn json(status: u16, v: Value) -> Self {
        Response {
            status,
            content_type: "application/json",
            body: v.to_string(),
            cors: false,
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
            cors: false,
        }
    }

    pub fn with_cors(self) -> Self {
        Response { cors: true, ..self }
    }
}

pub fn write_response(mut stream: &TcpStream, r: &Response) {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    );
    if r.cors {
        head.push_str(
            "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: GET, POST, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\nAccess-Control-Max-Age: 600\r\n",
        );
    }
    head.push_str("\r\n");
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(r.body.as_bytes()))
        .and_then(|()| stream.flush());
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A query string or form body, decoded.
pub fn decode_form(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(s).unwrap_or_default()
}
