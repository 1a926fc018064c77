//! libphonenumber's metadata as its own algorithms read it. The `phonenumber` crate bundles the
//! metadata (its XML, 9.0.33) faithfully, but loads it raw: a general description without the
//! possible lengths libphonenumber's build derives, no national prefix for parsing where only a
//! national prefix is given, patterns laid out over lines and matched at their start only. This
//! module adds what the build would have, so `read` and `kind` can follow libphonenumber exactly.

use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use phonenumber::Type;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One region's (or one non-geographic calling code's) numbering plan.
pub type Plan = &'static Metadata;

/// The plan of an ISO 3166-1 alpha-2 region, `None` where libphonenumber has none.
pub fn by_region(id: &str) -> Option<Plan> {
    let db: &'static phonenumber::metadata::Database = &DATABASE;
    db.by_id(id)
}

/// The plans sharing a calling code, in libphonenumber's order: the code's main region first,
/// then the others by their codes. Empty for a code no one has.
pub fn by_code(code: u16) -> Vec<Plan> {
    let db: &'static phonenumber::metadata::Database = &DATABASE;
    let mut plans = db.by_code(&code).unwrap_or_default();
    plans.sort_by_key(|m| (!m.is_main_country_for_code(), m.id()));
    plans
}

/// Whether anyone has the calling code: asked of up to three prefixes of every international
/// number, so without `by_code`'s list and sort.
pub fn has_code(code: u16) -> bool {
    let db: &'static phonenumber::metadata::Database = &DATABASE;
    db.by_code(&code).is_some_and(|plans| !plans.is_empty())
}

/// The plan libphonenumber reads and formats a calling code's numbers with: its main region's.
pub fn main_of(code: u16) -> Option<Plan> {
    by_code(code).into_iter().next()
}

/// libphonenumber's patterns without the whitespace its XML lays them out with: a browser's
/// `RegExp` would read it literally, so the plans carry them compacted too.
pub fn compact(pattern: &str) -> String {
    pattern.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Compiled patterns, kept: the same few hundred serve every request of an isolate.
static COMPILED: Mutex<BTreeMap<String, Regex>> = Mutex::new(BTreeMap::new());

fn compiled(source: String) -> Option<Regex> {
    let mut cache = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = cache.get(&source) {
        return Some(r.clone());
    }
    let r = Regex::new(&source).ok()?;
    cache.insert(source, r.clone());
    Some(r)
}

/// `pattern` matching the whole of a text (Java's `matches`).
pub fn whole(pattern: &str) -> Option<Regex> {
    compiled(format!("^(?:{})$", compact(pattern)))
}

/// `pattern` matching at a text's start (Java's `lookingAt`), its groups numbered as written.
pub fn start(pattern: &str) -> Option<Regex> {
    compiled(format!("^(?:{})", compact(pattern)))
}

/// Whether all of `nsn` matches the descriptor's pattern, its length aside.
pub fn matches_pattern(nsn: &str, desc: &Descriptor) -> bool {
    whole(desc.national_number().as_str()).is_some_and(|r| r.is_match(nsn))
}

/// libphonenumber's `isNumberMatchingDesc`: a possible length of the descriptor, and its pattern.
pub fn matches(nsn: &str, desc: Option<&Descriptor>) -> bool {
    let Some(desc) = desc else { return false };
    let lengths = desc.possible_length();
    (lengths.is_empty() || lengths.contains(&(nsn.len() as u16))) && matches_pattern(nsn, desc)
}

/// The descriptors of the types a number can be; the general one's lengths are theirs together.
const TYPES: [Type; 10] = [
    Type::FixedLine,
    Type::Mobile,
    Type::TollFree,
    Type::PremiumRate,
    Type::SharedCost,
    Type::PersonalNumber,
    Type::Voip,
    Type::Pager,
    Type::Uan,
    Type::Voicemail,
];

/// The general description's possible lengths, national and local-only, as libphonenumber's
/// build derives them from the types' (sorted, a local-only length never also national).
pub fn general_lengths(plan: Plan) -> (Vec<u16>, Vec<u16>) {
    let mut national = Vec::new();
    let mut local = Vec::new();
    for desc in TYPES.iter().filter_map(|t| plan.descriptors().get(*t)) {
        national.extend_from_slice(desc.possible_length());
        local.extend_from_slice(desc.possible_local_length());
    }
    national.sort_unstable();
    national.dedup();
    local.sort_unstable();
    local.dedup();
    local.retain(|l| !national.contains(l));
    (national, local)
}

pub use ringproof_numbering::Length;

/// libphonenumber's `testNumberLength` against the plan's general description.
pub fn test_length(nsn: &str, plan: Plan) -> Length {
    let (national, local) = general_lengths(plan);
    ringproof_numbering::test_length(nsn.len(), &national, &local)
}

/// The national prefix as the plan parses it: a pattern, and what replaces its match. Where
/// the XML gives only the prefix, libphonenumber's build parses with the prefix itself.
pub fn prefix_for_parsing(plan: Plan) -> Option<(String, Option<&'static str>)> {
    match plan.national_prefix_for_parsing() {
        Some(p) => Some((
            compact(p.as_str()),
            plan.national_prefix_transform_rule()
                .filter(|r| !r.is_empty()),
        )),
        None => plan
            .national_prefix()
            .filter(|p| !p.is_empty())
            .map(|p| (p.to_owned(), None)),
    }
    .filter(|(p, _)| !p.is_empty())
}

/// `isNumberMatchingDesc` against the general description, with the lengths the build derives.
pub fn matches_general(nsn: &str, plan: Plan) -> bool {
    let (national, _) = general_lengths(plan);
    (national.is_empty() || national.contains(&(nsn.len() as u16)))
        && plan
            .descriptors()
            .get(Type::Unknown)
            .is_some_and(|g| matches_pattern(nsn, g))
}

/// A match and its groups as the numbering crate's `Patterns` gives them.
pub fn groups(caps: &regex::Captures<'_>) -> Vec<Option<String>> {
    caps.iter()
        .map(|g| g.map(|m| m.as_str().to_owned()))
        .collect()
}
