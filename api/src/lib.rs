//! Wire types of Ringproof's public HTTP API.
//!
//! Shared by the widget (which sends and reads them in the browser), the edge (which serves them)
//! and site-owner code. Serde only: nothing here may pull in I/O or a runtime.

use serde::{Deserialize, Serialize};

/// How a visitor proves they hold a number. The identifiers are part of the API and of site
/// configuration, so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The visitor calls an inbound number we show; the call is rejected unanswered.
    MissedCall,
    /// We call the visitor from a number whose last digits are the code.
    FlashCall,
    /// We text a code.
    Sms,
    /// We call and speak a code.
    VoiceCall,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::MissedCall,
        Channel::FlashCall,
        Channel::Sms,
        Channel::VoiceCall,
    ];

    /// The channel a wire name stands for (the inverse of [`Channel::as_str`]).
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::MissedCall => "missed_call",
            Channel::FlashCall => "flash_call",
            Channel::Sms => "sms",
            Channel::VoiceCall => "voice_call",
        }
    }
}

/// Where a verification stands. `Expired` is never stored: it is what `Pending` becomes once
/// its deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Pending,
    Verified,
    Expired,
    Failed,
}

impl VerificationStatus {
    pub const ALL: [VerificationStatus; 4] = [
        VerificationStatus::Pending,
        VerificationStatus::Verified,
        VerificationStatus::Expired,
        VerificationStatus::Failed,
    ];

    /// The status a wire name stands for (the inverse of [`VerificationStatus::as_str`]).
    pub fn parse(name: &str) -> Option<VerificationStatus> {
        VerificationStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Pending => "pending",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Expired => "expired",
            VerificationStatus::Failed => "failed",
        }
    }

    /// A final status never changes again, so the widget stops polling.
    pub fn is_final(self) -> bool {
        !matches!(self, VerificationStatus::Pending)
    }
}

/// `GET /v1/countries?site_key=`: the countries the site accepts, for a picker, and the plan
/// of the visitor's own; `GET /v1/countries/{country}?site_key=` answers another's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneCountries {
    /// The visitor's country as the edge sees it, when the site accepts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    /// In the site's order; every country when the site accepts all.
    pub countries: Vec<DialCode>,
    /// The plan of `default_country`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PhoneCountry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialCode {
    /// ISO 3166-1 alpha-2, `GB`.
    pub country: String,
    /// The country calling code, `44`.
    pub dial_code: u16,
}

/// One country's numbering plan, as much as a phone field needs (from libphonenumber).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneCountry {
    /// ISO 3166-1 alpha-2, `GB`.
    pub country: String,
    /// The country calling code, `44`.
    pub dial_code: u16,
    /// What a national number starts with at home and drops abroad, `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_prefix: Option<String>,
    /// A regular expression (JavaScript syntax) for the national prefix as the country's
    /// numbers are read (Argentina's `0?(?:(11|…)?15)?`), matched at the number's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_prefix_for_parsing: Option<String>,
    /// What replaces that match (`9$1`), where reading rewrites the prefix instead of dropping it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_prefix_transform_rule: Option<String>,
    /// An example mobile number as written at home, `07400 123456`: the placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The international prefix a number dialled from the country starts with (`00`, `011`), a
    /// regular expression: a number written with it is international.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub international_prefix: Option<String>,
    /// Every region sharing the calling code (this one among them), in libphonenumber's order,
    /// the main one first: a number belongs to the first it fits, and is valid where one of its
    /// types matches.
    pub regions: Vec<RegionRules>,
    /// How national numbers are grouped, first match wins (the main region's, for a region
    /// that borrows them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<NumberFormat>,
}

/// A pattern (JavaScript syntax, matched in full) and the lengths a number matching it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberRule {
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lengths: Vec<u16>,
}

/// One region's types of numbers, to say whether a number is valid there and whether a person
/// answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRules {
    /// ISO 3166-1 alpha-2, `CA`.
    pub country: String,
    /// Where set, the numbers starting so (a regular expression, matched at the start) are
    /// this region's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leading_digits: Option<String>,
    /// The region's numbers in general (all its types' lengths).
    pub general: NumberRule,
    /// Lengths of numbers dialled only within an area (too short to reach from elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_lengths: Vec<u16>,
    /// libphonenumber's types in the order it tries them; the first that matches says.
    pub types: Vec<TypeRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeRule {
    #[serde(flatten)]
    pub rule: NumberRule,
    /// A line a person answers (fixed, mobile, VoIP, personal), not a service number.
    pub personal: bool,
}

