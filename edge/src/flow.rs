//! The one flow of a verification, whichever API a request came through: start it, begin
//! another attempt, send a code, check a code, and hand it a provider's report. Each step
//! asks core what to do and the Durable Objects to do it, in this order, so a request can be
//! followed from top to bottom here.

use crate::durable::line::LineStub;
use crate::durable::reference::{Binding, ReferenceStub};
use crate::durable::transaction::TransactionStub;
use crate::durable::verification::{Begun, VerificationStub};
use crate::env::{now, site_secret_key, token_key, CryptoRng};
use crate::error::Outcome;
use crate::limits::{PaidGate, PaidSend};
use crate::providers::Told;
use crate::{limits, providers};
use ringproof_api::{Channel, CheckResult, VerificationView};
use ringproof_core::carriers::InboundCall;
use ringproof_core::client::Client;
use ringproof_core::failure::FailureReason;
use ringproof_core::known::{Facts, Known};
use ringproof_core::phone::{self, E164};
use ringproof_core::pow::Proof;
use ringproof_core::providers::{Cost, DeliveryEvent, Dispatch, Payload, ProviderId, Sent};
use ringproof_core::session::{
    found_wrong, CallOutcome, CheckStep, DeliveryOutcome, NewSession, Summary,
};
use ringproof_core::site::{Page, Site};
use ringproof_core::start::{Checked, Offer, RoundOne, Start};
use ringproof_core::throttle::{EstimateName, Rule};
use ringproof_core::{ids, pow, signature, test_keys, ApiError};
use worker::{Context, Env};

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
/// URLs the view hands out. Core decides each step (`ringproof_core::start`); what a step
/// needs from objects is asked at once, in at most three rounds for a code (the proof, the
/// client's starts and the number's locks; the send's limits and the session; the send's
/// reference and its record) and three for a missed call (the line before the session).
pub async fn start(
    env: &Env,
    site: &Site,
    page: &Page,
    client: &Client,
    (base, background): (&str, &Context),
    input: Start<'_>,
) -> Outcome<VerificationView> {
    let Checked {
        phone,
        offer,
        channel,
    } = input.checked(site)?;
    // The proof is checked here, before anything is counted, so a forged one costs no one
    // anything.
    let proof = match input.pays_proof() {
        true => Some(checked_proof(env, site, client, None, input.proof)?),
        false => None,
    };
    input.transaction_id(|id, signature| transaction_bound(env, site, id, signature))?;
    let id = ids::new_verification_id(&mut CryptoRng);
    let test = site.test.is_some();
    // Round one. The proof is spent and the client's starts counted, in one call to the
    // client's own object (a replayed proof counts nothing), the number's locks looked at,
    // and the ClientTransactionId claimed, so a repeat is refused before anything is sent.
    let transaction = input.client_transaction_id.as_ref().map(|ctid| {
        TransactionStub::named(
            env,
            ringproof_core::keys::transaction_object(&site.site_key, ctid),
        )
    });
    let (counted, locked, claimed) = futures_util::join!(
        limits::count_start(env, site, client, proof.as_ref()),
        async {
            if Offer::looks_at_locks(channel, test) {
                limits::check_unlocked(env, site, client, &phone).await
            } else {
                Ok(())
            }
        },
        async {
            match &transaction {
                // As long as the finished record it points to.
                Some(t) => {
                    let until = now().plus_secs(ringproof_core::keys::transaction_ttl_secs(test));
                    t.claim(id.clone(), until).await.map(Some)
                }
                None => Ok(None),
            }
        },
    );
    let first = offer.after_round_one(
        channel,
        RoundOne {
            counted: counted.as_ref().map(|_| ()).map_err(Clone::clone),
            duplicate: claimed
                .as_ref()
                .map(|claim| matches!(claim, Some(Err(_))))
                .map_err(Clone::clone),
            locked,
        },
    );
    let channel = match first {
        Ok(channel) => channel,
        Err(e) => {
            let claim = matches!(claimed, Ok(Some(Ok(()))));
            undo_round_one(
                env,
                &id,
                transaction.as_ref().filter(|_| claim),
                counted.ok(),
            )
            .await;
            return Err(e);
        }
    };
    let new = NewSession {
        id: id.clone(),
        site_key: site.site_key.clone(),
        phone: phone.clone(),
        origin: page.origin.clone(),
        domain: page.domain.clone(),
        language: input.language,
        client_transaction_id: input.client_transaction_id,
        channels: offer.channels.clone(),
        test,
        action: input.action,
        cdata: input.cdata,
    };
    let facts = Facts {
        site_key: site.site_key.clone(),
        phone: phone.clone(),
        origin: page.origin.clone(),
    };
    let session = VerificationStub::named(env, &id);
    if channel == Channel::MissedCall {
        // Round two: the line the visitor will call. Round three: the session.
        let line = match reserve_line(env, site, client, &phone, &id).await {
            Ok(number) => Some(number),
            // Never a dead end: with another way for this number, the verification starts
            // with its missed call failed as `no_free_line`, and the visitor is offered the
            // others.
            Err(e @ ApiError::LinesBusy(_)) if offer.starts_without_line() => {
                limits::count_refusal(env, &site.site_key, e.code()).await;
                None
            }
            Err(e) => {
                release_claim(transaction.as_ref(), &id).await;
                return Err(e);
            }
        };
        let begun = session
            .start(new, channel, line.clone(), base.to_owned())
            .await;
        return match begun {
            Ok(begun) => {
                remember(&id, facts);
                carry_out(env, site, (base, background), begun, None).await
            }
            Err(e) => {
                cancel_line(env, site, &phone, &id, line.as_ref()).await;
                release_claim(transaction.as_ref(), &id).await;
                Err(e)
            }
        };
    }
    // Round two: the send's limits and the session, at once.
    let paid = PaidSend {
        phone: &phone,
        channel,
        key: ringproof_core::limits::first_send_key(&id),
    };
    let attempt = session.start(new, channel, None, base.to_owned());
    match paid_attempt(env, site, &paid, client, attempt).await {
        Ok((begun, gate)) => {
            remember(&id, facts);
            carry_out(env, site, (base, background), begun, gate).await
        }
        Err(e) => {
            release_claim(transaction.as_ref(), &id).await;
            Err(e)
        }
    }
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
    let proof = checked_proof(env, site, client, Some(&summary.id), asker.proof)?;
    let test = site.test.is_some();
    // Round one: the proof spent, and for a paid attempt its Turnstile token and the number's
    // locks, at once.
    let (spent, turnstile, locked) = futures_util::join!(
        limits::spend_proof(env, &site.site_key, client, &proof),
        async {
            if ringproof_core::start::another_asks_turnstile(channel) {
                crate::turnstile::check(env, site, asker.turnstile, &summary.origin, asker.ip).await
            } else {
                Ok(())
            }
        },
        async {
            if Offer::looks_at_locks(channel, test) {
                limits::check_unlocked(env, site, client, &summary.phone).await
            } else {
                Ok(())
            }
        },
    );
    spent?;
    turnstile?;
    locked?;
    let session = VerificationStub::named(env, &summary.id);
    let leaving_call = summary.leaves_line(channel);
    if channel == Channel::MissedCall {
        let line = reserve_line(env, site, client, &summary.phone, &summary.id).await?;
        let begun = session
            .begin(channel, Some(line.clone()), base.to_owned())
            .await;
        return match begun {
            Ok(begun) => carry_out(env, site, (base, background), begun, None).await,
            Err(e) => {
                // A number the page already shows stays; one reserved for this refused attempt
                // goes.
                let fresh = Some(&line).filter(|n| summary.inbound_number.as_ref() != Some(*n));
                cancel_line(env, site, &summary.phone, &summary.id, fresh).await;
                Err(e)
            }
        };
    }
    // Round two: the send's limits and the new attempt, at once.
    let paid = PaidSend {
        phone: &summary.phone,
        channel,
        key: ringproof_core::limits::later_send_key(&summary.id, &mut CryptoRng),
    };
    let attempt = session.begin(channel, None, base.to_owned());
    let (begun, gate) = paid_attempt(env, site, &paid, client, attempt).await?;
    // No longer waiting for a call: the caller's allowance is free for its next one, given
    // back while the code goes out.
    let (view, ()) = futures_util::join!(
        carry_out(env, site, (base, background), begun, gate),
        async {
            if leaving_call {
                release_line(env, site, &summary.phone, &summary.id).await;
            }
        }
    );
    view
}

