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
mod effects;
mod form;
mod host;
mod i18n;
mod live;
pub mod machine;
mod number;
mod proof;
mod step;
mod text;
mod wire;

use dom::flag;
use effects::{Machine, World};
use i18n::Catalog;
use leptos::prelude::*;
use machine::{Msg, Rules, State};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// The clock: every second the machine hears the time (the countdown, the token's end, the
/// socket's health, a poll while no socket is open).
const TICK: Duration = Duration::from_secs(1);

/// A search box above the country list once the list is longer than this.
const SEARCH_FROM: usize = 8;

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
/// hears what happens.
#[wasm_bindgen]
pub fn mount(
    shadow: web_sys::ShadowRoot,
    host: web_sys::HtmlElement,
    api_base: String,
    lang: String,
    catalog: JsValue,
    notify: js_sys::Function,
) -> Option<Mounted> {
    let site_key = host.get_attribute("site-key").unwrap_or_default();
    let root = host::container(&shadow)?;
    let cat = Catalog::new(lang, catalog);
    let stop = web_sys::AbortController::new().ok()?;
    let edge = api::Edge::new(api_base, &stop);
    let notify = host::Notify(notify);
    let told = notify.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <Widget host=host edge=edge site_key=site_key cat=cat notify=notify/> }
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
) -> impl IntoView {
    let rules = Rules {
        problem: number::problem,
        format: number::format_national,
        time: js_sys::Date::parse,
    };
    // The page may fill the number in (`phone="+447400123456"`); the visitor can change it.
    let phone = host.get_attribute("phone").unwrap_or_default();
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
        m.stop();
    });
    let touch = code::on_touch_screen();

    // What each part shows, derived from the one state: a part is redrawn only when its own
    // slice changes.
    let current = Memo::new(move |_| state.with(|s| s.current.clone()));
    let ticked =
        Memo::new(move |_| state.with(|s| (s.time_left_ms(), s.cool_down_ms(), s.late(), s.busy)));
    let expired = Memo::new(move |_| state.with(|s| s.expired));
    let code = Memo::new(move |_| state.with(|s| s.code.clone()));

    // The attempt's step, built by hand (see `step.rs`) when the attempt changes and updated
    // in place while it stands.
    let step_box = NodeRef::<leptos::html::Div>::new();
    let step_shown = StoredValue::new_local(None::<step::Step>);
    Effect::new(move |_| {
        let view = current.get();
        let Some(parent) = step_box.get() else {
            return;
        };
        let Some(view) = view else {
            step_shown.set_value(None);
            return;
        };
        let same = step_shown.with_value(|s| s.as_ref().is_some_and(|s| s.shows(&view)));
        if same {
            step_shown.with_value(|s| {
                if let Some(s) = s {
                    cat.with_value(|c| s.update(&view, c));
                }
            });
        } else {
            // The old step's elements go with it.
            step_shown.set_value(None);
            let phone = state.with_untracked(|s| s.phone.clone());
            let built = cat.with_value(|c| step::Step::build(&parent, &view, c, &phone, touch, m));
            step_shown.set_value(built);
        }
        let (left, cool_down, late, busy) = ticked.get_untracked();
        step_shown.with_value(|s| {
            if let Some(s) = s {
                cat.with_value(|c| s.tick(left, cool_down, late, busy, c));
            }
        });
    });
    Effect::new(move |_| {
        let (left, cool_down, late, busy) = ticked.get();
        step_shown.with_value(|s| {
            if let Some(s) = s {
                cat.with_value(|c| s.tick(left, cool_down, late, busy, c));
            }
        });
    });
    Effect::new(move |_| {
        let gone = expired.get();
        step_shown.with_value(|s| {
            if let Some(s) = s {
                s.show_expired(gone);
            }
        });
    });
    Effect::new(move |_| {
        let typed = code.get();
        step_shown.with_value(|s| {
            if let Some(s) = s {
                s.show_code(&typed);
            }
        });
    });

    // The phone form, built by hand once (see `form.rs`) and hidden while an attempt runs.
    let form_box = NodeRef::<leptos::html::Div>::new();
    let form = StoredValue::new_local(None::<form::PhoneForm>);
    let with_form = move |f: &dyn Fn(&form::PhoneForm)| {
        if form.with_value(Option::is_none) {
            let Some(parent) = form_box.get() else {
                return;
            };
            let built = cat.with_value(|c| form::PhoneForm::build(&parent, c, m));
            if let Some(f) = &built {
                f.phone
                    .set_value(&state.with_untracked(|s| s.phone.clone()));
            }
            form.set_value(built);
        }
        form.with_value(|x| {
            if let Some(x) = x {
                f(x);
            }
        });
    };
    // The picker's options are filled by hand too: a reactive list of `<option>`s costs the
    // wasm far more than these few DOM calls.
    let picker = Memo::new(move |_| {
        state.with(|s| (s.countries.clone(), s.country.clone(), s.search.clone()))
    });
    Effect::new(move |_| {
        let (list, chosen, wanted) = picker.get();
        with_form(&|f| {
            flag(&f.countries, "hidden", list.is_empty());
            flag(&f.search, "hidden", list.len() <= SEARCH_FROM);
            let (shown, first) = m
                .names(|n| number::fill_picker(&f.picker, &list, chosen.as_deref(), &wanted, n))
                .unwrap_or((0, None));
            let none = shown == 0 && !list.is_empty();
            f.no_match.set_text_content(Some(&if none {
                cat.with_value(|c| c.t("country.none"))
            } else {
                String::new()
            }));
            // A search that hides the chosen country chooses its first match, as typing
            // into a native list does.
            if let Some(first) = first {
                m.send(Msg::Chose(first));
            }
        });
    });
    let example =
        Memo::new(move |_| state.with(|s| s.plan.as_ref().and_then(|p| p.example.clone())));
    Effect::new(move |_| {
        let example = example.get();
        with_form(&|f| {
            f.phone
                .set_placeholder(example.as_deref().unwrap_or("+44 7400 123456"))
        });
    });
    let problem = Memo::new(move |_| state.with(|s| s.field_problem));
    Effect::new(move |_| {
        let problem = problem.get();
        with_form(&|f| cat.with_value(|c| f.say_problem(problem, c)));
    });
    let form_shown = Memo::new(move |_| state.with(|s| (s.busy, s.current.is_some())));
    Effect::new(move |_| {
        let (busy, attempt) = form_shown.get();
        with_form(&|f| {
            cat.with_value(|c| f.busy(busy, c));
            flag(&f.root, "hidden", attempt);
        });
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
        if expired.get() {
            return cat.with_value(|c| c.t("token.expired"));
        }
        current
            .get()
            .map(|v| cat.with_value(|c| text::status(c, &v)))
            .unwrap_or_default()
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
