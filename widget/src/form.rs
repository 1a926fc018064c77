//! The phone form (country, search, number, its error, the button), built once with DOM calls
//! like `step.rs` and kept while an attempt runs (hidden), so the number typed stays as it was.
//! `draw.rs` shows the state in it; it decides nothing.
//!
//! Measured (issue 26): the same form as a Leptos `view!` component reading the state (its
//! options a reactive list) made the page's download 10,941 B gzipped larger (108,427 B to
//! 119,368 B), over the budget; these DOM calls are kept.

use crate::dom::{adopt, el, field, flag, on, Listeners};
use crate::effects::Machine;
use crate::i18n::Catalog;
use crate::machine::Msg;
use leptos::prelude::WithUntracked;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

pub struct PhoneForm {
    pub root: Element,
    pub countries: Element,
    pub search: Element,
    pub no_match: Element,
    pub picker: HtmlSelectElement,
    pub phone: HtmlInputElement,
    pub error: Element,
    pub submit: Element,
    _listeners: Listeners,
}

impl PhoneForm {
    /// The form in `parent`; its phone field is `early` (the loader's, as the visitor left
    /// it) when there is one.
    pub fn build(
        parent: &Element,
        cat: &Catalog,
        m: Machine,
        early: Option<HtmlInputElement>,
    ) -> Option<Self> {
        let mut listeners = Listeners::new();
        let root = el(parent, "form", &[("novalidate", ""), ("part", "form")], "")?;
        on(&root, "submit", &mut listeners, move |ev| {
            ev.prevent_default();
            m.send(Msg::Submit);
        });
        let countries = el(&root, "div", &[("class", "country"), ("hidden", "")], "")?;
        el(
            &countries,
            "label",
            &[("for", "rp-country")],
            &cat.t("country.label"),
        );
        let label = cat.t("country.search");
        let search_box = el(
            &countries,
            "input",
            &[
                ("type", "search"),
                ("class", "search"),
                ("data-testid", "country-search"),
                ("part", "search"),
                ("hidden", ""),
                ("aria-label", &label),
                ("placeholder", &label),
                ("aria-controls", "rp-country"),
                ("autocomplete", "off"),
            ],
            "",
        )?;
        let searched: HtmlInputElement = search_box.clone().dyn_into().ok()?;
        on(&search_box, "input", &mut listeners, move |_| {
            m.send(Msg::Searched(searched.value()))
        });
        let no_match = el(
            &countries,
            "p",
            &[
                ("class", "hint"),
                ("aria-live", "polite"),
                ("data-testid", "country-none"),
            ],
            "",
        )?;
        let picker: HtmlSelectElement = field(
            &countries,
            "select",
            &[
                ("id", "rp-country"),
                ("data-testid", "country"),
                ("part", "country"),
                ("autocomplete", "tel-country-code"),
            ],
        )?;
        let chosen = picker.clone();
        on(&picker, "change", &mut listeners, move |_| {
            m.send(Msg::Chose(chosen.value()))
        });
        el(
            &root,
            "label",
            &[("for", "rp-phone")],
            &cat.t("phone.label"),
        );
        let attributes = [
            ("id", "rp-phone"),
            ("data-testid", "phone"),
            ("part", "phone"),
            ("type", "tel"),
            ("autocomplete", "tel-national"),
            ("inputmode", "tel"),
            ("required", ""),
            ("dir", "ltr"),
            ("aria-invalid", "false"),
            ("aria-describedby", "rp-phone-error"),
        ];
        let phone: HtmlInputElement = match early {
            Some(e) => adopt(&root, e, &attributes),
            None => field(&root, "input", &attributes)?,
        };
        let number = phone.clone();
        on(&phone, "input", &mut listeners, move |_| {
            m.send(Msg::Typed(number.value()));
            // As the machine wrote it (grouped as the country writes its numbers).
            let shown = m.state.with_untracked(|s| s.phone.clone());
            if number.value() != shown {
                number.set_value(&shown);
            }
        });
        let error = el(
            &root,
            "p",
            &[
                ("id", "rp-phone-error"),
                ("class", "error"),
                ("data-testid", "phone-error"),
            ],
            "",
        )?;
        let submit = el(
            &root,
            "button",
            &[
                ("type", "submit"),
                ("data-testid", "submit"),
                ("part", "submit button"),
            ],
            &cat.t("form.submit"),
        )?;
        Some(PhoneForm {
            root,
            countries,
            search: search_box,
            no_match,
            picker,
            phone,
            error,
            submit,
            _listeners: listeners,
        })
    }

    /// The field's error (a message id), or none.
    pub fn say_problem(&self, problem: Option<&str>, cat: &Catalog) {
        self.error
            .set_text_content(Some(&problem.map(|id| cat.t(id)).unwrap_or_default()));
        let _ = self.phone.set_attribute(
            "aria-invalid",
            if problem.is_some() { "true" } else { "false" },
        );
    }

    pub fn busy(&self, busy: bool, cat: &Catalog) {
        flag(&self.submit, "disabled", busy);
        let label = cat.t(if busy { "form.starting" } else { "form.submit" });
        self.submit.set_text_content(Some(&label));
    }
}
