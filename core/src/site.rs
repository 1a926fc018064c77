//! Sites: who may embed the widget, and where their verifications go.

use crate::limits::Limits;
use crate::origin::{Origin, Pattern};
use crate::random::Randomness;
use crate::secret;
use ringproof_api::{CallbackFormat, Channel, SiteLimits};
use serde::{Deserialize, Serialize};

/// A site's configuration as stored in KV under its site key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub site_key: String,
    pub title: String,
    /// SHA-256 of the site secret; the secret itself is shown once and never stored.
    pub secret_hash: String,
    /// With the deployment's `SITE_SECRET_KEY`, gives the secret back for signing callbacks
    /// (see `secret`). Absent on sites made before callbacks were signed: rotating fixes them.
    #[serde(default)]
    pub secret_salt: Option<String>,
    /// Origins whose pages may use this site key: `https://shop.example`, `https://*.example`
    /// (any subdomain) or `http://localhost:*` (any port).
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub callback_format: CallbackFormat,
    /// ISO 3166-1 alpha-2 regions whose numbers may verify; any when empty.
    #[serde(default)]
    pub allowed_countries: Vec<String>,
    /// OneRing's public id of this activity.
    #[serde(default)]
    pub activity_token_id: String,
    /// SHA-256 of OneRing's `ApiKey`; like the secret, shown once and never stored.
    #[serde(default)]
    pub api_key_hash: String,
    /// Channels offered, in order.
    pub channels: Vec<Channel>,
    /// Inbound numbers (E.164) a visitor may be asked to call for a missed-call verification.
    pub inbound_numbers: Vec<String>,
    /// Codes (SMS, calls) one number may be sent in an hour, whatever page starts them.
    #[serde(default = "default_sends_per_number")]
    pub sends_per_number_per_hour: u32,
    /// Defences the operator set; absent ones take the defaults (see `limits`).
    #[serde(default)]
    pub limits: SiteLimits,
    /// The site's Cloudflare Turnstile secret, sealed (`secret::seal`), when it wants its
    /// token checked.
    #[serde(default)]
    pub turnstile_secret: Option<String>,
    /// The console account that made and manages it; none for the operator's own sites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Set only on the sites of the test keys (`crate::test_keys`), which are never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<TestOutcome>,
}

/// Enough for a visitor who mistypes and retries a few times; far too few to pump.
pub const DEFAULT_SENDS_PER_NUMBER_PER_HOUR: u32 = 10;

fn default_sends_per_number() -> u32 {
    DEFAULT_SENDS_PER_NUMBER_PER_HOUR
}

/// A page a site allows: its serialised origin, and the domain the site configured for it
/// (what an SMS names; a wildcard's parent, never the page's own subdomain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub origin: String,
    pub domain: String,
}

/// A newly minted site key and secret. The secret must be shown to the owner once, then dropped.
pub struct Credentials {
    pub site_key: String,
    pub secret: String,
    pub salt: String,
}

impl Credentials {
    /// `master` is the deployment's `SITE_SECRET_KEY`.
    pub fn generate(rng: &mut impl Randomness, master: &[u8]) -> Self {
        let site_key = format!("rp_site_{}", rng.token(16));
        Self::for_site(site_key, rng, master)
    }

    /// A new secret for an existing site key.
    pub fn for_site(site_key: String, rng: &mut impl Randomness, master: &[u8]) -> Self {
        let salt = rng.token(22);
        Credentials {
            secret: secret::derive_site_secret(master, &site_key, &salt),
            site_key,
            salt,
        }
    }
}

/// How a test key's verifications end (`crate::test_keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    Verifies,
    Fails,
}

impl Site {
    pub fn secret_matches(&self, candidate: &str) -> bool {
        secret::matches_hash(candidate, &self.secret_hash)
    }

    /// The site secret, which signs its callbacks; `None` for a site without a salt.
    pub fn secret(&self, master: &[u8]) -> Option<String> {
        let salt = self.secret_salt.as_deref()?;
        Some(secret::derive_site_secret(master, &self.site_key, salt))
    }

    /// The numbering plan of `country` for the widget's phone field, if this site accepts it.
    pub fn plan(&self, country: &str) -> Result<ringproof_api::PhoneCountry, crate::ApiError> {
        let country = country.to_ascii_uppercase();
        if !self.accepts_region(Some(&country)) {
            return Err(crate::ApiError::CountryNotAllowed);
        }
        crate::phone::country_plan(&country).ok_or(crate::ApiError::CountryNotAllowed)
    }

