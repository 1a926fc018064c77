//! Counts the Durable Object calls this isolate makes, so the bench can read what each request
//! costs from a real edge. A local edge (`LOCAL_DEVELOPMENT`) answers every request with
//! `Ringproof-Object-Calls: calls=C, rounds=R, isolate=T`: C object calls and R sequential
//! rounds (calls begun while none was in flight) made while the request was handled, and T
//! the isolate's running total, which also counts work finished after an answer. The figures
//! are exact for a client making one request at a time; under concurrency they mix.

use std::cell::Cell;

thread_local! {
    static CALLS: Cell<u64> = const { Cell::new(0) };
    static ROUNDS: Cell<u64> = const { Cell::new(0) };
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
}

/// One object call under way; it is counted as finished when dropped.
pub struct Call(());

/// Counts a call beginning.
pub fn call() -> Call {
    CALLS.with(|c| c.set(c.get() + 1));
    IN_FLIGHT.with(|n| {
        if n.get() == 0 {
            ROUNDS.with(|r| r.set(r.get() + 1));
        }
        n.set(n.get() + 1);
    });
    Call(())
}

impl Drop for Call {
    fn drop(&mut self) {
        IN_FLIGHT.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// The isolate's totals so far: calls and rounds.
#[derive(Clone, Copy)]
pub struct Totals {
    calls: u64,
    rounds: u64,
}

pub fn totals() -> Totals {
    Totals {
        calls: CALLS.with(Cell::get),
        rounds: ROUNDS.with(Cell::get),
    }
}

impl Totals {
    /// The header's value for the work done since `self`.
    pub fn header_since(self) -> String {
        let now = totals();
        format!(
            "calls={}, rounds={}, isolate={}",
            now.calls - self.calls,
            now.rounds - self.rounds,
            now.calls
        )
    }
}

pub const HEADER: &str = "Ringproof-Object-Calls";
