//! Site owners' accounts and their console sign-in.
//!
//! **An account is a verified phone number.** Signing up and signing in are one thing: a
//! Ringproof verification on the console's own site ([`SITE_KEY`]), whose token the console
//! redeems itself; the first sign-in of a number makes its account. The account keeps the
//! number as the history does ([`crate::events::mark`]): a keyed hash, its country and last two
//! digits.
//!
//! A console session is a cookie the edge signs ([`session_cookie`]): it names the account and
//! the account's sign-in epoch, so "sign out everywhere" (the epoch moved on) ends every
//! session at once without a session table. It lives at most [`SESSION_SECS`].

use crate::events::NumberMark;
use crate::signature::{equal, hex, hmac};
use crate::site::Site;
use crate::{ApiError, Timestamp};
use ringproof_api::console::AccountView;
use ringproof_api::{CallbackFormat, Channel, SiteInput, SiteLimits, SiteUpdate};
use serde::Deserialize;

/// The console's own site, on every deployment: its pages are the edge's own.
pub const SITE_KEY: &str = "rp_console";
/// The cookie's name. `__Host-` binds it to the edge's own host, path `/`, and `Secure`.
pub const COOKIE: &str = "__Host-ringproof_console";
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_SECS: u64 = 12 * 3600;
/// What a new account may offer: only the free missed call. Codes cost the operator money, so
/// the operator grants them (`PATCH /console/api/accounts/{id}`).
pub const DEFAULT_CHANNELS: [Channel; 1] = [Channel::MissedCall];
pub const DEFAULT_MAX_ACTIVITIES: u32 = 5;

/// An account as the database keeps it (`accounts`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    pub id: String,
    pub number_hash: String,
    #[serde(default)]
    pub country: Option<String>,
    pub last_two: String,
    /// Milliseconds since 1970.
    pub created_at: i64,
    /// Moves on at "sign out everywhere".
    pub epoch: i64,
    /// Granted channels, comma-separated.
    pub channels: String,
    pub max_activities: i64,
    pub suspended: i64,
}

impl Account {
    pub fn channels(&self) -> Vec<Channel> {
        self.channels
            .split(',')
            .filter_map(|c| Channel::parse(c.trim()))
            .collect()
    }

    pub fn is_suspended(&self) -> bool {
        self.suspended != 0
    }

    /// An activity may offer only granted channels.
    pub fn may_offer(&self, channels: &[Channel]) -> Result<(), ApiError> {
        let granted = self.channels();
        match channels.iter().find(|c| !granted.contains(c)) {
            Some(c) => Err(ApiError::ChannelNotGranted(*c)),
            None => Ok(()),
        }
    }

    /// A suspended account reads, and changes nothing.
    pub fn writable(&self) -> Result<(), ApiError> {
        if self.is_suspended() {
            return Err(ApiError::AccountSuspended);
        }
        Ok(())
    }

    /// Whether the owner may make the activity `input`: never with limits of its own (they
    /// decide what the operator pays for: theirs to grant), and only with granted channels;
    /// none named means every granted one.
    pub fn may_create(&self, input: &mut SiteInput) -> Result<(), ApiError> {
        if input.limits != SiteLimits::default() {
            return Err(ApiError::OperatorOnly);
        }
        self.writable()?;
        let channels = input.channels.get_or_insert_with(|| self.channels());
        self.may_offer(channels)
    }

    /// Whether the owner may apply `change` to an activity of theirs (`suspended`: the
    /// operator suspended it, and what it offers is the operator's to change back).
    pub fn may_change(&self, suspended: bool, change: &SiteUpdate) -> Result<(), ApiError> {
        self.writable()?;
        if suspended {
            return Err(ApiError::ActivitySuspended);
        }
        if let Some(channels) = &change.channels {
            self.may_offer(channels)?;
        }
        if change.limits.is_some() {
            return Err(ApiError::OperatorOnly);
        }
        Ok(())
    }

    fn max_activities(&self) -> u32 {
        u32::try_from(self.max_activities).unwrap_or(0)
    }

