//! A start, decided: which channel a verification starts on, what the edge looks at first, and
//! what it does when a number is locked or the lines are busy. The edge asks these in order and
//! runs what each round needs at once (`edge/src/flow.rs`); it decides none of it.

use crate::phone::{self, E164};
use crate::site::Site;
use crate::{ids, ApiError};
use ringproof_api::Channel;

/// What a caller asks to start, whichever API it came through.
pub struct Start<'a> {
    pub phone: &'a str,
    pub country: Option<&'a str>,
    /// The site's first channel when `None`.
    pub channel: Option<Channel>,
    pub client_transaction_id: Option<String>,
    /// Proves the site's server chose the id (the edge's `flow::transaction_bound`).
    pub client_transaction_signature: Option<&'a str>,
    /// The caller has already established that the site's server chose the id.
    pub ctid_trusted: bool,
    /// The page's solved challenge, required before any attempt a page asks for.
    pub proof: Option<&'a str>,
    /// The site's own server asks (with its secret): it pays no proof of work.
    pub from_server: bool,
    /// What texts are written in, when the caller named a language we have.
    pub language: Option<crate::texts::Language>,
    /// The page's labels, echoed by siteverify (checked here).
    pub action: Option<String>,
    pub cdata: Option<String>,
}

/// A start checked against its site, before anything is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub phone: E164,
    pub offer: Offer,
    /// The channel it starts on.
    pub channel: Channel,
}

impl Start<'_> {
    /// What the start asks, checked against `site` before anything is read or counted: a
    /// channel it names must be one the site has, the page's labels well formed, the number
    /// readable and of a country the site accepts.
    pub fn checked(&self, site: &Site) -> Result<Checked, ApiError> {
        Offer::check_named(site, self.channel)?;
        for (name, label) in [("action", &self.action), ("cdata", &self.cdata)] {
            if let Some(label) = label {
                ids::page_label(name, label)?;
            }
        }
        let phone = phone::normalise(self.phone, self.country)?;
        let region = phone.region();
        if !site.accepts_region(region.as_deref()) {
            return Err(ApiError::CountryNotAllowed);
        }
        let offer = Offer::new(site, self.channel, region.as_deref());
        let channel = offer.channel()?;
        Ok(Checked {
            phone,
            offer,
            channel,
        })
    }

    /// The ClientTransactionId the start binds, if any: well formed, and chosen by the site's
    /// server (so no page can squat the site's ids): trusted by the API it came through, or
    /// carrying the server's signature, which `signed(id, signature)` checks.
    pub fn transaction_id(
        &self,
        signed: impl FnOnce(&str, Option<&str>) -> bool,
    ) -> Result<Option<&str>, ApiError> {
        let Some(id) = self.client_transaction_id.as_deref() else {
            return Ok(None);
        };
        ids::client_transaction_id(id)?;
        if !self.ctid_trusted && !signed(id, self.client_transaction_signature) {
            return Err(ApiError::TransactionUnsigned);
        }
        Ok(Some(id))
    }

    /// Every attempt a page asks for pays a proof of work, the free missed call too (its lines
    /// are scarce); the site's own server, which carries its secret, pays none.
    pub fn pays_proof(&self) -> bool {
        !self.from_server
    }
}

/// What a start may use: the site's channels that the number's country allows, in the
/// site's order. Paid channels only where the site pays for the country (Geo Permissions);
/// the free missed call stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The channel the caller named, if any.
    pub requested: Option<Channel>,
    pub channels: Vec<Channel>,
}

impl Offer {
    /// Refuses a channel the site does not have at all, before anything else is read.
    pub fn check_named(site: &Site, requested: Option<Channel>) -> Result<(), ApiError> {
        match requested.filter(|c| !site.offers(*c)) {
            Some(c) => Err(ApiError::ChannelNotAvailable(c)),
            None => Ok(()),
        }
    }

    /// What a number of `region` may start with on `site`.
    pub fn new(site: &Site, requested: Option<Channel>, region: Option<&str>) -> Offer {
        Offer {
            requested,
            channels: site.limits().channels_for(&site.channels, region),
        }
    }

    /// The channel to start on, before any lock is known: the one named, or the site's first
    /// allowed. A named paid channel the country does not allow is refused, not replaced.
    pub fn channel(&self) -> Result<Channel, ApiError> {
        match self.requested {
            Some(c) if self.channels.contains(&c) => Ok(c),
            Some(_) => Err(ApiError::PaidChannelNotAllowed),
            None => self
                .channels
                .first()
                .copied()
                .ok_or(ApiError::PaidChannelNotAllowed),
        }
    }

    /// Whether the number's wrong-code locks are looked at: before a code is sent, on a real
    /// site (a test key's public code proves nothing, so it never locks anyone).
    pub fn looks_at_locks(channel: Channel, test: bool) -> bool {
        channel != Channel::MissedCall && !test
    }

    /// The channel once the locks are known. A locked number is told so before it is texted;
    /// when the caller named no channel, the missed call (which needs no code) is no dead end.
    pub fn after_locks(&self, channel: Channel, locked: Option<u64>) -> Result<Channel, ApiError> {
        match locked {
            None => Ok(channel),
            Some(_) if self.requested.is_none() && self.channels.contains(&Channel::MissedCall) => {
                Ok(Channel::MissedCall)
            }
            Some(wait) => Err(ApiError::NumberLocked(wait)),
        }
    }

    /// What a start's round one comes to, refused in the order its steps were once taken one
    /// by one: the proof and the client's starts, the ClientTransactionId, the number's locks
    /// (after which `after_locks` says the channel).
    pub fn after_round_one(&self, channel: Channel, one: RoundOne) -> Result<Channel, ApiError> {
        one.counted?;
        if one.duplicate? {
            return Err(ApiError::DuplicateTransaction);
        }
        let locked = match one.locked {
            Ok(()) => None,
            Err(ApiError::NumberLocked(wait)) => Some(wait),
            Err(e) => return Err(e),
        };
        self.after_locks(channel, locked)
    }

    /// Whether a missed call whose lines are all busy still starts (failed as `no_free_line`,
    /// the visitor offered the other ways): only when the caller named no channel and there
    /// is another. A caller that named the missed call (OneRing's API) is told the lines are
    /// busy.
    pub fn starts_without_line(&self) -> bool {
        self.requested.is_none() && self.channels.len() > 1
    }
}

/// What a start's first round of object calls answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundOne {
    /// The proof spent and the client's start counted.
    pub counted: Result<(), ApiError>,
    /// Whether the ClientTransactionId is held by another verification (`false` when none was
    /// named).
    pub duplicate: Result<bool, ApiError>,
    /// The number's wrong-code locks, looked at.
    pub locked: Result<(), ApiError>,
}

/// Whether another attempt (a resend or a switch) on `channel` must bring a fresh Turnstile
/// token, on a site that has Turnstile: one token per paid attempt, so a token bought once
/// cannot pay for every resend.
pub fn another_asks_turnstile(channel: Channel) -> bool {
    crate::limits::is_paid(channel)
}

#[cfg(test)]
mod tests;
