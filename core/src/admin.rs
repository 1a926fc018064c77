//! Sites as the admin API makes and changes them: every input is checked here, so a site in KV
//! is always one the edge can serve.

use crate::error::ApiError;
use crate::origin::Pattern;
use crate::random::Randomness;
use crate::secret;
use crate::signature;
use crate::site::{Credentials, Site, DEFAULT_SENDS_PER_NUMBER_PER_HOUR};
use ringproof_api::{Channel, CreatedSite, SiteInput, SiteLimits, SiteUpdate, SiteView};
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

const ALL_CHANNELS: [Channel; 4] = [
    Channel::MissedCall,
    Channel::FlashCall,
    Channel::Sms,
    Channel::VoiceCall,
];

/// Where the edge runs: local development may call back to loopback addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Production,
    LocalDevelopment,
}

impl Deployment {
    /// Whether a WebSocket from `ip` (its `CF-Connecting-IP`, which Cloudflare always sets)
    /// counts against its client's sockets: always in production; on a local edge, not when
    /// it comes from the edge's own machine (the tests' browsers and sockets).
    pub fn counts_sockets_of(self, ip: Option<&str>) -> bool {
        self == Deployment::Production
            || ip.is_some_and(|ip| !crate::client::Client::from_ip(ip).is_loopback())
    }
}

/// A new site and what its owner is shown once. `inbound_numbers` is the deployment's pool;
/// `master` its `SITE_SECRET_KEY`.
pub fn create(
    input: SiteInput,
    inbound_numbers: Vec<String>,
    rng: &mut impl Randomness,
    master: &[u8],
    deployment: Deployment,
) -> Result<(Site, CreatedSite), ApiError> {
    let creds = Credentials::generate(rng, master);
    let api_key = format!("rp_api_{}", rng.token(24));
    let site = Site {
        site_key: creds.site_key,
        title: title(&input.title)?,
        secret_hash: secret::hash(&creds.secret),
        secret_salt: Some(creds.salt),
        allowed_origins: domains(&input.domains)?,
        callback_url: callback(input.callback_url.as_deref(), deployment)?,
        callback_format: input.callback_format,
        allowed_countries: countries(&input.allowed_countries)?,
        activity_token_id: format!("rp_act_{}", rng.token(12)),
        api_key_hash: secret::hash(&api_key),
        channels: channels(input.channels.unwrap_or_else(|| ALL_CHANNELS.to_vec()))?,
        inbound_numbers,
        sends_per_number_per_hour: DEFAULT_SENDS_PER_NUMBER_PER_HOUR,
        limits: limits(input.limits)?,
        turnstile_secret: None,
        owner: None,
        test: None,
    };
    let mut site = site;
    site.turnstile_secret = turnstile(input.turnstile_secret, &site.site_key, rng, master)?;
    let created = CreatedSite {
        site: view(&site),
        webhook_secret: secret::webhook_secret(&creds.secret),
        secret: creds.secret,
        api_key,
    };
    Ok((site, created))
}

/// Applies the fields present in `update`; on any invalid field nothing changes.
/// `rng` and `master` seal a new Turnstile secret.
pub fn update(
    site: &Site,
    update: SiteUpdate,
    deployment: Deployment,
    rng: &mut impl Randomness,
    master: &[u8],
) -> Result<Site, ApiError> {
    let mut next = site.clone();
    if let Some(t) = update.title {
        next.title = title(&t)?;
    }
    if let Some(d) = update.domains {
        next.allowed_origins = domains(&d)?;
    }
    if let Some(c) = update.callback_url {
        next.callback_url = callback(Some(c.as_str()).filter(|c| !c.is_empty()), deployment)?;
    }
    if let Some(f) = update.callback_format {
        next.callback_format = f;
    }
    if let Some(c) = update.channels {
        next.channels = channels(c)?;
    }
    if let Some(c) = update.allowed_countries {
        next.allowed_countries = countries(&c)?;
    }
    if let Some(l) = update.limits {
        next.limits = limits(l)?;
    }
    if let Some(t) = update.turnstile_secret {
        next.turnstile_secret = turnstile(Some(t), &site.site_key, rng, master)?;
    }
    Ok(next)
}

/// A new secret; the old one stops working at once, for siteverify and for signatures.
pub fn rotate_secret(site: &mut Site, rng: &mut impl Randomness, master: &[u8]) -> String {
    let fresh = Credentials::for_site(site.site_key.clone(), rng, master);
    site.secret_hash = secret::hash(&fresh.secret);
    site.secret_salt = Some(fresh.salt);
    fresh.secret
}

