//! Starting and seeding a local edge.

use crate::fake_providers::{incoming_call, CarrierRequest, FakeConfig, FakeProviders};
use crate::watched::{self, Kind};
use ringproof_api::{Channel, SiteLimits};
use ringproof_core::carriers::Carrier;
use ringproof_core::site::{Credentials, Site};
use ringproof_core::Randomness;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The inbound numbers of the sandbox site: Ofcom's range for drama (never a real line).
/// The inbound numbers of the sandbox and of test sites: enough that scenarios sharing one
/// test phone never run out of numbers free for it (see `ringproof_core::line`).
pub const SANDBOX_NUMBERS: &[&str] = &[
    "+442079460000",
    "+442079460001",
    "+442079460002",
    "+442079460003",
    "+442079460004",
    "+442079460005",
    "+442079460006",
    "+442079460007",
    "+442079460008",
    "+442079460009",
    "+442079460010",
    "+442079460011",
    "+442079460012",
    "+442079460013",
    "+442079460014",
    "+442079460015",
    "+442079460016",
    "+442079460017",
    "+442079460018",
    "+442079460019",
    "+442079460020",
    "+442079460021",
    "+442079460022",
    "+442079460023",
    "+442079460024",
    "+442079460025",
    "+442079460026",
    "+442079460027",
    "+442079460028",
    "+442079460029",
    "+442079460030",
    "+442079460031",
    "+442079460032",
    "+442079460033",
    "+442079460034",
    "+442079460035",
    "+442079460036",
    "+442079460037",
    "+442079460038",
    "+442079460039",
    "+442079460040",
    "+442079460041",
    "+442079460042",
    "+442079460043",
    "+442079460044",
    "+442079460045",
    "+442079460046",
    "+442079460047",
    "+442079460048",
    "+442079460049",
    "+442079460050",
    "+442079460051",
    "+442079460052",
    "+442079460053",
    "+442079460054",
    "+442079460055",
    "+442079460056",
    "+442079460057",
    "+442079460058",
    "+442079460059",
];

/// `crypto`-grade bytes on the host, for credentials.
/// Where the demo's sandbox sends paid codes: the seeds' providers serve the UK, India (OneRing),
/// Slovakia and Russia (MCN).
const DEMO_COUNTRIES: [&str; 5] = ["GB", "IN", "SK", "RU", "US"];

/// A limit no scenario reaches by accident.
const HIGH: u32 = ringproof_core::throttle::HITS_MAX;

pub struct OsRandom;

impl Randomness for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(buf))
            .expect("/dev/urandom is readable");
    }
}

/// The secrets a local edge runs with. In production they are `wrangler secret put`.
#[derive(Debug, Clone)]
pub struct DevSecrets {
    pub token_key: String,
    /// `Authorization: Bearer` for `/v1/admin/sites`.
    pub admin_token: String,
    /// Site secrets are derived from it (`ringproof_core::secret`).
    pub site_secret_key: String,
}

#[derive(Debug, Clone, Default)]
pub struct SandboxSite {
    pub site_key: String,
    pub secret: String,
    /// Stored with the site; gives the secret back under the deployment's `SITE_SECRET_KEY`.
    pub salt: String,
    /// OneRing's `ApiKey` and `ActivityTokenId` for `NewMobileRecorded.ashx`.
    pub api_key: String,
    pub activity_token_id: String,
}

impl SandboxSite {
    /// A new site key and its secret under `secrets`.
    pub fn generate(secrets: &DevSecrets) -> Self {
        let mut rng = OsRandom;
        let c = Credentials::generate(&mut rng, secrets.site_secret_key.as_bytes());
        let site = SandboxSite {
            site_key: c.site_key,
            secret: c.secret,
            salt: c.salt,
            api_key: format!("rp_api_{}", rng.token(24)),
            activity_token_id: format!("rp_act_{}", rng.token(12)),
        };
        for secret in [&site.secret, &site.salt, &site.api_key] {
            watched::watch(Kind::Secret, secret);
        }
        watched::watch(Kind::Secret, &site.webhook_secret());
        site
    }

