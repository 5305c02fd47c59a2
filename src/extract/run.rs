//! The EXTRACTION phase over the store: every page whose current content was
//! not extracted yet is read (on a read connection), its records handed to
//! the one writer as one operation per batch together with the phase's
//! checkpoint; re-runs change nothing, so a killed run simply continues.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;

use super::profile::merge_profile;
use super::{ExtractContext, Extraction, extract_page};
use crate::config::AssociationConfig;
use crate::model::{EventSender, MemberRecord, PageType, Phase, PipelineEvent, RunControl};
use crate::normalize::{name_key, registrable_domain};
use crate::store::extraction::ExtractCursor;
use crate::store::{Checkpoint, Store, Writer};

const BATCH: usize = 50;

/// What one extraction run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExtractReport {
    pub pages: u64,
    pub members: u64,
    pub profiles_merged: u64,
    pub events: u64,
    pub participants: u64,
    pub linked_participants: u64,
    pub empty_pages: u64,
    /// Stopped early because the job was cancelled.
    pub cancelled: bool,
}

impl ExtractReport {
    /// One sentence for people.
    pub fn summary(&self) -> String {
        format!(
            "{} pages read: {} member records ({} profiles merged), {} events with {} participants ({} linked to companies)",
            self.pages,
            self.members,
            self.profiles_merged,
            self.events,
            self.participants,
            self.linked_participants
        )
    }
}

/// The extraction context of a stored page: its association by code, else by
/// the page's registrable domain. Shared with the MONITOR phase, which must
/// read a page exactly as extraction does.
pub(crate) fn context_for(
    associations: &[AssociationConfig],
    code: Option<&str>,
    url: &str,
    page_type: Option<PageType>,
) -> ExtractContext {
    let dom = registrable_domain(url);
    let a = associations
        .iter()
        .find(|a| code.is_some_and(|c| c.eq_ignore_ascii_case(&a.code)))
        .or_else(|| {
            associations
                .iter()
                .find(|a| dom.is_some() && registrable_domain(&a.base_url) == dom)
        });
    ExtractContext {
        association: code
            .map(str::to_owned)
            .or_else(|| a.map(|a| a.code.clone())),
        association_name: a.map(|a| a.name.clone()),
        association_base_url: a.map(|a| a.base_url.clone()),
        selectors: a.and_then(|a| a.selectors.clone()),
        page_type,
        structure_only: false,
        explain: false,
    }
}

/// Where extraction reads, writes and reports.
pub struct ExtractRun<'a> {
    /// Read connection for pages (the writer's own connection is busy).
    pub reader: &'a Store,
    pub writer: &'a Writer,
    pub job_id: Option<i64>,
    pub associations: &'a [AssociationConfig],
    pub events: &'a EventSender,
    pub control: &'a RunControl,
}

/// Opens a writer on `db`, extracts everything pending, and closes it: the
/// whole phase for tests and one-off use.
pub fn extract_pending(
    db: &std::path::Path,
    associations: &[AssociationConfig],
) -> Result<ExtractReport> {
    let writer = Writer::open(db)?;
    let reader = Store::open_readonly(db)?;
    let report = run_extraction(&ExtractRun {
        reader: &reader,
        writer: &writer,
        job_id: None,
        associations,
        events: &EventSender::none(),
        control: &RunControl::new(),
    })?;
    writer.flush_blocking()?;
    Ok(report)
}