pub fn view(site: &Site) -> SiteView {
    SiteView {
        site_key: site.site_key.clone(),
        title: site.title.clone(),
        domains: site.allowed_origins.clone(),
        callback_url: site.callback_url.clone(),
        callback_format: site.callback_format,
        channels: site.channels.clone(),
        allowed_countries: site.allowed_countries.clone(),
        activity_token_id: site.activity_token_id.clone(),
        limits: site.limits().view(),
        turnstile: site.turnstile_secret.is_some(),
    }
}

/// A Turnstile secret, sealed for KV (see `secret::seal`).
fn turnstile(
    secret: Option<String>,
    site_key: &str,
    rng: &mut impl Randomness,
    master: &[u8],
) -> Result<Option<String>, ApiError> {
    match secret.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() <= 200 && s.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(secret::seal(master, site_key, s, rng)))
        }
        Some(_) => Err(invalid("turnstile_secret is not a Turnstile secret key")),
    }
}

fn limits(set: SiteLimits) -> Result<SiteLimits, ApiError> {
    crate::limits::validate(&set).map_err(ApiError::InvalidRequest)?;
    Ok(set)
}

fn invalid(what: &str) -> ApiError {
    ApiError::InvalidRequest(what.to_owned())
}

fn title(t: &str) -> Result<String, ApiError> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 100 {
        return Err(invalid("title must be 1 to 100 characters"));
    }
    Ok(t.to_owned())
}

fn is_local(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    name == "localhost" || name == "127.0.0.1"
}

/// `shop.example` means `https://shop.example`. Plain http is for local development only: a
/// token on an http page could be read on the way.
fn domains(list: &[String]) -> Result<Vec<String>, ApiError> {
    if list.is_empty() {
        return Err(invalid("domains must name at least one domain"));
    }
    list.iter()
        .map(|d| {
            let d = d.trim().trim_end_matches('/').to_ascii_lowercase();
            let (scheme, host) = d.split_once("://").unwrap_or(("https", d.as_str()));
            let stored = format!("{scheme}://{host}");
            // What is stored is what origins are matched by: checked by the matcher's own
            // reading, so nothing is kept that would never match.
            let pattern_ok = Pattern::checked(&stored).is_some();
            match scheme {
                "https" if pattern_ok => Ok(stored),
                "http" if pattern_ok && is_local(host) => Ok(stored),
                _ => Err(invalid(&format!(
                    "domain {d:?} is not a host name, `*.` and a host name, or either with \
                     `:port` or `:*` (http only for localhost)"
                ))),
            }
        })
        .collect()
}

