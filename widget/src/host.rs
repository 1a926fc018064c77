//! The widget's dealings with the page around it: its shadow container, the hidden form input
//! and the events a site listens for.

use wasm_bindgen::JsCast;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement, HtmlInputElement, ShadowRoot};

/// Turnstile's convention: the token travels with the enclosing form under this name.
pub const RESPONSE_FIELD: &str = "ringproof-response";

const STYLE: &str = include_str!("widget.css");

/// A styled container inside the shadow root for Leptos to render into.
pub fn container(shadow: &ShadowRoot) -> Option<HtmlElement> {
    let doc = web_sys::window()?.document()?;
    let style = doc.create_element("style").ok()?;
    style.set_text_content(Some(STYLE));
    shadow.append_child(&style).ok()?;
    let div: HtmlElement = doc.create_element("div").ok()?.dyn_into().ok()?;
    shadow.append_child(&div).ok()?;
    Some(div)
}

/// Puts the token where the page's form and scripts expect it.
pub fn deliver_token(host: &HtmlElement, token: &str) {
    // A hidden input in the light DOM: inputs inside a shadow root do not take part in forms.
    let input = match host.query_selector(&format!("input[name=\"{RESPONSE_FIELD}\"]")) {
        Ok(Some(el)) => el.dyn_into::<HtmlInputElement>().ok(),
        _ => web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("input").ok())
            .and_then(|el| el.dyn_into::<HtmlInputElement>().ok())
            .inspect(|i| {
                i.set_type("hidden");
                i.set_name(RESPONSE_FIELD);
                let _ = host.append_child(i);
            }),
    };
    if let Some(i) = input {
        i.set_value(token);
    }
    dispatch(host, "ringproof-verified", &[("token", token)]);
}

/// Lets the page follow along (the demo's sandbox button uses it).
pub fn announce_pending(host: &HtmlElement, verification_id: &str) {
    dispatch(
        host,
        "ringproof-pending",
        &[("verification_id", verification_id)],
    );
}

fn dispatch(host: &HtmlElement, name: &str, detail: &[(&str, &str)]) {
    let obj = js_sys::Object::new();
    for (k, v) in detail {
        let _ = js_sys::Reflect::set(&obj, &(*k).into(), &(*v).into());
    }
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&obj);
    if let Ok(ev) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&ev);
    }
}

/// The token of a Cloudflare Turnstile widget in the same form (its hidden
/// `cf-turnstile-response` input), for sites that check one before a verification starts.
pub fn turnstile_token(host: &HtmlElement) -> Option<String> {
    let form = host.closest("form").ok()??;
    let input = form.query_selector("[name=cf-turnstile-response]").ok()??;
    let value = input.dyn_into::<HtmlInputElement>().ok()?.value();
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
