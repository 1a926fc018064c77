//! A site's callback endpoint, for the tests: it records every request the edge makes to it and
//! answers as each path is told to: a status, or no answer at all (a hung site).

use crate::http_server::{read_request, write_response, ReadError, Response};
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Reads the request and says nothing for a minute.
    Hang,
    /// 307 to [`REDIRECTED`] on this receiver, which keeps the method and the body: a client
    /// that followed it would deliver the callback there.
    Redirect,
}

/// Where [`Answer::Redirect`] sends the callback.
pub const REDIRECTED: &str = "/redirected";

/// One request the edge made.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// What follows `?`, as sent.
    pub raw_query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
    pub answered: Answer,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http_server::header(&self.headers, name)
    }
}

#[derive(Default)]
struct State {
    /// Answers still to give, per path; then 200.
    plans: HashMap<String, VecDeque<Answer>>,
    received: Vec<Received>,
}

pub struct CallbackReceiver {
    base: String,
    state: Arc<Mutex<State>>,
}

impl CallbackReceiver {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let location = format!("{base}{REDIRECTED}");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                let location = location.clone();
                // A hung answer must not hold up the next request.
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let req = match read_request(&stream) {
                        Ok(r) => r,
                        Err(ReadError::Gone) => return,
                        Err(ReadError::Refused(status, why)) => {
                            return write_response(&stream, &Response::text(status, why))
                        }
                    };
                    let answer = {
                        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                        let answer = s
                            .plans
                            .get_mut(&req.path)
                            .and_then(VecDeque::pop_front)
                            .unwrap_or(Answer::Status(200));
                        let raw_query = req
                            .target
                            .split_once('?')
                            .map(|(_, q)| q.to_owned())
                            .unwrap_or_default();
                        s.received.push(Received {
                            method: req.method.clone(),
                            path: req.path.clone(),
                            raw_query,
                            headers: req.headers.clone(),
                            body: String::from_utf8_lossy(&req.body).into_owned(),
                            at: Instant::now(),
                            answered: answer,
                        });
                        answer
                    };
                    match answer {
                        Answer::Status(status) => {
                            write_response(&stream, &Response::text(status, "noted"))
                        }
                        Answer::Hang => std::thread::sleep(Duration::from_secs(60)),
                        Answer::Redirect => {
                            let head = format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                            let _ = (&stream).write_all(head.as_bytes());
                        }
                    }
                });
            }
        });
        Ok(CallbackReceiver { base, state })
    }

    /// The callback URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next answers `path` gives, in order; after them it answers 200.
    pub fn plan(&self, path: &str, answers: &[Answer]) {
        self.lock()
            .plans
            .insert(path.to_owned(), answers.iter().copied().collect());
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.lock()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` has received `n` requests (or `timeout` passes) and answers them.
    pub fn wait_for(&self, path: &str, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received(path);
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
