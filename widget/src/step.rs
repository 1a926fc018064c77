//! The attempt's step (what to do, the number or the code field, the countdown, the other
//! ways), built with a few DOM calls rather than a `view!`: as a reactive view it cost the
//! wasm about 19 KB of gzip, most of the widget's budget. It is rebuilt when the attempt
//! changes and updated in place otherwise, so a code being typed is never lost. It shows what
//! the machine's state says and tells the machine what the visitor did; it decides nothing.

use crate::dom::{doc, el, field, flag, on, Listeners};
use crate::effects::Machine;
use crate::i18n::{fill, Catalog};
use crate::machine::Msg;
use crate::text;
use leptos::prelude::WithUntracked;
use ringproof_api::{Channel, VerificationStatus, VerificationView};
use web_sys::{Element, HtmlInputElement};

/// The step on the page, with the parts that change while it stands.
pub struct Step {
    /// Which attempt and state it shows; another one is built afresh.
    key: (String, Channel, VerificationStatus, Option<String>),
    countdown: Option<Element>,
    resend: Option<Element>,
    /// Buttons the cool-down holds back (switches), and the code's submit button.
    held: Vec<Element>,
    check: Option<Element>,
    code: Option<HtmlInputElement>,
    delivery: Element,
    /// Said once a sent code is late (`fallback_at` has passed): try another way.
    late: Element,
    checks_left: Option<Element>,
    /// Verified: what shows once the token has expired.
    renew: Option<Element>,
    root: Element,
    _listeners: Listeners,
}

impl Drop for Step {
    fn drop(&mut self) {
        self.root.remove();
    }
}

fn key_of(v: &VerificationView) -> (String, Channel, VerificationStatus, Option<String>) {
    (
        v.verification_id.clone(),
        v.channel,
        v.status,
        v.resend_at.clone(),
    )
}

impl Step {
    /// Whether `v` is the attempt and state this step shows (then [`Step::update`] it).
    pub fn shows(&self, v: &VerificationView) -> bool {
        self.key == key_of(v)
    }

