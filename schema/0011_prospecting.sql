-- Domain-list and prospecting runs, ICP scores, company analysis.

-- Two new job modes: the jobs table is rebuilt to widen its CHECK
-- (foreign keys are off while migrations run, so nothing cascades).
DROP VIEW job_summary;

CREATE TABLE extraction_jobs_new (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,               -- run, demo, import, ...
    mode             TEXT NOT NULL DEFAULT 'full'
                     CHECK (mode IN ('full', 'extract', 'enrich', 'validate', 'resolve', 'graph', 'export', 'domains', 'prospect')),
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
INSERT INTO extraction_jobs_new (id, kind, mode, status, phase, params, error, owner, control, created_at, started_at, heartbeat_at, finished_at)
SELECT id, kind, mode, status, phase, params, error, owner, control, created_at, started_at, heartbeat_at, finished_at FROM extraction_jobs;
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

-- One row per domain an analyst listed or a search turned up: a re-run
-- skips domains done (or failed: a dead letter keeps its error) unless
-- `--force-full`.
CREATE TABLE IF NOT EXISTS domain_targets (
    id          INTEGER PRIMARY KEY,
    domain      TEXT NOT NULL UNIQUE,      -- registrable host, lower case, no www
    input       TEXT NOT NULL,             -- as first given
    source      TEXT NOT NULL,             -- 'list:<file>' or 'search:<provider>'
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'failed')),
    website     TEXT,                      -- the address that answered
    company_id  INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    error       TEXT,                      -- why it failed (the dead letter)
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Which targets a run covers (its scope, for progress-as-gaps).
CREATE TABLE IF NOT EXISTS job_targets (
    job_id     INTEGER NOT NULL REFERENCES extraction_jobs(id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES domain_targets(id) ON DELETE CASCADE,
    line       INTEGER,                    -- line of the list file, when from one
    PRIMARY KEY (job_id, target_id)
);

-- What a company is and sells, by rules or by an LLM (prompt and response
-- kept as provenance; a refused or malformed answer falls back to rules).
CREATE TABLE IF NOT EXISTS company_analysis (
    company_id         INTEGER PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
    method             TEXT NOT NULL CHECK (method IN ('rules', 'llm')),
    business_type      TEXT,
    naics              TEXT,
    products           TEXT,               -- JSON array
    value_propositions TEXT,               -- JSON array
    target_market      TEXT,
    confidence         REAL NOT NULL DEFAULT 0,
    model              TEXT,
    prompt             TEXT,
    response           TEXT,
    fallback_reason    TEXT,               -- why the LLM answer was not used
    analysed_at        TEXT NOT NULL
);

-- ICP fit per profile and company, with the reasons that make it up.
CREATE TABLE IF NOT EXISTS icp_scores (
    profile     TEXT NOT NULL,
    company_id  INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    fit         REAL NOT NULL,             -- 0..100
    prospect    REAL NOT NULL,             -- 0..100: fit and reachability
    reasons     TEXT NOT NULL,             -- JSON array of {factor, points, max, detail}
    scored_at   TEXT NOT NULL,
    PRIMARY KEY (profile, company_id)
);
CREATE INDEX IF NOT EXISTS icp_scores_rank ON icp_scores(profile, prospect DESC);
CREATE INDEX IF NOT EXISTS icp_scores_company ON icp_scores(company_id);

-- Sites a prospecting search turned up, and whether they qualified.
CREATE TABLE IF NOT EXISTS prospect_leads (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    profile     TEXT NOT NULL,
    provider    TEXT NOT NULL,             -- tavily, store
    query       TEXT,
    rank        INTEGER,
    url         TEXT NOT NULL,
    domain      TEXT,                      -- registrable domain of url
    title       TEXT,
    snippet     TEXT,
    target_id   INTEGER REFERENCES domain_targets(id) ON DELETE SET NULL,
    company_id  INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    fit         REAL,
    qualified   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prospect_leads_job ON prospect_leads(job_id);
