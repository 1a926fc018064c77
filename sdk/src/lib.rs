//! Ringproof for a site's server.
//!
//! - [`Client`] checks the token the widget hands the page (`/v1/siteverify`, Turnstile's
//!   model), looks up a verification by your ClientTransactionId, and lists the delivery
//!   attempts of a verification's callback.
//! - [`callback`] verifies the callbacks Ringproof sends you, JSON (Standard Webhooks) or
//!   OneRing's signed GET, and parses them into typed values.
//!
//! ```no_run
//! let client = ringproof_sdk::Client::new("https://verify.example.com", "rp_secret_...");
//! let answer = client.siteverify("token-from-the-form")?;
//! if answer.success {
//!     println!("{} verified by {:?}", answer.phone.unwrap(), answer.channel);
//! }
//! # Ok::<(), ringproof_sdk::Error>(())
//! ```

pub mod callback;
mod client;

pub use client::Client;

/// The `client_transaction_signature` your server hands the page with a ClientTransactionId
/// (and OneRing's `ClientTransactionSignature`): only then does the id bind to the
/// verification, so that no page's script can claim your ids.
pub fn sign_transaction_id(secret: &str, client_transaction_id: &str) -> String {
    ringproof_signature::transaction_signature(secret.as_bytes(), client_transaction_id)
}
pub use ringproof_api as types;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// The edge could not be reached, or the exchange broke.
    #[error("could not reach the edge: {0}")]
    Transport(String),
    /// The edge refused the request; `code` is its stable error code.
    #[error("the edge answered {status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The edge's answer was not what this SDK expects (a version mismatch?).
    #[error("unreadable answer from the edge: {0}")]
    Unreadable(String),
    /// A callback whose signature does not hold: drop it.
    #[error("callback refused: {0}")]
    Signature(#[from] ringproof_signature::SignatureError),
    /// A correctly signed callback whose content cannot be read.
    #[error("callback unreadable: {0}")]
    Payload(String),
}

impl Error {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &str {
        match self {
            Error::Transport(_) => "transport",
            Error::Refused { code, .. } => code,
            Error::Unreadable(_) => "unreadable_answer",
            Error::Signature(e) => e.code(),
            Error::Payload(_) => "unreadable_callback",
        }
    }
}
