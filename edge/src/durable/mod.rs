//! The Worker's Durable Objects. Each object's messages and the answer to each are declared
//! once, with [`messages!`]: the declaration makes the wire enum the object reads, a typed
//! client the Worker calls (`Verification::named(env, id).view(base)`), and the trait the
//! object implements, one method per message. The answer travels as `Result<Answer, ApiError>`
//! in JSON, so an object's refusal reaches the caller as the same error. [`object!`] writes
//! each object's shell (its struct and its `fetch`/`alarm` glue) the same way.

use crate::error::{Internal, Outcome};
use ringproof_core::{ApiError, Timestamp};
use serde::{de::DeserializeOwned, Serialize};
use worker::{Env, Method, Request, RequestInit, Storage};

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
/// message, run it, answer) and its `alarm`.
macro_rules! object {
    ($(#[$doc:meta])* $Object:ident, $Msg:ty) => {
        $(#[$doc])*
        #[worker::durable_object]
        pub struct $Object {
            state: worker::State,
            #[allow(dead_code)]
            env: worker::Env,
        }

        impl worker::DurableObject for $Object {
            fn new(state: worker::State, env: worker::Env) -> Self {
                Self { state, env }
            }

            async fn fetch(&self, req: worker::Request) -> worker::Result<worker::Response> {
                <$Msg>::serve(req, self).await
            }

            async fn alarm(&self) -> worker::Result<worker::Response> {
                $crate::durable::Alarm::alarm(self).await?;
                worker::Response::ok("")
            }
        }
    };
}

pub mod callback;
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
    let stub = env
        .durable_object(binding)
        .internal()?
        .id_from_name(name)
        .internal()?
        .get_stub()
        .internal()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/", &init).internal()?;
    let mut res = stub.fetch_with_request(req).await.internal()?;
    res.text().await.internal()
}

/// The value an object keeps under `key`, or its default when it keeps none yet.
pub async fn stored_or_default<T: DeserializeOwned + Default>(
    storage: &Storage,
    key: &str,
) -> Outcome<T> {
    Ok(storage.get::<T>(key).await.internal()?.unwrap_or_default())
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
