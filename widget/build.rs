//! The widget's stylesheet without its comments and layout: the comments say why a rule is
//! as it is, and stay in `src/widget.css`; the wasm carries only the rules (about 480 B of
//! gzip less in the page's download).

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=src/widget.css");
    let source = std::fs::read_to_string("src/widget.css").expect("src/widget.css");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("widget.css");
    std::fs::write(out, minify(&source)).expect("OUT_DIR/widget.css");
}

/// Comments out, runs of white space as one space, and no space where CSS needs none (around
/// braces, semicolons, commas and child combinators, and after a colon). A space before a
/// colon stays: `a :hover` and `a:hover` are different selectors.
fn minify(css: &str) -> String {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
        text.push(' ');
    }
    text.push_str(rest);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let joins = |c: char| matches!(c, '{' | '}' | ';' | ',' | '>');
        let after = out.chars().last();
        let glued = after.is_none_or(|c| joins(c) || c == ':') || word.starts_with(joins);
        if !glued {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.replace(";}", "}")
}
