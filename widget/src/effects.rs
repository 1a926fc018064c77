//! Carrying out what [`machine::update`] asks (requests, WebOTP's wait, the socket, telling
//! the page, focus) and answering with messages. Nothing here decides: each arm does what its
//! [`Effect`] says.

use crate::api::{self, Edge};
use crate::machine::{self, Effect, Focus, Msg, Request, State, Told};
use crate::{code, host, live, number, proof, read, wire};
use leptos::prelude::*;
use leptos::task::spawn_local;
use ringproof_api::{paths, ErrorDetail, VerificationView};
use web_sys::{AbortController, HtmlElement};

/// The widget's state and what carries out its effects: every view reaches it through
/// context, and tells it what happened with [`Machine::send`].
#[derive(Clone, Copy)]
pub struct Machine {
    pub state: RwSignal<State>,
    world: StoredValue<World, LocalStorage>,
}

/// What the effects work with: the edge, the element, the page's ear.
pub struct World {
    pub edge: Edge,
    pub host: HtmlElement,
    pub site_key: String,
    pub lang: String,
    pub notify: host::Notify,
    /// The countries' names in the visitor's language (`Intl.DisplayNames`).
    pub names: wasm_bindgen::JsValue,
    pub sms_wait: Option<AbortController>,
    pub socket: Option<live::Socket>,
}

impl Machine {
    pub fn new(state: State, world: World) -> Machine {
        Machine {
            state: RwSignal::new(state),
            world: StoredValue::new_local(world),
        }
    }

    /// Something happened: the state changes, then its effects are carried out.
    pub fn send(self, msg: Msg) {
        let effects = self
            .state
            .try_update(|s| machine::update(s, msg))
            .unwrap_or_default();
        for e in effects {
            self.run(e);
        }
    }

    fn run(self, e: Effect) {
        match e {
            Effect::Request(r) => self.request(r),
            Effect::Tell(t) => self.tell(&t),
            Effect::Focus(f) => {
                let css: &[&str] = match f {
                    Focus::Step => &["[data-testid=code]", "[data-testid=call-link]"],
                    Focus::Phone => &["[data-testid=phone]"],
                };
                // After the step is drawn.
                request_animation_frame(move || {
                    self.world
                        .try_with_value(|w| host::focus_first(&w.host, css));
                });
            }
            Effect::ListenForSms => {
                let wait = code::listen_for_sms(move |c| self.send(Msg::CodeTyped(c)));
                self.world.try_update_value(|w| w.sms_wait = wait);
            }
            Effect::StopListening => {
                self.world.try_update_value(|w| {
                    if let Some(wait) = w.sms_wait.take() {
                        wait.abort();
                    }
                });
            }
            Effect::OpenSocket(id) => {
                let Some(base) = self.world.try_with_value(|w| w.edge.base.clone()) else {
                    return;
                };
                let socket = live::open(&base, &id, move |heard| self.send(heard));
                let failed = socket.is_none();
                self.world.try_update_value(|w| w.socket = socket);
                if failed {
                    self.send(Msg::SocketClosed);
                }
            }
            Effect::Ping => {
                self.world.try_with_value(|w| {
                    if let Some(s) = &w.socket {
                        s.ping();
                    }
                });
            }
            Effect::CloseSocket => {
                self.world.try_update_value(|w| w.socket = None);
            }
        }
    }

    fn tell(self, t: &Told) {
        self.world.try_with_value(|w| match t {
            Told::Pending { id } => w.notify.tell("pending", &[("verification_id", Some(id))]),
            Told::Verified {
                token,
                id,
                expires_at,
            } => w.notify.tell(
                "verified",
                &[
                    ("token", Some(token)),
                    ("verification_id", Some(id)),
                    ("expires_at", expires_at.as_deref()),
                ],
            ),
            Told::Failed { code, id } => w.notify.tell(
                "failed",
                &[("code", Some(code)), ("verification_id", Some(id))],
            ),
            Told::Expired => w.notify.tell("expired", &[]),
            Told::NetworkError => w.notify.tell("error", &[("code", Some("network"))]),
        });
    }

