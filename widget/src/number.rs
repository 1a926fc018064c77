//! Reading a number the way the visitor writes it at home, with the chosen country's plan from
//! the edge (`GET /v1/countries`): the wasm carries no numbering metadata of its own, and the
//! plan's patterns run on the browser's own `RegExp`.

use crate::i18n;
use crate::machine::Listed;
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

/// Text as searches compare it: the browser's lower case (`Rules::fold` in the widget).
pub fn fold(text: &str) -> String {
    JsString::from(text).to_lower_case().into()
}

/// The site's countries as the picker lists them, with their names in the visitor's
/// language: in the site's order when it names a few, else in the order of their names as the
/// visitor's alphabet sorts them (`Intl.Collator`: "Österreich" among the O's in German).
pub fn listed(countries: Vec<DialCode>, names: &JsValue, lang: &str) -> Vec<Listed> {
    let listed: Vec<Listed> = countries
        .into_iter()
        .map(|d| {
            let name = country_name(names, &d.country);
            Listed {
                folded: fold(&name),
                name,
                country: d.country,
                dial_code: d.dial_code,
            }
        })
        .collect();
    if listed.len() <= 20 {
        return listed;
    }
    let collator = i18n::intl("Collator", lang, &js_sys::Object::new());
    let compare = wire::field(&collator, "compare");
    let sort = wire::field(&js_sys::Array::new(), "sort");
    let (Ok(compare), Ok(sort)) = (
        compare.dyn_into::<js_sys::Function>(),
        sort.dyn_into::<js_sys::Function>(),
    ) else {
        return listed;
    };
    let labels: js_sys::Array = listed
        .iter()
        .map(|l| JsValue::from(l.name.as_str()))
        .collect();
    let _ = sort.call1(&labels, &compare);
    let mut rest = listed;
    let mut sorted = Vec::with_capacity(rest.len());
    for label in labels.iter().filter_map(|l| l.as_string()) {
        if let Some(i) = rest.iter().position(|l| l.name == label) {
            sorted.push(rest.swap_remove(i));
        }
    }
    sorted.extend(rest);
    sorted
}

/// Puts one `<option>` per country in `shown` into `select` (flag, name, dial code), `chosen`
/// selected.
pub fn fill_picker<'a>(
    select: &web_sys::HtmlSelectElement,
    shown: impl Iterator<Item = &'a Listed>,
    chosen: Option<&str>,
) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    select.set_text_content(None);
    let mut chosen_shown = false;
    for l in shown {
        let Ok(option) = doc.create_element("option") else {
            continue;
        };
        let _ = option.set_attribute("value", &l.country);
        option.set_text_content(Some(&format!(
            "{} {} +{}",
            flag(&l.country),
            l.name,
            l.dial_code
        )));
        if chosen == Some(l.country.as_str()) {
            chosen_shown = true;
            let _ = option.set_attribute("selected", "");
        }
        let _ = select.append_child(&option);
    }
    if let Some(c) = chosen.filter(|_| chosen_shown) {
        select.set_value(c);
    }
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