/// One of libphonenumber's number formats: `pattern` over the national significant number,
/// rewritten as `format` (`$1 $2`), where the number starts as `leading_digits` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberFormat {
    pub pattern: String,
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leading_digits: Option<String>,
    /// How the first group is written with the national prefix in front (`0$1`, `8 ($1)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_prefix_rule: Option<String>,
}

/// `POST /v1/verifications`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateVerification {
    pub site_key: String,
    pub phone: String,
    /// The channel to start with; the site's first channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// ISO 3166-1 alpha-2 region used to read a number typed in national format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_transaction_id: Option<String>,
    /// Hex HMAC-SHA256 of `ringproof-ctid:` ‖ the id under the site secret, made by the site's
    /// server: without it a page's script could claim the site's ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_transaction_signature: Option<String>,
    /// The token of the site's own Cloudflare Turnstile widget in the same form
    /// (`cf-turnstile-response`), required when the site has a Turnstile secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_response: Option<String>,
    /// A solved [`PowChallenge`] (base64 JSON of a [`PowSolution`]): required when the first
    /// attempt is a paid one (SMS, voice, flash call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// The visitor's language (a BCP 47 tag, as the widget shows it): the text message is
    /// written in it when the edge has its text, in English otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The page's name for what is being verified (Turnstile's `action`): up to 32 of
    /// `A-Z a-z 0-9 _ -`, echoed by siteverify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The page's own data (Turnstile's `cdata`): up to 255 of `A-Z a-z 0-9 _ -`, echoed by
    /// siteverify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdata: Option<String>,
}

/// `POST /v1/verifications/{id}/resend`; the body may be empty for a missed call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resend {
    /// A challenge fetched for this verification (`GET /v1/challenge?verification=`), solved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// A fresh Turnstile token, on a site that checks one, for a paid attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_response: Option<String>,
}

/// `GET /v1/challenge?site_key=`: a proof-of-work challenge, field for field ALTCHA's. Find
/// `number` in `0..=maxnumber` with `hex(SHA-256(salt ‖ decimal(number))) == challenge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowChallenge {
    pub algorithm: String,
    pub challenge: String,
    pub maxnumber: u64,
    pub salt: String,
    pub signature: String,
}

/// A solved challenge, sent base64-encoded as `proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowSolution {
    pub algorithm: String,
    pub challenge: String,
    pub number: u64,
    pub salt: String,
    pub signature: String,
}

/// How far a code or a call has got on its way to the visitor, as the provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The provider accepted the request.
    Sent,
    /// The text reached the handset, or the call was answered.
    Delivered,
    /// The call rang out unanswered: its number is still in the visitor's call log.
    NotAnswered,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::NotAnswered => "not_answered",
        }
    }

    /// The delivery a wire name stands for (the inverse of [`Delivery::as_str`]).
    pub fn parse(name: &str) -> Option<Delivery> {
        [Delivery::Sent, Delivery::Delivered, Delivery::NotAnswered]
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

/// `GET /v1/verifications/{id}`, and the `201` answer to `POST /v1/verifications` (as
/// [`CreatedVerification`]). Fields that do not apply to the current channel are absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationView {
    pub verification_id: String,
    pub status: VerificationStatus,
    pub channel: Channel,
    /// RFC 3339, UTC: when the current attempt stops being accepted.
    pub expires_at: String,
    /// The site's other channels, in its order: what "try another way" may offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_channels: Vec<Channel>,
    /// Missed call: an image of the number to call; the number is never sent as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_image_url: Option<String>,
    /// Missed call: `tel:` URI, for visitors on a phone to tap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_to_uri: Option<String>,
    /// Missed call: a QR code (SVG) of `call_to_uri`, for visitors on a computer to scan with
    /// their phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_qr_url: Option<String>,
    /// Flash call: the calling number with its last digits (the code) masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_hint: Option<String>,
    /// Code channels: how many digits the visitor types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_length: Option<u8>,
    /// Code channels: wrong codes the visitor may still try.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks_left: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// RFC 3339: the earliest time a resend or a switch is accepted, while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_at: Option<String>,
    /// RFC 3339, while a sent code waits for its delivery report: from then the widget offers
    /// the site's next channel prominently (the provider may have lost it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_at: Option<String>,
    /// Why the verification failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ErrorDetail>,
    /// Present once verified: the single-use proof the page hands to its server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// When `token` stops being accepted (RFC 3339). A page whose token expired unspent asks
    /// for a fresh one (`POST /v1/verifications/{id}/token`) without another call or SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
    /// Made with a test site key: nothing is sent to a phone (see the README's "Test keys").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// A test key's code attempt: the code it takes, which is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_code: Option<String>,
}

