//! Every request starts here: the deployment's secrets are checked, the path is matched to
//! its handler (grouped by who calls it, in `routes/`), and the answer gets its CORS headers.
//! Handlers answer `Outcome<Response>`; an error becomes its JSON body and status here.

use crate::env::{self};
use crate::error::Outcome;
use crate::http::{self, allow_origin, preflight};
use crate::routes::{admin, console, onering, sandbox, site_server, visitor, webhooks};
use crate::{kv, tally};
use ringproof_core::admin::Deployment;
use ringproof_core::client::Client;
use ringproof_core::ApiError;
use worker::{Env, Method, Request, Response, Url};

/// Who sent the request: the page's `Origin` (and whether a handler found it allowed, so CORS
/// may name it) and the client's address, which per-client limits count.
pub struct Visitor {
    origin: Option<String>,
    client_ip: String,
    /// The client per-client limits count: the address, or an IPv6 client's /64.
    client: Client,
    allowed: bool,
    /// The site the request turned out to concern, once known: its refusals are counted.
    site_key: Option<String>,
}

impl Visitor {
    pub fn on_site(&mut self, site_key: &str) {
        self.site_key = Some(site_key.to_owned());
    }

    /// The address itself, for Turnstile's `remoteip`.
    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The page is one the site (or the verification) allows: it may read the answer.
    pub fn allow(&mut self) {
        self.allowed = true;
    }

    fn granted(&self) -> Option<&str> {
        self.origin.as_deref().filter(|_| self.allowed)
    }
}

/// What every handler may need about the request besides its body.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub url: &'a Url,
    /// `scheme://host[:port]` of the edge itself, for the URLs it hands out.
    pub base: String,
    /// Work that may finish after the answer (`waitUntil`), where a caller waits on a deadline.
    pub background: &'a worker::Context,
}

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
    if let (Method::Get, ["v1", "verifications", id, "live"]) = (req.method(), segs.as_slice()) {
        return visitor::live(req, env, id)
            .await
            .unwrap_or_else(http::failure);
    }
    let origin = req.headers().get("Origin").ok().flatten();
    let browser_facing = matches!(
        segs.as_slice(),
        ["v1", "verifications", ..]
            | ["v1", "challenge"]
            | ["v1", "countries", ..]
            | ["v1", "sandbox", ..]
            | ["Apps", "Plugin", ..]
    );
    if req.method() == Method::Options && browser_facing {
        let granted = preflight_grant(env, &segs, &url, origin.as_deref()).await;
        return preflight(granted.as_deref());
    }
    // Cloudflare sets it from the connection; a client cannot choose it in production.
    let client_ip = req
        .headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .filter(|ip| ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_owned());
    let mut visitor = Visitor {
        origin,
        client: Client::from_ip(&client_ip),
        client_ip,
        allowed: false,
        site_key: None,
    };
    let ctx = Ctx {
        env,
        url: &url,
        base: base_of(&url),
        background,
    };
    let before = tally::totals();
    let result = route(&mut req, &ctx, &segs, &mut visitor).await;
    if let (Err(e), Some(site_key)) = (&result, &visitor.site_key) {
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
    use Method::{Get, Post};
    match (req.method(), segs) {
        // Visitors' pages: the widget's verification API.
        (Post, ["v1", "verifications"]) => visitor::create(req, ctx, visitor).await,
        (Get, ["v1", "challenge"]) => visitor::challenge(ctx, visitor).await,
        (Get, ["v1", "countries"]) => visitor::countries(req, ctx, visitor).await,
        (Get, ["v1", "countries", country]) => visitor::country(ctx, country, visitor).await,
        (Get, ["v1", "verifications", id]) => visitor::status(ctx, id, visitor).await,
        (Get, ["v1", "verifications", id, "number.svg"]) => visitor::number_image(ctx, id).await,
        (Get, ["v1", "verifications", id, "call.svg"]) => visitor::call_qr(ctx, id).await,
        (Post, ["v1", "verifications", id, "check"]) => visitor::check(req, ctx, id, visitor).await,
        (Post, ["v1", "verifications", id, "resend"]) => {
            visitor::resend(req, ctx, id, visitor).await
        }
        (Post, ["v1", "verifications", id, "switch"]) => {
            visitor::switch(req, ctx, id, visitor).await
        }
        (Post, ["v1", "verifications", id, "token"]) => visitor::renew(ctx, id, visitor).await,
        (Get, ["Apps", "Plugin", "NewMobileRecorded.ashx"]) => {
            Ok(onering::new_mobile_recorded(req, ctx, visitor).await)
        }
        // Telephony providers.
        (Post, ["v1", "carriers", carrier]) => webhooks::carrier(req, ctx, carrier).await,
        (Post, ["v1", "providers", "mcn", given]) => webhooks::mcn(req, ctx, given).await,
        (Post, ["v1", "providers", "telesign", given]) => webhooks::telesign(req, ctx, given).await,
        (Post, ["v1", "providers", "twilio", "status"]) => webhooks::twilio_status(req, ctx).await,
        // Sites' servers, with the site secret.
        (Post, ["v1", "siteverify"]) => site_server::siteverify(req, ctx).await,
        (Get, ["v1", "transactions", ctid]) => site_server::transaction(req, ctx, ctid).await,
        (Get, ["v1", "verifications", id, "callbacks"]) => {
            site_server::callbacks(req, ctx, id).await
        }
        // Site owners' console, with its session cookie.
        (m, ["console", "api", rest @ ..]) => console::handle(req, ctx, m, rest).await,
        // The operator, with the admin token.
        (m, ["v1", "admin", "sites", rest @ ..]) => admin::handle(req, ctx.env, m, rest).await,
        (Get, ["v1", "admin", "providers"]) => admin::providers(req, ctx.env).await,
        // The local demo's sandbox provider.
        (Get, ["v1", "sandbox"]) => sandbox::info(ctx),
        (Post, ["v1", "sandbox", "missed-call"]) => sandbox::missed_call(req, ctx, visitor).await,
        (_, ["v1", "verifications"] | ["v1", "verifications", ..] | ["v1", "siteverify"]) => {
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
        ["v1", "verifications", id, ..] => visitor::summary(env, id).await.ok()?.origin == origin,
        ["v1", "verifications"] => {
            let key = query(url, "site_key")?;
            kv::site(env, &key, &base_of(url))
                .await
                .ok()?
                .origin_allowed(origin)
        }
        // The verification is named in the body: the handler checks the page against it, and
        // only that page may read the answer.
        ["v1", "sandbox", "missed-call"] => true,
        _ => false,
    };
    allowed.then(|| origin.to_owned())
}

/// The first value of `name` in the query.
pub fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn base_of(url: &Url) -> String {
    // The origin of an http(s) URL is exactly `scheme://host[:port]`, default ports left out.
    url.origin().ascii_serialization()
}
