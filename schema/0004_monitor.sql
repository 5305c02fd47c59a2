-- MONITOR: alerts raised when a listing page's structure drifts from its
-- baseline (source_baselines, from 0001). `changes` is a JSON array of
-- sentences; an analyst acknowledges an alert rather than deleting it.
CREATE TABLE IF NOT EXISTS drift_alerts (
    id               INTEGER PRIMARY KEY,
    association_code TEXT,
    url              TEXT NOT NULL,
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    summary          TEXT NOT NULL,
    changes          TEXT NOT NULL DEFAULT '[]',
    created_at       TEXT NOT NULL,
    acknowledged_at  TEXT
);
CREATE INDEX IF NOT EXISTS drift_alerts_created ON drift_alerts(created_at);
-- The monitor asks for the latest baseline of one URL on every page.
CREATE INDEX IF NOT EXISTS source_baselines_url ON source_baselines(url, last_seen_at);
