//! libphonenumber's metadata, written out at build time as Rust statics (`plans.rs` in
//! `OUT_DIR`, read by `src/phone/metadata.rs`). The `phonenumber` crate loads its bundled copy
//! all at once on first use, checking the syntax of every pattern of every region: about
//! 110 ms natively and over 200 ms in a Worker's first request. Here that work is done once,
//! by the build, and a request reads only the plan it needs.

use phonenumber::metadata::{Descriptor, Format, Metadata, DATABASE};
use phonenumber::Type;
use std::fmt::Write as _;

/// The descriptors core reads, by the field name `Descriptors` gives each in core.
const DESCRIPTORS: [(&str, Type); 10] = [
    ("fixed_line", Type::FixedLine),
    ("mobile", Type::Mobile),
    ("toll_free", Type::TollFree),
    ("premium_rate", Type::PremiumRate),
    ("shared_cost", Type::SharedCost),
    ("personal_number", Type::PersonalNumber),
    ("voip", Type::Voip),
    ("pager", Type::Pager),
    ("uan", Type::Uan),
    ("voicemail", Type::Voicemail),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // By calling code: the non-geographic plans all have the id `001`, so the crate's list by
    // id holds only one of them.
    let mut plans: Vec<&Metadata> = (1..1000u16)
        .filter_map(|code| DATABASE.by_code(&code))
        .flatten()
        .collect();
    // A stable order, so the same metadata always builds the same table.
    plans.sort_by_key(|m| (m.id().to_owned(), m.country_code()));
    let mut out = String::from("pub(super) static PLANS: &[Metadata] = &[\n");
    for plan in plans {
        write_plan(&mut out, plan);
    }
    out.push_str("];\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("plans.rs");
    std::fs::write(path, out).expect("writing plans.rs");
}

/// A pattern without the whitespace its XML lays it out with.
fn pattern(source: &str) -> String {
    let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    format!("Pattern({compact:?})")
}

fn option<T>(value: Option<T>, write: impl Fn(T) -> String) -> String {
    value.map_or_else(|| "None".to_owned(), |v| format!("Some({})", write(v)))
}

fn descriptor(d: &Descriptor) -> String {
    format!(
        "Descriptor {{ national_number: {}, possible_length: &{:?}, possible_local_length: &{:?}, example: {:?} }}",
        pattern(d.national_number().as_str()),
        d.possible_length(),
        d.possible_local_length(),
        d.example(),
    )
}

fn formats(list: &[Format]) -> String {
    let mut out = String::from("&[");
    for f in list {
        let leading: Vec<String> = f
            .leading_digits()
            .iter()
            .map(|r| pattern(r.as_str()))
            .collect();
        write!(
            out,
            "Format {{ pattern: {}, format: {:?}, leading_digits: &[{}], national_prefix: {:?} }}, ",
            pattern(f.pattern().as_str()),
            f.format(),
            leading.join(", "),
            f.national_prefix(),
        )
        .unwrap();
    }
    out.push(']');
    out
}

fn write_plan(out: &mut String, m: &Metadata) {
    let d = m.descriptors();
    let mut descriptors = format!("general: {}, ", descriptor(d.general()));
    for (field, kind) in DESCRIPTORS {
        write!(
            descriptors,
            "{field}: {}, ",
            option(d.get(kind), descriptor)
        )
        .unwrap();
    }
    writeln!(
        out,
        "Metadata {{ id: {:?}, country_code: {}, main_country_for_code: {}, \
         international_prefix: {}, national_prefix: {:?}, national_prefix_for_parsing: {}, \
         national_prefix_transform_rule: {:?}, leading_digits: {}, \
         formats: {}, international_formats: {}, descriptors: Descriptors {{ {descriptors} }} }},",
        m.id(),
        m.country_code(),
        m.is_main_country_for_code(),
        option(m.international_prefix(), |r| pattern(r.as_str())),
        m.national_prefix(),
        option(m.national_prefix_for_parsing(), |r| pattern(r.as_str())),
        m.national_prefix_transform_rule(),
        option(m.leading_digits(), |r| pattern(r.as_str())),
        formats(m.formats()),
        formats(m.international_formats()),
    )
    .unwrap();
}
