-- Leaner writes for imports and crawls.
--
-- No query looks a listing up by the id its source gave it: an imported
-- list is traced to its canonical companies by exporting the listings
-- (`nam export --what memberships`), and a re-import finds its rows by
-- record key ("ext:<id>"), which the unique (association, record key) index
-- covers. The index on external_id only cost every imported row an entry.
DROP INDEX IF EXISTS memberships_external_id;
