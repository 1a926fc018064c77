//! `cargo xtask setup | build | dev | test | e2e | bench | shots | site | webhooks | deploy`: the project's only
//! entry points.

// Host-side tooling measures real time; the ban in clippy.toml is for code that runs in wasm.
#![allow(clippy::disallowed_methods)]

mod budget;
mod build;
mod cmd;
mod deploy;
mod setup;
mod site;
mod webhooks;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

  setup   install every tool the project needs (idempotent; cached in ~/.cache/ringproof)
  build   set up and build the widget and the edge
  dev     set up, build, and serve the demo at http://127.0.0.1:8787/ with the sandbox provider
  test    set up, build, and run every test, unit to end-to-end
  e2e     set up, build, and run the end-to-end scenarios alone, passing on what follows:
          a name filter, --exact, --skip NAME, --list, --shuffle, --shuffle-seed N
  bench   build and print size and latency figures (`bench widget`: the widget's alone:
          its download against widget/budget.json, its wasm by crate, time to the field)
  shots   build and save screenshots of every step of every channel (phone and desktop;
          English, Arabic, Hindi) and of the console to target/shots/ (`shots console`:
          the console's alone)
  site    manage sites through an edge's admin API (cargo xtask site --help)
  webhooks  print the webhook URL to paste into each carrier's console (--edge URL)
  deploy  set up, build, and deploy the edge to Cloudflare, creating what is missing
          (cargo xtask deploy --help; --dry-run works offline)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(setup::Needs::All).map(|_| ()),
        Some("build") => setup::run(setup::Needs::Dev).and_then(|t| build::all(&t)),
        Some("dev") => dev(),
        Some("test") => test(),
        Some("e2e") => e2e(&args[1..]),
        Some("bench") if args.get(1).is_some_and(|a| a == "widget") => bench_widget(),
        Some("bench") => bench(),
        Some("shots") => shots(args.get(1).is_some_and(|a| a == "console")),
        Some("site") if args.get(1).is_some_and(|a| a == "--help") => {
            println!("{}", site::USAGE);
            return ExitCode::SUCCESS;
        }
        Some("site") => site::run(&args[1..]),
        Some("webhooks") => webhooks::run(&args[1..]),
        Some("deploy") if args.get(1).is_some_and(|a| a == "--help") => {
            println!("{}", deploy::USAGE);
            return ExitCode::SUCCESS;
        }
        Some("deploy") => deploy::run(&args[1..], |build| {
            let tools = setup::run(setup::Needs::Dev)?;
            if build {
                build::all(&tools)?;
            }
            Ok(tools)
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dev() -> Result<(), String> {
    let tools = setup::run(setup::Needs::Dev)?;
    build::all(&tools)?;
    let edge = ringproof_tests::harness::LocalEdge::start_dev(&tools.harness_env())
        .map_err(|e| format!("could not start the edge: {e}"))?;
    let carriers = edge.fakes.config().carriers;
    println!(
        "\nRingproof demo is running (sandbox on, every channel through fake providers):\n\n  demo            {url}/\n  console         {url}/console/  (sign in with any mobile number and the call placed below;\n                  {operator} is the operator's, with the admin token below)\n  site key        {key}\n  secret          {secret}\n  webhook secret  {whsec}  (Standard Webhooks libraries)\n  OneRing ApiKey  {api_key}\n  ActivityTokenId {activity}\n  admin token     {admin}  (cargo xtask site --help)\n  fake providers  {fakes}/__fake/requests\n\nCarriers (INBOUND_NUMBERS={inbound}):\n  Twilio auth token        {twilio}\n  Telnyx signing key seed  {telnyx_seed}  (Ed25519, base64; public key {telnyx_public})\n  Plivo auth token         {plivo}\n  generic adapter secret   {generic}\n  place a call             curl -s {fakes}/__fake/call -d '{{\"from\":\"+447400123456\",\"to\":\"<the number shown>\"}}'\n  webhook URLs             cargo xtask webhooks --edge {url}\n\nPress Ctrl-C to stop.",
        url = edge.base_url,
        operator = ringproof_tests::harness::OPERATOR_NUMBER,
        key = edge.sandbox.site_key,
        secret = edge.sandbox.secret,
        whsec = edge.sandbox.webhook_secret(),
        api_key = edge.sandbox.api_key,
        activity = edge.sandbox.activity_token_id,
        admin = edge.secrets.admin_token,
        fakes = edge.fakes.base_url,
        inbound = ringproof_tests::harness::inbound_numbers(),
        twilio = carriers.twilio_auth_token,
        telnyx_seed = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, carriers.telnyx_seed),
        telnyx_public = carriers.telnyx_public_key(),
        plivo = carriers.plivo_auth_token,
        generic = carriers.generic_secret,
    );
    edge.wait();
    Ok(())
}

fn test() -> Result<(), String> {
    let tools = setup::run(setup::Needs::All)?;
    build::all(&tools)?;
    cmd::step("checking formatting", || {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    cmd::step("running clippy", || {
        cmd::run(cmd::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    cmd::step("running all tests (unit, HTTP, browser)", || {
        let mut c = cmd::cargo();
        c.args([
            "test",
            "--workspace",
            "--exclude",
            "ringproof-edge",
            "--exclude",
            "ringproof-console",
        ]);
        cmd::run(with_harness_env(&mut c, &tools))
    })?;
    // The edge's own unit tests, natively (its library builds for the host too; the e2e
    // scenarios run it in workerd).
    cmd::step("running the edge's unit tests", || {
        cmd::run(cmd::cargo().args(["test", "-p", "ringproof-edge", "--lib"]))
    })
}

/// The end-to-end scenarios alone, with libtest's arguments and the runner's own.
fn e2e(args: &[String]) -> Result<(), String> {
    let tools = setup::run(setup::Needs::All)?;
    build::all(&tools)?;
    cmd::step("running the end-to-end scenarios", || {
        let mut c = cmd::cargo();
        c.args(["test", "-p", "ringproof-tests", "--test", "e2e", "--"])
            .args(args);
        cmd::run(with_harness_env(&mut c, &tools))
    })
}

fn with_harness_env<'c>(
    c: &'c mut std::process::Command,
    tools: &setup::Tools,
) -> &'c mut std::process::Command {
    if let Ok(me) = std::env::current_exe() {
        // The e2e tests drive `cargo xtask site` as an operator would.
        c.env("RINGPROOF_XTASK", me);
    }
    c.envs(tools.harness_env())
}

fn shots(console_only: bool) -> Result<(), String> {
    let tools = setup::run(setup::Needs::All)?;
    build::all(&tools)?;
    let out = cmd::root().join("target/shots");
    let saved = ringproof_tests::shots::run(&tools.harness_env(), &out, console_only)
        .map_err(|e| format!("screenshots failed: {e}"))?;
    println!("\n{} screenshots in {}:", saved.len(), out.display());
    for p in &saved {
        println!("  {}", p.file_name().unwrap_or_default().to_string_lossy());
    }
    Ok(())
}

fn bench_widget() -> Result<(), String> {
    let tools = setup::run(setup::Needs::All)?;
    build::all(&tools)?;
    build::report_sizes()?;
    build::report_wasm_contributors(&tools)?;
    ringproof_tests::bench::widget(&tools.harness_env())
        .map_err(|e| format!("widget bench failed: {e}"))
}

fn bench() -> Result<(), String> {
    let tools = setup::run(setup::Needs::All)?;
    build::all(&tools)?;
    build::report_sizes()?;
    build::report_wasm_contributors(&tools)?;
    let env = tools.harness_env();
    ringproof_tests::bench::latency(&env).map_err(|e| format!("latency bench failed: {e}"))
}
