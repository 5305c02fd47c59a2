-- nam data model, migration 1: every table the pipeline needs.
-- Later migrations add columns and indexes, not tables.
-- Timestamps are RFC 3339 UTC text; JSON columns hold serde_json text.

-- Canonical companies: one row per real-world company after resolution.
CREATE TABLE companies (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,               -- display name as best known
    name_key         TEXT NOT NULL,               -- normalized comparison key
    domain           TEXT UNIQUE,                 -- registrable domain (lower case)
    website          TEXT,
    phone            TEXT,                        -- E.164 when parseable
    street           TEXT,
    city             TEXT,
    state            TEXT,
    postal_code      TEXT,
    country          TEXT,
    employee_count   INTEGER,
    employee_range   TEXT,
    revenue_range    TEXT,
    founded_year     INTEGER,
    industry         TEXT,
    naics            TEXT,
    description      TEXT,
    quality_score    REAL,
    quality_grade    TEXT,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged', 'rejected')),
    merged_into      INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    provenance       TEXT NOT NULL DEFAULT '{}',  -- field -> {source_url, extractor, at, confidence}
    enriched_at      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- Companies without a website are kept unique by their name key.
CREATE UNIQUE INDEX companies_name_key_no_domain ON companies(name_key) WHERE domain IS NULL;
CREATE INDEX companies_name_key ON companies(name_key);

-- One row per company per association listing: the raw extracted record.
CREATE TABLE association_memberships (
    id               INTEGER PRIMARY KEY,
    association_code TEXT NOT NULL,
    record_key       TEXT NOT NULL,               -- stable key of the listing within its association
    company_id       INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    raw_name         TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    website          TEXT,
    domain           TEXT,
    phone            TEXT,
    email            TEXT,
    street           TEXT,
    city             TEXT,
    state            TEXT,
    postal_code      TEXT,
    country          TEXT,
    membership_type  TEXT,
    profile_url      TEXT,
    source_url       TEXT NOT NULL,
    extractor        TEXT NOT NULL,
    confidence       REAL NOT NULL DEFAULT 0,
    provenance       TEXT NOT NULL DEFAULT '{}',
    raw_json         TEXT,
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    UNIQUE (association_code, record_key)
);
CREATE INDEX memberships_company ON association_memberships(company_id);
CREATE INDEX memberships_domain ON association_memberships(domain);

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    company_id       INTEGER REFERENCES companies(id) ON DELETE CASCADE,
    full_name        TEXT NOT NULL,
    first_name       TEXT,
    last_name        TEXT,
    title            TEXT,
    seniority        TEXT,
    department       TEXT,
    email            TEXT,
    email_normalized TEXT UNIQUE,
    phone            TEXT,
    linkedin_url     TEXT,
    source_url       TEXT,
    provider         TEXT,
    confidence       REAL NOT NULL DEFAULT 0,
    provenance       TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_company_name_no_email ON contacts(company_id, full_name) WHERE email_normalized IS NULL;

CREATE TABLE extraction_jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,               -- run, demo, import, ...
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled')),
    phase            TEXT,                        -- current phase name
    params           TEXT NOT NULL DEFAULT '{}',
    error            TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);

-- Per-phase progress and resume cursor of a job.
CREATE TABLE job_phases (
    job_id           INTEGER NOT NULL REFERENCES extraction_jobs(id) ON DELETE CASCADE,
    phase            TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    cursor           TEXT,
    done             INTEGER NOT NULL DEFAULT 0,
    total            INTEGER,
    stats            TEXT NOT NULL DEFAULT '{}',
    started_at       TEXT,
    updated_at       TEXT,
    finished_at      TEXT,
    PRIMARY KEY (job_id, phase)
);

-- Per-domain access verdict from the gatekeeper.
CREATE TABLE domain_access (
    domain           TEXT PRIMARY KEY,
    verdict          TEXT NOT NULL CHECK (verdict IN ('allowed', 'robots_disallowed', 'login_wall', 'unreachable', 'unknown')),
    reason           TEXT,
    robots_txt       TEXT,
    crawl_delay_secs REAL,
    checked_at       TEXT NOT NULL
);

