//! The widget's message catalogs (`widget/i18n/<lang>.json`) against what the widget and the
//! edge can say: a missing message, a dead one, a lost placeholder or a wrong plural form
//! turns this red before any visitor reads an id instead of a sentence.

use ringproof_core::texts::Language;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn catalog(tag: &str) -> Map<String, Value> {
    let path = root().join(format!("widget/i18n/{tag}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{tag}: {e}"));
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => m,
        other => panic!("{tag}: not a JSON object: {other:?}"),
    }
}

/// Every string literal in `source`, quoted with `quote`, shaped like a message id
/// (`group.name`).
fn ids_in(source: &str, quote: char) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for piece in source.split(quote).skip(1).step_by(2) {
        let mut parts = piece.split('.');
        let shaped = matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_lowercase())
                && b.bytes().all(|c| c.is_ascii_lowercase() || c == b'_'));
        if shaped && piece != "widget.css" {
            ids.insert(piece.to_owned());
        }
    }
    ids
}

/// The ids the widget's code names, and its loader's.
fn widget_ids() -> BTreeSet<String> {
    let dir = root().join("widget/src");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            ids.extend(ids_in(&std::fs::read_to_string(&path).unwrap(), '"'));
        }
    }
    // The loader reads its few ids as `m['group.name']`; its comments and words hold
    // apostrophes, so quotes there do not pair.
    let loader = std::fs::read_to_string(root().join("widget/loader.js")).unwrap();
    for piece in loader.split("['").skip(1) {
        if let Some((id, _)) = piece.split_once("']") {
            ids.extend(ids_in(&format!("'{id}'"), '\''));
        }
    }
    ids
}

/// Every stable error code a visitor can be shown: the API's (`ApiError::code`), the
/// failures' (`FailureReason::code`) and the widget's own `network`, read from the match arms
/// of the two `code()` functions so a new code cannot be missed.
fn error_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::from(["network".to_owned()]);
    for file in ["core/src/error.rs", "core/src/failure.rs"] {
        let source = std::fs::read_to_string(root().join(file)).unwrap();
        let body = source
            .split("pub fn code(")
            .nth(1)
            .and_then(|rest| rest.split("\n    }\n").next())
            .unwrap_or_else(|| panic!("{file}: no code()"));
        for arm in body.split("=> \"").skip(1) {
            codes.insert(arm.split('"').next().unwrap().to_owned());
        }
    }
    // The console's own errors never reach a visitor's widget.
    for code in ringproof_core::ApiError::CONSOLE_ONLY {
        assert!(codes.remove(code), "{code} is not an error code");
    }
    codes
}

