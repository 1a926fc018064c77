//! What a handler can fail with: our own error, or an error answer relayed from a Durable Object
//! (already in the public format, so it is passed on untouched).

use ringproof_core::ApiError;

#[derive(Debug)]
pub enum Failure {
    Api(ApiError),
    Relayed { status: u16, body: String },
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        Failure::Api(ApiError::Internal(e.to_string()))
    }
}

impl From<worker::kv::KvError> for Failure {
    fn from(e: worker::kv::KvError) -> Self {
        Failure::Api(ApiError::Internal(format!("kv: {e:?}")))
    }
}

pub type Outcome<T> = std::result::Result<T, Failure>;
