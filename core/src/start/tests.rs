use super::{Offer, RoundOne};
use crate::ApiError;
use ringproof_api::Channel::{self, *};

fn offer(requested: Option<Channel>, channels: &[Channel]) -> Offer {
    Offer {
        requested,
        channels: channels.to_vec(),
    }
}

#[test]
fn a_named_channel_is_used_only_where_the_country_allows_it() {
    assert_eq!(offer(Some(Sms), &[MissedCall, Sms]).channel(), Ok(Sms));
    assert_eq!(
        offer(Some(Sms), &[MissedCall]).channel(),
        Err(ApiError::PaidChannelNotAllowed)
    );
}

#[test]
fn without_a_name_the_first_allowed_channel_is_used() {
    assert_eq!(
        offer(None, &[VoiceCall, MissedCall]).channel(),
        Ok(VoiceCall)
    );
    assert_eq!(
        offer(None, &[]).channel(),
        Err(ApiError::PaidChannelNotAllowed)
    );
}

#[test]
fn locks_are_looked_at_only_before_a_real_code() {
    assert!(Offer::looks_at_locks(Sms, false));
    assert!(Offer::looks_at_locks(VoiceCall, false));
    assert!(!Offer::looks_at_locks(MissedCall, false));
    assert!(!Offer::looks_at_locks(Sms, true));
}

#[test]
fn a_locked_number_falls_back_to_the_missed_call_only_when_no_channel_was_named() {
    let open = offer(None, &[Sms, MissedCall]);
    assert_eq!(open.after_locks(Sms, None), Ok(Sms));
    assert_eq!(open.after_locks(Sms, Some(60)), Ok(MissedCall));
    let named = offer(Some(Sms), &[Sms, MissedCall]);
    assert_eq!(
        named.after_locks(Sms, Some(60)),
        Err(ApiError::NumberLocked(60))
    );
    let no_call = offer(None, &[Sms, VoiceCall]);
    assert_eq!(
        no_call.after_locks(Sms, Some(9)),
        Err(ApiError::NumberLocked(9))
    );
}

#[test]
fn only_a_paid_attempt_asks_a_fresh_turnstile_token() {
    assert!(super::another_asks_turnstile(Sms));
    assert!(super::another_asks_turnstile(FlashCall));
    assert!(!super::another_asks_turnstile(MissedCall));
}

#[test]
fn busy_lines_start_anyway_only_with_another_way_and_no_named_channel() {
    assert!(offer(None, &[MissedCall, Sms]).starts_without_line());
    assert!(!offer(None, &[MissedCall]).starts_without_line());
    assert!(!offer(Some(MissedCall), &[MissedCall, Sms]).starts_without_line());
}

#[test]
fn round_one_is_refused_in_the_order_its_steps_were_once_taken() {
    let open = offer(None, &[Sms, MissedCall]);
    let one = |counted, duplicate, locked| RoundOne {
        counted,
        duplicate,
        locked,
    };
    let locked = || Err(ApiError::NumberLocked(60));
    assert_eq!(
        open.after_round_one(Sms, one(Err(ApiError::ProofInvalid), Ok(true), locked())),
        Err(ApiError::ProofInvalid),
        "the proof and the starts first"
    );
    assert_eq!(
        open.after_round_one(Sms, one(Ok(()), Ok(true), locked())),
        Err(ApiError::DuplicateTransaction),
        "then the id"
    );
    assert_eq!(
        open.after_round_one(Sms, one(Ok(()), Ok(false), locked())),
        Ok(MissedCall),
        "then the locks, which fall back to the missed call"
    );
    assert_eq!(
        open.after_round_one(
            Sms,
            one(Ok(()), Ok(false), Err(ApiError::Internal("x".into())))
        ),
        Err(ApiError::Internal("x".into())),
        "a lock look that failed is an error, not a lock"
    );
    assert_eq!(
        open.after_round_one(Sms, one(Ok(()), Ok(false), Ok(()))),
        Ok(Sms)
    );
}

fn asked(phone: &str) -> super::Start<'_> {
    super::Start {
        phone,
        country: None,
        channel: None,
        client_transaction_id: None,
        client_transaction_signature: None,
        ctid_trusted: false,
        proof: None,
        from_server: false,
        language: None,
        action: None,
        cdata: None,
    }
}

fn gb_site() -> crate::site::Site {
    let mut site = crate::test_keys::site(crate::test_keys::SITE_MISSED_CALL).unwrap();
    site.allowed_countries = vec!["GB".into()];
    site
}

#[test]
fn a_start_is_checked_against_its_site_before_anything_is_counted() {
    let site = gb_site();
    let ok = asked("+447400123456").checked(&site).unwrap();
    assert_eq!(ok.phone.as_str(), "+447400123456");
    assert_eq!(ok.channel, MissedCall);
    let national = super::Start {
        country: Some("GB"),
        ..asked("07400 123456")
    };
    assert_eq!(national.checked(&site).unwrap().phone, ok.phone);
    assert_eq!(
        asked("+33612345678").checked(&site).err(),
        Some(ApiError::CountryNotAllowed)
    );
    assert_eq!(
        asked("not a number")
            .checked(&site)
            .map(|_| ())
            .unwrap_err()
            .code(),
        "invalid_phone"
    );
    let named = super::Start {
        channel: Some(Sms),
        ..asked("+447400123456")
    };
    assert_eq!(
        named.checked(&site).err(),
        Some(ApiError::ChannelNotAvailable(Sms)),
        "a channel the site does not have is refused first"
    );
    let labelled = super::Start {
        action: Some("x".repeat(1000)),
        ..asked("+447400123456")
    };
    assert_eq!(
        labelled.checked(&site).map(|_| ()).unwrap_err().code(),
        "invalid_request"
    );
}

#[test]
fn only_the_sites_server_binds_a_transaction_id() {
    let none = asked("+447400123456");
    assert_eq!(none.transaction_id(|_, _| false), Ok(None));
    let unsigned = super::Start {
        client_transaction_id: Some("order-1".into()),
        ..asked("+447400123456")
    };
    assert_eq!(
        unsigned.transaction_id(|_, _| false),
        Err(ApiError::TransactionUnsigned)
    );
    assert_eq!(
        unsigned.transaction_id(|id, _| id == "order-1"),
        Ok(Some("order-1"))
    );
    let trusted = super::Start {
        ctid_trusted: true,
        ..unsigned
    };
    assert_eq!(
        trusted.transaction_id(|_, _| panic!("a trusted id is not checked again")),
        Ok(Some("order-1"))
    );
    let malformed = super::Start {
        client_transaction_id: Some("x".repeat(crate::ids::CLIENT_TRANSACTION_ID_MAX + 1)),
        ctid_trusted: true,
        ..asked("+447400123456")
    };
    assert!(malformed.transaction_id(|_, _| true).is_err());
    assert!(asked("+447400123456").pays_proof());
    let server = super::Start {
        from_server: true,
        ..asked("+447400123456")
    };
    assert!(!server.pays_proof());
}
