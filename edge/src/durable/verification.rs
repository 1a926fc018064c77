//! One verification's Durable Object (named by its id). It makes the session and runs every
//! change to it one at a time, which is what makes "verified once", "token spent once" and "at
//! most N checks" hold under concurrent requests, and gives the widget read-after-write
//! consistency. The session never leaves it: the Worker gets summaries and views.

use super::callback::CallbackStub;
use super::{wake_at, Alarm, Followed};
use crate::env::{code_key, now, policy, token_key, CryptoRng};
use crate::error::{Internal, Outcome};
use crate::{http, kv, limits};
use ringproof_api::live as api_live;
use ringproof_api::{Channel, CheckResult, SiteverifyResponse, TransactionView, VerificationView};
use ringproof_core::failure::FailureReason;
use ringproof_core::keys::FinishedVerification;
use ringproof_core::phone::E164;
use ringproof_core::providers::{Cost, DeliveryEvent, Dispatch, Payload, Sent};
use ringproof_core::session::{CallOutcome, CheckStep, Issuer, NewSession, Session, Summary};
use ringproof_core::siteverify::SiteverifyError;
use ringproof_core::throttle::Rule;
use ringproof_core::{callback, events, live};
use ringproof_core::{ApiError, Timestamp};
use serde::{Deserialize, Serialize};

messages! {
    /// To the Durable Object of one verification.
    "VERIFICATIONS": VerificationMessage, VerificationStub, VerificationHandler {
        /// Makes the session and its first attempt.
        Start => fn start(new: NewSession, channel: Channel, inbound_number: Option<E164>, base: String) -> Begun;
        /// What the Worker needs to route a request.
        Summary => fn summary() -> Summary;
        /// The widget's view as its JSON, with what the Worker checks the page against: a
        /// status read passes the view through without reading it.
        Status => fn status(base: String) -> StatusRead;
        /// The site server's view of its transaction.
        Transaction => fn transaction() -> Option<TransactionView>;
        /// A reported missed call from `caller` to `inbound_number`.
        Call => fn call(caller: E164, inbound_number: E164, call_time: Timestamp) -> CallOutcome;
        /// Siteverify, for the site whose secret the caller presented.
        Redeem => fn redeem(token: String, site_key: String) -> SiteverifyResponse;
        /// A resend or a switch.
        Begin => fn begin(channel: Channel, inbound_number: Option<E164>, base: String) -> Begun;
        /// The provider's answer to the send of attempt `attempt`.
        Sent => fn sent(attempt: u32, result: Result<Sent, FailureReason>, base: String) -> VerificationView;
        /// A provider's delivery report on `reference`.
        Delivery => fn delivery(reference: String, event: DeliveryEvent, cost: Option<Cost>) -> Delivered;
        /// A typed code, from a page at `origin`: checked in the same round trip.
        /// The number's `locks` are looked at once the session would compare; a check that
        /// finds one is spent.
        Check => fn check(code: String, origin: Option<String>, base: String, locks: Vec<(String, Rule)>) -> CheckStep;
        /// Phone Confirm's verdict on a voice code typed on the page at `origin`.
        Verdict => fn verdict(attempt: u32, verdict: Result<bool, FailureReason>, origin: Option<String>, base: String) -> CheckResult;
        /// A fresh token for one that expired unspent, from a page at `origin`.
        Renew => fn renew(origin: Option<String>, base: String) -> VerificationView;
    }
}

impl<'e> VerificationStub<'e> {
    /// The object of verification `id`. An id not of the form ids are issued in is refused
    /// before any object is named.
    pub fn of(env: &'e worker::Env, id: &str) -> Outcome<Self> {
        if !ringproof_core::ids::is_verification_id(id) {
            return Err(ringproof_core::ApiError::VerificationNotFound);
        }
        Ok(Self::named(env, id))
    }
}

/// An attempt begun: nothing more to do (a missed call waits for the visitor), or a code for
/// the Worker to send.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum Begun {
    Waiting { view: Box<VerificationView> },
    Send { dispatch: Dispatch },
}