/// A site's callback URL, read by a real URL parser (so what is checked is what is fetched):
/// https, no user name or password, no fragment, not a loopback, private or link-local address
/// (plain http and loopback only in local development), none of the names the signed GET adds.
fn callback(url: Option<&str>, deployment: Deployment) -> Result<Option<String>, ApiError> {
    let Some(url) = url else {
        return Ok(None);
    };
    let url = url.trim();
    let refuse = |why: &str| Err(invalid(&format!("callback_url {why}")));
    if url.len() > 2048 {
        return refuse("must be at most 2048 characters");
    }
    let Ok(parsed) = Url::parse(url) else {
        return refuse("must be an https URL");
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refuse("must not carry a user name or password");
    }
    if parsed.fragment().is_some() {
        return refuse("must not have a #fragment");
    }
    let local = deployment == Deployment::LocalDevelopment;
    let Some(host) = parsed.host() else {
        return refuse("must name a host");
    };
    let loopback = is_loopback(&host);
    if (loopback && !local) || (!loopback && is_internal(&host)) {
        return refuse("must not point at a loopback, private or link-local address");
    }
    match parsed.scheme() {
        "https" => {}
        "http" if local && loopback => {}
        _ => return refuse("must be an https URL (http only for localhost in development)"),
    }
    // The signed GET appends these; a second copy would make every signature check fail.
    let reserved = parsed.query_pairs().any(|(name, _)| {
        [
            signature::EVENT_ID,
            signature::SIGNED_AT,
            signature::SIGNATURE,
        ]
        .contains(&name.as_ref())
    });
    if reserved {
        return refuse("must not have its own EventId, SignedAt or Signature");
    }
    Ok(Some(parsed.to_string()))
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// IPv4 addresses a callback must never reach: private, shared, loopback, link-local,
/// reserved, multicast, benchmarking and documentation ranges.
fn is_internal_v4(ip: &Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_documentation()
        // 100.64.0.0/10, carrier-grade NAT; 0.0.0.0/8; 240.0.0.0/4, reserved.
        || (a == 100 && (64..128).contains(&b))
        || a == 0
        || a >= 240
        // 192.0.0.0/24, IETF protocol assignments; 198.18.0.0/15, benchmarking.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
}

/// The IPv4 address an IPv6 address carries, in every form that reaches it: mapped,
/// compatible, translated, NAT64's well-known and local prefixes, 6to4.
fn embedded_v4(ip: &Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0, 0, ..] | [0, 0, 0, 0, 0xffff, 0, ..] => {
            Some(low)
        }
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

fn is_internal_v6(ip: &Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique-local, fe80::/10 link-local, fec0::/10 site-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // 2001::/32 Teredo (it tunnels to an address it hides), 2001:db8::/32 documentation,
        // 100::/64 discard.
        || (first == 0x2001 && matches!(ip.segments()[1], 0 | 0xdb8))
        || (first == 0x100 && ip.segments()[1..4] == [0, 0, 0])
        // 64:ff9b:1::/48, NAT64 for local use: its prefix length (and so where the IPv4
        // address sits) is the network's own choice.
        || ip.segments()[..3] == [0x64, 0xff9b, 1]
        || embedded_v4(ip).is_some_and(|v4| is_internal_v4(&v4))
}

/// Names only a local resolver answers: a single label (completed by a search domain), and
/// the suffixes reserved for private networks, with or without the root's trailing dot.
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    !name.contains('.')
        || [
            ".local",
            ".internal",
            ".localdomain",
            ".home.arpa",
            ".lan",
            ".intranet",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// Addresses a callback must never reach from a production edge.
fn is_internal(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => is_internal_name(d),
        Host::Ipv4(ip) => is_internal_v4(ip),
        Host::Ipv6(ip) => is_internal_v6(ip),
    }
}

fn channels(list: Vec<Channel>) -> Result<Vec<Channel>, ApiError> {
    let mut seen = Vec::new();
    for c in list {
        if seen.contains(&c) {
            return Err(invalid(&format!("channel {} is listed twice", c.as_str())));
        }
        seen.push(c);
    }
    if seen.is_empty() {
        return Err(invalid("channels must name at least one channel"));
    }
    Ok(seen)
}

fn countries(list: &[String]) -> Result<Vec<String>, ApiError> {
    list.iter()
        .map(|c| {
            let c = c.trim().to_ascii_uppercase();
            if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(c)
            } else {
                Err(invalid(&format!("{c:?} is not an ISO 3166-1 alpha-2 code")))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::testing::Seeded;
    use ringproof_api::CallbackFormat;

    #[test]
    fn only_a_local_edges_own_machine_opens_sockets_uncounted() {
        use Deployment::{LocalDevelopment, Production};
        for ip in [None, Some("127.0.0.1"), Some("::1"), Some("203.0.113.9")] {
            assert!(Production.counts_sockets_of(ip), "{ip:?}");
        }
        assert!(!LocalDevelopment.counts_sockets_of(None));
        assert!(!LocalDevelopment.counts_sockets_of(Some("127.0.0.1")));
        assert!(!LocalDevelopment.counts_sockets_of(Some("::1")));
        assert!(LocalDevelopment.counts_sockets_of(Some("203.0.113.9")));
    }

    fn input() -> SiteInput {
        SiteInput {
            title: " Shop ".into(),
            domains: vec!["Shop.example".into(), "http://localhost:*".into()],
            callback_url: Some("https://shop.example/hooks/ringproof".into()),
            callback_format: CallbackFormat::OneringGet,
            channels: None,
            allowed_countries: vec!["gb".into()],
            limits: Default::default(),
            turnstile_secret: None,
        }
    }

    const PROD: Deployment = Deployment::Production;

    #[test]
    fn create_normalises_and_shows_secrets_once() {
        let (site, created) = create(
            input(),
            vec!["+442079460001".into()],
            &mut Seeded(4),
            b"m",
            PROD,
        )
        .unwrap();
        assert_eq!(site.title, "Shop");
        assert_eq!(
            site.allowed_origins,
            ["https://shop.example", "http://localhost:*"]
        );
        assert_eq!(site.allowed_countries, ["GB"]);
        assert_eq!(site.channels.len(), 4);
        assert!(site.secret_matches(&created.secret));
        // The edge can derive the secret again (to sign callbacks) though KV holds no copy.
        assert_eq!(site.secret(b"m").as_deref(), Some(created.secret.as_str()));
        assert_eq!(
            created.webhook_secret,
            secret::webhook_secret(&created.secret)
        );
        assert!(secret::matches_hash(&created.api_key, &site.api_key_hash));
        let stored = serde_json::to_string(&site).unwrap();
        assert!(!stored.contains(&created.secret) && !stored.contains(&created.api_key));
        let shown = serde_json::to_string(&created.site).unwrap();
        assert!(!shown.contains(&site.secret_hash) && !shown.contains(&site.api_key_hash));
        assert!(site.origin_allowed("http://localhost:5173"));
    }

    /// Issue 27: a domain the matcher would read otherwise than its owner meant is refused;
    /// every one accepted matches the page it names.
    #[test]
    fn a_domain_is_kept_only_when_it_matches_what_it_names() {
        let site = |d: &str| {
            let mut i = input();
            i.domains = vec![d.into()];
            create(i, vec![], &mut Seeded(1), b"m", PROD).map(|(s, _)| s)
        };
        for (domain, page) in [
            ("shop.example", "https://shop.example"),
            ("https://shop.example/", "https://shop.example"),
            ("*.shop.example", "https://pay.shop.example"),
            ("shop.example:8443", "https://shop.example:8443"),
            ("my-shop.example", "https://my-shop.example"),
            ("http://localhost:*", "http://localhost:5173"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ] {
            let s = site(domain).unwrap_or_else(|e| panic!("{domain}: {e:?}"));
            assert!(s.origin_allowed(page), "{domain} should let {page} in");
        }
        for domain in [
            "shop*.example",
            "*shop.example",
            "*.*.example",
            "shop.*.example",
            "sh:op.example",
            "shop.example:",
            "shop.example:99999",
            "shop.example:0",
            "shop.example:8*",
            "shop..example",
            ".shop.example",
            "-shop.example",
            "shop.example.",
            ":8443",
            "*.",
            "shop_example.com",
        ] {
            assert!(
                matches!(site(domain), Err(ApiError::InvalidRequest(_))),
                "{domain} was kept"
            );
        }
    }

    #[test]
    fn bad_inputs_are_refused_with_a_reason() {
        type Change = Box<dyn Fn(&mut SiteInput)>;
        let cases: Vec<Change> = vec![
            Box::new(|i| i.title = "  ".into()),
            Box::new(|i| i.domains = vec![]),
            Box::new(|i| i.domains = vec!["http://shop.example".into()]),
            Box::new(|i| i.domains = vec!["https://shop.example/path".into()]),
            Box::new(|i| i.domains = vec!["ftp://shop.example".into()]),
            Box::new(|i| i.callback_url = Some("http://shop.example/hook".into())),
            Box::new(|i| i.callback_url = Some("not a url".into())),
            Box::new(|i| i.callback_url = Some("https://shop.example/cb?Signature=x".into())),
            Box::new(|i| i.callback_url = Some("https://shop.example/cb#top".into())),
            Box::new(|i| i.callback_url = Some("http://localhost:1@evil.example/".into())),
            Box::new(|i| i.callback_url = Some("https://localhost:1@evil.example/".into())),
            Box::new(|i| i.callback_url = Some("https://user@shop.example/".into())),
            Box::new(|i| i.callback_url = Some("https://10.0.0.8/hook".into())),
            Box::new(|i| i.callback_url = Some("https://192.168.1.1/hook".into())),
            Box::new(|i| i.callback_url = Some("https://169.254.169.254/latest".into())),
            Box::new(|i| i.callback_url = Some("https://127.0.0.1/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[fd00::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[::ffff:10.0.0.1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://0x7f000001/hook".into())),
            Box::new(|i| i.callback_url = Some("https://localhost/hook".into())),
            Box::new(|i| i.callback_url = Some("https://db.internal/hook".into())),
            Box::new(|i| i.callback_url = Some("https://db.internal./hook".into())),
            Box::new(|i| i.callback_url = Some("https://printer.local./hook".into())),
            Box::new(|i| i.callback_url = Some("https://localhost./hook".into())),
            Box::new(|i| i.callback_url = Some("https://intranet/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[::10.0.0.1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[::ffff:0:10.0.0.1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[64:ff9b::a9fe:a9fe]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[64:ff9b:1::c0a8:1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[64:ff9b:1:c0a8:1::]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[2002:a9fe:a9fe::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[2001:0:4136:e378::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[fec0::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[fe80::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://[ff02::1]/hook".into())),
            Box::new(|i| i.callback_url = Some("https://198.18.0.1/hook".into())),
            Box::new(|i| i.callback_url = Some("https://240.0.0.1/hook".into())),
            Box::new(|i| i.limits.pow_max_number = Some(5)),
            Box::new(|i| i.limits.paid_countries = Some(vec!["gbr".into()])),
            Box::new(|i| i.channels = Some(vec![])),
            Box::new(|i| i.channels = Some(vec![Channel::Sms, Channel::Sms])),
            Box::new(|i| i.allowed_countries = vec!["GBR".into()]),
        ];
        for (n, change) in cases.iter().enumerate() {
            let mut i = input();
            change(&mut i);
            assert!(
                matches!(
                    create(i, vec![], &mut Seeded(1), b"m", PROD),
                    Err(ApiError::InvalidRequest(_))
                ),
                "case {n}"
            );
        }
        for public in [
            "https://[2606:4700::1111]/hook",
            "https://[64:ff9b::808:808]/hook",
            "https://[2002:808:808::1]/hook",
            "https://hooks.example.com./hook",
        ] {
            let mut i = input();
            i.callback_url = Some(public.into());
            let made = create(i, vec![], &mut Seeded(1), b"m", PROD);
            assert!(made.is_ok(), "{public}: {made:?}");
        }
        let mut local = input();
        local.callback_url = Some("http://127.0.0.1:9000/hook".into());
        assert!(create(local.clone(), vec![], &mut Seeded(1), b"m", PROD).is_err());
        assert!(create(
            local,
            vec![],
            &mut Seeded(1),
            b"m",
            Deployment::LocalDevelopment
        )
        .is_ok());
    }

    #[test]
    fn update_changes_only_what_is_given_and_all_or_nothing() {
        let (site, _) = create(input(), vec![], &mut Seeded(4), b"m", PROD).unwrap();
        let next = update(
            &site,
            SiteUpdate {
                title: Some("Shop 2".into()),
                callback_url: Some(String::new()),
                ..Default::default()
            },
            PROD,
            &mut Seeded(2),
            b"m",
        )
        .unwrap();
        assert_eq!(next.title, "Shop 2");
        assert_eq!(next.callback_url, None);
        assert_eq!(next.allowed_origins, site.allowed_origins);
        let refused = update(
            &site,
            SiteUpdate {
                title: Some("Shop 3".into()),
                channels: Some(vec![]),
                ..Default::default()
            },
            PROD,
            &mut Seeded(2),
            b"m",
        );
        assert!(refused.is_err());
    }

    #[test]
    fn a_turnstile_secret_is_sealed_never_stored_plain() {
        let mut i = input();
        i.turnstile_secret = Some("0x4AAAAAAAsecret".into());
        let (site, created) = create(i, vec![], &mut Seeded(4), b"m", PROD).unwrap();
        let stored = serde_json::to_string(&site).unwrap();
        assert!(!stored.contains("0x4AAAAAAAsecret"), "{stored}");
        let sealed = site.turnstile_secret.as_deref().unwrap();
        assert_eq!(
            secret::open(b"m", &site.site_key, sealed).as_deref(),
            Some("0x4AAAAAAAsecret")
        );
        assert!(created.site.turnstile);
        assert!(!serde_json::to_string(&created).unwrap().contains("0x4AAA"));
    }

    #[test]
    fn rotation_retires_the_old_secret() {
        let (mut site, created) = create(input(), vec![], &mut Seeded(4), b"m", PROD).unwrap();
        let fresh = rotate_secret(&mut site, &mut Seeded(9), b"m");
        assert!(site.secret_matches(&fresh));
        assert!(!site.secret_matches(&created.secret));
        assert_eq!(
            site.secret(b"m"),
            Some(fresh),
            "signatures follow the rotation"
        );
    }

    #[test]
    fn countries_restrict_numbers() {
        let (site, _) = create(input(), vec![], &mut Seeded(4), b"m", PROD).unwrap();
        assert!(site.accepts_region(Some("GB")));
        assert!(!site.accepts_region(Some("FR")));
        assert!(!site.accepts_region(None));
    }
}
