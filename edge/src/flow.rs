//! The one flow of a verification, whichever API a request came through: start it, begin
//! another attempt, send a code, check a code, and hand it a provider's report. Each step
//! asks core what to do and the Durable Objects to do it, in this order, so a request can be
//! followed from top to bottom here.

use crate::durable::line::LineStub;
use crate::durable::reference::{self, ReferenceStub};
use crate::durable::transaction::{self, TransactionStub};
use crate::durable::verification::{Begun, VerificationStub};
use crate::env::{now, site_secret_key, token_key, CryptoRng};
use crate::error::Outcome;
use crate::providers::Told;
use crate::{limits, providers};
use ringproof_api::{Channel, CheckResult, VerificationStatus, VerificationView};
use ringproof_core::carriers::InboundCall;
use ringproof_core::client::Client;
use ringproof_core::failure::FailureReason;
use ringproof_core::limits::is_paid;
use ringproof_core::line::Busy;
use ringproof_core::phone::{self, E164};
use ringproof_core::providers::{ProviderId, Sent};
use ringproof_core::session::{
    CallOutcome, CheckStep, Cost, DeliveryEvent, DeliveryOutcome, Dispatch, NewSession, Payload,
    Summary,
};
use ringproof_core::site::{Page, Site};
use ringproof_core::texts::Language;
use ringproof_core::{ids, pow, signature, test_keys, ApiError, Randomness};
use worker::{Context, Env};

/// What a caller asks to start, whichever API it came through.
pub struct Start<'a> {
    pub phone: &'a str,
    pub country: Option<&'a str>,
    /// The site's first channel when `None`.
    pub channel: Option<Channel>,
    pub client_transaction_id: Option<String>,
    /// Proves the site's server chose the id (see [`transaction_bound`]).
    pub client_transaction_signature: Option<&'a str>,
    /// The caller has already established that the site's server chose the id.
    pub ctid_trusted: bool,
    /// The page's solved challenge, required before any attempt a page asks for.
    pub proof: Option<&'a str>,
    /// The site's own server asks (with its secret): it pays no proof of work.
    pub from_server: bool,
    /// What texts are written in, when the caller named a language we have.
    pub language: Option<Language>,
    /// The page's labels, echoed by siteverify (checked here).
    pub action: Option<String>,
    pub cdata: Option<String>,
}

/// Who asks for another attempt, and what they brought to pay for it.
pub struct Asker<'a> {
    pub client: &'a Client,
    /// The address itself, for Turnstile.
    pub ip: &'a str,
    pub proof: Option<&'a str>,
    pub turnstile: Option<&'a str>,
}

