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
mod form;
mod host;
mod i18n;
mod live;
mod number;
mod proof;
mod step;
mod text;
mod wire;

use dom::flag;
use i18n::Catalog;
use leptos::prelude::*;
use leptos::task::spawn_local;
use ringproof_api::{Channel, DialCode, PhoneCountry, VerificationStatus, VerificationView};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// How often the widget polls while it has no socket open, and checks the socket while it has.
const POLL_EVERY: Duration = Duration::from_millis(1500);

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
    // `None` while the visitor types their number; then the verification as last seen.
    let (current, set_current) = signal(None::<VerificationView>);
    // The page may fill the number in (`phone="+447400123456"`); the visitor can change it.
    let (phone, set_phone) = signal(host.get_attribute("phone").unwrap_or_default());
    let (code, set_code) = signal(String::new());
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let (now_ms, set_now_ms) = signal(js_sys::Date::now());
    let host = StoredValue::new_local(host);
    let edge = StoredValue::new_local(edge);
    let notify = StoredValue::new_local(notify);
    let tell = move |what: &str, detail: &[(&str, Option<&str>)]| {
        notify.with_value(|n| n.tell(what, detail));
    };
    // The token's end has passed unspent: the page's value is gone until a new one is fetched.
    let (expired, set_expired) = signal(false);
    // The attempt whose failure the page was told of, so it is told once.
    let failed_told = StoredValue::new(None::<(String, String)>);
    let site_key = StoredValue::new(site_key);
    let delivered = StoredValue::new(None::<String>);
    let polling = StoredValue::new(false);
    let sms_wait = StoredValue::new_local(None::<web_sys::AbortController>);
    let rtl = cat.rtl();
    let lang = StoredValue::new(cat.lang().to_owned());
    let cat = StoredValue::new_local(cat);
    let t = move |id: &str| cat.with_value(|c| c.t(id));
    let tn = move |id: &str, n: u64| cat.with_value(|c| c.n(id, n));
    let say_error = move |e: ringproof_api::ErrorDetail| {
        if e.code == "network" {
            tell("error", &[("code", Some("network"))]);
        }
        set_error.set(Some(cat.with_value(|c| c.error(&e))));
    };
    let touch = code::on_touch_screen();

    let url = move |path: &str| {
        format!(
            "{}/v1/verifications{path}",
            edge.with_value(|e| e.base.clone())
        )
    };
    let edge = move || edge.get_value();

    // The site's countries and the chosen one's plan, from the edge. Without them (an old edge,
    // a failed request) the field still takes international numbers.
    let (countries, set_countries) = signal(Vec::<DialCode>::new());
    let (country, set_country) = signal(None::<String>);
    let (search, set_search) = signal(String::new());
    let (plan, set_plan) = signal(None::<PhoneCountry>);
    let (field_error, set_field_error) = signal(None::<&'static str>);
    let names = StoredValue::new_local(number::region_names(&lang.get_value()));
    let countries_url = move |path: &str| {
        format!(
            "{}/v1/countries{path}?site_key={}",
            edge().base,
            String::from(js_sys::encode_uri_component(&site_key.get_value()))
        )
    };
    let choose = move |cc: String| {
        set_country.set(Some(cc.clone()));
        // Read in place: a plan is up to 19 KB (the 25 regions of +1), not cloned per use.
        if plan.with_untracked(|p| p.as_ref().is_some_and(|p| p.country == cc)) {
            return;
        }
        let url = countries_url(&format!("/{cc}"));
        spawn_local(async move {
            if let Ok(p) = api::get(&edge(), &url, number::read_plan).await {
                // Another country may have been chosen meanwhile.
                if country.get_untracked().as_deref() == Some(p.country.as_str()) {
                    set_plan.set(Some(p));
                }
            }
        });
    };
    {
        let url = countries_url("");
        let page_region = number::region_of(&number::page_language());
        // The page may choose the country (`country="IN"`) among the site's.
        let asked = host
            .with_value(|h| host::attribute(h, "country"))
            .map(|c| c.to_ascii_uppercase());
        spawn_local(async move {
            let Ok(answer) = api::get_js(&edge(), &url).await else {
                return;
            };
            let mut found = number::read_countries(&answer);
            // The visitor's country as the edge sees it, then the page's language, then the
            // site's first.
            let accepted = |c: &str| found.countries.iter().any(|d| d.country == c);
            let default = asked
                .filter(|c| accepted(c))
                .or(found.default_country.clone())
                .or(page_region.filter(|r| accepted(r)))
                .or_else(|| found.countries.first().map(|d| d.country.clone()));
            if found.countries.len() > 20 {
                let sorted = names.with_value(|n| {
                    number::by_name(std::mem::take(&mut found.countries), n, &lang.get_value())
                });
                found.countries = sorted;
            }
            if let Some(p) = found.plan.take() {
                set_plan.set(Some(p));
            }
            set_countries.set(found.countries);
            if let Some(cc) = default {
                choose(cc);
            }
        });
    }

    // Every change of view goes through here, so the token reaches the page exactly once.
    let show = move |view: VerificationView| {
        if let (VerificationStatus::Verified, Some(token)) = (view.status, view.token.as_deref()) {
            if delivered.get_value().as_deref() != Some(token) {
                delivered.set_value(Some(token.to_owned()));
                set_expired.set(false);
                tell(
                    "verified",
                    &[
                        ("token", Some(token)),
                        ("verification_id", Some(&view.verification_id)),
                        ("expires_at", view.token_expires_at.as_deref()),
                    ],
                );
            }
        }
        let ended = matches!(
            view.status,
            VerificationStatus::Failed | VerificationStatus::Expired
        );
        let attempt = (view.verification_id.clone(), view.expires_at.clone());
        if ended && failed_told.get_value().as_ref() != Some(&attempt) {
            failed_told.set_value(Some(attempt));
            let code = match &view.failure {
                Some(f) => f.code.clone(),
                None => "expired".to_owned(),
            };
            tell(
                "failed",
                &[
                    ("code", Some(&code)),
                    ("verification_id", Some(&view.verification_id)),
                ],
            );
        }
        // A new attempt needs the visitor somewhere else: take focus there (the code field,
        // else the call link), so keyboard and screen-reader visitors need not search for it.
        let step = (view.verification_id.clone(), view.channel);
        let moved = current
            .get_untracked()
            .is_none_or(|c| (c.verification_id, c.channel) != step);
        let pending = view.status == VerificationStatus::Pending;
        if moved || !pending {
            sms_wait.update_value(|w| {
                if let Some(w) = w.take() {
                    w.abort();
                }
            });
        }
        if moved && pending && view.channel == Channel::Sms {
            let wait = code::listen_for_sms(move |c| set_code.set(c));
            sms_wait.set_value(wait);
        }
        set_current.set(Some(view));
        if moved && pending {
            request_animation_frame(move || {
                host.with_value(|h| {
                    host::focus_first(h, &["[data-testid=code]", "[data-testid=call-link]"])
                })
            });
        }
    };

    let poll_now = move || {
        let Some(v) = current.get_untracked() else {
            return;
        };
        if v.status.is_final() || polling.get_value() {
            return;
        }
        polling.set_value(true);
        let url = url(&format!("/{}", v.verification_id));
        spawn_local(async move {
            // A lost poll is retried on the next tick.
            if let Ok(view) = api::get(&edge(), &url, wire::view).await {
                // A switch may have replaced the verification's attempt meanwhile.
                if current
                    .get_untracked()
                    .is_some_and(|c| c.verification_id == view.verification_id)
                {
                    show(view);
                }
            }
            polling.set_value(false);
        });
    };

    let tick = set_interval_with_handle(
        move || set_now_ms.set(js_sys::Date::now()),
        Duration::from_secs(1),
    )
    .ok();

    // The pending verification shown is followed over a WebSocket; polled only while none is
    // open, and the socket tried again with back-off.
    let live = StoredValue::new_local(live::Follower::default());
    let follow = move |id: String| {
        let on = move |h: live::Heard| match live
            .try_update_value(|f| f.heard(h, js_sys::Date::now()))
        {
            Some(live::Then::Poll) => poll_now(),
            Some(live::Then::Show(text)) => {
                let view = wire::parse(&text).and_then(|v| wire::view(&v));
                let same = |v: &VerificationView| {
                    current
                        .get_untracked()
                        .is_some_and(|c| c.verification_id == v.verification_id)
                };
                if let Some(view) = view.filter(same) {
                    show(view);
                }
            }
            _ => {}
        };
        let base = edge().base;
        let failed = live.try_update_value(|f| f.open(&base, &id, on, js_sys::Date::now()));
        if failed == Some(true) {
            poll_now();
        }
    };
    Effect::new(move |_| {
        let pending = current.with(|c| {
            c.as_ref()
                .filter(|v| v.status == VerificationStatus::Pending)
                .map(|v| v.verification_id.clone())
        });
        if let Some(id) = live.try_update_value(|f| f.shown(pending)).flatten() {
            follow(id);
        }
    });
    let every_tick = move || {
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        let next = live.try_update_value(|f| f.tick(js_sys::Date::now(), online));
        let (poll, reopen) = next.unwrap_or((true, None));
        if poll {
            poll_now();
        }
        if let Some(id) = reopen {
            follow(id);
        }
    };
    let poller = set_interval_with_handle(every_tick, POLL_EVERY).ok();
    on_cleanup(move || {
        for t in [tick, poller].into_iter().flatten() {
            t.clear();
        }
        live.update_value(|f| {
            f.shown(None);
        });
        sms_wait.update_value(|w| {
            if let Some(w) = w.take() {
                w.abort();
            }
        });
    });

    // Every start, resend and switch carries a solved challenge, a resend's or a switch's
    // fetched for its verification: the edge asks for one before any attempt.
    let solve = move |verification: Option<String>| async move {
        proof::solve(&edge(), &site_key.get_value(), verification.as_deref()).await
    };

    let submit = move || {
        if busy.get_untracked() {
            return;
        }
        let phone = phone.get_untracked();
        let chosen = country.get_untracked();
        // Said before anything is sent: no request, no proof of work, for a number that cannot be.
        let problem = plan.with_untracked(|p| {
            p.as_ref()
                .filter(|p| chosen.as_deref() == Some(p.country.as_str()))
                .and_then(|p| number::problem(p, &phone))
        });
        set_field_error.set(problem);
        if problem.is_some() {
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        let url = url("");
        spawn_local(async move {
            let created = match solve(None).await {
                Ok(proof) => {
                    let turnstile = host.with_value(host::turnstile_token);
                    // Read as the visitor starts, so the page may change them until then.
                    let page = |name| host.with_value(|h| host::attribute(h, name));
                    let body = wire::object(&[
                        ("site_key", Some(&site_key.get_value())),
                        ("phone", Some(&phone)),
                        ("country", chosen.as_deref()),
                        ("channel", page("channel").as_deref()),
                        ("turnstile_response", turnstile.as_deref()),
                        ("proof", Some(&proof)),
                        ("language", Some(&lang.get_value())),
                        ("action", page("action").as_deref()),
                        ("cdata", page("cdata").as_deref()),
                        (
                            "client_transaction_id",
                            page("client-transaction-id").as_deref(),
                        ),
                        (
                            "client_transaction_signature",
                            page("client-transaction-signature").as_deref(),
                        ),
                    ]);
                    api::post(&edge(), &url, &body, wire::view).await
                }
                Err(f) => Err(f),
            };
            match created {
                Ok(created) => {
                    tell(
                        "pending",
                        &[("verification_id", Some(&created.verification_id))],
                    );
                    show(created);
                }
                Err(f) => say_error(f),
            }
            set_busy.set(false);
        });
    };

    let check_code = move |typed: String| {
        let Some(v) = current.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        let body = wire::object(&[("code", Some(&typed))]);
        let url = url(&format!("/{}/check", v.verification_id));
        spawn_local(async move {
            match api::post(&edge(), &url, &body, wire::check_result).await {
                Ok(r) => {
                    set_code.set(String::new());
                    if r.status == VerificationStatus::Pending {
                        set_error.set(Some(tn("code.wrong", u64::from(r.checks_left))));
                    }
                    // The token and the final state come with the full view.
                    set_current.update(|c| {
                        if let Some(c) = c {
                            c.checks_left = Some(r.checks_left);
                        }
                    });
                    poll_now();
                }
                Err(f) => say_error(f),
            }
            set_busy.set(false);
        });
    };
    // The last digit typed, pasted or filled in by WebOTP sends the code: no button to find.
    Effect::new(move |_| {
        let typed = code.get();
        let length = current
            .get_untracked()
            .and_then(|v| v.code_length)
            .map(usize::from);
        if length == Some(typed.len()) {
            check_code(typed);
        }
    });

    // A resend (`None`) or a switch to another channel, keeping the number typed.
    let again = move |channel: Option<Channel>| {
        let Some(v) = current.get_untracked() else {
            return;
        };
        set_busy.set(true);
        set_error.set(None);
        set_code.set(String::new());
        spawn_local(async move {
            let proof = match solve(Some(v.verification_id.clone())).await {
                Ok(p) => p,
                Err(f) => {
                    say_error(f);
                    set_busy.set(false);
                    return;
                }
            };
            let turnstile = host.with_value(host::turnstile_token);
            let (path, channel) = match channel {
                Some(channel) => ("switch", Some(channel.as_str())),
                None => ("resend", None),
            };
            let body = wire::object(&[
                ("channel", channel),
                ("proof", Some(&proof)),
                ("turnstile_response", turnstile.as_deref()),
            ]);
            let url = url(&format!("/{}/{path}", v.verification_id));
            match api::post(&edge(), &url, &body, wire::view).await {
                Ok(view) => show(view),
                Err(f) => say_error(f),
            }
            set_busy.set(false);
        });
    };

    // A fresh token for the number just verified, once the first expired unspent: no new
    // call or SMS.
    let renew = move || {
        let Some(v) = current.get_untracked() else {
            return;
        };
        set_busy.set(true);
        set_error.set(None);
        let url = url(&format!("/{}/token", v.verification_id));
        spawn_local(async move {
            match api::post(&edge(), &url, &wire::object(&[]), wire::view).await {
                Ok(view) => {
                    // Told again even when the edge kept the same token (it had not expired
                    // by its clock): the page cleared it.
                    delivered.set_value(None);
                    show(view);
                }
                Err(f) => say_error(f),
            }
            set_busy.set(false);
        });
    };
    // A test key's missed call, placed by the edge's sandbox (see `core::test_keys`).
    let simulate = move || {
        let Some(v) = current.get_untracked() else {
            return;
        };
        let url = format!("{}/v1/sandbox/missed-call", edge().base);
        let body = wire::object(&[("verification_id", Some(&v.verification_id))]);
        spawn_local(async move {
            match api::post(&edge(), &url, &body, |v| Some(v.clone())).await {
                Ok(_) => poll_now(),
                Err(f) => say_error(f),
            }
        });
    };
    // The token's end: the page is told, and the step offers a new one.
    Effect::new(move |_| {
        let now = now_ms.get();
        let ends = current.with(|c| {
            c.as_ref()
                .filter(|v| v.status == VerificationStatus::Verified)
                .and_then(|v| v.token_expires_at.as_deref())
                .map(js_sys::Date::parse)
        });
        if ends.is_some_and(|end| now >= end) && !expired.get_untracked() {
            set_expired.set(true);
            tell("expired", &[]);
        }
    });

    // Back to the phone form (the number kept), with focus in its field: the visitor is
    // there to change it.
    let back_to_form = move || {
        set_current.set(None);
        set_error.set(None);
        request_animation_frame(move || {
            host.with_value(|h| host::focus_first(h, &["[data-testid=phone]"]))
        });
    };

    // The attempt's step, built by hand (see `step.rs`) when the attempt changes and updated
    // in place while it stands.
    let step_box = NodeRef::<leptos::html::Div>::new();
    let step_shown = StoredValue::new_local(None::<step::Step>);
    let actions = step::Actions {
        check: move || check_code(code.get_untracked()),
        again,
        back: back_to_form,
        typed: move |c: String| set_code.set(c),
        renew,
        simulate,
    };
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
            let phone = phone.get_untracked();
            let built =
                cat.with_value(|c| step::Step::build(&parent, &view, c, &phone, touch, actions));
            step_shown.set_value(built);
        }
        step_shown.with_value(|s| {
            if let Some(s) = s {
                cat.with_value(|c| s.tick(now_ms.get_untracked(), busy.get_untracked(), c));
            }
        });
    });
    Effect::new(move |_| {
        let (now, busy) = (now_ms.get(), busy.get());
        step_shown.with_value(|s| {
            if let Some(s) = s {
                cat.with_value(|c| s.tick(now, busy, c));
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
            let actions = form::Actions {
                submit,
                country: choose,
                search: move |s: String| set_search.set(s),
                typed: move |typed: String| {
                    set_field_error.set(None);
                    let shown = plan.with_untracked(|p| match p {
                        Some(p) => number::format_national(p, &typed),
                        None => typed,
                    });
                    set_phone.set(shown.clone());
                    shown
                },
            };
            let built = cat.with_value(|c| form::PhoneForm::build(&parent, c, actions));
            if let Some(f) = &built {
                f.phone.set_value(&phone.get_untracked());
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
    Effect::new(move |_| {
        let list = countries.get();
        let chosen = country.get();
        let wanted = search.get();
        with_form(&|f| {
            flag(&f.countries, "hidden", list.is_empty());
            flag(&f.search, "hidden", list.len() <= SEARCH_FROM);
            let (shown, first) = names.with_value(|n| {
                number::fill_picker(&f.picker, &list, chosen.as_deref(), &wanted, n)
            });
            let none = shown == 0 && !list.is_empty();
            f.no_match.set_text_content(Some(&if none {
                t("country.none")
            } else {
                String::new()
            }));
            // A search that hides the chosen country chooses its first match, as typing
            // into a native list does.
            if let Some(first) = first {
                choose(first);
            }
        });
    });
    Effect::new(move |_| {
        let example = plan.with(|p| p.as_ref().and_then(|p| p.example.clone()));
        with_form(&|f| {
            f.phone
                .set_placeholder(example.as_deref().unwrap_or("+44 7400 123456"))
        });
    });
    Effect::new(move |_| {
        let problem = field_error.get();
        with_form(&|f| cat.with_value(|c| f.say_problem(problem, c)));
    });
    Effect::new(move |_| {
        let (busy, attempt) = (busy.get(), current.with(Option::is_some));
        with_form(&|f| {
            cat.with_value(|c| f.busy(busy, c));
            flag(&f.root, "hidden", attempt);
        });
    });

    let status_text = move || {
        if expired.get() {
            return t("token.expired");
        }
        current
            .get()
            .map(|v| cat.with_value(|c| text::status(c, &v)))
            .unwrap_or_default()
    };

    view! {
        <div class="rp" part="widget" data-testid="widget" lang=lang.get_value() dir=if rtl { "rtl" } else { "ltr" }>
            <div node_ref=form_box></div>
            <div node_ref=step_box></div>
            <p class="error" part="error" role="alert" data-testid="error">{move || error.get()}</p>
            <p class="status" part="status" aria-live="polite" data-testid="status">{status_text}</p>
        </div>
    }
}