    /// Standard Webhooks' encoding of the secret.
    pub fn webhook_secret(&self) -> String {
        ringproof_core::secret::webhook_secret(&self.secret)
    }
}

/// The scenarios' `PROVIDER_ROUTES`: one provider per channel, but two in India (see
/// `e2e/failover.rs`).
pub const TEST_ROUTES: &str = r#"{"sms": {"*": ["telesign"], "IN": ["telesign", "twilio-messaging"]}, "voice_call": {"*": ["phone-confirm"], "IN": ["phone-confirm", "twilio-voice"]}}"#;

/// Which carrier rents each sandbox number: the four share the pool in turn, so the scenarios'
/// calls go through every carrier's webhook.
pub fn carrier_of(number: &str) -> Carrier {
    rented_from(number).unwrap_or_else(|| panic!("{number} is not a sandbox number"))
}

/// [`carrier_of`] for a number that may not be a sandbox number.
pub fn rented_from(number: &str) -> Option<Carrier> {
    let at = SANDBOX_NUMBERS.iter().position(|n| *n == number)?;
    Some(Carrier::ALL[at % Carrier::ALL.len()])
}

/// `INBOUND_NUMBERS` for the sandbox numbers, each with its carrier.
pub fn inbound_numbers() -> String {
    SANDBOX_NUMBERS
        .iter()
        .map(|n| format!("{n}={}", carrier_of(n).name()))
        .collect::<Vec<_>>()
        .join(",")
}

pub struct LocalEdge {
    child: Child,
    pub base_url: String,
    pub port: u16,
    pub sandbox: SandboxSite,
    pub secrets: DevSecrets,
    /// The telephony providers this edge talks to.
    pub fakes: FakeProviders,
    edge_dir: PathBuf,
    persist: PathBuf,
    wrangler: PathBuf,
    log: Option<PathBuf>,
}