    /// The statement that records the activity `site_key` as this account's, only while the
    /// account is under its limit: one statement, so concurrent requests cannot all pass a
    /// count taken before any of them wrote. [`Account::activity_added`] reads what it changed.
    pub fn add_activity(
        &self,
        site_key: &str,
        now: Timestamp,
    ) -> Result<crate::events::Statement, ApiError> {
        use crate::events::Value;
        self.writable()?;
        Ok((
            "INSERT INTO activities (site_key, account_id, created_at) SELECT ?1, ?2, ?3 \
             WHERE (SELECT COUNT(*) FROM activities WHERE account_id = ?2) < ?4",
            vec![
                Value::Text(site_key.to_owned()),
                Value::Text(self.id.clone()),
                Value::Int(now.millis() as i64),
                Value::Int(i64::from(self.max_activities())),
            ],
        ))
    }

    /// After [`Account::add_activity`]'s statement changed `changed` rows: none means the
    /// account was at its limit.
    pub fn activity_added(&self, changed: usize) -> Result<(), ApiError> {
        if changed == 0 {
            return Err(ApiError::TooManyActivities(self.max_activities()));
        }
        Ok(())
    }

    pub fn view(&self, operator: bool, new: bool) -> AccountView {
        AccountView {
            account_id: self.id.clone(),
            number: masked(self.country.as_deref(), &self.last_two),
            country: self.country.clone(),
            created_at: Timestamp(self.created_at.max(0) as u64).to_rfc3339(),
            channels: self.channels(),
            max_activities: self.max_activities(),
            suspended: self.is_suspended(),
            operator,
            may_elevate: false,
            new,
        }
    }
}

/// What a signed-in account may do beyond its own activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Powers {
    /// Suspend activities and set their limits.
    pub operator: bool,
    /// Become the operator by showing the admin token.
    pub may_elevate: bool,
}

impl Powers {
    /// `listed`: the account's number is an operator's; `elevated`: this session has shown the
    /// admin token. An operator's number proves only the number: the operator's powers need
    /// the admin token too, once per session.
    pub fn of(listed: bool, elevated: bool) -> Powers {
        Powers {
            operator: listed && elevated,
            may_elevate: listed && !elevated,
        }
    }
}

/// A number as people are shown it in the console: its country and last two digits.
pub fn masked(country: Option<&str>, last_two: &str) -> String {
    format!("{} ••••••{last_two}", country.unwrap_or("??"))
}

