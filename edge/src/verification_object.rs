//! One verification's Durable Object. It runs every change to its session one at a time, which
//! is what makes "verified once", "token spent once" and "at most N checks" hold under
//! concurrent requests, and gives the polling widget read-after-write consistency.

use crate::env::{code_key, now, policy, token_key, CryptoRng};
use crate::error::Outcome;
use crate::http;
use crate::kv;
use crate::objects::{self, serve, wake_at, CallbackOp, VerificationOp, CALLBACKS};
use ringproof_api::SiteverifyResponse;
use ringproof_core::callback;
use ringproof_core::keys::FinishedVerification;
use ringproof_core::phone::from_network;
use ringproof_core::session::{CallOutcome, Issuer, RedeemError, Session};
use ringproof_core::ApiError;
use serde::Serialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "session";
/// Set once the site's callback has been handed to its object.
const NOTIFIED: &str = "notified";

#[durable_object]
pub struct VerificationObject {
    state: State,
    env: Env,
}

impl DurableObject for VerificationObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move { self.dispatch(&text).await }).await
    }

    /// Every session has a deadline; past it the object records the outcome and forgets all.
    async fn alarm(&self) -> Result<Response> {
        if let Some(session) = self.load().await? {
            let t = now();
            if t < session.retain_until() {
                wake_at(&self.state.storage(), session.retain_until()).await?;
                return Response::ok("");
            }
            let done = match self.notify(&session).await {
                Ok(()) => self.record(&session).await,
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                // Keep the session and try again rather than lose its record.
                worker::console_error!("recording finished verification failed: {e:?}");
                wake_at(&self.state.storage(), t.plus_secs(60)).await?;
                return Response::ok("");
            }
        }
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}

impl VerificationObject {
    async fn load(&self) -> Result<Option<Session>> {
        self.state.storage().get::<Session>(KEY).await
    }

    /// Saves the session and moves its alarm to its new end: a resend or a switch extends it.
    /// A session that has just become final hands its site's callback over; if that fails,
    /// the alarm hands it over before the session is forgotten.
    async fn save(&self, session: &Session) -> Result<()> {
        let storage = self.state.storage();
        storage.put(KEY, session).await?;
        wake_at(&storage, session.retain_until()).await?;
        if let Err(e) = self.notify(session).await {
            worker::console_error!("handing over the callback of {} failed: {e:?}", session.id);
        }
        Ok(())
    }

    /// A cost reported after the callback was handed over goes to it too.
    async fn pass_costs_on(&self, session: &Session) {
        let notified = self.state.storage().get::<bool>(NOTIFIED).await;
        if !matches!(notified, Ok(Some(true))) {
            return;
        }
        let op = CallbackOp::Costs {
            costs: callback::costs(session),
        };
        let sent: Outcome<()> = objects::call(&self.env, CALLBACKS, &session.id, &op).await;
        if let Err(e) = sent {
            worker::console_error!(
                "passing costs to the callback of {} failed: {e:?}",
                session.id
            );
        }
    }

    /// Hands a final outcome to the callback object, once.
    async fn notify(&self, session: &Session) -> Outcome<()> {
        let Some(event) = callback::event(session, now()) else {
            return Ok(());
        };
        let storage = self.state.storage();
        if storage.get::<bool>(NOTIFIED).await?.unwrap_or(false) {
            return Ok(());
        }
        let op = CallbackOp::Enqueue {
            event: Box::new(event),
        };
        let _will_call: bool = objects::call(&self.env, CALLBACKS, &session.id, &op).await?;
        storage.put(NOTIFIED, &true).await?;
        Ok(())
    }

    async fn loaded(&self) -> Outcome<Session> {
        Ok(self.load().await?.ok_or(ApiError::VerificationNotFound)?)
    }

    async fn record(&self, session: &Session) -> Outcome<()> {
        let id = session.id.clone();
        kv::put(
            &self.env,
            &FinishedVerification(&id),
            &session.finished_record(now()),
        )
        .await
    }

