//! Inbound calls from the carriers that rent the deployment its missed-call numbers. Each
//! carrier's own incoming-call webhook is read here, byte for byte as that carrier documents it,
//! authenticated the way that carrier signs it, and answered so that the call is refused before
//! it is answered: the visitor hears "busy" and pays nothing. The Worker only moves the bytes.
//!
//! **A report is believed only when its carrier's signature holds, and only for a number the
//! deployment rents from that carrier.** Carriers whose signature carries a time (Telnyx,
//! Standard Webhooks) are refused after [`STALE_AFTER_SECS`]; every carrier names its call, and
//! a repeated call id is routed where the first went (`line::Lines::route`), so a replayed
//! report verifies nothing new.

pub mod generic;
pub mod plivo;
pub mod telnyx;
pub mod twilio;

use crate::phone::{self, E164};
use crate::session::CallOutcome;
use crate::Timestamp;
use thiserror::Error;

/// A signed report older or newer than this is refused: a replay, or a clock far off.
pub const STALE_AFTER_SECS: u64 = ringproof_signature::TOLERANCE_SECS;

/// Call ids longer than this are not remembered (no carrier's is near it).
const CALL_ID_MAX: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// Twilio Programmable Voice: form-encoded, `X-Twilio-Signature`, answered with TwiML.
    Twilio,
    /// Telnyx Call Control: `call.initiated` JSON, Ed25519, refused by a reject command.
    Telnyx,
    /// Plivo (India among others): form-encoded, `X-Plivo-Signature-V3`, answered with XML.
    Plivo,
    /// Any other carrier, through an adapter the operator hosts: our own JSON, signed as
    /// Standard Webhooks sign.
    Generic,
}

impl Carrier {
    pub const ALL: [Carrier; 4] = [
        Carrier::Twilio,
        Carrier::Telnyx,
        Carrier::Plivo,
        Carrier::Generic,
    ];

    /// The name in its webhook's path (`/v1/carriers/{name}`) and in `INBOUND_NUMBERS`.
    pub fn name(self) -> &'static str {
        match self {
            Carrier::Twilio => "twilio",
            Carrier::Telnyx => "telnyx",
            Carrier::Plivo => "plivo",
            Carrier::Generic => "generic",
        }
    }

    pub fn from_name(name: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The secret (or public key) the deployment checks this carrier's signature with.
    pub fn key_name(self) -> &'static str {
        match self {
            Carrier::Twilio => "TWILIO_AUTH_TOKEN",
            Carrier::Telnyx => "TELNYX_PUBLIC_KEY",
            Carrier::Plivo => "PLIVO_AUTH_TOKEN",
            Carrier::Generic => "MISSED_CALL_WEBHOOK_SECRET",
        }
    }

    /// Whether a call must be told to end after its webhook is answered: Telnyx parks an
    /// incoming call until it hears a command (`telnyx::reject`); the others end it by the
    /// webhook's answer.
    pub fn parks_calls(self) -> bool {
        self == Carrier::Telnyx
    }

    /// The webhook's path on the edge.
    pub fn path(self) -> String {
        ringproof_api::paths::carrier(self.name())
    }
}

/// What a carrier reported, in its own words (numbers as the network gave them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCall {
    pub caller: String,
    pub called: String,
    /// The carrier's id of the call: repeated reports of one call are routed once.
    pub call_id: Option<String>,
    /// When the call rang, if the carrier says; otherwise when the report came.
    pub at: Option<Timestamp>,
}

impl InboundCall {
    /// The call id, if it is one worth remembering.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id
            .as_deref()
            .filter(|id| !id.is_empty() && id.len() <= CALL_ID_MAX)
    }
}

/// A webhook request as it arrived: the URL the carrier called (some carriers sign it), the
/// headers, and the raw body.
pub struct Delivered<'a> {
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

impl Delivered<'_> {
    /// A header, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a carrier's report was not believed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("the report has no {0}")]
    Unsigned(&'static str),
    #[error(
        "the report's signature does not hold: it was forged, changed, or signed with another key"
    )]
    Forged,
    #[error(
        "the report's signature is more than 5 minutes old or ahead: a replay, or a wrong clock"
    )]
    Stale,
    #[error("the report is not the carrier's documented format: {0}")]
    Malformed(String),
    #[error("this deployment has no {0} for this carrier")]
    NotConfigured(&'static str),
    #[error("the called number is not one this deployment rents from this carrier")]
    NotOurNumber,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Unsigned(_) => "carrier_unsigned",
            Refusal::Forged => "carrier_signature_mismatch",
            Refusal::Stale => "carrier_report_stale",
            Refusal::Malformed(_) => "invalid_request",
            Refusal::NotConfigured(_) => "carrier_not_configured",
            Refusal::NotOurNumber => "carrier_not_our_number",
        }
    }

    /// The answer's body, in the shape of every error the API gives.
    pub fn body(&self) -> ringproof_api::ErrorBody {
        ringproof_api::ErrorBody {
            error: ringproof_api::ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                retry_after: None,
                reason: None,
            },
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Refusal::Unsigned(_) | Refusal::Forged | Refusal::Stale => 401,
            Refusal::Malformed(_) => 400,
            Refusal::NotConfigured(_) => 503,
            Refusal::NotOurNumber => 403,
        }
    }
}

