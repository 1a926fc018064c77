//! Charts a person reads at a glance: the funnel as bars, the days as a line. Each has a table
//! or text beside it with the same figures, for screen readers and for exact numbers.

use leptos::prelude::*;
use ringproof_api::console::{Day, Funnel};

#[component]
pub fn FunnelBars(funnel: Funnel) -> impl IntoView {
    let steps = [
        ("Started", funnel.started),
        ("Code sent or number shown", funnel.sent),
        ("Delivered", funnel.delivered),
        ("Verified", funnel.verified),
        ("Token redeemed", funnel.redeemed),
    ];
    let top = funnel.started.max(1) as f64;
    view! {
        <ol class="funnel" aria-label="Funnel">
            {steps.into_iter().map(|(name, n)| {
                let share = n as f64 / top * 100.0;
                view! {
                    <li>
                        <span class="step">{name}</span>
                        <span class="bar" aria-hidden="true"><span style=format!("width:{share:.1}%")></span></span>
                        <span class="n">{n} <span class="muted">{format!(" ({share:.0}%)")}</span></span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// Started and verified per day, as two lines over the period.
#[component]
pub fn DayLines(days: Vec<Day>) -> impl IntoView {
    let (w, h, pad) = (600.0, 160.0, 24.0);
    let top = days
        .iter()
        .map(|d| d.started.max(d.verified))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(2) as f64 - 1.0;
    let points = |pick: fn(&Day) -> u64| {
        days.iter()
            .enumerate()
            .map(|(i, d)| {
                let x = pad + (w - 2.0 * pad) * i as f64 / n;
                let y = h - pad - (h - 2.0 * pad) * pick(d) as f64 / top;
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let started = points(|d| d.started);
    let verified = points(|d| d.verified);
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let total: u64 = days.iter().map(|d| d.started).sum();
    let summary = format!(
        "{total} verifications started from {first} to {last}; the busiest day had {}.",
        top as u64
    );
    view! {
        <figure class="lines">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=summary.clone() preserveAspectRatio="none">
                <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="axis"/>
                <polyline points=started class="started" fill="none"/>
                <polyline points=verified class="verified" fill="none"/>
            </svg>
            <figcaption>
                <span class="key started">"Started"</span>" "
                <span class="key verified">"Verified"</span>
                <span class="muted">{format!(" · {first} to {last} · at most {} a day", top as u64)}</span>
            </figcaption>
        </figure>
    }
}
