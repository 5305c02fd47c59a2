//! The GRAPH phase's rows: which company sites are still to be read, what
//! a read found, and the relationship edges rebuilt from everything the
//! store knows.

use anyhow::Result;
use rusqlite::params;
use serde::Serialize;

use super::Store;
use super::memberships::survivors_cte;
use super::workbench::NewSignal;
use crate::model::now_string;

/// A company whose website the GRAPH phase should read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteTarget {
    pub company_id: i64,
    /// The company's name: a vendor name inside it ("Oracle Tool & Die")
    /// is not a signal on its own site.
    pub name: String,
    /// The stored website, or `http://<domain>/` when only the domain is known.
    pub website: String,
}

/// What reading one company's site found (see [`Store::record_site_scan`]).
#[derive(Debug, Clone, Default)]
pub struct SiteScan {
    pub company_id: i64,
    /// The origin read (`http://www.acme.example/`); signals from an earlier
    /// read of it are replaced.
    pub site: String,
    pub job_id: Option<i64>,
    pub pages: usize,
    pub signals: Vec<NewSignal>,
    /// Why the site could not be read, if it could not.
    pub error: Option<String>,
}

/// One edge of a company, named for a reader (see [`Store::relationships_of`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationLine {
    /// member_of, exhibits_at, uses_technology, vendor_signal, shares_contact, ...
    pub relation: String,
    /// association, event, technology, vendor or company.
    pub target_type: String,
    pub target_id: i64,
    /// The association code, event name, "vendor product", vendor or company name.
    pub target: String,
    pub evidence: Option<String>,
    pub weight: f64,
}

/// Edges per relation after [`Store::rebuild_relationships`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GraphCounts {
    pub member_of: u64,
    pub event_roles: u64,
    pub uses_technology: u64,
    pub vendor_signals: u64,
    pub shares_contact: u64,
}

impl GraphCounts {
    pub fn total(&self) -> u64 {
        self.member_of
            + self.event_roles
            + self.uses_technology
            + self.vendor_signals
            + self.shares_contact
    }
}

