//! `<ringproof-verify>`: the phone verification widget.
//!
//! The loader (`loader.js`) defines the custom element, attaches an open shadow root and calls
//! [`mount`]; everything the visitor sees is rendered here, inside that shadow root.

mod api;
mod host;

use leptos::prelude::*;
use leptos::task::spawn_local;
use ringproof_api::{
    Channel, CreateVerification, CreatedVerification, VerificationStatus, VerificationView,
};
use std::time::Duration;
use wasm_bindgen::prelude::*;

const POLL_EVERY: Duration = Duration::from_millis(1500);

/// Mounts the widget into `shadow`, for the element `host`, talking to the edge at `api_base`.
#[wasm_bindgen]
pub fn mount(shadow: web_sys::ShadowRoot, host: web_sys::HtmlElement, api_base: String) {
    let site_key = host.get_attribute("site-key").unwrap_or_default();
    let Some(root) = host::container(&shadow) else {
        return;
    };
    let handle = leptos::mount::mount_to(root, move || {
        view! { <Widget host=host api_base=api_base site_key=site_key/> }
    });
    // The element owns the widget for the life of the page.
    handle.forget();
}

#[derive(Clone, PartialEq)]
enum Stage {
    Form,
    Pending(CreatedVerification),
    Done(VerificationStatus),
}

#[component]
fn Widget(host: web_sys::HtmlElement, api_base: String, site_key: String) -> impl IntoView {
    let (stage, set_stage) = signal(Stage::Form);
    let (phone, set_phone) = signal(String::new());
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let (now_ms, set_now_ms) = signal(js_sys::Date::now());
    let host = StoredValue::new_local(host);
    let api_base = StoredValue::new(api_base);
    let site_key = StoredValue::new(site_key);

    let tick = set_interval_with_handle(
        move || set_now_ms.set(js_sys::Date::now()),
        Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });

    let poll = move |id: String| {
        let url = format!("{}/v1/verifications/{id}", api_base.get_value());
        let handle = StoredValue::new(None::<IntervalHandle>);
        let check = move || {
            let url = url.clone();
            spawn_local(async move {
                let Ok(view) = api::get::<VerificationView>(&url).await else {
                    // A lost poll is retried on the next tick.
                    return;
                };
                if view.status.is_final() {
                    if let Some(h) = handle.get_value() {
                        h.clear();
                    }
                    if let (VerificationStatus::Verified, Some(token)) =
                        (view.status, view.token.as_deref())
                    {
                        host.with_value(|h| host::deliver_token(h, token));
                    }
                    set_stage.set(Stage::Done(view.status));
                }
            });
        };
        handle.set_value(set_interval_with_handle(check, POLL_EVERY).ok());
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        let body = CreateVerification {
            site_key: site_key.get_value(),
            phone: phone.get_untracked(),
            channel: Channel::MissedCall,
            country: None,
            client_transaction_id: None,
        };
        let url = format!("{}/v1/verifications", api_base.get_value());
        spawn_local(async move {
            match api::post::<_, CreatedVerification>(&url, &body).await {
                Ok(created) => {
                    host.with_value(|h| host::announce_pending(h, &created.verification_id));
                    poll(created.verification_id.clone());
                    set_stage.set(Stage::Pending(created));
                }
                Err(f) => set_error.set(Some(f.message)),
            }
            set_busy.set(false);
        });
    };

    let restart = move |_| {
        set_stage.set(Stage::Form);
        set_error.set(None);
    };

    let status_text = move || match stage.get() {
        Stage::Form => String::new(),
        Stage::Pending(_) => "Waiting for your call…".into(),
        Stage::Done(VerificationStatus::Verified) => "Verified: your number is confirmed.".into(),
        Stage::Done(VerificationStatus::Expired) => {
            "Time is up and no call arrived. Please try again.".into()
        }
        Stage::Done(_) => "The verification failed. Please try again.".into(),
    };

    view! {
        <div class="rp" data-testid="widget">
            <Show when=move || matches!(stage.get(), Stage::Form)>
                <form on:submit=submit novalidate>
                    <label for="rp-phone">"Your mobile number"</label>
                    <input id="rp-phone" data-testid="phone" type="tel" autocomplete="tel"
                        inputmode="tel" placeholder="+44 7400 123456" required
                        prop:value=move || phone.get()
                        on:input=move |ev| set_phone.set(event_target_value(&ev))/>
                    <button type="submit" data-testid="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Starting…" } else { "Verify by missed call" }}
                    </button>
                    <p class="error" role="alert" data-testid="error">{move || error.get()}</p>
                </form>
            </Show>
            {move || match stage.get() {
                Stage::Pending(created) => {
                    let expires = js_sys::Date::parse(&created.expires_at);
                    let left = move || {
                        let secs = ((expires - now_ms.get()) / 1000.0).max(0.0) as u64;
                        format!("{}:{:02} left", secs / 60, secs % 60)
                    };
                    view! {
                        <div class="pending">
                            <p>"Call this number from the phone you entered. It will ring once and hang up, so the call is free."</p>
                            <img data-testid="number-image" src=created.number_image_url.clone()
                                alt="The number to call, shown as an image"/>
                            <a data-testid="call-link" href=created.call_to_uri.clone()>"Tap to call from this phone"</a>
                            <p class="countdown" data-testid="countdown">{left}</p>
                        </div>
                    }.into_any()
                }
                Stage::Done(status) if status != VerificationStatus::Verified => view! {
                    <button type="button" data-testid="restart" on:click=restart>"Try again"</button>
                }.into_any(),
                _ => ().into_any(),
            }}
            <p class="status" aria-live="polite" data-testid="status">{status_text}</p>
        </div>
    }
}
