-- EXPORT log: one row per export the analyst ran from the workbench, so the
-- export pane can show what was written, from which view and filters, and
-- where. `files` is a JSON array of the paths written.
-- IF NOT EXISTS: 0006 was written on another branch at the same time, so a
-- development database migrated before the two met ran this file in 0006's
-- slot; when it runs again in its own slot it must not fail.
CREATE TABLE IF NOT EXISTS export_runs (
    id               INTEGER PRIMARY KEY,
    created_at       TEXT NOT NULL,
    view             TEXT NOT NULL,
    profile          TEXT NOT NULL,
    filters          TEXT NOT NULL DEFAULT '',
    rows             INTEGER NOT NULL,
    files            TEXT NOT NULL
);
