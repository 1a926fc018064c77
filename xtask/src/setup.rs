//! Provisioning: every tool the project needs, installed once into a cache outside the
//! checkout (`$RINGPROOF_CACHE`, default `~/.cache/ringproof`) so clones, CI runs and later
//! sessions reuse it. Each step checks before it installs, so a second run takes seconds.

use crate::cmd::{self, step};
use std::path::{Path, PathBuf};
use std::process::Command;

const TRUNK: &str = "0.21.14";
const WORKER_BUILD: &str = "0.8.7";
const APT_WASM: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-llvm",
    "lld-22",
];
/// The browser, and a Devanagari font so `cargo xtask shots` in Hindi shows its script (Arabic
/// comes with DejaVu).
const APT_BROWSER: &[&str] = &["chromium", "chromium-driver", "fonts-lohit-deva"];
const WASM: &str = "wasm32-unknown-unknown";
/// Name under which the Debian toolchain is linked into rustup.
const DEBIAN_TOOLCHAIN: &str = "debian-web";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Dev,
    All,
}

pub struct Tools {
    /// `RUSTUP_TOOLCHAIN` for wasm builds; `None` when the default toolchain has the target.
    pub wasm_toolchain: Option<String>,
    pub wasm_bindgen_bin: PathBuf,
    pub trunk: PathBuf,
    pub worker_build: PathBuf,
    pub npm_bin: PathBuf,
    pub esbuild: PathBuf,
    pub cache: PathBuf,
    pub chromedriver: Option<PathBuf>,
    /// A Python with the official TeleSign SDK, for the test that checks our signing against it.
    pub python: Option<PathBuf>,
}

impl Tools {
    pub fn wasm_opt(&self) -> PathBuf {
        self.npm_bin.join("wasm-opt")
    }

    pub fn wrangler(&self) -> PathBuf {
        self.npm_bin.join("wrangler")
    }

    /// `PATH` for wasm builds: our wasm-bindgen and wasm-opt first, so trunk uses them.
    pub fn path_env(&self) -> String {
        let mut parts = vec![
            self.wasm_bindgen_bin
                .parent()
                .unwrap()
                .display()
                .to_string(),
            self.npm_bin.display().to_string(),
        ];
        parts.extend(std::env::var("PATH").ok());
        parts.join(":")
    }

    /// What the test harness needs to start the edge and a browser.
    pub fn harness_env(&self) -> Vec<(String, String)> {
        let mut v = vec![
            (
                "RINGPROOF_WRANGLER".into(),
                self.wrangler().display().to_string(),
            ),
            (
                "RINGPROOF_EDGE_DIR".into(),
                cmd::root().join("edge").display().to_string(),
            ),
        ];
        if let Some(d) = &self.chromedriver {
            v.push(("RINGPROOF_CHROMEDRIVER".into(), d.display().to_string()));
        }
        // axe-core, which the browser scenarios inject to scan the widget at every step.
        let axe = self.npm_bin.join("../axe-core/axe.min.js");
        v.push(("RINGPROOF_AXE".into(), axe.display().to_string()));
        // Vue's browser build, for the scenario that runs the README's Vue example.
        let vue = self.npm_bin.join("../vue/dist/vue.global.prod.js");
        v.push(("RINGPROOF_VUE".into(), vue.display().to_string()));
        if let Some(p) = &self.python {
            v.push(("RINGPROOF_PYTHON".into(), p.display().to_string()));
        }
        v
    }
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("RINGPROOF_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache/ringproof"))
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

