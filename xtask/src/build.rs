//! Building the two wasm outputs and assembling what the edge serves.

use crate::cmd::{self, step};
use crate::setup::Tools;
use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256, Sha384};
use std::path::Path;
use std::process::Command;

pub fn all(tools: &Tools) -> Result<(), String> {
    step("fetching crates", || {
        cmd::run(cmd::cargo().args(["fetch", "--quiet"]))
    })?;
    step("building the widget (trunk, release)", || widget(tools))?;
    step("building the console (trunk, release)", || console(tools))?;
    step("assembling the edge's static files", assets)?;
    step(
        "holding the widget to its size budget",
        crate::budget::enforce,
    )?;
    step("building the edge worker (worker-build, release)", || {
        edge(tools)
    })
}

fn wasm_command(tools: &Tools, program: &Path, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("PATH", tools.path_env())
        .env("CARGO_TARGET_DIR", wasm_target_dir(tools));
    match &tools.wasm_toolchain {
        Some(t) => c.env("RUSTUP_TOOLCHAIN", t),
        None => c.env_remove("RUSTUP_TOOLCHAIN"),
    };
    c
}

/// Outside the checkout, so a fresh clone on this machine reuses a build of the same path; one
/// per checkout, because cargo names workspace crates' artifacts by their path *within* the
/// workspace: two clones sharing a directory overwrite each other's crates and can link stale
/// ones.
fn wasm_target_dir(tools: &Tools) -> std::path::PathBuf {
    let root = cmd::root().display().to_string();
    let hash = ringproof_core::secret::hash(&root);
    tools.cache.join(format!("target-wasm-{}", &hash[..12]))
}

fn widget(tools: &Tools) -> Result<(), String> {
    trunk(tools, "widget", "/v1/widget/")
}

/// `trunk build` of the app in `dir`, for the edge to serve at `public_url`.
fn trunk(tools: &Tools, dir: &str, public_url: &str) -> Result<(), String> {
    let dir = cmd::root().join(dir);
    cmd::run(wasm_command(tools, &tools.trunk, &dir).args([
        "build",
        "--release",
        "--offline",
        "--filehash",
        "false",
        "--public-url",
        public_url,
    ]))
}

/// The site owners' console, served at `/console/` (`edge/public/console`).
fn console(tools: &Tools) -> Result<(), String> {
    trunk(tools, "console", "/console/")
}

/// Releases `edge/public/v1/releases` keeps, the newest built: a page pinned to one of them by
/// SRI keeps working across this many deploys from the same working copy.
pub const RELEASES_KEPT: usize = 10;
/// Written in each release's folder at each build: its age, for [`prune_releases`].
const BUILT_MARK: &str = ".built";

/// `edge/public`: the demo page, the loader at `/v1/widget.js`, the widget's module and wasm
/// under `/v1/widget/`, and the console under `/console/`. Earlier releases are kept (see [`RELEASES_KEPT`]).
fn assets() -> Result<(), String> {
    let root = cmd::root();
    let public = root.join("edge/public");
    clear_except_releases(&public)?;
    let widget_dir = public.join("v1/widget");
    std::fs::create_dir_all(&widget_dir).map_err(|e| e.to_string())?;
    let copy = |from: &Path, to: &Path| {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
    };
    copy(&root.join("index.html"), &public.join("index.html"))?;
    copy(&root.join("widget/_headers"), &public.join("_headers"))?;
    copy(
        &root.join("widget/ringproof.d.ts"),
        &public.join("v1/ringproof.d.ts"),
    )?;
    for f in ["ringproof-widget.js", "ringproof-widget_bg.wasm"] {
        copy(&root.join("widget/dist").join(f), &widget_dir.join(f))?;
    }
    let console_dir = public.join("console");
    std::fs::create_dir_all(&console_dir).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(root.join("console/dist")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        copy(
            &path,
            &console_dir.join(path.file_name().unwrap_or_default()),
        )?;
    }
    // One catalog per language; the loader fetches the visitor's only.
    let i18n = widget_dir.join("i18n");
    std::fs::create_dir_all(&i18n).map_err(|e| e.to_string())?;
    for catalog in catalogs(&root.join("widget/i18n"))? {
        copy(
            &catalog,
            &i18n.join(catalog.file_name().unwrap_or_default()),
        )?;
    }
    release(&root, &public)
}

