//! OneRing's API (`shared/seeds/onering-missed-call.txt`): its refusals and how it writes
//! numbers. The edge's `routes/onering.rs` speaks it over HTTP.

use crate::client::Client;
use crate::error::ApiError;
use crate::site::{Page, Site};
use ringproof_api::paths;

/// The reasons a OneRing request can fail with, as `Failed#<reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingParameter,
    InvalidApiKey,
    DomainNotAllowed,
    InvalidMobileNumber,
    CountryNotAllowed,
    DuplicateClientTransactionId,
    ChannelNotAvailable,
    /// Ours: a page's request carried no solved challenge (`proof`), or a spent one.
    ProofRequired,
    /// Ours: the site checks Turnstile and the page's token was missing or refused.
    TurnstileFailed,
    ServiceUnavailable,
}

impl Refusal {
    pub fn name(self) -> &'static str {
        match self {
            Refusal::MissingParameter => "MissingParameter",
            Refusal::InvalidApiKey => "InvalidApiKey",
            Refusal::DomainNotAllowed => "DomainNotAllowed",
            Refusal::InvalidMobileNumber => "InvalidMobileNumber",
            Refusal::CountryNotAllowed => "CountryNotAllowed",
            Refusal::DuplicateClientTransactionId => "DuplicateClientTransactionId",
            Refusal::ChannelNotAvailable => "ChannelNotAvailable",
            Refusal::ProofRequired => "ProofRequired",
            Refusal::TurnstileFailed => "TurnstileFailed",
            Refusal::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// OneRing's `Message`: `Failed#<reason>`.
    pub fn message(self) -> String {
        format!("Failed#{}", self.name())
    }

    /// How an error of our own API reads in OneRing's. Anything it has no name for is
    /// "try again later": busy lines and start limits pass, and our own faults are logged.
    pub fn from_error(e: &ApiError) -> Self {
        match e {
            ApiError::InvalidPhone(_) => Refusal::InvalidMobileNumber,
            ApiError::CountryNotAllowed => Refusal::CountryNotAllowed,
            ApiError::DuplicateTransaction => Refusal::DuplicateClientTransactionId,
            ApiError::ChannelNotAvailable(_) => Refusal::ChannelNotAvailable,
            ApiError::OriginNotAllowed => Refusal::DomainNotAllowed,
            ApiError::ProofRequired | ApiError::ProofInvalid => Refusal::ProofRequired,
            ApiError::TurnstileRequired | ApiError::TurnstileFailed => Refusal::TurnstileFailed,
            _ => Refusal::ServiceUnavailable,
        }
    }

    /// Whether a page should be able to read this refusal: every one but those that say the
    /// page, or its credentials, are not the site's.
    pub fn readable_by_page(self) -> bool {
        !matches!(
            self,
            Refusal::DomainNotAllowed | Refusal::InvalidApiKey | Refusal::MissingParameter
        )
    }
}

/// A `MobileNumber` as OneRing writes it: national, in the site's first country; a site open
/// to every country gets its numbers with their country code and no `+`, as OneRing's
/// callbacks write them. Answers the number to read and the country to read it in.
pub fn mobile_number<'a>(
    mobile: &str,
    allowed_countries: &'a [String],
) -> (String, Option<&'a str>) {
    let country = allowed_countries.first().map(String::as_str);
    let phone = match country {
        None if mobile.bytes().all(|b| b.is_ascii_digit()) => format!("+{mobile}"),
        _ => mobile.to_owned(),
    };
    (phone, country)
}

/// OneRing's request, as its query names it: the parameters it requires, trimmed and none
/// empty, and those it may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked<'q> {
    pub api_key: &'q str,
    pub activity: &'q str,
    pub mobile: &'q str,
    /// The site's own id for the transaction, echoed in every answer.
    pub client_transaction_id: &'q str,
    /// The site server's signature of the id, which binds it for a page.
    pub signature: Option<&'q str>,
    /// A Turnstile token, by either name a page may give it.
    pub turnstile: Option<&'q str>,
    /// A solved challenge (`GET /v1/challenge`), as the widget pays.
    pub proof: Option<&'q str>,
}

/// Reads OneRing's query parameters (`query(name)`); a missing or blank one it requires is
/// `MissingParameter`.
pub fn asked<'q>(query: impl Fn(&str) -> Option<&'q str>) -> Result<Asked<'q>, Refusal> {
    let required = |name: &str| {
        query(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(Refusal::MissingParameter)
    };
    Ok(Asked {
        api_key: required("ApiKey")?,
        activity: required("ActivityTokenId")?,
        mobile: required("MobileNumber")?,
        // Required, but kept as sent: it is echoed, and a server may have signed it so.
        client_transaction_id: required("ClientTransactionId")
            .and(query("ClientTransactionId").ok_or(Refusal::MissingParameter))?,
        signature: query("ClientTransactionSignature"),
        turnstile: query("cf-turnstile-response").or_else(|| query("TurnstileResponse")),
        proof: query("proof"),
    })
}