pub fn run(needs: Needs) -> Result<Tools, String> {
    let cache = cache_dir();
    std::fs::create_dir_all(&cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    println!("Setting up (tools are cached in {}).", cache.display());
    let wasm_toolchain = step("wasm32 target for Rust", wasm_target)?;
    let bindgen_version = wasm_bindgen_version()?;
    let wasm_bindgen_bin = step(&format!("wasm-bindgen-cli {bindgen_version}"), || {
        // Not --locked: the registry mirror lacks one locked transitive version.
        cargo_tool(
            &cache,
            "wasm-bindgen-cli",
            &bindgen_version,
            "wasm-bindgen",
            false,
        )
    })?;
    let worker_build = step(
        &format!("worker-build {WORKER_BUILD} (about 4 min the first time)"),
        || cargo_tool(&cache, "worker-build", WORKER_BUILD, "worker-build", true),
    )?;
    let trunk = step(
        &format!("trunk {TRUNK} (about 11 min the first time)"),
        || cargo_tool(&cache, "trunk", TRUNK, "trunk", true),
    )?;
    let npm_bin = step(
        "npm tools: wrangler, esbuild, binaryen, axe-core, vue",
        || npm_tools(&cache),
    )?;
    let esbuild = npm_bin
        .parent()
        .unwrap()
        .join("@esbuild/linux-x64/bin/esbuild");
    let (chromedriver, python) = if needs == Needs::All {
        (
            Some(step("Chromium and ChromeDriver", browser)?),
            Some(step(
                "Python with the official TeleSign SDK (a few seconds the first time)",
                || python_tools(&cache),
            )?),
        )
    } else {
        (None, None)
    };
    Ok(Tools {
        wasm_toolchain,
        wasm_bindgen_bin,
        trunk,
        worker_build,
        npm_bin,
        esbuild,
        cache,
        chromedriver,
        python,
    })
}

/// The normal route (rustup) first; where rustup's servers are out of reach, Debian's packaged
/// Rust, whose compiler has the wasm backend, with a std we build for it once.
fn wasm_target() -> Result<Option<String>, String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if installed.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(WASM)) {
        println!("    rustup's default toolchain has {WASM}");
        return Ok(None);
    }
    if std::env::var_os("RINGPROOF_NO_RUSTUP").is_none() {
        println!("    trying `rustup target add {WASM}` (60 s limit)");
        if cmd::succeeds(Command::new("timeout").args(["60", "rustup", "target", "add", WASM])) {
            return Ok(None);
        }
        println!("    rustup could not fetch the target; using Debian's rustc-web instead");
    }
    apt_install(APT_WASM)?;
    if !debian_std_installed() {
        build_debian_std()?;
    }
    let linked = Command::new("rustup").args(["toolchain", "list"]).output();
    if !linked.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(DEBIAN_TOOLCHAIN)) {
        cmd::run(Command::new("rustup").args(["toolchain", "link", DEBIAN_TOOLCHAIN, "/usr"]))?;
    }
    Ok(Some(DEBIAN_TOOLCHAIN.into()))
}

fn debian_std_dir() -> PathBuf {
    PathBuf::from(format!("/usr/lib/rustlib/{WASM}/lib"))
}

fn debian_std_installed() -> bool {
    std::fs::read_dir(debian_std_dir()).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
    })
}

/// Debian packages the compiler's wasm backend and std's source, not a wasm std: build it once
/// (about 70 s) with -Zbuild-std in a throwaway crate and install it into that sysroot.
fn build_debian_std() -> Result<(), String> {
    println!("    building the wasm32 std for Debian's rustc (once per machine, about 70 s)");
    let dir = cache_dir().join("std-build");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"stdbuild\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
         [profile.release]\nopt-level = 3\ncodegen-units = 1\npanic = \"abort\"\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/lib.rs"), "#![no_std]\n").map_err(|e| e.to_string())?;
    cmd::run(
        Command::new("/usr/bin/cargo")
            .current_dir(&dir)
            .env("RUSTC", "/usr/bin/rustc")
            .env("RUSTC_BOOTSTRAP", "1")
            .env(
                "RUSTFLAGS",
                "-Cembed-bitcode=yes -Zforce-unstable-if-unmarked -Cdebuginfo=0",
            )
            .env_remove("RUSTUP_TOOLCHAIN")
            .args([
                "build",
                "--release",
                "-Zbuild-std=std,panic_abort",
                "--target",
                WASM,
            ]),
    )?;
    let deps = dir.join(format!("target/{WASM}/release/deps"));
    let dest = debian_std_dir();
    let copy = format!(
        "mkdir -p {dest} && find {deps} -name '*.rlib' ! -name 'libstdbuild-*' -exec cp {{}} {dest}/ \\;",
        dest = dest.display(),
        deps = deps.display()
    );
    cmd::run(&mut privileged(&["sh", "-c", &copy]))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(cmd::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen".into())
}

/// twiggy, for the bench's breakdown of the widget's wasm; installed on first use (a few
/// minutes to compile), not by `setup`, since only `bench` needs it.
pub fn twiggy(cache: &Path) -> Result<PathBuf, String> {
    step("twiggy (wasm size profiler)", || {
        cargo_tool(cache, "twiggy", "0.8.0", "twiggy", true)
    })
}

/// `cargo install` into `<cache>/tools/<crate>-<version>`, keyed by version so upgrades never
/// mix with old builds.
fn cargo_tool(
    cache: &Path,
    krate: &str,
    version: &str,
    bin: &str,
    locked: bool,
) -> Result<PathBuf, String> {
    let root = cache.join(format!("tools/{krate}-{version}"));
    let exe = root.join("bin").join(bin);
    if exe.exists() {
        println!("    cached: {}", exe.display());
        return Ok(exe);
    }
    let mut c = Command::new("cargo");
    c.current_dir(cache)
        .env_remove("RUSTUP_TOOLCHAIN")
        .arg("install");
    if locked {
        c.arg("--locked");
    }
    c.arg("--root").arg(&root).arg(format!("{krate}@{version}"));
    cmd::run(&mut c).map_err(|e| {
        format!("{e}\n    check that crates.io is reachable, then run `cargo xtask setup` again")
    })?;
    Ok(exe)
}