fn env_path(name: &str) -> Result<PathBuf, String> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{name} is not set: run the tests through `cargo xtask test`"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl LocalEdge {
    /// The demo: port 8787, state kept in `edge/.wrangler/state`, credentials kept stable
    /// across runs in `edge/.wrangler/ringproof-dev.txt`.
    pub fn start_dev(env: &[(String, String)]) -> Result<Self, String> {
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| PathBuf::from(v))
                .ok_or_else(|| format!("{k} missing"))
        };
        let edge_dir = get("RINGPROOF_EDGE_DIR")?;
        let state = edge_dir.join(".wrangler");
        std::fs::create_dir_all(&state).map_err(|e| e.to_string())?;
        let creds_file = state.join("ringproof-dev.txt");
        let saved = std::fs::read_to_string(&creds_file).unwrap_or_default();
        let lines: Vec<&str> = saved.lines().collect();
        let (sandbox, secrets) =
            if let [key, secret, salt, api_key, activity, token, admin, master] = lines[..] {
                (
                    SandboxSite {
                        site_key: key.into(),
                        secret: secret.into(),
                        salt: salt.into(),
                        api_key: api_key.into(),
                        activity_token_id: activity.into(),
                    },
                    DevSecrets {
                        token_key: token.into(),
                        admin_token: admin.into(),
                        site_secret_key: master.into(),
                    },
                )
            } else {
                let (s, d) = fresh_credentials();
                let text = [
                    &s.site_key,
                    &s.secret,
                    &s.salt,
                    &s.api_key,
                    &s.activity_token_id,
                    &d.token_key,
                    &d.admin_token,
                    &d.site_secret_key,
                ]
                .iter()
                .map(|l| format!("{l}\n"))
                .collect::<String>();
                std::fs::write(&creds_file, text).map_err(|e| e.to_string())?;
                (s, d)
            };
        Self::start(
            get("RINGPROOF_WRANGLER")?,
            edge_dir,
            Ports {
                edge: 8787,
                fakes: Some(8788),
            },
            state.join("state"),
            sandbox,
            secrets,
            None,
            &[],
            &[],
        )
    }

    /// A fresh edge for a test run: a free port and empty state of its own.
    pub fn start_for_tests() -> Result<Self, String> {
        Self::start_for_tests_without(&[])
    }

    /// [`LocalEdge::start_for_tests`] with the configuration `without` left out, as an
    /// operator who forgot a `wrangler secret put` would deploy it.
    pub fn start_for_tests_without(without: &[&str]) -> Result<Self, String> {
        Self::start_for_tests_changed(without, &[])
    }

    /// [`LocalEdge::start_for_tests`] with the configuration `without` left out and `with`
    /// set instead of the test edge's own (a policy knob, say).
    pub fn start_for_tests_changed(
        without: &[&str],
        with: &[(&str, &str)],
    ) -> Result<Self, String> {
        let wrangler = env_path("RINGPROOF_WRANGLER")?;
        let edge_dir = env_path("RINGPROOF_EDGE_DIR")?;
        let port = free_port();
        let persist =
            std::env::temp_dir().join(format!("ringproof-test-{}-{port}", std::process::id()));
        let (sandbox, secrets) = fresh_credentials();
        let log = persist.with_extension("log");
        Self::start(
            wrangler,
            edge_dir,
            Ports {
                edge: port,
                fakes: None,
            },
            persist,
            sandbox,
            secrets,
            Some(log),
            without,
            with,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start(
        wrangler: PathBuf,
        edge_dir: PathBuf,
        ports: Ports,
        persist: PathBuf,
        sandbox: SandboxSite,
        secrets: DevSecrets,
        log: Option<PathBuf>,
        without: &[&str],
        with: &[(&str, &str)],
    ) -> Result<Self, String> {
        if !edge_dir.join("build/index.js").exists() {
            return Err(
                "the edge is not built: run `cargo xtask dev` or `cargo xtask test`".into(),
            );
        }
        std::fs::create_dir_all(&persist).map_err(|e| e.to_string())?;
        let port = ports.edge;
        // Tests fire webhooks themselves, one variant at a time; the demo gets them by itself.
        let mut fake_config = FakeConfig::generate();
        fake_config.auto_webhooks = log.is_none();
        let fakes = FakeProviders::start(fake_config.clone(), ports.fakes)
            .or_else(|_| FakeProviders::start(fake_config.clone(), None))
            .map_err(|e| format!("cannot start the fake providers: {e}"))?;
        // Secrets go in a file, not on the command line, where any local user could read them.
        let env_file = persist.with_extension("env");
        let testing = log.is_some();
        let cooldown = if testing { "3" } else { "30" };
        // Long enough for every scenario to redeem its token, short enough for one to see it expire.
        let token_ttl = if testing { "40" } else { "300" };
        // Tests watch callbacks retry within seconds; the demo keeps the real schedule.
        let (retry_secs, callback_timeout) = if testing { ("1,2,2", "2") } else { ("", "") };
        let vars = [
            ("SITE_SECRET_KEY", secrets.site_secret_key.as_str()),
            ("CALLBACK_RETRY_SECS", retry_secs),
            ("CALLBACK_TIMEOUT_SECS", callback_timeout),
            ("TOKEN_KEY", secrets.token_key.as_str()),
            ("SANDBOX_SITE_KEY", sandbox.site_key.as_str()),
            ("SANDBOX_PHONE_URL", fakes.base_url.as_str()),
            (
                "TWILIO_AUTH_TOKEN",
                fake_config.carriers.twilio_auth_token.as_str(),
            ),
            (
                "TELNYX_PUBLIC_KEY",
                &fake_config.carriers.telnyx_public_key(),
            ),
            ("TELNYX_API_KEY", &fake_config.carriers.telnyx_api_key),
            ("TELNYX_BASE_URL", &fakes.telnyx_base()),
            ("PLIVO_AUTH_TOKEN", &fake_config.carriers.plivo_auth_token),
            (
                "MISSED_CALL_WEBHOOK_SECRET",
                &fake_config.carriers.generic_secret,
            ),
            ("MCN_BASE_URL", &fakes.mcn_base()),
            ("MCN_TOKEN", &fake_config.mcn_token),
            ("MCN_WEBHOOK_SECRET", &fake_config.mcn_webhook_secret),
            ("TELESIGN_BASE_URL", &fakes.telesign_base()),
            ("TELESIGN_CUSTOMER_ID", &fake_config.telesign_customer_id),
            ("TELESIGN_API_KEY", &fake_config.telesign_api_key),
            (
                "TELESIGN_WEBHOOK_SECRET",
                &fake_config.telesign_webhook_secret,
            ),
            ("PHONE_CONFIRM_BASE_URL", &fakes.phoneconfirm_base()),
            ("PHONE_CONFIRM_API_KEY", &fake_config.phoneconfirm_api_key),
            ("PHONE_CONFIRM_DOMAIN", &fake_config.phoneconfirm_domain),
            ("TWILIO_BASE_URL", &fakes.twilio_base()),
            ("TWILIO_ACCOUNT_SID", &fake_config.twilio_account_sid),
            ("TWILIO_FROM", &fake_config.twilio_from),
            // Scenarios see each provider's own failures on routes of one provider; the
            // failover scenarios use India's, which has two. The demo routes every country
            // as production does, through both.
            ("PROVIDER_ROUTES", if testing { TEST_ROUTES } else { "" }),
            ("PROVIDER_COOL_DOWN_SECS", if testing { "3" } else { "" }),
            ("RESEND_COOLDOWN_SECS", cooldown),
            ("TOKEN_TTL_SECS", token_ttl),
            ("ADMIN_TOKEN", secrets.admin_token.as_str()),
            ("INBOUND_NUMBERS", &inbound_numbers()),
            // The demo and the scenarios send many codes to a few test numbers in one range:
            // the deployment's own bounds over every site are raised as the sandbox site's are
            // (scenarios test each site's own limits with sites of their own).
            ("SENDS_PER_NUMBER_PER_HOUR", "5000"),
            ("RANGE_SENDS_PER_10_MIN", "5000"),
            ("LOCAL_DEVELOPMENT", "true"),
            ("OPERATOR_NUMBERS", OPERATOR_NUMBER),
            (
                "TURNSTILE_SITEVERIFY_URL",
                &fakes.turnstile_siteverify_url(),
            ),
        ];
        for (k, v) in vars.iter().chain(with) {
            match *k {
                "SITE_SECRET_KEY"
                | "TOKEN_KEY"
                | "MCN_TOKEN"
                | "TELESIGN_API_KEY"
                | "PHONE_CONFIRM_API_KEY"
                | "ADMIN_TOKEN"
                | "TWILIO_AUTH_TOKEN"
                | "TELNYX_API_KEY"
                | "PLIVO_AUTH_TOKEN"
                | "MISSED_CALL_WEBHOOK_SECRET" => watched::watch(Kind::Secret, v),
                "MCN_WEBHOOK_SECRET" | "TELESIGN_WEBHOOK_SECRET" => {
                    watched::watch(Kind::WebhookPath, v)
                }
                _ => {}
            }
        }
        watched::watch(Kind::Secret, &fake_config.turnstile_secret);
        let text: String = vars
            .iter()
            .filter(|(k, _)| !without.contains(k) && !with.iter().any(|(w, _)| w == k))
            .chain(with)
            .map(|(k, v)| format!("{k}=\"{v}\"\n"))
            .collect();
        std::fs::write(&env_file, text).map_err(|e| e.to_string())?;
        apply_migrations(&wrangler, &edge_dir, &persist)?;
        let mut c = Command::new(&wrangler);
        c.current_dir(&edge_dir)
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .arg("--persist-to")
            .arg(&persist)
            .arg("--env-file")
            .arg(&env_file)
            // `/__scheduled` fires the daily cron, as a test of the history's retention does.
            .arg("--test-scheduled")
            .args(["--show-interactive-dev-session=false", "--var"])
            // On the command line, where wrangler.toml's `SANDBOX = "false"` would otherwise
            // win; a test edge may switch it off again through `with`.
            .arg(format!(
                "SANDBOX:{}",
                with.iter()
                    .find(|(k, _)| *k == "SANDBOX")
                    .map_or("true", |(_, v)| *v)
            ))
            .envs(quiet_wrangler())
            .stdin(Stdio::null());
        if log.is_some() {
            // Tests: its own process group, so stopping it also stops the workerd it spawns.
            // The demo stays in the terminal's group so Ctrl-C reaches it.
            c.process_group(0);
        }
        if let Some(log) = &log {
            let f = std::fs::File::create(log).map_err(|e| e.to_string())?;
            c.stdout(f.try_clone().map_err(|e| e.to_string())?)
                .stderr(f);
        }
        let child = c
            .spawn()
            .map_err(|e| format!("cannot start wrangler: {e}"))?;
        let mut edge = LocalEdge {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            sandbox,
            secrets,
            fakes,
            edge_dir,
            persist,
            wrangler,
            log,
        };
        edge.fakes.set_edge_base(&edge.base_url);
        let mut site = edge.site(
            &edge.sandbox.clone(),
            "Ringproof sandbox",
            &["http://localhost:*", "http://127.0.0.1:*"],
        );
        if !testing {
            // The demo defends itself as a new production site does, so what a visitor or an
            // attacker meets under `cargo xtask dev` is what they would meet deployed; paid
            // channels for the seeds' countries only.
            site.sends_per_number_per_hour =
                ringproof_core::site::DEFAULT_SENDS_PER_NUMBER_PER_HOUR;
            site.limits = SiteLimits {
                paid_countries: Some(DEMO_COUNTRIES.iter().map(|c| c.to_string()).collect()),
                ..Default::default()
            };
        }
        edge.put_site(&site)?;
        edge.wait_ready(Duration::from_secs(90))?;
        Ok(edge)
    }

    /// A site record with the sandbox's inbound numbers and every channel, missed call first.
    pub fn site(&self, creds: &SandboxSite, title: &str, origins: &[&str]) -> Site {
        Site {
            site_key: creds.site_key.clone(),
            title: title.into(),
            secret_hash: ringproof_core::secret::hash(&creds.secret),
            secret_salt: Some(creds.salt.clone()),
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            callback_url: None,
            callback_format: Default::default(),
            allowed_countries: vec![],
            activity_token_id: creds.activity_token_id.clone(),
            api_key_hash: if creds.api_key.is_empty() {
                String::new()
            } else {
                ringproof_core::secret::hash(&creds.api_key)
            },
            channels: vec![
                Channel::MissedCall,
                Channel::FlashCall,
                Channel::Sms,
                Channel::VoiceCall,
            ],
            inbound_numbers: SANDBOX_NUMBERS.iter().map(|s| s.to_string()).collect(),
            // Tests and the demo send many codes to one test number.
            sends_per_number_per_hour: 1000,
            // Scenarios share one test phone and one client address: they test the limits
            // with sites of their own that set them low.
            limits: SiteLimits {
                pending_calls_per_number: Some(ringproof_core::line::HELD_MAX as u32),
                starts_per_client_per_hour: Some(HIGH),
                sends_per_client_per_hour: Some(HIGH),
                sends_per_site_per_hour: Some(HIGH),
                sends_per_site_per_day: Some(HIGH),
                daily_spend_cap: Some("100000".into()),
                paid_countries: Some(vec!["*".into()]),
                sends_per_range_per_10_min: Some(HIGH),
                failed_checks_per_number_per_day: Some(HIGH),
                pow_max_number: Some(ringproof_core::limits::POW_MAX_NUMBER_RANGE.0),
                ..Default::default()
            },
            turnstile_secret: None,
            owner: None,
            test: None,
        }
    }

    /// Writes a site into the edge's local KV, as an operator's tooling would.
    /// The address of workerd's own socket for this edge, behind wrangler dev's proxy: found
    /// among the machine's listening loopback ports as the one that answers this edge's
    /// sandbox challenge. The bench's load also runs straight at it, because the proxy (a
    /// development tool, absent in production) drops requests of its own under load
    /// (workers-sdk#14641).
    pub fn direct_base_url(&self) -> Result<String, String> {
        let tcp = std::fs::read_to_string("/proc/net/tcp").map_err(|e| e.to_string())?;
        let ports = tcp.lines().skip(1).filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (addr, state) = (fields.get(1)?, fields.get(3)?);
            let (ip, port) = addr.split_once(':')?;
            // Listening (0A) on 127.0.0.1, as /proc writes it (little-endian hex).
            (*state == "0A" && ip == "0100007F").then(|| u16::from_str_radix(port, 16).ok())?
        });
        let challenge = ringproof_api::paths::challenge(&self.sandbox.site_key);
        // The sandbox site's pages are any localhost origin.
        let origin = "http://localhost:3000";
        for port in ports.filter(|p| *p != self.port) {
            let base = format!("http://127.0.0.1:{port}");
            let answer =
                crate::http::get_with(&format!("{base}{challenge}"), &[("Origin", origin)]);
            if answer.is_ok_and(|r| r.status == 200 && r.header("Ringproof-Object-Calls").is_some())
            {
                return Ok(base);
            }
        }
        Err("no workerd socket answers this edge's challenge".into())
    }

    pub fn put_site(&self, site: &Site) -> Result<(), String> {
        let json = serde_json::to_string(site).map_err(|e| e.to_string())?;
        self.kv_put(&format!("site:{}", site.site_key), &json)?;
        // The secret alone names the site on server-to-server endpoints.
        let key = serde_json::to_string(&site.site_key).map_err(|e| e.to_string())?;
        if !site.activity_token_id.is_empty() {
            self.kv_put(&format!("activity:{}", site.activity_token_id), &key)?;
        }
        self.kv_put(&format!("secret:{}", site.secret_hash), &key)
    }

    fn kv_put(&self, key: &str, value: &str) -> Result<(), String> {
        let out = self
            .kv_key("put")
            .arg(key)
            .arg(value)
            .output()
            .map_err(|e| format!("cannot run wrangler kv: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "wrangler kv key put failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// `wrangler kv key {op}` against this edge's local KV, as an operator's tooling runs it.
    fn kv_key(&self, op: &str) -> Command {
        let mut c = Command::new(&self.wrangler);
        c.current_dir(&self.edge_dir)
            .args(["kv", "key", op, "--binding", "KV", "--local"])
            .arg("--persist-to")
            .arg(&self.persist)
            .envs(quiet_wrangler());
        c
    }

    /// The local KV's keys under `prefix`, each with its expiration (Unix seconds), as
    /// `wrangler kv key list --local` shows them to an operator.
    pub fn kv_list(&self, prefix: &str) -> Result<Vec<(String, Option<u64>)>, String> {
        let out = self
            .kv_key("list")
            .args(["--prefix", prefix])
            .output()
            .map_err(|e| format!("cannot run wrangler kv: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let listed: Vec<serde_json::Value> = serde_json::from_str(text.trim()).map_err(|e| {
            format!(
                "wrangler kv key list: {e}: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        Ok(listed
            .iter()
            .map(|k| {
                (
                    k["name"].as_str().unwrap_or_default().to_owned(),
                    k["expiration"].as_u64(),
                )
            })
            .collect())
    }

    /// Reads a key from the edge's local KV, as an operator's tooling would.
    pub fn kv_get(&self, key: &str) -> Option<String> {
        let out = self.kv_key("get").arg(key).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && text.starts_with('{')).then_some(text)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("wrangler dev exited ({status}){}", self.log_tail()));
            }
            if crate::http::get(&format!("{}/", self.base_url)).is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "wrangler dev did not answer within {limit:?}{}",
            self.log_tail()
        ))
    }

    pub fn log_tail(&self) -> String {
        self.log
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| {
                let lines: Vec<&str> = t.lines().collect();
                format!(
                    "\n--- wrangler log (tail) ---\n{}",
                    lines[lines.len().saturating_sub(40)..].join("\n")
                )
            })
            .unwrap_or_default()
    }

    /// `caller` dials `called` (E.164, with or without `+`): the webhook its carrier would send,
    /// ready to send (and to send again, as a carrier's retry).
    pub fn incoming_call(&self, caller: &str, called: &str) -> CarrierRequest {
        let plus = |n: &str| format!("+{}", n.trim_start_matches('+'));
        let called = plus(called);
        let at = ringproof_core::Timestamp(crate::bench::now_millis()).secs();
        incoming_call(
            &self.fakes.config().carriers,
            carrier_of(&called),
            &self.base_url,
            &plus(caller),
            &called,
            at,
        )
    }

    /// `caller` dials `called`, and its carrier tells the edge.
    pub fn call(&self, caller: &str, called: &str) -> Result<crate::http::Reply, String> {
        self.incoming_call(caller, called).send()
    }

    /// For `cargo xtask dev`: runs until wrangler stops (Ctrl-C stops both).
    pub fn wait(mut self) {
        let _ = self.child.wait();
    }
}

