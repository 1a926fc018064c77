//! A WebSocket client as a script would write one: any `Origin` or none, frames read one by
//! one. Browsers choose the Origin themselves, so what an attacker's script can send is tested
//! here; what a page gets is tested in Chromium.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The answer to an upgrade request.
pub enum Handshake {
    Open(Socket),
    /// Not upgraded: the HTTP status and body.
    Refused {
        status: u16,
        body: String,
    },
}

#[derive(Debug, PartialEq)]
pub enum Frame {
    Text(String),
    /// A close frame and its code (1005 when it carries none).
    Close(u16),
    Other(u8),
}

pub struct Socket {
    reader: BufReader<TcpStream>,
}

/// Asks `base` (`http://host:port`) to upgrade `path`, with `origin` as the Origin header.
pub fn connect(base: &str, path: &str, origin: Option<&str>) -> Result<Handshake, String> {
    connect_with(base, path, origin, &[])
}

/// As [`connect`], with more headers (`CF-Connecting-IP`, as Cloudflare sets it).
pub fn connect_with(
    base: &str,
    path: &str,
    origin: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Handshake, String> {
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http base: {base}"))?;
    let stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let mut origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    for (name, value) in headers {
        origin.push_str(&format!("{name}: {value}\r\n"));
    }
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: cmluZ3Byb29mIHRlc3Qga2V5IQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    );
    (&stream)
        .write_all(head.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {line:?}"))?;
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).map_err(|e| e.to_string())?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':').unwrap_or((h, ""));
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap_or(0);
        }
        if name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked") {
            chunked = true;
        }
    }
    if status == 101 {
        return Ok(Handshake::Open(Socket { reader }));
    }
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).map_err(|e| e.to_string())?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).map_err(|e| e.to_string())?;
            body.extend_from_slice(&chunk[..n]);
        }
        body
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        body
    };
    Ok(Handshake::Refused {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

impl Socket {
    /// The next frame from the server (servers do not mask theirs).
    pub fn frame(&mut self) -> Result<Frame, String> {
        let mut head = [0u8; 2];
        self.reader
            .read_exact(&mut head)
            .map_err(|e| format!("reading a frame: {e}"))?;
        let opcode = head[0] & 0x0f;
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.reader.read_exact(&mut b).map_err(|e| e.to_string())?;
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                self.reader.read_exact(&mut b).map_err(|e| e.to_string())?;
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        let mut payload = vec![0; len as usize];
        self.reader
            .read_exact(&mut payload)
            .map_err(|e| e.to_string())?;
        Ok(match opcode {
            1 => Frame::Text(String::from_utf8_lossy(&payload).into_owned()),
            8 => Frame::Close(match payload.get(..2) {
                Some(c) => u16::from_be_bytes([c[0], c[1]]),
                None => 1005,
            }),
            other => Frame::Other(other),
        })
    }

    /// How long [`Socket::frame`] waits before it fails.
    pub fn wait_at_most(&mut self, d: Duration) {
        let _ = self.reader.get_ref().set_read_timeout(Some(d));
    }

    /// The next text frame as JSON; anything else is an error.
    pub fn next_json(&mut self) -> Result<serde_json::Value, String> {
        match self.frame()? {
            Frame::Text(t) => serde_json::from_str(&t).map_err(|e| format!("{e}: {t}")),
            other => Err(format!("expected a text frame, got {other:?}")),
        }
    }

    /// Sends a text frame, masked as a client must.
    pub fn send_text(&mut self, text: &str) -> Result<(), String> {
        let mask = [0x52, 0x50, 0x72, 0x70];
        let bytes = text.as_bytes();
        assert!(bytes.len() < 126, "short frames only");
        let mut frame = vec![0x81, 0x80 | bytes.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(bytes.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.reader
            .get_mut()
            .write_all(&frame)
            .map_err(|e| e.to_string())
    }
}
