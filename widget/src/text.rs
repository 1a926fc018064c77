//! What the widget says, per channel and per state: plain words, no jargon.

use ringproof_api::{Channel, Delivery, VerificationStatus, VerificationView};

/// The button that offers `channel` as another way.
pub fn switch_label(channel: Channel) -> &'static str {
    match channel {
        Channel::MissedCall => "Verify by calling us instead",
        Channel::FlashCall => "Get a quick call instead",
        Channel::Sms => "Text me a code instead",
        Channel::VoiceCall => "Call me and read me a code instead",
    }
}

/// What the visitor should do now.
pub fn instructions(v: &VerificationView) -> String {
    match v.channel {
        Channel::MissedCall => "Call this number from the phone you entered. It will ring once and hang up, so the call is free.".into(),
        Channel::FlashCall => match &v.caller_hint {
            Some(hint) => format!(
                "We are calling you from {hint}. You do not need to answer: type the last 4 digits of the number that calls you."
            ),
            None => "We are calling you. Type the last 4 digits of the number that calls you.".into(),
        },
        Channel::Sms => "We are sending a 6-digit code by text message to your phone.".into(),
        Channel::VoiceCall => "We are calling you. Answer, and listen for your 6-digit code.".into(),
    }
}

/// How far the code or call has got, as the provider reports it.
pub fn delivery(channel: Channel, d: Option<Delivery>) -> &'static str {
    match (channel, d) {
        (Channel::MissedCall, _) | (_, None) => "",
        (Channel::Sms, Some(Delivery::Sent)) => "Text message sent.",
        (Channel::Sms, Some(_)) => "Text message delivered to your phone.",
        (_, Some(Delivery::Sent)) => "Calling your phone…",
        (_, Some(Delivery::Delivered)) => "The call reached your phone.",
        (_, Some(Delivery::NotAnswered)) => {
            "The call was not answered, but its number is in your call log."
        }
    }
}

pub fn status(v: &VerificationView) -> String {
    match v.status {
        VerificationStatus::Pending if v.channel == Channel::MissedCall => {
            "Waiting for your call…".into()
        }
        VerificationStatus::Pending => "Waiting for your code…".into(),
        VerificationStatus::Verified => "Verified: your number is confirmed.".into(),
        VerificationStatus::Expired => "Time is up. Please try again.".into(),
        VerificationStatus::Failed => v
            .failure
            .as_ref()
            .map(|f| f.message.clone())
            .unwrap_or_else(|| "The verification failed. Please try again.".into()),
    }
}

/// `m:ss`, never negative. Rounded down: the clock it is read against ticks once a second, so
/// rounding up could show more time than the edge gave.
pub fn clock(ms: f64) -> String {
    let secs = (ms / 1000.0).max(0.0) as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The number being verified with all but its last 3 digits hidden, for the "Change number"
/// button: the visitor recognises it, a passer-by does not learn it.
pub fn masked(typed: &str) -> String {
    let digits: Vec<char> = typed.chars().filter(char::is_ascii_digit).collect();
    let shown = digits.len().saturating_sub(3);
    digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i < shown { '•' } else { *d })
        .collect()
}
