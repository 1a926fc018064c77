//! Signing in (a verification on the console's own site, in the Ringproof widget itself) and
//! out, and the bar that says who is signed in.

use crate::api;
use crate::{Ctx, Route, Who};
use leptos::prelude::*;
use ringproof_api::console::AccountView;
use wasm_bindgen::JsCast;

/// The console's own site key: every deployment has it.
const SITE_KEY: &str = "rp_console";

/// When the widget says the number is verified, its token signs in.
pub fn listen_for_sign_in(who: RwSignal<Who>) {
    let _ = window_event_listener_untyped("ringproof-verified", move |ev| {
        let token = ev
            .dyn_ref::<web_sys::CustomEvent>()
            .and_then(|e| js_sys::Reflect::get(&e.detail(), &"token".into()).ok())
            .and_then(|t| t.as_string());
        let Some(token) = token else { return };
        if !matches!(who.get_untracked(), Who::SignedOut(_)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let signed =
                api::send::<AccountView>("POST", "/session", serde_json::json!({ "token": token }))
                    .await;
            who.set(match signed {
                Ok(account) => Who::SignedIn(account),
                Err(p) => Who::SignedOut(Some(p.message)),
            });
        });
    });
}

#[component]
pub fn SignIn(note: Option<String>) -> impl IntoView {
    view! {
        <main id="main" class="sign-in">
            <h1>"Ringproof console"</h1>
            <p>
                "Your phone number is your account. Prove you hold it with a free missed call: "
                "the first time, that makes your account; after that, it signs you in."
            </p>
            {note.map(|n| view! { <p class="note" role="alert">{n}</p> })}
            <form class="card" on:submit=|ev| ev.prevent_default()>
                <ringproof-verify site-key=SITE_KEY></ringproof-verify>
            </form>
            <p class="muted">
                "Nothing else is asked: no password, no e-mail. The console keeps your number only "
                "as a keyed hash, its country and its last two digits."
            </p>
        </main>
    }
}

#[component]
pub fn Header(account: AccountView) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (problem, set_problem) = signal(None::<String>);
    let out = move |everywhere: bool| {
        leptos::task::spawn_local(async move {
            let r = if everywhere {
                api::send::<serde_json::Value>(
                    "POST",
                    "/sign-out-everywhere",
                    serde_json::json!({}),
                )
                .await
            } else {
                api::send::<serde_json::Value>("DELETE", "/session", serde_json::json!({})).await
            };
            match r {
                Ok(_) => ctx.who.set(Who::SignedOut(Some(if everywhere {
                    "You are signed out on every device.".into()
                } else {
                    "You are signed out.".into()
                }))),
                Err(p) => set_problem.set(Some(p.message)),
            }
        });
    };
    view! {
        <header class="bar">
            <a class="brand" href=Route::Activities.href()>"Ringproof console"</a>
            <nav aria-label="Console">
                <a href=Route::Activities.href()>"Activities"</a>
                {(account.operator || account.may_elevate).then(|| view! { <a href=Route::Operator.href()>"Operator"</a> })}
            </nav>
            <div class="who">
                <span aria-label="Signed in as">{account.number.clone()}</span>
                {account.suspended.then(|| view! { <strong class="warn">" suspended"</strong> })}
                <button type="button" on:click=move |_| out(false)>"Sign out"</button>
                <button type="button" class="quiet" on:click=move |_| out(true)>"Sign out everywhere"</button>
            </div>
            {move || problem.get().map(|p| view! { <p class="note" role="alert">{p}</p> })}
        </header>
    }
}
