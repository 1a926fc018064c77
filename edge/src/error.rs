//! What a handler fails with is always an [`ApiError`]: the caller's, or ours
//! (`ApiError::Internal`, whose detail is logged and never answered).

use ringproof_core::ApiError;

pub type Outcome<T> = std::result::Result<T, ApiError>;

/// Turns a runtime failure (storage, KV, a stub, JSON) into our own fault.
pub trait Internal<T> {
    fn internal(self) -> Outcome<T>;
}

impl<T, E: std::fmt::Debug> Internal<T> for Result<T, E> {
    fn internal(self) -> Outcome<T> {
        self.map_err(|e| ApiError::Internal(format!("{e:?}")))
    }
}
