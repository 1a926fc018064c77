//! Phone Confirm voice call: we choose the 6-digit code, Phone Confirm calls the visitor and
//! speaks it, and the code the visitor types is checked through Phone Confirm's verify call.
//! Answers come as JSON or XML (`type`); we ask for JSON and read both.

use super::{Answer, CodeProvider, CodeSend, Outgoing, ProviderId, Sent};
use crate::failure::FailureReason;
use serde::{Deserialize, Serialize};

pub const CALL_PATH: &str = "/api/call";
pub const VERIFY_PATH: &str = "/api/verify";
/// Ring again twice, a minute apart, if the visitor does not pick up.
const REDIAL_COUNT: u8 = 2;
const REDIAL_INTERVAL_SECS: u16 = 60;

#[derive(Debug, Clone)]
pub struct Credentials {
    pub base_url: String,
    pub api_key: String,
    /// The trusted domain registered with the account.
    pub domain: String,
}

#[derive(Serialize)]
struct PlaceCall<'a> {
    phone: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    country_code: u16,
    code: &'a str,
    redial_count: u8,
    redial_interval: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_place_time: Option<&'a str>,
    #[serde(rename = "APIkey")]
    api_key: &'a str,
    domain: &'a str,
}

#[derive(Serialize)]
struct VerifyCall<'a> {
    transaction_number: &'a str,
    code: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "APIkey")]
    api_key: &'a str,
    domain: &'a str,
}

impl CodeProvider for Credentials {
    fn id(&self) -> ProviderId {
        ProviderId::PhoneConfirm
    }

    fn request(&self, send: &CodeSend<'_>) -> Result<Outgoing, FailureReason> {
        let (cc, national) = send
            .dispatch
            .phone
            .split()
            .ok_or(FailureReason::NumberUnavailable)?;
        Ok(place_call(self, cc, &national, send.code))
    }

    fn read_answer(&self, answer: &Answer, _send: &CodeSend<'_>) -> Result<Sent, FailureReason> {
        read_call_answer(answer)
    }
}

/// The call is placed now, so `call_place_time` is left out.
pub fn place_call(creds: &Credentials, country_code: u16, national: &str, code: &str) -> Outgoing {
    let query = serde_urlencoded::to_string(PlaceCall {
        phone: national,
        kind: "json",
        country_code,
        code,
        redial_count: REDIAL_COUNT,
        redial_interval: REDIAL_INTERVAL_SECS,
        call_place_time: None,
        api_key: &creds.api_key,
        domain: &creds.domain,
    })
    .expect("plain fields encode");
    get(creds, CALL_PATH, query)
}

pub fn verify(creds: &Credentials, transaction_number: &str, code: &str) -> Outgoing {
    let query = serde_urlencoded::to_string(VerifyCall {
        transaction_number,
        code,
        kind: "json",
        api_key: &creds.api_key,
        domain: &creds.domain,
    })
    .expect("plain fields encode");
    get(creds, VERIFY_PATH, query)
}

fn get(creds: &Credentials, path: &str, query: String) -> Outgoing {
    Outgoing {
        method: "GET",
        url: format!("{}{path}?{query}", creds.base_url.trim_end_matches('/')),
        headers: vec![("Accept".into(), "application/json, application/xml".into())],
        body: None,
    }
}

/// The four tags of every answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Reply {
    #[serde(default, deserialize_with = "text")]
    pub error: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, deserialize_with = "text")]
    pub transaction_number: String,
}

impl Reply {
    fn is_valid(&self) -> bool {
        self.error.trim() == "0" && self.status.trim().eq_ignore_ascii_case("valid")
    }
}

/// Reads a JSON or an XML answer.
pub fn parse(body: &str) -> Option<Reply> {
    let body = body.trim();
    if body.starts_with('{') {
        return serde_json::from_str(body).ok();
    }
    if !body.starts_with('<') {
        return None;
    }
    let error = xml_tag(body, "error")?;
    let status = xml_tag(body, "status")?;
    Some(Reply {
        error,
        status,
        message: xml_tag(body, "message").unwrap_or_default(),
        transaction_number: xml_tag(body, "transaction_number").unwrap_or_default(),
    })
}