/// Reads and authenticates a carrier's webhook with the key its carrier signs with. `Ok(None)`:
/// a genuine report that is not an incoming call (Telnyx sends every call event to one URL).
pub fn read(
    carrier: Carrier,
    key: Option<&str>,
    req: &Delivered<'_>,
    now: Timestamp,
) -> Result<Option<InboundCall>, Refusal> {
    let key = key
        .filter(|k| !k.is_empty())
        .ok_or(Refusal::NotConfigured(carrier.key_name()))?;
    match carrier {
        Carrier::Twilio => twilio::read(key, req).map(Some),
        Carrier::Telnyx => telnyx::read(key, req, now),
        Carrier::Plivo => plivo::read(key, req).map(Some),
        Carrier::Generic => generic::read(key, req, now).map(Some),
    }
}

/// One of the deployment's inbound numbers and the carrier it is rented from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundNumber {
    pub number: String,
    pub carrier: Carrier,
}

/// `INBOUND_NUMBERS`: comma-separated E.164 numbers, each `=carrier` (a bare number is the
/// generic adapter's), e.g. `+442079460001=twilio,+918047100000=plivo`. An entry that does not
/// read is left out and said why, so one typo costs one number, not every missed call.
pub fn parse_inbound_numbers(list: &str) -> (Vec<InboundNumber>, Vec<String>) {
    let (mut numbers, mut problems) = (Vec::new(), Vec::new());
    for read in list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(read_inbound_number)
    {
        match read {
            Ok(n) => numbers.push(n),
            Err(e) => problems.push(e),
        }
    }
    (numbers, problems)
}

fn read_inbound_number(entry: &str) -> Result<InboundNumber, String> {
    let (number, carrier) = match entry.split_once('=') {
        Some((n, c)) => {
            let carrier = Carrier::from_name(c.trim()).ok_or_else(|| {
                format!("{entry}: the carrier is one of twilio, telnyx, plivo, generic")
            })?;
            (n.trim(), carrier)
        }
        None => (entry, Carrier::Generic),
    };
    let e164 = phone::from_network(number)
        .filter(|_| number.starts_with('+'))
        .ok_or_else(|| format!("{entry}: the number is not in E.164 (+ and digits)"))?;
    Ok(InboundNumber {
        number: e164.as_str().to_owned(),
        carrier,
    })
}

/// The report's two numbers, once the called one is known to be rented from `carrier`.
/// `Ok(None)`: a caller with no readable number (withheld), which matches nothing.
pub fn admit(
    numbers: &[InboundNumber],
    carrier: Carrier,
    call: &InboundCall,
) -> Result<Option<(E164, E164)>, Refusal> {
    let called = phone::from_network(&call.called).ok_or(Refusal::NotOurNumber)?;
    if !numbers
        .iter()
        .any(|n| n.carrier == carrier && n.number == called.as_str())
    {
        return Err(Refusal::NotOurNumber);
    }
    Ok(phone::from_network(&call.caller).map(|caller| (caller, called)))
}

/// Every carrier's answer names what the call did (`verified`, `repeat`, `unmatched`,
/// `too_late`) in this header too: it shows in the carrier's request inspector, whatever the
/// body's format.
pub const OUTCOME_HEADER: &str = "Ringproof-Outcome";

/// A refused report's code, on every carrier's answer (see [`refusal_markup`]).
pub const REFUSAL_HEADER: &str = "Ringproof-Refusal";

/// What Twilio and Plivo are told when a report is refused or cannot be handled: still a 200
/// that rejects the call. Either carrier treats anything else as its application failing, tries
/// a fallback, and then *answers* the call to say so, which bills the caller. `None`: the
/// carrier takes the refusal as an HTTP error (Telnyx's call stays parked and is rejected by
/// command; the generic adapter is ours).
pub fn refusal_markup(carrier: Carrier) -> Option<(&'static str, &'static str)> {
    match carrier {
        Carrier::Twilio => Some(("text/xml", twilio::REJECT)),
        Carrier::Plivo => Some(("application/xml", plivo::HANG_UP_BUSY)),
        Carrier::Telnyx | Carrier::Generic => None,
    }
}

/// What the carrier is told, as (content type, body). Twilio and Plivo are told to refuse the
/// call unanswered; Telnyx is told by a command of its own (`telnyx::reject`).
pub fn answer(carrier: Carrier, outcome: Option<CallOutcome>) -> (&'static str, String) {
    match carrier {
        Carrier::Twilio => ("text/xml", twilio::REJECT.to_owned()),
        Carrier::Plivo => ("application/xml", plivo::HANG_UP_BUSY.to_owned()),
        Carrier::Telnyx | Carrier::Generic => (
            "application/json",
            serde_json::json!({ "outcome": outcome }).to_string(),
        ),
    }
}

/// Every value of a form-encoded body, in order.
fn form(body: &str) -> Result<Vec<(String, String)>, Refusal> {
    serde_urlencoded::from_str(body)
        .map_err(|_| Refusal::Malformed("the body is not form-encoded".into()))
}

fn field<'a>(fields: &'a [(String, String)], name: &'static str) -> Result<&'a str, Refusal> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Refusal::Malformed(format!("{name} is missing")))
}

#[cfg(test)]
mod tests;
