//! One verification's Durable Object. It runs every change to its session one at a time, which
//! is what makes "verified once" and "token spent once" hold under concurrent requests, and
//! gives the polling widget read-after-write consistency.

use crate::env::{now, token_key};
use crate::error::Outcome;
use crate::http;
use crate::kv;
use crate::objects::VerificationOp;
use ringproof_api::SiteverifyResponse;
use ringproof_core::keys::{FinishedVerification, SiteByKey};
use ringproof_core::phone::from_network;
use ringproof_core::session::{CallOutcome, RedeemError, Session};
use ringproof_core::ApiError;
use serde::Serialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "session";

#[durable_object]
pub struct VerificationObject {
    state: State,
    env: Env,
}

impl DurableObject for VerificationObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let text = req.text().await?;
        Ok(match self.dispatch(&text).await {
            Ok(r) => r,
            Err(f) => http::failure(f),
        })
    }

    /// Every session has a deadline; past it the object records the outcome and forgets all.
    async fn alarm(&self) -> Result<Response> {
        if let Some(session) = self.load().await? {
            let t = now();
            if t < session.retain_until() {
                self.state
                    .storage()
                    .set_alarm(session.retain_until().millis() as i64)
                    .await?;
                return Response::ok("");
            }
            if let Err(e) = self.record(&session).await {
                // Keep the session and try again rather than lose its record.
                worker::console_error!("recording finished verification failed: {e:?}");
                self.state
                    .storage()
                    .set_alarm(t.plus_secs(60).millis() as i64)
                    .await?;
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

    async fn save(&self, session: &Session) -> Result<()> {
        self.state.storage().put(KEY, session).await
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

    async fn dispatch(&self, text: &str) -> Outcome<Response> {
        match http::parse_json::<VerificationOp>(text)? {
            VerificationOp::Start { session } => {
                if self.load().await?.is_some() {
                    return Err(
                        ApiError::Internal(format!("verification {} exists", session.id)).into(),
                    );
                }
                self.save(&session).await?;
                self.state
                    .storage()
                    .set_alarm(session.retain_until().millis() as i64)
                    .await?;
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
                    // The live state above is the truth; the KV record is for reporting, and the
                    // alarm writes it again when the session ends.
                    if let Err(e) = self.record(&session).await {
                        worker::console_error!("recording verified session failed: {e:?}");
                    }
                }
                ok(&match outcome {
                    CallOutcome::Verified => "verified",
                    CallOutcome::Repeat => "repeat",
                    CallOutcome::Unmatched => "unmatched",
                    CallOutcome::TooLate => "too_late",
                })
            }
            VerificationOp::Redeem { token, secret } => {
                let refuse = |codes: &[&str]| SiteverifyResponse {
                    success: false,
                    error_codes: codes.iter().map(|c| c.to_string()).collect(),
                    ..Default::default()
                };
                let Some(first) = self.load().await? else {
                    return ok(&refuse(&[RedeemError::InvalidResponse.code()]));
                };
                let site = kv::get(&self.env, &SiteByKey(&first.site_key)).await?;
                if !site.is_some_and(|s| s.secret_matches(&secret)) {
                    return ok(&refuse(&["invalid-input-secret"]));
                }
                // Read again after the KV round trip: the check-and-spend below then runs with no
                // other event in between, so two concurrent checks cannot both succeed.
                let Some(mut session) = self.load().await? else {
                    return ok(&refuse(&[RedeemError::InvalidResponse.code()]));
                };
                match session.redeem(&token_key(&self.env)?, &token, now()) {
                    Ok(answer) => {
                        self.save(&session).await?;
                        ok(&answer)
                    }
                    Err(e) => ok(&refuse(&[e.code()])),
                }
            }
        }
    }
}

fn ok<T: Serialize>(body: &T) -> Outcome<Response> {
    Ok(http::json(200, body))
}
