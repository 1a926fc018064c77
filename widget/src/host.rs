//! The widget's dealings with the page around it: its shadow container and styles, what it
//! tells the element (which turns it into events, the form's value and validity: see
//! `loader.js`), and what it reads from the element's attributes.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, HtmlElement, HtmlInputElement, ShadowRoot};

const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

/// A container inside the shadow root for the widget to render into, styled by a
/// constructed stylesheet: no `<style>` element and no `style` attribute, so a page whose CSP
/// has no `style-src 'unsafe-inline'` shows it as designed.
pub fn container(shadow: &ShadowRoot) -> Option<HtmlElement> {
    let doc = web_sys::window()?.document()?;
    let sheet = CssStyleSheet::new().ok()?;
    sheet.replace_sync(STYLE).ok()?;
    // Replaces the loader's sheet, whose reserved height was for the loading text only.
    let sheets = js_sys::Array::of1(&sheet);
    js_sys::Reflect::set(shadow, &"adoptedStyleSheets".into(), &sheets).ok()?;
    let div: HtmlElement = doc.create_element("div").ok()?.dyn_into().ok()?;
    shadow.append_child(&div).ok()?;
    Some(div)
}

/// The element's function the widget reports to: `(what, detail)`, where `what` is `ready`,
/// `pending`, `verified`, `failed`, `expired` or `error`.
#[derive(Clone)]
pub struct Notify(pub js_sys::Function);

impl Notify {
    pub fn tell(&self, what: &str, detail: &[(&str, Option<&str>)]) {
        let detail = crate::wire::object(detail);
        let _ = self.0.call2(&JsValue::NULL, &what.into(), &detail);
    }
}

/// One of the element's attributes, when set and not empty.
pub fn attribute(host: &HtmlElement, name: &str) -> Option<String> {
    host.get_attribute(name).filter(|v| !v.trim().is_empty())
}

/// The token of a Cloudflare Turnstile widget in the same form (its hidden
/// `cf-turnstile-response` input), for sites that check one on every start and paid attempt.
/// A token is single use, so the page's Turnstile is reset as it is taken: the next attempt
/// finds a fresh one.
pub fn turnstile_token(host: &HtmlElement) -> Option<String> {
    let form = host.closest("form").ok()??;
    let input = form.query_selector("[name=cf-turnstile-response]").ok()??;
    let value = input.dyn_into::<HtmlInputElement>().ok()?.value();
    let turnstile = crate::wire::field(&js_sys::global(), "turnstile");
    if let Ok(reset) = crate::wire::field(&turnstile, "reset").dyn_into::<js_sys::Function>() {
        let _ = reset.call0(&turnstile);
    }
    (!value.is_empty()).then_some(value)
}

/// Focuses what the visitor needs next in the widget: the first of `candidates` (CSS
/// selectors) that is there, e.g. the code field, else the call link.
pub fn focus_first(host: &HtmlElement, candidates: &[&str]) {
    let Some(shadow) = host.shadow_root() else {
        return;
    };
    let next = candidates
        .iter()
        .find_map(|css| shadow.query_selector(css).ok().flatten());
    if let Some(el) = next.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = el.focus();
    }
}
