//! Accessibility scans with axe-core (npm `axe-core`, installed by `cargo xtask setup`), run
//! inside the page on the widget's element: axe walks into its open shadow root.

use crate::browser::Browser;
use serde_json::json;

/// WCAG 2.0, 2.1 and 2.2, levels A and AA: what the widget promises.
const TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

fn source() -> Result<String, String> {
    let path = std::env::var("RINGPROOF_AXE")
        .map_err(|_| "RINGPROOF_AXE is not set (run through `cargo xtask test`)".to_string())?;
    std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))
}

/// The violations axe finds in `host` (a CSS selector) as it stands, one line each: rule,
/// what it asks for, and where.
pub fn violations(b: &Browser, host: &str) -> Result<Vec<String>, String> {
    if b.execute("return typeof window.axe", vec![])? != json!("object") {
        b.execute(&source()?, vec![])?;
    }
    let found = b.execute_async(
        "var done = arguments[arguments.length - 1];
         axe.run(document.querySelector(arguments[0]),
                 {runOnly: {type: 'tag', values: arguments[1]}, resultTypes: ['violations']})
           .then(function (r) {
             done(r.violations.map(function (v) {
               return v.id + ' (' + v.help + '): ' +
                 v.nodes.map(function (n) { return JSON.stringify(n.target) + ' ' + n.failureSummary; }).join('; ');
             }));
           }, function (e) { done(['axe did not run: ' + e]); });",
        vec![json!(host), json!(TAGS)],
    )?;
    Ok(found
        .as_array()
        .ok_or_else(|| format!("axe answered {found}"))?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect())
}

/// Panics with every violation when `host` has any, naming the `step` scanned.
pub fn assert_accessible(b: &Browser, host: &str, step: &str) {
    let found = violations(b, host).unwrap_or_else(|e| panic!("axe at {step}: {e}"));
    assert!(
        found.is_empty(),
        "accessibility violations at {step}:\n{}",
        found.join("\n")
    );
}