-- The crawl frontier.
CREATE TABLE url_queue (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL UNIQUE,        -- normalized
    domain           TEXT NOT NULL,
    association_code TEXT,
    hint             TEXT,                        -- what the discoverer expects: directory, profile, event, company_site, sitemap, json
    depth            INTEGER NOT NULL DEFAULT 0,
    priority         INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'in_progress', 'done', 'failed', 'skipped', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_status      INTEGER,
    etag             TEXT,
    last_modified    TEXT,
    content_hash     TEXT,
    last_fetched_at  TEXT,
    next_attempt_at  TEXT,
    discovered_from  TEXT,
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    error            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX url_queue_status ON url_queue(status, domain);

CREATE TABLE pages (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL UNIQUE,
    final_url        TEXT,
    domain           TEXT NOT NULL,
    association_code TEXT,
    status_code      INTEGER,
    content_type     TEXT,
    charset          TEXT,
    title            TEXT,
    body             TEXT,                        -- decoded UTF-8 body, kept for re-extraction
    bytes            INTEGER,
    content_hash     TEXT,
    page_type        TEXT CHECK (page_type IN ('directory_listing', 'member_profile', 'event', 'exhibitor_list',
                                               'company_site', 'login_wall', 'other')),
    classification_evidence TEXT,
    classification_confidence REAL,
    delta            TEXT CHECK (delta IN ('new', 'changed', 'unchanged', 'deleted')),
    extracted_hash   TEXT,                        -- content hash last extracted, so unchanged pages are skipped
    fetched_at       TEXT NOT NULL,
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL
);
CREATE INDEX pages_type ON pages(page_type);

CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    association_code TEXT,
    start_date       TEXT,
    end_date         TEXT,
    venue            TEXT,
    city             TEXT,
    state            TEXT,
    country          TEXT,
    url              TEXT NOT NULL UNIQUE,
    provenance       TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE event_participants (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    company_id       INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    role             TEXT NOT NULL CHECK (role IN ('exhibitor', 'sponsor', 'speaker', 'attendee')),
    participant_key  TEXT NOT NULL,               -- name key of the company (and person, for speakers)
    company_name     TEXT,
    company_domain   TEXT,
    sponsor_tier     TEXT,
    booth            TEXT,
    person_name      TEXT,
    person_title     TEXT,
    source_url       TEXT NOT NULL,
    confidence       REAL NOT NULL DEFAULT 0,
    provenance       TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    UNIQUE (event_id, role, participant_key)
);
CREATE INDEX event_participants_company ON event_participants(company_id);

CREATE TABLE competitor_signals (
    id               INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    vendor           TEXT NOT NULL,
    product          TEXT,
    category         TEXT NOT NULL,               -- erp, crm, marketing, ecommerce, analytics, ...
    signal_type      TEXT NOT NULL,               -- script, meta, cookie, header, text, job_posting
    evidence         TEXT,
    source_url       TEXT NOT NULL,
    confidence       REAL NOT NULL DEFAULT 0,
    detected_at      TEXT NOT NULL,
    UNIQUE (company_id, vendor, signal_type, source_url)
);

CREATE TABLE entity_relationships (
    id               INTEGER PRIMARY KEY,
    from_type        TEXT NOT NULL,
    from_id          INTEGER NOT NULL,
    to_type          TEXT NOT NULL,
    to_id            INTEGER NOT NULL,
    relation         TEXT NOT NULL,               -- member_of, exhibits_at, sponsors, uses_vendor, ...
    source_url       TEXT,
    confidence       REAL NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    UNIQUE (from_type, from_id, to_type, to_id, relation)
);

-- Structural baselines of listing pages, for drift detection.
CREATE TABLE source_baselines (
    id               INTEGER PRIMARY KEY,
    association_code TEXT,
    url              TEXT NOT NULL,
    structure_hash   TEXT NOT NULL,
    features         TEXT NOT NULL DEFAULT '{}',
    record_count     INTEGER,
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    UNIQUE (url, structure_hash)
);

CREATE TABLE quality_audit_log (
    id               INTEGER PRIMARY KEY,
    entity_type      TEXT NOT NULL,
    entity_id        INTEGER NOT NULL,
    check_name       TEXT NOT NULL,
    outcome          TEXT NOT NULL,               -- pass, warn, fail
    detail           TEXT,
    score            REAL,
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX quality_audit_entity ON quality_audit_log(entity_type, entity_id);

CREATE TABLE dead_letter (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL,
    domain           TEXT,
    phase            TEXT NOT NULL,
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    status_code      INTEGER,
    error            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    history          TEXT NOT NULL DEFAULT '[]',  -- [{at, status, error}]
    created_at       TEXT NOT NULL,
    last_failed_at   TEXT NOT NULL,
    requeued_at      TEXT,
    UNIQUE (url, phase)
);

CREATE TABLE merge_candidates (
    id               INTEGER PRIMARY KEY,
    left_id          INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    right_id         INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    score            REAL NOT NULL,
    features         TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'auto_merged')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (left_id < right_id),
    UNIQUE (left_id, right_id)
);

CREATE TABLE merge_decisions (
    id               INTEGER PRIMARY KEY,
    candidate_id     INTEGER REFERENCES merge_candidates(id) ON DELETE SET NULL,
    left_id          INTEGER NOT NULL,
    right_id         INTEGER NOT NULL,
    decision         TEXT NOT NULL CHECK (decision IN ('merge', 'reject')),
    survivor_id      INTEGER,
    decided_by       TEXT NOT NULL DEFAULT 'analyst',
    snapshot         TEXT NOT NULL DEFAULT '{}',  -- what to restore on undo
    decided_at       TEXT NOT NULL,
    undone_at        TEXT
);
CREATE INDEX merge_decisions_pair ON merge_decisions(left_id, right_id);

CREATE TABLE provider_usage (
    id               INTEGER PRIMARY KEY,
    provider         TEXT NOT NULL,
    day              TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
    requests         INTEGER NOT NULL DEFAULT 0,
    credits          REAL NOT NULL DEFAULT 0,
    errors           INTEGER NOT NULL DEFAULT 0,
    last_used_at     TEXT,
    UNIQUE (provider, day)
);

CREATE VIEW company_summary AS
SELECT c.id, c.name, c.domain, c.website, c.phone, c.city, c.state, c.country,
       c.employee_count, c.quality_score, c.quality_grade, c.status,
       (SELECT count(*) FROM association_memberships m WHERE m.company_id = c.id) AS membership_count,
       (SELECT group_concat(DISTINCT m.association_code) FROM association_memberships m WHERE m.company_id = c.id) AS associations,
       (SELECT count(*) FROM contacts k WHERE k.company_id = c.id) AS contact_count,
       (SELECT count(*) FROM competitor_signals s WHERE s.company_id = c.id) AS signal_count,
       (SELECT count(*) FROM event_participants p WHERE p.company_id = c.id) AS event_count,
       c.updated_at
FROM companies c;

CREATE VIEW job_summary AS
SELECT j.id, j.kind, j.status, j.phase, j.created_at, j.started_at, j.finished_at, j.error,
       (SELECT count(*) FROM job_phases p WHERE p.job_id = j.id AND p.status = 'completed') AS phases_completed,
       (SELECT count(*) FROM job_phases p WHERE p.job_id = j.id) AS phases_total,
       (SELECT count(*) FROM pages g WHERE g.job_id = j.id) AS pages_fetched,
       (SELECT count(*) FROM association_memberships m WHERE m.job_id = j.id) AS records_extracted,
       (SELECT count(*) FROM dead_letter d WHERE d.job_id = j.id) AS dead_letters
FROM extraction_jobs j;

CREATE VIEW event_summary AS
SELECT e.id, e.name, e.association_code, e.start_date, e.end_date, e.city, e.state, e.url,
       (SELECT count(*) FROM event_participants p WHERE p.event_id = e.id AND p.role = 'exhibitor') AS exhibitors,
       (SELECT count(*) FROM event_participants p WHERE p.event_id = e.id AND p.role = 'sponsor') AS sponsors,
       (SELECT count(*) FROM event_participants p WHERE p.event_id = e.id AND p.role = 'speaker') AS speakers,
       (SELECT count(*) FROM event_participants p WHERE p.event_id = e.id AND p.company_id IS NOT NULL) AS linked_companies
FROM events e;

CREATE VIEW competitor_report AS
SELECT s.vendor, s.category,
       count(DISTINCT s.company_id) AS companies,
       count(*) AS signals,
       max(s.confidence) AS max_confidence,
       max(s.detected_at) AS last_detected_at
FROM competitor_signals s
GROUP BY s.vendor, s.category;
