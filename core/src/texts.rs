//! The languages the widget speaks, and the texts the edge sends in them (the SMS; Phone
//! Confirm's documented API takes no text or language, so its call speaks the provider's own).
//!
//! A caller names a language with any BCP 47 tag; what is stored and sent is only ever one of
//! these, so no text a caller wrote reaches a message.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "en")]
    English,
    #[serde(rename = "hi")]
    Hindi,
    #[serde(rename = "ru")]
    Russian,
    #[serde(rename = "sk")]
    Slovak,
    #[serde(rename = "es")]
    Spanish,
    #[serde(rename = "pt")]
    Portuguese,
    #[serde(rename = "fr")]
    French,
    #[serde(rename = "de")]
    German,
    #[serde(rename = "ar")]
    Arabic,
    #[serde(rename = "he")]
    Hebrew,
    #[serde(rename = "zh-CN")]
    ChineseSimplified,
    #[serde(rename = "ja")]
    Japanese,
}

impl Language {
    pub const ALL: [Language; 12] = [
        Language::English,
        Language::Hindi,
        Language::Russian,
        Language::Slovak,
        Language::Spanish,
        Language::Portuguese,
        Language::French,
        Language::German,
        Language::Arabic,
        Language::Hebrew,
        Language::ChineseSimplified,
        Language::Japanese,
    ];

    /// The tag the widget's catalog is named by (`widget/i18n/<tag>.json`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Hindi => "hi",
            Language::Russian => "ru",
            Language::Slovak => "sk",
            Language::Spanish => "es",
            Language::Portuguese => "pt",
            Language::French => "fr",
            Language::German => "de",
            Language::Arabic => "ar",
            Language::Hebrew => "he",
            Language::ChineseSimplified => "zh-CN",
            Language::Japanese => "ja",
        }
    }

    /// The language a BCP 47 tag asks for, when it is one of ours: `pt-BR` is Portuguese,
    /// `zh-Hans-SG` Simplified Chinese, `iw` (Hebrew's old code) Hebrew; `zh-TW` is not ours.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        let base = parts.next()?;
        if base == "zh" {
            let rest: Vec<&str> = parts.collect();
            let traditional = rest
                .iter()
                .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
            return (!traditional).then_some(Language::ChineseSimplified);
        }
        let base = if base == "iw" { "he" } else { base };
        Language::ALL.into_iter().find(|l| l.tag() == base)
    }

    /// The SMS, with TeleSign's `$$CODE$$` where the code goes.
    pub fn sms_body(self) -> &'static str {
        match self {
            Language::English => "Your verification code is $$CODE$$. It expires in 10 minutes.",
            Language::Hindi => "आपका सत्यापन कोड $$CODE$$ है। यह 10 मिनट में समाप्त हो जाएगा।",
            Language::Russian => "Ваш код подтверждения: $$CODE$$. Он действует 10 минут.",
            Language::Slovak => "Váš overovací kód je $$CODE$$. Platnosť vyprší o 10 minút.",
            Language::Spanish => "Su código de verificación es $$CODE$$. Caduca en 10 minutos.",
            Language::Portuguese => "Seu código de verificação é $$CODE$$. Expira em 10 minutos.",
            Language::French => {
                "Votre code de vérification est $$CODE$$. Il expire dans 10 minutes."
            }
            Language::German => "Ihr Bestätigungscode lautet $$CODE$$. Er läuft in 10 Minuten ab.",
            Language::Arabic => "رمز التحقق الخاص بك هو $$CODE$$. تنتهي صلاحيته بعد 10 دقائق.",
            Language::Hebrew => "קוד האימות שלך הוא $$CODE$$. תוקפו יפוג בעוד 10 דקות.",
            Language::ChineseSimplified => "您的验证码是 $$CODE$$，10 分钟内有效。",
            Language::Japanese => "認証コードは $$CODE$$ です。有効期限は10分です。",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_as_browsers_and_pages_write_them() {
        for (tag, lang) in [
            ("en", Some(Language::English)),
            ("en-GB", Some(Language::English)),
            ("pt-BR", Some(Language::Portuguese)),
            ("zh-CN", Some(Language::ChineseSimplified)),
            ("zh-Hans-SG", Some(Language::ChineseSimplified)),
            ("zh", Some(Language::ChineseSimplified)),
            ("zh-TW", None),
            ("zh-Hant", None),
            ("AR-eg", Some(Language::Arabic)),
            ("iw", Some(Language::Hebrew)),
            ("it", None),
            ("", None),
            ("$$CODE$$ <script>", None),
        ] {
            assert_eq!(Language::from_tag(tag), lang, "{tag}");
        }
    }

    #[test]
    fn every_language_round_trips_and_has_a_code_slot() {
        for l in Language::ALL {
            assert_eq!(Language::from_tag(l.tag()), Some(l));
            let wire = serde_json::to_string(&l).unwrap();
            assert_eq!(wire, format!("\"{}\"", l.tag()));
            assert_eq!(l.sms_body().matches("$$CODE$$").count(), 1, "{l:?}");
        }
    }
}
