//! What a read number is: libphonenumber's `getNumberType` and `isValidNumber` (a number is
//! valid when it has a type in the region it belongs to) and `isPossibleNumberWithReason`.

use super::metadata::{self, Length, Plan, Type};
use super::read::Number;

/// libphonenumber's number types, but for `UNKNOWN`: a number of no type is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    FixedLine,
    Mobile,
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    Uan,
    Voicemail,
}

impl Kind {
    /// libphonenumber's name for the type (`FIXED_LINE_OR_MOBILE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FixedLine => "FIXED_LINE",
            Kind::Mobile => "MOBILE",
            Kind::FixedLineOrMobile => "FIXED_LINE_OR_MOBILE",
            Kind::TollFree => "TOLL_FREE",
            Kind::PremiumRate => "PREMIUM_RATE",
            Kind::SharedCost => "SHARED_COST",
            Kind::Voip => "VOIP",
            Kind::PersonalNumber => "PERSONAL_NUMBER",
            Kind::Pager => "PAGER",
            Kind::Uan => "UAN",
            Kind::Voicemail => "VOICEMAIL",
        }
    }

    /// A line a person answers and may verify: fixed, mobile, VoIP or a personal number.
    /// Service numbers (toll-free, premium, shared-cost, pagers, UAN, voicemail) are not.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            Kind::FixedLine
                | Kind::Mobile
                | Kind::FixedLineOrMobile
                | Kind::Voip
                | Kind::PersonalNumber
        )
    }
}

/// The types libphonenumber's `getNumberTypeHelper` tries, in its order; fixed line and mobile
/// last, since a number of both is `FixedLineOrMobile`.
pub const ORDER: [(Type, Kind); 10] = [
    (Type::PremiumRate, Kind::PremiumRate),
    (Type::TollFree, Kind::TollFree),
    (Type::SharedCost, Kind::SharedCost),
    (Type::Voip, Kind::Voip),
    (Type::PersonalNumber, Kind::PersonalNumber),
    (Type::Pager, Kind::Pager),
    (Type::Uan, Kind::Uan),
    (Type::Voicemail, Kind::Voicemail),
    (Type::FixedLine, Kind::FixedLine),
    (Type::Mobile, Kind::Mobile),
];

/// Whether the plan's mobile numbers are its fixed lines' (then never told apart).
pub fn same_fixed_and_mobile(plan: Plan) -> bool {
    let d = plan.descriptors();
    match (d.get(Type::FixedLine), d.get(Type::Mobile)) {
        (Some(f), Some(m)) => f.national_number().as_str() == m.national_number().as_str(),
        _ => false,
    }
}

/// libphonenumber's `getNumberTypeHelper`: the first type whose descriptor matches, in its order.
pub fn kind_in(nsn: &str, plan: Plan) -> Option<Kind> {
    let d = plan.descriptors();
    if !metadata::matches_general(nsn, plan) {
        return None;
    }
    if let Some((_, kind)) = ORDER[..8]
        .iter()
        .find(|(t, _)| metadata::matches(nsn, d.get(*t)))
    {
        return Some(*kind);
    }
    let fixed = d.get(Type::FixedLine);
    let mobile = d.get(Type::Mobile);
    let same = same_fixed_and_mobile(plan);
    if metadata::matches(nsn, fixed) {
        return Some(if same || metadata::matches(nsn, mobile) {
            Kind::FixedLineOrMobile
        } else {
            Kind::FixedLine
        });
    }
    (!same && metadata::matches(nsn, mobile)).then_some(Kind::Mobile)
}

/// libphonenumber's `getRegionCodeForNumber`: of the plans sharing the number's calling code,
/// the first whose leading digits it starts with, or (without those) where it has a type.
pub fn plan_of(number: &Number) -> Option<Plan> {
    let plans = metadata::by_code(number.code);
    if plans.len() == 1 {
        return plans.into_iter().next();
    }
    plans.into_iter().find(|plan| match plan.leading_digits() {
        Some(lead) => metadata::start(lead.as_str()).is_some_and(|r| r.is_match(&number.nsn)),
        None => kind_in(&number.nsn, plan).is_some(),
    })
}

/// The number's type where it is valid; `None` where libphonenumber calls it invalid.
pub fn kind(number: &Number) -> Option<Kind> {
    kind_in(&number.nsn, plan_of(number)?)
}

/// libphonenumber's `isPossibleNumberWithReason`: the number's length against its calling
/// code's main plan.
pub fn length(number: &Number) -> Length {
    match metadata::main_of(number.code) {
        Some(plan) => metadata::test_length(&number.nsn, plan),
        None => Length::Invalid,
    }
}
