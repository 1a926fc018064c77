//! The browser's own JSON values (`JSON.parse`'s), for `read.rs`'s readers of the edge's
//! answers, and the objects the widget sends and tells the page.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

pub fn field(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn text(v: &JsValue, name: &str) -> Option<String> {
    field(v, name).as_string()
}

/// A JSON object of string fields; `None`s are left out, as serde's `skip_serializing_if` does.
pub fn object(fields: &[(&str, Option<&str>)]) -> Object {
    let o = Object::new();
    for (k, v) in fields {
        if let Some(v) = v {
            let _ = Reflect::set(&o, &(*k).into(), &(*v).into());
        }
    }
    o
}

pub fn parse(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok()
}

pub fn stringify(v: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(v).ok().map(String::from)
}

impl crate::read::Json for JsValue {
    fn field(&self, name: &str) -> JsValue {
        field(self, name)
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn flag(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Vec<JsValue> {
        self.clone()
            .dyn_into::<Array>()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}
