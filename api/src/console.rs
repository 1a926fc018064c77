//! The console's API (`/console/api/…`): what a signed-in site owner sends and is shown.

use crate::{Channel, CreatedSite, SiteView};
use serde::{Deserialize, Serialize};

/// `POST /console/api/session`: a token from a verification on the console's own site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    pub token: String,
}

/// Who is signed in. The number is shown masked: its country and last two digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub account_id: String,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub created_at: String,
    /// Channels this account's activities may offer: the free missed call until the operator
    /// grants more.
    pub channels: Vec<Channel>,
    pub max_activities: u32,
    pub suspended: bool,
    /// Listed in the deployment's `OPERATOR_NUMBERS` and proved the `ADMIN_TOKEN` in this
    /// session (`POST /console/api/elevate`): sees every account.
    pub operator: bool,
    /// Listed in `OPERATOR_NUMBERS` but not yet proved the `ADMIN_TOKEN` in this session.
    #[serde(default)]
    pub may_elevate: bool,
    /// Whether this sign-in is new (the account was made by it).
    #[serde(default)]
    pub new: bool,
}

/// `POST /console/api/elevate`: the operator proves the deployment's admin token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Elevate {
    pub admin_token: String,
}

/// `PATCH /console/api/activities/{site_key}/suspension`, the operator's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Suspension {
    pub suspended: bool,
}

/// `PATCH /console/api/accounts/{id}`, the operator's grants; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Grant {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<Channel>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_activities: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
}

/// What a site owner copies into their pages and server once an activity exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snippets {
    /// The script tag and the element, for the page.
    pub embed: String,
    /// The site's server redeeming the token (curl).
    pub server: String,
}

/// `201` to `POST /console/api/activities`: the secrets shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedActivity {
    #[serde(flatten)]
    pub created: CreatedSite,
    pub snippets: Snippets,
}

/// An activity in the owner's list: shaped as [`CreatedActivity`], without the secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    pub site: SiteView,
    pub snippets: Snippets,
    /// The operator suspended it: it offers the free missed call only, and its owner cannot
    /// change its settings until the suspension is lifted.
    #[serde(default)]
    pub suspended: bool,
}

/// The funnel of one activity over a period: verifications that reached each step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub started: u64,
    /// A code sent, or a number to call shown.
    pub sent: u64,
    /// The code reached the phone (or the call came).
    pub delivered: u64,
    pub verified: u64,
    /// The site's server redeemed the token.
    pub redeemed: u64,
}

/// One channel's or one country's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The channel or the ISO country (`??` when the numbering plan names none).
    pub key: String,
    /// Verifications (per channel: attempts) that began there.
    pub started: u64,
    pub verified: u64,
    /// `verified / started`, 0 when nothing started.
    pub conversion: f64,
    /// Median seconds from start to verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    pub currency: String,
    /// In the currency's units, as decimal text (`0.0150`).
    pub total: String,
    /// `total` over the period's verified numbers, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_verified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

/// A verification whose callback has not been delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailingCallback {
    pub verification_id: String,
    pub attempts: u64,
    /// The last attempt's outcome (`http_500`, `timeout`, …).
    pub last_outcome: String,
    pub last_at: String,
}

/// One day of the line chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub started: u64,
    pub verified: u64,
    /// What providers charged that day (`0.0000` when nothing).
    #[serde(default)]
    pub cost: String,
}

/// An alert raised for the activity (see the README's "Alerts").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    /// `pumping` or `delivery_stopped`.
    pub kind: String,
    /// The country (pumping) or the channel.
    pub key: String,
    pub summary: String,
    pub opened_at: String,
    pub last_seen_at: String,
    /// Still seen within the last day.
    pub open: bool,
    /// What came of telling the callback URL (`delivered`, `http_500`, `no_callback_url`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub told: Option<String>,
}

/// `GET /console/api/activities/{site_key}/insights?days=N`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insights {
    pub site_key: String,
    pub from: String,
    pub to: String,
    pub funnel: Funnel,
    pub by_channel: Vec<Breakdown>,
    pub by_country: Vec<Breakdown>,
    pub spend: Vec<Spend>,
    /// Requests a defence refused, by the refusal's code.
    pub refusals: Vec<Count>,
    pub failing_callbacks: Vec<FailingCallback>,
    pub days: Vec<Day>,
    /// Alerts seen in the period, newest first.
    #[serde(default)]
    pub alerts: Vec<AlertView>,
}

/// One line of the verification log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedVerification {
    pub verification_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_transaction_id: Option<String>,
    /// Country and last two digits only: `GB ••••••56`.
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The channel that verified it, else the first tried.
    pub channel: String,
    /// `verified`, `failed`, `expired` or `pending`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    pub redeemed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// A request as the edge sent it, for the owner to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// `POST /console/api/activities/{site_key}/test-callback`: what was sent and how the site
/// answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCallback {
    pub request: SentRequest,
    /// The site's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `timeout` or `unreachable` when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The start of the site's answer (at most 2,000 characters).
    #[serde(default)]
    pub answer: String,
    pub delivered: bool,
    pub duration_ms: u64,
}

/// One activity's figures in the operator's view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityFigures {
    pub site_key: String,
    #[serde(default)]
    pub title: String,
    /// The owner's account, none for the operator's own sites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub started: u64,
    pub verified: u64,
    pub cost: String,
    pub refused: u64,
    /// The activity's daily spend cap, in its spend currency.
    pub daily_spend_cap: String,
    pub spend_currency: String,
    /// Suspended by the operator (self-service activities only).
    #[serde(default)]
    pub suspended: bool,
    /// The countries whose numbers it may send codes to; none: every country it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_countries: Option<Vec<String>>,
}

/// `GET /console/api/deployment?days=N`: the operator's view of everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// The whole deployment's figures (`site_key` is `*`).
    pub insights: Insights,
    pub activities: Vec<ActivityFigures>,
    pub accounts: Vec<AccountView>,
    /// Each code provider and whether the deployment has its credentials.
    pub providers: Vec<ProviderStatus>,
    /// Each provider's circuit breaker per country that has something to say (closed and
    /// quiet ones are left out), as `GET /v1/admin/providers`.
    pub breakers: Vec<BreakerStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderStatus {
    pub provider: String,
    pub channel: Channel,
    pub configured: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerStatus {
    pub provider: String,
    pub country: String,
    /// `closed`, `open` or `probing`.
    pub state: String,
    pub failures_in_row: u32,
    pub keeps_failing: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}
