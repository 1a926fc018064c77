//! The Worker's Durable Objects. Each object's messages and the answer to each are declared
//! once, with [`messages!`]: the declaration makes the wire enum the object reads, a typed
//! client the Worker calls (`VerificationStub::named(env, id).status(base)`), and the trait the
//! object implements, one method per message. The answer travels as `Result<Answer, ApiError>`
//! in JSON, so an object's refusal reaches the caller as the same error. [`object!`] writes
//! each object's shell (its struct and its `fetch`/`alarm` glue) the same way.

use crate::error::{Internal, Outcome};
use ringproof_core::{ApiError, Timestamp};
use serde::{de::DeserializeOwned, Serialize};
use worker::{Env, Method, Request, RequestInit, Storage, WebSocket, WebSocketIncomingMessage};

/// Declares one object's messages: `Variant => fn method(args) -> Answer;` each.
macro_rules! messages {
    (
        $(#[$doc:meta])*
        $binding:literal: $Msg:ident, $Client:ident, $Handler:ident {
            $(
                $(#[$vdoc:meta])*
                $Variant:ident => fn $method:ident($($arg:ident : $ty:ty),* $(,)?) -> $Answer:ty;
            )*
        }
    ) => {
        $(#[$doc])*
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        pub enum $Msg {
            $( $(#[$vdoc])* $Variant { $($arg: $ty),* }, )*
        }

        /// Calls one object of this kind by name; each message's answer type is fixed.
        pub struct $Client<'e> {
            env: &'e worker::Env,
            name: String,
        }

        #[allow(dead_code)]
        impl<'e> $Client<'e> {
            pub const BINDING: &'static str = $binding;

            pub fn named(env: &'e worker::Env, name: impl Into<String>) -> Self {
                Self { env, name: name.into() }
            }

            $(
                $(#[$vdoc])*
                pub async fn $method(&self, $($arg: $ty),*) -> $crate::error::Outcome<$Answer> {
                    let message = $Msg::$Variant { $($arg),* };
                    $crate::durable::send(self.env, $binding, &self.name, &message).await
                }
            )*
        }

        /// What the object does with each message.
        #[allow(async_fn_in_trait)]
        pub trait $Handler {
            $( async fn $method(&self, $($arg: $ty),*) -> $crate::error::Outcome<$Answer>; )*
        }

        impl $Msg {
            /// Reads the message in `req`, runs it on `object`, and answers its result.
            pub async fn serve<H: $Handler>(
                mut req: worker::Request,
                object: &H,
            ) -> worker::Result<worker::Response> {
                let text = req.text().await?;
                let answer = match $crate::http::parse_json::<$Msg>(&text) {
                    $( Ok($Msg::$Variant { $($arg),* }) => {
                        $crate::durable::encode(object.$method($($arg),*).await)
                    } )*
                    Err(e) => $crate::durable::encode::<()>(Err(e)),
                };
                worker::Response::ok(answer)
            }
        }
    };
}

/// Writes an object's shell: the struct the runtime constructs, its `fetch` (read the
/// message, run it, answer) and its `alarm`. An object declared `followed` also takes
/// WebSocket upgrades and their events, through its [`Followed`] implementation, and `keeps`
/// a value in memory between requests.
macro_rules! object {
    ($(#[$doc:meta])* $Object:ident, $Msg:ty) => {
        object!(@shell $(#[$doc])* $Object, $Msg, (), |_this, _req| {}, {});
    };
    ($(#[$doc:meta])* $Object:ident, $Msg:ty, followed, keeps $Memory:ty) => {
        object!(@shell $(#[$doc])* $Object, $Msg, $Memory, |this, req| {
            if $crate::durable::is_upgrade(&req) {
                return $crate::durable::Followed::follow(this, req).await;
            }
        }, {
            async fn websocket_message(
                &self,
                ws: worker::WebSocket,
                message: worker::WebSocketIncomingMessage,
            ) -> worker::Result<()> {
                $crate::durable::Followed::heard(self, ws, message).await
            }

            async fn websocket_close(
                &self,
                ws: worker::WebSocket,
                _code: usize,
                _reason: String,
                _was_clean: bool,
            ) -> worker::Result<()> {
                $crate::durable::Followed::left(self, ws).await
            }

            async fn websocket_error(
                &self,
                ws: worker::WebSocket,
                _error: worker::Error,
            ) -> worker::Result<()> {
                $crate::durable::Followed::left(self, ws).await
            }
        });
    };
    (@shell $(#[$doc:meta])* $Object:ident, $Msg:ty, $Memory:ty, |$this:ident, $req:ident| $before:block, { $($more:tt)* }) => {
        $(#[$doc])*
        #[worker::durable_object]
        pub struct $Object {
            state: worker::State,
            #[allow(dead_code)]
            env: worker::Env,
            /// What the object keeps in memory between requests, beside its storage: gone
            /// when the runtime evicts the object, so always read again from storage then.
            #[allow(dead_code)]
            memory: std::cell::RefCell<$Memory>,
            /// Held by a step that awaits something else in its middle and must not interleave
            /// with another of its kind (a check's look at the number's locks and its compare).
            #[allow(dead_code)]
            turn: futures_util::lock::Mutex<()>,
        }

        impl worker::DurableObject for $Object {
            fn new(state: worker::State, env: worker::Env) -> Self {
                Self { state, env, memory: Default::default(), turn: Default::default() }
            }

            async fn fetch(&self, $req: worker::Request) -> worker::Result<worker::Response> {
                let $this = self;
                $before
                <$Msg>::serve($req, $this).await
            }

            async fn alarm(&self) -> worker::Result<worker::Response> {
                $crate::durable::Alarm::alarm(self).await?;
                worker::Response::ok("")
            }

            $($more)*
        }
    };
}

pub mod callback;
pub mod health;
pub mod line;
pub mod reference;
pub mod throttle;
pub mod transaction;
pub mod verification;

/// What an object does when its alarm rings.
#[allow(async_fn_in_trait)]
pub trait Alarm {
    async fn alarm(&self) -> worker::Result<()>;
}

/// What an object followed over WebSockets does with them (see `ringproof_api::live`). The
/// sockets are hibernatable: the object may leave memory while they stay open.
#[allow(async_fn_in_trait)]
pub trait Followed {
    /// An upgrade request, forwarded by the Worker as the page sent it.
    async fn follow(&self, req: Request) -> worker::Result<worker::Response>;
    /// A frame the page sent: pings are answered by the runtime and never get here.
    async fn heard(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()>;
    /// The page closed its socket, or the connection failed.
    async fn left(&self, ws: WebSocket) -> worker::Result<()>;
}

pub fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get("Upgrade")
        .ok()
        .flatten()
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// Hands the page's own request to the object `name` of `binding` (a WebSocket upgrade, whose
/// answer is passed back untouched).
pub async fn forward(
    env: &Env,
    binding: &str,
    name: &str,
    req: Request,
) -> Outcome<worker::Response> {
    let stub = stub(env, binding, name)?;
    let _call = crate::tally::call();
    stub.fetch_with_request(req).await.internal()
}

fn stub(env: &Env, binding: &str, name: &str) -> Outcome<worker::Stub> {
    env.durable_object(binding)
        .internal()?
        .id_from_name(name)
        .internal()?
        .get_stub()
        .internal()
}

/// Sends `message` to the object `name` of `binding` and reads its answer.
pub async fn send<M: Serialize, A: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    message: &M,
) -> Outcome<A> {
    let body = serde_json::to_string(message).internal()?;
    let text = post(env, binding, name, body).await?;
    serde_json::from_str::<Result<A, ApiError>>(&text)
        .map_err(|e| ApiError::Internal(format!("object {binding} answered badly: {e}")))?
}

/// The exchange itself, the same for every message (one copy in the Worker, not one per
/// message type).
async fn post(env: &Env, binding: &str, name: &str, body: String) -> Outcome<String> {
    let stub = stub(env, binding, name)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/", &init).internal()?;
    let _call = crate::tally::call();
    let mut res = stub.fetch_with_request(req).await.internal()?;
    res.text().await.internal()
}

/// An object's answer on the wire.
pub fn encode<A: Serialize>(answer: Outcome<A>) -> String {
    serde_json::to_string(&answer).unwrap_or_else(|e| {
        let e = ApiError::Internal(format!("an answer did not serialise: {e}"));
        serde_json::to_string(&Err::<(), _>(e)).unwrap_or_default()
    })
}

/// Sets an object's alarm for the instant `at`. workers-rs reads a bare integer as an offset
/// from now, not as an instant, so every alarm is set through here.
#[allow(clippy::disallowed_methods)]
pub async fn wake_at(storage: &Storage, at: Timestamp) -> worker::Result<()> {
    let offset = at.millis().saturating_sub(crate::env::now().millis());
    storage
        .set_alarm(std::time::Duration::from_millis(offset))
        .await
}
