//! libphonenumber's metadata as its own algorithms read it. The `phonenumber` crate bundles the
//! metadata (its XML, 9.0.33) faithfully, but loads it raw: a general description without the
//! possible lengths libphonenumber's build derives, no national prefix for parsing where only a
//! national prefix is given, patterns laid out over lines and matched at their start only. This
//! module adds what the build would have, so `read` and `kind` can follow libphonenumber exactly.
//!
//! The plans themselves are statics that `build.rs` writes from the crate's copy: nothing is
//! parsed or checked when a request first needs a plan, and a pattern is compiled only when it
//! is first matched (`compiled`).

use regex_lite::Regex;
use std::collections::BTreeMap;
use std::sync::Mutex;

include!(concat!(env!("OUT_DIR"), "/plans.rs"));

/// One region's (or one non-geographic calling code's) numbering plan.
pub type Plan = &'static Metadata;

/// A numbering plan as libphonenumber's XML gives it, with what core reads of it.
#[derive(Debug)]
pub struct Metadata {
    id: &'static str,
    country_code: u16,
    main_country_for_code: bool,
    international_prefix: Option<Pattern>,
    national_prefix: Option<&'static str>,
    national_prefix_for_parsing: Option<Pattern>,
    national_prefix_transform_rule: Option<&'static str>,
    leading_digits: Option<Pattern>,
    formats: &'static [Format],
    international_formats: &'static [Format],
    descriptors: Descriptors,
}

/// One of libphonenumber's patterns, its layout whitespace removed.
#[derive(Debug, Clone, Copy)]
pub struct Pattern(&'static str);

impl Pattern {
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// The numbers of one type: their pattern and lengths, and one example.
#[derive(Debug)]
pub struct Descriptor {
    national_number: Pattern,
    possible_length: &'static [u16],
    possible_local_length: &'static [u16],
    example: Option<&'static str>,
}

/// The general description, and each type's where the plan has numbers of that type.
#[derive(Debug)]
pub struct Descriptors {
    general: Descriptor,
    fixed_line: Option<Descriptor>,
    mobile: Option<Descriptor>,
    toll_free: Option<Descriptor>,
    premium_rate: Option<Descriptor>,
    shared_cost: Option<Descriptor>,
    personal_number: Option<Descriptor>,
    voip: Option<Descriptor>,
    pager: Option<Descriptor>,
    uan: Option<Descriptor>,
    voicemail: Option<Descriptor>,
}

/// How numbers matching `pattern` (and starting with `leading_digits`) are written.
#[derive(Debug)]
pub struct Format {
    pattern: Pattern,
    format: &'static str,
    leading_digits: &'static [Pattern],
    national_prefix: Option<&'static str>,
}

/// libphonenumber's number types, as the plans describe them; `Unknown` is the general
/// description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Unknown,
    FixedLine,
    Mobile,
    TollFree,
    PremiumRate,
    SharedCost,
    PersonalNumber,
    Voip,
    Pager,
    Uan,
    Voicemail,
}

impl Metadata {
    pub fn id(&self) -> &'static str {
        self.id
    }
    pub fn country_code(&self) -> u16 {
        self.country_code
    }
    pub fn is_main_country_for_code(&self) -> bool {
        self.main_country_for_code
    }
    pub fn international_prefix(&self) -> Option<Pattern> {
        self.international_prefix
    }
    pub fn national_prefix(&self) -> Option<&'static str> {
        self.national_prefix
    }
    pub fn national_prefix_for_parsing(&self) -> Option<Pattern> {
        self.national_prefix_for_parsing
    }
    pub fn national_prefix_transform_rule(&self) -> Option<&'static str> {
        self.national_prefix_transform_rule
    }
    pub fn leading_digits(&self) -> Option<Pattern> {
        self.leading_digits
    }
    pub fn formats(&self) -> &'static [Format] {
        self.formats
    }
    /// The formats written after `+CC` (each the national one where the XML gives no other).
    pub fn international_formats(&self) -> &'static [Format] {
        self.international_formats
    }
    pub fn descriptors(&'static self) -> &'static Descriptors {
        &self.descriptors
    }
}

impl Descriptors {
    pub fn get(&self, kind: Type) -> Option<&Descriptor> {
        match kind {
            Type::Unknown => Some(&self.general),
            Type::FixedLine => self.fixed_line.as_ref(),
            Type::Mobile => self.mobile.as_ref(),
            Type::TollFree => self.toll_free.as_ref(),
            Type::PremiumRate => self.premium_rate.as_ref(),
            Type::SharedCost => self.shared_cost.as_ref(),
            Type::PersonalNumber => self.personal_number.as_ref(),
            Type::Voip => self.voip.as_ref(),
            Type::Pager => self.pager.as_ref(),
            Type::Uan => self.uan.as_ref(),
            Type::Voicemail => self.voicemail.as_ref(),
        }
    }
    pub fn fixed_line(&self) -> Option<&Descriptor> {
        self.fixed_line.as_ref()
    }
    pub fn mobile(&self) -> Option<&Descriptor> {
        self.mobile.as_ref()
    }
}

impl Descriptor {
    pub fn national_number(&self) -> Pattern {
        self.national_number
    }
    pub fn possible_length(&self) -> &'static [u16] {
        self.possible_length
    }
    pub fn possible_local_length(&self) -> &'static [u16] {
        self.possible_local_length
    }
    pub fn example(&self) -> Option<&'static str> {
        self.example
    }
}

impl Format {
    pub fn pattern(&self) -> Pattern {
        self.pattern
    }
    pub fn format(&self) -> &'static str {
        self.format
    }
    pub fn leading_digits(&self) -> &'static [Pattern] {
        self.leading_digits
    }
    /// The rule for the first group with the national prefix (`$NP$FG`), where there is one.
    pub fn national_prefix(&self) -> Option<&'static str> {
        self.national_prefix
    }
}

/// Every plan: the regions' (two letters each) and the non-geographic codes' (`001`).
pub fn all() -> &'static [Metadata] {
    PLANS
}

/// The plan of an ISO 3166-1 alpha-2 region, `None` where libphonenumber has none.
pub fn by_region(id: &str) -> Option<Plan> {
    // Sorted by id: a region is found without reading the others.
    let i = PLANS.partition_point(|m| m.id < id);
    PLANS.get(i).filter(|m| m.id == id && m.id.len() == 2)
}

/// The plans sharing a calling code, in libphonenumber's order: the code's main region first,
/// then the others by their codes. Empty for a code no one has.
pub fn by_code(code: u16) -> Vec<Plan> {
    let mut plans: Vec<Plan> = PLANS.iter().filter(|m| m.country_code == code).collect();
    plans.sort_by_key(|m| (!m.is_main_country_for_code(), m.id()));
    plans
}

/// Whether anyone has the calling code: asked of up to three prefixes of every international
/// number, so without `by_code`'s list and sort.
pub fn has_code(code: u16) -> bool {
    PLANS.iter().any(|m| m.country_code == code)
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
pub fn groups(caps: &regex_lite::Captures<'_>) -> Vec<Option<String>> {
    caps.iter()
        .map(|g| g.map(|m| m.as_str().to_owned()))
        .collect()
}
