//! Turnstile's siteverify, field for field.

use super::*;

impl FakeProviders {
    /// Turnstile's answer, field for field: each token once, for its hostname, with the
    /// documented error codes.
    pub(super) fn turnstile(&self, req: &Request) -> Response {
        let form: HashMap<String, String> = decode_form(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .collect();
        let refuse = |code: &str| {
            Response::json(
                200,
                json!({"success": false, "error-codes": [code], "messages": []}),
            )
        };
        let mut state = self.lock();
        match form.get("secret") {
            None => return refuse("missing-input-secret"),
            Some(s) if *s != state.config.turnstile_secret => {
                return refuse("invalid-input-secret")
            }
            _ => {}
        }
        let Some(token) = form.get("response") else {
            return refuse("missing-input-response");
        };
        let Some((hostname, spent)) = state.turnstile_tokens.get_mut(token) else {
            return refuse("invalid-input-response");
        };
        if *spent {
            return refuse("timeout-or-duplicate");
        }
        *spent = true;
        Response::json(
            200,
            json!({"success": true, "challenge_ts": rfc3339_micros(now()), "hostname": hostname,
                   "error-codes": [], "action": "", "cdata": "", "metadata": {"interactive": false}}),
        )
    }
}