/// The `201` answer to `POST /v1/verifications`: the verification as it stands.
pub type CreatedVerification = VerificationView;

/// `GET /v1/verifications/{id}/live`, a WebSocket from the verification's own page: the edge
/// sends the [`VerificationView`] as a JSON text frame on connect and again on every change,
/// and closes once the view is final (verified, failed or expired). The page sends nothing
/// but [`live::PING`], which the edge answers with [`live::PONG`] without waking the
/// verification, so a page can tell a silently dropped connection from a quiet one.
pub mod console;
pub mod paths;

pub mod live {
    pub const PING: &str = "ping";
    pub const PONG: &str = "pong";
    /// The view just sent is final: nothing more will come.
    pub const CLOSE_FINAL: u16 = 1000;
    /// A newer socket of the same verification took this one's place.
    pub const CLOSE_REPLACED: u16 = 4001;
    /// The page sent something other than a ping.
    pub const CLOSE_UNEXPECTED: u16 = 4002;
}

/// `POST /v1/verifications/{id}/check`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckCode {
    pub code: String,
}

/// The answer to a check: `verified`, or still `pending` with fewer checks left, and the
/// verification as its status read would show it to the same caller (a verified page gets its
/// token here, without another request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub status: VerificationStatus,
    pub checks_left: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<Box<VerificationView>>,
}

/// `POST /v1/verifications/{id}/switch`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwitchChannel {
    pub channel: Channel,
    /// As for [`Resend::proof`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// As for [`Resend::turnstile_response`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_response: Option<String>,
}

/// `POST /v1/carriers/generic`: what an operator's adapter for any other carrier reports (signed
/// as Standard Webhooks sign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissedCallWebhook {
    /// The visitor's number, as the network presented it.
    pub caller: String,
    /// Our inbound number that was called.
    pub called: String,
    /// RFC 3339.
    pub call_time: String,
    /// The provider's id of the call, when it gives one: a repeated report of one call is
    /// routed where the first went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
}

/// `POST /v1/sandbox/missed-call`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxMissedCall {
    pub verification_id: String,
}

/// `POST /v1/siteverify`, with the field names Turnstile and reCAPTCHA use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteverifyRequest {
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub response: String,
}

/// The answer to `POST /v1/siteverify`. Always HTTP 200, like Turnstile: `success` says it all.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SiteverifyResponse {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_transaction_id: Option<String>,
    /// The host of the page the verification ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdata: Option<String>,
    /// Made with a test site key (see the README's "Test keys"): no phone was reached.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
}

/// Every error answer: `{"error":{"code":"snake_case","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable.
    pub code: String,
    /// For humans; may change.
    pub message: String,
    /// Seconds to wait before trying again, where waiting helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Why, where a code has several reasons (`invalid_phone`: `too_short`, `service_number`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /v1/transactions/{client_transaction_id}`: a verification as its site sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionView {
    pub verification_id: String,
    pub client_transaction_id: String,
    pub status: VerificationStatus,
    pub channel: Channel,
    pub phone: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, once verified or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The failure code, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// What providers charged, as they report it (possibly after the outcome).
    #[serde(default)]
    pub costs: Vec<ProviderCost>,
}

/// How a site wants to hear about results at its callback URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackFormat {
    /// A signed JSON POST, Standard Webhooks style.
    #[default]
    Json,
    /// OneRing's signed GET with query parameters.
    OneringGet,
}