    /// Builds the step for `v` at the start of `parent`.
    pub fn build(
        parent: &Element,
        v: &VerificationView,
        cat: &Catalog,
        phone: &str,
        touch: bool,
        m: Machine,
    ) -> Option<Step> {
        let root = doc()?.create_element("div").ok()?;
        root.set_class_name("active");
        let _ = root.set_attribute("part", "step");
        let _ = parent.prepend_with_node_1(&root);
        let mut listeners = Vec::new();
        let pending = v.status == VerificationStatus::Pending;
        let verified = v.status == VerificationStatus::Verified;
        let length = v.code_length;

        if pending {
            el(
                &root,
                "p",
                &[("data-testid", "instructions")],
                &text::instructions(cat, v),
            );
        }
        if pending && v.test {
            // A test key: said plainly, so no one takes it for a real verification.
            let note = match &v.test_code {
                Some(code) => fill(&cat.t("test.code"), "code", &text::ltr(code)),
                None => cat.t("test.call"),
            };
            el(
                &root,
                "p",
                &[("class", "test"), ("data-testid", "test-note")],
                &note,
            );
            if length.is_none() {
                let b = el(
                    &root,
                    "button",
                    &[
                        ("type", "button"),
                        ("data-testid", "simulate"),
                        ("part", "button"),
                    ],
                    &cat.t("test.simulate"),
                )?;
                on(&b, "click", &mut listeners, move |_| m.send(Msg::Simulate));
            }
        }
        if let (true, Some(image)) = (pending, &v.number_image_url) {
            let spoken = v
                .call_to_uri
                .as_deref()
                .map(text::spoken_digits)
                .unwrap_or_default();
            let alt = fill(&cat.t("missed.number"), "digits", &spoken);
            el(
                &root,
                "img",
                &[
                    ("class", "number"),
                    ("part", "number"),
                    ("data-testid", "number-image"),
                    ("src", image),
                    ("alt", &alt),
                ],
                "",
            );
            let tel = v.call_to_uri.as_deref().unwrap_or_default();
            let class = if touch { "call big" } else { "call" };
            el(
                &root,
                "a",
                &[
                    ("data-testid", "call-link"),
                    ("part", "call"),
                    ("class", class),
                    ("href", tel),
                ],
                &cat.t("missed.call_link"),
            );
            if let (false, Some(qr)) = (touch, &v.call_qr_url) {
                let figure = el(&root, "figure", &[("class", "qr")], "")?;
                let alt = cat.t("missed.qr_alt");
                el(
                    &figure,
                    "img",
                    &[
                        ("data-testid", "call-qr"),
                        ("src", qr),
                        ("alt", &alt),
                        ("width", "120"),
                        ("height", "120"),
                    ],
                    "",
                );
                el(&figure, "figcaption", &[], &cat.t("missed.qr"));
            }
        }
        let (mut code, mut check, mut checks_left) = (None, None, None);
        if let (true, Some(length)) = (pending, length) {
            let form = el(&root, "form", &[("class", "code"), ("novalidate", "")], "")?;
            on(&form, "submit", &mut listeners, move |ev| {
                ev.prevent_default();
                m.send(Msg::Check);
            });
            let n = u64::from(length);
            el(
                &form,
                "label",
                &[("for", "rp-code")],
                &cat.n("code.label", n),
            );
            let input: HtmlInputElement = field(
                &form,
                "input",
                &[
                    ("id", "rp-code"),
                    ("part", "code"),
                    ("data-testid", "code"),
                    ("type", "text"),
                    ("dir", "ltr"),
                    ("inputmode", "numeric"),
                    ("autocomplete", "one-time-code"),
                    ("aria-describedby", "rp-checks-left"),
                ],
            )?;
            let field = input.clone();
            on(&input, "input", &mut listeners, move |_| {
                m.send(Msg::CodeTyped(field.value()));
                // Shown as the machine read it even when the digits did not change (a letter
                // typed), so the field never holds words.
                field.set_value(&m.state.with_untracked(|s| s.code.clone()));
            });
            code = Some(input);
            check = el(
                &form,
                "button",
                &[
                    ("type", "submit"),
                    ("data-testid", "check"),
                    ("part", "button"),
                ],
                &cat.t("code.check"),
            );
            checks_left = el(
                &form,
                "p",
                &[
                    ("class", "hint"),
                    ("id", "rp-checks-left"),
                    ("data-testid", "checks-left"),
                ],
                "",
            );
        }
        let delivery = el(
            &root,
            "p",
            &[("class", "hint"), ("data-testid", "delivery")],
            "",
        )?;
        let late = el(
            &root,
            "p",
            &[
                ("class", "late"),
                ("data-testid", "late"),
                ("role", "status"),
            ],
            &cat.t("delivery.late"),
        )?;
        flag(&late, "hidden", true);
        let countdown = if pending {
            el(
                &root,
                "p",
                &[("class", "countdown"), ("data-testid", "countdown")],
                "",
            )
        } else {
            None
        };
        let group = cat.t("channel.other_ways");
        let actions = el(
            &root,
            "div",
            &[
                ("class", "actions"),
                ("role", "group"),
                ("aria-label", &group),
            ],
            "",
        )?;
        let button = |testid: &str| {
            el(
                &actions,
                "button",
                &[
                    ("type", "button"),
                    ("class", "secondary"),
                    ("part", "button secondary"),
                    ("data-testid", testid),
                ],
                "",
            )
        };
        let mut held = Vec::new();
        let mut resend = None;
        if length.is_some() && !verified {
            let b = button("resend")?;
            on(&b, "click", &mut listeners, move |_| {
                m.send(Msg::Again(None))
            });
            resend = Some(b);
        }
        if !verified {
            // Every other way the site offers, in its order.
            for c in v.other_channels.iter().copied() {
                let b = button("switch")?;
                let _ = b.set_attribute("data-channel", c.as_str());
                b.set_text_content(Some(&text::channel_label(cat, c)));
                on(&b, "click", &mut listeners, move |_| {
                    m.send(Msg::Again(Some(c)))
                });
                held.push(b);
            }
            let b = button("change-number")?;
            b.set_text_content(Some(&fill(
                &cat.t("form.change_number"),
                "number",
                &text::masked(phone),
            )));
            on(&b, "click", &mut listeners, move |_| m.send(Msg::Back));
        }
        if !pending && !verified {
            let b = button("restart")?;
            b.set_text_content(Some(&cat.t("form.restart")));
            on(&b, "click", &mut listeners, move |_| m.send(Msg::Back));
        }
        let mut renew = None;
        if verified {
            // Shown once the token has expired unspent (see `show_expired`).
            let b = button("renew")?;
            b.set_text_content(Some(&cat.t("token.renew")));
            flag(&b, "hidden", true);
            on(&b, "click", &mut listeners, move |_| m.send(Msg::Renew));
            renew = Some(b);
        }
        let step = Step {
            key: key_of(v),
            countdown,
            resend,
            held,
            check,
            code,
            delivery,
            late,
            checks_left,
            renew,
            root,
            _listeners: listeners,
        };
        step.update(v, cat);
        Some(step)
    }

