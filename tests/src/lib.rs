//! The end-to-end harness: the real edge under `wrangler dev` (workerd, local KV and Durable
//! Objects), a headless Chromium through ChromeDriver, and host pages on another origin.
//! `cargo xtask dev` uses the same launcher to serve the demo.

pub mod bench;
pub mod browser;
pub mod harness;
pub mod host_page;
pub mod http;