impl Drop for LocalEdge {
    fn drop(&mut self) {
        if self.log.is_some() {
            stop_group(&mut self.child);
        } else {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

struct Ports {
    edge: u16,
    /// `None`: any free port.
    fakes: Option<u16>,
}

fn fresh_credentials() -> (SandboxSite, DevSecrets) {
    let mut rng = OsRandom;
    let secrets = DevSecrets {
        token_key: rng.token(32),
        admin_token: format!("rp_admin_{}", rng.token(24)),
        site_secret_key: rng.token(32),
    };
    (SandboxSite::generate(&secrets), secrets)
}

/// Milliseconds since 1970, as the edge's clock reads them.
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The operator's own number on every local edge: its console account is the operator's.
pub const OPERATOR_NUMBER: &str = "+447400900111";

/// The history's schema, as an operator applies it (`wrangler d1 migrations apply`), into the
/// local D1 that `wrangler dev` will use.
fn apply_migrations(wrangler: &Path, edge_dir: &Path, persist: &Path) -> Result<(), String> {
    let out = Command::new(wrangler)
        .current_dir(edge_dir)
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(persist)
        .envs(quiet_wrangler())
        .env("CI", "true")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run wrangler d1: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "wrangler d1 migrations apply failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `wrangler d1 execute DB --local --command SQL` against this edge's history, as an operator
/// runs it: the rows as JSON.
impl LocalEdge {
    pub fn d1(&self, sql: &str) -> Result<serde_json::Value, String> {
        let out = Command::new(&self.wrangler)
            .current_dir(&self.edge_dir)
            .args(["d1", "execute", "DB", "--local", "--json", "--persist-to"])
            .arg(&self.persist)
            .args(["--command", sql])
            .envs(quiet_wrangler())
            .env("CI", "true")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run wrangler d1: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "wrangler d1 execute: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        Ok(v[0]["results"].clone())
    }
}

fn quiet_wrangler() -> [(&'static str, &'static str); 3] {
    [
        ("WRANGLER_SEND_METRICS", "false"),
        ("WRANGLER_SEND_ERROR_REPORTS", "false"),
        ("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
    ]
}

/// Stops a child started in its own process group, with everything it spawned.
pub fn stop_group(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // The child leads its own group (see `process_group(0)`), so -pid names only it and
        // its descendants: workerd under wrangler, Chromium under ChromeDriver.
        if pid > 1 {
            // SIGKILL: test state is throwaway, and a slow shutdown must not hang the run.
            // SAFETY: kill(2) with a negative pid signals a process group; no memory is shared.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
    }
    for _ in 0..50 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}
