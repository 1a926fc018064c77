//! A site owner's page on another origin, served from the test process: the widget must work
//! embedded with nothing but its two tags.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

pub struct HostPage {
    pub url: String,
}

impl HostPage {
    /// Serves `html` at `http://localhost:<port>/` (a different origin from the edge's
    /// `127.0.0.1`) on a background thread for the life of the process.
    pub fn serve(html: String) -> Self {
        Self::serve_with(html, "")
    }

    /// [`HostPage::serve`] with extra response headers (`"Name: value\r\n"` each), such as
    /// a Content-Security-Policy.
    pub fn serve_with(html: String, headers: &str) -> Self {
        let headers = headers.to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind host page");
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                // Drain the request head; every path gets the page.
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut s = &stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{html}",
                    html.len()
                );
            }
        });
        HostPage {
            url: format!("http://localhost:{port}/"),
        }
    }

    /// The embedding a site owner pastes: the script tag and the element inside their form.
    pub fn embedding(edge: &str, site_key: &str) -> String {
        format!(
            r#"<!doctype html><html><head><title>Shop checkout</title></head><body>
<form id="checkout" action="/order" method="post">
  <ringproof-verify site-key="{site_key}"></ringproof-verify>
</form>
<script>
  window.ringproofEvents = [];
  document.addEventListener('ringproof-verified', e => window.ringproofEvents.push(e.detail.token));
</script>
<script src="{edge}/v1/widget.js" async></script>
</body></html>"#
        )
    }

    /// [`HostPage::embedding`] with [`PROBE`] before the loader: what the widget asks of the
    /// edge and hears from it, as the page sees it. With `block`, every WebSocket the widget
    /// opens goes to that URL instead, as behind a proxy that refuses them.
    pub fn probed(edge: &str, site_key: &str, block: Option<&str>) -> String {
        let block = block.map(|b| format!("'{b}'")).unwrap_or("null".into());
        HostPage::embedding(edge, site_key).replace(
            "<script src=",
            &format!("<script>window.probeBlock = {block};{PROBE}</script>\n<script src="),
        )
    }
}

/// Counts the widget's status polls (`GET /v1/verifications/{id}`), keeps every WebSocket it
/// opens with the frames it got and sent and the close codes, the page's clock at each poll
/// and close, and the instant (epoch milliseconds) of each `ringproof-verified`.
pub const PROBE: &str = r#"
window.probe = { polls: 0, polledAt: [], sockets: [], frames: [], sent: [], closes: [], closedAt: [], verified: [] };
(function () {
  var realFetch = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === 'string' ? input : input.url;
    var method = (init && init.method) || (typeof input === 'string' ? 'GET' : input.method);
    if (method === 'GET' && /\/v1\/verifications\/[^\/?]+$/.test(url)) { probe.polls++; probe.polledAt.push(performance.now()); }
    return realFetch.apply(this, arguments);
  };
  var Real = window.WebSocket;
  window.WebSocket = function (url) {
    var ws = new Real(window.probeBlock || url);
    ws.asked = url;
    probe.sockets.push(ws);
    ws.addEventListener('message', function (e) { probe.frames.push(e.data); });
    ws.addEventListener('close', function (e) { probe.closes.push(e.code); probe.closedAt.push(performance.now()); });
    ws.send = function (data) { probe.sent.push(data); return Real.prototype.send.call(ws, data); };
    return ws;
  };
  window.WebSocket.prototype = Real.prototype;
  document.addEventListener('ringproof-verified', function (e) {
    probe.verified.push({ token: e.detail.token, at: performance.timeOrigin + performance.now() });
  });
})();
"#;
