//! Every visitor-facing sentence, from the catalog of the visitor's language
//! (`widget/i18n/<lang>.json`, chosen and fetched by the loader, so only that one is
//! downloaded). Plural forms follow the browser's `Intl.PluralRules`.

use crate::wire;
use js_sys::{Function, Reflect};
use ringproof_api::ErrorDetail;
use wasm_bindgen::{JsCast, JsValue};

pub struct Catalog {
    lang: String,
    messages: JsValue,
    plurals: JsValue,
}

/// `new Intl[name]([lang], options)`, or `undefined` where the browser lacks it.
pub fn intl(name: &str, lang: &str, options: &js_sys::Object) -> JsValue {
    let make = || -> Result<JsValue, JsValue> {
        let intl = Reflect::get(&js_sys::global(), &"Intl".into())?;
        let ctor: Function = Reflect::get(&intl, &name.into())?.dyn_into()?;
        let langs = js_sys::Array::of1(&lang.into());
        Reflect::construct(&ctor, &js_sys::Array::of2(&langs, options))
    };
    make().unwrap_or(JsValue::UNDEFINED)
}

/// `obj[method](arg)` as a string, for the `Intl` objects' `of`, `select` and the like.
pub fn call_text(obj: &JsValue, method: &str, arg: &JsValue) -> Option<String> {
    wire::field(obj, method)
        .dyn_into::<Function>()
        .ok()?
        .call1(obj, arg)
        .ok()?
        .as_string()
}

/// `template` with `{name}` replaced by `value`.
pub fn fill(template: &str, name: &str, value: &str) -> String {
    // Split and joined by the browser: Rust's `replace` carries its substring searcher (and
    // the panics it formats) into the wasm.
    let parts = js_sys::JsString::from(template).split(&format!("{{{name}}}"));
    parts.join(value).into()
}

impl Catalog {
    pub fn new(lang: String, messages: JsValue) -> Catalog {
        let plurals = intl("PluralRules", &lang, &js_sys::Object::new());
        Catalog {
            lang,
            messages,
            plurals,
        }
    }

    pub fn lang(&self) -> &str {
        &self.lang
    }

    pub fn rtl(&self) -> bool {
        wire::text(&self.messages, "_dir").as_deref() == Some("rtl")
    }

    /// The message `id`; the id itself if the catalog lacks it (a test keeps every catalog
    /// complete, so a visitor never sees one).
    pub fn t(&self, id: &str) -> String {
        wire::text(&self.messages, id).unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` in the plural form `n` takes in this language, `{n}` filled in.
    pub fn n(&self, id: &str, n: u64) -> String {
        let entry = wire::field(&self.messages, id);
        let form = call_text(&self.plurals, "select", &(n as f64).into())
            .unwrap_or_else(|| "other".into());
        let text = wire::text(&entry, &form)
            .or_else(|| wire::text(&entry, "other"))
            .or_else(|| entry.as_string())
            .unwrap_or_else(|| id.to_owned());
        fill(&text, "n", &n.to_string())
    }

    /// What to tell the visitor about an error from the edge: its code's sentence here, else
    /// the edge's own words (English), else the generic one.
    pub fn error(&self, e: &ErrorDetail) -> String {
        if let Some(id) = e.reason.as_deref().and_then(phone_reason) {
            return self.t(id);
        }
        let id = format!("error.{}", e.code);
        let entry = wire::field(&self.messages, &id);
        if entry.is_string() {
            return self.t(&id);
        }
        if entry.is_object() {
            let secs = e.retry_after.unwrap_or(0);
            // The only error counted in minutes: the edge's own sentence says minutes too.
            let n = if e.code == "number_locked" {
                secs.div_ceil(60)
            } else {
                secs
            };
            return self.n(&id, n);
        }
        if e.message.is_empty() {
            self.t("error.internal_error")
        } else {
            e.message.clone()
        }
    }
}

/// Each reason a number is refused for, in core's order (`PhoneProblem`; the widget's own
/// check's `Problem` is numbered by it), and its sentence.
const PHONE_REASONS: [(&str, &str); 9] = [
    ("empty", "phone.empty"),
    ("not_a_number", "phone.not_a_number"),
    ("letters", "phone.letters"),
    ("needs_country", "phone.needs_country"),
    ("unknown_country_code", "phone.unknown_country_code"),
    ("too_short", "phone.too_short"),
    ("too_long", "phone.too_long"),
    ("does_not_exist", "phone.does_not_exist"),
    ("service_number", "phone.service_number"),
];

/// The message id for a reason the widget's own check gives.
pub fn phone_problem(p: ringproof_numbering::Problem) -> &'static str {
    PHONE_REASONS
        .get(p as usize)
        .map_or("phone.does_not_exist", |(_, id)| *id)
}

/// The message id for a reason the edge gives.
pub fn phone_reason(reason: &str) -> Option<&'static str> {
    PHONE_REASONS
        .iter()
        .find(|(code, _)| *code == reason)
        .map(|(_, id)| *id)
}
