//! Web origins (RFC 6454) and the patterns sites allow them by.
//!
//! A browser's `Origin` header is a serialised origin: `scheme://host[:port]`, lower-case, no
//! default port, no path, no user. Anything else is not an origin a browser sends, so it is
//! refused before it is matched, stored or written anywhere (an SMS, a log).

use std::fmt;
use url::{Host, Url};

/// The longest origin accepted: a DNS name is at most 253 characters.
const MAX_LEN: usize = 300;

/// A parsed, serialised origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    /// `None` for the scheme's default port.
    port: Option<u16>,
}

impl Origin {
    /// The origin `text` serialises, or `None` if `text` is not exactly a serialised http(s)
    /// origin (so `https://Shop.example`, `https://shop.example/` and `https://a b.example`
    /// are all refused).
    pub fn parse(text: &str) -> Option<Origin> {
        if text.len() > MAX_LEN || !text.is_ascii() {
            return None;
        }
        let url = Url::parse(text).ok()?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return None;
        }
        let host = match url.host()? {
            Host::Domain(d) => d.to_owned(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(_) => return None,
        };
        let origin = Origin {
            scheme: url.scheme().to_owned(),
            host,
            port: url.port(),
        };
        (origin.to_string() == text).then_some(origin)
    }

    pub fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

/// One of a site's allowed-origin patterns: `https://shop.example`, `https://*.shop.example`
/// (any subdomain) or `http://localhost:*` (any port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern<'a> {
    scheme: &'a str,
    /// Without the `*.` of a subdomain wildcard.
    host: &'a str,
    any_subdomain: bool,
    port: PortRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortRule {
    Default,
    Any,
    Exactly(u16),
}

impl<'a> Pattern<'a> {
    pub fn parse(text: &'a str) -> Option<Pattern<'a>> {
        let (scheme, rest) = text.split_once("://")?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, "*")) => (h, PortRule::Any),
            Some((h, p)) => (h, PortRule::Exactly(p.parse().ok()?)),
            None => (rest, PortRule::Default),
        };
        let (host, any_subdomain) = match host.strip_prefix("*.") {
            Some(parent) => (parent, true),
            None => (host, false),
        };
        Some(Pattern {
            scheme,
            host,
            any_subdomain,
            port,
        })
    }

    /// `text` as a pattern only when every part of it means what [`Pattern::matches`] reads:
    /// a `*` only as a leading `*.` (any subdomain), a `:` only before the port (digits or
    /// `*`), and a host of dot-separated labels of letters, digits and hyphens. **A site whose
    /// pattern is stored must match what its owner meant**: `shop*.example` or `sh:op.example`
    /// would be kept, and then never match a page.
    pub fn checked(text: &'a str) -> Option<Pattern<'a>> {
        let pattern = Pattern::parse(text)?;
        let (_, rest) = text.split_once("://")?;
        let port_ok = match rest.rsplit_once(':') {
            Some((_, port)) => port == "*" || port.parse::<u16>().is_ok_and(|p| p > 0),
            None => true,
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let host_ok = pattern.host.len() <= 253 && pattern.host.split('.').all(label_ok);
        (port_ok && host_ok && matches!(pattern.scheme, "https" | "http")).then_some(pattern)
    }

    pub fn matches(&self, origin: &Origin) -> bool {
        let port_ok = match self.port {
            PortRule::Any => true,
            PortRule::Default => origin.port.is_none(),
            PortRule::Exactly(p) => origin.port == Some(p),
        };
        let host_ok = if self.any_subdomain {
            // The dot stops `evilshop.example` passing for `*.shop.example`.
            origin
                .host
                .strip_suffix(self.host)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
        } else {
            origin.host.eq_ignore_ascii_case(self.host)
        };
        self.scheme == origin.scheme && port_ok && host_ok
    }

    /// The host the site configured, which is what texts to the visitor name: a wildcard's
    /// parent domain, never the subdomain a page happened to come from.
    pub fn domain(&self) -> &'a str {
        self.host
    }
}

