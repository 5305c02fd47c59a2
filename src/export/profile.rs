//! Exports of one view: the companies a filtered table shows, in a column
//! profile a CRM imports without remapping (full, HubSpot, Salesforce), and
//! plain tables (signals, dead letters) as they are shown.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame};

use super::{ExportedFile, Format, file_in, text_col, write_frame};
use crate::model::Company;

/// Column profiles for company exports.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Every column nam has, with nam's names.
    #[default]
    Full,
    /// HubSpot company import (default property labels).
    Hubspot,
    /// Salesforce account import (standard Account field labels).
    Salesforce,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Full, Profile::Hubspot, Profile::Salesforce];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Full => "full",
            Profile::Hubspot => "hubspot",
            Profile::Salesforce => "salesforce",
        }
    }

    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

type Getter = fn(&Company) -> Option<String>;

/// `(column, value)` per profile, in file order.
fn columns(profile: Profile) -> Vec<(&'static str, Getter)> {
    let name: Getter = |c| Some(c.name.clone());
    let domain: Getter = |c| c.domain.clone();
    let website: Getter = |c| {
        c.website
            .clone()
            .or_else(|| c.domain.as_ref().map(|d| format!("https://{d}")))
    };
    let phone: Getter = |c| c.phone.clone();
    let street: Getter = |c| c.street.clone();
    let city: Getter = |c| c.city.clone();
    let state: Getter = |c| c.state.clone();
    let postal: Getter = |c| c.postal_code.clone();
    let country: Getter = |c| c.country.clone();
    let industry: Getter = |c| c.industry.clone();
    let employees: Getter = |c| c.employee_count.map(|n| n.to_string());
    let founded: Getter = |c| c.founded_year.map(|n| n.to_string());
    let id: Getter = |c| Some(c.id.to_string());
    let associations: Getter = |c| Some(c.associations.join(";"));
    let score: Getter = |c| c.quality_score.map(|s| format!("{s:.0}"));
    let grade: Getter = |c| c.quality_grade.clone();
    let updated: Getter = |c| Some(c.updated_at.clone());
    let site: Getter = |c| match (&c.city, &c.state) {
        (Some(c), Some(s)) => Some(format!("{c}, {s}")),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    };
    match profile {
        Profile::Full => vec![
            ("id", id),
            ("name", name),
            ("domain", domain),
            ("website", website),
            ("phone", phone),
            ("street", street),
            ("city", city),
            ("state", state),
            ("postal_code", postal),
            ("country", country),
            ("associations", associations),
            ("employee_count", employees),
            ("founded_year", founded),
            ("industry", industry),
            ("quality_score", score),
            ("quality_grade", grade),
            ("updated_at", updated),
        ],
        // The names `nam export --profile` uses (see crm.rs).
        Profile::Hubspot => vec![
            ("Company Domain Name", domain),
            ("Name", name),
            ("Phone Number", phone),
            ("Street Address", street),
            ("City", city),
            ("State/Region", state),
            ("Postal Code", postal),
            ("Country/Region", country),
            ("Number of Employees", employees),
            ("Year Founded", founded),
            ("Industry", industry),
            ("Website URL", website),
            ("nam_company_id", id),
            ("nam_associations", associations),
            ("nam_quality_grade", grade),
        ],
        Profile::Salesforce => vec![
            ("Account Name", name),
            ("Account Site", site),
            ("Website", website),
            ("Phone", phone),
            ("Billing Street", street),
            ("Billing City", city),
            ("Billing State/Province", state),
            ("Billing Zip/Postal Code", postal),
            ("Billing Country", country),
            ("NumberOfEmployees", employees),
            ("Industry", industry),
            ("Nam_Company_Id__c", id),
        ],
    }
}

/// Writes `companies` as `<stem>.csv` and `<stem>.parquet` in `profile`.
pub fn export_companies(
    companies: &[Company],
    profile: Profile,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<ExportedFile>> {
    let cols = columns(profile);
    let headers: Vec<&str> = cols.iter().map(|(h, _)| *h).collect();
    let rows: Vec<Vec<Option<String>>> = companies
        .iter()
        .map(|c| cols.iter().map(|(_, get)| get(c)).collect())
        .collect();
    export_table(&headers, &rows, out_dir, stem)
}

/// Writes a table of text cells as `<stem>.csv` and `<stem>.parquet`.
pub fn export_table(
    headers: &[&str],
    rows: &[Vec<Option<String>>],
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<ExportedFile>> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating export directory {}", out_dir.display()))?;
    let mut written = Vec::new();
    for format in [Format::Csv, Format::Parquet] {
        let neutralize = format == Format::Csv;
        let cols: Vec<Column> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let values = rows.iter().map(|r| r.get(i).cloned().flatten()).collect();
                text_col(h, values, neutralize)
            })
            .collect();
        let mut df = DataFrame::new(rows.len(), cols)?;
        let path = file_in(out_dir, stem, format)?;
        write_frame(&mut df, format, &path)?;
        written.push(ExportedFile {
            path,
            rows: rows.len(),
            skipped: Vec::new(),
        });
    }
    Ok(written)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn company() -> Company {
        Company {
            id: 7,
            name: "=Acme Stamping".into(),
            domain: Some("acme.example".into()),
            city: Some("Cleveland".into()),
            state: Some("OH".into()),
            employee_count: Some(120),
            ..Default::default()
        }
    }

    #[test]
    fn profiles_write_their_own_headers_and_neutralize_csv() {
        let dir = tempfile::tempdir().unwrap();
        for profile in Profile::ALL {
            let files =
                export_companies(&[company()], profile, dir.path(), profile.name()).unwrap();
            assert_eq!(files.len(), 2);
            assert!(files.iter().all(|f| f.rows == 1 && f.path.exists()));
            let csv = std::fs::read_to_string(dir.path().join(format!("{}.csv", profile.name())))
                .unwrap();
            let header = csv.lines().next().unwrap();
            match profile {
                Profile::Full => assert!(header.starts_with("id,name,domain")),
                Profile::Hubspot => assert!(header.starts_with("Company Domain Name,Name,")),
                Profile::Salesforce => assert!(header.starts_with("Account Name,Account Site,")),
            }
            assert!(csv.contains("'=Acme Stamping"), "{csv}");
            assert!(csv.contains("https://acme.example"), "{csv}");
        }
    }
}