/// A paid attempt's round two: its send's limits and the session's new attempt, at once. An
/// attempt the session refuses gives back what the limits took.
async fn paid_attempt(
    env: &Env,
    site: &Site,
    send: &PaidSend<'_>,
    client: &Client,
    attempt: impl std::future::Future<Output = Outcome<Begun>>,
) -> Outcome<(Begun, Prepared)> {
    let (gate, begun) = futures_util::join!(paid_send(env, site, send, client), attempt);
    match begun {
        Ok(begun) => Ok((begun, gate)),
        Err(e) => {
            if let Some(Ok((gate, _))) = gate {
                gate.give_back(env).await;
            }
            Err(e)
        }
    }
}

/// What a code's send needs before it goes, asked beside the attempt: its limits, then the
/// providers to try. `None` for a test key's send, which reaches no provider, costs nothing
/// and so counts nothing.
type Prepared = Option<Result<(PaidGate, providers::Route), FailureReason>>;

async fn paid_send(env: &Env, site: &Site, send: &PaidSend<'_>, client: &Client) -> Prepared {
    if site.test.is_some() {
        return None;
    }
    let (gate, route) = futures_util::join!(
        limits::before_paid_send(env, site, send, client),
        providers::route(env, send.channel, send.phone),
    );
    // A failure to count fails the attempt as a state, so the visitor is offered another way,
    // rather than being left behind a cool-down with nothing sent.
    let gate = gate.unwrap_or_else(|e| {
        worker::console_error!("the limits of a paid send failed: {e:?}");
        Err(FailureReason::ProviderUnavailable)
    });
    Some(match (gate, route) {
        (Ok(gate), Ok(route)) => Ok((gate, route)),
        (Ok(gate), Err(reason)) => {
            gate.give_back(env).await;
            Err(reason)
        }
        (Err(reason), _) => Err(reason),
    })
}

