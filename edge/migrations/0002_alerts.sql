-- Alerts raised for activities (core/src/alerts.rs): one row per alert, open while seen in the
-- last day. Kept as long as the raw events (90 days): the daily job drops older ones.
CREATE TABLE alerts (
  site_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  summary TEXT NOT NULL,
  told TEXT,
  PRIMARY KEY (site_key, kind, key, opened_at)
);
CREATE INDEX alerts_by_time ON alerts (last_seen_at);
