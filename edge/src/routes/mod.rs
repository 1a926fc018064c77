//! The API's handlers, one module per kind of caller. Each reads and checks its request,
//! then hands the work to `flow` (or a Durable Object) and answers.

pub mod admin;
pub mod console;
pub mod onering;
pub mod sandbox;
pub mod site_server;
pub mod visitor;
pub mod webhooks;
