-- The console's history (core/src/events.rs, core/src/accounts.rs, core/src/insights.rs).
-- Applied with `wrangler d1 migrations apply DB` (--local under `wrangler dev`); never edit a
-- migration that has shipped: add the next one.

-- What happened to each verification. No phone number: a keyed hash, the country and the last
-- two digits. Kept 90 days (events::RAW_RETENTION_DAYS), then only the daily rollups.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  site_key TEXT NOT NULL,
  verification_id TEXT,
  kind TEXT NOT NULL,
  channel TEXT,
  country TEXT,
  number_hash TEXT,
  last_two TEXT,
  provider TEXT,
  detail TEXT,
  cost_micros INTEGER,
  currency TEXT,
  client_transaction_id TEXT,
  secs INTEGER
);
CREATE INDEX events_by_site ON events (site_key, at);
CREATE INDEX events_by_verification ON events (verification_id);
CREATE INDEX events_by_time ON events (at);

-- One day's count of verifications per site, channel, country and kind, and their cost. Kept
-- two years (events::ROLLUP_RETENTION_DAYS).
CREATE TABLE daily (
  day INTEGER NOT NULL,
  site_key TEXT NOT NULL,
  channel TEXT NOT NULL,
  country TEXT NOT NULL,
  kind TEXT NOT NULL,
  verifications INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  PRIMARY KEY (day, site_key, channel, country, kind)
);

-- Site owners: an account is a verified number (kept as the events keep it).
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  number_hash TEXT NOT NULL UNIQUE,
  country TEXT,
  last_two TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  channels TEXT NOT NULL,
  max_activities INTEGER NOT NULL,
  suspended INTEGER NOT NULL
);

-- Which account owns each activity (the site itself is in KV, by its key).
CREATE TABLE activities (
  site_key TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX activities_by_account ON activities (account_id);