/// A status read: the view as JSON, and the site and page it belongs to.
#[derive(Debug, Serialize, Deserialize)]
pub struct StatusRead {
    pub site_key: String,
    pub origin: String,
    pub view: Box<serde_json::value::RawValue>,
}

/// Whether a delivery report changed anything, and whose verification it was.
#[derive(Debug, Serialize, Deserialize)]
pub struct Delivered {
    pub changed: bool,
    pub site_key: String,
}

const KEY: &str = "session";
/// Set once the site's callback has been handed to its object.
const NOTIFIED: &str = "notified";

// The session stays in memory between requests: a page's poll reads no storage.
object!(VerificationObject, VerificationMessage, followed, keeps Option<Session>);

impl Alarm for VerificationObject {
    /// Every session has a deadline; past it the object records the outcome and forgets all.
    async fn alarm(&self) -> worker::Result<()> {
        if let Some(session) = self.load().await? {
            let t = now();
            if t < session.retain_until() {
                // The attempt has just ended: the pages following it hear so.
                self.push(&session);
                return wake_at(&self.state.storage(), session.next_wake(t)).await;
            }
            let done = match self.notify(&session).await {
                Ok(()) => self.record(&session).await,
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                // Keep the session and try again rather than lose its record.
                worker::console_error!("recording finished verification failed: {e:?}");
                let again = t.plus_secs(ringproof_core::keys::RECORD_RETRY_SECS);
                return wake_at(&self.state.storage(), again).await;
            }
            // A late alarm may come straight here: the pages hear the end before it is forgotten.
            self.push(&session);
            if let Ok(key) = token_key(&self.env) {
                crate::history::write(
                    &self.env,
                    events::expired(&session, &key, t).into_iter().collect(),
                )
                .await;
            }
        }
        // No socket outlives its record.
        for ws in self.state.get_websockets() {
            let _ = ws.close(Some(api_live::CLOSE_FINAL), Some("forgotten"));
        }
        *self.memory.borrow_mut() = None;
        self.state.storage().delete_all().await
    }
}

impl VerificationHandler for VerificationObject {
    async fn start(
        &self,
        new: NewSession,
        channel: Channel,
        inbound_number: Option<E164>,
        base: String,
    ) -> Outcome<Begun> {
        if self.load().await.internal()?.is_some() {
            return Err(ApiError::Internal(format!(
                "verification {} exists",
                new.id
            )));
        }
        let key = code_key(&self.env)?;
        let mut issuer = Issuer {
            rng: &mut CryptoRng,
            code_key: &key,
            policy: policy(&self.env),
        };
        let (session, dispatch) = Session::start(new, channel, inbound_number, &mut issuer, now())?;
        self.save(None, &session).await?;
        self.begun(&session, dispatch, &base)
    }

    async fn summary(&self) -> Outcome<Summary> {
        Ok(self.loaded().await?.summary_at(now()))
    }

    async fn status(&self, base: String) -> Outcome<StatusRead> {
        let key = token_key(&self.env)?;
        self.read(|session| {
            let view = session.view(&key, &base, now());
            Ok(StatusRead {
                site_key: session.site_key.clone(),
                origin: session.origin.clone(),
                view: serde_json::value::to_raw_value(&view).internal()?,
            })
        })
        .await?
    }

    async fn transaction(&self) -> Outcome<Option<TransactionView>> {
        Ok(self.loaded().await?.transaction_view(now()))
    }

    async fn call(
        &self,
        caller: E164,
        inbound_number: E164,
        call_time: Timestamp,
    ) -> Outcome<CallOutcome> {
        let mut session = self.loaded().await?;
        let before = session.clone();
        let outcome = session.on_missed_call(&caller, &inbound_number, call_time, now());
        // Whatever core changed is kept; a repeat or a late call changes nothing.
        if session != before {
            self.save(Some(&before), &session).await?;
        }
        if outcome == CallOutcome::Verified {
            self.record_best_effort(&session).await;
        }
        Ok(outcome)
    }