/// What the first round of a start took, given back when round one refused it. A start
/// refused in a later round (no line free, say) keeps its count: given back, it would let a
/// client ask again and again for a number's lines, paying only a proof (and a site's server
/// not even that).
async fn undo_round_one(
    env: &Env,
    id: &str,
    transaction: Option<&TransactionStub<'_>>,
    counted: Option<limits::Taken>,
) {
    let (_, ()) = futures_util::join!(release_claim(transaction, id), async {
        if let Some(taken) = counted {
            taken.give_back(env).await;
        }
    });
}

/// Frees a ClientTransactionId claimed for `id`, whose start did not go ahead: the site may
/// start it again.
async fn release_claim(transaction: Option<&TransactionStub<'_>>, id: &str) {
    if let Some(t) = transaction {
        if let Err(e) = t.release(id.to_owned()).await {
            worker::console_warn!("freeing a transaction id failed: {e:?}");
        }
    }
}

/// A code typed on the page at `origin` by `client`. A number locked on this site, or for this
/// client, is refused before the code is compared; the verification's object looks at the
/// locks only for a check it would compare, and spends that check when it finds a lock, so
/// looking costs what guessing costs. Only a code
/// compared and found wrong is counted, so restarting verifications does not buy more guesses
/// and nothing else does either. The verification's own cap is what bounds guesses under
/// concurrency: its object spends a check before it compares.
pub async fn check(
    env: &Env,
    site: &Site,
    (id, facts): (&str, &Facts),
    code: String,
    (origin, base): (Option<String>, &str),
    client: &Client,
) -> Outcome<CheckResult> {
    let counts = ringproof_core::limits::guesses_count(site.test.is_some());
    let locks = if counts {
        ringproof_core::limits::check_counters(&site.site_key, &site.limits(), client, &facts.phone)
            .to_vec()
    } else {
        Vec::new()
    };
    let (result, wrong) = compare(env, id, code, (origin, base), locks.clone()).await?;
    if wrong {
        limits::count_wrong_code(env, locks).await;
    }
    Ok(result)
}