/// The widget's files again under `/v1/releases/<release>/`, named by their content and cached
/// for a year; the loader carries the release and the integrity of the module and the wasm, and
/// `/v1/release.json` publishes the loader's own, for pages that pin it with SRI.
fn release(root: &Path, public: &Path) -> Result<(), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let write = |p: &Path, bytes: &[u8]| {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(p, bytes).map_err(|e| format!("{}: {e}", p.display()))
    };
    let widget_dir = public.join("v1/widget");
    let module = read(&widget_dir.join("ringproof-widget.js"))?;
    let wasm = read(&widget_dir.join("ringproof-widget_bg.wasm"))?;
    let mut files = vec![
        ("ringproof-widget.js".to_owned(), module.clone()),
        ("ringproof-widget_bg.wasm".to_owned(), wasm.clone()),
    ];
    for c in catalogs(&widget_dir.join("i18n"))? {
        let name = c.file_name().unwrap_or_default().to_string_lossy();
        files.push((format!("i18n/{name}"), read(&c)?));
    }
    let mut all = Sha256::new();
    for (name, bytes) in &files {
        all.update(name.as_bytes());
        all.update((bytes.len() as u64).to_be_bytes());
        all.update(bytes);
    }
    let id: String = all
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = public.join("v1/releases").join(&id);
    for (name, bytes) in &files {
        write(&dir.join(name), bytes)?;
    }
    let loader = std::fs::read_to_string(root.join("widget/loader.js"))
        .map_err(|e| format!("widget/loader.js: {e}"))?
        .replace("__RINGPROOF_RELEASE__", &id)
        .replace("__RINGPROOF_MODULE_INTEGRITY__", &integrity(&module))
        .replace("__RINGPROOF_WASM_INTEGRITY__", &integrity(&wasm));
    write(&public.join("v1/widget.js"), loader.as_bytes())?;
    write(&dir.join("widget.js"), loader.as_bytes())?;
    let published = serde_json::json!({
        "release": id,
        "loader": format!("/v1/releases/{id}/widget.js"),
        "integrity": integrity(loader.as_bytes()),
        "module_integrity": integrity(&module),
        "wasm_integrity": integrity(&wasm),
    });
    write(
        &public.join("v1/release.json"),
        serde_json::to_string_pretty(&published)
            .map_err(|e| e.to_string())?
            .as_bytes(),
    )?;
    write(&dir.join(BUILT_MARK), b"")?;
    let pruned = prune_releases(&public.join("v1/releases"), RELEASES_KEPT)?;
    if !pruned.is_empty() {
        println!(
            "    releases older than the last {RELEASES_KEPT} removed: {}",
            pruned.join(", ")
        );
    }
    println!(
        "    widget release {id}: <script src=\"https://YOUR-EDGE/v1/releases/{id}/widget.js\" integrity=\"{}\" crossorigin=\"anonymous\" async></script>",
        published["integrity"].as_str().unwrap_or_default()
    );
    Ok(())
}

/// Empties `public` but for `v1/releases`.
fn clear_except_releases(public: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(public) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name() == "v1" {
            for inner in std::fs::read_dir(&path)
                .map_err(|e| e.to_string())?
                .flatten()
            {
                if inner.file_name() != "releases" {
                    remove(&inner.path())?;
                }
            }
        } else {
            remove(&path)?;
        }
    }
    Ok(())
}

fn remove(path: &Path) -> Result<(), String> {
    let removed = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    removed.map_err(|e| format!("{}: {e}", path.display()))
}

