//! The few DOM calls the hand-built parts of the widget (`form.rs`, `step.rs`) are made of.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, HtmlInputElement, ShadowRoot};

/// Event handlers, kept for as long as the elements they listen on.
pub type Listeners = Vec<Closure<dyn FnMut(Event)>>;

pub fn doc() -> Option<Document> {
    web_sys::window()?.document()
}

/// `<tag attr=value …>text</tag>`, appended to `parent`.
pub fn el(parent: &Element, tag: &str, attrs: &[(&str, &str)], text: &str) -> Option<Element> {
    let e = doc()?.create_element(tag).ok()?;
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    parent.append_child(&e).ok()?;
    Some(e)
}

/// [`el`] for a field, as its own type (`HtmlInputElement`, `HtmlSelectElement`).
pub fn field<T: JsCast>(parent: &Element, tag: &str, attrs: &[(&str, &str)]) -> Option<T> {
    el(parent, tag, attrs, "")?.dyn_into().ok()
}

pub fn on(e: &Element, event: &str, listeners: &mut Listeners, f: impl FnMut(Event) + 'static) {
    on_all(e, &[event], listeners, f);
}

/// One handler for several events of `e`.
pub fn on_all(
    e: &EventTarget,
    events: &[&str],
    listeners: &mut Listeners,
    f: impl FnMut(Event) + 'static,
) {
    let c = Closure::<dyn FnMut(Event)>::new(f);
    for event in events {
        let _ = e.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
    }
    listeners.push(c);
}

/// Takes `listeners` off the `events` of `e`.
pub fn off_all(e: &EventTarget, events: &[&str], listeners: &Listeners) {
    for c in listeners {
        for event in events {
            let _ = e.remove_event_listener_with_callback(event, c.as_ref().unchecked_ref());
        }
    }
}

/// Sets or removes a boolean attribute (`disabled`, `hidden`).
pub fn flag(e: &Element, name: &str, on: bool) {
    let _ = if on {
        e.set_attribute(name, "")
    } else {
        e.remove_attribute(name)
    };
}

/// Moves `field` (the loader's) to the end of `parent` with `attrs`, keeping its value, its
/// focus and its caret, and removes what held it (the loader's form).
pub fn adopt(
    parent: &Element,
    field: HtmlInputElement,
    attrs: &[(&str, &str)],
) -> HtmlInputElement {
    let focused = field
        .get_root_node()
        .dyn_into::<ShadowRoot>()
        .ok()
        .and_then(|r| r.active_element())
        .is_some_and(|a| a.is_same_node(Some(&field)));
    let caret = (
        field.selection_start().ok().flatten(),
        field.selection_end().ok().flatten(),
    );
    let old = field.parent_element();
    for (k, v) in attrs {
        let _ = field.set_attribute(k, v);
    }
    let _ = parent.append_child(&field);
    if let Some(old) = old {
        old.remove();
    }
    if focused {
        let _ = field.focus();
        if let (Some(start), Some(end)) = caret {
            let _ = field.set_selection_range(start, end);
        }
    }
    field
}
