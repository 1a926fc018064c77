//! Every request starts here: the deployment's secrets are checked, the path is matched to
//! its handler (grouped by who calls it, in `routes/`), and the answer gets its CORS headers.
//! Handlers answer `Outcome<Response>`; an error becomes its JSON body and status here.

use crate::env::{self};
use crate::error::Outcome;
use crate::http::{self, allow_origin, preflight};
use crate::request::{query, Ctx, Visitor};
use crate::routes::{admin, console, onering, sandbox, site_server, visitor, webhooks};
use crate::{kv, tally};
use ringproof_api::paths;
use ringproof_core::admin::Deployment;
use ringproof_core::ApiError;
use worker::{Env, Method, Request, Response, Url};

pub async fn handle(mut req: Request, env: &Env, background: &worker::Context) -> Response {
    let missing = env::missing_secrets(env);
    if !missing.is_empty() {
        let e = ApiError::DeploymentMisconfigured(missing.join(", "));
        worker::console_error!("{e}");
        return http::failure(e);
    }
    let url = match req.url() {
        Ok(u) => u,
        Err(e) => return http::failure(ApiError::Internal(e.to_string())),
    };
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| s.map(str::to_owned).collect())
        .unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    // A WebSocket's answer is the object's own: no CORS (a socket's Origin is checked by the
    // object), nothing added on the way out.
    if let (Method::Get, [paths::V1, paths::VERIFICATIONS, id, paths::LIVE]) =
        (req.method(), segs.as_slice())
    {
        return visitor::live(req, env, id)
            .await
            .unwrap_or_else(http::failure);
    }
    let origin = req.headers().get("Origin").ok().flatten();
    let browser_facing = ringproof_core::origin::browser_facing(&segs);
    if req.method() == Method::Options && browser_facing {
        let granted = preflight_grant(env, &segs, &url, origin.as_deref()).await;
        return preflight(granted.as_deref());
    }
    let header = req.headers().get("CF-Connecting-IP").ok().flatten();
    let client_ip = ringproof_core::client::connecting_ip(header.as_deref());
    let mut visitor = Visitor::new(origin, client_ip);
    let ctx = Ctx {
        env,
        url: &url,
        base: base_of(&url),
        background,
    };
    let before = tally::totals();
    let result = route(&mut req, &ctx, &segs, &mut visitor).await;
    if let (Err(e), Some(site_key)) = (&result, visitor.site_key()) {
        if e.is_defence() {
            crate::limits::count_refusal(env, site_key, e.code()).await;
            let t = env::now();
            if SAMPLER.with(|s| s.borrow_mut().admit(site_key, t)) {
                let refused = ringproof_core::events::refused(site_key, e.code(), t);
                crate::history::write_later(background, env, vec![refused]);
            }
        }
    }
    let mut response = result.unwrap_or_else(http::failure);
    if env::deployment(env) == Deployment::LocalDevelopment {
        let _ = response
            .headers_mut()
            .set(tally::HEADER, &before.header_since());
    }
    // Browser-facing answers, errors included, name the page's origin only once a handler has
    // found it allowed: a foreign page can send, but never read.
    if browser_facing {
        allow_origin(response, visitor.granted())
    } else {
        response
    }
}

thread_local! {
    /// This Worker's refusal rows per site and minute (`events::RefusalSampler`).
    static SAMPLER: std::cell::RefCell<ringproof_core::events::RefusalSampler> =
        std::cell::RefCell::default();
}

