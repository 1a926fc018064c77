//! The history in D1 (binding `DB`): events written after the answer (`waitUntil`), and the
//! console's reads. Statements and figures are core's (`events`, `insights`, `accounts`); this
//! only binds and runs them.

use crate::error::Outcome;
use ringproof_core::events::{Event, Value, INSERT};
use ringproof_core::insights::Query;
use ringproof_core::ApiError;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

const BINDING: &str = "DB";

fn db(env: &Env) -> Outcome<D1Database> {
    env.d1(BINDING).map_err(|e| unavailable("binding", e))
}

fn unavailable(what: &str, e: impl std::fmt::Debug) -> ApiError {
    worker::console_error!("history ({what}): {e:?}");
    ApiError::HistoryUnavailable
}

fn js(v: &Value) -> JsValue {
    match v {
        // Milliseconds and money stay far inside a double's exact integers.
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::Text(t) => JsValue::from_str(t),
        Value::Null => JsValue::NULL,
    }
}

fn statement(db: &D1Database, sql: &str, values: &[Value]) -> Outcome<D1PreparedStatement> {
    let bound: Vec<JsValue> = values.iter().map(js).collect();
    db.prepare(sql)
        .bind(&bound)
        .map_err(|e| unavailable("bind", e))
}

/// Writes `events` in one batch. A failure is logged, never the caller's: the history must
/// not cost a visitor their verification.
pub async fn write(env: &Env, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let result = async {
        let db = db(env)?;
        let statements = events
            .iter()
            .map(|e| statement(&db, INSERT, &e.values()))
            .collect::<Outcome<Vec<_>>>()?;
        db.batch(statements)
            .await
            .map_err(|e| unavailable("write", e))
    }
    .await;
    if result.is_err() {
        worker::console_error!("{} history events were not written", events.len());
    }
}

/// [`write`] after the Worker has answered.
pub fn write_later(background: &worker::Context, env: &Env, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let env = env.clone();
    background.wait_until(async move { write(&env, events).await });
}

/// The rows of one query.
pub async fn rows<T: DeserializeOwned>(env: &Env, sql: &str, values: &[Value]) -> Outcome<Vec<T>> {
    let db = db(env)?;
    let result = statement(&db, sql, values)?
        .all()
        .await
        .map_err(|e| unavailable("read", e))?;
    result.results::<T>().map_err(|e| unavailable("rows", e))
}

pub async fn query<T: DeserializeOwned>(env: &Env, q: &Query) -> Outcome<Vec<T>> {
    rows(env, q.sql, &q.values).await
}

/// Runs one statement and answers how many rows it changed.
pub async fn changes(env: &Env, sql: &str, values: &[Value]) -> Outcome<usize> {
    let db = db(env)?;
    let result = statement(&db, sql, values)?
        .run()
        .await
        .map_err(|e| unavailable("write", e))?;
    Ok(result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0))
}

/// Runs statements that answer nothing, in one batch (one transaction).
pub async fn run(env: &Env, statements: &[(&str, Vec<Value>)]) -> Outcome<()> {
    if statements.is_empty() {
        return Ok(());
    }
    let db = db(env)?;
    let prepared = statements
        .iter()
        .map(|(sql, values)| statement(&db, sql, values))
        .collect::<Outcome<Vec<_>>>()?;
    db.batch(prepared)
        .await
        .map_err(|e| unavailable("run", e))?;
    Ok(())
}

/// The daily job: rollups, then retention (`events::retention`).
pub async fn keep(env: &Env) {
    let steps = ringproof_core::events::retention(crate::env::now());
    if let Err(e) = run(env, &steps).await {
        worker::console_error!("the history's daily job failed: {e:?}");
    }
}