impl Store {
    /// The edges from (and, for company-company edges, to) `company_id`,
    /// heaviest first within each relation.
    pub fn relationships_of(&self, company_id: i64, limit: usize) -> Result<Vec<RelationLine>> {
        // Each edge's far end, then its name from the table of its kind.
        let mut stmt = self.conn().prepare_cached(
            "WITH edge AS (
                 SELECT r.id, r.relation, r.evidence, r.weight,
                        CASE WHEN r.from_id = ?1 AND r.from_type = 'company'
                             THEN r.to_type ELSE r.from_type END AS kind,
                        CASE WHEN r.from_id = ?1 AND r.from_type = 'company'
                             THEN r.to_id ELSE r.from_id END AS far
                 FROM entity_relationships r
                 WHERE (r.from_type = 'company' AND r.from_id = ?1)
                    OR (r.to_type = 'company' AND r.to_id = ?1))
             SELECT relation, kind, far,
                    CASE kind
                        WHEN 'association' THEN (SELECT code FROM associations WHERE id = far)
                        WHEN 'event' THEN (SELECT name FROM events WHERE id = far)
                        WHEN 'technology' THEN
                            (SELECT trim(vendor || ' ' || product) FROM technologies WHERE id = far)
                        WHEN 'vendor' THEN (SELECT vendor FROM technologies WHERE id = far)
                        WHEN 'company' THEN (SELECT name FROM companies WHERE id = far)
                    END,
                    evidence, weight
             FROM edge
             ORDER BY relation, weight DESC, id
             LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![company_id, limit], |r| {
            let (target_type, target_id): (String, i64) = (r.get(1)?, r.get(2)?);
            let target: Option<String> = r.get(3)?;
            Ok(RelationLine {
                relation: r.get(0)?,
                target: target.unwrap_or_else(|| format!("{target_type} #{target_id}")),
                target_type,
                target_id,
                evidence: r.get(4)?,
                weight: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Active companies with a website or domain whose site has not been
    /// read: never, or (with `force`) not by job `job_id` yet, so a resumed
    /// job goes on where it stopped.
    pub fn site_scan_targets(&self, job_id: Option<i64>, force: bool) -> Result<Vec<SiteTarget>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, coalesce(c.website, 'http://' || c.domain || '/'), c.name
             FROM companies c
             WHERE c.status = 'active' AND c.merged_into IS NULL
               AND (c.website IS NOT NULL OR c.domain IS NOT NULL)
               AND NOT EXISTS (
                   SELECT 1 FROM company_site_scans s
                   WHERE s.company_id = c.id
                     AND (?1 = 0 OR (?2 IS NOT NULL AND s.job_id = ?2)))
             ORDER BY c.id",
        )?;
        let rows = stmt.query_map(params![force, job_id], |r| {
            Ok(SiteTarget {
                company_id: r.get(0)?,
                website: r.get(1)?,
                name: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Stores one site read: the signals found replace those of an earlier
    /// read of the same site; a failed read keeps the earlier signals.
    pub fn record_site_scan(&self, scan: &SiteScan) -> Result<()> {
        if scan.error.is_none() {
            self.conn().execute(
                "DELETE FROM competitor_signals
                 WHERE company_id = ?1 AND substr(source_url, 1, length(?2)) = ?2",
                params![scan.company_id, scan.site],
            )?;
            for s in &scan.signals {
                self.add_competitor_signal(s)?;
            }
        }
        self.conn().execute(
            "INSERT INTO company_site_scans (company_id, site, job_id, scanned_at, pages, signals,
                                             status, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (company_id) DO UPDATE SET
                site = excluded.site, job_id = excluded.job_id, scanned_at = excluded.scanned_at,
                pages = excluded.pages, signals = excluded.signals, status = excluded.status,
                error = excluded.error",
            params![
                scan.company_id,
                scan.site,
                scan.job_id,
                now_string(),
                i64::try_from(scan.pages).unwrap_or(i64::MAX),
                i64::try_from(scan.signals.len()).unwrap_or(i64::MAX),
                if scan.error.is_some() { "failed" } else { "ok" },
                scan.error,
            ],
        )?;
        Ok(())
    }

    /// Rebuilds every derived edge of `entity_relationships` from the
    /// store: company -> association (listed), company -> event (by role),
    /// company -> technology (uses), company -> vendor (any signal), and
    /// company -> company (a contact of one uses the other's email domain,
    /// or the same person with the same phone is listed by both). Edges
    /// between merged-away companies are not kept. Edges other tools wrote
    /// (other relations) are left alone.
    pub fn rebuild_relationships(&self) -> Result<GraphCounts> {
        let c = self.conn();
        let now = now_string();
        c.execute_batch(
            "INSERT OR IGNORE INTO associations (code)
                 SELECT DISTINCT association_code FROM association_memberships;
             INSERT OR IGNORE INTO technologies (vendor, product, category)
                 SELECT DISTINCT vendor, '', category FROM competitor_signals;
             INSERT OR IGNORE INTO technologies (vendor, product, category)
                 SELECT DISTINCT vendor, product, category FROM competitor_signals
                 WHERE product IS NOT NULL AND product != '';",
        )?;
        // The relations this phase derives, and so may delete and rebuild.
        c.execute(
            "DELETE FROM entity_relationships
             WHERE relation IN ('member_of', 'exhibits_at', 'sponsors', 'speaks_at', 'attends',
                                'uses_technology', 'vendor_signal', 'shares_contact')",
            [],
        )?;
        // Listings and participations may still point at a company merged
        // away since; the edge goes to the survivor.
        let member_of = c.execute(
            concat!(
                survivors_cte!(),
                "INSERT INTO entity_relationships (from_type, from_id, to_type, to_id, relation,
                                               source_url, confidence, evidence, weight, created_at)
             SELECT 'company', coalesce(s.company_id, m.company_id), 'association', a.id,
                    'member_of', min(m.source_url), max(m.confidence),
                    'listed as ' || min(m.raw_name), 1.0, ?1
             FROM association_memberships m
             LEFT JOIN survivor s ON s.id = m.company_id
             JOIN companies c ON c.id = coalesce(s.company_id, m.company_id) AND c.status = 'active'
             JOIN associations a ON a.code = m.association_code
             GROUP BY c.id, a.id"
            ),
            params![now],
        )?;
        let event_roles = c.execute(
            concat!(
                survivors_cte!(),
                "INSERT INTO entity_relationships (from_type, from_id, to_type, to_id, relation,
                                               source_url, confidence, evidence, weight, created_at)
             SELECT 'company', c.id, 'event', p.event_id,
                    CASE p.role WHEN 'exhibitor' THEN 'exhibits_at' WHEN 'sponsor' THEN 'sponsors'
                                WHEN 'speaker' THEN 'speaks_at' ELSE 'attends' END,
                    min(p.source_url), max(p.confidence),
                    p.role || coalesce(' (' || max(p.sponsor_tier) || ')', '')
                           || coalesce(' booth ' || max(p.booth), ''),
                    CASE p.role WHEN 'sponsor' THEN 1.0 WHEN 'speaker' THEN 0.8
                                WHEN 'exhibitor' THEN 0.7 ELSE 0.4 END,
                    ?1
             FROM event_participants p
             LEFT JOIN survivor s ON s.id = p.company_id
             JOIN companies c ON c.id = coalesce(s.company_id, p.company_id) AND c.status = 'active'
             GROUP BY c.id, p.event_id, p.role"
            ),
            params![now],
        )?;
        let uses_technology = c.execute(
            "INSERT INTO entity_relationships (from_type, from_id, to_type, to_id, relation,
                                               source_url, confidence, evidence, weight, created_at)
             SELECT 'company', s.company_id, 'technology', t.id, 'uses_technology',
                    s.source_url, s.confidence, s.evidence_kind || ': ' || coalesce(s.evidence, ''),
                    s.strength, ?1
             FROM competitor_signals s
             JOIN companies c ON c.id = s.company_id AND c.status = 'active'
             JOIN technologies t ON t.vendor = s.vendor AND t.product = coalesce(s.product, '')
             WHERE s.signal_type = 'uses'
               AND s.id = (SELECT s2.id FROM competitor_signals s2
                           WHERE s2.company_id = s.company_id AND s2.vendor = s.vendor
                             AND coalesce(s2.product, '') = coalesce(s.product, '')
                             AND s2.signal_type = 'uses'
                           ORDER BY s2.strength DESC, s2.id LIMIT 1)",
            params![now],
        )?;
        let vendor_signals = c.execute(
            "INSERT INTO entity_relationships (from_type, from_id, to_type, to_id, relation,
                                               source_url, confidence, evidence, weight, created_at)
             SELECT 'company', s.company_id, 'vendor', t.id, 'vendor_signal',
                    min(s.source_url), max(s.confidence),
                    group_concat(DISTINCT s.signal_type), max(s.strength), ?1
             FROM competitor_signals s
             JOIN companies c ON c.id = s.company_id AND c.status = 'active'
             JOIN technologies t ON t.vendor = s.vendor AND t.product = ''
             GROUP BY s.company_id, t.id",
            params![now],
        )?;
        let shares_contact = c.execute(
            "INSERT OR IGNORE INTO entity_relationships (from_type, from_id, to_type, to_id,
                                               relation, source_url, confidence, evidence, weight,
                                               created_at)
             SELECT 'company', k.company_id, 'company', o.id, 'shares_contact',
                    min(k.source_url), 0.6,
                    'contact ' || min(k.full_name) || ' <' || min(k.email) || '> uses '
                        || o.domain || ' addresses', 0.6, ?1
             FROM contacts k
             JOIN companies c ON c.id = k.company_id AND c.status = 'active'
             JOIN companies o ON o.domain = lower(substr(k.email, instr(k.email, '@') + 1))
                              AND o.status = 'active' AND o.id != k.company_id
             WHERE k.email LIKE '%@%'
             GROUP BY k.company_id, o.id
             UNION ALL
             SELECT 'company', a.company_id, 'company', b.company_id, 'shares_contact',
                    min(a.source_url), 0.5,
                    min(a.full_name) || ' with phone ' || min(a.phone) || ' is listed by both',
                    0.5, ?1
             FROM contacts a
             JOIN contacts b ON b.full_name = a.full_name AND b.phone = a.phone
                            AND b.company_id > a.company_id
             JOIN companies ca ON ca.id = a.company_id AND ca.status = 'active'
             JOIN companies cb ON cb.id = b.company_id AND cb.status = 'active'
             WHERE a.phone IS NOT NULL AND a.phone != ''
             GROUP BY a.company_id, b.company_id",
            params![now],
        )?;
        let n = |x: usize| x as u64;
        Ok(GraphCounts {
            member_of: n(member_of),
            event_roles: n(event_roles),
            uses_technology: n(uses_technology),
            vendor_signals: n(vendor_signals),
            shares_contact: n(shares_contact),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::MemberRecord;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("g.db")).unwrap();
        (dir, s)
    }

    fn listed(s: &Store, assoc: &str, name: &str, domain: &str) -> i64 {
        let rec = MemberRecord {
            association: assoc.into(),
            name: name.into(),
            website: Some(format!("http://www.{domain}/")),
            domain: Some(domain.into()),
            source_url: format!("http://{}.example/members", assoc.to_lowercase()),
            extractor: "generic".into(),
            confidence: 0.8,
            ..Default::default()
        };
        s.list_for_test(&rec).unwrap()
    }

    fn signal(
        company_id: i64,
        vendor: &str,
        product: Option<&str>,
        kind: &str,
        url: &str,
    ) -> NewSignal {
        NewSignal {
            company_id,
            vendor: vendor.into(),
            product: product.map(Into::into),
            category: "erp".into(),
            signal_type: kind.into(),
            evidence_kind: "text".into(),
            evidence: Some(format!("{vendor} here")),
            source_url: url.into(),
            strength: 0.7,
            confidence: 0.8,
        }
    }

    fn edges(s: &Store, relation: &str) -> Vec<(i64, String, i64)> {
        let mut stmt = s
            .conn()
            .prepare(
                "SELECT from_id, to_type, to_id FROM entity_relationships
                 WHERE relation = ?1 ORDER BY from_id, to_id",
            )
            .unwrap();
        stmt.query_map([relation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn targets_skip_sites_read_unless_forced_and_a_forced_job_resumes() {
        let (_d, s) = store();
        let a = listed(&s, "PMA", "Acme Stamping", "acme.example");
        let b = listed(&s, "PMA", "Brightline Gear", "brightline.example");
        let ids = |v: Vec<SiteTarget>| v.into_iter().map(|t| t.company_id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.site_scan_targets(Some(1), false).unwrap()),
            vec![a, b]
        );
        assert_eq!(
            s.site_scan_targets(Some(1), false).unwrap()[0].website,
            "http://www.acme.example/"
        );
        s.record_site_scan(&SiteScan {
            company_id: a,
            site: "http://www.acme.example/".into(),
            job_id: Some(1),
            pages: 3,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ids(s.site_scan_targets(Some(2), false).unwrap()), vec![b]);
        // Forced: everything again, except what this job already read.
        assert_eq!(ids(s.site_scan_targets(Some(2), true).unwrap()), vec![a, b]);
        assert_eq!(ids(s.site_scan_targets(Some(1), true).unwrap()), vec![b]);
    }

    #[test]
    fn a_new_read_replaces_the_sites_signals_and_a_failed_one_keeps_them() {
        let (_d, s) = store();
        let a = listed(&s, "PMA", "Acme Stamping", "acme.example");
        let site = "http://www.acme.example/";
        let scan = |signals: Vec<NewSignal>, error: Option<&str>| SiteScan {
            company_id: a,
            site: site.into(),
            job_id: Some(1),
            pages: 2,
            signals,
            error: error.map(Into::into),
        };
        s.record_site_scan(&scan(
            vec![
                signal(a, "Epicor", None, "uses", "http://www.acme.example/news/"),
                signal(
                    a,
                    "SAP",
                    None,
                    "evaluating",
                    "http://www.acme.example/news/",
                ),
            ],
            None,
        ))
        .unwrap();
        // A signal from elsewhere (an event sponsor list) is not the site's.
        s.add_competitor_signal(&signal(
            a,
            "Plex",
            None,
            "sponsor",
            "http://pma.example/expo",
        ))
        .unwrap();
        s.record_site_scan(&scan(
            vec![signal(
                a,
                "Epicor",
                None,
                "uses",
                "http://www.acme.example/",
            )],
            None,
        ))
        .unwrap();
        let vendors = |s: &Store| -> Vec<String> {
            let mut stmt = s
                .conn()
                .prepare("SELECT vendor FROM competitor_signals ORDER BY vendor")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(vendors(&s), vec!["Epicor", "Plex"]);
        s.record_site_scan(&scan(vec![], Some("connection refused")))
            .unwrap();
        assert_eq!(
            vendors(&s),
            vec!["Epicor", "Plex"],
            "a failed read keeps what was known"
        );
        let status: (String, Option<String>) = s
            .conn()
            .query_row(
                "SELECT status, error FROM company_site_scans WHERE company_id = ?1",
                [a],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(status, ("failed".into(), Some("connection refused".into())));
    }

    #[test]
    fn the_graph_links_members_technologies_vendors_and_shared_contacts() {
        let (_d, s) = store();
        let a = listed(&s, "PMA", "Acme Stamping", "acme.example");
        listed(&s, "NTMA", "Acme Stamping", "acme.example");
        let b = listed(&s, "PMA", "Brightline Gear", "brightline.example");
        let c = listed(&s, "AGMA", "Cobalt Tool", "cobalt.example");
        let url = "http://www.acme.example/news/";
        s.add_competitor_signal(&signal(a, "Epicor", Some("Kinetic"), "uses", url))
            .unwrap();
        s.add_competitor_signal(&signal(
            a,
            "Epicor",
            None,
            "hiring",
            "http://www.acme.example/careers/",
        ))
        .unwrap();
        s.add_competitor_signal(&signal(b, "SAP", None, "evaluating", url))
            .unwrap();
        // A contact of Brightline with an acme.example address; the same
        // person with the same phone listed by Cobalt too.
        s.conn()
            .execute_batch(&format!(
                "INSERT INTO contacts (company_id, full_name, email, email_normalized, phone,
                                       created_at, updated_at)
                 VALUES ({b}, 'Dana Reyes', 'dana@acme.example', 'dana@acme.example',
                         '+14125550100', 'x', 'x'),
                        ({c}, 'Dana Reyes', NULL, NULL, '+14125550100', 'x', 'x');"
            ))
            .unwrap();
        let counts = s.rebuild_relationships().unwrap();
        assert_eq!(counts.member_of, 4);
        assert_eq!(
            edges(&s, "member_of").iter().filter(|e| e.0 == a).count(),
            2
        );
        assert_eq!(counts.uses_technology, 1);
        let tech: (String, String) = s
            .conn()
            .query_row(
                "SELECT t.vendor, t.product FROM entity_relationships r
                 JOIN technologies t ON t.id = r.to_id WHERE r.relation = 'uses_technology'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(tech, ("Epicor".into(), "Kinetic".into()));
        // One vendor edge per company and vendor, whatever the signal types.
        assert_eq!(counts.vendor_signals, 2);
        let evidence: String = s
            .conn()
            .query_row(
                "SELECT evidence FROM entity_relationships
                 WHERE relation = 'vendor_signal' AND from_id = ?1",
                [a],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            evidence.contains("uses") && evidence.contains("hiring"),
            "{evidence}"
        );
        let shared = edges(&s, "shares_contact");
        assert_eq!(
            shared,
            vec![(b, "company".into(), a), (b, "company".into(), c)]
        );
        assert_eq!(counts.total(), 4 + 1 + 2 + 2);
        let lines = s.relationships_of(a, 50).unwrap();
        let mut named: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l.relation.as_str(), l.target.as_str()))
            .collect();
        named.sort();
        assert_eq!(
            named,
            vec![
                ("member_of", "NTMA"),
                ("member_of", "PMA"),
                ("shares_contact", "Brightline Gear"),
                ("uses_technology", "Epicor Kinetic"),
                ("vendor_signal", "Epicor"),
            ]
        );

        // Rebuilt after a merge: the loser's edges move to the survivor,
        // nothing is duplicated, and edges of other relations stay.
        s.conn()
            .execute(
                "INSERT INTO entity_relationships (from_type, from_id, to_type, to_id, relation,
                                                   created_at) VALUES ('company', ?1, 'company', ?2,
                                                   'same_parent', 'x')",
                [a, c],
            )
            .unwrap();
        s.mark_merged_for_test(c, a).unwrap();
        let again = s.rebuild_relationships().unwrap();
        assert_eq!(again.member_of, 4);
        assert_eq!(
            edges(&s, "member_of").iter().filter(|e| e.0 == a).count(),
            3,
            "Cobalt's AGMA listing now belongs to Acme"
        );
        assert!(edges(&s, "member_of").iter().all(|e| e.0 != c));
        assert_eq!(edges(&s, "same_parent").len(), 1);
    }
}
