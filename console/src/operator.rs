//! The operator's page: every account, and what each may spend.

use crate::activities::channel_name;
use crate::api;
use crate::Ctx;
use leptos::prelude::*;
use ringproof_api::console::AccountView;
use ringproof_api::Channel;

#[component]
pub fn Operator() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let version = RwSignal::new(0u32);
    let accounts = LocalResource::new(move || {
        version.track();
        async move {
            let r = api::get::<Vec<AccountView>>("/accounts").await;
            ctx.check(&r);
            r
        }
    });
    view! {
        <h1>"Accounts"</h1>
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
