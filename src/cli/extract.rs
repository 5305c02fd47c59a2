//! `nam extract FILE_OR_URL`: extract one page and print one JSON object per
//! company, to debug a layout in one command.

use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::config::{AssociationsFile, CrawlSettings};
use crate::crawl::polite::PoliteFetcher;
use crate::extract::classify::extract_directory_page;
use crate::extract::context_for;

#[derive(Debug, Clone, clap::Args)]
pub struct ExtractArgs {
    /// A saved HTML/JSON file or an http(s) URL.
    #[arg(value_name = "FILE_OR_URL")]
    pub input: String,
    /// URL the page was served from (resolves relative links; tells own-site links apart).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Association code: use its configured selectors and name.
    #[arg(long, value_name = "CODE")]
    pub association: Option<String>,
    /// Also tell (on stderr) what the page was classified as and which
    /// repeated structure was taken as the record list, and why.
    #[arg(long)]
    pub explain: bool,
}

fn decode_body(bytes: &[u8], content_type: Option<&str>) -> String {
    crate::normalize::charset::decode(bytes, content_type).0
}

/// Fetches one page through the polite path (robots.txt, pacing, size cap).
async fn fetch(
    settings: &CrawlSettings,
    url: &url::Url,
) -> Result<(Vec<u8>, Option<String>, String)> {
    let polite = PoliteFetcher::new(settings, None)?;
    let resp = polite.get(url).await?;
    if !(200..300).contains(&resp.status) {
        bail!("fetching {url}: HTTP {}", resp.status);
    }
    if resp.truncated {
        eprintln!(
            "warning: {url} is larger than {} bytes; only the start was read",
            settings.max_body_bytes
        );
    }
    Ok((resp.bytes, resp.content_type, resp.url.to_string()))
}

/// `nam extract`; `settings` are the crawl settings of the config (or the
/// defaults), used when the input is a URL.
pub async fn run(args: ExtractArgs, settings: &CrawlSettings) -> Result<()> {
    let is_url = args.input.starts_with("http://") || args.input.starts_with("https://");
    let (body, source) = if is_url {
        let u =
            url::Url::parse(&args.input).with_context(|| format!("bad URL {:?}", args.input))?;
        let (bytes, ct, final_url) = fetch(settings, &u).await?;
        (decode_body(&bytes, ct.as_deref()), final_url)
    } else {
        let path = std::path::Path::new(&args.input);
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let src = url::Url::from_file_path(&abs)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| args.input.clone());
        (decode_body(&bytes, None), src)
    };
    if let Some(b) = &args.base_url {
        url::Url::parse(b).with_context(|| format!("bad --base-url {b:?}"))?;
    }
    let page_url = args.base_url.clone().unwrap_or(source.clone());
    let associations = AssociationsFile::bundled()?.associations;
    let explain = args.explain;
    let code = args.association.clone();
    let ex = tokio::task::spawn_blocking(move || {
        let mut ctx = context_for(&associations, code.as_deref(), &page_url, None);
        ctx.explain = explain;
        extract_directory_page(&body, &page_url, ctx)
    })
    .await?;
    if explain {
        for line in &ex.explanation {
            eprintln!("explain: {line}");
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for m in &ex.members {
        let line = json!({
            "name": m.name, "website": m.website, "domain": m.domain, "phone": m.phone,
            "street": m.street, "city": m.city, "state": m.state, "zip": m.postal_code,
            "country": m.country, "membership": m.membership_type, "confidence": m.confidence,
            "source": m.source_url,
        });
        writeln!(out, "{line}")?;
    }
    for e in &ex.events {
        eprintln!(
            "event: {} ({} – {}), {} participants",
            e.name,
            e.start_date.as_deref().unwrap_or("?"),
            e.end_date.as_deref().unwrap_or("?"),
            e.participants.len()
        );
    }
    Ok(())
}
