//! Typed text as libphonenumber reads it, before any plan: which characters are digits (of
//! any script), which are punctuation, where the number starts and ends.

use crate::{Letters, MIN_NSN};

pub fn is_plus(c: char) -> bool {
    c == '+' || c == '\u{FF0B}'
}

/// Unicode's decimal digits (`Nd`, Unicode 14) as ASCII: visitors type their own script's digits.
pub fn ascii_digit(c: char) -> Option<char> {
    const ZEROS: [u32; 66] = [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
        0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
        0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
        0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
        0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0,
        0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ];
    let c = c as u32;
    let i = ZEROS.partition_point(|&z| z <= c).checked_sub(1)?;
    let d = c - ZEROS[i];
    (d < 10).then(|| char::from(b'0' + d as u8))
}

/// libphonenumber's `VALID_PUNCTUATION`: what may stand between a number's digits; and, beyond
/// it, the thin and narrow spaces and the direction marks that numbers pasted from phones and
/// from right-to-left pages carry (libphonenumber refuses those numbers).
pub fn is_punctuation(c: char) -> bool {
    matches!(c,
        '-' | 'x' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF0D}'..='\u{FF0F}'
        | ' ' | '\u{A0}' | '\u{AD}' | '\u{200B}' | '\u{2060}' | '\u{3000}' | '(' | ')'
        | '\u{FF08}' | '\u{FF09}' | '\u{FF3B}' | '\u{FF3D}' | '.' | '[' | ']' | '/' | '~'
        | '\u{2053}' | '\u{223C}' | '\u{FF5E}')
        || matches!(c, '\u{2009}' | '\u{202F}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}')
}

/// libphonenumber's `extractPossibleNumber`: from the first `+` or digit, without trailing
/// characters that are neither letters, digits nor `#`, and before a second number (`/ x`).
pub fn possible_number<'a>(letters: &impl Letters, input: &'a str) -> &'a str {
    let Some(from) = input.find(|c: char| is_plus(c) || ascii_digit(c).is_some()) else {
        return "";
    };
    let rest = tail(input, from);
    let rest = rest.trim_end_matches(|c: char| !(letters.is_alphanumeric(c) || c == '#'));
    let second = rest.char_indices().find(|&(i, c)| {
        // After any spaces, an `x`: bytes, since a char search would bring its memchr along.
        (c == '\\' || c == '/') && tail(rest, i + 1).bytes().find(|&b| b != b' ') == Some(b'x')
    });
    match second {
        Some((i, _)) => rest.get(..i).unwrap_or_default(),
        None => rest,
    }
}

/// libphonenumber's `isViablePhoneNumber`, for text without letters: two digits alone, or any
/// pluses, then at least three digits among punctuation.
pub fn is_viable(number: &str) -> bool {
    let digits = number.chars().filter(|c| ascii_digit(*c).is_some()).count();
    // `nth`, not `count`: the widget's wasm has no character counting of its own.
    let mut chars = number.chars();
    if chars.nth(MIN_NSN - 1).is_none() {
        return false;
    }
    if digits == 2 && chars.next().is_none() {
        return true;
    }
    let body = number.trim_start_matches(is_plus);
    digits >= 3
        && body
            .chars()
            .all(|c| ascii_digit(c).is_some() || is_punctuation(c) || c == '*')
}

pub fn normalise_digits(text: &str) -> String {
    text.chars().filter_map(ascii_digit).collect()
}

/// Java's replacement syntax, as libphonenumber's rules use it: `$1` is the first group (one
/// digit: `$15` is group 1, then `5`); a group that took no part is empty.
pub fn expand(rule: &str, groups: &[Option<String>]) -> String {
    let mut out = String::with_capacity(rule.len() + 16);
    let mut chars = rule.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().and_then(|d| d.to_digit(10))) {
            ('$', Some(n)) => {
                chars.next();
                if let Some(Some(g)) = groups.get(n as usize) {
                    out.push_str(g);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `format` with its first group (`$` and a digit) written as `rule` writes it (`0$1`).
pub fn first_group_with(format: &str, rule: &str) -> String {
    match format.bytes().position(|b| b == b'$') {
        Some(i) if tail(format, i + 1).starts_with(|c: char| c.is_ascii_digit()) => {
            let before = format.get(..i).unwrap_or_default();
            join(&[before, rule, tail(format, i + 2)])
        }
        _ => format.to_owned(),
    }
}

/// `text` from byte `from` on; empty past its end. The widget's wasm carries no slicing panic
/// (its message alone pulls in Unicode's printable tables).
pub fn tail(text: &str, from: usize) -> &str {
    text.get(from..).unwrap_or_default()
}

/// The digits a rule writes itself (`8 ($1)` → `8`), its `$1` groups aside.
pub fn written_digits(rule: &str) -> String {
    let mut out = String::new();
    let mut after_dollar = false;
    for c in rule.chars() {
        if !after_dollar {
            out.extend(ascii_digit(c));
        }
        after_dollar = c == '$';
    }
    out
}

/// The parts one after another (`concat`'s work in fewer bytes of the widget's wasm).
pub fn join(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_every_script_are_read() {
        assert_eq!(normalise_digits("٠٧٤٠٠ ١٢٣٤٥٦"), "07400123456");
        assert_eq!(normalise_digits("０７４００"), "07400");
        assert_eq!(ascii_digit('a'), None);
        assert_eq!(ascii_digit('\u{6F9}'), Some('9'));
        assert_eq!(ascii_digit('\u{66A}'), None);
    }

    #[test]
    fn what_surrounds_a_number_is_dropped() {
        assert_eq!(
            possible_number(&crate::Unicode, "Tel: +44 7400 123456."),
            "+44 7400 123456"
        );
        assert_eq!(
            possible_number(&crate::Unicode, "(530) 583-6985 x302/x2303"),
            "530) 583-6985 x302"
        );
        assert_eq!(possible_number(&crate::Unicode, "none"), "");
    }

    #[test]
    fn pasted_spaces_and_direction_marks_are_punctuation() {
        assert!(is_viable("+44\u{202F}7400\u{2009}123456"));
        assert!(is_viable(
            "\u{2066}+44 7400 123456\u{2069}"
                .trim_matches(|c| c != '+' && ascii_digit(c).is_none())
        ));
        assert!(is_viable("07400\u{200E} 123456"));
    }

    #[test]
    fn viable_numbers_have_digits_among_punctuation() {
        assert!(is_viable("12"));
        assert!(is_viable("+44 (0) 7400-123 456"));
        assert!(!is_viable("1"));
        assert!(!is_viable("1-2"));
        assert!(!is_viable("44+7400"));
    }

    #[test]
    fn rules_write_their_own_digits() {
        assert_eq!(written_digits("8 ($1)"), "8");
        assert_eq!(written_digits("0$1"), "0");
        assert_eq!(written_digits("($1)"), "");
        assert_eq!(tail("0740", 9), "");
    }

    #[test]
    fn parts_join() {
        assert_eq!(join(&["^(?:", "0", ")$"]), "^(?:0)$");
        assert_eq!(join(&[]), "");
    }

    #[test]
    fn replacements_read_as_java_writes_them() {
        let g = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
        assert_eq!(expand("9$1", &g(&["011", "11"])), "911");
        assert_eq!(expand("$15", &g(&["x", "7"])), "75");
        assert_eq!(
            expand("$1 $2", &[Some("74".into()), Some("7400".into()), None]),
            "7400 "
        );
    }
}