    /// The caller has already proved it holds `site_key`'s secret. Another site's token reads
    /// as no token at all.
    async fn redeem(&self, token: String, site_key: String) -> Outcome<SiteverifyResponse> {
        let Some(mut session) = self.load().await.internal()? else {
            return Ok(SiteverifyError::InvalidInputResponse.answer());
        };
        let before = session.clone();
        match session.redeem_for(&site_key, &token_key(&self.env)?, &token, now()) {
            Ok(answer) => {
                self.save(Some(&before), &session).await?;
                Ok(answer)
            }
            Err(e) => Ok(e.answer()),
        }
    }

    async fn begin(
        &self,
        channel: Channel,
        inbound_number: Option<E164>,
        base: String,
    ) -> Outcome<Begun> {
        let mut session = self.loaded().await?;
        let before = session.clone();
        let key = code_key(&self.env)?;
        let mut issuer = Issuer {
            rng: &mut CryptoRng,
            code_key: &key,
            policy: policy(&self.env),
        };
        let dispatch = session.begin(channel, inbound_number, &mut issuer, now())?;
        self.save(Some(&before), &session).await?;
        self.begun(&session, dispatch, &base)
    }

    async fn sent(
        &self,
        attempt: u32,
        result: Result<Sent, FailureReason>,
        base: String,
    ) -> Outcome<VerificationView> {
        let mut session = self.loaded().await?;
        let before = session.clone();
        session.on_sent(attempt, result, now());
        self.save(Some(&before), &session).await?;
        Ok(session.view(&token_key(&self.env)?, &base, now()))
    }

    async fn delivery(
        &self,
        reference: String,
        event: DeliveryEvent,
        cost: Option<Cost>,
    ) -> Outcome<Delivered> {
        let mut session = self.loaded().await?;
        let before = session.clone();
        let changed = session.on_delivery(&reference, event, now());
        let costed = cost.is_some();
        if let Some(cost) = cost {
            session.record_cost(cost);
        }
        self.save(Some(&before), &session).await?;
        if changed {
            self.record_best_effort(&session).await;
        }
        if costed {
            self.pass_costs_on(&session).await;
        }
        Ok(Delivered {
            changed,
            site_key: session.site_key,
        })
    }

    async fn check(
        &self,
        code: String,
        origin: Option<String>,
        base: String,
        locks: Vec<(String, Rule)>,
    ) -> Outcome<CheckStep> {
        // One check at a time: a check's look at the locks and its compare are one step to
        // every other check, so a check spent is a code compared (or a lock found).
        let _turn = self.turn.lock().await;
        let mut session = self.loaded().await?;
        let follower = ringproof_core::origin::follower(origin.as_deref(), &session.origin)?;
        if !locks.is_empty() {
            // What the session refuses by itself is refused before any lock is looked at.
            session.clone().spend_check(&code, now())?;
            let looked = limits::look_at_locks(&self.env, &locks).await;
            session = self.loaded().await?;
            if let Err(locked @ ApiError::NumberLocked(_)) = looked {
                // A locked number's check is spent: looking costs what guessing costs.
                let before = session.clone();
                if session.spend_locked_check(&code, now()).is_ok() {
                    self.save(Some(&before), &session).await?;
                }
                return Err(locked);
            }
            looked?;
        }
        // Spent and saved before anything else can run: a concurrent request sees it.
        let before = session.clone();
        let step = session.check_code(&code, &code_key(&self.env)?, now())?;
        self.save(Some(&before), &session).await?;
        Ok(match step {
            CheckStep::Done(result) => {
                let key = token_key(&self.env)?;
                CheckStep::Done(session.answer_check(result, follower, (&key, &base), now()))
            }
            ask => ask,
        })
    }

    async fn renew(&self, origin: Option<String>, base: String) -> Outcome<VerificationView> {
        let mut session = self.loaded().await?;
        let before = session.clone();
        ringproof_core::origin::follower(origin.as_deref(), &session.origin)?;
        session.renew_token(now())?;
        self.save(Some(&before), &session).await?;
        Ok(session.view(&token_key(&self.env)?, &base, now()))
    }

    async fn verdict(
        &self,
        attempt: u32,
        verdict: Result<bool, FailureReason>,
        origin: Option<String>,
        base: String,
    ) -> Outcome<CheckResult> {
        let mut session = self.loaded().await?;
        let before = session.clone();
        let follower = ringproof_core::origin::follower(origin.as_deref(), &session.origin)?;
        let result = session.on_verdict(attempt, verdict, now());
        self.save(Some(&before), &session).await?;
        let key = token_key(&self.env)?;
        Ok(session.answer_check(result, follower, (&key, &base), now()))
    }
}

