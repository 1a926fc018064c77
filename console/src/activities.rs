//! The owner's activities: the list, and a new one with its secrets shown once.

use crate::api;
use crate::{Ctx, Route, Who};
use leptos::prelude::*;
use ringproof_api::console::{ActivityView, CreatedActivity};
use ringproof_api::Channel;

/// A channel as people call it.
pub fn channel_name(c: &str) -> &'static str {
    match c {
        "missed_call" => "Missed call",
        "flash_call" => "Flash call",
        "sms" => "SMS code",
        "voice_call" => "Voice call",
        _ => "Other",
    }
}

fn granted() -> Vec<Channel> {
    match expect_context::<Ctx>().who.get_untracked() {
        Who::SignedIn(a) => a.channels,
        _ => vec![],
    }
}

#[component]
pub fn Activities() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let version = RwSignal::new(0u32);
    let list = ctx.load::<Vec<ActivityView>>(move || {
        version.track();
        "/activities".into()
    });
    let created = RwSignal::new(None::<CreatedActivity>);
    view! {
        <h1>"Activities"</h1>
        <p class="muted">
            "An activity is one site (or app) that verifies numbers: its domains, where its results go, "
            "and the channels it offers."
        </p>
        {move || created.get().map(|c| view! { <Created created=c/> })}
        <section aria-labelledby="yours">
            <h2 id="yours">"Your activities"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(items) if items.is_empty() => view! {
                            <p class="empty">"No activity yet. Make your first one below: it takes a title and a domain."</p>
                        }.into_any(),
                        Ok(items) => view! {
                            <ul class="cards">
                                {items.into_iter().map(|a| {
                                    let href = Route::Activity(a.site.site_key.clone()).href();
                                    let channels = a.site.channels.iter().map(|c| channel_name(c.as_str())).collect::<Vec<_>>().join(", ");
                                    view! {
                                        <li class="card">
                                            <h3><a href=href>{a.site.title.clone()}</a></h3>
                                            <p><code>{a.site.site_key.clone()}</code></p>
                                            <p class="muted">{a.site.domains.join(", ")} " · " {channels}</p>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(p) => view! { <p class="note" role="alert">{p.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <NewActivity on_created=move |c| { created.set(Some(c)); version.update(|v| *v += 1); }/>
    }
}

#[component]
fn NewActivity(on_created: impl Fn(CreatedActivity) + Clone + 'static) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let title = RwSignal::new(String::new());
    let domains = RwSignal::new(String::new());
    let callback = RwSignal::new(String::new());
    let format = RwSignal::new("json".to_owned());
    let offered = granted();
    let chosen = RwSignal::new(offered.clone());
    let (problem, set_problem) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({
            "title": title.get_untracked(),
            "domains": domains.get_untracked().split([',', '\n', ' ']).map(str::trim).filter(|d| !d.is_empty()).collect::<Vec<_>>(),
            "callback_url": Some(callback.get_untracked()).filter(|c| !c.trim().is_empty()),
            "callback_format": format.get_untracked(),
            "channels": chosen.get_untracked(),
        });
        let on_created = on_created.clone();
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::send::<CreatedActivity>("POST", "/activities", body).await;
            ctx.check(&r);
            set_busy.set(false);
            match r {
                Ok(c) => {
                    set_problem.set(None);
                    title.set(String::new());
                    domains.set(String::new());
                    callback.set(String::new());
                    on_created(c);
                }
                Err(p) => set_problem.set(Some(p.message)),
            }
        });
    };
    view! {
        <section aria-labelledby="new">
            <h2 id="new">"New activity"</h2>
            <form class="card form" on:submit=submit>
                <label for="title">"Title"</label>
                <input id="title" required maxlength="100" prop:value=title on:input=move |e| title.set(event_target_value(&e))/>
                <label for="domains">"Domains"</label>
                <input id="domains" required placeholder="shop.example, http://localhost:*" aria-describedby="domains-help"
                    prop:value=domains on:input=move |e| domains.set(event_target_value(&e))/>
                <p id="domains-help" class="muted">"Pages where the widget may run, separated by commas: "<code>"shop.example"</code>" (https), "<code>"https://*.shop.example"</code>", "<code>"http://localhost:*"</code>"."</p>
                <label for="callback">"Callback URL (optional)"</label>
                <input id="callback" type="url" placeholder="https://shop.example/hooks/ringproof"
                    prop:value=callback on:input=move |e| callback.set(event_target_value(&e))/>
                <label for="format">"Callback format"</label>
                <select id="format" on:change=move |e| format.set(event_target_value(&e))>
                    <option value="json" selected>"Signed JSON (Standard Webhooks)"</option>
                    <option value="onering_get">"OneRing's signed GET"</option>
                </select>
                <fieldset>
                    <legend>"Channels"</legend>
                    {Channel::ALL.into_iter().map(|c| {
                        let allowed = offered.contains(&c);
                        let id = format!("ch-{}", c.as_str());
                        view! {
                            <div class="check">
                                <input type="checkbox" id=id.clone() disabled=!allowed
                                    prop:checked=move || chosen.get().contains(&c)
                                    on:change=move |e| {
                                        let on = event_target_checked(&e);
                                        chosen.update(|l| { l.retain(|x| *x != c); if on { l.push(c); } });
                                    }/>
                                <label for=id>{channel_name(c.as_str())}
                                    {(!allowed).then(|| view! { <span class="muted">" (the operator grants it)"</span> })}
                                </label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                {move || problem.get().map(|p| view! { <p class="note" role="alert">{p}</p> })}
                <button type="submit" disabled=busy>{move || if busy.get() { "Making it…" } else { "Make the activity" }}</button>
            </form>
        </section>
    }
}

/// The secrets of a new activity, shown this once, with what to paste where.
#[component]
fn Created(created: CreatedActivity) -> impl IntoView {
    let c = created.created;
    view! {
        <section class="card created" aria-labelledby="created" role="region">
            <h2 id="created">{format!("“{}” is ready", c.site.title)}</h2>
            <p><strong>"Copy these now: the secrets are shown only this once."</strong>" Rotating makes new ones."</p>
            <dl>
                <dt>"Site key (public, for the page)"</dt><dd><code>{c.site.site_key.clone()}</code></dd>
                <dt>"Secret (your server's; siteverify)"</dt><dd><code data-testid="secret">{c.secret.clone()}</code></dd>
                <dt>"Webhook secret (checks callbacks)"</dt><dd><code>{c.webhook_secret.clone()}</code></dd>
                <dt>"OneRing ApiKey"</dt><dd><code>{c.api_key.clone()}</code></dd>
                <dt>"OneRing ActivityTokenId"</dt><dd><code>{c.site.activity_token_id.clone()}</code></dd>
            </dl>
            <h3>"On your page"</h3>
            <pre tabindex="0" aria-label="The page snippet"><code>{created.snippets.embed.clone()}</code></pre>
            <h3>"On your server"</h3>
            <pre tabindex="0" aria-label="The server snippet"><code>{created.snippets.server.clone()}</code></pre>
            <p><a href=Route::Activity(c.site.site_key.clone()).href()>"Open the activity"</a></p>
        </section>
    }
}
