//! Test keys, as Turnstile's dummy keys: site keys every deployment knows, usable from any
//! page, whose verifications never reach a provider and never cost anything, and secrets that
//! redeem only their tokens. A site's own automated tests complete its form with them.
//!
//! **A test key's token is worth nothing to a real site**: its verification belongs to the
//! test site, so a real secret reads it as another site's token, and the test secrets redeem
//! nothing but test verifications.

use crate::code::test_code;
use crate::failure::FailureReason;
use crate::providers::{Dispatch, Sent};
use crate::site::{Site, TestOutcome};
use ringproof_api::{CallbackFormat, Channel, SiteLimits};

/// Every channel, verified by the fixed code or the simulated call.
pub const SITE_VERIFIES: &str = "rp_test_verifies";
/// An SMS that is never delivered: the verification fails at once.
pub const SITE_FAILS: &str = "rp_test_fails";
/// One channel only, verified as [`SITE_VERIFIES`] is.
pub const SITE_MISSED_CALL: &str = "rp_test_missed_call";
pub const SITE_FLASH_CALL: &str = "rp_test_flash_call";
pub const SITE_SMS: &str = "rp_test_sms";
pub const SITE_VOICE_CALL: &str = "rp_test_voice_call";

/// Redeems any unspent token of a test key: `"success": true, "test": true`.
pub const SECRET_VERIFIES: &str = "rp_test_secret_verifies";
/// Refuses every token: `invalid-input-response`.
pub const SECRET_FAILS: &str = "rp_test_secret_fails";
/// Refuses every token as spent: `timeout-or-duplicate`.
pub const SECRET_SPENT: &str = "rp_test_secret_spent";

/// The numbers a test missed call asks the visitor to call: in Ofcom's range for drama, so no
/// one answers them. Several, so a site's tests may run side by side with one phone number.
pub const INBOUND_NUMBERS: [&str; 5] = [
    "+442079460990",
    "+442079460991",
    "+442079460992",
    "+442079460993",
    "+442079460994",
];

/// What a test secret answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    Verifies,
    Fails,
    Spent,
}

pub fn secret(given: &str) -> Option<Secret> {
    match given {
        SECRET_VERIFIES => Some(Secret::Verifies),
        SECRET_FAILS => Some(Secret::Fails),
        SECRET_SPENT => Some(Secret::Spent),
        _ => None,
    }
}

pub fn is_test_site(site_key: &str) -> bool {
    site(site_key).is_some()
}

/// The site a test key stands for: any page may use it, it takes numbers of any country and
/// has no callback.
pub fn site(site_key: &str) -> Option<Site> {
    let (outcome, channels) = match site_key {
        SITE_VERIFIES => (TestOutcome::Verifies, Channel::ALL.to_vec()),
        SITE_FAILS => (TestOutcome::Fails, vec![Channel::Sms]),
        SITE_MISSED_CALL => (TestOutcome::Verifies, vec![Channel::MissedCall]),
        SITE_FLASH_CALL => (TestOutcome::Verifies, vec![Channel::FlashCall]),
        SITE_SMS => (TestOutcome::Verifies, vec![Channel::Sms]),
        SITE_VOICE_CALL => (TestOutcome::Verifies, vec![Channel::VoiceCall]),
        _ => return None,
    };
    Some(Site {
        site_key: site_key.to_owned(),
        title: "Ringproof test key".to_owned(),
        // No secret hashes to this: only `secret` above redeems a test token.
        secret_hash: String::new(),
        secret_salt: None,
        allowed_origins: vec![],
        callback_url: None,
        callback_format: CallbackFormat::default(),
        allowed_countries: vec![],
        activity_token_id: String::new(),
        api_key_hash: String::new(),
        channels,
        inbound_numbers: INBOUND_NUMBERS.iter().map(|n| (*n).to_owned()).collect(),
        sends_per_number_per_hour: crate::site::DEFAULT_SENDS_PER_NUMBER_PER_HOUR,
        limits: SiteLimits {
            // Nothing is paid for, so every country may have every channel.
            paid_countries: Some(vec!["*".to_owned()]),
            // A site's test suite signs up many times from one address; a start costs only
            // storage, which expires with it.
            starts_per_client_per_hour: Some(crate::limits::TEST_STARTS_PER_CLIENT_PER_HOUR),
            ..SiteLimits::default()
        },
        turnstile_secret: None,
        owner: None,
        test: Some(outcome),
    })
}

/// What stands in for the provider's answer to a test send.
pub fn send(outcome: TestOutcome, dispatch: &Dispatch) -> Result<Sent, FailureReason> {
    if outcome == TestOutcome::Fails {
        return Err(FailureReason::SmsUndelivered);
    }
    let caller_hint = (dispatch.channel == Channel::FlashCall).then(|| {
        let calling = INBOUND_NUMBERS[0].trim_start_matches('+');
        let hidden = test_code(4).len();
        format!(
            "+{}{}",
            &calling[..calling.len() - hidden],
            "•".repeat(hidden)
        )
    });
    Ok(Sent {
        reference: format!("test-{}-{}", dispatch.verification_id, dispatch.attempt),
        caller_hint,
        provider: None,
    })
}