/// `POST /v1/admin/sites`: a new site ("activity" in OneRing's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteInput {
    pub title: String,
    /// Where the widget may run: `shop.example` (https), `https://*.shop.example`,
    /// `http://localhost:*`.
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub callback_format: CallbackFormat,
    /// In the order the widget offers them; all four when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<Channel>>,
    /// ISO 3166-1 alpha-2 regions whose numbers may verify; any when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_countries: Vec<String>,
    #[serde(default)]
    pub limits: SiteLimits,
    /// The secret of the site's Cloudflare Turnstile widget: when set, every verification
    /// starts only after Turnstile's siteverify accepts the page's token. Never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_secret: Option<String>,
}

/// A site's defences against abuse, as the operator sets them. Every field is optional: an
/// absent one takes the deployment's default (README, "Defences"), so defaults can improve
/// without rewriting sites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteLimits {
    /// Missed calls one phone number may have pending at once, across sites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_calls_per_number: Option<u32>,
    /// Verifications one client IP (`CF-Connecting-IP`) may start in an hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_per_client_per_hour: Option<u32>,
    /// Paid sends (SMS, voice, flash call) one client IP may cause in an hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sends_per_client_per_hour: Option<u32>,
    /// Paid sends for the whole site in an hour, and in a day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sends_per_site_per_hour: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sends_per_site_per_day: Option<u32>,
    /// What the providers may report as spent for this site in a day, in `spend_currency`
    /// (a decimal string such as `"25.00"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_spend_cap: Option<String>,
    /// ISO 4217; spend reported in another currency is recorded but not capped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend_currency: Option<String>,
    /// ISO 3166-1 alpha-2 regions whose numbers may be sent paid codes; `["*"]` for every
    /// region. Defaults to the site's `allowed_countries`, and to none when that is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_countries: Option<Vec<String>>,
    /// Paid sends to one number range (a number without its last 3 digits), across sites, in
    /// 10 minutes before the range is blocked for an hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sends_per_range_per_10_min: Option<u32>,
    /// Wrong codes one phone number may be tried with in a day, across verifications and sites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_checks_per_number_per_day: Option<u32>,
    /// The proof-of-work a page solves before a paid send: the largest number the solver may
    /// have to try (ALTCHA's `maxnumber`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pow_max_number: Option<u64>,
}

/// `PATCH /v1/admin/sites/{site_key}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    /// `""` removes the callback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_format: Option<CallbackFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<Channel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_countries: Option<Vec<String>>,
    /// Replaces the site's limits as a whole; absent fields take the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<SiteLimits>,
    /// `""` removes the Turnstile check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_secret: Option<String>,
}

/// A site as the admin API shows it: never a secret or a hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteView {
    pub site_key: String,
    pub title: String,
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    pub callback_format: CallbackFormat,
    pub channels: Vec<Channel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_countries: Vec<String>,
    /// OneRing's public id of the activity.
    pub activity_token_id: String,
    /// The limits as they apply, defaults filled in.
    pub limits: SiteLimits,
    /// Whether verifications need a Cloudflare Turnstile token (the secret is never shown).
    #[serde(default)]
    pub turnstile: bool,
}

/// The `201` answer to `POST /v1/admin/sites`. The secrets are shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedSite {
    pub site: SiteView,
    /// For siteverify, transaction lookups and checking callback signatures.
    pub secret: String,
    /// The same key in Standard Webhooks' encoding (`whsec_` + base64 of the secret's bytes),
    /// for the libraries that verify that scheme.
    pub webhook_secret: String,
    /// OneRing's `ApiKey`, for the OneRing-compatible endpoint.
    pub api_key: String,
}

/// `POST /v1/admin/sites/{site_key}/rotate-secret`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotatedSecret {
    pub secret: String,
    pub webhook_secret: String,
}

/// What a site's callback is about: a verification reached an outcome that will not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallbackType {
    #[serde(rename = "verification.verified")]
    Verified,
    /// Failed or expired, with no attempt left to make.
    #[serde(rename = "verification.failed")]
    Failed,
}

impl CallbackType {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackType::Verified => "verification.verified",
            CallbackType::Failed => "verification.failed",
        }
    }
}

