//! What every handler may need about a request besides its body: who sent it (`Visitor`) and
//! where it arrived (`Ctx`). The router makes both; the routes read them.

use ringproof_core::client::Client;
use worker::{Env, Url};

/// Who sent the request: the page's `Origin` (and whether a handler found it allowed, so CORS
/// may name it) and the client's address, which per-client limits count.
pub struct Visitor {
    origin: Option<String>,
    client_ip: String,
    /// The client per-client limits count: the address, or an IPv6 client's /64.
    client: Client,
    allowed: bool,
    /// The site the request turned out to concern, once known: its refusals are counted.
    site_key: Option<String>,
}

impl Visitor {
    /// A request from `client_ip` (as Cloudflare reports it) sent by a page at `origin`.
    pub fn new(origin: Option<String>, client_ip: String) -> Visitor {
        Visitor {
            origin,
            client: Client::from_ip(&client_ip),
            client_ip,
            allowed: false,
            site_key: None,
        }
    }

    /// The site the request turned out to concern, if any.
    pub fn site_key(&self) -> Option<&str> {
        self.site_key.as_deref()
    }

    pub fn on_site(&mut self, site_key: &str) {
        self.site_key = Some(site_key.to_owned());
    }

    /// The address itself, for Turnstile's `remoteip`.
    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The page is one the site (or the verification) allows: it may read the answer.
    pub fn allow(&mut self) {
        self.allowed = true;
    }

    pub fn granted(&self) -> Option<&str> {
        self.origin.as_deref().filter(|_| self.allowed)
    }
}

/// What every handler may need about the request besides its body.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub url: &'a Url,
    /// `scheme://host[:port]` of the edge itself, for the URLs it hands out.
    pub base: String,
    /// Work that may finish after the answer (`waitUntil`), where a caller waits on a deadline.
    pub background: &'a worker::Context,
}

/// The first value of `name` in the query.
pub fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