/// Who sent a OneRing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// A browser's page, by its Origin (or its Referer's origin).
    Page(&'a str),
    /// The site's own server (the seed's button handler may run there, as ASP.NET's do).
    Server,
}

/// The caller of a request from `page` (`None`: neither Origin nor Referer) with `bearer`
/// (its `Authorization` token), for `site`. The ApiKey is public (it sits in pages), so a
/// server's call must also carry the site secret as its bearer token.
pub fn caller<'a>(
    page: Option<&'a str>,
    bearer: Option<&str>,
    site: &Site,
) -> Result<Caller<'a>, Refusal> {
    match page {
        Some(origin) => Ok(Caller::Page(origin)),
        None if bearer.is_some_and(|b| site.secret_matches(b)) => Ok(Caller::Server),
        None => Err(Refusal::InvalidApiKey),
    }
}

impl Caller<'_> {
    /// A page pays as the widget does: a solved challenge and, on a site that checks one, a
    /// Turnstile token. The site's server vouches for itself.
    pub fn pays(self) -> bool {
        matches!(self, Caller::Page(_))
    }

    /// Whether the ClientTransactionId binds (exclusive, in lookups and callbacks): only when
    /// the site's server chose it, so a server's call, or a page's carrying the server's
    /// signature of it (`signed`). A page's own id still starts the verification, unbound, as
    /// OneRing's browser flow expects.
    pub fn binds_transaction(self, signed: bool) -> bool {
        self == Caller::Server || signed
    }

    /// The client a start is counted for: a stranger's activity's server as its account,
    /// not its rotating addresses; anyone else by its network (`visitor`).
    pub fn client(self, site: &Site, visitor: &Client) -> Client {
        match (&site.owner, self) {
            (Some(owner), Caller::Server) => Client::owners_server(owner),
            _ => visitor.clone(),
        }
    }

    /// The page texts name: a page's own (if the site allows it), or for a server's call
    /// the site's first domain.
    pub fn page(self, site: &Site) -> Result<Page, Refusal> {
        match self {
            Caller::Page(origin) => site.page(origin).ok_or(Refusal::DomainNotAllowed),
            Caller::Server => Ok(Page {
                origin: String::new(),
                domain: site.first_domain(),
            }),
        }
    }
}

/// OneRing's answer, status and body, to a request that started the verification `started`
/// (its id) or was refused; `ctid` is the request's ClientTransactionId, echoed; `base` the
/// edge's origin. Always 200 with OneRing's `Message`, but for a page off the site's domains,
/// which gets the 403 every browser-facing endpoint gives, still with the `Message` for
/// integrations that read only that.
pub fn answer(
    started: &Result<String, Refusal>,
    ctid: &str,
    base: &str,
) -> (u16, serde_json::Value) {
    use serde_json::json;
    match started {
        Ok(id) => (
            200,
            json!({
                "Message": "Success",
                "ClientTransactionId": ctid,
                // OneRing names each transaction with a new ActivityTokenId: ours is the
                // verification id, which the widget's status endpoint also takes.
                "ActivityTokenId": id,
                "img": format!("{base}{}", paths::of_verification(id, paths::NUMBER_IMAGE)),
            }),
        ),
        Err(Refusal::DomainNotAllowed) => {
            let error = ApiError::OriginNotAllowed;
            (
                error.status(),
                json!({
                    "Message": Refusal::DomainNotAllowed.message(),
                    "ClientTransactionId": ctid,
                    "error": error.body().error,
                }),
            )
        }
        Err(r) => (
            200,
            json!({ "Message": r.message(), "ClientTransactionId": ctid }),
        ),
    }
}

