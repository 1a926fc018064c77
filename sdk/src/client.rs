//! The edge's server-to-server API, authenticated with the site secret.

use crate::Error;
use ringproof_api::{
    paths, Callbacks, ErrorBody, SiteverifyRequest, SiteverifyResponse, TransactionView,
};
use ringproof_signature as signature;
use serde::de::DeserializeOwned;

pub struct Client {
    base: String,
    secret: String,
    agent: ureq::Agent,
}

impl Client {
    /// `base` is the edge's origin (`https://verify.example.com`); `secret` the site secret.
    pub fn new(base: &str, secret: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            // Error statuses are answers with a stable code, read below, not transport errors.
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(15)))
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
            agent,
        }
    }

    /// Redeems the widget's token, once. `success: false` with Turnstile's `error-codes` is an
    /// answer, not an error: a wrong, spent or late token.
    pub fn siteverify(&self, token: &str) -> Result<SiteverifyResponse, Error> {
        let body = SiteverifyRequest {
            secret: self.secret.clone(),
            response: token.to_owned(),
        };
        let res = self
            .agent
            .post(&format!("{}{}", self.base, paths::siteverify()))
            .send_json(&body)
            .map_err(|e| Error::Transport(e.to_string()))?;
        read(res)
    }

    /// The verification started with your `client_transaction_id`, live or finished.
    pub fn transaction(&self, client_transaction_id: &str) -> Result<TransactionView, Error> {
        self.get(&paths::transaction(&signature::encode(
            client_transaction_id,
        )))
    }

    /// The delivery of a verification's callback to you, attempt by attempt.
    pub fn callbacks(&self, verification_id: &str) -> Result<Callbacks, Error> {
        self.get(&paths::of_verification(
            &signature::encode(verification_id),
            paths::CALLBACKS,
        ))
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let res = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.secret))
            .call()
            .map_err(|e| Error::Transport(e.to_string()))?;
        read(res)
    }
}

fn read<T: DeserializeOwned>(mut res: ureq::http::Response<ureq::Body>) -> Result<T, Error> {
    let status = res.status().as_u16();
    let text = res
        .body_mut()
        .read_to_string()
        .map_err(|e| Error::Transport(e.to_string()))?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).map_err(|e| Error::Unreadable(e.to_string()));
    }
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(b) => Err(Error::Refused {
            status,
            code: b.error.code,
            message: b.error.message,
        }),
        Err(_) => Err(Error::Unreadable(format!("status {status}"))),
    }
}
