//! One throttle object (named by `ringproof_core::limits`): the counts that are decided
//! together, each a rolling window by name; a site's spend by day; a site's refusals by day.
//! One request at a time, so concurrent requests cannot slip past a limit, and a batch of
//! windows passes or fails as one.
//!
//! Each record is kept with the time it may go, and listed under that time
//! (`throttle::due_key`): the alarm deletes only what is due, however many records an object
//! holds.

use super::Alarm;
use crate::env::now;
use crate::error::{Internal, Outcome};
use ringproof_core::limits::{forget_day_at, forget_refusals_at};
use ringproof_core::throttle::{
    self, due_by, due_key, once_key, read_due, refusals_key, spend_key, window_key, Batch,
    Refusals, Refused, Rule, Spend, Undo, Window,
};
use ringproof_core::Timestamp;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use worker::{ListOptions, Storage};

messages! {
    /// To the Durable Object of counts decided together.
    "THROTTLES": ThrottleMessage, ThrottleStub, ThrottleHandler {
        /// Takes a batch: its single use, windows and estimate all or none, its pressure
        /// whatever.
        Take => fn take(batch: Batch) -> Result<(), Refused>;
        /// Gives back what a batch took, for a request that did not go ahead.
        GiveBack => fn give_back(undo: Undo) -> ();
        /// Whether a take of `window` would pass, counting nothing.
        Room => fn room(window: String, rule: Rule) -> Result<(), u64>;
        /// Hits of `window` in the last `span_secs`.
        Recent => fn recent(window: String, span_secs: u64) -> u32;
        /// A provider's reported charge, once per reference, in place of its send's estimate.
        AddSpend => fn add_spend(day: u64, reference: String, estimate: Option<String>, currency: String, micros: u64) -> ();
        /// A defence refused a request.
        CountRefusal => fn count_refusal(day: u64, code: String) -> ();
        /// The day's refusals.
        Refusals => fn refusals(day: u64) -> Refusals;
    }
}

object!(ThrottleObject, ThrottleMessage);

/// A record and the time it may go.
#[derive(Serialize, Deserialize)]
struct Kept<T> {
    due: Timestamp,
    value: T,
}

/// A record as read: its value (the default when there is none) and when it was due to go.
struct Loaded<T> {
    key: String,
    due: Option<Timestamp>,
    value: T,
}

async fn load<T: DeserializeOwned + Default>(storage: &Storage, key: String) -> Outcome<Loaded<T>> {
    let kept = storage.get::<Kept<T>>(&key).await.internal()?;
    Ok(match kept {
        Some(k) => Loaded {
            key,
            due: Some(k.due),
            value: k.value,
        },
        None => Loaded {
            key,
            due: None,
            value: T::default(),
        },
    })
}

/// Writes records, each with the time it may go, for one message: the object's alarm is read
/// once, however many records the message keeps.
struct Keeper<'a> {
    storage: &'a Storage,
    /// The alarm's time as last read or set (`None` inside: no alarm); `None`: not read yet.
    alarm: Option<Option<i64>>,
}

