//! Pages waiting for extraction, and the lookups extraction needs.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::model::MemberRecord;

/// A stored page as extraction reads it.
#[derive(Debug, Clone)]
pub struct StoredPage {
    pub id: i64,
    pub url: String,
    pub final_url: Option<String>,
    pub association_code: Option<String>,
    pub page_type: Option<String>,
    pub body: String,
    pub content_hash: Option<String>,
}

/// Where extraction stands. Pages come in a fixed order: listings (and
/// pages not classified yet), then member profiles, then events and
/// exhibitor lists (their participants link to the companies the listings
/// made), each by URL. So the result does not depend on the order the crawl
/// happened to fetch pages in. The cursor goes into the job's checkpoint;
/// a resumed run needs no cursor to skip finished pages, since every page
/// records the content hash it was extracted at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractCursor {
    pub rank: u8,
    pub url: String,
}

/// The rank of a page type in extraction order (see [`ExtractCursor`]).
fn rank_of(page_type: Option<&str>) -> u8 {
    match page_type {
        Some("member_profile") => 1,
        Some("event" | "exhibitor_list") => 2,
        _ => 0,
    }
}

impl ExtractCursor {
    pub fn after(page: &StoredPage) -> Self {
        ExtractCursor {
            rank: rank_of(page.page_type.as_deref()),
            url: page.url.clone(),
        }
    }

    /// `RANK|URL`, for the job's checkpoint.
    pub fn encode(&self) -> String {
        format!("{}|{}", self.rank, self.url)
    }
}

impl Store {
    /// Up to `limit` pages after `cursor` whose current content has not
    /// been extracted: listing, profile, event and exhibitor pages, and pages
    /// not yet classified.
    pub fn pages_to_extract(
        &self,
        cursor: &ExtractCursor,
        limit: usize,
    ) -> Result<Vec<StoredPage>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, url, final_url, association_code, page_type, body, content_hash FROM pages
             WHERE body IS NOT NULL
               AND (page_type IS NULL OR page_type IN ('directory_listing', 'member_profile', 'event', 'exhibitor_list'))
               AND (status_code IS NULL OR status_code < 400)
               AND extracted_hash IS NOT content_hash
               AND (CASE WHEN page_type = 'member_profile' THEN 1
                         WHEN page_type IN ('event', 'exhibitor_list') THEN 2 ELSE 0 END,
                    url) > (?1, ?2)
             ORDER BY CASE WHEN page_type = 'member_profile' THEN 1
                           WHEN page_type IN ('event', 'exhibitor_list') THEN 2 ELSE 0 END, url
             LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![cursor.rank, cursor.url, limit as i64], |r| {
            Ok(StoredPage {
                id: r.get(0)?,
                url: r.get(1)?,
                final_url: r.get(2)?,
                association_code: r.get(3)?,
                page_type: r.get(4)?,
                body: r.get(5)?,
                content_hash: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many pages [`Store::pages_to_extract`] would return in total.
    pub fn pages_to_extract_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM pages WHERE body IS NOT NULL
               AND (page_type IS NULL OR page_type IN ('directory_listing', 'member_profile', 'event', 'exhibitor_list'))
               AND (status_code IS NULL OR status_code < 400)
               AND extracted_hash IS NOT content_hash",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records that the page's current content has been extracted.
    pub fn mark_extracted(&self, page_id: i64, content_hash: Option<&str>) -> Result<()> {
        // A page without a hash gets a marker so it is not re-read forever.
        self.conn().execute(
            "UPDATE pages SET extracted_hash = coalesce(?2, content_hash, 'extracted') WHERE id = ?1",
            params![page_id, content_hash],
        )?;
        if content_hash.is_none() {
            self.conn().execute(
                "UPDATE pages SET content_hash = coalesce(content_hash, 'extracted') WHERE id = ?1",
                [page_id],
            )?;
        }
        Ok(())
    }

    /// Body and page type of a stored page by URL (or final URL).
    pub fn page_by_url(&self, url: &str) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT body, page_type FROM pages WHERE (url = ?1 OR final_url = ?1) AND body IS NOT NULL
                 ORDER BY id LIMIT 1",
                [url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The stored record of the listing `rec` would update, if any.
    pub fn existing_membership(
        &self,
        rec: &MemberRecord,
        name_key: &str,
    ) -> Result<Option<MemberRecord>> {
        let key = super::memberships::record_key(rec, name_key);
        self.membership_record(&rec.association, &key)
    }

    /// The stored record of one listing, if any.
    pub fn membership_record(
        &self,
        association: &str,
        record_key: &str,
    ) -> Result<Option<MemberRecord>> {
        let sql = format!(
            "SELECT {} FROM association_memberships WHERE association_code = ?1 AND record_key = ?2",
            super::memberships::MEMBER_COLUMNS
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params![association, record_key], |r| {
                super::memberships::member_from_row(r, 0)
            })
            .optional()?)
    }

    /// The active company with this registrable domain, else with this name key.
    pub fn company_id_by_domain_or_name(
        &self,
        domain: Option<&str>,
        name_key: Option<&str>,
    ) -> Result<Option<i64>> {
        if let Some(d) = domain {
            let id = self
                .conn()
                .query_row("SELECT id FROM companies WHERE domain = ?1", [d], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(id) = id {
                return Ok(Some(self.surviving_company(id)?));
            }
        }
        match name_key.filter(|k| !k.is_empty()) {
            Some(k) => Ok(self
                .conn()
                .query_row(
                    "SELECT id FROM companies WHERE name_key = ?1 AND status = 'active' ORDER BY id LIMIT 1",
                    [k],
                    |r| r.get(0),
                )
                .optional()?),
            None => Ok(None),
        }
    }
}

/// A page body to store for extraction.
#[derive(Debug, Clone, Copy)]
pub struct ExtractionPage<'a> {
    pub url: &'a str,
    pub association: Option<&'a str>,
    pub page_type: Option<&'a str>,
    pub body: &'a str,
    /// A new hash makes the page due for extraction again.
    pub content_hash: &'a str,
}

impl Store {
    /// Stores a page body for extraction (used by `nam extract` imports and
    /// tests; the crawler writes pages through its own methods).
    pub fn insert_extraction_page(&self, p: &ExtractionPage<'_>) -> Result<i64> {
        let ExtractionPage {
            url,
            association,
            page_type,
            body,
            content_hash,
        } = *p;
        let domain = crate::normalize::registrable_domain(url).unwrap_or_default();
        Ok(self.conn().query_row(
            "INSERT INTO pages (url, domain, association_code, status_code, body, bytes, content_hash, page_type, fetched_at)
             VALUES (?1, ?2, ?3, 200, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (url) DO UPDATE SET body = excluded.body, bytes = excluded.bytes,
                content_hash = excluded.content_hash, page_type = excluded.page_type,
                association_code = excluded.association_code, fetched_at = excluded.fetched_at
             RETURNING id",
            params![url, domain, association, body, body.len() as i64, content_hash, page_type, crate::model::now_string()],
            |r| r.get(0),
        )?)
    }
}