/// What never changes of verification `id` (`known::Facts`): remembered by this isolate since
/// it started or first read it, else read from its object.
pub async fn facts(env: &Env, id: &str) -> Outcome<Facts> {
    let object = VerificationStub::of(env, id)?;
    if let Some(facts) = KNOWN.with(|k| k.borrow().get(id).cloned()) {
        return Ok(facts);
    }
    let facts = object.summary().await?.facts();
    remember(id, facts.clone());
    Ok(facts)
}

fn remember(id: &str, facts: Facts) {
    KNOWN.with(|k| k.borrow_mut().remember(id, facts));
}

thread_local! {
    /// The isolate's, shared by its requests: what it remembers holds for every caller.
    static KNOWN: std::cell::RefCell<Known> = std::cell::RefCell::default();
}

/// A provider's report on the call or message it knows as `reference`.
pub async fn report_delivery(
    (env, background): (&Env, &Context),
    provider: ProviderId,
    reference: &str,
    event: DeliveryEvent,
    cost: Option<Cost>,
) -> Outcome<DeliveryOutcome> {
    if !ids::is_reference(reference) {
        return Ok(DeliveryOutcome::UnknownReference);
    }
    let bound = ReferenceStub::named(
        env,
        ringproof_core::keys::reference_object(provider.name(), reference),
    )
    .resolve()
    .await?;
    let Some(Binding {
        verification_id: id,
        estimate,
    }) = bound
    else {
        return Ok(DeliveryOutcome::UnknownReference);
    };
    // The provider is reporting: its breaker hears it (after the answer), so silence is
    // noticed.
    providers::tell_health(
        env,
        background,
        provider,
        Told::Reported(reference.to_owned()),
    );
    let delivered = VerificationStub::named(env, &id)
        .delivery(reference.to_owned(), event, cost.clone())
        .await?;
    if let Some(cost) = &cost {
        limits::record_spend(env, &delivered.site_key, cost, estimate).await?;
    }
    Ok(if delivered.changed {
        DeliveryOutcome::Applied
    } else {
        DeliveryOutcome::Unchanged
    })
}

/// A reported missed call, from a real provider or from the sandbox: the caller's lines say
/// which verification waits for it, and free the caller's allowance as they route it
/// (`Lines::route`). `test`: the call of a test key's verification, which only the sandbox
/// reports, in lines of their own.
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
    VerificationStub::named(env, &id)
        .call(caller, inbound_number, call_time)
        .await
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
/// resend or switch, for this verification), checked here without any object: each one buys
/// one attempt once it is spent in the client's own object (`limits::count_start` for a
/// start, `limits::spend_proof` for a resend or a switch).
fn checked_proof(
    env: &Env,
    site: &Site,
    client: &Client,
    verification: Option<&str>,
    proof: Option<&str>,
) -> Outcome<Proof> {
    let key = pow::key(&token_key(env)?);
    let to = pow::Binding {
        site_key: &site.site_key,
        client: &client.network,
        verification,
    };
    pow::check(&key, proof, to, now()).map_err(|e| {
        if e != pow::ProofError::Missing {
            worker::console_warn!("proof refused for site {}: {e:?}", site.site_key);
        }
        e.error()
    })
}

/// A caller's lines (`ringproof_core::line::object_name`).
fn lines<'e>(env: &'e Env, caller: &E164, test: bool) -> LineStub<'e> {
    LineStub::named(
        env,
        ringproof_core::line::object_name(caller.as_str(), test),
    )
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
        Err(busy) => Err(busy.refusal(&site.site_key, now())),
    }
}

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

