//! The end-to-end harness: the real edge under `wrangler dev` (workerd, local KV and Durable
//! Objects), a headless Chromium through ChromeDriver, and host pages on another origin.
//! `cargo xtask dev` uses the same launcher to serve the demo.

// Host-side tooling measures real time; the ban in clippy.toml is for code that runs in wasm.
#![allow(clippy::disallowed_methods)]

pub mod axe;
pub mod bare_worker;
pub mod bench;
pub mod browser;
pub mod callback_receiver;
pub mod console_page;
pub mod fake_providers;
pub mod harness;
pub mod host_page;
pub mod http;
pub mod http_server;
pub mod proof;
pub mod push_bench;
pub mod python;
pub mod request_costs;
pub mod scenario_args;
pub mod shots;
pub mod watched;
pub mod ws_client;
