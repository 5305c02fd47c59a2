-- Enrichment: what each provider found about a company, per kind, with
-- provenance; contacts as leads; per-provider hits, misses and quota use.

ALTER TABLE companies ADD COLUMN email_pattern TEXT;
ALTER TABLE companies ADD COLUMN products TEXT;           -- JSON array of strings
ALTER TABLE companies ADD COLUMN industries_served TEXT;  -- JSON array of strings

ALTER TABLE contacts ADD COLUMN persona TEXT;             -- Technical, Executive, Financial, Operations
ALTER TABLE contacts ADD COLUMN lead_score_adjustment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN lead_rule TEXT;           -- the rule that gave persona and adjustment
ALTER TABLE contacts ADD COLUMN email_source TEXT;        -- published, inferred, provider

ALTER TABLE provider_usage ADD COLUMN hits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provider_usage ADD COLUMN misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provider_usage ADD COLUMN quota_rejections INTEGER NOT NULL DEFAULT 0;

-- The technologies a company runs, from enrichment providers (page
-- fingerprints, job postings, BuiltWith, ...). Competitor signals stay in
-- competitor_signals; this is the tech-stack view.
CREATE TABLE IF NOT EXISTS company_technologies (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    vendor        TEXT NOT NULL,
    product       TEXT,
    category      TEXT NOT NULL,
    evidence_kind TEXT NOT NULL,
    evidence      TEXT,
    source_url    TEXT,
    provider      TEXT NOT NULL,
    confidence    REAL NOT NULL DEFAULT 0,
    detected_at   TEXT NOT NULL,
    UNIQUE (company_id, vendor, category)
);
CREATE INDEX IF NOT EXISTS company_technologies_vendor ON company_technologies(vendor, category);

-- One row per company and kind once enrichment has tried it: resume and
-- re-runs skip what is done; the chain's attempts are kept for the analyst.
CREATE TABLE IF NOT EXISTS company_enrichment (
    company_id   INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('firmographic', 'techstack', 'contacts')),
    status       TEXT NOT NULL CHECK (status IN ('found', 'empty')),
    providers    TEXT,            -- providers that answered, in chain order
    attempts     TEXT NOT NULL,   -- JSON: each provider's outcome
    fields       INTEGER NOT NULL DEFAULT 0,
    job_id       INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    attempted_at TEXT NOT NULL,
    PRIMARY KEY (company_id, kind)
);