/// Starts a verification for `site` from `page` (already checked against the site, and its
/// Turnstile token, if the site has one) by `client`; `base` is the edge's own origin, for the
/// URLs the view hands out.
pub async fn start(
    env: &Env,
    site: &Site,
    page: &Page,
    client: &Client,
    (base, background): (&str, &Context),
    input: Start<'_>,
) -> Outcome<VerificationView> {
    if let Some(c) = input.channel.filter(|c| !site.offers(*c)) {
        return Err(ApiError::ChannelNotAvailable(c));
    }
    for (name, label) in [("action", &input.action), ("cdata", &input.cdata)] {
        if let Some(label) = label {
            ids::page_label(name, label)?;
        }
    }
    let phone = phone::normalise(input.phone, input.country)?;
    let region = phone.region();
    if !site.accepts_region(region.as_deref()) {
        return Err(ApiError::CountryNotAllowed);
    }
    // Paid channels only where the site pays for the number's country (Geo Permissions); the
    // free missed call stays offered, and is the default when the site's first is not allowed.
    let channels = site
        .limits()
        .channels_for(&site.channels, region.as_deref());
    let mut channel = match input.channel {
        Some(c) if channels.contains(&c) => c,
        Some(_) => return Err(ApiError::PaidChannelNotAllowed),
        None => *channels.first().ok_or(ApiError::PaidChannelNotAllowed)?,
    };
    // Every attempt a page asks for pays a proof of work, the free missed call too: its
    // lines are scarce. Starts are counted once it is paid, so no one fills a client's (or
    // a shared /48's) count for free.
    if !input.from_server {
        require_proof(env, site, client, None, input.proof).await?;
    }
    limits::count_start(env, site, client).await?;
    if channel != Channel::MissedCall && site.test.is_none() {
        // A locked number is told so before it is texted, not after; when the page named no
        // channel, the missed call (which needs no code) is no dead end.
        match limits::check_unlocked(env, site, client, &phone).await {
            Ok(()) => {}
            Err(ApiError::NumberLocked(_))
                if input.channel.is_none() && channels.contains(&Channel::MissedCall) =>
            {
                channel = Channel::MissedCall;
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(id) = &input.client_transaction_id {
        ids::client_transaction_id(id)?;
        // Only the site's server binds an id, so no page can squat the site's ids.
        if !input.ctid_trusted
            && !transaction_bound(env, site, id, input.client_transaction_signature)
        {
            return Err(ApiError::TransactionUnsigned);
        }
    }
    let id = CryptoRng.token(16);
    let inbound_number = match channel {
        Channel::MissedCall => match reserve_line(env, site, client, &phone, &id).await {
            Ok(number) => Some(number),
            // Never a dead end: with another way for this number, the verification starts with
            // its missed call failed as `no_free_line`, and the visitor is offered the others.
            // A caller that named the missed call (OneRing's API) is told the lines are busy.
            Err(ApiError::LinesBusy(_)) if input.channel.is_none() && channels.len() > 1 => {
                limits::count_refusal(env, &site.site_key, "lines_busy").await;
                None
            }
            Err(e) => return Err(e),
        },
        _ => None,
    };
    if let Some(ctid) = &input.client_transaction_id {
        // Claimed before anything is sent: a repeat gets a clear refusal, not a second call.
        let claim = TransactionStub::named(env, transaction::name(&site.site_key, ctid))
            .claim(
                id.clone(),
                // As long as the finished record it points to.
                now().plus_secs(ringproof_core::keys::transaction_ttl_secs(
                    site.test.is_some(),
                )),
            )
            .await?;
        if claim.is_err() {
            cancel_line(env, site, &phone, &id, inbound_number.as_ref()).await;
            return Err(ApiError::DuplicateTransaction);
        }
    }
    let new = NewSession {
        id: id.clone(),
        site_key: site.site_key.clone(),
        phone: phone.clone(),
        origin: page.origin.clone(),
        domain: page.domain.clone(),
        language: input.language,
        client_transaction_id: input.client_transaction_id,
        channels,
        sends_per_number_per_hour: site.sends_per_number_per_hour,
        test: site.test.is_some(),
        action: input.action,
        cdata: input.cdata,
    };
    let begun = VerificationStub::named(env, &id)
        .start(new, channel, inbound_number.clone(), base.to_owned())
        .await;
    let begun = match begun {
        Ok(b) => b,
        Err(e) => {
            cancel_line(env, site, &phone, &id, inbound_number.as_ref()).await;
            return Err(e);
        }
    };
    carry_out(env, site, client, (base, background), begun).await
}

/// A resend (`channel` the current one) or a switch, for a verification the caller may follow.
/// Whatever the verification would refuse is refused before anything is counted or reserved.
pub async fn begin(
    env: &Env,
    site: &Site,
    summary: &Summary,
    channel: Channel,
    asker: Asker<'_>,
    (base, background): (&str, &Context),
) -> Outcome<VerificationView> {
    summary.may_begin(channel, now())?;
    let client = asker.client;
    require_proof(env, site, client, Some(&summary.id), asker.proof).await?;
    if is_paid(channel) {
        // One token per paid attempt: a token bought once cannot pay for every resend.
        crate::turnstile::check(env, site, asker.turnstile, &summary.origin, asker.ip).await?;
        if site.test.is_none() {
            limits::check_unlocked(env, site, client, &summary.phone).await?;
        }
    }
    let inbound_number = match channel {
        Channel::MissedCall => {
            Some(reserve_line(env, site, client, &summary.phone, &summary.id).await?)
        }
        _ => None,
    };
    let begun = VerificationStub::named(env, &summary.id)
        .begin(channel, inbound_number.clone(), base.to_owned())
        .await;
    let begun = match begun {
        Ok(b) => b,
        Err(e) => {
            // A number the page already shows stays; one reserved for this refused attempt goes.
            let fresh = inbound_number
                .as_ref()
                .filter(|n| summary.inbound_number.as_ref() != Some(*n));
            cancel_line(env, site, &summary.phone, &summary.id, fresh).await;
            return Err(e);
        }
    };
    if channel != Channel::MissedCall && summary.channel == Channel::MissedCall {
        // No longer waiting for a call: the caller's allowance is free for its next one.
        release_line(env, site, &summary.phone, &summary.id).await;
    }
    carry_out(env, site, client, (base, background), begun).await
}

/// A code typed on the page at `origin` by `client`. A number locked on this site, or for this
/// client, is refused before the code is compared; only a code compared and found wrong is
/// counted, so restarting verifications does not buy more guesses and nothing else does
/// either. The verification's own cap is what bounds guesses under concurrency: its object
/// spends a check before it compares.
pub async fn check(
    env: &Env,
    site: &Site,
    summary: &Summary,
    code: String,
    origin: Option<String>,
    client: &Client,
) -> Outcome<CheckResult> {
    // A test key's code is public: its guesses prove nothing, so they must not count against
    // the number on real sites (else test keys would lock anyone's number).
    let test = site.test.is_some();
    if !test {
        limits::check_unlocked(env, site, client, &summary.phone).await?;
    }
    let (result, wrong) = compare(env, &summary.id, code, origin, test).await?;
    if !test && wrong {
        limits::count_wrong_code(env, site, client, &summary.phone).await;
    }
    Ok(result)
}

/// A provider's report on the call or message it knows as `reference`.
pub async fn report_delivery(
    (env, background): (&Env, &Context),
    provider: &str,
    reference: &str,
    event: DeliveryEvent,
    cost: Option<Cost>,
) -> Outcome<DeliveryOutcome> {
    if !ids::is_reference(reference) {
        return Ok(DeliveryOutcome::UnknownReference);
    }
    let bound = ReferenceStub::named(env, reference::name(provider, reference))
        .resolve()
        .await?;
    let Some(id) = bound else {
        return Ok(DeliveryOutcome::UnknownReference);
    };
    if let Some(provider) = ProviderId::from_name(provider) {
        // The provider is reporting: its breaker hears it (after the answer), so silence is
        // noticed.
        providers::tell_health(
            env,
            background,
            provider,
            Told::Reported(reference.to_owned()),
        );
    }
    let delivered = VerificationStub::named(env, &id)
        .delivery(reference.to_owned(), event, cost.clone())
        .await?;
    if let Some(cost) = &cost {
        limits::record_spend(env, &delivered.site_key, cost).await?;
    }
    Ok(if delivered.changed {
        DeliveryOutcome::Applied
    } else {
        DeliveryOutcome::Unchanged
    })
}

/// A reported missed call, from a real provider or from the sandbox: the caller's lines say
/// which verification waits for it. `test`: the call of a test key's verification, which only
/// the sandbox reports, in lines of their own.
pub async fn report_missed_call(
    env: &Env,
    reported: &InboundCall,
    caller: E164,
    inbound_number: E164,
    test: bool,
) -> Outcome<CallOutcome> {
    let call_time = reported.at.unwrap_or_else(now);
    let routed = lines(env, &caller, test)
        .route(
            inbound_number.as_str().to_owned(),
            reported.call_id().map(str::to_owned),
        )
        .await?;
    let Some(id) = routed else {
        return Ok(CallOutcome::Unmatched);
    };
    let outcome = VerificationStub::named(env, &id)
        .call(caller.clone(), inbound_number, call_time)
        .await?;
    if outcome == CallOutcome::Verified {
        release(env, &caller, &id, test).await;
    }
    Ok(outcome)
}

/// Whether the site's server chose `ctid`: `signature` is its HMAC under the site secret.
pub fn transaction_bound(env: &Env, site: &Site, ctid: &str, signature: Option<&str>) -> bool {
    let (Some(sig), Ok(master)) = (signature, site_secret_key(env)) else {
        return false;
    };
    site.secret(&master)
        .is_some_and(|secret| signature::transaction_signature_holds(secret.as_bytes(), ctid, sig))
}

/// Every attempt needs a solved challenge fetched by this client for this site (and, for a
/// resend or switch, for this verification), spent here: each one buys one attempt.
async fn require_proof(
    env: &Env,
    site: &Site,
    client: &Client,
    verification: Option<&str>,
    proof: Option<&str>,
) -> Outcome<()> {
    let proof = proof
        .filter(|p| !p.is_empty())
        .ok_or(ApiError::ProofRequired)?;
    let key = pow::key(&token_key(env)?);
    let to = pow::Binding {
        site_key: &site.site_key,
        client: &client.network,
        verification,
    };
    let checked = pow::verify(&key, proof, to, now()).map_err(|e| {
        worker::console_warn!("proof refused for site {}: {e:?}", site.site_key);
        ApiError::ProofInvalid
    })?;
    limits::spend_proof(env, &checked).await
}

/// A caller's lines. A test key's verifications hold lines of their own, so public test keys
/// can never take a real visitor's.
fn lines<'e>(env: &'e Env, caller: &E164, test: bool) -> LineStub<'e> {
    if test {
        LineStub::named(env, format!("test:{}", caller.as_str()))
    } else {
        LineStub::named(env, caller.as_str())
    }
}

/// Reserves one of the site's inbound numbers for `verification_id` to wait for a call from
/// `caller`: one no other verification of that caller holds (see `ringproof_core::line`).
async fn reserve_line(
    env: &Env,
    site: &Site,
    client: &Client,
    caller: &E164,
    verification_id: &str,
) -> Outcome<E164> {
    let reserved = lines(env, caller, site.test.is_some())
        .reserve(
            site.inbound_numbers.clone(),
            verification_id.to_owned(),
            site.site_key.clone(),
            client.network.clone(),
            now().plus_secs(crate::env::policy(env).attempt_secs),
            site.limits().pending_calls_per_number,
        )
        .await?;
    match reserved {
        // The site's numbers were checked as E.164 when it was configured.
        Ok(number) => phone::from_network(&number).ok_or_else(|| {
            ApiError::Internal(format!("site {}: inbound number unreadable", site.site_key))
        }),
        Err(Busy::Taken { free_at }) => {
            let wait_ms = free_at.millis().saturating_sub(now().millis());
            Err(ApiError::LinesBusy(wait_ms.div_ceil(1000).max(1)))
        }
        Err(Busy::NoPool) => Err(ApiError::Internal(format!(
            "site {} has no inbound numbers",
            site.site_key
        ))),
    }
}

/// Gives back the allowance `verification_id` holds for `caller`; a failure only delays its
/// expiry, so it is logged, not answered.
/// Takes back `number`, reserved for `verification_id` and never shown (its attempt was
/// refused): the pair is free at once. A failure only delays its expiry.
async fn cancel_line(
    env: &Env,
    site: &Site,
    caller: &E164,
    verification_id: &str,
    number: Option<&E164>,
) {
    let Some(number) = number else {
        return;
    };
    let cancelled = lines(env, caller, site.test.is_some())
        .cancel(verification_id.to_owned(), number.as_str().to_owned())
        .await;
    if let Err(e) = cancelled {
        worker::console_warn!("taking back a line failed: {e:?}");
    }
}

async fn release_line(env: &Env, site: &Site, caller: &E164, verification_id: &str) {
    release(env, caller, verification_id, site.test.is_some()).await;
}

async fn release(env: &Env, caller: &E164, verification_id: &str, test: bool) {
    let released = lines(env, caller, test)
        .release(verification_id.to_owned())
        .await;
    if let Err(e) = released {
        worker::console_warn!("releasing a line failed: {e:?}");
    }
}

/// Does what a begun attempt needs outside its object: for a code, the limits and the
/// provider's send. A provider's failure is recorded on the session (the visitor is offered
/// another way), not answered as an error.
async fn carry_out(
    env: &Env,
    site: &Site,
    client: &Client,
    (base, background): (&str, &Context),
    begun: Begun,
) -> Outcome<VerificationView> {
    let dispatch = match begun {
        Begun::Waiting { view } => return Ok(*view),
        Begun::Send { dispatch } => dispatch,
    };
    let Payload::SendCode { code } = &dispatch.payload else {
        return Err(ApiError::Internal(
            "a missed call has nothing to send".into(),
        ));
    };
    let result = if let Some(outcome) = site.test {
        // A test key's send reaches no provider, costs nothing and so counts against nothing.
        test_keys::send(outcome, &dispatch)
    } else {
        let send = limits::PaidSend {
            phone: &dispatch.phone,
            channel: dispatch.channel,
            key: format!("{}/{}", dispatch.verification_id, dispatch.attempt),
        };
        let guarded = limits::before_paid_send(env, site, &send, client)
            .await
            .unwrap_or_else(|e| {
                // The attempt has begun: it fails as a state, so the visitor is offered another
                // way, rather than being left behind a cool-down with nothing sent.
                worker::console_error!("the limits of a paid send failed: {e:?}");
                Err(FailureReason::ProviderUnavailable)
            });
        let result = match guarded {
            Ok(()) => providers::send_code(env, background, &dispatch, code, base).await,
            Err(reason) => Err(reason),
        };
        if let Ok(sent) = &result {
            bind_reference(env, &dispatch, sent).await?;
            if sent.provider.is_some_and(ProviderId::reports_price) {
                // The provider's reported price then replaces the estimate.
                limits::sent_as(env, &site.site_key, send.key, sent.reference.clone()).await;
            }
        }
        result
    };
    VerificationStub::named(env, &dispatch.verification_id)
        .sent(dispatch.attempt, result, base.to_owned())
        .await
}

/// Bound before the session learns of the send, so a webhook can never find a reference its
/// session does not know yet. Only providers that report delivery have theirs bound.
async fn bind_reference(env: &Env, dispatch: &Dispatch, sent: &Sent) -> Outcome<()> {
    let Some(provider) = sent.provider.filter(|p| p.reports_delivery()) else {
        return Ok(());
    };
    let name = reference::name(provider.name(), &sent.reference);
    ReferenceStub::named(env, name)
        .bind(dispatch.verification_id.clone(), dispatch.expires_at)
        .await
}

/// The verification's object spends one of its checks and compares; a voice code is then
/// confirmed with Phone Confirm. Answers the result and whether a code was found wrong.
async fn compare(
    env: &Env,
    id: &str,
    code: String,
    origin: Option<String>,
    test: bool,
) -> Outcome<(CheckResult, bool)> {
    let stub = VerificationStub::named(env, id);
    // The origin travels with the check, so the object checks it in the same round trip.
    match stub.check(code, origin).await? {
        CheckStep::Done(result) => {
            let wrong = result.status != VerificationStatus::Verified;
            Ok((result, wrong))
        }
        CheckStep::AskProvider {
            attempt,
            reference,
            code,
            local_match,
        } => {
            // A test call was never placed: the fixed code is its own verdict.
            let verdict = if test {
                Ok(local_match)
            } else {
                providers::verify_voice_code(env, &reference, &code)
                    .await
                    .map(|valid| valid && local_match)
            };
            // A provider that could not say found nothing wrong: the visitor is not blamed.
            let wrong = verdict == Ok(false);
            Ok((stub.verdict(attempt, verdict).await?, wrong))
        }
    }
}