/// CLDR's cardinal categories, as `Intl.PluralRules(tag).resolvedOptions().pluralCategories`
/// gives them in Chromium.
fn plural_categories(l: Language) -> &'static [&'static str] {
    match l {
        Language::English | Language::German | Language::Hindi => &["one", "other"],
        Language::Russian | Language::Slovak => &["one", "few", "many", "other"],
        Language::Spanish | Language::Portuguese | Language::French => &["one", "many", "other"],
        Language::Arabic => &["zero", "one", "two", "few", "many", "other"],
        Language::Hebrew => &["one", "two", "other"],
        Language::ChineseSimplified | Language::Japanese => &["other"],
    }
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// The English text of an entry: the string, or a plural entry's `other` form.
fn english_text(v: &Value) -> &str {
    v.as_str()
        .or_else(|| v.get("other").and_then(Value::as_str))
        .unwrap_or_default()
}

#[test]
fn there_is_one_catalog_per_language_and_no_other() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("widget/i18n"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = Language::ALL
        .iter()
        .map(|l| format!("{}.json", l.tag()))
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    assert!(Language::ALL.len() >= 12);
}

#[test]
fn every_id_the_widget_uses_and_every_error_code_is_in_english() {
    let en = catalog("en");
    let used = widget_ids();
    assert!(used.len() > 30, "the scan found the widget's ids: {used:?}");
    for id in &used {
        assert!(
            en.contains_key(id),
            "en.json lacks {id}, used in widget/src"
        );
    }
    let codes = error_codes();
    assert!(codes.contains("lines_busy") && codes.contains("sms_undelivered"));
    for code in &codes {
        assert!(
            en.contains_key(&format!("error.{code}")),
            "en.json lacks error.{code}"
        );
    }
    // Nothing in the catalog that nothing says: a dead entry is a sign of a renamed id.
    for key in en.keys() {
        let known = key == "_dir"
            || used.contains(key)
            || key
                .strip_prefix("error.")
                .is_some_and(|c| codes.contains(c));
        assert!(known, "en.json has {key}, which nothing uses");
    }
}

#[test]
fn every_catalog_has_every_message_with_its_placeholders_and_plural_forms() {
    let en = catalog("en");
    for lang in Language::ALL {
        let tag = lang.tag();
        let cat = catalog(tag);
        let keys: Vec<&String> = cat.keys().collect();
        let en_keys: Vec<&String> = en.keys().collect();
        assert_eq!(keys, en_keys, "{tag}: the same ids as en.json");
        let rtl = matches!(lang, Language::Arabic | Language::Hebrew);
        assert_eq!(cat["_dir"], if rtl { "rtl" } else { "ltr" }, "{tag}");
        for (id, english) in &en {
            let wanted = placeholders(english_text(english));
            let value = &cat[id];
            let forms: Vec<(String, &str)> = match value {
                Value::String(s) => {
                    assert!(english.is_string(), "{tag} {id}: plural in English");
                    vec![("text".into(), s.as_str())]
                }
                Value::Object(forms) => {
                    let names: Vec<&str> = forms.keys().map(String::as_str).collect();
                    let mut want = plural_categories(lang).to_vec();
                    let mut have = names.clone();
                    want.sort();
                    have.sort();
                    assert_eq!(have, want, "{tag} {id}: plural categories");
                    forms
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default()))
                        .collect()
                }
                other => panic!("{tag} {id}: {other:?}"),
            };
            for (form, text) in forms {
                assert!(!text.trim().is_empty(), "{tag} {id} {form}: empty");
                assert_eq!(
                    placeholders(text),
                    wanted,
                    "{tag} {id} {form}: placeholders of {text:?}"
                );
            }
        }
    }
}

#[test]
fn the_scan_finds_ids_and_only_ids() {
    let found = ids_in(
        r#"t("phone.label"), x("a.b.c"), "widget.css", "Hello. World", "code.resend_in""#,
        '"',
    );

    assert_eq!(
        found,
        BTreeSet::from(["phone.label".to_owned(), "code.resend_in".to_owned()])
    );
}

/// The loader's table `var {name} = { 'tag': "text", ... };`, as (tag, text).
fn loader_table(name: &str) -> Vec<(String, String)> {
    let loader = std::fs::read_to_string(root().join("widget/loader.js")).unwrap();
    let body = loader
        .split(&format!("var {name} = {{"))
        .nth(1)
        .and_then(|rest| rest.split("};").next())
        .unwrap_or_else(|| panic!("no {name} in loader.js"));
    body.lines()
        .filter_map(|line| {
            let (tag, text) = line.trim().split_once("': \"")?;
            let text = text.trim_end_matches(',').strip_suffix('"')?;
            Some((tag.trim_start_matches('\'').to_owned(), text.to_owned()))
        })
        .collect()
}

#[test]
fn the_loaders_early_phone_field_is_labelled_as_the_widgets_in_every_language() {
    let labels = loader_table("LABELS");
    let tags: BTreeSet<&str> = labels.iter().map(|(t, _)| t.as_str()).collect();
    let languages: BTreeSet<&str> = Language::ALL.iter().map(|l| l.tag()).collect();
    assert_eq!(tags, languages);
    for (tag, text) in &labels {
        assert_eq!(
            catalog(tag)["phone.label"].as_str(),
            Some(text.as_str()),
            "{tag}"
        );
    }
    // And the loading words are there for every language too.
    assert_eq!(loader_table("WORDS").len(), languages.len());
}
