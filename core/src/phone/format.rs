//! Numbers written as people read them: libphonenumber's `format`, with the formats of the
//! calling code's main region (Canada's numbers are grouped as the United States' are).

use super::metadata::{self, Format, Plan};

/// libphonenumber's `chooseFormattingPatternForNumber`.
fn choose<'f>(formats: &'f [Format], nsn: &str) -> Option<&'f Format> {
    formats.iter().find(|f| {
        let lead_ok = match f.leading_digits().last() {
            Some(lead) => metadata::start(lead.as_str()).is_some_and(|r| r.is_match(nsn)),
            None => true,
        };
        lead_ok && metadata::whole(f.pattern().as_str()).is_some_and(|r| r.is_match(nsn))
    })
}

fn apply(nsn: &str, format: &Format, rule: &str) -> String {
    let Some(pattern) = metadata::whole(format.pattern().as_str()) else {
        return nsn.to_owned();
    };
    match pattern.captures(nsn) {
        Some(caps) => ringproof_numbering::text::expand(rule, &metadata::groups(&caps)),
        None => nsn.to_owned(),
    }
}

/// `+44 7400 123456`.
pub fn international(code: u16, nsn: &str) -> String {
    let grouped = metadata::main_of(code)
        .and_then(|plan| {
            let f = choose(plan.international_formats(), nsn)?;
            Some(apply(nsn, f, f.format()))
        })
        .unwrap_or_else(|| nsn.to_owned());
    format!("+{code} {grouped}")
}

/// `07400 123456`: as written at home, with the national prefix where the plan writes it.
pub fn national(code: u16, nsn: &str) -> String {
    national_in(code, nsn, true)
}

/// `7400 123456`: grouped as at home, without the national prefix.
pub fn national_without_prefix(code: u16, nsn: &str) -> String {
    national_in(code, nsn, false)
}

fn national_in(code: u16, nsn: &str, with_prefix: bool) -> String {
    let Some(plan) = metadata::main_of(code) else {
        return nsn.to_owned();
    };
    let Some(f) = choose(plan.formats(), nsn) else {
        return nsn.to_owned();
    };
    let rule = match national_prefix_rule(plan, f).filter(|_| with_prefix) {
        Some(first) => ringproof_numbering::text::first_group_with(f.format(), &first),
        None => f.format().to_owned(),
    };
    apply(nsn, f, &rule)
}

/// The format's rule for the first group with the national prefix (`0$1`): the XML's, with its
/// `$NP` (the national prefix) and `$FG` (the first group) written out.
pub fn national_prefix_rule(plan: Plan, f: &Format) -> Option<String> {
    let prefix = plan.national_prefix().unwrap_or("");
    f.national_prefix()
        .filter(|r| !r.is_empty())
        .map(|r| r.replace("$NP", prefix).replace("$FG", "$1"))
}
