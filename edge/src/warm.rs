//! What the isolate does once when it starts, before its first request. V8 compiles a wasm
//! function when it is first called, so the code a missed-call start runs, in the Worker and
//! in its objects, is called here at start-up on made-up data, and not inside a visitor's
//! first request. Nothing here reads a request, the environment or a secret.

use crate::durable::encode;
use crate::durable::line::LineMessage;
use crate::durable::throttle::ThrottleMessage;
use crate::durable::verification::{Begun, VerificationMessage};
use ringproof_api::VerificationView;
use ringproof_core::limits::{self, Answer};
use ringproof_core::line::{self, Lines, Reservation};
use ringproof_core::pow::{self, Binding, ProofError};
use ringproof_core::random::Randomness;
use ringproof_core::session::{Issuer, NewSession, Policy, Session};
use ringproof_core::site::Site;
use ringproof_core::start::Offer;
use ringproof_core::throttle::{self, Window};
use ringproof_core::{client::Client, events, phone, ApiError, Timestamp};

/// A proof that decodes and is refused at its signature: checking it runs what a start's
/// check runs up to the signature (base64, JSON, HMAC, the constant-time compare).
const FORGED: &str = "eyJhbGdvcml0aG0iOiJTSEEtMjU2IiwiY2hhbGxlbmdlIjoiMDAiLCJudW1iZXIiOjEsInNhbHQiOiIwIiwic2lnbmF0dXJlIjoiMDAifQ==";

/// The runtime refuses random bytes outside a request (at start-up `crypto.getRandomValues`
/// throws), so the warm-up draws zeros: nothing it makes is kept or sent.
struct Zeros;

impl Randomness for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

/// A site as KV keeps one.
const SITE: &str = r#"{"site_key":"warm","title":"Warm","secret_hash":"00","allowed_origins":["https://warm.example"],"channels":["missed_call","sms"],"inbound_numbers":["+447400000001"]}"#;

/// What the warm-up reached, for its test; at start-up only the work matters.
#[allow(dead_code)]
pub struct Reached {
    pub read: Result<phone::E164, ApiError>,
    pub proof: Result<pow::Proof, ProofError>,
    pub counted: Vec<Answer>,
    pub line: Result<String, ApiError>,
    pub view: Result<VerificationView, ApiError>,
}

/// Runs a missed-call start's steps once: the number and the proof; the site, its offer and
/// its counters, through the throttle object's message and its count; the line's reservation;
/// the session's start, its history and its view, through the verification object's message
/// and answer.
pub fn up() -> Reached {
    let read = phone::normalise("07400 123456", Some("GB"));
    let binding = Binding {
        site_key: "warm",
        client: "192.0.2.1",
        verification: None,
    };
    let proof = pow::verify(b"warm", FORGED, binding, Timestamp(0));
    let now = Timestamp(1_800_000_000_000);
    let site: Result<Site, _> = serde_json::from_str(SITE);
    let none = || ApiError::Internal("no site".into());
    let (counted, line, view) = match (site, &read) {
        (Ok(site), Ok(phone)) => (
            count(&site, now),
            line(&site, phone, now),
            start(&site, phone, now),
        ),
        _ => (Vec::new(), Err(none()), Err(none())),
    };
    Reached {
        read,
        proof,
        counted,
        line,
        view,
    }
}

/// A start's counts and its proof's spend, as the Worker asks for them and an object takes
/// them.
fn count(site: &Site, now: Timestamp) -> Vec<Answer> {
    let client = Client::from_ip("192.0.2.1");
    let proof = pow::Proof {
        challenge: "warm".into(),
        expires_at: now,
    };
    let takes = limits::start_takes(
        &site.site_key,
        &site.limits(),
        &client,
        false,
        Some(pow::spend(&proof)),
    );
    let mut answers = Vec::new();
    for take in &takes {
        let sent = serde_json::to_string(&ThrottleMessage::Take {
            batch: take.batch.clone(),
        });
        let Ok(ThrottleMessage::Take { batch }) =
            crate::http::parse_json::<ThrottleMessage>(&sent.unwrap_or_default())
        else {
            continue;
        };
        let mut windows = vec![Window::default(); batch.windows.len()];
        let answer = throttle::take_batch(&batch, &mut windows, None, None, false, now);
        let _ = stored(windows);
        answers.push(match answer {
            Ok(()) => Answer::Took,
            Err(refused) => Answer::Refused(refused),
        });
    }
    let _ = limits::verdict(&takes, &answers);
    answers
}