/// The text of the first `<tag>…</tag>`; the answers are flat, so no XML parser is needed.
fn xml_tag(doc: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&format!("</{tag}>"))?;
    Some(
        doc[start..end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

fn failure(answer: &Answer) -> Option<FailureReason> {
    match answer.status {
        // The seed: a call from a domain the account does not trust answers 503.
        503 => Some(FailureReason::ProviderDomainUnauthorized),
        s => super::status_failure(s),
    }
}

pub fn read_call_answer(answer: &Answer) -> Result<Sent, FailureReason> {
    if let Some(f) = failure(answer) {
        return Err(f);
    }
    let reply = parse(&answer.body).ok_or(FailureReason::ProviderError)?;
    if !reply.is_valid() || reply.transaction_number.is_empty() {
        return Err(FailureReason::ProviderError);
    }
    Ok(Sent {
        reference: reply.transaction_number,
        caller_hint: None,
        provider: None,
    })
}

/// Whether Phone Confirm accepted the code: `valid` yes, `invalid` no, anything else a fault.
pub fn read_verify_answer(answer: &Answer) -> Result<bool, FailureReason> {
    if let Some(f) = failure(answer) {
        return Err(f);
    }
    let reply = parse(&answer.body).ok_or(FailureReason::ProviderError)?;
    match reply.status.trim().to_ascii_lowercase().as_str() {
        "valid" if reply.error.trim() == "0" => Ok(true),
        "invalid" => Ok(false),
        _ => Err(FailureReason::ProviderError),
    }
}

/// Accepts `"0"` or `0`: the tag is text in XML and may be a number in JSON.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            base_url: "https://api.phoneconfirm.example/".into(),
            api_key: "key 1".into(),
            domain: "shop.example".into(),
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(url.split_once('?').unwrap().1).unwrap()
    }

    #[test]
    fn place_call_carries_every_documented_parameter() {
        let r = place_call(&creds(), 44, "7400123456", "123456");
        assert_eq!(r.method, "GET");
        assert!(r
            .url
            .starts_with("https://api.phoneconfirm.example/api/call?"));
        let q = query(&r.url);
        let names: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "phone",
                "type",
                "country_code",
                "code",
                "redial_count",
                "redial_interval",
                "APIkey",
                "domain"
            ]
        );
        assert!(q.contains(&("type".into(), "json".into())));
        assert!(q.contains(&("country_code".into(), "44".into())));
        assert!(q.contains(&("APIkey".into(), "key 1".into())));
    }

    #[test]
    fn verify_names_the_transaction_and_the_code() {
        let q = query(&verify(&creds(), "778899", "654321").url);
        assert!(q.contains(&("transaction_number".into(), "778899".into())));
        assert!(q.contains(&("code".into(), "654321".into())));
        assert!(q.contains(&("domain".into(), "shop.example".into())));
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.into(),
        }
    }

    #[test]
    fn reads_json_and_xml_alike() {
        let json = r#"{"error":"0","status":"valid","message":"Call placed","transaction_number":"1234567"}"#;
        let xml = "<?xml version=\"1.0\"?><response><error>0</error><status>valid</status><message>Call &amp; code</message><transaction_number>1234567</transaction_number></response>";
        assert_eq!(
            read_call_answer(&answer(200, json)).unwrap().reference,
            "1234567"
        );
        assert_eq!(
            read_call_answer(&answer(200, xml)).unwrap().reference,
            "1234567"
        );
        assert_eq!(parse(xml).unwrap().message, "Call & code");
        let numeric = r#"{"error":0,"status":"valid","message":"","transaction_number":42}"#;
        assert_eq!(
            read_call_answer(&answer(200, numeric)).unwrap().reference,
            "42"
        );
    }

    #[test]
    fn refusals_and_faults() {
        assert_eq!(
            read_call_answer(&answer(503, "unauthorized domain")),
            Err(FailureReason::ProviderDomainUnauthorized)
        );
        assert_eq!(
            read_call_answer(&answer(
                200,
                r#"{"error":"1","status":"invalid","message":"bad key"}"#
            )),
            Err(FailureReason::ProviderError)
        );
        assert_eq!(
            read_call_answer(&answer(200, "<html")),
            Err(FailureReason::ProviderError)
        );
        assert_eq!(
            read_call_answer(&answer(500, "")),
            Err(FailureReason::ProviderUnavailable)
        );
    }

    #[test]
    fn verify_verdicts() {
        let v = |s: &str| read_verify_answer(&answer(200, s));
        assert_eq!(
            v(r#"{"error":"0","status":"valid","message":"ok"}"#),
            Ok(true)
        );
        assert_eq!(
            v(r#"{"error":"0","status":"invalid","message":"wrong"}"#),
            Ok(false)
        );
        assert_eq!(
            v("<response><error>0</error><status>invalid</status></response>"),
            Ok(false)
        );
        assert_eq!(
            v(r#"{"error":"0","status":"maybe"}"#),
            Err(FailureReason::ProviderError)
        );
        assert_eq!(
            read_verify_answer(&answer(503, "")),
            Err(FailureReason::ProviderDomainUnauthorized)
        );
    }
}
