//! Reading a number the way the visitor writes it at home, with the chosen country's plan from
//! the edge (`GET /v1/countries`): the wasm carries no numbering metadata of its own, and the
//! plan's patterns run on the browser's own `RegExp`.

use js_sys::{JsString, Reflect, RegExp};
use ringproof_api::{DialCode, NumberFormat, PhoneCountries, PhoneCountry};
use wasm_bindgen::{JsCast, JsValue};

fn field(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(v: &JsValue, name: &str) -> Option<String> {
    field(v, name).as_string()
}

fn items(v: &JsValue, name: &str) -> Vec<JsValue> {
    field(v, name)
        .dyn_into::<js_sys::Array>()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// `GET /v1/countries`, read from `JSON.parse`'s value.
pub fn read_countries(v: &JsValue) -> PhoneCountries {
    PhoneCountries {
        default_country: text(v, "default_country"),
        countries: items(v, "countries")
            .iter()
            .filter_map(|c| {
                Some(DialCode {
                    country: text(c, "country")?,
                    dial_code: field(c, "dial_code").as_f64()? as u16,
                })
            })
            .collect(),
        plan: read_plan(&field(v, "plan")),
    }
}

/// `GET /v1/countries/{country}` (or the `plan` above), read from `JSON.parse`'s value.
pub fn read_plan(v: &JsValue) -> Option<PhoneCountry> {
    Some(PhoneCountry {
        country: text(v, "country")?,
        dial_code: field(v, "dial_code").as_f64()? as u16,
        national_prefix: text(v, "national_prefix"),
        example: text(v, "example"),
        mobile_lengths: items(v, "mobile_lengths")
            .iter()
            .filter_map(|n| n.as_f64().map(|n| n as u16))
            .collect(),
        mobile_pattern: text(v, "mobile_pattern")?,
        formats: items(v, "formats")
            .iter()
            .filter_map(|f| {
                Some(NumberFormat {
                    pattern: text(f, "pattern")?,
                    format: text(f, "format")?,
                    leading_digits: text(f, "leading_digits"),
                })
            })
            .collect(),
    })
}

/// A country's flag, from its two letters (regional indicator symbols).
pub fn flag(country: &str) -> String {
    country
        .bytes()
        .filter(u8::is_ascii_uppercase)
        .filter_map(|b| char::from_u32(0x1F1E6 + u32::from(b - b'A')))
        .collect()
}

/// The country's name in the page's language (`Intl.DisplayNames`), else its code.
pub fn country_name(names: &JsValue, country: &str) -> String {
    Reflect::get(names, &"of".into())
        .ok()
        .and_then(|of| of.dyn_into::<js_sys::Function>().ok())
        .and_then(|of| of.call1(names, &country.into()).ok())
        .and_then(|n| n.as_string())
        .unwrap_or_else(|| country.to_owned())
}

/// `new Intl.DisplayNames([lang], {type: "region"})`, or `undefined` where the browser has none.
pub fn region_names(lang: &str) -> JsValue {
    let make = || -> Result<JsValue, JsValue> {
        let intl = Reflect::get(&js_sys::global(), &"Intl".into())?;
        let ctor: js_sys::Function = Reflect::get(&intl, &"DisplayNames".into())?.dyn_into()?;
        let options = js_sys::Object::new();
        Reflect::set(&options, &"type".into(), &"region".into())?;
        let langs = js_sys::Array::of1(&lang.into());
        Reflect::construct(&ctor, &js_sys::Array::of2(&langs, &options))
    };
    make().unwrap_or(JsValue::UNDEFINED)
}

/// Puts one `<option>` per country into `select` (flag, name, dial code), `chosen` selected.
pub fn fill_picker(
    select: &web_sys::HtmlSelectElement,
    countries: &[DialCode],
    chosen: Option<&str>,
    names: &JsValue,
) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    select.set_text_content(None);
    for d in countries {
        let Ok(option) = doc.create_element("option") else {
            continue;
        };
        let _ = option.set_attribute("value", &d.country);
        let name = country_name(names, &d.country);
        option.set_text_content(Some(&format!(
            "{} {name} +{}",
            flag(&d.country),
            d.dial_code
        )));
        if chosen == Some(d.country.as_str()) {
            let _ = option.set_attribute("selected", "");
        }
        let _ = select.append_child(&option);
    }
    if let Some(c) = chosen {
        select.set_value(c);
    }
}

/// The page's language (`<html lang>`), else the browser's.
pub fn page_language() -> String {
    let doc_lang = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .filter(|l| !l.is_empty());
    doc_lang
        .or_else(|| {
            let nav = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
            Reflect::get(&nav, &"language".into()).ok()?.as_string()
        })
        .unwrap_or_else(|| "en".into())
}

/// The region of a language tag (`en-GB` → `GB`).
pub fn region_of(lang: &str) -> Option<String> {
    lang.split(['-', '_'])
        .skip(1)
        .find(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

/// Whether the visitor wrote the number internationally (`+44…`, `0044…`): the edge reads it
/// then, whatever country is chosen.
pub fn is_international(typed: &str) -> bool {
    let t = typed.trim_start();
    t.starts_with('+') || t.starts_with("00")
}

fn digits(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_digit).collect()
}

/// The national significant number and the national prefix the visitor typed before it.
fn split_prefix<'a>(plan: &PhoneCountry, digits: &'a str) -> (&'a str, &'a str) {
    match plan.national_prefix.as_deref() {
        Some(p) if !p.is_empty() && digits.starts_with(p) => digits.split_at(p.len()),
        _ => ("", digits),
    }
}

fn regex(source: &str) -> RegExp {
    RegExp::new(source, "")
}

/// The number grouped as people write it in the country, once it is long enough to match one
/// of its formats; as typed (digits only) before.
pub fn format_national(plan: &PhoneCountry, typed: &str) -> String {
    if is_international(typed) {
        return typed.to_owned();
    }
    let all = digits(typed);
    let (prefix, nsn) = split_prefix(plan, &all);
    for f in &plan.formats {
        if let Some(lead) = &f.leading_digits {
            if !regex(&format!("^(?:{lead})")).test(nsn) {
                continue;
            }
        }
        let full = regex(&format!("^(?:{})$", f.pattern));
        if full.test(nsn) {
            let grouped: String = JsString::from(nsn)
                .replace_by_pattern(&full, &f.format)
                .into();
            return format!("{prefix}{grouped}");
        }
    }
    all
}

/// Why a nationally written number cannot be a mobile number of the country, before anything
/// is sent; `None` when it may be (the edge has the last word) or is written internationally.
pub fn problem(plan: &PhoneCountry, typed: &str) -> Option<&'static str> {
    if is_international(typed) {
        return None;
    }
    let all = digits(typed);
    if all.is_empty() {
        return Some("Please enter your mobile number.");
    }
    let (_, nsn) = split_prefix(plan, &all);
    let len = nsn.len() as u16;
    let (min, max) = (
        plan.mobile_lengths.iter().copied().min().unwrap_or(0),
        plan.mobile_lengths
            .iter()
            .copied()
            .max()
            .unwrap_or(u16::MAX),
    );
    if len < min {
        return Some("That number is too short.");
    }
    if len > max {
        return Some("That number is too long.");
    }
    if !regex(&format!("^(?:{})$", plan.mobile_pattern)).test(nsn) {
        return Some("That is not a mobile number. Please enter the number of your mobile phone.");
    }
    None
}
