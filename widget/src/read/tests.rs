//! Each reader against the API's own serde output, every field set: what is written is what
//! is read. A field renamed or added in `ringproof-api` and not here fails one of these.

use super::*;
use serde::Serialize;
use serde_json::Value;

impl Json for Value {
    fn field(&self, name: &str) -> Value {
        self.get(name).cloned().unwrap_or(Value::Null)
    }

    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn flag(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Vec<Value> {
        self.as_array().cloned().unwrap_or_default()
    }
}

/// `value` as the edge sends it.
fn sent<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

fn failure() -> ErrorDetail {
    ErrorDetail {
        code: "too_many_checks".into(),
        message: "Too many wrong codes.".into(),
        retry_after: Some(30),
        reason: Some("checks".into()),
    }
}

fn full_view(status: VerificationStatus, channel: Channel, delivery: Delivery) -> VerificationView {
    VerificationView {
        verification_id: "ver_1".into(),
        status,
        channel,
        expires_at: "2026-12-07T10:00:00Z".into(),
        other_channels: Channel::ALL.into_iter().filter(|c| *c != channel).collect(),
        number_image_url: Some("/v1/number.svg".into()),
        call_to_uri: Some("tel:+447400000001".into()),
        call_qr_url: Some("/v1/qr.svg".into()),
        caller_hint: Some("+44 7400 00••••".into()),
        code_length: Some(6),
        checks_left: Some(4),
        delivery: Some(delivery),
        resend_at: Some("2026-12-07T09:55:30Z".into()),
        fallback_at: Some("2026-12-07T09:56:00Z".into()),
        failure: Some(failure()),
        token: Some("tok".into()),
        token_expires_at: Some("2026-12-07T10:05:00Z".into()),
        test: true,
        test_code: Some("123456".into()),
    }
}

#[test]
fn a_view_reads_back_every_field_in_every_status_channel_and_delivery() {
    let deliveries = [Delivery::Sent, Delivery::Delivered, Delivery::NotAnswered];
    let mut read = 0;
    for status in VerificationStatus::ALL {
        for channel in Channel::ALL {
            for delivery in deliveries {
                let v = full_view(status, channel, delivery);
                assert_eq!(view(&sent(&v)), Some(v));
                read += 1;
            }
        }
    }
    assert_eq!(read, 4 * 4 * 3);
}

#[test]
fn a_view_with_only_its_required_fields_reads_too() {
    let mut v = full_view(
        VerificationStatus::Pending,
        Channel::MissedCall,
        Delivery::Sent,
    );
    v.other_channels.clear();
    v.number_image_url = None;
    v.call_to_uri = None;
    v.call_qr_url = None;
    v.caller_hint = None;
    v.code_length = None;
    v.checks_left = None;
    v.delivery = None;
    v.resend_at = None;
    v.fallback_at = None;
    v.failure = None;
    v.token = None;
    v.token_expires_at = None;
    v.test = false;
    v.test_code = None;
    assert_eq!(view(&sent(&v)), Some(v));
}

#[test]
fn what_is_not_a_view_reads_as_none() {
    let v = full_view(VerificationStatus::Pending, Channel::Sms, Delivery::Sent);
    for required in ["verification_id", "status", "channel", "expires_at"] {
        let mut j = sent(&v);
        j.as_object_mut().unwrap().remove(required);
        assert_eq!(view(&j), None, "without {required}");
    }
    let mut j = sent(&v);
    j["status"] = "maybe".into();
    assert_eq!(view(&j), None);
}

#[test]
fn an_error_a_check_and_a_challenge_read_back() {
    let e = failure();
    let body = sent(&ringproof_api::ErrorBody { error: e.clone() });
    assert_eq!(error(&body.field("error")), Some(e));
    for status in VerificationStatus::ALL {
        let r = CheckResult {
            status,
            checks_left: 2,
            view: None,
        };
        assert_eq!(check_result(&sent(&r)), Some(r));
    }
    let with_view = CheckResult {
        status: VerificationStatus::Verified,
        checks_left: 1,
        view: Some(Box::new(full_view(
            VerificationStatus::Verified,
            Channel::Sms,
            Delivery::Delivered,
        ))),
    };
    assert_eq!(check_result(&sent(&with_view)), Some(with_view));
    let c = PowChallenge {
        algorithm: "SHA-256".into(),
        challenge: "ab".repeat(32),
        maxnumber: 250_000,
        salt: "s?expires=1".into(),
        signature: "cd".repeat(32),
    };
    assert_eq!(challenge(&sent(&c)), Some(c));
}

fn full_plan() -> PhoneCountry {
    let rule = |pattern: &str, lengths: &[u16]| NumberRule {
        pattern: pattern.into(),
        lengths: lengths.to_vec(),
    };
    PhoneCountry {
        country: "GB".into(),
        dial_code: 44,
        national_prefix: Some("0".into()),
        national_prefix_for_parsing: Some("0?".into()),
        national_prefix_transform_rule: Some("9$1".into()),
        example: Some("07400 123456".into()),
        international_prefix: Some("00".into()),
        regions: vec![
            RegionRules {
                country: "GB".into(),
                leading_digits: None,
                general: rule("[1-9]\\d{9}", &[10]),
                local_lengths: vec![6, 7],
                types: vec![
                    TypeRule {
                        rule: rule("7\\d{9}", &[10]),
                        personal: true,
                    },
                    TypeRule {
                        rule: rule("9\\d{9}", &[]),
                        personal: false,
                    },
                ],
            },
            RegionRules {
                country: "GG".into(),
                leading_digits: Some("1481|7781".into()),
                general: rule("\\d{10}", &[10]),
                local_lengths: Vec::new(),
                types: Vec::new(),
            },
        ],
        formats: vec![NumberFormat {
            pattern: "(7\\d{3})(\\d{6})".into(),
            format: "$1 $2".into(),
            leading_digits: Some("7".into()),
            national_prefix_rule: Some("0$1".into()),
        }],
    }
}

#[test]
fn a_plan_and_the_countries_read_back() {
    let p = full_plan();
    assert_eq!(plan(&sent(&p)), Some(p.clone()));
    let all = PhoneCountries {
        default_country: Some("GB".into()),
        countries: vec![
            DialCode {
                country: "GB".into(),
                dial_code: 44,
            },
            DialCode {
                country: "IN".into(),
                dial_code: 91,
            },
        ],
        plan: Some(p),
    };
    assert_eq!(countries(&sent(&all)), all);
    let bare = PhoneCountries {
        default_country: None,
        countries: Vec::new(),
        plan: None,
    };
    assert_eq!(countries(&sent(&bare)), bare);
}
