//! What becomes of a fetched response: a 304 confirms the stored page, a
//! 404 marks it deleted or makes a dead letter, a page is decoded,
//! surveyed (classification and structural links, off the async threads)
//! and stored together with its frontier update and the links it leads to,
//! in one write.

use anyhow::Result;
use sha2::{Digest, Sha256};
use url::Url;

use super::discover;
use super::fetch::Response;
use super::report::bump;
use super::worker::{Failure, Worker};
use crate::config::AssociationConfig;
use crate::extract::ExtractContext;
use crate::extract::classify::{Classification, PageFacts, survey};
use crate::model::{AccessVerdict, Delta, PageType, UrlStatus};
use crate::normalize::{charset, urls as urlnorm};
use crate::store::crawl::{NewUrl, PageWrite, QueuedUrl, UrlOutcome, Validators};

/// A response and how it was obtained.
pub(crate) struct FetchedPage<'a> {
    pub q: &'a QueuedUrl,
    pub url: &'a Url,
    pub resp: Response,
    pub hops: Vec<String>,
    pub attempts: i64,
    pub history: Vec<serde_json::Value>,
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

impl Worker {
    pub(crate) async fn page_outcome(&mut self, f: FetchedPage<'_>) -> Result<()> {
        let q = f.q;
        let status = f.resp.status;
        let redirected = (!f.hops.is_empty()).then(|| f.resp.url.to_string());
        let c = self.sh.counters.clone();
        if status == 304 {
            bump(&c.not_modified);
            let mut o = UrlOutcome::new(q.id, UrlStatus::Done, f.attempts);
            o.http_status = Some(304);
            o.redirected_to = redirected;
            return self.stored_page_is(q, Delta::Unchanged, o).await;
        }
        let was_there = q.fetched_before
            && q.last_status
                .is_some_and(|st| (200..300).contains(&st) || st == 304);
        if matches!(status, 404 | 410) && was_there {
            let mut o = UrlOutcome::new(q.id, UrlStatus::Failed, f.attempts);
            o.http_status = Some(status);
            o.error = Some("gone (was there before)".into());
            return self.stored_page_is(q, Delta::Deleted, o).await;
        }
        if !(200..300).contains(&status) && status != 401 && status != 403 {
            let error = match status {
                404 | 410 => format!("HTTP {status}: not found"),
                300..=399 => format!("HTTP {status} redirect without a usable Location"),
                _ => format!("HTTP {status}"),
            };
            let failure = Failure {
                error,
                status: Some(status),
                attempts: f.attempts,
                history: f.history,
            };
            return self.dead(q, failure).await;
        }
        self.store_page(f).await
    }

    /// A stored page confirmed unchanged (304) or gone (404 after content):
    /// its delta and its frontier row in one write.
    async fn stored_page_is(&self, q: &QueuedUrl, delta: Delta, o: UrlOutcome) -> Result<()> {
        self.sh.counters.delta(delta);
        let (url, job_id) = (q.url.clone(), self.sh.job_id);
        let status = o.http_status.unwrap_or_default();
        self.writer()
            .submit(move |s| {
                s.set_page_delta(&url, delta, job_id)?;
                s.finish_url(&o)
            })
            .await?;
        self.page_event(&q.url, status, delta);
        Ok(())
    }