pub fn channel_list(channels: &[Channel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The statement that makes the account of a number seen for the first time (nothing when it
/// exists: two first sign-ins at once make one account).
pub const INSERT: &str = "INSERT INTO accounts (id, number_hash, country, last_two, created_at, \
    epoch, channels, max_activities, suspended) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, 0) \
    ON CONFLICT (number_hash) DO NOTHING";

/// A new account's id: `rp_acct_` and 16 random bytes.
pub fn new_id(rng: &mut impl crate::Randomness) -> String {
    format!("rp_acct_{}", rng.token(16))
}

/// `INSERT`'s values for a new account `id`.
pub fn new_account(id: &str, mark: &NumberMark, now: Timestamp) -> Vec<crate::events::Value> {
    use crate::events::Value;
    vec![
        Value::Text(id.to_owned()),
        Value::Text(mark.hash.clone()),
        mark.country.clone().into(),
        Value::Text(mark.last_two.clone()),
        Value::Int(now.millis() as i64),
        Value::Text(channel_list(&DEFAULT_CHANNELS)),
        Value::Int(i64::from(DEFAULT_MAX_ACTIVITIES)),
    ]
}

/// Test callbacks an account may send in an hour: each makes the edge post to a URL the owner
/// chose, so it must not become a free relay.
pub const TEST_CALLBACKS_PER_HOUR: u32 = 10;

/// The throttle counter of an account's test callbacks, and its rule.
pub fn test_callback_counter(account_id: &str) -> (String, crate::throttle::Rule) {
    (
        format!("console-tests:{account_id}"),
        crate::throttle::Rule::per(TEST_CALLBACKS_PER_HOUR, 3600),
    )
}

/// Reads of the history (figures, the log, its CSV, the deployment's view) one account may ask
/// for in a minute: a person paging through the console asks a few; more is a script, and D1
/// serves every account (and takes every verification's events) one query at a time.
pub const HISTORY_READS_PER_MINUTE: u32 = 120;

/// The throttle counter of an account's history reads, and its rule.
pub fn history_read_counter(account_id: &str) -> (String, crate::throttle::Rule) {
    (
        format!("console-reads:{account_id}"),
        crate::throttle::Rule::per(HISTORY_READS_PER_MINUTE, 60),
    )
}

/// What a suspended account's activities, or a suspended activity, keep: the free missed call,
/// so it spends nothing and its visitors still verify.
pub const SUSPENDED_CHANNELS: [Channel; 1] = [Channel::MissedCall];

/// The channels an activity of `account` may keep: those granted, and the free missed call
/// alone while the account is suspended (it stops spending, and its visitors still verify).
/// Never none: a grant list is never empty, and the missed call is the floor.
pub fn allowed_channels(account: &Account, offered: &[Channel]) -> Vec<Channel> {
    let granted = if account.is_suspended() {
        SUSPENDED_CHANNELS.to_vec()
    } else {
        account.channels()
    };
    let kept: Vec<Channel> = offered
        .iter()
        .copied()
        .filter(|c| granted.contains(c))
        .collect();
    if kept.is_empty() {
        granted.into_iter().take(1).collect()
    } else {
        kept
    }
}

/// Whether `account` is the number of one of the operator's (`OPERATOR_NUMBERS`, E.164,
/// comma-separated); `key` is the token key the numbers are marked with.
pub fn is_operator(account: &Account, key: &[u8], operator_numbers: &str) -> bool {
    operator_numbers
        .split(',')
        .filter_map(|n| crate::phone::normalise(n.trim(), None).ok())
        .any(|n| crate::events::mark(key, &n).hash == account.number_hash)
}

/// What the owner pastes, filled in for their activity on the edge at `base`.
pub fn snippets(base: &str, site_key: &str) -> ringproof_api::console::Snippets {
    ringproof_api::console::Snippets {
        embed: format!(
            "<form action=\"/signup\" method=\"post\">\n  <ringproof-verify site-key=\"{site_key}\" required></ringproof-verify>\n  <button>Sign up</button>\n</form>\n<script src=\"{base}/v1/widget.js\" async></script>"
        ),
        server: format!(
            "curl -s {base}/v1/siteverify \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"secret\": \"'\"$RINGPROOF_SECRET\"'\", \"response\": \"'\"$TOKEN\"'\"}}'"
        ),
    }
}

/// Which site a key names.
#[derive(Debug, Clone, PartialEq)]
pub enum Named {
    /// A test key's, built in (`test_keys`).
    TestKey(Box<Site>),
    /// The console's own ([`console_site`]), made from the deployment.
    Console,
    /// Any other: stored in KV, if it exists.
    Stored,
}

impl Named {
    /// Whether the operator manages it (the admin API): the built-in sites are no one's to
    /// change (a change would write a record, a rotation mint a real secret for a public key).
    pub fn is_managed(&self) -> bool {
        *self == Named::Stored
    }
}

pub fn site_named(site_key: &str) -> Named {
    if let Some(test) = crate::test_keys::site(site_key) {
        return Named::TestKey(Box::new(test));
    }
    if site_key == SITE_KEY {
        return Named::Console;
    }
    Named::Stored
}

/// The console's own site at `base` (the edge's origin): the missed call only, since signing
/// in must not cost anyone money, and no callback (the console redeems its tokens itself).
pub fn console_site(base: &str, inbound_numbers: Vec<String>) -> Site {
    Site {
        site_key: SITE_KEY.to_owned(),
        title: "Ringproof console".to_owned(),
        // No secret hashes to this: the console redeems its tokens inside the edge.
        secret_hash: String::new(),
        secret_salt: None,
        allowed_origins: vec![base.to_owned()],
        callback_url: None,
        callback_format: CallbackFormat::default(),
        allowed_countries: vec![],
        activity_token_id: String::new(),
        api_key_hash: String::new(),
        channels: DEFAULT_CHANNELS.to_vec(),
        inbound_numbers,
        sends_per_number_per_hour: crate::site::DEFAULT_SENDS_PER_NUMBER_PER_HOUR,
        limits: SiteLimits::default(),
        turnstile_secret: None,
        owner: None,
        test: None,
    }
}

/// Who a valid session cookie names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub account_id: String,
    pub epoch: i64,
    /// The session proved the deployment's `ADMIN_TOKEN` too: an operator's number alone
    /// (a caller id can be spoofed) never carries the operator's powers.
    pub elevated: bool,
}

impl Claim {
    /// The account this session is of, if it still is: "sign out everywhere" moved the
    /// account's epoch on past every cookie made before.
    pub fn holds(&self, account: Option<Account>) -> Result<Account, ApiError> {
        account
            .filter(|a| a.id == self.account_id && a.epoch == self.epoch)
            .ok_or(ApiError::SignInRequired)
    }
}

/// The number a console sign-in proved: a token the console's site redeemed, read from its
/// siteverify answer. Anything else signs no one in.
pub fn signed_in_number(
    answer: &ringproof_api::SiteverifyResponse,
) -> Result<crate::phone::E164, ApiError> {
    answer
        .phone
        .as_deref()
        .filter(|_| answer.success)
        .and_then(|p| crate::phone::normalise(p, None).ok())
        .ok_or(ApiError::Unauthorized)
}

fn session_key(token_key: &[u8]) -> [u8; 32] {
    hmac(token_key, &[b"ringproof console session"])
}

fn session_mac(key: &[u8], account_id: &str, epoch: i64, elevated: bool, until: u64) -> String {
    let signed = format!("{account_id}.{epoch}.{}.{until}", u8::from(elevated));
    hex(&hmac(&session_key(key), &[signed.as_bytes()]))
}

/// The cookie's value for `account`, signed with the deployment's token key.
pub fn session_cookie(
    token_key: &[u8],
    account: &Account,
    elevated: bool,
    now: Timestamp,
) -> String {
    let until = now.secs() + SESSION_SECS;
    let mac = session_mac(token_key, &account.id, account.epoch, elevated, until);
    format!(
        "{}.{}.{}.{until}.{mac}",
        account.id,
        account.epoch,
        u8::from(elevated)
    )
}

/// The account a cookie's value names, if its signature holds and it has not run out. The
/// caller still compares the epoch with the account's.
pub fn read_session(token_key: &[u8], value: &str, now: Timestamp) -> Option<Claim> {
    let mut parts = value.split('.');
    let (id, epoch, elevated, until, mac) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || !crate::keys::is_id(id) {
        return None;
    }
    let elevated = match elevated {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let (epoch, until): (i64, u64) = (epoch.parse().ok()?, until.parse().ok()?);
    let expected = session_mac(token_key, id, epoch, elevated, until);
    if !equal(expected.as_bytes(), mac.as_bytes()) || now.secs() >= until {
        return None;
    }
    // A value signed for longer than a session lasts was not made by this code.
    if until > now.secs() + SESSION_SECS {
        return None;
    }
    Some(Claim {
        account_id: id.to_owned(),
        epoch,
        elevated,
    })
}

/// `Set-Cookie` for a new session: script cannot read it, no other site's request carries it.
pub fn set_cookie(value: &str) -> String {
    format!("{COOKIE}={value}; Path=/; Max-Age={SESSION_SECS}; HttpOnly; Secure; SameSite=Strict")
}

/// `Set-Cookie` that ends the session in this browser.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The session cookie's value in a `Cookie` header.
pub fn cookie_in(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE).then_some(value)
    })
}

pub mod tables;

#[cfg(test)]
mod tests;
