//! What enrichment writes: firmographics on the company (with provenance
//! per field), its technologies, its contacts as leads, and one row per
//! company and kind so resumed and repeated runs skip what is done.

use std::collections::HashMap;

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::enrich::{Contact, EnrichTarget, Firmographics, Technology};
use crate::model::now_string;

/// A company due for enrichment, with the kinds already done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichmentTarget {
    pub target: EnrichTarget,
    /// Kinds done (in this job, when the run re-does everything).
    pub done: Vec<String>,
}

/// A contact with what its title says about it as a lead.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadContact {
    pub contact: Contact,
    pub provider: String,
    pub persona: Option<String>,
    pub lead_score_adjustment: i32,
    pub lead_rule: String,
    /// published, inferred or provider.
    pub email_source: Option<String>,
}

/// One kind's outcome for one company.
#[derive(Debug, Clone, PartialEq)]
pub struct KindOutcome {
    pub kind: &'static str,
    pub found: bool,
    /// Providers that answered, in chain order, joined by `,`.
    pub providers: String,
    /// JSON of every provider's attempt.
    pub attempts: String,
    pub fields: i64,
}

/// Everything enrichment found about one company.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrichmentRecord {
    pub company_id: i64,
    pub job_id: Option<i64>,
    /// Firmographics with the providers that gave them and the page or API.
    pub firmographics: Option<(Firmographics, String, Option<String>)>,
    /// Technologies with the provider that saw each.
    pub technologies: Vec<(Technology, String)>,
    pub contacts: Vec<LeadContact>,
    pub email_pattern: Option<String>,
    pub kinds: Vec<KindOutcome>,
    /// What the company is and sells, when the run analysed it.
    pub analysis: Option<crate::enrich::analysis::Analysis>,
}

fn provenance_entry(provider: &str, source: Option<&str>, at: &str) -> serde_json::Value {
    serde_json::json!({
        // The TUI reads `source_url` as text: an API answer without a
        // page address gets an empty one.
        "source_url": source.unwrap_or_default(),
        "extractor": format!("enrich:{provider}"),
        "at": at,
        "confidence": 0.8,
    })
}

