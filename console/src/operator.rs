//! The operator's page: every account, and what each may spend.

use crate::activities::channel_name;
use crate::api;
use crate::charts::{DayLines, FunnelBars};
use crate::{Ctx, Who};
use leptos::prelude::*;
use ringproof_api::console::{AccountView, Deployment};
use ringproof_api::Channel;

#[component]
pub fn Operator() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let version = RwSignal::new(0u32);
    let accounts = ctx.load::<Vec<AccountView>>(move || {
        version.track();
        "/accounts".into()
    });
    let whole = ctx.load::<Deployment>(move || {
        version.track();
        "/deployment?days=30".into()
    });
    view! {
        <h1>"The deployment"</h1>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Counting…"</p> }>
            {move || Suspend::new(async move {
                match whole.await {
                    Ok(d) => view! { <Whole deployment=d version=version/> }.into_any(),
                    Err(p) => view! { <p class="note" role="alert">{p.message}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Accounts"</h2>
        <p class="muted">"New accounts offer the free missed call only. Grant paid channels to the accounts you trust; suspend one to stop its changes."</p>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(list) => view! {
                        <div class="scroll" tabindex="0" role="region" aria-label="Accounts"><table>
                            <caption class="sr">"Accounts"</caption>
                            <thead><tr><th scope="col">"Number"</th><th scope="col">"Since"</th><th scope="col">"Channels"</th><th scope="col">"Activities"</th><th scope="col">"State"</th></tr></thead>
                            <tbody>{list.into_iter().map(|a| view! { <AccountRow account=a on_change=move || version.update(|v| *v += 1)/> }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                    Err(p) => view! { <p class="note" role="alert">{p.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountRow(
    account: AccountView,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let id = StoredValue::new(account.account_id.clone());
    let change = move |body: serde_json::Value, on_change: Box<dyn Fn()>| {
        leptos::task::spawn_local(async move {
            let r =
                api::send::<AccountView>("PATCH", &format!("/accounts/{}", id.get_value()), body)
                    .await;
            ctx.check(&r);
            if r.is_ok() {
                on_change();
            }
        });
    };
    let channels = account.channels.clone();
    let suspended = account.suspended;
    let toggle = {
        let on_change = on_change.clone();
        move |_| {
            change(
                serde_json::json!({ "suspended": !suspended }),
                Box::new(on_change.clone()),
            )
        }
    };
    view! {
        <tr>
            <th scope="row">{account.number.clone()}</th>
            <td>{account.created_at.chars().take(10).collect::<String>()}</td>
            <td>
                {Channel::ALL.into_iter().map(|c| {
                    let has = channels.contains(&c);
                    let list = channels.clone();
                    let on_change = on_change.clone();
                    let label = format!("{} for {}", channel_name(c.as_str()), account.number);
                    view! {
                        <label class="check"><input type="checkbox" prop:checked=has aria-label=label
                            on:change=move |_| {
                                let mut next: Vec<Channel> = list.clone();
                                if has { next.retain(|x| *x != c) } else { next.push(c) }
                                change(serde_json::json!({ "channels": next }), Box::new(on_change.clone()));
                            }/>{channel_name(c.as_str())}</label>
                    }
                }).collect_view()}
            </td>
            <td>{account.max_activities}</td>
            <td><button type="button" on:click=toggle>{if suspended { "Lift the suspension" } else { "Suspend" }}</button></td>
        </tr>
    }
}

/// Every activity's last 30 days, the whole funnel and spend per day, and the providers.
#[component]
fn Whole(deployment: Deployment, version: RwSignal<u32>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let d = deployment;
    // A self-service activity suspended keeps only the free missed call; the operator's own
    // sites are changed through the admin API.
    let suspend = move |key: String, suspended: bool| {
        leptos::task::spawn_local(async move {
            let r = api::send::<serde_json::Value>(
                "PATCH",
                &format!("/activities/{key}/suspension"),
                serde_json::json!({ "suspended": suspended }),
            )
            .await;
            ctx.check(&r);
            if r.is_ok() {
                version.update(|v| *v += 1);
            }
        });
    };
    let spend: Vec<String> = d
        .insights
        .days
        .iter()
        .rev()
        .take(7)
        .map(|day| format!("{} {}", day.day, day.cost))
        .collect();
    // What an activity may spend, granted here: the countries it may send codes to.
    let grant_countries = move |key: String, typed: String| {
        let countries: Vec<String> = typed
            .split([',', ' '])
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        leptos::task::spawn_local(async move {
            let r = api::send::<serde_json::Value>(
                "PATCH",
                &format!("/activities/{key}/limits"),
                serde_json::json!({ "paid_countries": countries }),
            )
            .await;
            ctx.check(&r);
            if r.is_ok() {
                version.update(|v| *v += 1);
            }
        });
    };
    view! {
        <div class="grid">
            <div class="card"><h3>"Every activity, 30 days"</h3><FunnelBars funnel=d.insights.funnel.clone()/></div>
            <div class="card"><h3>"Per day"</h3><DayLines days=d.insights.days.clone()/>
                <p class="muted">{format!("Spend, last 7 days: {}", spend.join(" · "))}</p></div>
        </div>
        <div class="card scroll" tabindex="0" role="region" aria-label="Activities">
            <table>
                <caption>"Activities"</caption>
                <thead><tr><th scope="col">"Activity"</th><th scope="col">"Account"</th><th scope="col">"Started"</th>
                    <th scope="col">"Verified"</th><th scope="col">"Spent"</th><th scope="col">"Daily cap"</th><th scope="col">"Refused"</th><th scope="col">"Codes to"</th><th scope="col">"State"</th></tr></thead>
                <tbody>{d.activities.into_iter().map(|a| view! {
                    <tr>
                        <th scope="row">{if a.title.is_empty() { a.site_key.clone() } else { a.title.clone() }}<br/><code>{a.site_key.clone()}</code></th>
                        <td>{a.account_id.clone().unwrap_or_else(|| "the operator's".into())}</td>
                        <td>{a.started}</td><td>{a.verified}</td>
                        <td>{a.cost.clone()}</td><td>{format!("{} {}", a.daily_spend_cap, a.spend_currency)}</td>
                        <td>{a.refused}</td>
                        <td>{a.account_id.is_some().then(|| {
                            let key = a.site_key.clone();
                            let name = if a.title.is_empty() { a.site_key.clone() } else { a.title.clone() };
                            let typed = RwSignal::new(a.paid_countries.clone().map(|c| c.join(", ")).unwrap_or_default());
                            view! {
                                <form class="inline" on:submit=move |ev| {
                                    ev.prevent_default();
                                    grant_countries(key.clone(), typed.get_untracked());
                                }>
                                    <input type="text" size="8" placeholder="GB, IN" data-testid="paid-countries"
                                        aria-label=format!("Countries {name} may send codes to")
                                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                                    <button type="submit">"Save"</button>
                                </form>
                            }
                        })}</td>
                        <td>{a.account_id.is_some().then(|| {
                            let (key, suspended) = (a.site_key.clone(), a.suspended);
                            let name = if a.title.is_empty() { a.site_key.clone() } else { a.title.clone() };
                            let label = if suspended { format!("Lift the suspension of {name}") } else { format!("Suspend {name}") };
                            view! {
                                <button type="button" data-testid="suspend-activity" aria-label=label
                                    on:click=move |_| suspend(key.clone(), !suspended)>
                                    {if suspended { "Lift the suspension" } else { "Suspend" }}
                                </button>
                            }
                        })}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        </div>
        <div class="card">
            <h3>"Providers"</h3>
            <ul>{d.providers.into_iter().map(|p| view! {
                <li>{format!("{} ({}): {}", p.provider, channel_name(p.channel.as_str()), if p.configured { "configured" } else { "not configured" })}</li>
            }).collect_view()}</ul>
            {if d.breakers.is_empty() {
                view! { <p class="muted">"Every provider is delivering: no breaker is open."</p> }.into_any()
            } else {
                view! { <ul>{d.breakers.into_iter().map(|b| view! {
                    <li class=if b.keeps_failing { "note" } else { "" }>{format!("{} in {}: {}, {} failures in a row{}", b.provider, b.country, b.state, b.failures_in_row, b.last_failure.map(|f| format!(", last: {f}")).unwrap_or_default())}</li>
                }).collect_view()}</ul> }.into_any()
            }}
        </div>
    }
}

/// An operator's number signs in as any number does; the operator's powers also need the
/// deployment's admin token, once per session.
#[component]
pub fn Elevate() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let token = RwSignal::new(String::new());
    let (problem, set_problem) = signal(None::<String>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let body = serde_json::json!({ "admin_token": token.get_untracked() });
        leptos::task::spawn_local(async move {
            match api::send::<AccountView>("POST", "/elevate", body).await {
                Ok(account) => ctx.who.set(Who::SignedIn(account)),
                Err(p) => set_problem.set(Some(p.message)),
            }
        });
    };
    view! {
        <h1>"Operator"</h1>
        <p>"Your number is one of the operator's. A caller id can be forged, so the operator's powers also need the deployment's admin token (ADMIN_TOKEN), once per session."</p>
        <form class="card form" on:submit=submit>
            <label for="admin-token">"Admin token"</label>
            <input id="admin-token" type="password" autocomplete="off" required
                prop:value=token on:input=move |e| token.set(event_target_value(&e))/>
            {move || problem.get().map(|p| view! { <p class="note" role="alert">{p}</p> })}
            <button type="submit">"Continue as the operator"</button>
        </form>
    }
}
