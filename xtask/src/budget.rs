//! The widget's size budget (`widget/budget.json`): what a page downloads for it, gzipped,
//! printed by `cargo xtask bench` and enforced by `cargo xtask build`.

use crate::cmd;
use std::path::Path;
use std::process::Command;

/// A file a page downloads: its name, raw and gzipped (`gzip -9`) bytes.
pub struct FileSize {
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
}

/// What a page downloads for the widget: the loader, the module, the wasm, and the largest
/// catalog, since a page fetches the visitor's language only.
pub struct Download {
    pub files: Vec<FileSize>,
    pub catalogs: Vec<FileSize>,
}

impl Download {
    pub fn largest_catalog(&self) -> Option<&FileSize> {
        self.catalogs.iter().max_by_key(|c| c.gzip)
    }

    pub fn total(&self) -> u64 {
        self.files.iter().map(|f| f.gzip).sum::<u64>()
            + self.largest_catalog().map_or(0, |c| c.gzip)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Budget {
    pub page_gzip_bytes: u64,
    pub goal_gzip_bytes: u64,
}

pub fn measure(root: &Path, name: &str) -> Result<FileSize, String> {
    let path = root.join(name);
    let raw = std::fs::metadata(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let out = cmd::output(
        Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -9 -c '{}' | wc -c", path.display())),
    )?;
    let gzip = out
        .trim()
        .parse()
        .map_err(|_| format!("gzip of {name}: {out}"))?;
    Ok(FileSize {
        name: name.to_owned(),
        raw,
        gzip,
    })
}

/// The built widget's download, from `edge/public`.
pub fn download() -> Result<Download, String> {
    let root = cmd::root();
    let files = [
        "edge/public/v1/widget.js",
        "edge/public/v1/widget/ringproof-widget.js",
        "edge/public/v1/widget/ringproof-widget_bg.wasm",
    ]
    .iter()
    .map(|f| measure(&root, f))
    .collect::<Result<_, _>>()?;
    let mut catalogs = Vec::new();
    for c in crate::build::catalogs(&root.join("edge/public/v1/widget/i18n"))? {
        let name = c
            .strip_prefix(&root)
            .unwrap_or(&c)
            .to_string_lossy()
            .into_owned();
        catalogs.push(measure(&root, &name)?);
    }
    Ok(Download { files, catalogs })
}

pub fn read() -> Result<Budget, String> {
    let path = cmd::root().join("widget/budget.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse(text: &str) -> Result<Budget, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let bytes = |k: &str| {
        v[k].as_u64()
            .ok_or_else(|| format!("`{k}` must be a whole number of bytes"))
    };
    Ok(Budget {
        page_gzip_bytes: bytes("page_gzip_bytes")?,
        goal_gzip_bytes: bytes("goal_gzip_bytes")?,
    })
}

/// Within budget, or why not.
pub fn judge(total: u64, budget: &Budget) -> Result<(), String> {
    if total > budget.page_gzip_bytes {
        return Err(format!(
            "the widget's download is {total} B gzipped, {} B over its budget of {} B \
             (widget/budget.json): `cargo xtask bench` shows where the bytes go",
            total - budget.page_gzip_bytes,
            budget.page_gzip_bytes
        ));
    }
    Ok(())
}

/// Fails the build when the widget's download is over its budget.
pub fn enforce() -> Result<(), String> {
    let total = download()?.total();
    let budget = read()?;
    judge(total, &budget)?;
    println!(
        "    widget download {total} B gzipped: budget {} B, {} B to spare",
        budget.page_gzip_bytes,
        budget.page_gzip_bytes - total
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget {
            page_gzip_bytes: 1000,
            goal_gzip_bytes: 900,
        }
    }

    #[test]
    fn a_download_over_its_budget_fails_the_build() {
        assert!(judge(1000, &budget()).is_ok());
        let e = judge(1001, &budget()).unwrap_err();
        assert!(e.contains("1 B over"), "{e}");
    }

    #[test]
    fn the_total_counts_the_largest_catalog_only() {
        let f = |name: &str, gzip| FileSize {
            name: name.into(),
            raw: gzip * 3,
            gzip,
        };
        let d = Download {
            files: vec![f("loader", 10), f("wasm", 100)],
            catalogs: vec![f("en", 5), f("ru", 7), f("ja", 6)],
        };
        assert_eq!(d.total(), 117);
        assert_eq!(d.largest_catalog().map(|c| c.name.as_str()), Some("ru"));
    }

    #[test]
    fn the_repository_budget_reads_and_is_no_more_than_the_issue_allows() {
        let b = read().unwrap();
        assert!(b.goal_gzip_bytes <= b.page_gzip_bytes, "{b:?}");
        // Issue 26: never more than the 116,916 B the widget downloaded before it.
        assert!(b.page_gzip_bytes <= 116_916, "{b:?}");
        assert!(parse(r#"{"page_gzip_bytes": "big", "goal_gzip_bytes": 1}"#).is_err());
    }
}
