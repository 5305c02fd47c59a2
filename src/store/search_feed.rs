//! What the on-disk company search index (`search::browse`) reads: the
//! searchable text of every active company, or of those that changed since
//! the index last read.
//!
//! "Changed since" is two watermarks: the largest company id the index has
//! seen (new companies take the next id) and the last entry of
//! `company_changes`, which triggers fill when a company's name, domain,
//! city or status changes, when one is deleted, and when one is inserted
//! below the largest id (`schema/0006_browse.sql`).

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::Store;

/// The searchable text of one active company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRow {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    pub city: Option<String>,
}

/// How far a reader of the feed has read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchWatermark {
    /// Largest company id at the time.
    pub max_id: i64,
    /// Last `company_changes` sequence number at the time.
    pub change_seq: i64,
}

/// One step of the feed, in the order a reader applies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchFeedItem {
    /// Forget everything: every active company follows.
    Reset,
    /// Index this company (replacing what was indexed for its id).
    Upsert(SearchRow),
    /// This id is no longer an active company.
    Remove(i64),
}

impl Store {
    /// Feeds `visit` what changed after `since` (everything, after a
    /// [`SearchFeedItem::Reset`], when `since` is `None` or belongs to
    /// another database), all read from one snapshot; returns the watermark
    /// of that snapshot, to pass as `since` next time.
    pub fn search_feed(
        &self,
        since: Option<SearchWatermark>,
        visit: &mut dyn FnMut(SearchFeedItem) -> Result<()>,
    ) -> Result<SearchWatermark> {
        self.read_snapshot(|| self.search_feed_in_snapshot(since, visit))
    }

    fn search_feed_in_snapshot(
        &self,
        since: Option<SearchWatermark>,
        visit: &mut dyn FnMut(SearchFeedItem) -> Result<()>,
    ) -> Result<SearchWatermark> {
        let max_id: i64 =
            self.conn()
                .query_row("SELECT ifnull(max(id), 0) FROM companies", [], |r| r.get(0))?;
        // sqlite_sequence keeps the last number even if old entries are
        // ever deleted; no row yet means no change logged yet.
        let change_seq: i64 = self
            .conn()
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'company_changes'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let now = SearchWatermark { max_id, change_seq };
        // A log that went backwards is another database (a restored
        // backup): start over.
        let since = since.filter(|s| s.change_seq <= now.change_seq);
        let Some(since) = since else {
            visit(SearchFeedItem::Reset)?;
            let mut stmt = self.conn().prepare(
                "SELECT id, name, domain, city FROM companies WHERE status = 'active' ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                visit(SearchFeedItem::Upsert(SearchRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    domain: r.get(2)?,
                    city: r.get(3)?,
                }))?;
            }
            return Ok(now);
        };
        let mut changed: Vec<i64> = self
            .conn()
            .prepare_cached(
                "SELECT DISTINCT company_id FROM company_changes WHERE seq > ?1 AND seq <= ?2",
            )?
            .query_map(params![since.change_seq, now.change_seq], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        changed.sort_unstable();
        let mut current = self.conn().prepare_cached(
            "SELECT name, domain, city FROM companies WHERE id = ?1 AND status = 'active'",
        )?;
        for &id in &changed {
            let row = current
                .query_row([id], |r| {
                    Ok(SearchRow {
                        id,
                        name: r.get(0)?,
                        domain: r.get(1)?,
                        city: r.get(2)?,
                    })
                })
                .optional()?;
            visit(match row {
                Some(row) => SearchFeedItem::Upsert(row),
                None => SearchFeedItem::Remove(id),
            })?;
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, domain, city FROM companies
             WHERE id > ?1 AND id <= ?2 AND status = 'active' ORDER BY id",
        )?;
        let mut rows = stmt.query(params![since.max_id, now.max_id])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            // Already sent as it is now.
            if changed.binary_search(&id).is_ok() {
                continue;
            }
            visit(SearchFeedItem::Upsert(SearchRow {
                id,
                name: r.get(1)?,
                domain: r.get(2)?,
                city: r.get(3)?,
            }))?;
        }
        Ok(now)
    }
}