    /// A page with content: survey it off the async threads, then store
    /// the page, its frontier row and its links in one write.
    async fn store_page(&mut self, f: FetchedPage<'_>) -> Result<()> {
        let sh = self.sh.clone();
        let q = f.q;
        let c = &sh.counters;
        let status = f.resp.status;
        let final_url = f.resp.url.clone();
        let redirected = (!f.hops.is_empty()).then(|| final_url.to_string());
        c.bytes.fetch_add(
            f.resp.bytes.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        let hash = sha256_hex(&f.resp.bytes);
        let delta = if !q.fetched_before || q.content_hash.is_none() {
            Delta::New
        } else if q.content_hash.as_deref() == Some(hash.as_str()) {
            Delta::Unchanged
        } else {
            Delta::Changed
        };
        let input = AnalyseInput {
            url: f.url.clone(),
            final_url: final_url.to_string(),
            status,
            hint: q.hint.clone(),
            association: q
                .association_code
                .clone()
                .or_else(|| sh.association_of.get(&self.plan.domain).cloned()),
            assoc_cfg: self.plan.association.clone(),
            directory_seed: sh.directory_seeds.contains(&q.url),
        };
        let truncated = f.resp.truncated;
        let etag = f.resp.etag.clone();
        let last_modified = f.resp.last_modified.clone();
        let resp = f.resp;
        let analysed = tokio::task::spawn_blocking(move || analyse(&resp, &input)).await;
        let a = match analysed {
            Ok(a) => a,
            Err(e) => {
                let why = format!("page analysis failed: {e}");
                tracing::error!(url = %q.url, "{why}");
                return self
                    .dead(
                        q,
                        Failure {
                            error: why,
                            status: Some(status),
                            attempts: f.attempts,
                            history: f.history,
                        },
                    )
                    .await;
            }
        };
        let page_type = a.class.page_type;
        let mut evidence = a.class.evidence.clone();
        if truncated {
            evidence.push(format!(
                "body cut at the {}-byte cap",
                sh.settings.max_body_bytes
            ));
        }
        if !f.hops.is_empty() {
            evidence.push(format!(
                "redirect chain: {} -> {final_url}",
                f.hops.join(" -> ")
            ));
        }
        let login_wall = page_type == PageType::LoginWall;
        let keep_body = !matches!(page_type, PageType::LoginWall | PageType::Other);
        let domain = self.plan.domain.clone();
        let page = PageWrite {
            url: q.url.clone(),
            final_url: Some(final_url.to_string()),
            domain: domain.clone(),
            association_code: a.association.clone(),
            status_code: status,
            content_type: a.content_type.clone(),
            charset: Some(a.charset.to_string()),
            title: a.title.clone(),
            body: keep_body.then(|| a.text.clone()),
            bytes: a.bytes,
            content_hash: Some(hash.clone()),
            page_type,
            evidence: serde_json::to_string(&evidence)?,
            confidence: a.class.confidence,
            delta,
            job_id: sh.job_id,
        };
        let mut o = UrlOutcome::new(
            q.id,
            if login_wall {
                UrlStatus::Skipped
            } else {
                UrlStatus::Done
            },
            f.attempts,
        );
        o.http_status = Some(status);
        o.error = login_wall.then(|| format!("login wall: {}", evidence.join("; ")));
        o.validators = Some(Validators {
            etag,
            last_modified,
            content_hash: Some(hash),
        });
        o.redirected_to = redirected.clone();
        // Fetched under its old name: a link to the new one is not new work.
        let alias = redirected
            .filter(|f| urlnorm::domain_of(&final_url) == domain && *f != q.url)
            .map(|f| NewUrl {
                url: f,
                domain: domain.clone(),
                association_code: a.association.clone(),
                hint: q.hint.clone(),
                depth: q.depth,
                priority: 0,
                discovered_from: Some(q.url.clone()),
                job_id: sh.job_id,
            });
        let wall_verdict = (login_wall
            && (sh.directory_seeds.contains(&q.url) || q.hint.as_deref() == Some("directory")))
        .then(|| format!("{} is behind a login: {}", q.url, evidence.join("; ")));
        let links: Vec<NewUrl> = if login_wall {
            Vec::new()
        } else {
            a.links
                .iter()
                .filter_map(|l| {
                    let depth = if l.structural { q.depth } else { q.depth + 1 };
                    (l.structural || depth <= sh.opts.max_depth).then(|| NewUrl {
                        url: l.url.to_string(),
                        domain: domain.clone(),
                        association_code: a.association.clone(),
                        hint: Some(l.hint.to_string()),
                        depth,
                        priority: l.priority,
                        discovered_from: Some(q.url.clone()),
                        job_id: sh.job_id,
                    })
                })
                .collect()
        };
        let source = q.url.clone();
        self.writer()
            .submit(move |s| {
                s.save_page(&page)?;
                s.finish_url(&o)?;
                if let Some(alias) = &alias {
                    s.enqueue_url(alias)?;
                    s.mark_alias_done(&alias.url, &source)?;
                }
                if let Some(why) = &wall_verdict {
                    s.set_domain_access(&page.domain, AccessVerdict::LoginWall, Some(why), None)?;
                }
                for l in &links {
                    s.enqueue_url(l)?;
                }
                Ok(())
            })
            .await?;
        if login_wall {
            bump(&c.login_walls);
        }
        bump(&c.pages_stored);
        c.delta(delta);
        c.page_type(page_type);
        self.page_event(&q.url, status, delta);
        Ok(())
    }
}

/// What the survey needs besides the response.
struct AnalyseInput {
    url: Url,
    final_url: String,
    status: u16,
    hint: Option<String>,
    association: Option<String>,
    assoc_cfg: Option<AssociationConfig>,
    directory_seed: bool,
}

/// A page read off the async threads.
struct Analysed {
    text: String,
    charset: &'static str,
    title: Option<String>,
    content_type: Option<String>,
    bytes: usize,
    association: Option<String>,
    class: Classification,
    links: Vec<discover::Link>,
}

fn analyse(resp: &Response, inp: &AnalyseInput) -> Analysed {
    let content_type = resp.content_type.as_deref();
    let (text, charset) = charset::decode(&resp.bytes, content_type);
    let hint = inp.hint.as_deref();
    let is_sitemap = hint == Some("sitemap")
        || content_type.is_some_and(|c| c.contains("xml") && !c.contains("html"));
    // Links resolve against where the page really came from.
    let base = Url::parse(&inp.final_url).unwrap_or_else(|_| inp.url.clone());
    let mut out = Analysed {
        text: String::new(),
        charset,
        title: None,
        content_type: content_type.map(str::to_string),
        bytes: resp.bytes.len(),
        association: inp.association.clone(),
        class: Classification {
            page_type: PageType::Other,
            evidence: Vec::new(),
            confidence: 0.0,
        },
        links: Vec::new(),
    };
    if is_sitemap && text.contains("<loc>") {
        out.links = discover::sitemap_links(&text, &base);
        out.class.evidence = vec![format!("sitemap with {} in-site URLs", out.links.len())];
        out.class.confidence = 0.95;
        return out;
    }
    let a = inp.assoc_cfg.as_ref();
    let ctx = ExtractContext {
        association: inp.association.clone(),
        association_name: a.map(|a| a.name.clone()),
        association_base_url: a.map(|a| a.base_url.clone()),
        selectors: a.and_then(|a| a.selectors.clone()),
        page_type: (hint == Some("profile")).then_some(PageType::MemberProfile),
        structure_only: true,
        explain: false,
    };
    let facts = PageFacts {
        url: inp.url.as_str(),
        final_url: &inp.final_url,
        status: inp.status,
        content_type,
        body: &text,
        hint,
        // Every domain the crawler visits is a directory site (association
        // or analyst-added); company websites are the enrichment phase's.
        association_site: true,
        directory_seed: inp.directory_seed,
    };
    let surveyed = survey(&facts, &ctx);
    if surveyed.classification.page_type != PageType::LoginWall {
        // Pagination only counts as structure on listing pages; a "next"
        // link elsewhere (next article, next month) is an ordinary link.
        let listing = matches!(
            surveyed.classification.page_type,
            PageType::DirectoryListing | PageType::ExhibitorList
        ) || hint == Some("directory");
        out.links = discover::links(&text, &base, &surveyed.structure, listing);
        out.links.retain(|x| x.url != inp.url);
    }
    out.class = surveyed.classification;
    out.title = page_title(&text);
    out.text = text;
    out
}

fn page_title(html: &str) -> Option<String> {
    let lower = html.get(..html.len().min(8192))?.to_ascii_lowercase();
    let i = lower.find("<title")?;
    let j = lower[i..].find('>')? + i + 1;
    let k = lower[j..].find("</title>")? + j;
    let t = crate::normalize::text::clean_text(html.get(j..k)?);
    (!t.is_empty()).then_some(t)
}
