//! Ringproof's verification engine.
//!
//! Everything that can be decided without the network lives here: phone normalisation, sites
//! and their origin rules, the verification state machine, tokens, the number image. Time and
//! randomness are passed in, so the same code runs natively in tests and in the Worker.

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod callback;
pub mod carriers;
pub mod client;
pub mod code;
pub mod error;
pub mod events;
pub mod failure;
pub mod ids;
pub mod image;
pub mod insights;
pub mod keys;
pub mod known;
pub mod limits;
pub mod line;
pub mod live;
pub mod onering;
pub mod origin;
pub mod phone;
pub mod pow;
pub mod providers;
pub mod qr;
pub mod random;
pub mod secret;
pub mod session;
pub mod settings;
pub mod site;
pub mod siteverify;
pub mod start;
pub mod test_keys;
pub mod texts;
pub mod throttle;
pub mod time;
pub mod token;
pub mod turnstile;

pub use error::ApiError;
pub use random::Randomness;
/// Callback and ClientTransactionId signatures: their own crate, so a site's server (the SDK)
/// needs nothing else of core.
pub use ringproof_signature as signature;
pub use time::Timestamp;
