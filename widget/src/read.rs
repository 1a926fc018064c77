//! Reading the edge's JSON into `ringproof_api`'s own types, field by field, over any JSON
//! value that can be asked for a field, a string, a number, a flag or a list ([`Json`]).
//!
//! In the browser that value is `JSON.parse`'s (`wire.rs`): serde_json and the float
//! formatting its errors pull in would cost the widget about 20 KB of gzip. The tests read
//! serde_json's values of the API's types as the edge serialises them, every field set, and
//! hold each reader to give back what was written: a field renamed in `ringproof-api` fails
//! a test instead of reading as missing.

use ringproof_api::{
    Channel, CheckResult, Delivery, DialCode, ErrorDetail, NumberFormat, NumberRule,
    PhoneCountries, PhoneCountry, PowChallenge, RegionRules, TypeRule, VerificationStatus,
    VerificationView,
};

/// A JSON value as the readers see it: a missing field reads as a value that is nothing.
pub trait Json: Sized {
    fn field(&self, name: &str) -> Self;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn flag(&self) -> Option<bool>;
    /// The items of an array; none for anything else.
    fn items(&self) -> Vec<Self>;

    fn text(&self, name: &str) -> Option<String> {
        self.field(name).string()
    }
}

/// An error answer's `error` (or a failed view's `failure`).
pub fn error<J: Json>(v: &J) -> Option<ErrorDetail> {
    Some(ErrorDetail {
        code: v.text("code")?,
        message: v.text("message").unwrap_or_default(),
        retry_after: v.field("retry_after").number().map(|n| n as u64),
        reason: v.text("reason"),
    })
}

/// `GET /v1/verifications/{id}`, the answers to start, resend and switch, and what the
/// socket pushes.
pub fn view<J: Json>(v: &J) -> Option<VerificationView> {
    let number = |name: &str| v.field(name).number();
    Some(VerificationView {
        verification_id: v.text("verification_id")?,
        status: VerificationStatus::parse(&v.text("status")?)?,
        channel: Channel::parse(&v.text("channel")?)?,
        expires_at: v.text("expires_at")?,
        other_channels: v
            .field("other_channels")
            .items()
            .iter()
            .filter_map(|c| Channel::parse(&c.string()?))
            .collect(),
        number_image_url: v.text("number_image_url"),
        call_to_uri: v.text("call_to_uri"),
        call_qr_url: v.text("call_qr_url"),
        caller_hint: v.text("caller_hint"),
        code_length: number("code_length").map(|n| n as u8),
        checks_left: number("checks_left").map(|n| n as u32),
        delivery: v.text("delivery").and_then(|d| Delivery::parse(&d)),
        resend_at: v.text("resend_at"),
        fallback_at: v.text("fallback_at"),
        failure: error(&v.field("failure")),
        token: v.text("token"),
        token_expires_at: v.text("token_expires_at"),
        test: v.field("test").flag().unwrap_or(false),
        test_code: v.text("test_code"),
    })
}

pub fn check_result<J: Json>(v: &J) -> Option<CheckResult> {
    Some(CheckResult {
        status: VerificationStatus::parse(&v.text("status")?)?,
        checks_left: v.field("checks_left").number()? as u32,
        view: view(&v.field("view")).map(Box::new),
    })
}

pub fn challenge<J: Json>(v: &J) -> Option<PowChallenge> {
    Some(PowChallenge {
        algorithm: v.text("algorithm")?,
        challenge: v.text("challenge")?,
        maxnumber: v.field("maxnumber").number()? as u64,
        salt: v.text("salt")?,
        signature: v.text("signature")?,
    })
}

/// `GET /v1/countries`.
pub fn countries<J: Json>(v: &J) -> PhoneCountries {
    PhoneCountries {
        default_country: v.text("default_country"),
        countries: v
            .field("countries")
            .items()
            .iter()
            .filter_map(|c| {
                Some(DialCode {
                    country: c.text("country")?,
                    dial_code: c.field("dial_code").number()? as u16,
                })
            })
            .collect(),
        plan: plan(&v.field("plan")),
    }
}

/// `GET /v1/countries/{country}` (or the `plan` above).
pub fn plan<J: Json>(v: &J) -> Option<PhoneCountry> {
    // Plain loops: an iterator adapter per element type cost the wasm a kilobyte.
    let mut regions = Vec::new();
    for r in v.field("regions").items() {
        let mut types = Vec::new();
        for t in r.field("types").items() {
            if let (Some(rule), Some(personal)) = (rule(&t), t.field("personal").flag()) {
                types.push(TypeRule { rule, personal });
            }
        }
        if let (Some(country), Some(general)) = (r.text("country"), rule(&r.field("general"))) {
            regions.push(RegionRules {
                country,
                leading_digits: r.text("leading_digits"),
                general,
                local_lengths: lengths(&r, "local_lengths"),
                types,
            });
        }
    }
    let mut formats = Vec::new();
    for f in v.field("formats").items() {
        if let (Some(pattern), Some(format)) = (f.text("pattern"), f.text("format")) {
            formats.push(NumberFormat {
                pattern,
                format,
                leading_digits: f.text("leading_digits"),
                national_prefix_rule: f.text("national_prefix_rule"),
            });
        }
    }
    Some(PhoneCountry {
        country: v.text("country")?,
        dial_code: v.field("dial_code").number()? as u16,
        national_prefix: v.text("national_prefix"),
        national_prefix_for_parsing: v.text("national_prefix_for_parsing"),
        national_prefix_transform_rule: v.text("national_prefix_transform_rule"),
        example: v.text("example"),
        international_prefix: v.text("international_prefix"),
        regions,
        formats,
    })
}

fn lengths<J: Json>(v: &J, name: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for n in v.field(name).items() {
        out.extend(n.number().map(|n| n as u16));
    }
    out
}

fn rule<J: Json>(v: &J) -> Option<NumberRule> {
    Some(NumberRule {
        pattern: v.text("pattern")?,
        lengths: lengths(v, "lengths"),
    })
}

#[cfg(test)]
mod tests;
