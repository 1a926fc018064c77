//! One activity: what happened (funnel, days, channels, countries, spend, refusals, failing
//! callbacks), the log of verifications, and its settings.

use crate::activities::channel_name;
use crate::api;
use crate::charts::{DayLines, FunnelBars};
use crate::{go, Ctx, Route};
use leptos::prelude::*;
use ringproof_api::console::{ActivityView, Breakdown, Insights, LoggedVerification, TestCallback};
use ringproof_api::RotatedSecret;

#[component]
pub fn Activity(site_key: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let key = StoredValue::new(site_key);
    let version = RwSignal::new(0u32);
    let activity = ctx.load::<ActivityView>(move || {
        version.track();
        format!("/activities/{}", key.get_value())
    });
    view! {
        <p><a href=Route::Activities.href()>"← All activities"</a></p>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match activity.await {
                    Ok(a) => view! {
                        <h1>{a.site.title.clone()}</h1>
                        <p class="muted"><code>{a.site.site_key.clone()}</code>" · "{a.site.domains.join(", ")}</p>
                        {a.suspended.then(|| view! {
                            <p class="note" role="status" data-testid="activity-suspended">
                                "The operator has suspended this activity: it offers only the free missed call, and its settings cannot be changed until the suspension is lifted."
                            </p>
                        })}
                        <Figures site_key=key.get_value()/>
                        <Log site_key=key.get_value()/>
                        <Settings activity=a on_change=move || version.update(|v| *v += 1)/>
                    }.into_any(),
                    Err(p) => view! {
                        <h1>"Activity"</h1>
                        <p class="note" role="alert">{p.message}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// An RFC 3339 instant as `YYYY-MM-DD HH:MM` (UTC).
fn short(at: &str) -> String {
    at.replace('T', " ").chars().take(16).collect()
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn secs(s: Option<u64>) -> String {
    match s {
        None => "—".into(),
        Some(s) if s < 90 => format!("{s} s"),
        Some(s) => format!("{:.1} min", s as f64 / 60.0),
    }
}

#[component]
fn BreakdownTable(
    caption: &'static str,
    first: &'static str,
    rows: Vec<Breakdown>,
    channels: bool,
) -> impl IntoView {
    view! {
        <table>
            <caption>{caption}</caption>
            <thead><tr>
                <th scope="col">{first}</th><th scope="col">"Started"</th><th scope="col">"Verified"</th>
                <th scope="col">"Conversion"</th><th scope="col">"Median time"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|b| view! {
                    <tr>
                        <th scope="row">{if channels { channel_name(&b.key).to_owned() } else { b.key.clone() }}</th>
                        <td>{b.started}</td><td>{b.verified}</td>
                        <td>{percent(b.conversion)}</td><td>{secs(b.median_secs)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Figures(site_key: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let days = RwSignal::new(30u32);
    let key = StoredValue::new(site_key);
    let insights = ctx.load::<Insights>(move || {
        format!(
            "/activities/{}/insights?days={}",
            key.get_value(),
            days.get()
        )
    });
    view! {
        <section aria-labelledby="figures">
            <div class="row">
                <h2 id="figures">"What happened"</h2>
                <label for="period">"Period"</label>
                <select id="period" on:change=move |e| days.set(event_target_value(&e).parse().unwrap_or(30))>
                    <option value="1">"Today"</option>
                    <option value="7">"7 days"</option>
                    <option value="30" selected>"30 days"</option>
                    <option value="90">"90 days"</option>
                    <option value="365">"A year"</option>
                </select>
            </div>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Counting…"</p> }>
                {move || Suspend::new(async move {
                    match insights.await {
                        Ok(i) if i.funnel.started == 0 && i.refusals.is_empty() => view! {
                            <p class="empty">"No verification in this period yet. Once visitors verify on your pages, the funnel, the countries and the costs show here."</p>
                            <DayLines days=i.days/>
                        }.into_any(),
                        Ok(i) => view! { <InsightsView insights=i/> }.into_any(),
                        Err(p) => view! { <p class="note" role="alert">{p.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn InsightsView(insights: Insights) -> impl IntoView {
    let i = insights;
    let conversion = if i.funnel.started == 0 {
        0.0
    } else {
        i.funnel.verified as f64 / i.funnel.started as f64
    };
    let alerts = i.alerts.clone();
    view! {
        {(!alerts.is_empty()).then(|| view! {
            <div class="card alerts" role="region" aria-labelledby="alerts">
                <h3 id="alerts">"Alerts"</h3>
                <ul>{alerts.into_iter().map(|a| view! {
                    <li class=if a.open { "open" } else { "closed" }>
                        <strong>{if a.kind == "pumping" { "Possible SMS pumping" } else { "Deliveries stopped" }}{format!(" ({})", a.key)}</strong>
                        {if a.open { " · still seen" } else { " · over" }}
                        <p>{a.summary.clone()}</p>
                        <p class="muted">{format!("Since {}, last seen {}. Your callback URL: {}.", short(&a.opened_at), short(&a.last_seen_at), a.told.clone().unwrap_or_else(|| "not told".into()))}</p>
                    </li>
                }).collect_view()}</ul>
            </div>
        })}
        <div class="grid">
            <div class="card">
                <h3>"Funnel"</h3>
                <p class="big">{percent(conversion)}<span class="muted">" of started verifications were verified"</span></p>
                <FunnelBars funnel=i.funnel.clone()/>
            </div>
            <div class="card">
                <h3>"Per day"</h3>
                <DayLines days=i.days.clone()/>
            </div>
        </div>
        <div class="grid">
            <div class="card"><BreakdownTable caption="Per channel" first="Channel" rows=i.by_channel.clone() channels=true/></div>
            <div class="card"><BreakdownTable caption="Per country" first="Country" rows=i.by_country.clone() channels=false/></div>
        </div>
        <div class="grid">
            <div class="card">
                <h3>"Cost"</h3>
                {if i.spend.is_empty() {
                    view! { <p class="muted">"Nothing charged in this period (the missed call is free)."</p> }.into_any()
                } else {
                    view! { <ul>{i.spend.iter().map(|s| view! {
                        <li>{format!("{} {}", s.total, s.currency)}
                            {s.per_verified.clone().map(|p| view! { <span class="muted">{format!(" · {p} per verified number")}</span> })}
                        </li>
                    }).collect_view()}</ul> }.into_any()
                }}
            </div>
            <div class="card">
                <h3>"Refused by the defences"</h3>
                {if i.refusals.is_empty() {
                    view! { <p class="muted">"No request was refused."</p> }.into_any()
                } else {
                    view! { <table><caption class="sr">"Refusals"</caption>
                        <thead><tr><th scope="col">"Why"</th><th scope="col">"Requests"</th></tr></thead>
                        <tbody>{i.refusals.iter().map(|r| view! { <tr><th scope="row"><code>{r.key.clone()}</code></th><td>{r.count}</td></tr> }).collect_view()}</tbody>
                    </table> }.into_any()
                }}
            </div>
            <div class="card">
                <h3>"Callbacks not delivered"</h3>
                {if i.failing_callbacks.is_empty() {
                    view! { <p class="muted">"Every callback reached your server (or none was due)."</p> }.into_any()
                } else {
                    let key = i.site_key.clone();
                    view! { <ul>{i.failing_callbacks.iter().map(|c| view! {
                        <li><code>{c.verification_id.clone()}</code>{format!(" · {} attempts, last {} at {} ", c.attempts, c.last_outcome, c.last_at)}
                            <SendAgain site_key=key.clone() verification_id=c.verification_id.clone()/></li>
                    }).collect_view()}</ul> }.into_any()
                }}
            </div>
        </div>
    }
}

/// "Send again" for a callback that gave up: one more attempt now.
#[component]
fn SendAgain(site_key: String, verification_id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (said, set_said) = signal(None::<String>);
    let path = StoredValue::new(format!(
        "/activities/{site_key}/callbacks/{verification_id}/again"
    ));
    let again = move |_| {
        leptos::task::spawn_local(async move {
            let r =
                api::send::<serde_json::Value>("POST", &path.get_value(), serde_json::json!({}))
                    .await;
            ctx.check(&r);
            set_said.set(Some(match r {
                Ok(v) if v["again"] == true => {
                    "Sent again: it shows here until your server answers 2xx.".into()
                }
                Ok(_) => "It is still being retried, or was delivered.".into(),
                Err(p) => p.message,
            }));
        });
    };
    view! {
        <button type="button" class="quiet" on:click=again>"Send again"</button>
        {move || said.get().map(|s| view! { <span role="status">{s}</span> })}
    }
}

#[component]
fn Log(site_key: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let key = StoredValue::new(site_key);
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let log = ctx.load::<Vec<LoggedVerification>>(move || {
        let q: String = js_sys::encode_uri_component(&search.get()).into();
        format!(
            "/activities/{}/verifications?days=90&q={q}",
            key.get_value()
        )
    });
    let csv = move || {
        format!(
            "/console/api/activities/{}/verifications?days=90&format=csv",
            key.get_value()
        )
    };
    view! {
        <section aria-labelledby="log">
            <h2 id="log">"Verifications"</h2>
            <form class="row" role="search" on:submit=move |e| { e.prevent_default(); search.set(typed.get_untracked()); }>
                <label for="q">"Find by ClientTransactionId or last two digits"</label>
                <input id="q" prop:value=typed on:input=move |e| typed.set(event_target_value(&e))/>
                <button type="submit">"Search"</button>
                <a href=csv download="">"Download CSV"</a>
            </form>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(lines) if lines.is_empty() => view! { <p class="empty">"No verification matches."</p> }.into_any(),
                        Ok(lines) => view! {
                            <div class="scroll" tabindex="0" role="region" aria-label="Verifications"><table class="log">
                                <caption class="sr">"Verifications, newest first"</caption>
                                <thead><tr>
                                    <th scope="col">"Started"</th><th scope="col">"Number"</th><th scope="col">"Channel"</th>
                                    <th scope="col">"Status"</th><th scope="col">"Redeemed"</th><th scope="col">"Cost"</th>
                                    <th scope="col">"ClientTransactionId"</th>
                                </tr></thead>
                                <tbody>{lines.into_iter().map(|l| view! {
                                    <tr>
                                        <td>{short(&l.started_at)}</td>
                                        <td>{l.number.clone()}</td>
                                        <td>{channel_name(&l.channel)}</td>
                                        <td class=format!("status {}", l.status)>{l.status.clone()}{l.failure.clone().map(|f| format!(" ({f})"))}</td>
                                        <td>{if l.redeemed { "yes" } else { "no" }}</td>
                                        <td>{l.cost.clone().map(|c| format!("{c} {}", l.currency.clone().unwrap_or_default())).unwrap_or_else(|| "—".into())}</td>
                                        <td><code>{l.client_transaction_id.clone().unwrap_or_default()}</code></td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                        }.into_any(),
                        Err(p) => view! { <p class="note" role="alert">{p.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Settings(
    activity: ActivityView,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let key = StoredValue::new(activity.site.site_key.clone());
    let title = RwSignal::new(activity.site.title.clone());
    let domains = RwSignal::new(activity.site.domains.join(", "));
    let callback = RwSignal::new(activity.site.callback_url.clone().unwrap_or_default());
    let (said, set_said) = signal(None::<(bool, String)>);
    let rotated = RwSignal::new(None::<RotatedSecret>);
    let save = {
        let on_change = on_change.clone();
        move |e: leptos::ev::SubmitEvent| {
            e.prevent_default();
            let body = serde_json::json!({
                "title": title.get_untracked(),
                "domains": domains.get_untracked().split([',', '\n', ' ']).map(str::trim).filter(|d| !d.is_empty()).collect::<Vec<_>>(),
                "callback_url": callback.get_untracked().trim(),
            });
            let on_change = on_change.clone();
            leptos::task::spawn_local(async move {
                let r = api::send::<ActivityView>(
                    "PATCH",
                    &format!("/activities/{}", key.get_value()),
                    body,
                )
                .await;
                ctx.check(&r);
                match r {
                    Ok(_) => {
                        set_said.set(Some((true, "Saved.".into())));
                        on_change();
                    }
                    Err(p) => set_said.set(Some((false, p.message))),
                }
            });
        }
    };
    let rotate = move |_| {
        leptos::task::spawn_local(async move {
            let r = api::send::<RotatedSecret>(
                "POST",
                &format!("/activities/{}/rotate-secret", key.get_value()),
                serde_json::json!({}),
            )
            .await;
            ctx.check(&r);
            match r {
                Ok(s) => rotated.set(Some(s)),
                Err(p) => set_said.set(Some((false, p.message))),
            }
        });
    };
    let delete = move |_| {
        let sure = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(
                    "Delete this activity? Its site key and secret stop working at once.",
                )
                .ok()
            })
            .unwrap_or(false);
        if !sure {
            return;
        }
        leptos::task::spawn_local(async move {
            let r = api::send::<serde_json::Value>(
                "DELETE",
                &format!("/activities/{}", key.get_value()),
                serde_json::json!({}),
            )
            .await;
            ctx.check(&r);
            match r {
                Ok(_) => go(&Route::Activities),
                Err(p) => set_said.set(Some((false, p.message))),
            }
        });
    };
    view! {
        <section aria-labelledby="settings">
            <h2 id="settings">"Settings"</h2>
            <form class="card form" on:submit=save>
                <label for="s-title">"Title"</label>
                <input id="s-title" required prop:value=title on:input=move |e| title.set(event_target_value(&e))/>
                <label for="s-domains">"Domains"</label>
                <input id="s-domains" required prop:value=domains on:input=move |e| domains.set(event_target_value(&e))/>
                <label for="s-callback">"Callback URL"</label>
                <input id="s-callback" type="url" prop:value=callback on:input=move |e| callback.set(event_target_value(&e))/>
                <p class="muted">{format!("Channels: {}. ", activity.site.channels.iter().map(|c| channel_name(c.as_str())).collect::<Vec<_>>().join(", "))}
                    "OneRing ActivityTokenId: "<code>{activity.site.activity_token_id.clone()}</code></p>
                {move || said.get().map(|(ok, s)| view! { <p class=if ok { "ok" } else { "note" } role="status">{s}</p> })}
                <button type="submit">"Save"</button>
            </form>
            <TestCallbackCard site_key=key.get_value() has_url=activity.site.callback_url.is_some()/>
            <div class="card">
                <h3>"Secret"</h3>
                <p>"Rotating makes a new secret at once; the old one stops working for siteverify and for callback signatures."</p>
                <button type="button" on:click=rotate>"Rotate the secret"</button>
                {move || rotated.get().map(|s| view! {
                    <p role="status"><strong>"The new secret, shown once: "</strong><code data-testid="rotated">{s.secret}</code></p>
                    <p>"Webhook secret: "<code>{s.webhook_secret}</code></p>
                })}
            </div>
            <div class="card danger">
                <h3>"Delete"</h3>
                <button type="button" class="danger" on:click=delete>"Delete this activity"</button>
            </div>
        </section>
    }
}

/// "Send a test callback": the request as sent and the site's answer, side by side.
#[component]
fn TestCallbackCard(site_key: String, has_url: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let result = RwSignal::new(None::<Result<TestCallback, api::Problem>>);
    let (busy, set_busy) = signal(false);
    let path = StoredValue::new(format!("/activities/{site_key}/test-callback"));
    let send = move |_| {
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            let r =
                api::send::<TestCallback>("POST", &path.get_value(), serde_json::json!({})).await;
            ctx.check(&r);
            set_busy.set(false);
            result.set(Some(r));
        });
    };
    view! {
        <div class="card">
            <h3>"Callback"</h3>
            {if has_url {
                view! { <p>"Send your callback URL a verified outcome that never happened (ids starting "<code>"test_"</code>"), signed as real ones are."</p> }.into_any()
            } else {
                view! { <p class="muted">"Set a callback URL above to hear about every outcome."</p> }.into_any()
            }}
            <button type="button" on:click=send disabled=move || busy.get() || !has_url>"Send a test callback"</button>
            {move || result.get().map(|r| match r {
                Ok(t) => {
                    let verdict = match (t.status, &t.error) {
                        (Some(s), _) if t.delivered => format!("Delivered: your server answered {s} in {} ms.", t.duration_ms),
                        (Some(s), _) => format!("Not delivered: your server answered {s}. Only a 2xx counts."),
                        (None, Some(e)) => format!("Not delivered: {e}."),
                        (None, None) => "Not delivered.".into(),
                    };
                    let headers = t.request.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
                    view! {
                        <p role="status" class=if t.delivered { "ok" } else { "note" } data-testid="test-callback">{verdict}</p>
                        <h4>"Sent"</h4>
                        <pre tabindex="0" aria-label="The request sent"><code>{format!("{} {}\n{headers}\n\n{}", t.request.method, t.request.url, t.request.body.clone().unwrap_or_default())}</code></pre>
                        <h4>"Your server's answer"</h4>
                        <pre tabindex="0" aria-label="The answer"><code>{if t.answer.is_empty() { "(empty)".to_owned() } else { t.answer.clone() }}</code></pre>
                    }.into_any()
                }
                Err(p) => view! { <p class="note" role="alert">{p.message}</p> }.into_any(),
            })}
        </div>
    }
}
