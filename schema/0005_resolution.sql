-- Resolution, validation and import (issue 9).
--
-- Source records (association_memberships, including imported rows) carry
-- the id their source gave them, so an imported list can be traced to the
-- canonical company it resolved to.
ALTER TABLE association_memberships ADD COLUMN external_id TEXT;
CREATE INDEX IF NOT EXISTS memberships_external_id ON association_memberships(external_id);

-- Different firms may share a name and have no website: name keys are no
-- longer unique among domain-less companies. Deciding which listings are
-- one firm is RESOLUTION's job, not a unique index's.
DROP INDEX IF EXISTS companies_name_key_no_domain;

-- NULL until RESOLUTION has compared the company with the rest; records
-- from a later crawl or import are resolved incrementally against the
-- clusters already there.
ALTER TABLE companies ADD COLUMN resolved_at TEXT;
-- NULL (or older than updated_at) until VALIDATION has scored the company.
ALTER TABLE companies ADD COLUMN validated_at TEXT;
CREATE INDEX IF NOT EXISTS companies_merged_into ON companies(merged_into);

-- Candidates gain 'skipped'; decisions gain 'keep_apart' and 'skip' (the
-- analyst's three answers) and remember the pair's features, so later runs
-- can learn field weights from them. Both tables were empty before this
-- release, but rows are carried over anyway.
CREATE TABLE merge_candidates_new (
    id               INTEGER PRIMARY KEY,
    left_id          INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    right_id         INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    score            REAL NOT NULL,
    features         TEXT NOT NULL DEFAULT '{}',   -- {"features": {...}, "reasons": [...]}
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'auto_merged', 'skipped')),
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (left_id < right_id),
    UNIQUE (left_id, right_id)
);
INSERT INTO merge_candidates_new (id, left_id, right_id, score, features, status, created_at, updated_at)
    SELECT id, left_id, right_id, score, features, status, created_at, updated_at FROM merge_candidates;
DROP TABLE merge_candidates;
ALTER TABLE merge_candidates_new RENAME TO merge_candidates;
CREATE INDEX merge_candidates_status ON merge_candidates(status, score);

CREATE TABLE merge_decisions_new (
    id               INTEGER PRIMARY KEY,
    candidate_id     INTEGER REFERENCES merge_candidates(id) ON DELETE SET NULL,
    left_id          INTEGER NOT NULL,
    right_id         INTEGER NOT NULL,
    decision         TEXT NOT NULL CHECK (decision IN ('merge', 'keep_apart', 'skip')),
    survivor_id      INTEGER,
    score            REAL,
    features         TEXT NOT NULL DEFAULT '{}',
    decided_by       TEXT NOT NULL DEFAULT 'analyst' CHECK (decided_by IN ('analyst', 'auto', 'hard_key')),
    snapshot         TEXT NOT NULL DEFAULT '{}',  -- what to restore on undo
    job_id           INTEGER REFERENCES extraction_jobs(id) ON DELETE SET NULL,
    decided_at       TEXT NOT NULL,
    undone_at        TEXT
);
INSERT INTO merge_decisions_new (id, candidate_id, left_id, right_id, decision, survivor_id, decided_by,
                                 snapshot, decided_at, undone_at)
    SELECT id, candidate_id, left_id, right_id,
           CASE decision WHEN 'reject' THEN 'keep_apart' ELSE decision END,
           survivor_id, CASE WHEN decided_by IN ('analyst', 'auto', 'hard_key') THEN decided_by ELSE 'analyst' END,
           snapshot, decided_at, undone_at
    FROM merge_decisions;
DROP TABLE merge_decisions;
ALTER TABLE merge_decisions_new RENAME TO merge_decisions;
CREATE INDEX merge_decisions_pair ON merge_decisions(left_id, right_id);
CREATE INDEX merge_decisions_survivor ON merge_decisions(survivor_id);

-- VALIDATION's record of each company's last check outcomes (issue 9):
-- {"check name": "outcome:hash of the detail"}, a few hundred bytes. A re-run
-- compares against it and writes an audit row only for an outcome that is new
-- or changed, so an unchanged company adds nothing to quality_audit_log
-- however often it is validated.
ALTER TABLE companies ADD COLUMN quality_checks TEXT;
