//! Following a verification live: the rules the verification's Durable Object applies to the
//! WebSockets of `GET /v1/verifications/{id}/live` (the protocol is `ringproof_api::live`).
//! A socket sees exactly what the status endpoint shows its page, token included, so only the
//! page that started the verification may open one; the id alone is not enough, unlike a
//! status read without an Origin, because browsers always send the Origin of a WebSocket.

use crate::session::Session;
use crate::ApiError;

/// Sockets one verification keeps open. A page needs one; a few more cover reconnects whose
/// old socket the edge has not seen close yet. Past this the oldest are closed, so a script
/// cannot pile sockets onto one object.
pub const MAX_FOLLOWERS: usize = 4;

/// Sockets one verification lists at most, closing ones included: a closed socket stays listed
/// until its client answers the close, and a script need never answer. Past this a new socket
/// is refused.
pub const MAX_LISTED: usize = 2 * MAX_FOLLOWERS;

/// Whether a socket from a page at `origin` may follow `session`.
pub fn may_follow(session: &Session, origin: Option<&str>) -> Result<(), ApiError> {
    match origin {
        Some(o) if o == session.origin => Ok(()),
        _ => Err(ApiError::OriginNotAllowed),
    }
}

/// With `open` sockets already following, how many of the oldest to close before one more is
/// accepted.
pub fn to_replace(open: usize) -> usize {
    (open + 1).saturating_sub(MAX_FOLLOWERS)
}

/// Whether one more socket may be accepted while `listed` are (open or closing).
pub fn may_attach(listed: usize) -> Result<(), ApiError> {
    if listed < MAX_LISTED {
        Ok(())
    } else {
        Err(ApiError::TooManyFollowers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::start;
    use ringproof_api::Channel;

    fn pending_session() -> Session {
        start(Channel::MissedCall).0
    }

    #[test]
    fn only_the_starting_page_follows() {
        let s = pending_session();
        assert_eq!(may_follow(&s, Some(&s.origin.clone())), Ok(()));
        assert_eq!(
            may_follow(&s, Some("https://attacker.example")),
            Err(ApiError::OriginNotAllowed)
        );
        // A socket without an Origin is no browser page: it cannot be the page that started it.
        assert_eq!(may_follow(&s, None), Err(ApiError::OriginNotAllowed));
        // The origin is compared whole: a longer host or another port is another page.
        let longer = format!("{}.attacker.example", s.origin);
        assert_eq!(
            may_follow(&s, Some(&longer)),
            Err(ApiError::OriginNotAllowed)
        );
    }

    #[test]
    fn at_most_four_sockets_follow_one_verification() {
        assert_eq!(to_replace(0), 0);
        assert_eq!(to_replace(3), 0);
        assert_eq!(to_replace(4), 1);
        assert_eq!(to_replace(10), 7);
    }

    /// Sockets closed but never answered still count: eight listed, the ninth is refused.
    #[test]
    fn sockets_that_never_answer_a_close_still_count() {
        assert_eq!(may_attach(0), Ok(()));
        assert_eq!(may_attach(7), Ok(()));
        assert_eq!(may_attach(8), Err(ApiError::TooManyFollowers));
        assert_eq!(ApiError::TooManyFollowers.status(), 429);
        assert!(ApiError::TooManyFollowers.is_defence());
    }
}
