//! What a crawl covers: one plan per registrable domain, the seeds, and the
//! frontier prepared for a new job or a resumed one.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use url::Url;

use super::CrawlOptions;
use crate::config::AssociationConfig;
use crate::normalize::urls as urlnorm;
use crate::store::Store;
use crate::store::crawl::NewUrl;

/// The phase name dead letters of the crawl are filed under.
pub const DEAD_LETTER_PHASE: &str = "discovery";

/// One domain to crawl.
#[derive(Debug, Clone)]
pub struct DomainPlan {
    pub domain: String,
    /// Host robots.txt is read from (the first seed's).
    pub robots_base: Url,
    pub association: Option<AssociationConfig>,
}

/// A start URL.
#[derive(Debug, Clone)]
pub struct Seed {
    pub url: Url,
    pub hint: &'static str,
    pub association: Option<String>,
}

/// Everything a crawl starts from.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub domains: Vec<DomainPlan>,
    pub seeds: Vec<Seed>,
    /// Association code per registrable domain.
    pub association_of: HashMap<String, String>,
    /// Directory entry points (classification evidence).
    pub directory_seeds: HashSet<String>,
}

/// Seeds: association home pages, directories and event pages, then ad-hoc
/// URLs (filed under their domain as association code).
pub fn plan(opts: &CrawlOptions) -> Result<Plan> {
    let mut p = Plan::default();
    let add_domain = |p: &mut Plan, domain: &str, base: &Url, a: Option<&AssociationConfig>| {
        if !p.domains.iter().any(|d| d.domain == domain) {
            p.domains.push(DomainPlan {
                domain: domain.to_string(),
                robots_base: base.clone(),
                association: a.cloned(),
            });
        }
    };
    for a in &opts.associations {
        let base = urlnorm::normalize(&a.base_url)
            .with_context(|| format!("association {}: bad base_url", a.code))?;
        let domain = urlnorm::domain_of(&base);
        p.association_of.insert(domain.clone(), a.code.clone());
        add_domain(&mut p, &domain, &base, Some(a));
        let code = Some(a.code.clone());
        p.seeds.push(Seed {
            url: base,
            hint: "home",
            association: code.clone(),
        });
        for (urls, hint) in [(&a.directory_urls, "directory"), (&a.event_urls, "event")] {
            for raw in urls {
                let u = urlnorm::normalize(raw)
                    .with_context(|| format!("association {}: bad {hint} URL", a.code))?;
                if hint == "directory" {
                    p.directory_seeds.insert(u.to_string());
                }
                p.seeds.push(Seed {
                    url: u,
                    hint,
                    association: code.clone(),
                });
            }
        }
    }
    for s in &opts.seed_urls {
        let u = urlnorm::normalize(s).with_context(|| format!("--seed-url {s:?}"))?;
        let domain = urlnorm::domain_of(&u);
        add_domain(&mut p, &domain, &u, None);
        p.directory_seeds.insert(u.to_string());
        let code = p
            .association_of
            .entry(domain.clone())
            .or_insert_with(|| domain.clone())
            .clone();
        p.seeds.push(Seed {
            url: u,
            hint: "directory",
            association: Some(code),
        });
    }
    Ok(p)
}

/// How the frontier is prepared.
#[derive(Debug, Clone, Copy)]
pub struct Prep {
    pub job_id: Option<i64>,
    pub retry_dead_letters: bool,
}

/// What preparing the frontier did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prepared {
    pub resumed_urls: u64,
    pub requeued_dead_letters: u64,
}

/// Prepares the frontier of a new job: URLs a killed crawl left in progress
/// go back to pending; a domain with pending URLs resumes where it stopped;
/// a finished one is re-crawled (conditionally) from everything that had
/// content; seeds are (re)queued. Runs as one write, so a crash leaves
/// either the old frontier or the prepared one.
pub fn prepare_frontier(store: &Store, plan: &Plan, prep: Prep) -> Result<Prepared> {
    let resumed = store.reset_in_progress()? as u64;
    let mut resuming = HashSet::new();
    for p in &plan.domains {
        if store.pending_count(&p.domain)? > 0 {
            resuming.insert(p.domain.clone());
        } else {
            store.requeue_for_recrawl(&p.domain)?;
        }
    }
    let mut requeued_dead = 0;
    if prep.retry_dead_letters {
        for p in &plan.domains {
            requeued_dead += store.requeue_dead_letters(DEAD_LETTER_PHASE, &p.domain)? as u64;
        }
    }
    for s in &plan.seeds {
        let domain = urlnorm::domain_of(&s.url);
        let added = store.enqueue_url(&NewUrl {
            url: s.url.to_string(),
            domain: domain.clone(),
            association_code: s.association.clone(),
            hint: Some(s.hint.to_string()),
            depth: 0,
            priority: 100,
            discovered_from: None,
            job_id: prep.job_id,
        })?;
        if !added {
            store.promote_seed(s.url.as_str(), s.hint, s.association.as_deref())?;
            if !resuming.contains(&domain) {
                store.requeue_url(s.url.as_str())?;
            }
        }
    }
    Ok(Prepared {
        resumed_urls: resumed,
        requeued_dead_letters: requeued_dead,
    })
}

/// The frontier of a resumed job: only URLs left in progress go back to
/// pending; nothing finished is fetched again.
pub fn resume_frontier(store: &Store) -> Result<Prepared> {
    Ok(Prepared {
        resumed_urls: store.reset_in_progress()? as u64,
        requeued_dead_letters: 0,
    })
}

/// URLs with their discovery hint.
pub type EntryUrls = Vec<(String, Option<String>)>;

/// What a dry run would fetch first for each domain: the URLs already
/// pending in the store (if there is one) and the seeds.
pub fn dry_run_entries(store: Option<&Store>, plan: &Plan) -> Result<HashMap<String, EntryUrls>> {
    let mut out: HashMap<String, EntryUrls> = HashMap::new();
    for d in &plan.domains {
        let mut urls = match store {
            Some(s) => s.pending_urls(&d.domain)?,
            None => Vec::new(),
        };
        for s in plan
            .seeds
            .iter()
            .filter(|s| urlnorm::domain_of(&s.url) == d.domain)
        {
            if !urls.iter().any(|(u, _)| u == s.url.as_str()) {
                urls.push((s.url.to_string(), Some(s.hint.to_string())));
            }
        }
        out.insert(d.domain.clone(), urls);
    }
    Ok(out)
}