/// The body of a JSON callback (Standard Webhooks' `type`, `timestamp`, `data` envelope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackEvent {
    #[serde(rename = "type")]
    pub kind: CallbackType,
    /// RFC 3339: when the outcome was reached.
    pub timestamp: String,
    pub data: VerificationOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationOutcome {
    pub verification_id: String,
    #[serde(default)]
    pub client_transaction_id: Option<String>,
    /// E.164.
    pub phone: String,
    /// The channel of the last attempt: the one that verified, for a verified number.
    pub channel: Channel,
    pub status: VerificationStatus,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub finished_at: String,
    /// Missed call: when the visitor placed the call, as the provider reports it (RFC 3339).
    #[serde(default)]
    pub call_time: Option<String>,
    /// Why it failed, when it did.
    #[serde(default)]
    pub failure: Option<ErrorDetail>,
    /// Attempts made (sends and calls), all channels together.
    pub attempts: u32,
    /// What providers charged, where they report it (TeleSign's delivery callback does).
    #[serde(default)]
    pub costs: Vec<ProviderCost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderCost {
    /// The provider's id of the message or call.
    pub reference: String,
    /// A decimal string, as the provider sends it.
    pub price: Option<String>,
    /// ISO 4217.
    pub currency: Option<String>,
}

/// OneRing's callback query, field for field; a signed GET carries these plus `EventId`,
/// `SignedAt` and `Signature`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OneRingCallback {
    /// Digits, country code first, no `+` (OneRing's `91XXXXXXX`).
    pub verified_mobile_number: String,
    /// The number the visitor called, as OneRing sends it; for other channels, the channel's
    /// identifier.
    pub verification_channel: String,
    /// The per-transaction ActivityTokenId `NewMobileRecorded.ashx` answered.
    pub activity_token_id: String,
    pub client_transaction_id: String,
    /// Always `verified`: OneRing calls back only for verified numbers.
    pub mobile_status: String,
    /// RFC 3339: when the verification was recorded as verified.
    pub transaction_time: String,
    /// RFC 3339: when the visitor called, as the provider reports it.
    pub customer_call_time: String,
}

/// The delivery of a verification's callback to its site, as `GET
/// /v1/verifications/{id}/callbacks` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackView {
    /// Also the idempotency key: the `webhook-id` header, or the `EventId` query parameter.
    pub event_id: String,
    pub event_type: CallbackType,
    pub format: CallbackFormat,
    pub state: CallbackState,
    pub attempts: Vec<CallbackAttempt>,
    /// RFC 3339, while pending.
    #[serde(default)]
    pub next_attempt_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackState {
    /// Not yet accepted; another attempt is scheduled.
    Pending,
    /// The site answered 2xx.
    Delivered,
    /// Every scheduled attempt failed (about 27 hours), or the site no longer has a callback.
    GaveUp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackAttempt {
    /// RFC 3339.
    pub at: String,
    /// The site's HTTP status, when it answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// `timeout`, `connection_failed` or `no_callback_url`, when it did not.
    #[serde(default)]
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// `GET /v1/verifications/{id}/callbacks`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callbacks {
    pub deliveries: Vec<CallbackView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_identifiers_are_the_documented_ones() {
        for (c, s) in [
            (Channel::MissedCall, "missed_call"),
            (Channel::FlashCall, "flash_call"),
            (Channel::Sms, "sms"),
            (Channel::VoiceCall, "voice_call"),
        ] {
            assert_eq!(c.as_str(), s);
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{s}\""));
        }
    }

    /// The widget reads answers with `parse` instead of serde: both must agree on every name.
    #[test]
    fn parse_reads_what_serde_writes() {
        for c in Channel::ALL {
            let wire = serde_json::to_string(&c).unwrap();
            assert_eq!(Channel::parse(wire.trim_matches('"')), Some(c));
        }
        for s in VerificationStatus::ALL {
            let wire = serde_json::to_string(&s).unwrap();
            assert_eq!(VerificationStatus::parse(wire.trim_matches('"')), Some(s));
        }
        for d in [Delivery::Sent, Delivery::Delivered, Delivery::NotAnswered] {
            let wire = serde_json::to_string(&d).unwrap();
            assert_eq!(Delivery::parse(wire.trim_matches('"')), Some(d));
        }
        assert_eq!(Channel::parse("SMS"), None);
    }

    #[test]
    fn siteverify_request_tolerates_missing_fields() {
        let r: SiteverifyRequest = serde_json::from_str("{}").unwrap();
        assert!(r.secret.is_empty() && r.response.is_empty());
    }
}