/// Whether the sandbox's simulated call may complete a verification of `site_key`: a test
/// key's anywhere; otherwise only the demo's own site (`sandbox_site`), on a deployment whose
/// sandbox is on. The sandbox proves nothing about a phone.
pub fn sandbox_may_complete(
    site_key: &str,
    sandbox_on: bool,
    sandbox_site: Option<&str>,
) -> Result<(), crate::ApiError> {
    if is_test_site(site_key) {
        return Ok(());
    }
    if !sandbox_on {
        return Err(crate::ApiError::SandboxDisabled);
    }
    match sandbox_site {
        Some(own) if !own.is_empty() && own == site_key => Ok(()),
        _ => Err(crate::ApiError::SandboxSiteOnly),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Payload;
    use crate::Timestamp;

    #[test]
    fn the_sandbox_completes_test_keys_and_its_own_demo_only() {
        use crate::ApiError::{SandboxDisabled, SandboxSiteOnly};
        assert_eq!(sandbox_may_complete(SITE_MISSED_CALL, false, None), Ok(()));
        assert_eq!(
            sandbox_may_complete("rp_demo", false, Some("rp_demo")),
            Err(SandboxDisabled)
        );
        assert_eq!(
            sandbox_may_complete("rp_demo", true, Some("rp_demo")),
            Ok(())
        );
        assert_eq!(
            sandbox_may_complete("rp_other", true, Some("rp_demo")),
            Err(SandboxSiteOnly)
        );
        assert_eq!(
            sandbox_may_complete("", true, Some("")),
            Err(SandboxSiteOnly)
        );
        assert_eq!(
            sandbox_may_complete("rp_demo", true, None),
            Err(SandboxSiteOnly)
        );
    }

    #[test]
    fn the_documented_keys_stand_for_their_channels() {
        let all = site("rp_test_verifies").unwrap();
        assert_eq!(all.channels.len(), 4);
        assert_eq!(
            site("rp_test_sms").unwrap().channels,
            vec![Channel::Sms],
            "the README's forced-channel key"
        );
        assert_eq!(
            site("rp_test_voice_call").unwrap().channels,
            vec![Channel::VoiceCall]
        );
        assert_eq!(
            site("rp_test_flash_call").unwrap().channels,
            vec![Channel::FlashCall]
        );
        assert_eq!(
            site("rp_test_missed_call").unwrap().channels,
            vec![Channel::MissedCall]
        );
        assert_eq!(
            site("rp_test_fails").unwrap().test,
            Some(TestOutcome::Fails)
        );
        assert!(site("rp_site_test_verifies").is_none());
        assert!(site("").is_none());
    }

    #[test]
    fn test_sites_take_any_page_and_no_secret() {
        let s = site(SITE_VERIFIES).unwrap();
        let page = s.page("https://shop.example:8443").unwrap();
        assert_eq!(page.domain, "shop.example");
        assert!(s.page("http://localhost:3000").is_some());
        assert!(s.page("null").is_none(), "still a serialised origin");
        let limits = s.limits();
        assert!(
            limits.channels_for(&s.channels, Some("IN")).len() == 4,
            "paid everywhere"
        );
        assert!(!s.secret_matches(""));
        assert!(!s.secret_matches(SECRET_VERIFIES));
    }

    #[test]
    fn codes_are_the_documented_digits() {
        assert_eq!(test_code(6), "123456");
        assert_eq!(test_code(4), "1234");
        assert_eq!(secret("rp_test_secret_verifies"), Some(Secret::Verifies));
        assert_eq!(secret("rp_test_secret_fails"), Some(Secret::Fails));
        assert_eq!(secret("rp_test_secret_spent"), Some(Secret::Spent));
        assert_eq!(secret("rp_test_secret"), None);
    }

    #[test]
    fn a_test_send_reaches_no_one_and_the_failing_key_fails() {
        let d = Dispatch {
            verification_id: "v1".into(),
            attempt: 2,
            channel: Channel::FlashCall,
            phone: crate::phone::normalise("+447400123456", None).unwrap(),
            domain: "shop.example".into(),
            language: None,
            expires_at: Timestamp(0),
            payload: Payload::SendCode { code: test_code(4) },
        };
        let sent = send(TestOutcome::Verifies, &d).unwrap();
        assert_eq!(sent.reference, "test-v1-2");
        assert_eq!(sent.caller_hint.as_deref(), Some("+44207946••••"));
        assert_eq!(
            send(TestOutcome::Fails, &d),
            Err(FailureReason::SmsUndelivered)
        );
    }
}