impl VerificationObject {
    /// The session, from memory once it has been read or saved since the object woke.
    async fn load(&self) -> worker::Result<Option<Session>> {
        if let Some(session) = self.memory.borrow().as_ref() {
            return Ok(Some(session.clone()));
        }
        let stored = self.state.storage().get::<Session>(KEY).await?;
        // Another request may have saved while this one read: its session is the newer.
        if self.memory.borrow().is_none() {
            *self.memory.borrow_mut() = stored.clone();
        }
        Ok(stored)
    }

    /// Reads the session where it is kept in memory, without copying it: the most frequent
    /// message, a status read, only looks.
    async fn read<R>(&self, look: impl FnOnce(&Session) -> R) -> Outcome<R> {
        if self.memory.borrow().is_none() {
            self.load().await.internal()?;
        }
        match self.memory.borrow().as_ref() {
            Some(session) => Ok(look(session)),
            None => Err(ApiError::VerificationNotFound),
        }
    }

    async fn loaded(&self) -> Outcome<Session> {
        self.load()
            .await
            .internal()?
            .ok_or(ApiError::VerificationNotFound)
    }

    fn begun(&self, session: &Session, dispatch: Dispatch, base: &str) -> Outcome<Begun> {
        Ok(match dispatch.payload {
            // The line was reserved before the attempt began: nothing is left to do.
            Payload::AwaitCall { .. } | Payload::NoLine => Begun::Waiting {
                view: Box::new(session.view(&token_key(&self.env)?, base, now())),
            },
            Payload::SendCode { .. } => Begun::Send { dispatch },
        })
    }

    /// Saves the session, tells the pages following it, and moves its alarm: a resend or a
    /// switch extends it. A session that has just become final hands its site's callback
    /// over; if that fails, the alarm hands it over before the session is forgotten. `before`
    /// is the session as loaded (none for a new one): the history is what changed between.
    async fn save(&self, before: Option<&Session>, session: &Session) -> Outcome<()> {
        let storage = self.state.storage();
        storage.put(KEY, session).await.internal()?;
        *self.memory.borrow_mut() = Some(session.clone());
        self.remember(events::between(
            before,
            session,
            &token_key(&self.env)?,
            now(),
        ));
        self.push(session);
        wake_at(&storage, session.next_wake(now()))
            .await
            .internal()?;
        if let Err(e) = self.notify(session).await {
            worker::console_error!("handing over the callback of {} failed: {e:?}", session.id);
        }
        Ok(())
    }

    /// Writes what happened to the history once the request is answered.
    fn remember(&self, events: Vec<events::Event>) {
        if events.is_empty() {
            return;
        }
        let env = self.env.clone();
        self.state
            .wait_until(async move { crate::history::write(&env, events).await });
    }

    /// A cost reported after the callback was handed over goes to it too.
    async fn pass_costs_on(&self, session: &Session) {
        let notified = self.state.storage().get::<bool>(NOTIFIED).await;
        if !matches!(notified, Ok(Some(true))) {
            return;
        }
        let costs = callback::costs(session);
        let sent = CallbackStub::named(&self.env, &session.id)
            .costs(costs)
            .await;
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
        if storage
            .get::<bool>(NOTIFIED)
            .await
            .internal()?
            .unwrap_or(false)
        {
            return Ok(());
        }
        let stub = CallbackStub::named(&self.env, &session.id);
        let _will_call = stub.enqueue(Box::new(event)).await?;
        storage.put(NOTIFIED, &true).await.internal()?;
        Ok(())
    }

    async fn record(&self, session: &Session) -> Outcome<()> {
        let Some(record) = session.record_to_keep(now()) else {
            return Ok(());
        };
        let id = session.id.clone();
        kv::put(&self.env, &FinishedVerification(&id), &record).await
    }

