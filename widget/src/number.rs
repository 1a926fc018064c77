//! Reading a number the way the visitor writes it at home, with the chosen country's plan from
//! the edge (`GET /v1/countries`): the wasm carries no numbering metadata of its own, and the
//! plan's patterns run on the browser's own `RegExp`.

use crate::i18n;
use crate::wire::{self, field, text};
use js_sys::{JsString, Reflect, RegExp};
use ringproof_api::{DialCode, PhoneCountry};
use ringproof_numbering::{Letters, Patterns};
use wasm_bindgen::{JsCast, JsValue};

/// A country's flag, from its two letters (regional indicator symbols).
pub fn flag(country: &str) -> String {
    country
        .bytes()
        .filter(u8::is_ascii_uppercase)
        .filter_map(|b| char::from_u32(0x1F1E6 + u32::from(b - b'A')))
        .collect()
}

/// The country's name in the visitor's language (`Intl.DisplayNames`), else its code.
pub fn country_name(names: &JsValue, country: &str) -> String {
    i18n::call_text(names, "of", &country.into()).unwrap_or_else(|| country.to_owned())
}

/// `new Intl.DisplayNames([lang], {type: "region"})`, or `undefined` where the browser has none.
pub fn region_names(lang: &str) -> JsValue {
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"type".into(), &"region".into());
    i18n::intl("DisplayNames", lang, &options)
}

/// `countries` in the order of their names in the visitor's language, as its own alphabet
/// sorts them (`Intl.Collator`: "Österreich" among the O's in German).
pub fn by_name(countries: Vec<DialCode>, names: &JsValue, lang: &str) -> Vec<DialCode> {
    let collator = i18n::intl("Collator", lang, &js_sys::Object::new());
    let compare = wire::field(&collator, "compare");
    let sort = wire::field(&js_sys::Array::new(), "sort");
    let (Ok(compare), Ok(sort)) = (
        compare.dyn_into::<js_sys::Function>(),
        sort.dyn_into::<js_sys::Function>(),
    ) else {
        return countries;
    };
    let mut named: Vec<(String, DialCode)> = countries
        .into_iter()
        .map(|d| (country_name(names, &d.country), d))
        .collect();
    let labels: js_sys::Array = named
        .iter()
        .map(|(n, _)| JsValue::from(n.as_str()))
        .collect();
    let _ = sort.call1(&labels, &compare);
    let mut sorted = Vec::with_capacity(named.len());
    for label in labels.iter().filter_map(|l| l.as_string()) {
        if let Some(i) = named.iter().position(|(n, _)| *n == label) {
            sorted.push(named.swap_remove(i).1);
        }
    }
    sorted.extend(named.into_iter().map(|(_, d)| d));
    sorted
}

/// Whether a search matches a country: its name in the visitor's language, its two letters or
/// its dial code, ignoring case.
fn matches(search: &str, name: &str, d: &DialCode) -> bool {
    // The browser's own case folding: Rust's would carry Unicode's tables into the wasm.
    let lower = |s: &str| JsString::from(s).to_lower_case();
    let q = String::from(lower(search.trim()));
    let digits = q.trim_start_matches('+');
    // The browser's substring search too: Rust's pulls in its searcher and its panics.
    q.is_empty()
        || lower(name).includes(&q, 0)
        || d.country.eq_ignore_ascii_case(&q)
        || (!digits.is_empty() && d.dial_code.to_string().starts_with(digits))
}

/// Puts one `<option>` per country matching `search` into `select` (flag, name, dial code),
/// `chosen` selected. Answers how many match, and the first match when the search hides
/// `chosen`, to be chosen instead.
pub fn fill_picker(
    select: &web_sys::HtmlSelectElement,
    countries: &[DialCode],
    chosen: Option<&str>,
    search: &str,
    names: &JsValue,
) -> (usize, Option<String>) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return (0, None);
    };
    select.set_text_content(None);
    let mut first = None;
    let mut shown = 0;
    let mut chosen_shown = false;
    for d in countries {
        let name = country_name(names, &d.country);
        if !matches(search, &name, d) {
            continue;
        }
        let Ok(option) = doc.create_element("option") else {
            continue;
        };
        let _ = option.set_attribute("value", &d.country);
        option.set_text_content(Some(&format!(
            "{} {name} +{}",
            flag(&d.country),
            d.dial_code
        )));
        first.get_or_insert_with(|| d.country.clone());
        shown += 1;
        if chosen == Some(d.country.as_str()) {
            chosen_shown = true;
            let _ = option.set_attribute("selected", "");
        }
        let _ = select.append_child(&option);
    }
    if let Some(c) = chosen.filter(|_| chosen_shown) {
        select.set_value(c);
    }
    (shown, first.filter(|_| !chosen_shown && chosen.is_some()))
}

/// The page's language (`<html lang>`), else the browser's: for the visitor's likely country.
pub fn page_language() -> String {
    let doc_lang = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .filter(|l| !l.is_empty());
    doc_lang
        .or_else(|| text(&field(&js_sys::global(), "navigator"), "language"))
        .unwrap_or_default()
}

/// The region of a language tag (`en-GB` → `GB`).
pub fn region_of(lang: &str) -> Option<String> {
    lang.split(['-', '_'])
        .skip(1)
        .find(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

/// The browser's `RegExp` runs the plan's patterns: the wasm carries no regex engine.
struct BrowserPatterns;

impl Letters for BrowserPatterns {
    fn is_alphanumeric(&self, c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_alphanumeric();
        }
        // The browser's Unicode tables, not Rust's in the wasm.
        let mut buf = [0; 4];
        RegExp::new("[\\p{Alphabetic}\\p{N}]", "u").test(c.encode_utf8(&mut buf))
    }
}

impl Patterns for BrowserPatterns {
    fn exec(&self, source: &str, text: &str) -> Option<Vec<Option<String>>> {
        let found = RegExp::new(source, "").exec(text)?;
        let mut groups = Vec::new();
        for i in 0..found.length() {
            groups.push(found.get(i).as_string());
        }
        Some(groups)
    }
}

/// The number grouped as people write it in the country, once it is long enough to match one
/// of its formats; as typed (digits only) before.
pub fn format_national(plan: &PhoneCountry, typed: &str) -> String {
    ringproof_numbering::format_national(&BrowserPatterns, plan, typed)
}

/// Why a number typed with the country chosen cannot be verified (a message id), as the edge
/// would say it, before anything is sent; `None` where the edge would accept it, or where it is
/// written internationally (the edge reads it then).
pub fn problem(plan: &PhoneCountry, typed: &str) -> Option<&'static str> {
    ringproof_numbering::problem(&BrowserPatterns, plan, typed).map(i18n::phone_problem)
}