    /// Whether a number of `region` may verify here.
    pub fn accepts_region(&self, region: Option<&str>) -> bool {
        self.allowed_countries.is_empty()
            || region.is_some_and(|r| {
                self.allowed_countries
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(r))
            })
    }

    pub fn offers(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    pub fn limits(&self) -> Limits {
        Limits::resolve(&self.limits, &self.allowed_countries)
    }

    /// The domain texts name when no page is known (a site's own server started it).
    pub fn first_domain(&self) -> String {
        self.allowed_origins
            .iter()
            .find_map(|p| Pattern::parse(p))
            .map(|p| p.domain().to_owned())
            .unwrap_or_default()
    }

    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.page(origin).is_some()
    }

    /// The page at `origin`, if it is a serialised origin one of the site's patterns allows.
    pub fn page(&self, origin: &str) -> Option<Page> {
        let parsed = Origin::parse(origin)?;
        if self.test.is_some() {
            // A test key works on any page; its texts name the page's own host.
            return Some(Page {
                origin: parsed.to_string(),
                domain: parsed.host().to_owned(),
            });
        }
        let pattern = self
            .allowed_origins
            .iter()
            .filter_map(|p| Pattern::parse(p))
            .find(|p| p.matches(&parsed))?;
        Some(Page {
            origin: parsed.to_string(),
            domain: pattern.domain().to_owned(),
        })
    }

    /// Picks the inbound number for a new missed-call verification.
    pub fn pick_inbound_number(&self, rng: &mut impl Randomness) -> Option<&str> {
        let n = u32::try_from(self.inbound_numbers.len())
            .ok()
            .filter(|&n| n > 0)?;
        Some(&self.inbound_numbers[rng.below(n) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::testing::Seeded;

    fn site(origins: &[&str]) -> Site {
        Site {
            site_key: "k".into(),
            title: "t".into(),
            secret_hash: secret::hash("s"),
            secret_salt: None,
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            callback_url: None,
            callback_format: CallbackFormat::Json,
            allowed_countries: vec![],
            activity_token_id: String::new(),
            api_key_hash: String::new(),
            channels: vec![Channel::MissedCall],
            inbound_numbers: vec!["+442079460001".into(), "+442079460002".into()],
            sends_per_number_per_hour: DEFAULT_SENDS_PER_NUMBER_PER_HOUR,
            limits: SiteLimits::default(),
            turnstile_secret: None,
            owner: None,
            test: None,
        }
    }

    #[test]
    fn a_plan_is_given_only_for_the_sites_countries() {
        let mut s = site(&["https://shop.example"]);
        assert_eq!(s.plan("fr").map(|p| p.country), Ok("FR".to_owned()));
        assert_eq!(s.plan("XX"), Err(crate::ApiError::CountryNotAllowed));
        s.allowed_countries = vec!["SK".into()];
        assert_eq!(s.plan("sk").map(|p| p.country), Ok("SK".to_owned()));
        assert_eq!(s.plan("FR"), Err(crate::ApiError::CountryNotAllowed));
    }

    #[test]
    fn older_records_get_the_default_send_limit() {
        let mut v = serde_json::to_value(site(&[])).unwrap();
        v.as_object_mut()
            .unwrap()
            .remove("sends_per_number_per_hour");
        let s: Site = serde_json::from_value(v).unwrap();
        assert_eq!(
            s.sends_per_number_per_hour,
            DEFAULT_SENDS_PER_NUMBER_PER_HOUR
        );
    }

    #[test]
    fn exact_origins() {
        let s = site(&["https://shop.example"]);
        assert!(s.origin_allowed("https://shop.example"));
        assert!(
            !s.origin_allowed("https://SHOP.example"),
            "not a serialised origin"
        );
        assert!(!s.origin_allowed("http://shop.example"));
        assert!(!s.origin_allowed("https://shop.example:8443"));
        assert!(!s.origin_allowed("https://shop.example.evil"));
        assert!(!s.origin_allowed("null"));
    }

    #[test]
    fn any_port_and_subdomain_wildcards() {
        let s = site(&["http://localhost:*", "https://*.example.com"]);
        assert!(s.origin_allowed("http://localhost:3000"));
        assert!(s.origin_allowed("http://localhost"));
        assert!(!s.origin_allowed("http://localhost.evil:3000"));
        assert!(s.origin_allowed("https://a.b.example.com"));
        assert!(!s.origin_allowed("https://example.com"));
        assert!(!s.origin_allowed("https://evilexample.com"));
        assert!(!s.origin_allowed("https://URGENT call 0800 x.example.com"));
        let page = s.page("https://promo-call-0800.example.com").unwrap();
        assert_eq!(
            page.domain, "example.com",
            "texts name the configured domain"
        );
    }

    #[test]
    fn credentials_are_distinct_and_secret_checks() {
        let mut rng = Seeded(3);
        let a = Credentials::generate(&mut rng, b"master");
        let b = Credentials::generate(&mut rng, b"master");
        assert_ne!(a.site_key, b.site_key);
        assert_ne!(a.salt, b.salt);
        let mut s = site(&[]);
        s.site_key = a.site_key.clone();
        s.secret_hash = secret::hash(&a.secret);
        assert!(s.secret_matches(&a.secret));
        assert!(!s.secret_matches(&b.secret));
        assert_eq!(s.secret(b"master"), None, "no salt, no secret");
        s.secret_salt = Some(a.salt);
        assert_eq!(s.secret(b"master"), Some(a.secret));
    }

    #[test]
    fn inbound_number_comes_from_the_pool() {
        let s = site(&[]);
        let n = s.pick_inbound_number(&mut Seeded(9)).unwrap();
        assert!(s.inbound_numbers.iter().any(|x| x == n));
        let empty = Site {
            inbound_numbers: vec![],
            ..s
        };
        assert!(empty.pick_inbound_number(&mut Seeded(9)).is_none());
    }
}