#[cfg(test)]
impl Store {
    /// Deletes company `id` outright (no code path does yet; the search
    /// index must cope when one does).
    pub(crate) fn delete_company_for_test(&self, id: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM companies WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Renames company `id` the way a bare UPDATE would.
    pub(crate) fn rename_company_for_test(&self, id: i64, name: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE companies SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MemberRecord;

    fn add(store: &Store, name: &str, domain: Option<&str>, city: Option<&str>) -> i64 {
        let rec = MemberRecord {
            association: "PMA".into(),
            name: name.into(),
            domain: domain.map(Into::into),
            city: city.map(Into::into),
            source_url: "http://pma.example/".into(),
            extractor: "test".into(),
            ..Default::default()
        };
        store
            .upsert_company_from_member(&rec, &crate::normalize::name_key(name))
            .unwrap()
    }

    fn feed(
        store: &Store,
        since: Option<SearchWatermark>,
    ) -> (Vec<SearchFeedItem>, SearchWatermark) {
        let mut items = Vec::new();
        let mark = store
            .search_feed(since, &mut |i| {
                items.push(i);
                Ok(())
            })
            .unwrap();
        (items, mark)
    }

    #[test]
    fn the_feed_sends_new_changed_merged_and_deleted_companies_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        let a = add(&store, "Acme Tool", Some("acme.example"), Some("Erie"));
        let b = add(&store, "Brightline Gear", None, None);
        let c = add(&store, "Castle Forge", None, None);
        let (items, mark) = feed(&store, None);
        assert_eq!(items[0], SearchFeedItem::Reset);
        assert_eq!(items.len(), 4);
        assert_eq!(mark.max_id, c);
        // Nothing happened: nothing to send.
        let (items, again) = feed(&store, Some(mark));
        assert!(items.is_empty(), "{items:?}");
        assert_eq!(again, mark);

        store.rename_company_for_test(a, "Acme Tooling").unwrap();
        // Setting a value to itself is not a change.
        store.rename_company_for_test(c, "Castle Forge").unwrap();
        store.mark_merged_for_test(b, a).unwrap();
        let d = add(&store, "Delta Dies", None, Some("Akron"));
        // Renamed after it was created: sent once, as it is now.
        store.rename_company_for_test(d, "Delta Die Works").unwrap();
        let (items, mark2) = feed(&store, Some(mark));
        assert_eq!(
            items,
            [
                SearchFeedItem::Upsert(SearchRow {
                    id: a,
                    name: "Acme Tooling".into(),
                    domain: Some("acme.example".into()),
                    city: Some("Erie".into()),
                }),
                SearchFeedItem::Remove(b),
                SearchFeedItem::Upsert(SearchRow {
                    id: d,
                    name: "Delta Die Works".into(),
                    domain: None,
                    city: Some("Akron".into()),
                }),
            ]
        );
        store.delete_company_for_test(c).unwrap();
        let (items, _) = feed(&store, Some(mark2));
        assert_eq!(items, [SearchFeedItem::Remove(c)]);
    }

    #[test]
    fn an_explicit_id_below_the_maximum_is_logged() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        add(&store, "Acme Tool", None, None);
        add(&store, "Brightline Gear", None, None);
        let (_, mark) = feed(&store, None);
        // Id 0 is below every id SQLite hands out.
        store
            .conn()
            .execute(
                "INSERT INTO companies (id, name, name_key, created_at, updated_at)
                 VALUES (0, 'Early Bird', 'early bird', 'now', 'now')",
                [],
            )
            .unwrap();
        let (items, _) = feed(&store, Some(mark));
        assert_eq!(
            items,
            [SearchFeedItem::Upsert(SearchRow {
                id: 0,
                name: "Early Bird".into(),
                domain: None,
                city: None,
            })]
        );
    }

    #[test]
    fn a_watermark_from_another_database_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        add(&store, "Acme Tool", None, None);
        let foreign = SearchWatermark {
            max_id: 10,
            change_seq: 99,
        };
        let (items, _) = feed(&store, Some(foreign));
        assert_eq!(items[0], SearchFeedItem::Reset);
        assert_eq!(items.len(), 2);
    }
}
