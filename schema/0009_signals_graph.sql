-- Competitor signals say what a mention means (signal_type: uses, evaluating,
-- hiring, partner, sponsor, mention) separately from the kind of evidence it
-- rests on (evidence_kind: script, header, cookie, meta, url, text), with a
-- strength in 0..1. Before this migration signal_type held the evidence kind.
-- The table is rebuilt: one page can show a vendor's CRM and its marketing
-- product the same way, so the category joins the unique key.
DROP VIEW IF EXISTS company_summary;
DROP VIEW IF EXISTS competitor_report;
CREATE TABLE competitor_signals_v2 (
    id               INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    vendor           TEXT NOT NULL,
    product          TEXT,
    category         TEXT NOT NULL,               -- erp, crm, marketing, ...
    signal_type      TEXT NOT NULL,               -- uses, evaluating, hiring, partner, sponsor, mention
    evidence_kind    TEXT NOT NULL DEFAULT 'text',-- script, header, cookie, meta, url, text
    evidence         TEXT,                        -- sanitized snippet around the mention
    source_url       TEXT NOT NULL,
    strength         REAL NOT NULL DEFAULT 0,
    confidence       REAL NOT NULL DEFAULT 0,
    detected_at      TEXT NOT NULL,
    UNIQUE (company_id, vendor, category, signal_type, source_url)
);
INSERT OR IGNORE INTO competitor_signals_v2
    (id, company_id, vendor, product, category, signal_type, evidence_kind, evidence,
     source_url, strength, confidence, detected_at)
SELECT id, company_id, vendor, product, category,
       CASE signal_type
           WHEN 'job_posting' THEN 'hiring' WHEN 'text' THEN 'mention'
           WHEN 'script' THEN 'uses' WHEN 'meta' THEN 'uses' WHEN 'cookie' THEN 'uses'
           WHEN 'header' THEN 'uses' ELSE signal_type END,
       CASE signal_type
           WHEN 'script' THEN 'script' WHEN 'meta' THEN 'meta' WHEN 'cookie' THEN 'cookie'
           WHEN 'header' THEN 'header' ELSE 'text' END,
       evidence, source_url, confidence, confidence, detected_at
FROM competitor_signals;
DROP TABLE competitor_signals;
ALTER TABLE competitor_signals_v2 RENAME TO competitor_signals;
CREATE INDEX IF NOT EXISTS competitor_signals_vendor
    ON competitor_signals(vendor COLLATE NOCASE, company_id);
CREATE INDEX IF NOT EXISTS competitor_signals_product
    ON competitor_signals(product COLLATE NOCASE, company_id);
CREATE INDEX IF NOT EXISTS competitor_signals_company ON competitor_signals(company_id);

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

-- Technologies a company can be linked to: one row per vendor (product '')
-- and one per named product.
CREATE TABLE IF NOT EXISTS technologies (
    id        INTEGER PRIMARY KEY,
    vendor    TEXT NOT NULL,
    product   TEXT NOT NULL DEFAULT '',
    category  TEXT NOT NULL,
    UNIQUE (vendor, product)
);

-- Graph edges carry the evidence they rest on and a weight in 0..1.
ALTER TABLE entity_relationships ADD COLUMN evidence TEXT;
ALTER TABLE entity_relationships ADD COLUMN weight REAL NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS entity_relationships_to
    ON entity_relationships(to_type, to_id, relation);

-- Vendors by companies, signal strength and association. One row per
-- (vendor, category, association) plus a row per (vendor, category) with
-- association NULL for the whole store. Merged-away companies never count.
CREATE VIEW competitor_report AS
WITH live AS (
    SELECT s.* FROM competitor_signals s
    JOIN companies c ON c.id = s.company_id AND c.merged_into IS NULL
)
SELECT vendor, category, NULL AS association_code,
       count(DISTINCT company_id) AS companies,
       count(DISTINCT CASE WHEN signal_type = 'uses' THEN company_id END) AS using_companies,
       count(*) AS signals,
       round(avg(strength), 3) AS avg_strength,
       max(strength) AS max_strength,
       max(confidence) AS max_confidence,
       max(detected_at) AS last_detected_at
FROM live GROUP BY vendor, category
UNION ALL
SELECT l.vendor, l.category, m.association_code,
       count(DISTINCT l.company_id),
       count(DISTINCT CASE WHEN l.signal_type = 'uses' THEN l.company_id END),
       count(*),
       round(avg(l.strength), 3),
       max(l.strength),
       max(l.confidence),
       max(l.detected_at)
FROM live l
JOIN (SELECT DISTINCT company_id, association_code FROM association_memberships
      WHERE company_id IS NOT NULL) m ON m.company_id = l.company_id
GROUP BY l.vendor, l.category, m.association_code;

-- The GRAPH phase reads each company's own website once; a row here says
-- it did (and for which job, so a resumed job skips what it already read).
CREATE TABLE IF NOT EXISTS company_site_scans (
    company_id  INTEGER PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
    site        TEXT NOT NULL,                 -- origin read, e.g. http://www.acme.example/
    job_id      INTEGER,
    scanned_at  TEXT NOT NULL,
    pages       INTEGER NOT NULL DEFAULT 0,
    signals     INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,                 -- ok, failed
    error       TEXT
);

-- Associations as graph nodes (codes come from listings).
CREATE TABLE IF NOT EXISTS associations (
    id    INTEGER PRIMARY KEY,
    code  TEXT NOT NULL UNIQUE
);