    /// What a poll or a check changes while the attempt stands: its delivery and tries left.
    pub fn update(&self, v: &VerificationView, cat: &Catalog) {
        self.delivery
            .set_text_content(Some(&text::delivery(cat, v)));
        if let Some(e) = &self.checks_left {
            let left = v
                .checks_left
                .map(|n| cat.n("code.checks_left", u64::from(n)))
                .unwrap_or_default();
            e.set_text_content(Some(&left));
        }
    }

    /// The clock and the busy state, as the machine derives them: the attempt's time left,
    /// how long the cool-down still holds resends and switches back, whether a code is late.
    pub fn tick(
        &self,
        left: Option<f64>,
        cool_down: Option<f64>,
        late: bool,
        busy: bool,
        cat: &Catalog,
    ) {
        if let (Some(e), Some(left)) = (&self.countdown, left) {
            let left = fill(&cat.t("status.time_left"), "time", &text::clock(left));
            e.set_text_content(Some(&left));
        }
        let held = busy || cool_down.is_some();
        if let Some(e) = &self.resend {
            let label = match cool_down {
                Some(wait) => fill(&cat.t("code.resend_in"), "time", &text::clock(wait)),
                None => cat.t("code.resend"),
            };
            if e.text_content().as_deref() != Some(label.as_str()) {
                e.set_text_content(Some(&label));
            }
            flag(e, "disabled", held);
        }
        for e in &self.held {
            flag(e, "disabled", held);
        }
        // A code that should have arrived by now: the site's next way becomes the main button.
        flag(&self.late, "hidden", !late);
        if let Some(next) = self.held.first() {
            let (class, part) = if late {
                ("", "button")
            } else {
                ("secondary", "button secondary")
            };
            if next.class_name() != class {
                next.set_class_name(class);
                let _ = next.set_attribute("part", part);
            }
        }
        if let Some(e) = &self.check {
            flag(e, "disabled", busy);
        }
    }

    /// Whether the tries left are said under the code field: not while the wrong-code error
    /// says them, so they are read once.
    pub fn show_checks_left(&self, shown: bool) {
        if let Some(e) = &self.checks_left {
            flag(e, "hidden", !shown);
        }
    }

    /// Whether the verified number's token has expired: then a new one is offered.
    pub fn show_expired(&self, expired: bool) {
        if let Some(b) = &self.renew {
            flag(b, "hidden", !expired);
        }
    }

    /// Shows `code` in the code field (cleared after a check).
    pub fn show_code(&self, code: &str) {
        if let Some(input) = &self.code {
            if input.value() != code {
                input.set_value(code);
            }
        }
    }
}