/// Whether `e`, told to OneRing's caller as "try again later", hides a fault of ours worth
/// logging: busy lines and start limits are the visitor's to wait out.
pub fn is_fault(e: &ApiError) -> bool {
    Refusal::from_error(e) == Refusal::ServiceUnavailable
        && !matches!(e, ApiError::LinesBusy(_) | ApiError::TooManyStarts(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringproof_api::Channel;

    fn query<'q>(pairs: &'q [(&'q str, &'q str)]) -> impl Fn(&str) -> Option<&'q str> + 'q {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[test]
    fn a_request_needs_its_four_parameters_and_may_carry_the_rest() {
        let full = [
            ("ApiKey", " key "),
            ("ActivityTokenId", "act"),
            ("MobileNumber", "07400123456"),
            ("ClientTransactionId", "t-1"),
            ("TurnstileResponse", "tok"),
            ("proof", "p"),
        ];
        let a = asked(query(&full)).unwrap();
        assert_eq!(
            (a.api_key, a.activity, a.mobile),
            ("key", "act", "07400123456")
        );
        assert_eq!(a.client_transaction_id, "t-1");
        assert_eq!(
            (a.turnstile, a.proof, a.signature),
            (Some("tok"), Some("p"), None)
        );
        for missing in [
            "ApiKey",
            "ActivityTokenId",
            "MobileNumber",
            "ClientTransactionId",
        ] {
            let fewer: Vec<_> = full
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            assert_eq!(
                asked(query(&fewer)),
                Err(Refusal::MissingParameter),
                "{missing}"
            );
            let blank: Vec<_> = full
                .iter()
                .map(|&(k, v)| if k == missing { (k, "  ") } else { (k, v) })
                .collect();
            assert_eq!(
                asked(query(&blank)),
                Err(Refusal::MissingParameter),
                "{missing}"
            );
        }
        let cf = [
            ("cf-turnstile-response", "cf"),
            ("TurnstileResponse", "other"),
        ];
        let both: Vec<_> = full[..4].iter().chain(cf.iter()).copied().collect();
        assert_eq!(asked(query(&both)).unwrap().turnstile, Some("cf"));
    }

    #[test]
    fn a_server_carries_the_secret_binds_its_ids_and_counts_as_its_account() {
        let secret = "the site secret";
        let mut site = crate::test_keys::site(crate::test_keys::SITE_MISSED_CALL).unwrap();
        site.secret_hash = crate::secret::hash(secret);
        site.test = None;
        site.allowed_origins = vec!["https://shop.example".into()];
        site.owner = Some("rp_acct_x".into());
        let visitor = Client::from_ip("203.0.113.9");
        // No page and no secret: the public ApiKey alone starts nothing.
        assert_eq!(caller(None, None, &site), Err(Refusal::InvalidApiKey));
        assert_eq!(
            caller(None, Some("wrong"), &site),
            Err(Refusal::InvalidApiKey)
        );
        let server = caller(None, Some(secret), &site).unwrap();
        assert_eq!(server, Caller::Server);
        assert!(server.binds_transaction(false));
        assert!(!server.pays());
        assert_eq!(
            server.client(&site, &visitor),
            Client::owners_server("rp_acct_x")
        );
        assert_eq!(server.page(&site).unwrap().domain, "shop.example");
        let page = caller(Some("https://shop.example"), None, &site).unwrap();
        assert!(!page.binds_transaction(false));
        assert!(page.binds_transaction(true));
        assert!(page.pays());
        assert_eq!(page.client(&site, &visitor), visitor);
        assert_eq!(page.page(&site).unwrap().origin, "https://shop.example");
        let foreign = caller(Some("https://evil.example"), None, &site).unwrap();
        assert_eq!(foreign.page(&site), Err(Refusal::DomainNotAllowed));
        // An operator's own site has no account: its server is counted by its network.
        site.owner = None;
        assert_eq!(server.client(&site, &visitor), visitor);
    }

    #[test]
    fn answers_are_onerings_and_a_foreign_page_gets_a_403() {
        let (status, body) = answer(&Ok("v1".into()), "t-1", "https://edge.example");
        assert_eq!(status, 200);
        assert_eq!(body["Message"], "Success");
        assert_eq!(body["ActivityTokenId"], "v1");
        assert_eq!(body["ClientTransactionId"], "t-1");
        assert_eq!(
            body["img"],
            "https://edge.example/v1/verifications/v1/number.svg"
        );
        let (status, body) = answer(&Err(Refusal::CountryNotAllowed), "t-1", "");
        assert_eq!(status, 200);
        assert_eq!(body["Message"], "Failed#CountryNotAllowed");
        let (status, body) = answer(&Err(Refusal::DomainNotAllowed), "t-1", "");
        assert_eq!(status, 403);
        assert_eq!(body["Message"], "Failed#DomainNotAllowed");
        assert_eq!(body["error"]["code"], "origin_not_allowed");
    }

    #[test]
    fn errors_map_to_the_seeds_reasons() {
        let cases = [
            (
                ApiError::InvalidPhone(crate::phone::PhoneProblem::NotANumber),
                "Failed#InvalidMobileNumber",
            ),
            (ApiError::CountryNotAllowed, "Failed#CountryNotAllowed"),
            (
                ApiError::DuplicateTransaction,
                "Failed#DuplicateClientTransactionId",
            ),
            (
                ApiError::ChannelNotAvailable(Channel::MissedCall),
                "Failed#ChannelNotAvailable",
            ),
            (ApiError::LinesBusy(3), "Failed#ServiceUnavailable"),
            (ApiError::Internal("kv".into()), "Failed#ServiceUnavailable"),
        ];
        for (e, message) in cases {
            assert_eq!(Refusal::from_error(&e).message(), message, "{e:?}");
        }
        assert!(is_fault(&ApiError::Internal("kv".into())));
        assert!(!is_fault(&ApiError::LinesBusy(3)));
        assert!(!is_fault(&ApiError::CountryNotAllowed));
        assert!(!Refusal::DomainNotAllowed.readable_by_page());
        assert!(Refusal::CountryNotAllowed.readable_by_page());
    }

    #[test]
    fn numbers_are_national_unless_the_site_takes_every_country() {
        let gb = vec!["GB".to_owned()];
        assert_eq!(
            mobile_number("07400123456", &gb),
            ("07400123456".into(), Some("GB"))
        );
        assert_eq!(
            mobile_number("447400123456", &[]),
            ("+447400123456".into(), None)
        );
        assert_eq!(mobile_number("+44 7400", &[]), ("+44 7400".into(), None));
    }
}