    /// The live state is the truth; the KV record is for reporting, and the alarm writes it
    /// again when the session ends.
    async fn record_best_effort(&self, session: &Session) {
        if let Err(e) = self.record(session).await {
            worker::console_error!("recording verification outcome failed: {e:?}");
        }
    }

    async fn dispatch(&self, text: &str) -> Outcome<Response> {
        match http::parse_json::<VerificationOp>(text)? {
            VerificationOp::Start { session } => {
                if self.load().await?.is_some() {
                    return Err(
                        ApiError::Internal(format!("verification {} exists", session.id)).into(),
                    );
                }
                self.save(&session).await?;
                ok(&())
            }
            VerificationOp::Get => ok(&self.loaded().await?),
            VerificationOp::Call {
                caller,
                called,
                call_time,
            } => {
                let mut session = self.loaded().await?;
                let (Some(caller), Some(called)) = (from_network(&caller), from_network(&called))
                else {
                    return ok(&"unmatched");
                };
                let outcome = session.on_missed_call(&caller, &called, call_time, now());
                if outcome == CallOutcome::Verified || outcome == CallOutcome::Unmatched {
                    self.save(&session).await?;
                }
                if outcome == CallOutcome::Verified {
                    self.record_best_effort(&session).await;
                }
                ok(&match outcome {
                    CallOutcome::Verified => "verified",
                    CallOutcome::Repeat => "repeat",
                    CallOutcome::Unmatched => "unmatched",
                    CallOutcome::TooLate => "too_late",
                })
            }
            VerificationOp::Redeem { token, site_key } => self.redeem(&token, &site_key).await,
            VerificationOp::Begin { channel, inbound } => {
                let mut session = self.loaded().await?;
                let key = code_key(&self.env)?;
                let mut rng = CryptoRng;
                let mut issuer = Issuer {
                    rng: &mut rng,
                    code_key: &key,
                    policy: policy(&self.env),
                };
                let dispatch = session.begin(channel, inbound, &mut issuer, now())?;
                self.save(&session).await?;
                ok(&dispatch)
            }
            VerificationOp::Sent { attempt, result } => {
                let mut session = self.loaded().await?;
                session.on_sent(attempt, result, now());
                self.save(&session).await?;
                ok(&session)
            }
            VerificationOp::Delivery {
                reference,
                event,
                cost,
            } => {
                let mut session = self.loaded().await?;
                let changed = session.on_delivery(&reference, event, now());
                let costed = cost.is_some();
                if let Some(cost) = cost {
                    session.record_cost(cost);
                }
                self.save(&session).await?;
                if changed {
                    self.record_best_effort(&session).await;
                }
                if costed {
                    self.pass_costs_on(&session).await;
                }
                ok(&(changed, &session.site_key))
            }
            VerificationOp::Check { code, origin } => {
                // Spent and saved before anything else can run: a concurrent check sees it.
                let mut session = self.loaded().await?;
                if origin.is_some_and(|o| o != session.origin) {
                    return Err(ApiError::OriginNotAllowed.into());
                }
                let step = session.check_code(&code, &code_key(&self.env)?, now())?;
                self.save(&session).await?;
                ok(&step)
            }
            VerificationOp::Verdict { attempt, verdict } => {
                let mut session = self.loaded().await?;
                let result = session.on_verdict(attempt, verdict, now());
                self.save(&session).await?;
                ok(&result)
            }
        }
    }

    /// The caller has already proved it holds `site_key`'s secret. Another site's token reads
    /// as no token at all.
    async fn redeem(&self, token: &str, site_key: &str) -> Outcome<Response> {
        let refuse = |code: &str| SiteverifyResponse {
            success: false,
            error_codes: vec![code.to_owned()],
            ..Default::default()
        };
        let Some(mut session) = self.load().await?.filter(|s| s.site_key == site_key) else {
            return ok(&refuse(RedeemError::InvalidResponse.code()));
        };
        match session.redeem(&token_key(&self.env)?, token, now()) {
            Ok(answer) => {
                self.save(&session).await?;
                ok(&answer)
            }
            Err(e) => ok(&refuse(e.code())),
        }
    }
}

fn ok<T: Serialize>(body: &T) -> Outcome<Response> {
    Ok(http::json(200, body))
}
