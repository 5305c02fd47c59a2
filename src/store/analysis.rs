//! What a company is and sells (`company_analysis`), one row per company,
//! replaced by each new analysis. A NAICS code the analysis found fills
//! the company's own when that is empty, with provenance saying so.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::enrich::analysis::{Analysis, AnalysisMethod};
use crate::model::now_string;

fn list_json(items: &[String]) -> String {
    serde_json::json!(items).to_string()
}

fn list_from(json: Option<String>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

impl Store {
    /// Stores the analysis of `company_id`, replacing an older one.
    pub fn record_analysis(&self, company_id: i64, a: &Analysis) -> Result<()> {
        let now = now_string();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO company_analysis (company_id, method, business_type, naics, products,
                 value_propositions, target_market, confidence, model, prompt, response,
                 fallback_reason, analysed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (company_id) DO UPDATE SET
                 method = excluded.method, business_type = excluded.business_type,
                 naics = excluded.naics, products = excluded.products,
                 value_propositions = excluded.value_propositions,
                 target_market = excluded.target_market, confidence = excluded.confidence,
                 model = excluded.model, prompt = excluded.prompt, response = excluded.response,
                 fallback_reason = excluded.fallback_reason, analysed_at = excluded.analysed_at",
            params![
                company_id,
                a.method.as_str(),
                a.business_type,
                a.naics,
                list_json(&a.products),
                list_json(&a.value_propositions),
                a.target_market,
                a.confidence.clamp(0.0, 1.0),
                a.model,
                a.prompt,
                a.response,
                a.fallback_reason,
                now
            ],
        )?;
        if let Some(code) = &a.naics {
            self.fill_naics(company_id, code, a, &now)?;
        }
        Ok(())
    }

    /// Sets the company's NAICS code from the analysis when it has none.
    fn fill_naics(&self, company_id: i64, code: &str, a: &Analysis, now: &str) -> Result<()> {
        let conn = self.conn();
        let row: Option<(Option<String>, Option<String>)> = conn
            .query_row(
                "SELECT naics, provenance FROM companies WHERE id = ?1",
                params![company_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((naics, prov)) = row else {
            return Ok(());
        };
        if naics.is_some_and(|n| !n.trim().is_empty()) {
            return Ok(());
        }
        let mut prov = prov
            .map(|p| super::provenance::decode_map(&p))
            .unwrap_or_default();
        let extractor = match (a.method, &a.model) {
            (AnalysisMethod::Llm, Some(model)) => format!("analysis:llm:{model}"),
            (method, _) => format!("analysis:{method}"),
        };
        prov.insert(
            "naics".into(),
            serde_json::json!({
                "source_url": "",
                "extractor": extractor,
                "at": now,
                "confidence": a.confidence.clamp(0.0, 1.0),
            }),
        );
        conn.execute(
            "UPDATE companies SET naics = ?2, provenance = ?3, updated_at = ?4
             WHERE id = ?1 AND (naics IS NULL OR trim(naics) = '')",
            params![company_id, code, super::provenance::encode_map(&prov)?, now],
        )?;
        Ok(())
    }

    /// The stored analysis of `company_id`, if there is one.
    pub fn company_analysis(&self, company_id: i64) -> Result<Option<Analysis>> {
        let row = self
            .conn()
            .query_row(
                "SELECT method, business_type, naics, products, value_propositions,
                        target_market, confidence, model, prompt, response, fallback_reason
                 FROM company_analysis WHERE company_id = ?1",
                params![company_id],
                |r| {
                    let method: String = r.get(0)?;
                    Ok(Analysis {
                        // The schema's CHECK allows only the two.
                        method: AnalysisMethod::parse(&method).unwrap_or_default(),
                        business_type: r.get(1)?,
                        naics: r.get(2)?,
                        products: list_from(r.get(3)?),
                        value_propositions: list_from(r.get(4)?),
                        target_market: r.get(5)?,
                        confidence: r.get(6)?,
                        model: r.get(7)?,
                        prompt: r.get(8)?,
                        response: r.get(9)?,
                        fallback_reason: r.get(10)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::MemberRecord;

    fn store_with_company() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        let id = store
            .list_for_test(&MemberRecord {
                association: "PMA".into(),
                name: "Buckeye Precision Stamping".into(),
                website: Some("https://buckeye.example/".into()),
                source_url: "https://pma.example/members".into(),
                extractor: "generic".into(),
                confidence: 0.8,
                ..Default::default()
            })
            .unwrap();
        (dir, store, id)
    }

    fn llm_analysis() -> Analysis {
        Analysis {
            method: AnalysisMethod::Llm,
            business_type: Some("manufacturer".into()),
            naics: Some("332119".into()),
            products: vec!["Progressive die stampings".into(), "Washers".into()],
            value_propositions: vec!["ISO 9001 certified".into()],
            target_market: Some("Automotive".into()),
            confidence: 0.8,
            model: Some("gpt-4o-mini".into()),
            prompt: Some("{\"model\":\"gpt-4o-mini\"}".into()),
            response: Some("{\"choices\":[]}".into()),
            fallback_reason: None,
        }
    }

    fn company_naics(store: &Store, id: i64) -> (Option<String>, serde_json::Value) {
        store
            .conn()
            .query_row(
                "SELECT naics, provenance FROM companies WHERE id = ?1",
                [id],
                |r| {
                    let p: Option<String> = r.get(1)?;
                    Ok((
                        r.get(0)?,
                        serde_json::Value::Object(
                            p.map(|p| super::super::provenance::decode_map(&p))
                                .unwrap_or_default(),
                        ),
                    ))
                },
            )
            .unwrap()
    }

    #[test]
    fn an_analysis_round_trips_and_a_new_one_replaces_it() {
        let (_dir, store, id) = store_with_company();
        assert_eq!(store.company_analysis(id).unwrap(), None);
        let a = llm_analysis();
        store.record_analysis(id, &a).unwrap();
        assert_eq!(store.company_analysis(id).unwrap(), Some(a));
        let rules = Analysis {
            method: AnalysisMethod::Rules,
            business_type: Some("distributor".into()),
            naics: None,
            products: vec![],
            value_propositions: vec![],
            target_market: None,
            confidence: 0.3,
            model: Some("gpt-4o-mini".into()),
            prompt: Some("p".into()),
            response: None,
            fallback_reason: Some("LLM refused the request: the key was refused (HTTP 401)".into()),
        };
        store.record_analysis(id, &rules).unwrap();
        assert_eq!(store.company_analysis(id).unwrap(), Some(rules));
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM company_analysis", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn the_naics_code_fills_an_empty_one_with_provenance() {
        let (_dir, store, id) = store_with_company();
        assert_eq!(company_naics(&store, id).0, None);
        store.record_analysis(id, &llm_analysis()).unwrap();
        let (naics, prov) = company_naics(&store, id);
        assert_eq!(naics.as_deref(), Some("332119"));
        assert_eq!(prov["naics"]["extractor"], "analysis:llm:gpt-4o-mini");
        assert_eq!(prov["naics"]["confidence"], 0.8);
    }

    #[test]
    fn a_known_naics_code_is_left_alone() {
        let (_dir, store, id) = store_with_company();
        store
            .conn()
            .execute(
                "UPDATE companies SET naics = '332710', provenance = '{\"naics\":{\"extractor\":\"enrich:clearbit\"}}' WHERE id = ?1",
                [id],
            )
            .unwrap();
        store.record_analysis(id, &llm_analysis()).unwrap();
        let (naics, prov) = company_naics(&store, id);
        assert_eq!(naics.as_deref(), Some("332710"));
        assert_eq!(prov["naics"]["extractor"], "enrich:clearbit");
        // The analysis keeps its own opinion.
        let stored = store.company_analysis(id).unwrap().unwrap();
        assert_eq!(stored.naics.as_deref(), Some("332119"));
    }
}