/// How a request stands to the page a verification was started on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follower {
    /// That page itself, by its Origin: its answers may name it (CORS).
    OwnPage,
    /// A request naming no Origin (a same-origin GET, a server): it relies on the id being
    /// unguessable.
    Unnamed,
}

/// Whether a request from `page` (its Origin, if it sent one) may follow a verification
/// started on `started_on`: the page that started it is the only one that may.
pub fn follower(page: Option<&str>, started_on: &str) -> Result<Follower, crate::ApiError> {
    match page {
        Some(p) if p != started_on => Err(crate::ApiError::OriginNotAllowed),
        Some(_) => Ok(Follower::OwnPage),
        None => Ok(Follower::Unnamed),
    }
}

impl Follower {
    /// Whether its answers may carry the verification's live token. The id travels in image
    /// URLs and OneRing's answers, so knowing it proves nothing: the token goes only to the
    /// verification's own page, or with no Origin only when that page is the edge's own at
    /// `edge_base` (the demo's same-origin reads).
    pub fn sees_token(self, started_on: &str, edge_base: &str) -> bool {
        self == Follower::OwnPage || started_on == edge_base
    }

    /// Whether it may have a fresh token: only one that would see it.
    pub fn may_renew(self, started_on: &str, edge_base: &str) -> Result<(), crate::ApiError> {
        if self.sees_token(started_on, edge_base) {
            Ok(())
        } else {
            Err(crate::ApiError::OriginNotAllowed)
        }
    }
}

/// A verification's view for a follower that does not see its token (`Follower::sees_token`):
/// the token and when it expires are left out, the rest is the same.
pub fn without_token(mut view: ringproof_api::VerificationView) -> ringproof_api::VerificationView {
    view.token = None;
    view.token_expires_at = None;
    view
}

/// Whether a change to the console came from the console's own page at `edge_base`: its
/// cookie is `SameSite=Strict` already; this also refuses a page that says it is another's.
pub fn console_page(page: Option<&str>, edge_base: &str) -> Result<(), crate::ApiError> {
    match page {
        Some(p) if p == edge_base => Ok(()),
        _ => Err(crate::ApiError::OriginNotAllowed),
    }
}

/// Whether a path (as segments) is one a page in a browser calls, so it answers CORS and a
/// preflight: the verification API, the challenge, the countries, the sandbox and OneRing's
/// plugin path. The console, the site server's and the providers' paths are not.
pub fn browser_facing(segments: &[&str]) -> bool {
    use ringproof_api::paths;
    matches!(
        segments,
        [paths::V1, paths::VERIFICATIONS, ..]
            | [paths::V1, paths::CHALLENGE]
            | [paths::V1, paths::COUNTRIES, ..]
            | [paths::V1, paths::SANDBOX, ..]
            | ["Apps", "Plugin", ..]
    )
}

