//! What a site's own server calls, with the site secret: siteverify (Turnstile's shape), its
//! transactions by ClientTransactionId, and the log of a verification's callback.

use crate::durable::callback::CallbackStub;
use crate::durable::transaction::TransactionStub;
use crate::durable::verification::VerificationStub;
use crate::error::Outcome;
use crate::http;
use crate::kv;
use crate::request::Ctx;
use ringproof_api::Callbacks;
use ringproof_core::keys::{FinishedVerification, SiteBySecret};
use ringproof_core::siteverify::{self, SiteverifyError};
use ringproof_core::{ids, secret as secrets, test_keys, ApiError};
use worker::{Env, Request, Response};

/// `POST /v1/siteverify`, JSON or form-encoded, always answered 200 like Turnstile's.
pub async fn siteverify(req: &mut Request, ctx: &Ctx<'_>) -> Outcome<Response> {
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let text = http::body_text(req).await?;
    let answer = match redeem(ctx.env, &text, content_type.as_deref()).await? {
        Ok(answer) => answer,
        Err(refused) => refused.answer(),
    };
    Ok(http::json(200, &answer))
}

async fn redeem(
    env: &Env,
    text: &str,
    content_type: Option<&str>,
) -> Outcome<Result<ringproof_api::SiteverifyResponse, SiteverifyError>> {
    let input = match siteverify::read(text, content_type) {
        Ok(input) => input,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(test) = test_keys::secret(&input.secret) {
        return redeem_test(env, test, &input.response).await;
    }
    let Some(site_key) = site_of_secret(env, &input.secret).await? else {
        return Ok(Err(SiteverifyError::InvalidInputSecret));
    };
    let id = match siteverify::verification_of(&input.response) {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    // The object refuses, with Turnstile's codes, what it does not find good.
    let answer = VerificationStub::named(env, id)
        .redeem(input.response.clone(), site_key)
        .await?;
    Ok(Ok(answer))
}

/// A test secret, as Turnstile's dummy secrets: one always fails, one always reads as spent,
/// and one redeems the tokens of test keys (never a real site's), once each.
async fn redeem_test(
    env: &Env,
    test: test_keys::Secret,
    token: &str,
) -> Outcome<Result<ringproof_api::SiteverifyResponse, SiteverifyError>> {
    let id = match siteverify::with_test_secret(test, token) {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    let stub = VerificationStub::named(env, id);
    let site_key = match stub.summary().await {
        Ok(s) => s.site_key,
        Err(ApiError::VerificationNotFound) => {
            return Ok(Err(SiteverifyError::InvalidInputResponse))
        }
        Err(e) => return Err(e),
    };
    if let Err(e) = siteverify::test_secret_redeems(&site_key) {
        return Ok(Err(e));
    }
    Ok(Ok(stub.redeem(token.to_owned(), site_key).await?))
}

/// `GET /v1/transactions/{client_transaction_id}`: the verification's state at any time, live
/// or finished.
pub async fn transaction(req: &Request, ctx: &Ctx<'_>, ctid: &str) -> Outcome<Response> {
    let env = ctx.env;
    let site_key = site_of_bearer(req, env).await?;
    let ctid = http::decode_segment(ctid)
        .filter(|c| ids::is_client_transaction_id(c))
        .ok_or(ApiError::TransactionNotFound)?;
    let held = TransactionStub::named(
        env,
        ringproof_core::keys::transaction_object(&site_key, &ctid),
    )
    .get()
    .await?;
    let id = held.ok_or(ApiError::TransactionNotFound)?;
    let view = match VerificationStub::named(env, &id).transaction().await {
        Ok(view) => view,
        // The live object is gone once the verification has ended: its record remains.
        Err(ApiError::VerificationNotFound) => kv::get(env, &FinishedVerification(&id))
            .await?
            .and_then(|r| r.transaction_view()),
        Err(e) => return Err(e),
    };
    Ok(http::json(200, &view.ok_or(ApiError::TransactionNotFound)?))
}

/// `GET /v1/verifications/{id}/callbacks`: the callback of the verification, attempt by
/// attempt. Another site's verification looks like one without a callback.
pub async fn callbacks(req: &Request, ctx: &Ctx<'_>, id: &str) -> Outcome<Response> {
    let site_key = site_of_bearer(req, ctx.env).await?;
    if !ids::is_verification_id(id) {
        return Ok(http::json(200, &Callbacks { deliveries: vec![] }));
    }
    let callback = CallbackStub::named(ctx.env, id).get().await?;
    let deliveries = callback
        .and_then(|c| c.of_site(&site_key))
        .map(|c| c.view())
        .into_iter()
        .collect();
    Ok(http::json(200, &Callbacks { deliveries }))
}

/// The site whose secret is the request's bearer token; 401 for anything else.
async fn site_of_bearer(req: &Request, env: &Env) -> Outcome<String> {
    site_of_secret(env, &http::bearer(req))
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// The key of the site whose secret `given` is. The index finds the site; the site's own
/// record confirms the secret in constant time, so a retired secret that an index copy
/// still names is refused.
pub async fn site_of_secret(env: &Env, given: &str) -> Outcome<Option<String>> {
    if !ids::is_secret(given) {
        return Ok(None);
    }
    let Some(key) = kv::get(env, &SiteBySecret(&secrets::hash(given))).await? else {
        return Ok(None);
    };
    let site = kv::get(env, &ringproof_core::keys::SiteByKey(&key)).await?;
    Ok(site.filter(|s| s.secret_matches(given)).map(|s| s.site_key))
}
