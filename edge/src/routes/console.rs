//! `/console/api/…`: the site owners' console. Every route but sign-in needs the session
//! cookie; an owner reaches only their own activities (another account's is `not_found`,
//! exactly as a key that does not exist); the operator's routes need an operator's account.

use crate::durable::callback::CallbackStub;
use crate::durable::health::{self, HealthStub};
use crate::durable::verification::VerificationStub;
use crate::env::{
    callback_timeout, deployment, now, secret, site_secret_key, token_key, CryptoRng,
};
use crate::error::Outcome;
use crate::history;
use crate::http::{self, parse_json};
use crate::kv;
use crate::outbound;
use crate::request::{query, Ctx};
use crate::routes::admin::inbound_pool;
use crate::sites;
use futures_util::future::join_all;
use ringproof_api::console::{
    ActivityFigures, ActivityView, BreakerStatus, CreatedActivity, Deployment, Elevate, Grant,
    Insights, LoggedVerification, ProviderStatus, SentRequest, SignIn, Suspension, TestCallback,
};
use ringproof_api::{SiteInput, SiteUpdate};
use ringproof_core::accounts::tables::{self, ActivityRow};
use ringproof_core::accounts::{self, Account};
use ringproof_core::callback::Unsent;
use ringproof_core::events;
use ringproof_core::insights::{self, Period};
use ringproof_core::keys::SiteByKey;
use ringproof_core::providers::ProviderId;
use ringproof_core::site::Site;
use ringproof_core::{admin, alerts, callback, siteverify, ApiError};
use worker::{Method, Request, Response};

/// Routes a console request; `rest` is the path after `/console/api`.
pub async fn handle(
    req: &mut Request,
    ctx: &Ctx<'_>,
    method: Method,
    rest: &[&str],
) -> Outcome<Response> {
    use Method::{Delete, Get, Patch, Post};
    if method != Get {
        same_origin(req, ctx)?;
    }
    if let (Post, ["session"]) = (&method, rest) {
        return sign_in(req, ctx).await;
    }
    if let (Delete, ["session"]) = (&method, rest) {
        return Ok(with_cookie(
            http::json(200, &serde_json::json!({})),
            &accounts::clear_cookie(),
        ));
    }
    let (account, listed, elevated) = signed_in(req, ctx).await?;
    let powers = accounts::Powers::of(listed, elevated);
    let operator = powers.operator;
    match (method, rest) {
        (Get, ["me"]) => {
            let mut view = account.view(operator, false);
            view.may_elevate = powers.may_elevate;
            Ok(http::json(200, &view))
        }
        (Post, ["elevate"]) if listed => elevate(req, ctx, &account).await,
        (Post, ["elevate"]) => Err(ApiError::OperatorOnly),
        (Post, ["sign-out-everywhere"]) => {
            history::run(ctx.env, &[tables::sign_out_everywhere(&account.id)]).await?;
            let body = http::json(200, &serde_json::json!({}));
            Ok(with_cookie(body, &accounts::clear_cookie()))
        }
        (Get, ["activities"]) => list(ctx, &account).await,
        (Post, ["activities"]) => create(req, ctx, &account).await,
        (Get, ["activities", key]) => {
            let owned = owned(ctx, &account, key).await?;
            Ok(http::json(
                200,
                &activity(ctx, &owned.site, owned.suspended),
            ))
        }
        (Patch, ["activities", key, "suspension"]) if operator => suspend(req, ctx, key).await,
        (Patch, ["activities", _, "suspension"]) => Err(ApiError::OperatorOnly),
        (Patch, ["activities", key, "limits"]) if operator => set_limits(req, ctx, key).await,
        (Patch, ["activities", _, "limits"]) => Err(ApiError::OperatorOnly),
        (Patch, ["activities", key]) => {
            let owned = owned(ctx, &account, key).await?;
            let change: SiteUpdate = parse_json(&http::body_text(req).await?)?;
            account.may_change(owned.suspended, &change)?;
            let current = owned.site;
            let master = site_secret_key(ctx.env)?;
            let mut site = admin::update(
                &current,
                change,
                deployment(ctx.env),
                &mut CryptoRng,
                &master,
            )?;
            // The grant as D1 has it now, whatever this location's KV still remembers.
            site.channels = accounts::allowed_channels(&account, &site.channels);
            sites::save(ctx.env, &site).await?;
            Ok(http::json(200, &activity(ctx, &site, false)))
        }
        (Delete, ["activities", key]) => {
            let site = owned(ctx, &account, key).await?.site;
            sites::remove(ctx.env, &site).await?;
            history::run(ctx.env, &[tables::forget_activity(&site.site_key)]).await?;
            Ok(http::json(
                200,
                &serde_json::json!({ "deleted": site.site_key }),
            ))
        }
        (Post, ["activities", key, "rotate-secret"]) => {
            let mut site = owned(ctx, &account, key).await?.site;
            account.writable()?;
            Ok(http::json(200, &sites::rotate(ctx.env, &mut site).await?))
        }
        (Get, ["activities", key, "insights"]) => {
            let site = owned(ctx, &account, key).await?.site;
            reading(ctx, &account).await?;
            insights(ctx, &site).await
        }
        (Post, ["activities", key, "test-callback"]) => {
            let site = owned(ctx, &account, key).await?.site;
            account.writable()?;
            test_callback(ctx, &site, &account).await
        }
        (Post, ["activities", key, "callbacks", verification, "again"]) => {
            let site = owned(ctx, &account, key).await?.site;
            account.writable()?;
            let stub = CallbackStub::named(ctx.env, *verification);
            let theirs = stub.get().await?.and_then(|d| d.of_site(&site.site_key));
            if theirs.is_none() {
                return Err(ApiError::NotFound);
            }
            let again = stub.again().await?;
            Ok(http::json(200, &serde_json::json!({ "again": again })))
        }
        (Get, ["activities", key, "verifications"]) => {
            let site = owned(ctx, &account, key).await?.site;
            reading(ctx, &account).await?;
            log(ctx, &site).await
        }
        (Get, ["deployment"]) if operator => {
            reading(ctx, &account).await?;
            whole_deployment(ctx).await
        }
        (Get, ["deployment"]) => Err(ApiError::OperatorOnly),
        (Get, ["accounts"]) if operator => {
            let all: Vec<Account> = history::rows(ctx.env, tables::ALL_ACCOUNTS, &[]).await?;
            let views: Vec<_> = all.iter().map(|a| a.view(false, false)).collect();
            Ok(http::json(200, &views))
        }
        (Patch, ["accounts", id]) if operator => grant(req, ctx, id).await,
        (_, ["accounts", ..]) => Err(ApiError::OperatorOnly),
        _ => Err(ApiError::NotFound),
    }
}

