//! `cargo xtask deploy`: the edge onto Cloudflare in one command.
//!
//! It creates what the deployment lacks (the KV namespace, the D1 database and its migrations;
//! wrangler applies the Durable Object migrations of `wrangler.toml` itself), generates the
//! secrets nobody has to choose, takes the providers' credentials from the environment, and runs
//! `wrangler deploy`. **Nothing secret is written into the checkout**: the deployable
//! configuration (`target/deploy/wrangler.toml`) holds ids and variables only, and the secrets
//! travel in a file readable by the user alone, in a private temporary directory removed when
//! the command ends. The settings it knows are `ringproof_core::settings`.

use crate::cmd::{self, step};
use crate::setup::Tools;
use ringproof_core::settings::{self, Setting, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const USAGE: &str = "usage: cargo xtask deploy [--dry-run] [--no-build]

  Deploys the edge to the Cloudflare account wrangler is signed in to (`npx wrangler login`,
  or CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment):
    - creates the KV namespace <worker>-KV and the D1 database of wrangler.toml when missing,
      and applies the D1 migrations (wrangler applies the Durable Object migrations itself);
    - generates TOKEN_KEY, SITE_SECRET_KEY and ADMIN_TOKEN when the deployment has none
      (ADMIN_TOKEN is shown once), and never replaces one it has;
    - uploads the providers' credentials and OPERATOR_NUMBERS found in the environment
      (asked for when missing and run from a terminal), and takes any [vars] entry set in the
      environment (INBOUND_NUMBERS, PROVIDER_ROUTES, PHONE_CONFIRM_BASE_URL, ...);
    - runs `wrangler deploy` with target/deploy/wrangler.toml, which holds no secret.

  --dry-run   everything that works offline: build, write the configuration, apply the D1
              migrations to a throwaway local database, check the Durable Object migrations,
              list what would be created and generated, and bundle with
              `wrangler deploy --dry-run` into target/deploy/bundle. Needs no account.
  --no-build  deploy what `cargo xtask build` left in edge/build and edge/public";

/// Where the configuration and the dry run's bundle go: generated, outside the sources.
pub fn out_dir() -> PathBuf {
    cmd::root().join("target/deploy")
}

pub fn run(
    args: &[String],
    tools: impl FnOnce(bool) -> Result<Tools, String>,
) -> Result<(), String> {
    let mut dry_run = false;
    let mut build = true;
    for a in args {
        match a.as_str() {
            "--dry-run" => dry_run = true,
            "--no-build" => build = false,
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    let tools = tools(build)?;
    let edge = cmd::root().join("edge");
    for built in [
        "build/index.js",
        "public/index.html",
        "public/console/index.html",
    ] {
        if !edge.join(built).exists() {
            return Err(format!(
                "edge/{built} is missing: run `cargo xtask build` (or deploy without --no-build)"
            ));
        }
    }
    let base = std::fs::read_to_string(edge.join("wrangler.toml"))
        .map_err(|e| format!("cannot read edge/wrangler.toml: {e}"))?;
    let config = Config::read(&base)?;
    step("checking the Durable Object migrations", || {
        config.check_object_migrations()
    })?;
    let env = from_environment(std::env::vars());
    for s in settings::with_source(Source::LocalOnly) {
        if env.contains_key(s.name) {
            println!(
                "    {} is for local development only ({}): not deployed",
                s.name, s.purpose
            );
        }
    }
    let out = out_dir();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let wrangler = Wrangler {
        bin: tools.wrangler(),
        dir: out.clone(),
    };
    if dry_run {
        rehearse(&wrangler, &config, &base, &edge, &env)
    } else {
        deploy(&wrangler, &config, &base, &edge, env)
    }
}

/// The settings the operator's environment gives, non-empty, by name.
pub fn from_environment(vars: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    vars.filter(|(k, v)| settings::find(k).is_some() && !v.trim().is_empty())
        .collect()
}

fn rehearse(
    wrangler: &Wrangler,
    config: &Config,
    base: &str,
    edge: &Path,
    env: &BTreeMap<String, String>,
) -> Result<(), String> {
    let ids = Ids {
        kv: PLACEHOLDER_KV.into(),
        d1: PLACEHOLDER_D1.into(),
    };
    let path = write_config(base, &ids, env, edge)?;
    step(
        "applying the D1 migrations to a throwaway local database",
        || {
            let persist = out_dir().join("d1-rehearsal");
            let _ = std::fs::remove_dir_all(&persist);
            let applied = wrangler.output(
                &path,
                &["d1", "migrations", "apply", "DB", "--local", "--persist-to"],
                &[persist.to_str().unwrap_or_default()],
            );
            let _ = std::fs::remove_dir_all(&persist);
            // wrangler redraws its table as each migration goes; the last ✅ of each is the news.
            let applied = applied?;
            let mut done: Vec<&str> = applied
                .lines()
                .filter(|l| l.contains('✅'))
                .filter_map(|l| l.split_whitespace().find(|w| w.ends_with(".sql")))
                .collect();
            done.sort_unstable();
            done.dedup();
            for name in done {
                println!("    {name}: applied");
            }
            Ok(())
        },
    )?;
    step("bundling with `wrangler deploy --dry-run`", || {
        let bundle = out_dir().join("bundle");
        let _ = std::fs::remove_dir_all(&bundle);
        wrangler.run(
            &path,
            &["deploy", "--dry-run", "--outdir"],
            &[bundle.to_str().unwrap_or_default()],
        )
    })?;
    let plan = SecretPlan::new(&BTreeSet::new(), env);
    println!("\nDry run: nothing was sent to Cloudflare.\n");
    println!("  worker          {}", config.worker);
    println!("  configuration   {} (no secret in it)", path.display());
    println!("  bundle          {}", out_dir().join("bundle").display());
    println!(
        "  would create    KV namespace {:?} and D1 database {:?}, unless the account has them",
        config.kv_title(),
        config.database
    );
    println!("  would apply     the D1 migrations in edge/migrations (checked above)");
    plan.describe(true);
    Ok(())
}

fn deploy(
    wrangler: &Wrangler,
    config: &Config,
    base: &str,
    edge: &Path,
    mut env: BTreeMap<String, String>,
) -> Result<(), String> {
    let kv = step("the KV namespace", || {
        let title = config.kv_title();
        let found = |w: &Wrangler| -> Result<Option<String>, String> {
            let listed = w.output_bare(&["kv", "namespace", "list"])?;
            Ok(find_by(&listed, "title", &title, "id"))
        };
        if let Some(id) = found(wrangler)? {
            println!("    {title}: {id}");
            return Ok(id);
        }
        wrangler.run_bare(&["kv", "namespace", "create", &title])?;
        found(wrangler)?.ok_or_else(|| format!("{title} was created but is not listed"))
    })?;
    let d1 = step("the D1 database", || {
        let found = |w: &Wrangler| -> Result<Option<String>, String> {
            let listed = w.output_bare(&["d1", "list", "--json"])?;
            Ok(find_by(&listed, "name", &config.database, "uuid"))
        };
        if let Some(id) = found(wrangler)? {
            println!("    {}: {id}", config.database);
            return Ok(id);
        }
        wrangler.run_bare(&["d1", "create", &config.database])?;
        found(wrangler)?.ok_or_else(|| format!("{} was created but is not listed", config.database))
    })?;
    let path = write_config(base, &Ids { kv, d1 }, &env, edge)?;
    step("applying the D1 migrations", || {
        wrangler.run(&path, &["d1", "migrations", "apply", "DB", "--remote"], &[])
    })?;
    let present = step("the secrets the deployment has", || {
        match wrangler.output(&path, &["secret", "list", "--format", "json"], &[]) {
            Ok(listed) => Ok(secret_names(&listed)),
            // A first deploy: the worker does not exist yet, so it has no secret.
            Err(e)
                if e.contains("10007")
                    || e.contains("not found")
                    || e.contains("does not exist") =>
            {
                Ok(BTreeSet::new())
            }
            Err(e) => Err(e),
        }
    })?;
    if !present.contains("OPERATOR_NUMBERS") && !env.contains_key("OPERATOR_NUMBERS") {
        if let Some(numbers) = ask("Your own phone numbers (E.164, comma-separated; their console accounts are the operator's), or Enter to skip: ") {
            env.insert("OPERATOR_NUMBERS".into(), numbers);
        }
    }
    let plan = SecretPlan::new(&present, &env);
    let generated: BTreeMap<&str, String> = plan
        .generate
        .iter()
        .map(|name| random_secret().map(|v| (*name, v)))
        .collect::<Result<_, _>>()?;
    let mut upload: BTreeMap<&str, &str> =
        generated.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for name in &plan.from_environment {
        upload.insert(name, &env[*name]);
    }
    step("wrangler deploy", || {
        if upload.is_empty() {
            return wrangler.run(&path, &["deploy"], &[]);
        }
        let file = PrivateFile::write(
            "secrets.json",
            &serde_json::to_string(&upload).unwrap_or_default(),
        )?;
        wrangler.run(
            &path,
            &["deploy", "--secrets-file"],
            &[file.path().to_str().unwrap_or_default()],
        )
    })?;
    println!("\nDeployed {}.", config.worker);
    plan.describe(false);
    if let Some(admin) = generated.get("ADMIN_TOKEN") {
        println!(
            "\n  ADMIN_TOKEN (shown this once; keep it in your password manager):\n    {admin}"
        );
    }
    println!("\nNext: `cargo xtask webhooks --edge https://<your worker's URL>` for the carriers' and providers' webhook URLs.");
    Ok(())
}

/// Reads a line from the operator when a person is there to answer.
fn ask(question: &str) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    print!("{question}");
    std::io::Write::flush(&mut std::io::stdout()).ok()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    Some(line.trim().to_owned()).filter(|l| !l.is_empty())
}

/// 32 bytes from the system's generator, base64url: as long as the edge's keys need.
fn random_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").map_err(|e| format!("/dev/urandom: {e}"))?,
        &mut bytes,
    )
    .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        bytes,
    ))
}