/// The whole API, by who calls it. The widget's files are not here: wrangler's `[assets]`
/// serves them before the Worker runs.
async fn route(
    req: &mut Request,
    ctx: &Ctx<'_>,
    segs: &[&str],
    visitor: &mut Visitor,
) -> Outcome<Response> {
    use paths::*;
    use Method::{Get, Post};
    match (req.method(), segs) {
        // Visitors' pages: the widget's verification API.
        (Post, [V1, VERIFICATIONS]) => visitor::create(req, ctx, visitor).await,
        (Get, [V1, CHALLENGE]) => visitor::challenge(ctx, visitor).await,
        (Get, [V1, COUNTRIES]) => visitor::countries(req, ctx, visitor).await,
        (Get, [V1, COUNTRIES, country]) => visitor::country(ctx, country, visitor).await,
        (Get, [V1, VERIFICATIONS, id]) => visitor::status(ctx, id, visitor).await,
        (Get, [V1, VERIFICATIONS, id, NUMBER_IMAGE]) => visitor::number_image(ctx, id).await,
        (Get, [V1, VERIFICATIONS, id, CALL_QR]) => visitor::call_qr(ctx, id).await,
        (Post, [V1, VERIFICATIONS, id, CHECK]) => visitor::check(req, ctx, id, visitor).await,
        (Post, [V1, VERIFICATIONS, id, RESEND]) => visitor::resend(req, ctx, id, visitor).await,
        (Post, [V1, VERIFICATIONS, id, SWITCH]) => visitor::switch(req, ctx, id, visitor).await,
        (Post, [V1, VERIFICATIONS, id, TOKEN]) => visitor::renew(ctx, id, visitor).await,
        (Get, ["Apps", "Plugin", "NewMobileRecorded.ashx"]) => {
            Ok(onering::new_mobile_recorded(req, ctx, visitor).await)
        }
        // Telephony providers.
        (Post, [V1, CARRIERS, carrier]) => webhooks::carrier(req, ctx, carrier).await,
        (Post, [V1, PROVIDERS, MCN, given]) => webhooks::mcn(req, ctx, given).await,
        (Post, [V1, PROVIDERS, TELESIGN, given]) => webhooks::telesign(req, ctx, given).await,
        (Post, [V1, PROVIDERS, TWILIO, TWILIO_STATUS]) => webhooks::twilio_status(req, ctx).await,
        // Sites' servers, with the site secret.
        (Post, [V1, SITEVERIFY]) => site_server::siteverify(req, ctx).await,
        (Get, [V1, TRANSACTIONS, ctid]) => site_server::transaction(req, ctx, ctid).await,
        (Get, [V1, VERIFICATIONS, id, CALLBACKS]) => site_server::callbacks(req, ctx, id).await,
        // Site owners' console, with its session cookie.
        (m, ["console", "api", rest @ ..]) => console::handle(req, ctx, m, rest).await,
        // The operator, with the admin token.
        (m, [V1, "admin", "sites", rest @ ..]) => admin::handle(req, ctx.env, m, rest).await,
        (Get, [V1, "admin", "providers"]) => admin::providers(req, ctx.env).await,
        // The local demo's sandbox provider.
        (Get, [V1, SANDBOX]) => sandbox::info(ctx),
        (Post, [V1, SANDBOX, SANDBOX_MISSED_CALL]) => sandbox::missed_call(req, ctx, visitor).await,
        (_, [V1, VERIFICATIONS] | [V1, VERIFICATIONS, ..] | [V1, SITEVERIFY]) => {
            Err(ApiError::MethodNotAllowed)
        }
        _ => Err(ApiError::NotFound),
    }
}

/// A preflight names the origin only where the request it announces would be allowed: a
/// verification's own page, or a page of the site named by `?site_key=`.
async fn preflight_grant(
    env: &Env,
    segs: &[&str],
    url: &Url,
    origin: Option<&str>,
) -> Option<String> {
    let origin = origin?;
    let allowed = match segs {
        [paths::V1, paths::VERIFICATIONS, id, ..] => {
            let started_on = visitor::summary(env, id).await.ok()?.origin;
            ringproof_core::origin::follower(Some(origin), &started_on).is_ok()
        }
        [paths::V1, paths::VERIFICATIONS] => {
            let key = query(url, "site_key")?;
            kv::site(env, &key, &base_of(url))
                .await
                .ok()?
                .origin_allowed(origin)
        }
        // The verification is named in the body: the handler checks the page against it, and
        // only that page may read the answer.
        [paths::V1, paths::SANDBOX, paths::SANDBOX_MISSED_CALL] => true,
        _ => false,
    };
    allowed.then(|| origin.to_owned())
}

fn base_of(url: &Url) -> String {
    // The origin of an http(s) URL is exactly `scheme://host[:port]`, default ports left out.
    url.origin().ascii_serialization()
}
