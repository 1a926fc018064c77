//! The Worker's outbound HTTP, to providers and to sites' callback URLs: one request with a
//! deadline. What the answer means is for the caller (and core's codecs) to say.

use futures_util::future::{select, Either};
use ringproof_core::callback::{AttemptResult, ANSWER_EXCERPT_CHARS};
use ringproof_core::providers::{Answer, Outgoing, SendError};
use std::time::Duration;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

/// Whether a 3xx is followed or is the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    Follow,
    /// Callbacks: a redirect would turn the signed POST into a bodiless GET, or carry the
    /// signature to a plain-http URL, so the 3xx itself is the (failed) answer.
    Refuse,
}

/// Sends `out` and reads the whole answer, giving up (and aborting) after `deadline`.
pub async fn send(
    out: Outgoing,
    deadline: Duration,
    redirects: Redirects,
) -> Result<Answer, SendError> {
    let headers = Headers::new();
    for (k, v) in &out.headers {
        headers.set(k, v).map_err(|_| SendError::Unsendable)?;
    }
    let mut init = RequestInit::new();
    init.with_method(if out.method == "GET" {
        Method::Get
    } else {
        Method::Post
    })
    .with_headers(headers)
    .with_redirect(match redirects {
        Redirects::Follow => RequestRedirect::Follow,
        Redirects::Refuse => RequestRedirect::Manual,
    });
    if let Some(body) = out.body {
        init.with_body(Some(body.into()));
    }
    let req = Request::new_with_init(&out.url, &init).map_err(|_| SendError::Unsendable)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut res = Fetch::Request(req).send_with_signal(&signal).await?;
        let status = res.status_code();
        let body = res.text().await?;
        Ok::<_, worker::Error>(Answer { status, body })
    };
    let timer = Delay::from(deadline);
    futures_util::pin_mut!(exchange);
    match select(exchange, timer).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(_), _)) => Err(SendError::ConnectionFailed),
        Either::Right(_) => {
            controller.abort();
            Err(SendError::TimedOut)
        }
    }
}

/// A callback's or an alert's send, as core counts an attempt: signed callbacks never follow a
/// redirect (see [`Redirects::Refuse`]), and the answer's excerpt goes with it.
pub async fn deliver(out: Outgoing, deadline: Duration) -> (AttemptResult, String) {
    match send(out, deadline, Redirects::Refuse).await {
        Ok(answer) => (
            AttemptResult::Answered(answer.status),
            answer.body.chars().take(ANSWER_EXCERPT_CHARS).collect(),
        ),
        Err(e) => (AttemptResult::unanswered(e), String::new()),
    }
}