/// Runs extraction over all pending pages of the store. Stops early (with
/// `cancelled` set) at a batch boundary when the job is cancelled.
pub fn run_extraction(run: &ExtractRun<'_>) -> Result<ExtractReport> {
    let store = run.reader;
    let associations = run.associations;
    let job_id = run.job_id;
    let mut report = ExtractReport::default();
    let total = store.pages_to_extract_count()?.max(0) as u64;
    let mut after = ExtractCursor::default();
    // Profile pages re-read for merging, by URL.
    let mut profile_cache: HashMap<String, Option<MemberRecord>> = HashMap::new();
    loop {
        if !run.control.proceed_blocking() {
            report.cancelled = true;
            break;
        }
        let pages = store.pages_to_extract(&after, BATCH)?;
        if pages.is_empty() {
            break;
        }
        let mut results: Vec<(i64, Option<String>, Extraction)> = Vec::with_capacity(pages.len());
        for p in &pages {
            after = ExtractCursor::after(p);
            let url = p.final_url.clone().unwrap_or_else(|| p.url.clone());
            let pt = p.page_type.as_deref().and_then(PageType::parse);
            let ctx = context_for(associations, p.association_code.as_deref(), &url, pt);
            let ex = extract_page(&p.body, &url, &ctx);
            results.push((p.id, p.content_hash.clone(), ex));
        }
        // Listing records pointing at profile pages: read the profile from the store.
        for (_, _, ex) in &results {
            for m in &ex.members {
                let Some(pu) = m.profile_url.as_ref() else {
                    continue;
                };
                if m.extractor == "profile" || profile_cache.contains_key(pu) {
                    continue;
                }
                let rec = match store.page_by_url(pu)? {
                    Some((body, _)) => {
                        let mut ctx = context_for(
                            associations,
                            Some(&m.association)
                                .filter(|a| !a.is_empty())
                                .map(String::as_str),
                            pu,
                            Some(PageType::MemberProfile),
                        );
                        ctx.page_type = Some(PageType::MemberProfile);
                        extract_page(&body, pu, &ctx).members.into_iter().next()
                    }
                    None => None,
                };
                profile_cache.insert(pu.clone(), rec);
            }
        }
        // The profiles this batch's listings point at travel with it.
        let profiles: HashMap<String, MemberRecord> = results
            .iter()
            .flat_map(|(_, _, ex)| ex.members.iter())
            .filter_map(|m| m.profile_url.as_ref())
            .filter_map(|u| Some((u.clone(), profile_cache.get(u)?.clone()?)))
            .collect();
        let checkpoint_cursor = after.encode();
        let done_so_far = report.pages as i64 + results.len() as i64;
        let step = run.writer.call_blocking(move |s| {
            let r = write_batch(s, &results, &profiles, job_id)?;
            if let Some(j) = job_id {
                s.checkpoint(
                    j,
                    Phase::Extraction,
                    &Checkpoint {
                        done: done_so_far,
                        total: Some(total as i64),
                        cursor: Some(&checkpoint_cursor),
                    },
                )?;
            }
            Ok(r)
        })?;
        report.pages += step.pages;
        report.members += step.members;
        report.profiles_merged += step.profiles_merged;
        report.events += step.events;
        report.participants += step.participants;
        report.linked_participants += step.linked_participants;
        report.empty_pages += step.empty_pages;
        if let Some(job_id) = job_id {
            run.events.emit(PipelineEvent::Progress {
                job_id,
                phase: Phase::Extraction,
                done: report.pages,
                total: Some(total),
                message: Some(format!("pages ({} records)", report.members)),
            });
        }
    }
    Ok(report)
}

/// Writes one batch of extracted pages (inside the writer's transaction).
fn write_batch(
    s: &Store,
    results: &[(i64, Option<String>, Extraction)],
    profiles: &HashMap<String, MemberRecord>,
    job_id: Option<i64>,
) -> Result<ExtractReport> {
    let mut r = ExtractReport::default();
    for (page_id, hash, ex) in results {
        r.pages += 1;
        if ex.members.is_empty() && ex.events.is_empty() {
            r.empty_pages += 1;
        }
        for m in &ex.members {
            let mut rec = m.clone();
            let key = name_key(&rec.name);
            if rec.extractor == "profile" {
                // The listing (stored earlier) wins; the profile fills gaps.
                if let Some(mut existing) = s.existing_membership(&rec, &key)?
                    && existing.extractor != "profile"
                {
                    merge_profile(&mut existing, &rec);
                    rec = existing;
                    r.profiles_merged += 1;
                }
            } else if let Some(profile) = rec.profile_url.as_ref().and_then(|u| profiles.get(u)) {
                merge_profile(&mut rec, profile);
                r.profiles_merged += 1;
            }
            let company_id = s.upsert_company_from_member(&rec, &key)?;
            s.upsert_membership(&rec, &key, Some(company_id), job_id)?;
            r.members += 1;
        }
        for ev in &ex.events {
            let event_id = s.upsert_event(ev)?;
            r.events += 1;
            for p in &ev.participants {
                let company = s.company_id_by_domain_or_name(
                    p.company_domain.as_deref(),
                    p.company_name.as_deref().map(name_key).as_deref(),
                )?;
                if company.is_some() {
                    r.linked_participants += 1;
                }
                s.upsert_participant(event_id, p, company)?;
                r.participants += 1;
            }
        }
        s.mark_extracted(*page_id, hash.as_deref())?;
    }
    Ok(r)
}
