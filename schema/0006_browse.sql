-- The TUI's data layer (store/browse.rs, search/browse.rs): keyset pages
-- of active companies in four orders, and a change log the on-disk search
-- index catches up from.

-- One index per sort order, each over active companies only (the list
-- never shows merged or rejected ones) and ending in the id, the tie-break
-- of every order, so a page is a seek and a short walk, never a sort.
-- A missing grade or state sorts after every value: U+10FFFF, the last code
-- point, is greater than any text a company can carry. Queries must spell
-- these expressions exactly like this for SQLite to match the indexes.
--
-- Each index also carries the grade and state keys after the id: they do
-- not change the order, but a walk filtered by grade or state, or a count
-- of them, then reads the index alone. A company row is about 1.5 KB
-- (its provenance), so a table read per index entry would cost ten times
-- the walk. The status column is there for the same reason: SQLite reads
-- a partial index alone only when it holds the columns of its own WHERE.
CREATE INDEX IF NOT EXISTS companies_browse_name
    ON companies(name COLLATE NOCASE, id,
                 ifnull(quality_grade, char(1114111)), ifnull(state, char(1114111)), status)
    WHERE status = 'active';
CREATE INDEX IF NOT EXISTS companies_browse_grade
    ON companies(ifnull(quality_grade, char(1114111)), id, ifnull(state, char(1114111)), status)
    WHERE status = 'active';
CREATE INDEX IF NOT EXISTS companies_browse_state
    ON companies(ifnull(state, char(1114111)), id, ifnull(quality_grade, char(1114111)), status)
    WHERE status = 'active';
CREATE INDEX IF NOT EXISTS companies_browse_updated
    ON companies(updated_at, id,
                 ifnull(quality_grade, char(1114111)), ifnull(state, char(1114111)), status)
    WHERE status = 'active';
-- Whether a company (found through its listings, signals or contacts) is
-- active, and its grade and state, without reading its row.
CREATE INDEX IF NOT EXISTS companies_browse_active
    ON companies(id, ifnull(quality_grade, char(1114111)), ifnull(state, char(1114111)), status)
    WHERE status = 'active';

-- The association filter: its listings' companies in id order, and whether
-- one company is listed, both without reading a listing row (several KB
-- with its raw record).
CREATE INDEX IF NOT EXISTS memberships_association_company
    ON association_memberships(association_code, company_id);
-- A list row counts its contacts; contacts had no index by company.
CREATE INDEX IF NOT EXISTS contacts_company ON contacts(company_id);
-- The technology filter looks companies up by vendor or product.
CREATE INDEX IF NOT EXISTS competitor_signals_vendor
    ON competitor_signals(vendor COLLATE NOCASE, company_id);
CREATE INDEX IF NOT EXISTS competitor_signals_product
    ON competitor_signals(product COLLATE NOCASE, company_id);

-- Companies whose searchable text or visibility changed, in order. The
-- search index remembers the last seq it applied and re-reads just these
-- companies; new companies it finds by id above the largest it has seen.
-- A timestamp watermark would not do: updated_at has one-second
-- resolution, is not touched by every writer (merges, status changes) and
-- goes back in time when an undo restores a row. AUTOINCREMENT keeps seq
-- growing even if old entries are ever pruned.
CREATE TABLE IF NOT EXISTS company_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS companies_search_update
AFTER UPDATE OF name, domain, city, status ON companies
WHEN old.name IS NOT new.name OR old.domain IS NOT new.domain
  OR old.city IS NOT new.city OR old.status IS NOT new.status
BEGIN
    INSERT INTO company_changes (company_id) VALUES (new.id);
END;

CREATE TRIGGER IF NOT EXISTS companies_search_delete
AFTER DELETE ON companies
BEGIN
    INSERT INTO company_changes (company_id) VALUES (old.id);
END;

-- An insert normally takes the next id and is found by the id watermark;
-- one given an explicit id below the current maximum would be missed, so
-- it is logged. (SQLite hands out a deleted row's id again only when it was
-- the maximum, and the delete itself was logged.) max(id) is one seek.
CREATE TRIGGER IF NOT EXISTS companies_search_insert
AFTER INSERT ON companies
WHEN new.id < (SELECT max(id) FROM companies)
BEGIN
    INSERT INTO company_changes (company_id) VALUES (new.id);
END;