/// What deploy does about each secret, decided from what the deployment has and what the
/// environment gives.
#[derive(Debug)]
pub struct SecretPlan {
    /// Generated now: the deployment has none and the operator gave none.
    pub generate: Vec<&'static str>,
    /// Taken from the environment (replacing the deployment's, when it has one).
    pub from_environment: Vec<&'static str>,
    /// Credentials nobody gave: the features they enable stay off.
    pub missing: Vec<&'static Setting>,
}

impl SecretPlan {
    pub fn new(present: &BTreeSet<String>, env: &BTreeMap<String, String>) -> SecretPlan {
        let mut plan = SecretPlan {
            generate: Vec::new(),
            from_environment: Vec::new(),
            missing: Vec::new(),
        };
        for s in settings::SETTINGS {
            let given = env.contains_key(s.name);
            let has = present.contains(s.name);
            match s.source {
                Source::Generated | Source::Secret if given => plan.from_environment.push(s.name),
                Source::Generated if !has => plan.generate.push(s.name),
                Source::Secret if !has => plan.missing.push(s),
                _ => {}
            }
        }
        plan
    }

    fn describe(&self, rehearsal: bool) {
        let verb = if rehearsal {
            "would generate"
        } else {
            "generated"
        };
        if !self.generate.is_empty() {
            let unless = if rehearsal {
                ", unless the deployment has them"
            } else {
                ""
            };
            println!("  {verb:<15} {}{unless}", self.generate.join(", "));
        }
        let verb = if rehearsal {
            "would upload"
        } else {
            "uploaded"
        };
        if !self.from_environment.is_empty() {
            println!(
                "  {verb:<15} {} (from the environment)",
                self.from_environment.join(", ")
            );
        }
        if !self.missing.is_empty() {
            println!("  not set         (set them in the environment and deploy again)");
            for s in &self.missing {
                println!("    {:<28} {}", s.name, s.purpose);
            }
        }
    }
}

