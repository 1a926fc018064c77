//! The site owners' console (`/console`): sign in by verifying a number, make and manage
//! activities, and read what happened to their visitors. Every figure comes from
//! `/console/api`; this app decides nothing but what to show.

mod activities;
mod activity;
mod api;
mod charts;
mod operator;
mod session;

use leptos::prelude::*;
use ringproof_api::console::AccountView;

fn main() {
    leptos::mount::mount_to_body(App);
}

/// Where the console is, from the page's `#/…`: kept in the address so a reload or a shared
/// link opens the same page.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Activities,
    Activity(String),
    Operator,
}

impl Route {
    fn current() -> Route {
        let hash = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w.location_js(), &"hash".into()).ok())
            .and_then(|h| h.as_string())
            .unwrap_or_default();
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["activities", key] if !key.is_empty() => Route::Activity((*key).to_owned()),
            ["operator"] => Route::Operator,
            _ => Route::Activities,
        }
    }

    pub fn href(&self) -> String {
        match self {
            Route::Activities => "#/".into(),
            Route::Activity(key) => format!("#/activities/{key}"),
            Route::Operator => "#/operator".into(),
        }
    }
}

trait LocationJs {
    fn location_js(&self) -> wasm_bindgen::JsValue;
}

impl LocationJs for web_sys::Window {
    fn location_js(&self) -> wasm_bindgen::JsValue {
        js_sys::Reflect::get(self, &"location".into()).unwrap_or_default()
    }
}

/// Goes to `route` (the address changes, and with it the page).
pub fn go(route: &Route) {
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w.location_js(), &"hash".into(), &route.href().into());
    }
}

/// Who is signed in: `None` while the console asks, then the account or the sign-in page.
#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    Asking,
    SignedOut(Option<String>),
    SignedIn(AccountView),
}

/// Shared by every page: who is signed in, and a way to say the session has ended.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub who: RwSignal<Who>,
}

impl Ctx {
    /// A page's data from `/console/api{path}`, fetched again whenever a signal that `path`
    /// reads changes; an answer that says the session has ended signs the console out.
    pub fn load<T: serde::de::DeserializeOwned + 'static>(
        self,
        path: impl Fn() -> String + 'static,
    ) -> LocalResource<Result<T, api::Problem>> {
        LocalResource::new(move || {
            let path = path();
            async move {
                let r = api::get::<T>(&path).await;
                self.check(&r);
                r
            }
        })
    }

    /// An answer that says the session has ended takes the console back to sign-in.
    pub fn check<T>(&self, r: &Result<T, api::Problem>) {
        if let Err(p) = r {
            if p.signed_out() {
                self.who.set(Who::SignedOut(Some(
                    "Your session has ended. Please sign in again.".into(),
                )));
            }
        }
    }
}

#[component]
fn App() -> impl IntoView {
    let who = RwSignal::new(Who::Asking);
    let route = RwSignal::new(Route::current());
    provide_context(Ctx { who });
    let _ = window_event_listener(leptos::ev::hashchange, move |_| route.set(Route::current()));
    leptos::task::spawn_local(async move {
        let me = api::get::<AccountView>("/me").await;
        who.set(match me {
            Ok(a) => Who::SignedIn(a),
            Err(_) => Who::SignedOut(None),
        });
    });
    session::listen_for_sign_in(who);
    view! {
        <a class="skip" href="#main">"Skip to the content"</a>
        {move || match who.get() {
            Who::Asking => view! {
                <main id="main"><p class="muted" role="status">"Loading the console…"</p></main>
            }
            .into_any(),
            Who::SignedOut(note) => view! { <session::SignIn note=note/> }.into_any(),
            Who::SignedIn(account) => {
                let operator = account.operator;
                let may_elevate = account.may_elevate;
                view! {
                    <session::Header account=account/>
                    <main id="main" tabindex="-1">
                        {move || match route.get() {
                            Route::Activities => view! { <activities::Activities/> }.into_any(),
                            Route::Activity(key) => view! { <activity::Activity site_key=key/> }.into_any(),
                            Route::Operator if operator => view! { <operator::Operator/> }.into_any(),
                            Route::Operator if may_elevate => view! { <operator::Elevate/> }.into_any(),
                            Route::Operator => view! { <p>"This page is the operator's."</p> }.into_any(),
                        }}
                    </main>
                }
                .into_any()
            }
        }}
    }
}