/// A change must come from the console's own page (`origin::console_page`).
fn same_origin(req: &Request, ctx: &Ctx<'_>) -> Outcome<()> {
    let page = req.headers().get("Origin").ok().flatten();
    ringproof_core::origin::console_page(page.as_deref(), &ctx.base)
}

fn with_cookie(r: Response, cookie: &str) -> Response {
    let _ = r.headers().set("Set-Cookie", cookie);
    r
}

/// The account of the session cookie, whether its number is an operator's, and whether the
/// session proved the admin token.
async fn signed_in(req: &Request, ctx: &Ctx<'_>) -> Outcome<(Account, bool, bool)> {
    let header = req
        .headers()
        .get("Cookie")
        .ok()
        .flatten()
        .unwrap_or_default();
    let key = token_key(ctx.env)?;
    let claim = accounts::cookie_in(&header)
        .and_then(|v| accounts::read_session(&key, v, now()))
        .ok_or(ApiError::SignInRequired)?;
    let account = claim.holds(load_account(ctx, &claim.account_id).await?)?;
    let listed = accounts::is_operator(&account, &key, &operators(ctx));
    Ok((account, listed, claim.elevated))
}

/// `POST /console/api/elevate {admin_token}`: an operator's session takes the operator's
/// powers by proving the deployment's `ADMIN_TOKEN`, compared in constant time.
async fn elevate(req: &mut Request, ctx: &Ctx<'_>, account: &Account) -> Outcome<Response> {
    let input: Elevate = parse_json(&http::body_text(req).await?)?;
    let expected = secret(ctx.env, "ADMIN_TOKEN").map_err(|_| ApiError::Unauthorized)?;
    if !ringproof_core::secret::equal(input.admin_token.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    let key = token_key(ctx.env)?;
    let cookie = accounts::set_cookie(&accounts::session_cookie(&key, account, true, now()));
    Ok(with_cookie(
        http::json(200, &account.view(true, false)),
        &cookie,
    ))
}

fn operators(ctx: &Ctx<'_>) -> String {
    secret(ctx.env, "OPERATOR_NUMBERS").unwrap_or_default()
}

async fn load_account(ctx: &Ctx<'_>, id: &str) -> Outcome<Option<Account>> {
    first(ctx, tables::account(id)).await
}

/// The first row `statement` reads, if any.
async fn first<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    (sql, values): tables::Statement,
) -> Outcome<Option<T>> {
    let rows: Vec<T> = history::rows(ctx.env, sql, &values).await?;
    Ok(rows.into_iter().next())
}