/// The line a missed call reserves, through the line object's message and storage's form.
fn line(site: &Site, phone: &phone::E164, now: Timestamp) -> Result<String, ApiError> {
    let message = serde_json::to_string(&LineMessage::Reserve {
        pool: site.inbound_numbers.clone(),
        verification_id: "0".repeat(32),
        site_key: site.site_key.clone(),
        client: "192.0.2.1".into(),
        until: now.plus_secs(600),
        max_pending: site.limits().pending_calls_per_number,
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let LineMessage::Reserve {
        pool,
        verification_id,
        site_key,
        client,
        until,
        max_pending,
    } = crate::http::parse_json(&message)?
    else {
        return Err(ApiError::Internal("not a reservation".into()));
    };
    let mut lines = Lines::default();
    let r = Reservation {
        pool: &pool,
        verification_id: &verification_id,
        site_key: &site_key,
        client: &client,
        until,
        max_pending,
    };
    let reserved = lines.reserve(&r, &mut Zeros, now);
    let _ = stored(lines);
    let _ = encode(Ok(reserved.clone()));
    let _ = line::object_name(phone.as_str(), false);
    reserved.map_err(|busy| busy.refusal(&site_key, now))
}

/// A missed-call session begun as its object begins one, answered as the Worker reads it.
fn start(site: &Site, phone: &phone::E164, now: Timestamp) -> Result<VerificationView, ApiError> {
    let offer = Offer::new(site, None, phone.region().as_deref());
    let channel = offer.channel()?;
    let new = NewSession {
        id: "0".repeat(32),
        site_key: site.site_key.clone(),
        phone: phone.clone(),
        origin: "https://warm.example".into(),
        domain: "warm.example".into(),
        language: None,
        client_transaction_id: None,
        channels: offer.channels.clone(),
        test: false,
        action: None,
        cdata: None,
    };
    let message = serde_json::to_string(&VerificationMessage::Start {
        new,
        channel,
        inbound_number: phone::normalise("+447400000001", None).ok(),
        base: "https://edge.example".into(),
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let VerificationMessage::Start {
        new,
        channel,
        inbound_number,
        base,
    } = crate::http::parse_json(&message)?
    else {
        return Err(ApiError::Internal("not a start".into()));
    };
    let mut issuer = Issuer {
        rng: &mut Zeros,
        code_key: b"warm",
        policy: Policy::default(),
    };
    let (session, _) = Session::start(new, channel, inbound_number, &mut issuer, now)?;
    let _ = events::between(None, &session, b"warm", now);
    let session = stored(session)?;
    let begun = Begun::Waiting {
        view: Box::new(session.view(b"warm", &base, now)),
    };
    match crate::http::parse_json::<Result<Begun, ApiError>>(&encode(Ok(begun)))? {
        Ok(Begun::Waiting { view }) => Ok(*view),
        Ok(Begun::Send { .. }) => Err(ApiError::Internal("a send".into())),
        Err(e) => Err(e),
    }
}

/// A value through the form an object's storage keeps it in (JavaScript values, in the
/// Workers runtime), and back.
#[cfg(target_arch = "wasm32")]
fn stored<T: serde::Serialize + serde::de::DeserializeOwned>(value: T) -> Result<T, ApiError> {
    serde_wasm_bindgen::to_value(&value)
        .and_then(serde_wasm_bindgen::from_value)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[cfg(not(target_arch = "wasm32"))]
fn stored<T>(value: T) -> Result<T, ApiError> {
    Ok(value)
}

#[cfg(test)]
mod tests {
    use ringproof_api::{Channel, VerificationStatus};

    #[test]
    fn the_warm_up_runs_a_whole_missed_call_start() {
        let reached = super::up();
        assert_eq!(reached.read.unwrap().as_str(), "+447400123456");
        assert_eq!(reached.proof.unwrap_err(), super::ProofError::Forged);
        assert_eq!(reached.counted, [super::Answer::Took]);
        assert_eq!(reached.line.unwrap(), "+447400000001");
        let view = reached.view.unwrap();
        assert_eq!(view.channel, Channel::MissedCall);
        assert_eq!(view.status, VerificationStatus::Pending);
        assert_eq!(view.call_to_uri.as_deref(), Some("tel:+447400000001"));
    }
}
