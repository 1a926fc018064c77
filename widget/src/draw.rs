//! Drawing the state: one effect hands each new [`State`] to [`Ui::draw`], which touches a
//! part of the page only when what that part shows has changed. The parts are built with DOM
//! calls (`form.rs`, `step.rs`); they show what the state says and decide nothing.
//!
//! Why not a `Memo` per part: each memo of its own type costs the wasm about 1.5 KB (its
//! reactive node is compiled once per type), and eight of them cost more than the whole
//! machine; comparing what each part last drew is a few bytes per part.

use crate::dom::flag;
use crate::effects::Machine;
use crate::form::PhoneForm;
use crate::i18n::Catalog;
use crate::machine::{Msg, State};
use crate::number;
use crate::step::Step;
use ringproof_api::VerificationView;
use web_sys::{Element, HtmlInputElement};

/// A search box above the country list once the list is longer than this.
const SEARCH_FROM: usize = 8;

/// The widget's parts on the page, and what each last drew.
pub struct Ui {
    /// The loader's phone field, until the form takes it over.
    early: Option<HtmlInputElement>,
    form: Option<PhoneForm>,
    step: Option<Step>,
    drawn: Drawn,
}

#[derive(Default)]
struct Drawn {
    picker: Option<(usize, Option<String>, String)>,
    example: Option<Option<String>>,
    problem: Option<Option<&'static str>>,
    form: Option<(bool, bool)>,
    view: Option<VerificationView>,
    clock: Option<(Option<f64>, Option<f64>, bool, bool)>,
    expired: Option<bool>,
    code: Option<String>,
    wrong_code: Option<bool>,
}

/// Whether `now` differs from what `last` holds; `last` then holds it.
fn changed<T: PartialEq>(last: &mut Option<T>, now: T) -> bool {
    if last.as_ref() == Some(&now) {
        return false;
    }
    *last = Some(now);
    true
}

/// Where the parts go, and what they need to be built.
pub struct Places<'a> {
    pub form: &'a Element,
    pub step: &'a Element,
    pub cat: &'a Catalog,
    pub touch: bool,
    pub m: Machine,
}

impl Ui {
    pub fn new(early: Option<HtmlInputElement>) -> Ui {
        Ui {
            early,
            form: None,
            step: None,
            drawn: Drawn::default(),
        }
    }

    /// Draws `s`; answers what the machine must hear of what the page did before the form
    /// was there: what was typed and sent in the loader's field.
    pub fn draw(&mut self, s: &State, at: &Places) -> Vec<Msg> {
        let mut heard = Vec::new();
        if self.form.is_none() {
            self.form = PhoneForm::build(at.form, at.cat, at.m, self.early.take());
            if let Some(f) = &self.form {
                let typed = f.phone.value();
                if typed.is_empty() {
                    f.phone.set_value(&s.phone);
                } else if typed != s.phone {
                    heard.push(Msg::Typed(typed));
                }
                if f.phone.has_attribute("data-submitted") {
                    let _ = f.phone.remove_attribute("data-submitted");
                    heard.push(Msg::Submit);
                }
            }
        }
        self.draw_form(s, at);
        self.draw_step(s, at);
        heard
    }

    fn draw_form(&mut self, s: &State, at: &Places) {
        let Some(f) = &self.form else { return };
        let d = &mut self.drawn;
        // The countries arrive once: their number stands for them.
        let picker = (s.countries.len(), s.country.clone(), s.search.clone());
        if changed(&mut d.picker, picker) {
            flag(&f.countries, "hidden", s.countries.is_empty());
            flag(&f.search, "hidden", s.countries.len() <= SEARCH_FROM);
            number::fill_picker(&f.picker, s.shown(), s.country.as_deref());
            let said = if s.no_match() {
                at.cat.t("country.none")
            } else {
                String::new()
            };
            f.no_match.set_text_content(Some(&said));
        }
        let example = s.plan.as_ref().and_then(|p| p.example.clone());
        if changed(&mut d.example, example) {
            let example = d.example.as_ref().and_then(Option::as_deref);
            f.phone
                .set_placeholder(example.unwrap_or("+44 7400 123456"));
        }
        if changed(&mut d.problem, s.field_problem) {
            f.say_problem(s.field_problem, at.cat);
        }
        if changed(&mut d.form, (s.busy, s.current.is_some())) {
            f.busy(s.busy, at.cat);
            flag(&f.root, "hidden", s.current.is_some());
        }
    }

    fn draw_step(&mut self, s: &State, at: &Places) {
        let d = &mut self.drawn;
        let Some(view) = &s.current else {
            self.step = None;
            d.view = None;
            return;
        };
        if self.step.as_ref().is_some_and(|step| step.shows(view)) {
            if changed(&mut d.view, view.clone()) {
                if let Some(step) = &self.step {
                    step.update(view, at.cat);
                }
            }
        } else {
            // Another attempt, or the same in another state: the old step's elements go
            // first, and the new one draws everything afresh.
            self.step = None;
            self.step = Step::build(at.step, view, at.cat, &s.phone, at.touch, at.m);
            d.view = Some(view.clone());
            d.clock = None;
            d.expired = None;
            d.code = None;
            d.wrong_code = None;
        }
        let Some(step) = &self.step else { return };
        let clock = (s.time_left_ms(), s.cool_down_ms(), s.late(), s.busy);
        if changed(&mut d.clock, clock) {
            step.tick(clock.0, clock.1, clock.2, clock.3, at.cat);
        }
        if changed(&mut d.expired, s.expired) {
            step.show_expired(s.expired);
        }
        if changed(&mut d.code, s.code.clone()) {
            step.show_code(&s.code);
        }
        if changed(&mut d.wrong_code, s.wrong_code.is_some()) {
            step.show_checks_left(s.wrong_code.is_none());
        }
    }
}