impl Store {
    /// Active companies with a website or domain that still lack one of
    /// the kinds (with `force`, lack it in job `job_id`).
    pub fn enrichment_targets(
        &self,
        job_id: Option<i64>,
        kinds: &[&str],
        force: bool,
    ) -> Result<Vec<EnrichmentTarget>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, c.name, c.domain, c.website, c.city, c.state, c.country,
                    (SELECT group_concat(e.kind) FROM company_enrichment e
                     WHERE e.company_id = c.id
                       AND (?1 = 0 OR (?2 IS NOT NULL AND e.job_id = ?2)))
             FROM companies c
             WHERE c.status = 'active' AND c.merged_into IS NULL
               AND (c.website IS NOT NULL OR c.domain IS NOT NULL)
             ORDER BY c.id",
        )?;
        let rows = stmt.query_map(params![force, job_id], |r| {
            let done: Option<String> = r.get(7)?;
            Ok(EnrichmentTarget {
                target: EnrichTarget {
                    company_id: r.get(0)?,
                    name: r.get(1)?,
                    domain: r.get(2)?,
                    website: r.get(3)?,
                    city: r.get(4)?,
                    state: r.get(5)?,
                    country: r.get(6)?,
                },
                done: done
                    .map(|d| d.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let t = row?;
            if kinds.iter().any(|k| !t.done.iter().any(|d| d == k)) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Requests each provider already sent on `day` (for daily caps).
    pub fn provider_requests_on(&self, day: &str) -> Result<HashMap<String, i64>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT provider, requests FROM provider_usage WHERE day = ?1")?;
        let rows = stmt.query_map(params![day], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    /// Stores one company's enrichment; values found replace older ones,
    /// except phone and address, which the directories know better and
    /// are only filled when empty.
    pub fn record_enrichment(&self, rec: &EnrichmentRecord) -> Result<()> {
        let now = now_string();
        let conn = self.conn();
        if let Some((f, provider, source)) = &rec.firmographics {
            let prov: Option<String> = conn
                .query_row(
                    "SELECT provenance FROM companies WHERE id = ?1",
                    params![rec.company_id],
                    |r| r.get(0),
                )
                .optional()?;
            let mut prov = prov
                .map(|p| super::provenance::decode_map(&p))
                .unwrap_or_default();
            let entry = provenance_entry(provider, source.as_deref(), &now);
            let fields = [
                ("employee_count", f.employee_count.is_some()),
                ("employee_range", f.employee_range.is_some()),
                ("founded_year", f.founded_year.is_some()),
                ("revenue_range", f.revenue_range.is_some()),
                ("industry", f.industry.is_some()),
                ("naics", f.naics.is_some()),
                ("description", f.description.is_some()),
                ("products", !f.products.is_empty()),
                ("industries_served", !f.industries_served.is_empty()),
            ];
            for (field, set) in fields {
                if set {
                    let mut e = entry.clone();
                    if field == "naics"
                        && let Some(ev) = &f.naics_evidence
                    {
                        e["evidence"] = serde_json::Value::String(ev.clone());
                    }
                    prov.insert(field.to_string(), e);
                }
            }
            let list = |v: &[String]| (!v.is_empty()).then(|| serde_json::json!(v).to_string());
            conn.execute(
                "UPDATE companies SET
                    employee_count = coalesce(?2, employee_count),
                    employee_range = coalesce(?3, employee_range),
                    founded_year = coalesce(?4, founded_year),
                    revenue_range = coalesce(?5, revenue_range),
                    industry = coalesce(?6, industry),
                    naics = coalesce(?7, naics),
                    description = coalesce(?8, description),
                    products = coalesce(?9, products),
                    industries_served = coalesce(?10, industries_served),
                    phone = coalesce(phone, ?11),
                    city = coalesce(city, ?12),
                    state = coalesce(state, ?13),
                    country = coalesce(country, ?14),
                    provenance = ?15
                 WHERE id = ?1",
                params![
                    rec.company_id,
                    f.employee_count,
                    f.employee_range,
                    f.founded_year,
                    f.revenue_range,
                    f.industry,
                    f.naics,
                    f.description,
                    list(&f.products),
                    list(&f.industries_served),
                    f.phone,
                    f.city,
                    f.state,
                    f.country,
                    super::provenance::encode_map(&prov)?,
                ],
            )?;
        }
        for (t, provider) in &rec.technologies {
            conn.execute(
                "INSERT INTO company_technologies (company_id, vendor, product, category,
                     evidence_kind, evidence, source_url, provider, confidence, detected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (company_id, vendor, category) DO UPDATE SET
                     product = excluded.product, evidence_kind = excluded.evidence_kind,
                     evidence = excluded.evidence, source_url = excluded.source_url,
                     provider = excluded.provider, confidence = excluded.confidence,
                     detected_at = excluded.detected_at",
                params![
                    rec.company_id,
                    t.vendor,
                    t.product,
                    t.category,
                    t.evidence_kind,
                    t.evidence,
                    t.source_url,
                    provider,
                    t.confidence,
                    now
                ],
            )?;
        }
        for lead in &rec.contacts {
            self.upsert_lead(rec.company_id, lead, &now)?;
        }
        conn.execute(
            "UPDATE companies SET email_pattern = coalesce(?2, email_pattern),
                 enriched_at = ?3, updated_at = ?3
             WHERE id = ?1",
            params![rec.company_id, rec.email_pattern, now],
        )?;
        if let Some(a) = &rec.analysis {
            // After the firmographics: a code a provider gave wins.
            self.record_analysis(rec.company_id, a)?;
        }
        for k in &rec.kinds {
            conn.execute(
                "INSERT INTO company_enrichment (company_id, kind, status, providers, attempts,
                     fields, job_id, attempted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (company_id, kind) DO UPDATE SET
                     status = excluded.status, providers = excluded.providers,
                     attempts = excluded.attempts, fields = excluded.fields,
                     job_id = excluded.job_id, attempted_at = excluded.attempted_at",
                params![
                    rec.company_id,
                    k.kind,
                    if k.found { "found" } else { "empty" },
                    k.providers,
                    k.attempts,
                    k.fields,
                    rec.job_id,
                    now
                ],
            )?;
        }
        Ok(())
    }

    fn upsert_lead(&self, company_id: i64, lead: &LeadContact, now: &str) -> Result<()> {
        let c = &lead.contact;
        let email_key = c
            .email
            .as_deref()
            .and_then(crate::normalize::normalize_email);
        let conn = self.conn();
        let values = params![
            company_id,
            c.full_name,
            c.first_name,
            c.last_name,
            c.title,
            c.email,
            email_key,
            c.phone,
            c.linkedin_url,
            c.source_url,
            lead.provider,
            c.confidence,
            lead.persona,
            lead.lead_score_adjustment,
            lead.lead_rule,
            lead.email_source,
            now
        ];
        if email_key.is_some() {
            conn.execute(
                "INSERT INTO contacts (company_id, full_name, first_name, last_name, title, email,
                     email_normalized, phone, linkedin_url, source_url, provider, confidence,
                     persona, lead_score_adjustment, lead_rule, email_source, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)
                 ON CONFLICT (email_normalized) DO UPDATE SET
                     company_id = excluded.company_id, full_name = excluded.full_name,
                     first_name = excluded.first_name, last_name = excluded.last_name,
                     title = coalesce(excluded.title, contacts.title), email = excluded.email,
                     phone = coalesce(excluded.phone, contacts.phone),
                     linkedin_url = coalesce(excluded.linkedin_url, contacts.linkedin_url),
                     source_url = excluded.source_url, provider = excluded.provider,
                     confidence = excluded.confidence, persona = excluded.persona,
                     lead_score_adjustment = excluded.lead_score_adjustment,
                     lead_rule = excluded.lead_rule, email_source = excluded.email_source,
                     updated_at = excluded.updated_at",
                values,
            )?;
            return Ok(());
        }
        let updated = conn.execute(
            "UPDATE contacts SET first_name = ?3, last_name = ?4, title = ?5,
                 phone = coalesce(?8, phone), linkedin_url = coalesce(?9, linkedin_url),
                 source_url = ?10, provider = ?11, confidence = ?12, persona = ?13,
                 lead_score_adjustment = ?14, lead_rule = ?15, email_source = ?16,
                 updated_at = ?17
             WHERE company_id = ?1 AND full_name = ?2 AND email_normalized IS NULL
               AND ?6 IS NULL AND ?7 IS NULL",
            values,
        )?;
        if updated == 0 {
            conn.execute(
                "INSERT INTO contacts (company_id, full_name, first_name, last_name, title, email,
                     email_normalized, phone, linkedin_url, source_url, provider, confidence,
                     persona, lead_score_adjustment, lead_rule, email_source, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
                values,
            )?;
        }
        Ok(())
    }
}
