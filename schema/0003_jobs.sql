-- Jobs that survive their process: the mode a job runs, the process that
-- owns it (so a job whose process died reads as 'interrupted'), and the
-- pause/resume/cancel request another nam process left for it.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- (foreign keys are off while migrations run, so nothing cascades).
DROP VIEW job_summary;

CREATE TABLE extraction_jobs_new (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,               -- run, demo, import, ...
    mode             TEXT NOT NULL DEFAULT 'full'
                     CHECK (mode IN ('full', 'extract', 'enrich', 'validate', 'resolve', 'graph', 'export')),
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted')),
    phase            TEXT,                        -- current phase name
    params           TEXT NOT NULL DEFAULT '{}',
    error            TEXT,
    owner            TEXT,                        -- "pid:start-time" of the process running it
    control          TEXT CHECK (control IN ('pause', 'resume', 'cancel')),
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    heartbeat_at     TEXT,
    finished_at      TEXT
);
INSERT INTO extraction_jobs_new (id, kind, status, phase, params, error, created_at, started_at, finished_at)
SELECT id, kind, status, phase, params, error, created_at, started_at, finished_at FROM extraction_jobs;
DROP TABLE extraction_jobs;
ALTER TABLE extraction_jobs_new RENAME TO extraction_jobs;

CREATE VIEW job_summary AS
SELECT j.id, j.kind, j.mode, j.status, j.phase, j.created_at, j.started_at, j.finished_at, j.error,
       (SELECT count(*) FROM job_phases p WHERE p.job_id = j.id AND p.status = 'completed') AS phases_completed,
       (SELECT count(*) FROM job_phases p WHERE p.job_id = j.id) AS phases_total,
       (SELECT count(*) FROM pages g WHERE g.job_id = j.id) AS pages_fetched,
       (SELECT count(*) FROM association_memberships m WHERE m.job_id = j.id) AS records_extracted,
       (SELECT count(*) FROM dead_letter d WHERE d.job_id = j.id) AS dead_letters
FROM extraction_jobs j;
