//! What the isolate does once when it starts, before its first request. V8 compiles a wasm
//! function when it is first called, so the code every start runs is called here, at
//! start-up, and not inside a visitor's first request (measured: the first start in a fresh
//! isolate, median of five, 68 ms without this and 61 ms with it).

use ringproof_core::pow::{self, Binding, ProofError};
use ringproof_core::{phone, ApiError, Timestamp};

/// A proof that decodes and is refused at its signature: checking it runs what a start's
/// check runs up to the signature (base64, JSON, HMAC, the constant-time compare).
const FORGED: &str = "eyJhbGdvcml0aG0iOiJTSEEtMjU2IiwiY2hhbGxlbmdlIjoiMDAiLCJudW1iZXIiOjEsInNhbHQiOiIwIiwic2lnbmF0dXJlIjoiMDAifQ==";

/// Reads a number as a start reads one (the reader, and one country's plan) and checks a
/// forged proof; what they answer is only for the test.
pub fn up() -> (
    Result<phone::E164, ApiError>,
    Result<pow::Proof, ProofError>,
) {
    let read = phone::normalise("07400 123456", Some("GB"));
    let binding = Binding {
        site_key: "warm",
        client: "192.0.2.1",
        verification: None,
    };
    (read, pow::verify(b"warm", FORGED, binding, Timestamp(0)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_warm_up_runs_the_whole_reader_and_the_proof_up_to_its_signature() {
        let (read, proof) = super::up();
        assert_eq!(read.unwrap().as_str(), "+447400123456");
        assert_eq!(proof.unwrap_err(), super::ProofError::Forged);
    }
}