/// `POST /console/api/session {token}`: the token of a verification on the console's own site,
/// redeemed here (once, like any token). Its number's account, made if it is new.
async fn sign_in(req: &mut Request, ctx: &Ctx<'_>) -> Outcome<Response> {
    let input: SignIn = parse_json(&http::body_text(req).await?)?;
    let id = siteverify::verification_of(&input.token).map_err(|_| ApiError::Unauthorized)?;
    let answer = VerificationStub::named(ctx.env, id)
        .redeem(input.token.clone(), accounts::SITE_KEY.to_owned())
        .await?;
    let number = accounts::signed_in_number(&answer)?;
    let key = token_key(ctx.env)?;
    let mark = events::mark(&key, &number);
    let fresh_id = accounts::new_id(&mut CryptoRng);
    history::run(
        ctx.env,
        &[(
            accounts::INSERT,
            accounts::new_account(&fresh_id, &mark, now()),
        )],
    )
    .await?;
    let account: Account = first(ctx, tables::account_of_number(&mark.hash))
        .await?
        .ok_or_else(|| ApiError::Internal("an account just written cannot be read".into()))?;
    let mut view = account.view(false, account.id == fresh_id);
    view.may_elevate = accounts::is_operator(&account, &key, &operators(ctx));
    let cookie = accounts::set_cookie(&accounts::session_cookie(&key, &account, false, now()));
    Ok(with_cookie(http::json(200, &view), &cookie))
}

/// Counts one heavy read of the history against the account's minute.
async fn reading(ctx: &Ctx<'_>, account: &Account) -> Outcome<()> {
    let (counter, rule) = accounts::history_read_counter(&account.id);
    match crate::limits::take_one(ctx.env, counter, rule).await? {
        Ok(()) => Ok(()),
        Err(wait) => Err(ApiError::HistoryRateLimited(wait)),
    }
}

/// An owner's activity: the site as KV has it, and what D1 records of it.
struct Owned {
    site: Site,
    suspended: bool,
}

