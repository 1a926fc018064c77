//! The bounds on the ids and secrets callers hand us. Anything outside them cannot name a
//! record, so it is refused (or simply not found) before any storage is asked.

use crate::error::ApiError;

/// A ClientTransactionId, chosen by the site: OneRing allows any text, we bound its length.
pub const CLIENT_TRANSACTION_ID_MAX: usize = 128;
/// A provider's id for a call or message. Ours to bound: providers use 20 to 40 characters.
pub const REFERENCE_MAX: usize = 200;
/// A site secret as presented; the real ones are 43 characters.
pub const SECRET_MAX: usize = 200;

/// A new verification's id: 16 random bytes, unguessable, as every id of ours.
pub fn new_verification_id(rng: &mut impl crate::Randomness) -> String {
    rng.token(16)
}

/// A verification id as it may appear in a path: one of our own ids.
pub fn is_verification_id(s: &str) -> bool {
    crate::keys::is_id(s)
}

/// A ClientTransactionId given to start a verification.
pub fn client_transaction_id(s: &str) -> Result<&str, ApiError> {
    if is_client_transaction_id(s) {
        Ok(s)
    } else {
        Err(ApiError::InvalidRequest(format!(
            "client_transaction_id must be 1 to {CLIENT_TRANSACTION_ID_MAX} characters"
        )))
    }
}

/// Whether `s` could name a transaction at all (lookups answer "not found" otherwise).
pub fn is_client_transaction_id(s: &str) -> bool {
    (1..=CLIENT_TRANSACTION_ID_MAX).contains(&s.len())
}

/// Turnstile's bounds on a widget's `action` and `cdata`.
pub const ACTION_MAX: usize = 32;
pub const CDATA_MAX: usize = 255;

/// A page's `action` (`name` is `"action"`) or `cdata`: what siteverify will echo, so only
/// `A-Z a-z 0-9 _ -`, as Turnstile allows, and nothing the site's server could mistake for
/// markup.
pub fn page_label(name: &str, s: &str) -> Result<(), ApiError> {
    let max = if name == "action" {
        ACTION_MAX
    } else {
        CDATA_MAX
    };
    let fits = (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(format!(
            "{name} must be 1 to {max} of A-Z, a-z, 0-9, _ and -"
        )))
    }
}

pub fn is_reference(s: &str) -> bool {
    (1..=REFERENCE_MAX).contains(&s.len())
}

pub fn is_secret(s: &str) -> bool {
    (1..=SECRET_MAX).contains(&s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_verification_id_is_one_of_ours_and_random() {
        use crate::random::testing::Seeded;
        let id = new_verification_id(&mut Seeded(1));
        assert!(is_verification_id(&id), "{id}");
        assert_ne!(id, new_verification_id(&mut Seeded(2)));
    }

    #[test]
    fn action_and_cdata_take_turnstiles_characters_and_lengths() {
        assert!(page_label("action", "sign-up_2").is_ok());
        assert!(page_label("action", &"a".repeat(32)).is_ok());
        assert!(page_label("action", &"a".repeat(33)).is_err());
        assert!(page_label("cdata", &"a".repeat(255)).is_ok());
        assert!(page_label("cdata", &"a".repeat(256)).is_err());
        for bad in ["", "a b", "<script>", "é", "a.b"] {
            assert!(page_label("cdata", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bounds_hold_at_their_edges() {
        assert!(is_verification_id(&"a".repeat(64)));
        assert!(!is_verification_id(&"a".repeat(65)));
        assert!(!is_verification_id(""));
        assert!(!is_verification_id("../x"));
        assert!(client_transaction_id(&"x".repeat(128)).is_ok());
        let e = client_transaction_id(&"x".repeat(129)).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        assert!(client_transaction_id("").is_err());
        assert!(is_reference(&"r".repeat(200)) && !is_reference(&"r".repeat(201)));
        assert!(is_secret("s") && !is_secret("") && !is_secret(&"s".repeat(201)));
    }
}
