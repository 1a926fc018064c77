//! The console's two tables in D1, `accounts` and `activities`: every statement the edge runs
//! on them, and the rows it reads back. D1 is the record of who owns what; KV holds the sites.

use super::{channel_list, Account};
pub use crate::events::Statement;
use crate::events::Value;
use crate::ApiError;
use ringproof_api::console::Grant;
use serde::Deserialize;

/// Every account, oldest first (the operator's list).
pub const ALL_ACCOUNTS: &str = "SELECT * FROM accounts ORDER BY created_at";
/// Every self-service activity and its owner (the operator's view of the deployment).
pub const ALL_ACTIVITIES: &str = "SELECT site_key, account_id, suspended FROM activities";

pub fn account(id: &str) -> Statement {
    (
        "SELECT * FROM accounts WHERE id = ?1",
        vec![Value::Text(id.to_owned())],
    )
}

/// The account of the number whose mark's hash is `number_hash`.
pub fn account_of_number(number_hash: &str) -> Statement {
    (
        "SELECT * FROM accounts WHERE number_hash = ?1",
        vec![Value::Text(number_hash.to_owned())],
    )
}

/// Ends every session of the account: each cookie names the epoch it was made in.
pub fn sign_out_everywhere(account_id: &str) -> Statement {
    (
        "UPDATE accounts SET epoch = epoch + 1 WHERE id = ?1",
        vec![Value::Text(account_id.to_owned())],
    )
}

/// The operator's `change` to `account`: what it names replaces the account's, the rest
/// stays. An account offers at least one channel; to offer none is to suspend it.
pub fn grant(account: &Account, change: &Grant) -> Result<Statement, ApiError> {
    if change.channels.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::InvalidRequest(
            "an account offers at least one channel: suspend it instead".into(),
        ));
    }
    let channels = change
        .channels
        .as_deref()
        .map(channel_list)
        .unwrap_or_else(|| account.channels.clone());
    let max = change
        .max_activities
        .map(i64::from)
        .unwrap_or(account.max_activities);
    let suspended = change.suspended.map(i64::from).unwrap_or(account.suspended);
    Ok((
        "UPDATE accounts SET channels = ?2, max_activities = ?3, suspended = ?4 WHERE id = ?1",
        vec![
            Value::Text(account.id.clone()),
            Value::Text(channels),
            Value::Int(max),
            Value::Int(suspended),
        ],
    ))
}

/// A row of `activities`: a self-service site and whether the operator suspended it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivityRow {
    pub site_key: String,
    /// Only in [`ALL_ACTIVITIES`]'s rows.
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    suspended: i64,
}

impl ActivityRow {
    pub fn is_suspended(&self) -> bool {
        self.suspended != 0
    }
}

/// The activity `site_key`, if it is self-service.
pub fn activity(site_key: &str) -> Statement {
    (
        "SELECT site_key, suspended FROM activities WHERE site_key = ?1",
        vec![Value::Text(site_key.to_owned())],
    )
}

/// The activity `site_key`, if `account_id` owns it.
pub fn owned_activity(site_key: &str, account_id: &str) -> Statement {
    (
        "SELECT site_key, suspended FROM activities WHERE site_key = ?1 AND account_id = ?2",
        vec![
            Value::Text(site_key.to_owned()),
            Value::Text(account_id.to_owned()),
        ],
    )
}

/// The account's activities, oldest first.
pub fn owned_activities(account_id: &str) -> Statement {
    (
        "SELECT site_key, suspended FROM activities WHERE account_id = ?1 ORDER BY created_at",
        vec![Value::Text(account_id.to_owned())],
    )
}

pub fn suspend_activity(site_key: &str, suspended: bool) -> Statement {
    (
        "UPDATE activities SET suspended = ?2 WHERE site_key = ?1",
        vec![
            Value::Text(site_key.to_owned()),
            Value::Int(i64::from(suspended)),
        ],
    )
}

/// Forgets the activity `site_key`: its site is gone, or was never stored.
pub fn forget_activity(site_key: &str) -> Statement {
    (
        "DELETE FROM activities WHERE site_key = ?1",
        vec![Value::Text(site_key.to_owned())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_replaces_what_it_names_and_never_leaves_no_channel() {
        let a = Account {
            id: "rp_acct_a".into(),
            number_hash: "h".into(),
            country: None,
            last_two: "12".into(),
            created_at: 0,
            epoch: 0,
            channels: "missed_call".into(),
            max_activities: 2,
            suspended: 0,
        };
        let none = Grant {
            channels: None,
            max_activities: None,
            suspended: None,
        };
        let (sql, values) = grant(&a, &none).unwrap();
        assert!(sql.starts_with("UPDATE accounts"));
        assert_eq!(
            values,
            [
                Value::Text("rp_acct_a".into()),
                Value::Text("missed_call".into()),
                Value::Int(2),
                Value::Int(0)
            ]
        );
        let more = Grant {
            channels: Some(vec![
                ringproof_api::Channel::MissedCall,
                ringproof_api::Channel::Sms,
            ]),
            max_activities: Some(5),
            suspended: Some(true),
        };
        let (_, values) = grant(&a, &more).unwrap();
        assert_eq!(values[1], Value::Text("missed_call,sms".into()));
        assert_eq!((&values[2], &values[3]), (&Value::Int(5), &Value::Int(1)));
        let empty = Grant {
            channels: Some(vec![]),
            ..none
        };
        assert_eq!(
            grant(&a, &empty).map(|_| ()).unwrap_err().code(),
            "invalid_request"
        );
    }

    #[test]
    fn activity_rows_read_with_or_without_their_owner() {
        let row: ActivityRow =
            serde_json::from_str(r#"{"site_key":"rp_site_a","suspended":1}"#).unwrap();
        assert!(row.is_suspended());
        assert_eq!(row.account_id, "");
        let row: ActivityRow = serde_json::from_str(
            r#"{"site_key":"rp_site_a","account_id":"rp_acct_a","suspended":0}"#,
        )
        .unwrap();
        assert!(!row.is_suspended());
        assert_eq!(row.account_id, "rp_acct_a");
    }
}