/// The owner's activity `key`; any other (another account's, the operator's, a test key,
/// none at all) is `not_found`, so an owner learns nothing about keys that are not theirs.
async fn owned(ctx: &Ctx<'_>, account: &Account, key: &str) -> Outcome<Owned> {
    let site = kv::get(ctx.env, &SiteByKey(key))
        .await?
        .filter(|s| s.owner.as_deref() == Some(account.id.as_str()))
        .ok_or(ApiError::NotFound)?;
    // D1 is the record of who owns what: a site the operator deleted, still in a location's
    // KV for a minute, is gone, and a change must not bring it back.
    let row: ActivityRow = first(ctx, tables::owned_activity(&site.site_key, &account.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Owned {
        suspended: row.is_suspended(),
        site,
    })
}

fn activity(ctx: &Ctx<'_>, site: &Site, suspended: bool) -> ActivityView {
    ActivityView {
        site: admin::view(site),
        snippets: accounts::snippets(&ctx.base, &site.site_key),
        suspended,
    }
}

/// The account's activities, oldest first.
async fn owned_rows(ctx: &Ctx<'_>, account: &Account) -> Outcome<Vec<ActivityRow>> {
    let (sql, values) = tables::owned_activities(&account.id);
    history::rows(ctx.env, sql, &values).await
}

async fn list(ctx: &Ctx<'_>, account: &Account) -> Outcome<Response> {
    // D1 already said these are the account's: one round of KV reads, side by side.
    let rows = owned_rows(ctx, account).await?;
    let sites = join_all(
        rows.iter()
            .map(|row| async move { kv::get(ctx.env, &SiteByKey(&row.site_key)).await }),
    )
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let views: Vec<ActivityView> = rows
        .iter()
        .zip(sites)
        // A site deleted by the operator leaves its row behind: it is simply not listed.
        .filter_map(|(row, site)| Some((row, site?)))
        .filter(|(_, site)| site.owner.as_deref() == Some(account.id.as_str()))
        .map(|(row, site)| activity(ctx, &site, row.is_suspended()))
        .collect();
    Ok(http::json(200, &views))
}

async fn create(req: &mut Request, ctx: &Ctx<'_>, account: &Account) -> Outcome<Response> {
    let mut input: SiteInput = parse_json(&http::body_text(req).await?)?;
    account.may_create(&mut input)?;
    let master = site_secret_key(ctx.env)?;
    let (mut site, created) = admin::create(
        input,
        inbound_pool(ctx.env),
        &mut CryptoRng,
        &master,
        deployment(ctx.env),
    )?;
    site.owner = Some(account.id.clone());
    // The activity's row first, and only while the account is under its limit.
    let (sql, values) = account.add_activity(&site.site_key, now())?;
    account.activity_added(history::changes(ctx.env, sql, &values).await?)?;
    if let Err(e) = sites::add(ctx.env, &site).await {
        forget_activity(ctx, &site.site_key).await;
        return Err(e);
    }
    let body = CreatedActivity {
        snippets: accounts::snippets(&ctx.base, &site.site_key),
        created,
    };
    Ok(http::json(201, &body))
}

async fn forget_activity(ctx: &Ctx<'_>, site_key: &str) {
    let gone = history::run(ctx.env, &[tables::forget_activity(site_key)]).await;
    if gone.is_err() {
        worker::console_error!("an activity's row outlived its site");
    }
}

/// The period the console asked for.
fn period(ctx: &Ctx<'_>, t: ringproof_core::Timestamp) -> Outcome<Period> {
    Period::asked(query(ctx.url, "days").as_deref(), t)
}

async fn insights(ctx: &Ctx<'_>, site: &Site) -> Outcome<Response> {
    let t = now();
    let period = period(ctx, t)?;
    Ok(http::json(
        200,
        &figures(ctx, &site.site_key, period, t).await?,
    ))
}

/// The figures of `site_key` (or of every site, `insights::ALL_SITES`) over `period`.
async fn figures(
    ctx: &Ctx<'_>,
    site_key: &str,
    period: Period,
    t: ringproof_core::Timestamp,
) -> Outcome<Insights> {
    let [funnel, breakdown, spend, refusals, callbacks, days] =
        insights::queries(site_key, period, t);
    let rows = insights::Rows {
        funnel: history::query(ctx.env, &funnel)
            .await?
            .into_iter()
            .next()
            .unwrap_or_default(),
        breakdown: history::query(ctx.env, &breakdown).await?,
        spend: history::query(ctx.env, &spend).await?,
        refusals: history::query(ctx.env, &refusals).await?,
        callbacks: history::query(ctx.env, &callbacks).await?,
        days: history::query(ctx.env, &days).await?,
    };
    let mut shaped = insights::shape(site_key, period, rows);
    let (sql, values) = alerts::for_site(site_key, period.from, period.to);
    let alerts: Vec<alerts::AlertRow> = history::rows(ctx.env, sql, &values).await?;
    shaped.alerts = alerts.into_iter().map(|a| a.view(t)).collect();
    Ok(shaped)
}

/// `GET /console/api/deployment`: the operator's view of every account and activity, the
/// whole deployment's figures and the providers' health.
async fn whole_deployment(ctx: &Ctx<'_>) -> Outcome<Response> {
    let t = now();
    let period = period(ctx, t)?;
    let insights = figures(ctx, insights::ALL_SITES, period, t).await?;
    let per_site: Vec<insights::SiteRow> =
        history::query(ctx.env, &insights::per_site_query(period, t)).await?;
    let owners: Vec<ActivityRow> = history::rows(ctx.env, tables::ALL_ACTIVITIES, &[]).await?;
    let owners: std::collections::BTreeMap<&str, &ActivityRow> =
        owners.iter().map(|o| (o.site_key.as_str(), o)).collect();
    let sites = join_all(
        per_site
            .iter()
            .map(|row| async move { kv::get(ctx.env, &SiteByKey(&row.site_key)).await }),
    )
    .await;
    let mut activities = Vec::new();
    for (row, site) in per_site.into_iter().zip(sites) {
        let site = site?;
        let limits = site
            .as_ref()
            .map(|s| ringproof_core::limits::Limits::resolve(&s.limits, &s.allowed_countries));
        activities.push(ActivityFigures {
            title: site.as_ref().map(|s| s.title.clone()).unwrap_or_default(),
            account_id: owners
                .get(row.site_key.as_str())
                .map(|o| o.account_id.clone()),
            suspended: owners
                .get(row.site_key.as_str())
                .is_some_and(|o| o.is_suspended()),
            started: row.started,
            verified: row.verified,
            cost: insights::money(row.cost_micros.unwrap_or(0)),
            refused: row.refused.unwrap_or(0),
            daily_spend_cap: limits
                .as_ref()
                .map(|l| ringproof_core::limits::format_micros(l.daily_spend_cap_micros))
                .unwrap_or_default(),
            paid_countries: limits.as_ref().and_then(|l| l.paid_countries.clone()),
            spend_currency: limits.map(|l| l.spend_currency).unwrap_or_default(),
            site_key: row.site_key,
        });
    }
    let all: Vec<Account> = history::rows(ctx.env, tables::ALL_ACCOUNTS, &[]).await?;
    let config = crate::env::providers(ctx.env);
    let providers = ProviderId::ALL
        .into_iter()
        .map(|p| ProviderStatus {
            provider: p.name().to_owned(),
            channel: p.channel(),
            configured: config.provider(p).is_some(),
        })
        .collect();
    let breakers = HealthStub::named(ctx.env, health::NAME)
        .breakers()
        .await?
        .into_iter()
        .map(|b| BreakerStatus {
            provider: b.provider.name().to_owned(),
            country: b.country,
            state: serde_json::to_value(b.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            failures_in_row: b.failures_in_row,
            keeps_failing: b.keeps_failing,
            last_failure: b.last_failure,
        })
        .collect();
    Ok(http::json(
        200,
        &Deployment {
            insights,
            activities,
            accounts: all.iter().map(|a| a.view(false, false)).collect(),
            providers,
            breakers,
        },
    ))
}

/// The self-service activity `key` (its site, and whether the operator suspended it): 404
/// for the operator's own sites, which are changed through the admin API.
async fn self_service(ctx: &Ctx<'_>, key: &str) -> Outcome<(Site, bool)> {
    let row: ActivityRow = first(ctx, tables::activity(key))
        .await?
        .ok_or(ApiError::NotFound)?;
    let site = kv::get(ctx.env, &SiteByKey(key))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((site, row.is_suspended()))
}

/// `PATCH /console/api/activities/{key}/limits` `{paid_countries?, daily_spend_cap?, ...}`:
/// the operator grants one self-service activity more (countries where it may send codes, a
/// spend cap, counts). The fields given replace the activity's; the others stay.
async fn set_limits(req: &mut Request, ctx: &Ctx<'_>, key: &str) -> Outcome<Response> {
    let given: serde_json::Map<String, serde_json::Value> =
        parse_json(&http::body_text(req).await?)?;
    let (current, suspended) = self_service(ctx, key).await?;
    let mut limits = serde_json::to_value(&current.limits)
        .map_err(|e| ApiError::Internal(format!("limits of {key}: {e}")))?;
    if let Some(set) = limits.as_object_mut() {
        set.extend(given);
    }
    let limits = serde_json::from_value(limits)
        .map_err(|e| ApiError::InvalidRequest(format!("limits: {e}")))?;
    let change = SiteUpdate {
        limits: Some(limits),
        ..Default::default()
    };
    let site = admin::update(
        &current,
        change,
        deployment(ctx.env),
        &mut CryptoRng,
        &site_secret_key(ctx.env)?,
    )?;
    sites::save(ctx.env, &site).await?;
    Ok(http::json(200, &activity(ctx, &site, suspended)))
}

/// `PATCH /console/api/activities/{key}/suspension` `{suspended}`: the operator suspends one
/// self-service activity (it keeps only the free missed call, and its owner cannot change it)
/// or lifts the suspension (the owner turns paid channels on again).
async fn suspend(req: &mut Request, ctx: &Ctx<'_>, key: &str) -> Outcome<Response> {
    let change: Suspension = parse_json(&http::body_text(req).await?)?;
    let (mut site, _) = self_service(ctx, key).await?;
    history::run(ctx.env, &[tables::suspend_activity(key, change.suspended)]).await?;
    if change.suspended {
        site.channels = accounts::SUSPENDED_CHANNELS.to_vec();
        sites::save(ctx.env, &site).await?;
    }
    Ok(http::json(200, &activity(ctx, &site, change.suspended)))
}

async fn log(ctx: &Ctx<'_>, site: &Site) -> Outcome<Response> {
    let t = now();
    let period = period(ctx, t)?;
    let search = query(ctx.url, "q").unwrap_or_default();
    let q = insights::log_query(&site.site_key, period, t, &search)?;
    let lines: Vec<LoggedVerification> = history::query::<insights::LogRow>(ctx.env, &q)
        .await?
        .into_iter()
        .map(insights::log_line)
        .collect();
    if query(ctx.url, "format").as_deref() == Some("csv") {
        let r =
            Response::ok(insights::csv(&lines)).map_err(|e| ApiError::Internal(e.to_string()))?;
        let h = r.headers();
        let _ = h.set("Content-Type", "text/csv; charset=utf-8");
        let _ = h.set(
            "Content-Disposition",
            &format!(
                "attachment; filename=\"{}-verifications.csv\"",
                site.site_key
            ),
        );
        let _ = h.set("Cache-Control", "no-store");
        return Ok(r);
    }
    Ok(http::json(200, &lines))
}

/// Sends the site a verified outcome that never happened, signed and shaped as a real one,
/// and shows both sides. Only a request that can be sent counts against the account's hour.
async fn test_callback(ctx: &Ctx<'_>, site: &Site, account: &Account) -> Outcome<Response> {
    let master = site_secret_key(ctx.env)?;
    let t = now();
    let event = callback::test_event(&site.site_key, &mut CryptoRng, t);
    let out = callback::address(&event, Some(site), Some(&master), t).map_err(Unsent::error)?;
    let (counter, rule) = accounts::test_callback_counter(&account.id);
    if let Err(wait) = crate::limits::take_one(ctx.env, counter, rule).await? {
        return Err(ApiError::TooManyTestCallbacks(wait));
    }
    let request = SentRequest {
        method: out.method.to_owned(),
        url: out.url.clone(),
        headers: out.headers.clone(),
        body: out.body.clone(),
    };
    let sent_at = now();
    let (result, answer) = outbound::deliver(out, callback_timeout(ctx.env)).await;
    let duration_ms = now().millis().saturating_sub(sent_at.millis());
    let status = result.status();
    Ok(http::json(
        200,
        &TestCallback {
            request,
            delivered: result.delivered(),
            status,
            error: status.is_none().then(|| result.outcome()).flatten(),
            answer,
            duration_ms,
        },
    ))
}

/// `PATCH /console/api/accounts/{id}`: the operator grants channels and activities, or
/// suspends an account.
async fn grant(req: &mut Request, ctx: &Ctx<'_>, id: &str) -> Outcome<Response> {
    let change: Grant = parse_json(&http::body_text(req).await?)?;
    let account = load_account(ctx, id).await?.ok_or(ApiError::NotFound)?;
    history::run(ctx.env, &[tables::grant(&account, &change)?]).await?;
    let updated = load_account(ctx, id).await?.ok_or(ApiError::NotFound)?;
    // A channel taken back, or a suspension, leaves every activity of the account at once:
    // a suspended account's activities keep only the free missed call.
    for row in owned_rows(ctx, &updated).await? {
        let Some(mut site) = kv::get(ctx.env, &SiteByKey(&row.site_key)).await? else {
            continue;
        };
        let kept = accounts::allowed_channels(&updated, &site.channels);
        if kept != site.channels {
            site.channels = kept;
            sites::save(ctx.env, &site).await?;
        }
    }
    Ok(http::json(200, &updated.view(false, false)))
}
