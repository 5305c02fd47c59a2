//! The EXTRACTION phase over the store: every page whose current content was
//! not extracted yet is read, its records written in one transaction per
//! batch; re-runs change nothing.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;

use super::profile::merge_profile;
use super::{ExtractContext, Extraction, extract_page};
use crate::config::AssociationConfig;
use crate::model::{EventSender, MemberRecord, PageType, Phase, PipelineEvent, emit};
use crate::normalize::{name_key, registrable_domain};
use crate::store::Store;

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
    }
}

/// Runs extraction over all pending pages of the store.
pub fn run_extraction(
    store: &mut Store,
    job_id: Option<i64>,
    associations: &[AssociationConfig],
    events: &EventSender,
) -> Result<ExtractReport> {
    let mut report = ExtractReport::default();
    let total = store.pages_to_extract_count()?.max(0) as u64;
    let mut after = 0i64;
    // Profile pages re-read for merging, by URL.
    let mut profile_cache: HashMap<String, Option<MemberRecord>> = HashMap::new();
    loop {
        let pages = store.pages_to_extract(after, BATCH)?;
        if pages.is_empty() {
            break;
        }
        let mut results: Vec<(i64, Option<String>, Extraction)> = Vec::with_capacity(pages.len());
        for p in &pages {
            after = after.max(p.id);
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
        let step = store.transaction(|s| {
            let mut r = ExtractReport::default();
            for (page_id, hash, ex) in &results {
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
                    } else if let Some(Some(profile)) =
                        rec.profile_url.as_ref().and_then(|u| profile_cache.get(u))
                    {
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
        })?;
        report.pages += step.pages;
        report.members += step.members;
        report.profiles_merged += step.profiles_merged;
        report.events += step.events;
        report.participants += step.participants;
        report.linked_participants += step.linked_participants;
        report.empty_pages += step.empty_pages;
        if let Some(job_id) = job_id {
            emit(
                events,
                PipelineEvent::Progress {
                    job_id,
                    phase: Phase::Extraction,
                    done: report.pages,
                    total: Some(total),
                    message: Some(format!("{} records", report.members)),
                },
            );
        }
    }
    Ok(report)
}