/// Gives back the allowance `verification_id` holds for `caller`; a failure only delays its
/// expiry, so it is logged, not answered.
async fn release(env: &Env, caller: &E164, verification_id: &str, test: bool) {
    let released = lines(env, caller, test)
        .release(verification_id.to_owned())
        .await;
    if let Err(e) = released {
        worker::console_warn!("releasing a line failed: {e:?}");
    }
}

/// Does what a begun attempt needs outside its object: for a code, the provider's send, then
/// (in one round) its reference bound and its record. `gate`: the send's limits and route,
/// asked beside the attempt (`None` for a test key's). A provider's failure or a limit's refusal is
/// recorded on the session (the visitor is offered another way), not answered as an error.
async fn carry_out(
    env: &Env,
    site: &Site,
    (base, background): (&str, &Context),
    begun: Begun,
    gate: Prepared,
) -> Outcome<VerificationView> {
    let dispatch = match begun {
        Begun::Waiting { view } => {
            if let Some(Ok((gate, _))) = gate {
                gate.give_back(env).await;
            }
            return Ok(*view);
        }
        Begun::Send { dispatch } => dispatch,
    };
    let Payload::SendCode { code } = &dispatch.payload else {
        return Err(ApiError::Internal(
            "a missed call has nothing to send".into(),
        ));
    };
    let (result, estimate) = match gate {
        // A test key's send reaches no provider, costs nothing and so counts against nothing.
        None => (
            site.test
                .map_or(Err(FailureReason::ProviderUnavailable), |outcome| {
                    test_keys::send(outcome, &dispatch)
                }),
            None,
        ),
        Some(Ok((gate, route))) => (
            providers::send_code(env, background, route, &dispatch, code, base).await,
            Some(gate.estimate().clone()),
        ),
        Some(Err(reason)) => (Err(reason), None),
    };
    let session = VerificationStub::named(env, &dispatch.verification_id);
    let Ok(sent) = &result else {
        return session
            .sent(dispatch.attempt, result, base.to_owned())
            .await;
    };
    // A webhook may find the reference before the session is told of the send: the session
    // keeps such a report until it is (`Session::on_delivery`).
    let (bound, told) = futures_util::join!(
        bind_reference(env, &dispatch, sent, estimate),
        session.sent(dispatch.attempt, result.clone(), base.to_owned()),
    );
    bound?;
    told
}

/// Only providers that report delivery have their reference bound; one that reports its
/// price also keeps the name of the send's estimate, which that price replaces.
async fn bind_reference(
    env: &Env,
    dispatch: &Dispatch,
    sent: &Sent,
    estimate: Option<EstimateName>,
) -> Outcome<()> {
    let Some(provider) = sent.provider.filter(|p| p.reports_delivery()) else {
        return Ok(());
    };
    let name = ringproof_core::keys::reference_object(provider.name(), &sent.reference);
    let binding = Binding {
        verification_id: dispatch.verification_id.clone(),
        estimate: estimate.filter(|_| provider.reports_price()),
    };
    ReferenceStub::named(env, name)
        .bind(binding, dispatch.expires_at)
        .await
}

/// The verification's object spends one of its checks and compares; a voice code is then
/// confirmed with Phone Confirm. Answers the result and whether a code was found wrong.
async fn compare(
    env: &Env,
    id: &str,
    code: String,
    (origin, base): (Option<String>, &str),
    locks: Vec<(String, Rule)>,
) -> Outcome<(CheckResult, bool)> {
    let stub = VerificationStub::named(env, id);
    // The origin and the locks travel with the check, so the object checks both in the same
    // round trip.
    match stub
        .check(code, origin.clone(), base.to_owned(), locks)
        .await?
    {
        CheckStep::Done(result) => {
            let wrong = ringproof_core::session::compared_wrong(&result);
            Ok((result, wrong))
        }
        CheckStep::AskProvider {
            attempt,
            reference,
            code,
            local_match,
        } => {
            let provider = providers::verify_voice_code(env, &reference, &code).await;
            let verdict = CheckStep::verdict(local_match, provider);
            let wrong = found_wrong(&verdict);
            let result = stub
                .verdict(attempt, verdict, origin, base.to_owned())
                .await?;
            Ok((result, wrong))
        }
    }
}