/// Removes all but the `keep` most recently built releases under `releases`; answers the ids
/// removed. A folder without the build mark counts as the oldest.
pub fn prune_releases(releases: &Path, keep: usize) -> Result<Vec<String>, String> {
    let mut built: Vec<(std::time::SystemTime, std::path::PathBuf)> = std::fs::read_dir(releases)
        .map_err(|e| format!("{}: {e}", releases.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let at = std::fs::metadata(e.path().join(BUILT_MARK))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (at, e.path())
        })
        .collect();
    built.sort_by_key(|b| std::cmp::Reverse(b.0));
    let mut removed = Vec::new();
    for (_, path) in built.into_iter().skip(keep) {
        remove(&path)?;
        removed.push(
            path.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
    }
    removed.sort();
    Ok(removed)
}

/// Subresource Integrity's `sha384-<base64>`.
fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)))
}

fn edge(tools: &Tools) -> Result<(), String> {
    let dir = cmd::root().join("edge");
    cmd::run(
        wasm_command(tools, &tools.worker_build, &dir)
            .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen_bin)
            .env("ESBUILD_BIN", &tools.esbuild)
            .env("WASM_OPT_BIN", tools.wasm_opt())
            .arg("--release"),
    )
}

/// `widget/i18n/*.json`, by name.
pub fn catalogs(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    found.sort();
    Ok(found)
}

/// Sizes users pay for: what a page downloads for the widget, and the worker's wasm.
pub fn report_sizes() -> Result<(), String> {
    let root = cmd::root();
    let gz = |p: &Path| -> Result<(u64, u64), String> {
        let name = p.strip_prefix(&root).unwrap_or(p).to_string_lossy();
        let s = crate::budget::measure(&root, &name)?;
        Ok((s.raw, s.gzip))
    };
    println!("\nSizes (raw / gzip -9):");
    let download = crate::budget::download()?;
    for f in download.files.iter().chain(&download.catalogs) {
        println!("  {:<50} {:>9} B / {:>8} B", f.name, f.raw, f.gzip);
    }
    let total = download.total();
    let budget = crate::budget::read()?;
    println!(
        "  {:<50} {:>9}   / {total:>8} B",
        "widget total (loader, module, wasm, largest catalog)", ""
    );
    println!(
        "  {:<50} {:>9}   / {:>8} B ({})",
        "widget budget (widget/budget.json)",
        "",
        budget.page_gzip_bytes,
        if total <= budget.page_gzip_bytes {
            format!("{} B to spare", budget.page_gzip_bytes - total)
        } else {
            format!("{} B OVER", total - budget.page_gzip_bytes)
        }
    );
    println!(
        "  {:<50} {:>9}   / {:>8} B ({} B to go)",
        "widget goal",
        "",
        budget.goal_gzip_bytes,
        total.saturating_sub(budget.goal_gzip_bytes)
    );
    let (raw, z) = gz(&root.join("edge/build/index_bg.wasm"))?;
    println!(
        "  {:<50} {raw:>9} B / {z:>8} B",
        "edge/build/index_bg.wasm (worker)"
    );
    // The console: only site owners and the operator download it, so it has no budget; its
    // figure is here so a change that grows it is seen.
    let mut console = 0;
    let dir = root.join("edge/public/console");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in files {
        let (raw, z) = gz(&f)?;
        console += z;
        let name = format!(
            "edge/public/console/{}",
            f.file_name().unwrap_or_default().to_string_lossy()
        );
        println!("  {name:<50} {raw:>9} B / {z:>8} B");
    }
    println!("  {:<50} {:>9}   / {console:>8} B", "console total", "");
    Ok(())
}

