//! `<ringproof-verify>`: the phone verification widget.
//!
//! The loader (`loader.js`) defines the custom element, picks the visitor's language, fetches
//! its catalog beside the module, attaches an open shadow root and calls [`mount`]; everything
//! the visitor sees is rendered here, inside that shadow root. What the page sees (events,
//! the form's value and validity, `window.ringproof`) is the element's, in the loader: the
//! widget tells it what happened through [`host::Notify`].

mod api;
mod code;
mod dom;
mod draw;
mod effects;
mod form;
mod host;
mod i18n;
mod live;
pub mod machine;
mod number;
mod proof;
mod read;
mod step;
mod text;
mod wire;

use effects::{Machine, World};
use i18n::Catalog;
use leptos::prelude::*;
use machine::{Msg, Rules, State};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// The clock: every second the machine hears the time (the countdown, the token's end, the
/// socket's health, a poll while no socket is open).
const TICK: Duration = Duration::from_secs(1);

/// A widget on the page; [`Mounted::unmount`] takes it off, with its timers and requests.
#[wasm_bindgen]
pub struct Mounted {
    unmount: Option<Box<dyn std::any::Any>>,
    stop: web_sys::AbortController,
    root: web_sys::HtmlElement,
}

#[wasm_bindgen]
impl Mounted {
    pub fn unmount(&mut self) {
        self.stop.abort();
        // Dropping the handle runs every `on_cleanup`: the clock, the poll, WebOTP's wait.
        self.unmount.take();
        self.root.remove();
    }
}

/// Mounts the widget into `shadow`, for the element `host`, talking to the edge at `api_base`,
/// in `lang` with its `catalog` (the parsed `widget/i18n/<lang>.json`); `notify(what, detail)`
/// hears what happens. `early` is the loader's phone field, which the visitor may have typed
/// into while the widget loaded: the widget takes it over.
#[wasm_bindgen]
pub fn mount(
    shadow: web_sys::ShadowRoot,
    host: web_sys::HtmlElement,
    api_base: String,
    lang: String,
    catalog: JsValue,
    notify: js_sys::Function,
    early: Option<web_sys::HtmlInputElement>,
) -> Option<Mounted> {
    let site_key = host.get_attribute("site-key").unwrap_or_default();
    let root = host::container(&shadow)?;
    let cat = Catalog::new(lang, catalog);
    let stop = web_sys::AbortController::new().ok()?;
    let edge = api::Edge::new(api_base, &stop);
    let notify = host::Notify(notify);
    let told = notify.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <Widget host=host edge=edge site_key=site_key cat=cat notify=notify early=early/> }
    });
    told.tell("ready", &[]);
    Some(Mounted {
        unmount: Some(Box::new(handle)),
        stop,
        root,
    })
}

#[component]
fn Widget(
    host: web_sys::HtmlElement,
    edge: api::Edge,
    site_key: String,
    cat: Catalog,
    notify: host::Notify,
    early: Option<web_sys::HtmlInputElement>,
) -> impl IntoView {
    let rules = Rules {
        problem: number::problem,
        format: number::format_national,
        time: js_sys::Date::parse,
        fold: number::fold,
    };
    // What the visitor typed while the widget loaded, else what the page filled in
    // (`phone="+447400123456"`).
    let phone = early
        .as_ref()
        .map(|e| e.value())
        .filter(|typed| !typed.is_empty())
        .or_else(|| host.get_attribute("phone"))
        .unwrap_or_default();
    let rtl = cat.rtl();
    let lang = cat.lang().to_owned();
    let world = World {
        edge,
        host,
        site_key,
        lang: lang.clone(),
        notify,
        names: number::region_names(&lang),
        sms_wait: None,
        socket: None,
    };
    let m = Machine::new(State::new(rules, phone, js_sys::Date::now()), world);
    provide_context(m);
    let state = m.state;
    let cat = StoredValue::new_local(cat);
    m.send(Msg::Mounted);
    let clock = set_interval_with_handle(
        move || {
            let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
            m.send(Msg::Tick {
                now_ms: js_sys::Date::now(),
                online,
            });
        },
        TICK,
    )
    .ok();
    on_cleanup(move || {
        if let Some(c) = clock {
            c.clear();
        }
        m.send(Msg::Removed);
    });
    let touch = code::on_touch_screen();

    // One effect draws the parts from the one state (see `draw.rs`).
    let form_box = NodeRef::<leptos::html::Div>::new();
    let step_box = NodeRef::<leptos::html::Div>::new();
    let ui = StoredValue::new_local(draw::Ui::new(early));
    Effect::new(move |_| {
        let (Some(form), Some(step)) = (form_box.get(), step_box.get()) else {
            return;
        };
        let heard = state.with(|s| {
            cat.with_value(|cat| {
                let at = draw::Places {
                    form: &form,
                    step: &step,
                    cat,
                    touch,
                    m,
                };
                ui.try_update_value(|ui| ui.draw(s, &at))
            })
        });
        for msg in heard.into_iter().flatten() {
            m.send(msg);
        }
    });

    let error_text = move || {
        state.with(|s| {
            cat.with_value(|c| {
                s.error
                    .as_ref()
                    .map(|e| c.error(e))
                    .or_else(|| s.wrong_code.map(|left| c.n("code.wrong", u64::from(left))))
            })
        })
    };
    let status_text = move || {
        state.with(|s| {
            cat.with_value(|c| {
                if s.expired {
                    return c.t("token.expired");
                }
                s.current
                    .as_ref()
                    .map(|v| text::status(c, v))
                    .unwrap_or_default()
            })
        })
    };

    view! {
        <div class="rp" part="widget" data-testid="widget" lang=lang dir=if rtl { "rtl" } else { "ltr" }>
            <div node_ref=form_box></div>
            <div node_ref=step_box></div>
            <p class="error" part="error" role="alert" data-testid="error">{error_text}</p>
            <p class="status" part="status" aria-live="polite" data-testid="status">{status_text}</p>
        </div>
    }
}