/// The names in `wrangler secret list --format json`: `[{"name": ..., "type": "secret_text"}]`.
fn secret_names(listed: &str) -> BTreeSet<String> {
    serde_json::from_str::<Vec<serde_json::Value>>(json_part(listed))
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect()
}

/// The `want` field of the entry of a JSON list whose `key` is `value`.
fn find_by(listed: &str, key: &str, value: &str, want: &str) -> Option<String> {
    serde_json::from_str::<Vec<serde_json::Value>>(json_part(listed))
        .ok()?
        .into_iter()
        .find(|e| e[key].as_str() == Some(value))
        .and_then(|e| e[want].as_str().map(str::to_owned))
}

/// wrangler may print a banner before the JSON it was asked for.
fn json_part(out: &str) -> &str {
    out.find(['[', '{']).map_or(out, |i| &out[i..])
}

const PLACEHOLDER_KV: &str = "00000000000000000000000000000000";
const PLACEHOLDER_D1: &str = "00000000-0000-0000-0000-000000000000";

pub struct Ids {
    pub kv: String,
    pub d1: String,
}

/// What deploy reads of `edge/wrangler.toml`.
pub struct Config {
    pub worker: String,
    pub database: String,
    /// Durable Object classes bound, and those some `[[migrations]]` entry creates.
    bound: Vec<String>,
    migrated: Vec<String>,
}

