//! What the widget says, per channel and per state, in the visitor's language.

use crate::i18n::{fill, Catalog};
use ringproof_api::{Channel, Delivery, VerificationStatus, VerificationView};

/// The button that offers `channel`, in the words of the visitors: who calls whom.
pub fn channel_label(cat: &Catalog, channel: Channel) -> String {
    cat.t(match channel {
        Channel::MissedCall => "channel.missed_call",
        Channel::FlashCall => "channel.flash_call",
        Channel::Sms => "channel.sms",
        Channel::VoiceCall => "channel.voice_call",
    })
}

/// What the visitor should do now.
pub fn instructions(cat: &Catalog, v: &VerificationView) -> String {
    let n = u64::from(v.code_length.unwrap_or(6));
    match v.channel {
        Channel::MissedCall => cat.t("missed.instructions"),
        Channel::FlashCall => match &v.caller_hint {
            Some(hint) => fill(&cat.n("flash.instructions_from", n), "hint", &ltr(hint)),
            None => cat.n("flash.instructions", n),
        },
        Channel::Sms => cat.n("sms.instructions", n),
        Channel::VoiceCall => cat.n("voice.instructions", n),
    }
}

/// How far the code or call has got, as the provider reports it.
/// How the send is going, in words (see [`delivery_said`]).
pub fn delivery(cat: &Catalog, v: &VerificationView) -> String {
    delivery_said(v).map(|id| cat.t(id)).unwrap_or_default()
}

/// Which sentence says how the send is going, while there is still a code to wait for: once
/// the verification is over, what its call or text did no longer matters to the visitor.
fn delivery_said(v: &VerificationView) -> Option<&'static str> {
    if v.status != VerificationStatus::Pending {
        return None;
    }
    Some(match (v.channel, v.delivery?) {
        (Channel::MissedCall, _) => return None,
        (Channel::Sms, Delivery::Sent) => "delivery.sms_sent",
        (Channel::Sms, _) => "delivery.sms_delivered",
        (_, Delivery::Sent) => "delivery.calling",
        (_, Delivery::Delivered) => "delivery.call_reached",
        (_, Delivery::NotAnswered) => "delivery.not_answered",
    })
}

pub fn status(cat: &Catalog, v: &VerificationView) -> String {
    match v.status {
        VerificationStatus::Pending if v.channel == Channel::MissedCall => {
            cat.t("status.waiting_call")
        }
        VerificationStatus::Pending => cat.t("status.waiting_code"),
        VerificationStatus::Verified => cat.t("status.verified"),
        VerificationStatus::Expired => cat.t("status.expired"),
        VerificationStatus::Failed => v
            .failure
            .as_ref()
            .map(|f| cat.error(f))
            .unwrap_or_else(|| cat.t("status.failed")),
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
    let hidden = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i < shown { '•' } else { *d });
    ltr(&hidden.collect::<String>())
}

/// `s` isolated left to right (U+2066 … U+2069): a phone number inside a right-to-left
/// sentence keeps its order.
pub fn ltr(s: &str) -> String {
    format!("\u{2066}{s}\u{2069}")
}

/// The digits of a `tel:` link one by one ("+ 4 4 7 …"), so a screen reader speaks them
/// digit by digit rather than as one large number.
pub fn spoken_digits(call_to_uri: &str) -> String {
    let number = call_to_uri.strip_prefix("tel:").unwrap_or(call_to_uri);
    let mut out = String::new();
    for c in number.chars().filter(|c| c.is_ascii_digit() || *c == '+') {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delivery_is_said_only_while_a_code_is_awaited() {
        let mut v: VerificationView = serde_json::from_value(serde_json::json!({
            "verification_id": "v1", "status": "pending", "channel": "voice_call",
            "delivery": "sent", "expires_at": "2026-12-08T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(delivery_said(&v), Some("delivery.calling"));
        v.status = VerificationStatus::Verified;
        assert_eq!(
            delivery_said(&v),
            None,
            "a verified call is not still calling"
        );
        v.status = VerificationStatus::Pending;
        v.channel = Channel::MissedCall;
        assert_eq!(delivery_said(&v), None);
    }
}