/// Installs the npm packages pinned in `xtask/npm/package-lock.json` into a cache directory
/// named after the lockfile's hash.
fn npm_tools(cache: &Path) -> Result<PathBuf, String> {
    let src = cmd::root().join("xtask/npm");
    let manifest = std::fs::read_to_string(src.join("package.json")).map_err(|e| e.to_string())?;
    let lock = std::fs::read_to_string(src.join("package-lock.json")).map_err(|e| e.to_string())?;
    let hash = ringproof_core::secret::hash(&(manifest.clone() + &lock));
    let dir = cache.join(format!("npm-{}", &hash[..16]));
    let bin = dir.join("node_modules/.bin");
    let axe = dir.join("node_modules/axe-core/axe.min.js");
    let vue = dir.join("node_modules/vue/dist/vue.global.prod.js");
    if bin.join("wrangler").exists()
        && bin.join("wasm-opt").exists()
        && axe.exists()
        && vue.exists()
    {
        println!("    cached: {}", dir.display());
        return Ok(bin);
    }
    let node = cmd::output(Command::new("node").arg("--version"))
        .map_err(|_| "Node.js is not installed: install Node.js 20 or newer (e.g. apt-get install nodejs npm)".to_string())?;
    println!("    Node.js {}", node.trim());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("package.json"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("package-lock.json"), lock).map_err(|e| e.to_string())?;
    cmd::run(Command::new("npm").current_dir(&dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]))
    .map_err(|e| format!("{e}\n    check that the npm registry is reachable"))?;
    Ok(bin)
}

/// The official TeleSign SDK for the test that checks our TSA signing against it, pinned with
/// its dependencies in `xtask/python/requirements.txt`, in a virtualenv named after that file's
/// hash: a changed pin gets a fresh venv, never one with old packages mixed in.
fn python_tools(cache: &Path) -> Result<PathBuf, String> {
    let requirements = cmd::root().join("xtask/python/requirements.txt");
    let pinned = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let hash = ringproof_core::secret::hash(&pinned);
    let dir = cache.join(format!("python-{}", &hash[..16]));
    let python = dir.join("bin/python");
    // Written last, so a venv left by an interrupted run is made again rather than trusted.
    let done = dir.join(".installed");
    if done.exists() && python.exists() {
        println!("    cached: {}", dir.display());
        return Ok(python);
    }
    let version = cmd::output(Command::new("python3").arg("--version")).map_err(|_| {
        "Python 3 is not installed: install Python 3.9 or newer with venv (e.g. apt-get install python3 python3-venv)".to_string()
    })?;
    println!("    {}", version.trim());
    let _ = std::fs::remove_dir_all(&dir);
    cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&dir)).map_err(|e| {
        format!("{e}\n    Debian packages venv separately: apt-get install python3-venv")
    })?;
    cmd::run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--no-input"])
            .args(["--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )
    .map_err(|e| {
        format!("{e}\n    check that PyPI is reachable, then run `cargo xtask setup` again")
    })?;
    std::fs::write(&done, &pinned).map_err(|e| e.to_string())?;
    Ok(python)
}

fn browser() -> Result<PathBuf, String> {
    apt_install(APT_BROWSER)?;
    Ok(PathBuf::from("/usr/bin/chromedriver"))
}

fn apt_install(pkgs: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = pkgs
        .iter()
        .copied()
        .filter(|p| {
            let out = Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output();
            !out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        println!("    installed: {}", pkgs.join(" "));
        return Ok(());
    }
    println!("    apt-get install {}", missing.join(" "));
    cmd::run(&mut privileged(&["apt-get", "update", "-q"]))?;
    let mut args = vec!["apt-get", "install", "-y", "-q"];
    args.extend(&missing);
    cmd::run(privileged(&args).env("DEBIAN_FRONTEND", "noninteractive")).map_err(|e| {
        format!(
            "{e}\n    this needs Debian 12 (bookworm) with its security updates and root or sudo"
        )
    })
}

/// Runs as root: directly when we are root, else through sudo.
fn privileged(args: &[&str]) -> Command {
    let root = cmd::output(Command::new("id").arg("-u")).is_ok_and(|u| u.trim() == "0");
    let mut c = if root {
        Command::new(args[0])
    } else {
        let mut c = Command::new("sudo");
        c.arg(args[0]);
        c
    };
    c.args(&args[1..]);
    c
}