    /// The live state is the truth; the KV record is for reporting, and the alarm writes it
    /// again when the session ends.
    async fn record_best_effort(&self, session: &Session) {
        if let Err(e) = self.record(session).await {
            worker::console_error!("recording verification outcome failed: {e:?}");
        }
    }
}

/// What each socket keeps through hibernation (its attachment): the edge base its page used,
/// for the view's image URLs, and when it was accepted.
#[derive(Default, Serialize, Deserialize)]
struct Page {
    base: String,
    since: u64,
}

impl Page {
    fn of(ws: &worker::WebSocket) -> Page {
        ws.deserialize_attachment()
            .ok()
            .flatten()
            .unwrap_or_default()
    }
}

/// The pages following a verification, over hibernatable WebSockets.
impl Followed for VerificationObject {
    async fn follow(&self, req: worker::Request) -> worker::Result<worker::Response> {
        let origin = req.headers().get("Origin")?;
        let session = match self.loaded().await {
            Ok(s) => s,
            Err(e) => return Ok(http::failure(e)),
        };
        let listed = self.state.get_websockets();
        let allowed = live::may_follow(&session, origin.as_deref())
            .and_then(|()| live::may_attach(listed.len()));
        if let Err(e) = allowed {
            crate::limits::count_refusal(&self.env, &session.site_key, e.code()).await;
            return Ok(http::failure(e));
        }
        let page = Page {
            base: req.url()?.origin().ascii_serialization(),
            since: now().millis(),
        };
        // Everything that can fail before the socket is accepted, so none is left half open.
        let view = match token_key(&self.env) {
            Ok(key) => session.view(&key, &page.base, now()),
            Err(e) => return Ok(http::failure(e)),
        };
        let pair = worker::WebSocketPair::new()?;
        pair.server.serialize_attachment(&page)?;
        // Pings are answered by the runtime: a quiet page never wakes the object.
        let pong =
            worker::worker_sys::WebSocketRequestResponsePair::new(api_live::PING, api_live::PONG)?;
        // The runtime lists sockets in no particular order: the oldest go by their own clock.
        let mut open: Vec<(u64, worker::WebSocket)> = listed
            .into_iter()
            .map(|ws| (Page::of(&ws).since, ws))
            .collect();
        open.sort_by_key(|(since, _)| *since);
        for (_, old) in open.iter().take(live::to_replace(open.len())) {
            let _ = old.close(Some(api_live::CLOSE_REPLACED), Some("replaced"));
        }
        self.state.accept_web_socket(&pair.server);
        self.state.set_websocket_auto_response(&pong);
        tell(&pair.server, &view);
        worker::Response::from_websocket(pair.client)
    }

    async fn heard(
        &self,
        ws: worker::WebSocket,
        _message: worker::WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        let _ = ws.close(Some(api_live::CLOSE_UNEXPECTED), Some("unexpected message"));
        Ok(())
    }

    async fn left(&self, ws: worker::WebSocket) -> worker::Result<()> {
        // Completes the closing handshake; the socket may already be gone.
        let _ = ws.close(Some(api_live::CLOSE_FINAL), Some(""));
        Ok(())
    }
}

impl VerificationObject {
    /// Sends the session's view to every page following it (closing them once it is final).
    fn push(&self, session: &Session) {
        let sockets = self.state.get_websockets();
        if sockets.is_empty() {
            return;
        }
        let Ok(key) = token_key(&self.env) else {
            return;
        };
        let t = now();
        for ws in sockets {
            tell(&ws, &session.view(&key, &Page::of(&ws).base, t));
        }
    }
}

impl VerificationStub<'_> {
    /// Hands a page's WebSocket upgrade to the verification's object, which checks the page.
    pub async fn follow(&self, req: worker::Request) -> Outcome<worker::Response> {
        super::forward(self.env, Self::BINDING, &self.name, req).await
    }
}

/// One view to one page; a socket that cannot take it has gone, and the runtime drops it.
fn tell(ws: &worker::WebSocket, view: &VerificationView) {
    if let Ok(text) = serde_json::to_string(view) {
        let _ = ws.send_with_str(text);
    }
    if view.status.is_final() {
        let _ = ws.close(Some(api_live::CLOSE_FINAL), Some("final"));
    }
}