impl<'a> Keeper<'a> {
    fn new(storage: &'a Storage) -> Keeper<'a> {
        Keeper {
            storage,
            alarm: None,
        }
    }

    /// Writes a record to go at `due`, moves its listing, and wakes the object by then.
    async fn keep<T: Serialize>(&mut self, record: &Loaded<T>, due: Timestamp) -> Outcome<()> {
        let storage = self.storage;
        let kept = Kept {
            due,
            value: &record.value,
        };
        storage.put(&record.key, &kept).await.internal()?;
        if record.due == Some(due) {
            return Ok(());
        }
        if let Some(old) = record.due {
            storage
                .delete(&due_key(old, &record.key))
                .await
                .internal()?;
        }
        storage
            .put(&due_key(due, &record.key), true)
            .await
            .internal()?;
        let alarm = match self.alarm {
            Some(alarm) => alarm,
            None => storage.get_alarm().await.internal()?,
        };
        let at = due.millis() as i64;
        if alarm.is_none_or(|alarm| alarm > at) {
            super::wake_at(storage, due).await.internal()?;
            self.alarm = Some(Some(at));
        } else {
            self.alarm = Some(alarm);
        }
        Ok(())
    }
}

/// A window's record may go once nothing in it matters.
fn window_due(window: &Window, rule: &Rule) -> Timestamp {
    window.empty_at(rule.span_secs).unwrap_or_else(now)
}

impl Alarm for ThrottleObject {
    /// Deletes the records that are due; nothing about the number, client or site is kept
    /// past them. An object with nothing left is emptied whole.
    async fn alarm(&self) -> worker::Result<()> {
        let storage = self.state.storage();
        let by = due_by(now());
        let due = storage
            .list_with_options(ListOptions::new().start(throttle::DUE).end(&by))
            .await?;
        let mut gone = Vec::new();
        for entry in due.keys() {
            let Some(entry) = entry?.as_string() else {
                continue;
            };
            if let Some((_, key)) = read_due(&entry) {
                gone.push(key.to_owned());
            }
            gone.push(entry);
        }
        for chunk in gone.chunks(128) {
            storage.delete_multiple(chunk.to_vec()).await?;
        }
        let next = storage
            .list_with_options(ListOptions::new().prefix(throttle::DUE).limit(1))
            .await?;
        let next = next
            .keys()
            .into_iter()
            .filter_map(|k| k.ok()?.as_string())
            .find_map(|k| read_due(&k).map(|(at, _)| at));
        match next {
            Some(at) => super::wake_at(&storage, at).await,
            // Also clears what an older version of this object kept.
            None => storage.delete_all().await,
        }
    }
}

impl ThrottleHandler for ThrottleObject {
    async fn take(&self, batch: Batch) -> Outcome<Result<(), Refused>> {
        let storage = self.state.storage();
        let now = now();
        let mut windows = Vec::with_capacity(batch.windows.len());
        for (name, _) in &batch.windows {
            windows.push(load::<Window>(&storage, window_key(name)).await?);
        }
        let mut spend = match &batch.reserve {
            Some(r) => Some(load::<Spend>(&storage, spend_key(r.day)).await?),
            None => None,
        };
        let mut pressure = match &batch.press {
            Some((name, _)) => Some(load::<Window>(&storage, window_key(name)).await?),
            None => None,
        };
        let once = match &batch.once {
            Some(o) => Some(load::<bool>(&storage, once_key(&o.key)).await?),
            None => None,
        };
        let mut values: Vec<Window> = windows.iter().map(|w| w.value.clone()).collect();
        let answer = throttle::take_batch(
            &batch,
            &mut values,
            spend.as_mut().map(|s| &mut s.value),
            pressure.as_mut().map(|p| &mut p.value),
            once.as_ref().is_some_and(|o| o.due.is_some()),
            now,
        );
        let mut keeper = Keeper::new(&storage);
        for ((record, value), (_, rule)) in windows.iter_mut().zip(values).zip(&batch.windows) {
            if record.value != value {
                record.value = value;
                keeper.keep(record, window_due(&record.value, rule)).await?;
            }
        }
        if let (Some(p), Some((_, rule))) = (&pressure, &batch.press) {
            keeper.keep(p, window_due(&p.value, rule)).await?;
        }
        if let (Some(s), Some(r), Ok(())) = (&spend, &batch.reserve, &answer) {
            keeper.keep(s, forget_day_at(r.day)).await?;
        }
        if let (Some(mut record), Some(o), Ok(())) = (once, &batch.once, &answer) {
            record.value = true;
            keeper.keep(&record, o.until).await?;
        }
        Ok(answer)
    }

    async fn give_back(&self, undo: Undo) -> Outcome<()> {
        let storage = self.state.storage();
        let mut keeper = Keeper::new(&storage);
        for name in undo.windows {
            let mut record = load::<Window>(&storage, window_key(&name)).await?;
            if let Some(due) = record.due {
                record.value.give_back();
                // The record keeps its time: at worst it goes a little after it empties.
                keeper.keep(&record, due).await?;
            }
        }
        if let Some(estimate) = undo.spend {
            self.change_spend(estimate.day, |s| s.release(&estimate.key))
                .await?;
        }
        Ok(())
    }

    async fn room(&self, window: String, rule: Rule) -> Outcome<Result<(), u64>> {
        let record = load::<Window>(&self.state.storage(), window_key(&window)).await?;
        Ok(record.value.room(rule, now()))
    }

    async fn recent(&self, window: String, span_secs: u64) -> Outcome<u32> {
        let record = load::<Window>(&self.state.storage(), window_key(&window)).await?;
        Ok(record.value.recent(span_secs, now()))
    }

    async fn add_spend(
        &self,
        day: u64,
        reference: String,
        estimate: Option<String>,
        currency: String,
        micros: u64,
    ) -> Outcome<()> {
        let storage = self.state.storage();
        let mut spend = load::<Spend>(&storage, spend_key(day)).await?;
        spend
            .value
            .add(&reference, estimate.as_deref(), &currency, micros);
        Keeper::new(&storage).keep(&spend, forget_day_at(day)).await
    }

    async fn count_refusal(&self, day: u64, code: String) -> Outcome<()> {
        let storage = self.state.storage();
        let mut r = load::<Refusals>(&storage, refusals_key(day)).await?;
        r.value.add(&code);
        Keeper::new(&storage)
            .keep(&r, forget_refusals_at(day))
            .await
    }

    async fn refusals(&self, day: u64) -> Outcome<Refusals> {
        Ok(load::<Refusals>(&self.state.storage(), refusals_key(day))
            .await?
            .value)
    }
}

impl ThrottleObject {
    /// Changes a day's spend that is kept; there is nothing to change in one that is not.
    async fn change_spend(&self, day: u64, change: impl FnOnce(&mut Spend)) -> Outcome<()> {
        let storage = self.state.storage();
        let mut spend = load::<Spend>(&storage, spend_key(day)).await?;
        if let Some(due) = spend.due {
            change(&mut spend.value);
            Keeper::new(&storage).keep(&spend, due).await?;
        }
        Ok(())
    }
}