/// The widget's wasm as a page gets it (wasm-bindgen, then `wasm-opt -Oz`) but with its
/// function names kept, measured by twiggy: where the bytes go, by crate and by function.
pub fn report_wasm_contributors(tools: &Tools) -> Result<(), String> {
    let twiggy = crate::setup::twiggy(&tools.cache)?;
    let raw = wasm_target_dir(tools).join("wasm32-unknown-unknown/release/ringproof_widget.wasm");
    let out = tools.cache.join("widget-named");
    let _ = std::fs::remove_dir_all(&out);
    cmd::run(
        Command::new(&tools.wasm_bindgen_bin)
            .args(["--target", "web", "--keep-debug", "--out-dir"])
            .arg(&out)
            .arg(&raw),
    )?;
    let named = out.join("named.wasm");
    cmd::run(
        Command::new(tools.wasm_opt())
            .arg(out.join("ringproof_widget_bg.wasm"))
            .args(["-Oz", "-g", "-o"])
            .arg(&named),
    )?;
    let json = cmd::output(
        Command::new(&twiggy)
            .args(["top", "-n", "1000000", "-f", "json"])
            .arg(&named),
    )?;
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&json).map_err(|e| format!("twiggy's answer: {e}"))?;
    let sized: Vec<(String, u64)> = items
        .iter()
        .filter_map(|i| Some((i["name"].as_str()?.to_owned(), i["shallow_size"].as_u64()?)))
        // Names and custom sections are what this build keeps for twiggy; the page gets none.
        .filter(|(n, _)| !n.contains("subsection") && !n.starts_with("custom section"))
        .collect();
    let total: u64 = sized.iter().map(|(_, b)| b).sum();
    let mut by_crate = std::collections::BTreeMap::<String, u64>::new();
    for (name, bytes) in &sized {
        *by_crate.entry(crate_of(name)).or_default() += bytes;
    }
    let mut crates: Vec<_> = by_crate.into_iter().collect();
    crates.sort_by_key(|c| std::cmp::Reverse(c.1));
    println!(
        "\nWidget wasm by crate (after wasm-opt, before gzip; twiggy, {total} B of code and data):"
    );
    for (name, bytes) in crates.iter().take(12) {
        println!(
            "  {name:<40} {bytes:>8} B  {:>5.1}%",
            *bytes as f64 * 100.0 / total as f64
        );
    }
    println!("  largest items:");
    for (name, bytes) in sized.iter().take(8) {
        let short: String = name.chars().take(90).collect();
        println!("  {bytes:>8} B  {short}");
    }
    Ok(())
}

/// The crate a (demangled) item belongs to: its path's first segment; for `<T as Trait>::f`
/// the type's crate, or the trait's when the type is a bare generic.
fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "(data: strings, tables)".into();
    }
    let first_crate = |path: &str| -> Option<String> {
        let path = path
            .trim_start_matches(['<', '&', '*', '('])
            .trim_start_matches("mut ")
            .trim_start_matches("dyn ");
        let (krate, _) = path.split_once("::")?;
        (!krate.contains([' ', '<', ',']))
            .then(|| krate.split('[').next().unwrap_or(krate).to_owned())
    };
    if let Some((ty, rest)) = name.trim_start_matches(['<', '&']).split_once(" as ") {
        if let Some(k) = first_crate(ty).or_else(|| first_crate(rest)) {
            return k;
        }
    }
    first_crate(name).unwrap_or_else(|| "(other: wasm-bindgen glue, tables)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_releases_are_kept() {
        let dir = std::env::temp_dir().join(format!("ringproof-releases-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (i, id) in ["aa", "bb", "cc", "dd"].iter().enumerate() {
            let release = dir.join(id);
            std::fs::create_dir_all(&release).unwrap();
            std::fs::write(release.join("widget.js"), "x").unwrap();
            let mark = std::fs::File::create(release.join(BUILT_MARK)).unwrap();
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + i as u64);
            mark.set_modified(at).unwrap();
        }
        // A release built again (the same content) is the newest.
        let again = std::fs::File::options()
            .write(true)
            .open(dir.join("aa").join(BUILT_MARK));
        again
            .unwrap()
            .set_modified(std::time::SystemTime::now())
            .unwrap();
        assert_eq!(prune_releases(&dir, 2).unwrap(), ["bb", "cc"]);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["aa", "dd"]);
        assert!(prune_releases(&dir, 10).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