impl Config {
    pub fn read(toml: &str) -> Result<Config, String> {
        let value = |key: &str| -> Vec<String> {
            toml.lines()
                .filter_map(|l| l.trim().strip_prefix(key)?.trim_start().strip_prefix('='))
                .filter_map(|v| Some(v.trim().strip_prefix('"')?.strip_suffix('"')?.to_owned()))
                .collect()
        };
        let migrated = toml
            .lines()
            .filter_map(|l| l.trim().strip_prefix("new_sqlite_classes"))
            .flat_map(|v| v.split('"').skip(1).step_by(2).map(str::to_owned))
            .collect();
        let first = |key: &str| {
            value(key)
                .into_iter()
                .next()
                .ok_or_else(|| format!("edge/wrangler.toml has no {key}"))
        };
        Ok(Config {
            worker: first("name")?,
            database: first("database_name")?,
            bound: value("class_name"),
            migrated,
        })
    }

    pub fn kv_title(&self) -> String {
        format!("{}-KV", self.worker)
    }

    /// A Durable Object class bound without a migration creating it fails the deploy late, after
    /// the resources are made; say so first.
    pub fn check_object_migrations(&self) -> Result<(), String> {
        let missing: Vec<_> = self
            .bound
            .iter()
            .filter(|c| !self.migrated.contains(c))
            .collect();
        if self.bound.is_empty() {
            return Err("edge/wrangler.toml binds no Durable Object".into());
        }
        if !missing.is_empty() {
            return Err(format!(
                "no [[migrations]] entry creates {missing:?}: add one with a new tag"
            ));
        }
        println!(
            "    {} classes, each created by a migration",
            self.bound.len()
        );
        Ok(())
    }
}

