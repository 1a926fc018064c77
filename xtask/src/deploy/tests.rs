use super::*;

fn base() -> String {
    std::fs::read_to_string(cmd::root().join("edge/wrangler.toml")).unwrap()
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    from_environment(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn ids() -> Ids {
    Ids {
        kv: "0123456789abcdef0123456789abcdef".into(),
        d1: "11111111-2222-3333-4444-555555555555".into(),
    }
}

#[test]
fn the_configuration_gets_the_ids_absolute_paths_and_the_environments_vars() {
    let edge = Path::new("/srv/ringproof/edge");
    let given = env(&[
        ("INBOUND_NUMBERS", "+14155550100=twilio"),
        ("MCN_BASE_URL", "https://mcn.example/\"quoted\""),
    ]);
    let out = render(&base(), &ids(), &given, edge).unwrap();
    assert!(
        out.contains(r#"id = "0123456789abcdef0123456789abcdef""#),
        "{out}"
    );
    assert!(out.contains(r#"database_id = "11111111-2222-3333-4444-555555555555""#));
    assert!(!out.contains(PLACEHOLDER_KV) && !out.contains(PLACEHOLDER_D1));
    assert!(
        out.contains(r#"main = "/srv/ringproof/edge/build/index.js""#),
        "{out}"
    );
    assert!(out.contains(r#"migrations_dir = "/srv/ringproof/edge/migrations""#));
    // A var the base lists is replaced in place; one it only mentions in a comment is added.
    assert!(
        out.contains(r#"MCN_BASE_URL = "https://mcn.example/\"quoted\"""#),
        "{out}"
    );
    assert!(!out.contains("paidmethods.mcn.ru\"\n"));
    assert!(out.contains(r#"INBOUND_NUMBERS = "+14155550100=twilio""#));
    // Still the base's own bindings, crons and migrations.
    for kept in ["crons = [", "class_name = \"HealthObject\"", "tag = \"v6\""] {
        assert!(out.contains(kept), "{kept}");
    }
}

#[test]
fn no_secret_and_no_local_only_setting_reaches_the_configuration() {
    let given = env(&[
        ("MCN_TOKEN", "sentinel-mcn-token"),
        ("TOKEN_KEY", "sentinel-token-key"),
        ("OPERATOR_NUMBERS", "+447400900111"),
        ("SANDBOX", "true"),
        ("LOCAL_DEVELOPMENT", "true"),
        ("TURNSTILE_SITEVERIFY_URL", "http://127.0.0.1:9/"),
    ]);
    let out = render(&base(), &ids(), &given, Path::new("/e")).unwrap();
    for leaked in [
        "sentinel",
        "+447400900111",
        "LOCAL_DEVELOPMENT",
        "TURNSTILE_SITEVERIFY_URL",
        "127.0.0.1",
    ] {
        assert!(!out.contains(leaked), "{leaked} in\n{out}");
    }
    assert!(out.contains(r#"SANDBOX = "false""#));
}

#[test]
fn a_base_without_its_placeholders_is_refused_rather_than_deployed_with_someone_elses_ids() {
    let edited = base().replace(PLACEHOLDER_KV, "ffffffffffffffffffffffffffffffff");
    let err = render(&edited, &ids(), &BTreeMap::new(), Path::new("/e")).unwrap_err();
    assert!(err.contains("placeholder"), "{err}");
}

#[test]
fn only_the_secrets_nobody_chose_and_the_deployment_lacks_are_generated() {
    let first = SecretPlan::new(&BTreeSet::new(), &BTreeMap::new());
    assert_eq!(
        first.generate,
        ["TOKEN_KEY", "SITE_SECRET_KEY", "ADMIN_TOKEN"]
    );
    assert!(first.from_environment.is_empty());
    let missing: Vec<_> = first.missing.iter().map(|s| s.name).collect();
    assert!(missing.contains(&"OPERATOR_NUMBERS") && missing.contains(&"TELESIGN_API_KEY"));
    assert!(
        !missing.contains(&"INBOUND_NUMBERS"),
        "a var is not a missing secret"
    );

    // A later deploy: what the deployment has is kept, never regenerated.
    let present: BTreeSet<String> = ["TOKEN_KEY", "SITE_SECRET_KEY", "ADMIN_TOKEN", "MCN_TOKEN"]
        .map(String::from)
        .into();
    let later = SecretPlan::new(&present, &env(&[("TELESIGN_API_KEY", "k")]));
    assert!(later.generate.is_empty());
    assert_eq!(later.from_environment, ["TELESIGN_API_KEY"]);
    let missing: Vec<_> = later.missing.iter().map(|s| s.name).collect();
    assert!(!missing.contains(&"MCN_TOKEN") && !missing.contains(&"TELESIGN_API_KEY"));

    // The operator's own choice of a generated one is uploaded instead of generating.
    let chosen = SecretPlan::new(&BTreeSet::new(), &env(&[("ADMIN_TOKEN", "mine")]));
    assert_eq!(chosen.generate, ["TOKEN_KEY", "SITE_SECRET_KEY"]);
    assert_eq!(chosen.from_environment, ["ADMIN_TOKEN"]);
}

#[test]
fn empty_and_unknown_environment_variables_are_not_settings() {
    let got = env(&[
        ("MCN_TOKEN", "  "),
        ("HOME", "/root"),
        ("TWILIO_FROM", "+1415"),
    ]);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["TWILIO_FROM"]);
}

#[test]
fn secrets_generated_are_random_and_long_enough() {
    let (a, b) = (random_secret().unwrap(), random_secret().unwrap());
    assert_ne!(a, b);
    assert_eq!(a.len(), 43);
}

#[test]
fn the_private_file_is_the_owners_alone_and_gone_after_use() {
    use std::os::unix::fs::PermissionsExt;
    let file = PrivateFile::write("s.json", "{}").unwrap();
    let path = file.path().to_owned();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
    assert!(!path.starts_with(cmd::root()));
    drop(file);
    assert!(!path.exists() && !path.parent().unwrap().exists());
}

#[test]
fn the_configuration_names_the_worker_database_and_objects() {
    let c = Config::read(&base()).unwrap();
    assert_eq!(c.worker, "ringproof");
    assert_eq!(c.database, "ringproof-history");
    assert_eq!(c.kv_title(), "ringproof-KV");
    c.check_object_migrations().unwrap();
    let unmigrated = format!(
        "{}\n[[durable_objects.bindings]]\nname = \"NEW\"\nclass_name = \"NewObject\"\n",
        base()
    );
    let err = Config::read(&unmigrated)
        .unwrap()
        .check_object_migrations()
        .unwrap_err();
    assert!(err.contains("NewObject"), "{err}");
}

#[test]
fn wranglers_listings_are_read_past_its_banner() {
    let listed = "⛅️ wrangler 4.86.0\n[{\"id\":\"abc\",\"title\":\"ringproof-KV\"},{\"id\":\"x\",\"title\":\"other\"}]";
    assert_eq!(
        find_by(listed, "title", "ringproof-KV", "id").as_deref(),
        Some("abc")
    );
    assert_eq!(find_by(listed, "title", "missing", "id"), None);
    let secrets = "[{\"name\":\"TOKEN_KEY\",\"type\":\"secret_text\"}]";
    assert_eq!(
        secret_names(secrets),
        BTreeSet::from(["TOKEN_KEY".to_string()])
    );
}

/// Every name the edge reads is one deploy knows, and every name deploy knows is read somewhere:
/// a new setting cannot be forgotten by deploy, nor a removed one linger.
#[test]
fn the_settings_are_the_names_the_edge_reads() {
    let root = cmd::root();
    let mut read = BTreeSet::new();
    let mut all_sources = String::new();
    for dir in ["edge/src", "core/src"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            if dir == "edge/src" {
                read.extend(quoted_names(&text));
            }
            all_sources.push_str(&text);
        }
    }
    read.insert("SANDBOX".into());
    for c in ringproof_core::carriers::Carrier::ALL {
        read.insert(c.key_name().to_owned());
    }
    let known: BTreeSet<String> = settings::SETTINGS
        .iter()
        .map(|s| s.name.to_owned())
        .collect();
    let unknown: Vec<_> = read.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "the edge reads {unknown:?}, unknown to core::settings"
    );
    let settings_file = std::fs::read_to_string(root.join("core/src/settings.rs")).unwrap();
    let elsewhere = all_sources.replace(&settings_file, "");
    for s in settings::SETTINGS {
        assert!(
            elsewhere.contains(&format!("\"{}\"", s.name))
                || elsewhere.contains(&format!("{} ", s.name)),
            "{} is in core::settings but nothing reads it",
            s.name
        );
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

/// String literals shaped like environment variables with at least one underscore. Found quote
/// by quote, so an escaped quote elsewhere cannot shift which text counts as inside one.
fn quoted_names(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('"') {
        let run = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
            .count();
        let name = &text[i + 1..i + 1 + run];
        if bytes.get(i + 1 + run) == Some(&b'"')
            && name.contains('_')
            && name.starts_with(|c: char| c.is_ascii_uppercase())
        {
            out.push(name.to_owned());
        }
    }
    out
}
