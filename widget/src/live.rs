//! Following the verification as it changes, over the WebSocket its Durable Object holds
//! (`ringproof_api::live`). The widget polls only while no socket is open: a proxy that blocks
//! WebSockets, a dropped connection, the moments before a reconnect. The visitor sees the same
//! widget either way.

use crate::dom;
use ringproof_api::live::{PING, PONG};
use web_sys::{Event, WebSocket};

/// A quiet socket is pinged after this long, and given up on when the pong is this late: a
/// connection can die without a close event (a phone changing networks, a NAT forgetting it).
const PING_AFTER_MS: f64 = 25_000.0;
const PONG_WITHIN_MS: f64 = 5_000.0;
/// A socket open this long has proved itself: the back-off starts again from 1 s. (Opening
/// alone proves nothing: a proxy may cut every socket right after its first frame.)
const STEADY_AFTER_MS: f64 = 30_000.0;

/// What a socket tells the widget.
pub enum Heard {
    Open,
    Frame(String),
    /// Closed or failed (a failure is always followed by its close).
    Closed,
}

/// What the widget does about it.
pub enum Then {
    Nothing,
    /// Ask the edge now: the socket went, and something may have changed meanwhile.
    Poll,
    /// A view, as the edge sent it.
    Show(String),
}

/// One socket following one verification.
struct Socket {
    ws: WebSocket,
    open: bool,
    closed: bool,
    opened_at: f64,
    /// When a frame last arrived, and when the ping still unanswered went.
    heard_at: f64,
    pinged_at: Option<f64>,
    listeners: dom::Listeners,
}

const EVENTS: [&str; 3] = ["open", "message", "close"];

impl Drop for Socket {
    /// The widget let it go (final, another verification, unmounted, given up): its handlers
    /// go first, so its close is not heard as a drop.
    fn drop(&mut self) {
        dom::off_all(&self.ws, &EVENTS, &self.listeners);
        let _ = self.ws.close();
    }
}

/// The verification being followed, its socket, and the back-off between sockets.
#[derive(Default)]
pub struct Follower {
    following: Option<String>,
    socket: Option<Socket>,
    failures: u32,
    retry_at: f64,
    offline: bool,
}

impl Follower {
    /// The widget shows `pending` (the id of a pending verification, or none): the id to open
    /// a socket for, when it is a new one.
    pub fn shown(&mut self, pending: Option<String>) -> Option<String> {
        if pending == self.following {
            return None;
        }
        *self = Follower {
            following: pending.clone(),
            ..Follower::default()
        };
        pending
    }

    /// Opens a socket to verification `id` at the edge `base` (`http(s)://…`); `on` hears it.
    /// Whether to poll now, because it could not be opened.
    pub fn open(
        &mut self,
        base: &str,
        id: &str,
        on: impl FnMut(Heard) + 'static,
        now: f64,
    ) -> bool {
        self.socket = connect(base, id, on, now);
        if self.socket.is_none() {
            self.dropped(now);
        }
        self.socket.is_none()
    }

    pub fn heard(&mut self, heard: Heard, now: f64) -> Then {
        let Some(s) = self.socket.as_mut() else {
            return Then::Nothing;
        };
        match heard {
            Heard::Open => {
                s.open = true;
                s.opened_at = now;
                s.heard_at = now;
                Then::Nothing
            }
            Heard::Frame(text) => {
                s.heard_at = now;
                s.pinged_at = None;
                if text == PONG {
                    return Then::Nothing;
                }
                Then::Show(text)
            }
            Heard::Closed => {
                s.open = false;
                s.closed = true;
                self.dropped(now);
                Then::Poll
            }
        }
    }

    /// Every poll interval: whether to poll, and the id to open a socket for. An open socket
    /// quiet for too long is pinged; one that does not answer is given up.
    pub fn tick(&mut self, now: f64, online: bool) -> (bool, Option<String>) {
        // Back online after a network change: a socket is tried again at once.
        if !online {
            self.offline = true;
        } else if std::mem::take(&mut self.offline) {
            self.failures = 0;
            self.retry_at = 0.0;
        }
        if let Some(s) = self.socket.as_mut().filter(|s| s.open) {
            if now - s.opened_at >= STEADY_AFTER_MS {
                self.failures = 0;
            }
            match s.pinged_at {
                None if now - s.heard_at >= PING_AFTER_MS => {
                    s.pinged_at = Some(now);
                    let _ = s.ws.send_with_str(PING);
                }
                Some(at) if now - at >= PONG_WITHIN_MS => {
                    self.socket = None;
                    self.dropped(now);
                }
                _ => return (false, None),
            }
            if self.socket.is_some() {
                return (false, None);
            }
        }
        let down = self.socket.as_ref().is_none_or(|s| s.closed);
        let reopen = self
            .following
            .clone()
            .filter(|_| down && now >= self.retry_at);
        (true, reopen)
    }

    fn dropped(&mut self, now: f64) {
        self.retry_at = now + backoff_ms(self.failures);
        self.failures += 1;
    }
}

fn connect(base: &str, id: &str, mut on: impl FnMut(Heard) + 'static, now: f64) -> Option<Socket> {
    let url = format!(
        "ws{}/v1/verifications/{id}/live",
        base.strip_prefix("http")?
    );
    let ws = WebSocket::new(&url).ok()?;
    let mut listeners = dom::Listeners::new();
    let heard = move |e: Event| {
        on(match e.type_().as_str() {
            "open" => Heard::Open,
            "message" => match crate::wire::field(&e, "data").as_string() {
                Some(text) => Heard::Frame(text),
                None => return,
            },
            _ => Heard::Closed,
        })
    };
    dom::on_all(&ws, &EVENTS, &mut listeners, heard);
    Some(Socket {
        ws,
        open: false,
        closed: false,
        opened_at: now,
        heard_at: now,
        pinged_at: None,
        listeners,
    })
}

/// Milliseconds before reconnecting after `failures` sockets in a row failed: 1 s, doubling,
/// at most 30 s.
fn backoff_ms(failures: u32) -> f64 {
    (1000.0 * f64::from(1u32 << failures.min(5))).min(30_000.0)
}
