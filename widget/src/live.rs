//! The WebSocket that follows a verification as it changes (`ringproof_api::live`): opened,
//! pinged and closed when `machine` says, and heard as messages. When to open one, ping it or
//! give it up, and when to poll instead, is the machine's.

use crate::dom;
use crate::machine::Msg;
use ringproof_api::live::{PING, PONG};
use ringproof_api::paths;
use web_sys::{Event, WebSocket};

const EVENTS: [&str; 3] = ["open", "message", "close"];

/// One socket following one verification.
pub struct Socket {
    ws: WebSocket,
    listeners: dom::Listeners,
}

impl Drop for Socket {
    /// The widget let it go (final, another verification, unmounted, given up): its handlers
    /// go first, so its close is not heard as a drop.
    fn drop(&mut self) {
        dom::off_all(&self.ws, &EVENTS, &self.listeners);
        let _ = self.ws.close();
    }
}

impl Socket {
    pub fn ping(&self) {
        let _ = self.ws.send_with_str(PING);
    }
}

/// Opens a socket to verification `id` at the edge `base` (`http(s)://…`); `heard` hears what
/// it says, as messages. `None` when none could be opened.
pub fn open(base: &str, id: &str, heard: impl Fn(Msg) + 'static) -> Option<Socket> {
    let url = format!(
        "ws{}{}",
        base.strip_prefix("http")?,
        paths::of_verification(id, paths::LIVE)
    );
    let ws = WebSocket::new(&url).ok()?;
    let mut listeners = dom::Listeners::new();
    let on = move |e: Event| {
        let msg = match e.type_().as_str() {
            "open" => Msg::SocketOpened,
            "message" => match crate::wire::field(&e, "data").as_string() {
                Some(text) if text == PONG => Msg::SocketPong,
                Some(text) => match crate::wire::parse(&text).and_then(|v| crate::read::view(&v)) {
                    Some(view) => Msg::SocketView(view),
                    None => return,
                },
                None => return,
            },
            // Closed or failed (a failure is always followed by its close).
            _ => Msg::SocketClosed,
        };
        heard(msg);
    };
    dom::on_all(&ws, &EVENTS, &mut listeners, on);
    Some(Socket { ws, listeners })
}