    /// One request helper for every request: where it goes, what it carries, and which
    /// message its answer becomes.
    fn request(self, r: Request) {
        let Some((edge, base, site_key, lang)) = self.world.try_with_value(|w| {
            (
                w.edge.clone(),
                w.edge.base.clone(),
                w.site_key.clone(),
                w.lang.clone(),
            )
        }) else {
            return;
        };
        let verifications = format!("{base}{}", paths::verifications());
        let read_host = move |f: &dyn Fn(&HtmlElement) -> Option<String>| {
            self.world.try_with_value(|w| f(&w.host)).flatten()
        };
        spawn_local(async move {
            let msg = match r {
                Request::Start { phone, country } => {
                    let answer = match proof::solve(&edge, &site_key, None).await {
                        Ok(proof) => {
                            let turnstile = read_host(&host::turnstile_token);
                            // Read as the visitor starts, so the page may change them until then.
                            let page =
                                |name: &'static str| read_host(&move |h| host::attribute(h, name));
                            let body = wire::object(&[
                                ("site_key", Some(&site_key)),
                                ("phone", Some(&phone)),
                                ("country", country.as_deref()),
                                ("channel", page("channel").as_deref()),
                                ("turnstile_response", turnstile.as_deref()),
                                ("proof", Some(&proof)),
                                ("language", Some(&lang)),
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
                            api::post(&edge, &verifications, &body, read::view).await
                        }
                        Err(e) => Err(e),
                    };
                    Msg::Started(answer)
                }
                Request::Check { id, code } => {
                    let body = wire::object(&[("code", Some(&code))]);
                    let url = format!("{base}{}", paths::of_verification(&id, paths::CHECK));
                    Msg::Checked(api::post(&edge, &url, &body, read::check_result).await)
                }
                Request::Again { id, channel } => {
                    let answer: Result<VerificationView, ErrorDetail> =
                        match proof::solve(&edge, &site_key, Some(&id)).await {
                            Ok(proof) => {
                                let turnstile = read_host(&host::turnstile_token);
                                let (path, channel) = match channel {
                                    Some(c) => (paths::SWITCH, Some(c.as_str())),
                                    None => (paths::RESEND, None),
                                };
                                let body = wire::object(&[
                                    ("channel", channel),
                                    ("proof", Some(&proof)),
                                    ("turnstile_response", turnstile.as_deref()),
                                ]);
                                let url = format!("{base}{}", paths::of_verification(&id, path));
                                api::post(&edge, &url, &body, read::view).await
                            }
                            Err(e) => Err(e),
                        };
                    Msg::Changed(answer)
                }
                Request::Renew { id } => {
                    let url = format!("{base}{}", paths::of_verification(&id, paths::TOKEN));
                    Msg::Renewed(api::post(&edge, &url, &wire::object(&[]), read::view).await)
                }
                Request::Simulate { id } => {
                    let url = format!("{base}{}", paths::sandbox_missed_call());
                    let body = wire::object(&[("verification_id", Some(&id))]);
                    Msg::Simulated(api::post(&edge, &url, &body, |_| Some(())).await)
                }
                Request::Poll { id } => {
                    let url = format!("{base}{}", paths::verification(&id));
                    Msg::Polled(api::get(&edge, &url, read::view).await)
                }
                Request::Countries => {
                    let key = String::from(js_sys::encode_uri_component(&site_key));
                    let url = format!("{base}{}", paths::countries(&key));
                    // Without them (an old edge, a failed request) the field still takes
                    // international numbers.
                    let Ok(answer) = api::get_js(&edge, &url).await else {
                        return;
                    };
                    let found = read::countries(&answer);
                    let names = self.world.try_with_value(|w| w.names.clone());
                    let Some(names) = names else { return };
                    Msg::Countries {
                        countries: number::listed(found.countries, &names, &lang),
                        default_country: found.default_country,
                        asked: read_host(&|h| host::attribute(h, "country"))
                            .map(|c| c.to_ascii_uppercase()),
                        page_region: number::region_of(&number::page_language()),
                        plan: found.plan,
                    }
                }
                Request::Plan { country } => {
                    let key = String::from(js_sys::encode_uri_component(&site_key));
                    let url = format!("{base}{}", paths::country(&country, &key));
                    match api::get(&edge, &url, read::plan).await {
                        Ok(plan) => Msg::Plan(plan),
                        // Without it the field still takes international numbers.
                        Err(_) => return,
                    }
                }
            };
            // Nothing more for a widget taken off the page.
            if !edge.stopped() {
                self.send(msg);
            }
        });
    }
}