/// A preflight's grant beyond the origin: the widget sends simple requests (`text/plain`
/// JSON), so only a page calling the API by hand needs one, and its browser may keep it ten
/// minutes.
pub const PREFLIGHT: [(&str, &str); 3] = [
    ("Access-Control-Allow-Methods", "GET, POST"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Max-Age", "600"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_paths_a_page_calls_answer_a_preflight() {
        for path in [
            "v1/verifications",
            "v1/verifications/abc/check",
            "v1/challenge",
            "v1/countries/GB",
            "v1/sandbox/missed-call",
            "Apps/Plugin/NewMobileRecorded",
        ] {
            let segs: Vec<&str> = path.split('/').collect();
            assert!(browser_facing(&segs), "{path}");
        }
        for path in [
            "v1/siteverify",
            "v1/transactions/t1",
            "v1/providers/telesign",
            "v1/carriers/telnyx",
            "console/api/me",
            "v1/admin/sites",
            "v1/challenge/extra",
        ] {
            let segs: Vec<&str> = path.split('/').collect();
            assert!(!browser_facing(&segs), "{path}");
        }
    }

    use super::*;

    #[test]
    fn only_serialised_origins_parse() {
        for ok in [
            "https://shop.example",
            "http://localhost:3000",
            "http://127.0.0.1:8787",
            "https://a.b.shop.example",
        ] {
            assert_eq!(
                Origin::parse(ok).map(|o| o.to_string()).as_deref(),
                Some(ok)
            );
        }
        for bad in [
            "https://URGENT call 0800 123 x.shop.example",
            "https://urgent%20call.shop.example",
            "https://Shop.example",
            "https://shop.example/",
            "https://shop.example/path",
            "https://shop.example?x=1",
            "https://user@shop.example",
            "https://user:pw@shop.example",
            "https://shop.example:443",
            "ftp://shop.example",
            "null",
            "",
            "https://",
            "https://[::1]",
            "https://xn--80ak6aa92e.com\u{0}",
            "https://shöp.example",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            Origin::parse(&format!("https://{}.x", "a".repeat(400))),
            None
        );
    }

    fn allowed(pattern: &str, origin: &str) -> bool {
        let o = Origin::parse(origin).expect(origin);
        Pattern::parse(pattern).is_some_and(|p| p.matches(&o))
    }

    #[test]
    fn patterns_match_scheme_host_and_port() {
        assert!(allowed("https://shop.example", "https://shop.example"));
        assert!(!allowed("https://shop.example", "http://shop.example"));
        assert!(!allowed(
            "https://shop.example",
            "https://shop.example:8443"
        ));
        assert!(!allowed(
            "https://shop.example",
            "https://shop.example.evil"
        ));
        assert!(allowed("http://localhost:*", "http://localhost:3000"));
        assert!(allowed("http://localhost:*", "http://localhost"));
        assert!(!allowed("http://localhost:*", "http://localhost.evil:3000"));
        assert!(allowed("http://localhost:3000", "http://localhost:3000"));
        assert!(!allowed("http://localhost:3000", "http://localhost:3001"));
        assert!(allowed("https://*.example.com", "https://a.b.example.com"));
        assert!(!allowed("https://*.example.com", "https://example.com"));
        assert!(!allowed("https://*.example.com", "https://evilexample.com"));
    }

    #[test]
    fn a_wildcards_domain_is_its_parent() {
        assert_eq!(
            Pattern::parse("https://*.shop.example").unwrap().domain(),
            "shop.example"
        );
        assert_eq!(
            Pattern::parse("http://localhost:*").unwrap().domain(),
            "localhost"
        );
    }

    #[test]
    fn only_the_page_that_started_a_verification_follows_it_and_sees_its_token() {
        let page = "https://shop.example";
        let edge = "https://edge.example";
        assert_eq!(follower(Some(page), page), Ok(Follower::OwnPage));
        assert_eq!(
            follower(Some("https://evil.example"), page),
            Err(crate::ApiError::OriginNotAllowed)
        );
        assert_eq!(follower(None, page), Ok(Follower::Unnamed));
        assert!(Follower::OwnPage.sees_token(page, edge));
        assert!(
            !Follower::Unnamed.sees_token(page, edge),
            "knowing the id is not enough"
        );
        assert!(
            Follower::Unnamed.sees_token(edge, edge),
            "the demo's own page"
        );
        assert_eq!(Follower::OwnPage.may_renew(page, edge), Ok(()));
        assert_eq!(
            Follower::Unnamed.may_renew(page, edge),
            Err(crate::ApiError::OriginNotAllowed)
        );
        let (session, _) = crate::session::tests::start(ringproof_api::Channel::MissedCall);
        let mut view = session.view(b"key", edge, crate::session::tests::T0);
        view.token = Some("tok".into());
        view.token_expires_at = Some("2026-12-07T10:00:00Z".into());
        let hidden = without_token(view.clone());
        assert_eq!((hidden.token, hidden.token_expires_at), (None, None));
        assert_eq!(hidden.verification_id, view.verification_id);
    }

    #[test]
    fn the_console_is_changed_from_its_own_page_only() {
        let edge = "https://edge.example";
        assert_eq!(console_page(Some(edge), edge), Ok(()));
        for page in [
            None,
            Some("https://evil.example"),
            Some("https://edge.example:8443"),
        ] {
            assert_eq!(
                console_page(page, edge),
                Err(crate::ApiError::OriginNotAllowed),
                "{page:?}"
            );
        }
    }
}