/// `edge/wrangler.toml` made deployable: the resources' ids, the environment's `[vars]`, and
/// paths made absolute so the file can live outside the sources.
pub fn render(
    base: &str,
    ids: &Ids,
    env: &BTreeMap<String, String>,
    edge: &Path,
) -> Result<String, String> {
    let vars: BTreeMap<&str, &str> = env
        .iter()
        .filter(|(k, _)| settings::find(k).is_some_and(|s| s.source == Source::Var))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut out = String::from(
        "# Written by `cargo xtask deploy` from edge/wrangler.toml: ids and variables, no secret.\n",
    );
    let (mut kv, mut d1, mut in_vars) = (false, false, false);
    let mut written = BTreeSet::new();
    for line in base.lines() {
        let trimmed = line.trim();
        let key = trimmed.split('=').next().unwrap_or_default().trim();
        if trimmed.starts_with('[') {
            in_vars = trimmed == "[vars]";
            out.push_str(line);
            out.push('\n');
            if in_vars {
                for (k, v) in &vars {
                    if !has_key(base, k) {
                        out.push_str(&format!("{k} = {}\n", toml_string(v)));
                        written.insert(*k);
                    }
                }
            }
            continue;
        }
        let replaced = match key {
            "id" if trimmed.contains(PLACEHOLDER_KV) => {
                kv = true;
                Some(ids.kv.clone())
            }
            "database_id" if trimmed.contains(PLACEHOLDER_D1) => {
                d1 = true;
                Some(ids.d1.clone())
            }
            "main" | "directory" | "migrations_dir" => {
                let rel = trimmed.split('"').nth(1).unwrap_or_default();
                Some(edge.join(rel).display().to_string())
            }
            k if in_vars && vars.contains_key(k) => {
                written.insert(k);
                Some(vars[k].to_owned())
            }
            _ => None,
        };
        match replaced {
            Some(v) => out.push_str(&format!("{key} = {}\n", toml_string(&v))),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !(kv && d1) {
        return Err("edge/wrangler.toml lost its placeholder KV id or D1 database_id".into());
    }
    if let Some(k) = vars.keys().find(|k| !written.contains(*k)) {
        return Err(format!("edge/wrangler.toml has no [vars] section for {k}"));
    }
    Ok(out)
}

fn has_key(toml: &str, key: &str) -> bool {
    toml.lines()
        .any(|l| l.trim().split('=').next().is_some_and(|k| k.trim() == key))
}

/// A TOML basic string: JSON's escapes are a subset of TOML's.
fn toml_string(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn write_config(
    base: &str,
    ids: &Ids,
    env: &BTreeMap<String, String>,
    edge: &Path,
) -> Result<PathBuf, String> {
    let path = out_dir().join("wrangler.toml");
    std::fs::write(&path, render(base, ids, env, edge)?)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

struct Wrangler {
    bin: PathBuf,
    dir: PathBuf,
}

impl Wrangler {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.current_dir(&self.dir)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false");
        c
    }

    fn with_config(&self, config: &Path, args: &[&str], tail: &[&str]) -> Command {
        let mut c = self.command();
        c.args(args).args(tail).arg("--config").arg(config);
        c
    }

    fn run(&self, config: &Path, args: &[&str], tail: &[&str]) -> Result<(), String> {
        cmd::run(&mut self.with_config(config, args, tail))
    }

    /// Captures both streams, so a caller can read why wrangler failed.
    fn output(&self, config: &Path, args: &[&str], tail: &[&str]) -> Result<String, String> {
        captured(&mut self.with_config(config, args, tail))
    }

    /// Account-wide commands, which need no configuration.
    fn run_bare(&self, args: &[&str]) -> Result<(), String> {
        cmd::run(self.command().args(args))
    }

    fn output_bare(&self, args: &[&str]) -> Result<String, String> {
        captured(self.command().args(args))
    }
}

fn captured(c: &mut Command) -> Result<String, String> {
    let out = c
        .output()
        .map_err(|e| format!("could not start {:?}: {e}", c.get_program()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "wrangler failed ({}): {}{}",
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A file only its owner can read, in a directory of its own, removed when dropped.
struct PrivateFile {
    dir: PathBuf,
    path: PathBuf,
}

impl PrivateFile {
    fn write(name: &str, contents: &str) -> Result<PrivateFile, String> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let dir = std::env::temp_dir().join(format!("ringproof-deploy-{}", random_secret()?));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(name);
        let file = PrivateFile { dir, path };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file.path)
            .map_err(|e| format!("cannot create {}: {e}", file.path.display()))?;
        std::io::Write::write_all(&mut f, contents.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", file.path.display()))?;
        Ok(file)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests;
