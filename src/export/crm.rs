//! CRM import profiles built from the full tables: HubSpot and Salesforce
//! column names their importers map without manual work.
//!
//! HubSpot dedupes companies on `Company Domain Name` and contacts on
//! `Email`, so a row without a valid one (or repeating one) would be
//! created anew or dropped by HubSpot: those rows are left out here and
//! counted as skipped. Salesforce keys both objects on nam's stable company
//! id (`Nam_Company_Id__c`, an External ID field), so a re-import upserts.

use std::collections::HashSet;

use anyhow::Result;
use polars::prelude::BooleanChunked;

use super::Skipped;
use super::table::{Col, Data, Table, text_data};
use crate::normalize::{normalize_email, registrable_domain};

/// A bare registrable domain (no scheme, `www.` or path) from a domain or
/// website cell.
fn bare_domain(domain: Option<&str>, website: Option<&str>) -> Option<String> {
    domain
        .and_then(registrable_domain)
        .or_else(|| website.and_then(registrable_domain))
}

/// Keeps the rows whose key is `Some` and first seen; counts the rest.
fn keyed(
    table: &Table,
    keys: Vec<Option<String>>,
    missing: &str,
    duplicate: &str,
) -> Result<(Table, Vec<String>, Vec<Skipped>)> {
    let mut seen = HashSet::new();
    let (mut none, mut dup) = (0, 0);
    let mask: BooleanChunked = keys
        .iter()
        .map(|k| match k {
            None => {
                none += 1;
                Some(false)
            }
            Some(k) if !seen.insert(k.to_ascii_lowercase()) => {
                dup += 1;
                Some(false)
            }
            Some(_) => Some(true),
        })
        .collect();
    let kept: Vec<String> = keys
        .into_iter()
        .zip(mask.iter())
        .filter_map(|(k, m)| if m == Some(true) { k } else { None })
        .collect();
    let skipped = [(missing, none), (duplicate, dup)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, rows)| Skipped {
            reason: reason.to_owned(),
            rows,
        })
        .collect();
    Ok((table.filter(&mask)?, kept, skipped))
}

fn col(name: &str, data: Data) -> Col {
    Col {
        name: name.to_owned(),
        data,
    }
}

/// `website`, else `https://` + `domain`.
fn website_or_domain(t: &Table, website: &str, domain: &str) -> Result<Data> {
    let (w, d) = (t.text(website)?, t.text(domain)?);
    Ok(text_data(w.iter().zip(d.iter()).map(|(w, d)| {
        w.map(str::to_owned)
            .or_else(|| d.map(|d| format!("https://{d}")))
    })))
}

/// HubSpot companies: keyed by a bare, valid `Company Domain Name`.
pub(crate) fn hubspot_companies(companies: &Table) -> Result<(Table, Vec<Skipped>)> {
    let keys = {
        let (d, w) = (companies.text("domain")?, companies.text("website")?);
        d.iter()
            .zip(w.iter())
            .map(|(d, w)| bare_domain(d, w))
            .collect()
    };
    let (t, keys, skipped) = keyed(
        companies,
        keys,
        "no valid Company Domain Name",
        "Company Domain Name repeats an earlier row",
    )?;
    let cols = vec![
        col("Company Domain Name", text_data(keys.into_iter().map(Some))),
        t.renamed("name", "Name")?,
        t.renamed("phone", "Phone Number")?,
        t.renamed("street", "Street Address")?,
        t.renamed("city", "City")?,
        t.renamed("state", "State/Region")?,
        t.renamed("postal_code", "Postal Code")?,
        t.renamed("country", "Country/Region")?,
        t.renamed("employee_count", "Number of Employees")?,
        t.renamed("founded_year", "Year Founded")?,
        t.renamed("industry", "Industry")?,
        col("Website URL", website_or_domain(&t, "website", "domain")?),
        t.renamed("id", "nam_company_id")?,
        t.renamed("associations", "nam_associations")?,
        t.renamed("quality_grade", "nam_quality_grade")?,
        t.renamed("technologies", "nam_technologies")?,
    ];
    Ok((
        Table {
            height: t.height,
            cols,
        },
        skipped,
    ))
}

/// First and last name: the stored ones, else `full_name` split at its
/// first space.
fn names(t: &Table) -> Result<(Data, Data)> {
    let (full, first, last) = (
        t.text("full_name")?,
        t.text("first_name")?,
        t.text("last_name")?,
    );
    let mut firsts = Vec::with_capacity(t.height);
    let mut lasts = Vec::with_capacity(t.height);
    for ((full, first), last) in full.iter().zip(first.iter()).zip(last.iter()) {
        let (f, l) = match (first, last, full) {
            (None, None, Some(full)) => match full.trim().split_once(' ') {
                Some((f, l)) => (Some(f.to_owned()), Some(l.trim().to_owned())),
                None => (None, Some(full.trim().to_owned())),
            },
            (f, l, _) => (f.map(str::to_owned), l.map(str::to_owned)),
        };
        firsts.push(f);
        lasts.push(l);
    }
    Ok((text_data(firsts), text_data(lasts)))
}

fn contact_keys(contacts: &Table) -> Result<Vec<Option<String>>> {
    Ok(contacts
        .text("email")?
        .iter()
        .map(|e| {
            e.filter(|e| normalize_email(e).is_some())
                .map(str::to_owned)
        })
        .collect())
}

fn company_domains(t: &Table) -> Result<Data> {
    let (d, w) = (t.text("company_domain")?, t.text("company_website")?);
    Ok(text_data(
        d.iter().zip(w.iter()).map(|(d, w)| bare_domain(d, w)),
    ))
}

/// HubSpot contacts keyed by `Email`, associated to their company by
/// `Company Domain Name`; `with_company` adds the company's columns
/// (HubSpot's one-file, two-object import).
pub(crate) fn hubspot_contacts(
    contacts: &Table,
    with_company: bool,
) -> Result<(Table, Vec<Skipped>)> {
    let (t, keys, skipped) = keyed(
        contacts,
        contact_keys(contacts)?,
        "no valid Email",
        "Email repeats an earlier row",
    )?;
    let (first, last) = names(&t)?;
    let mut cols = vec![
        col("Email", text_data(keys.into_iter().map(Some))),
        col("First Name", first),
        col("Last Name", last),
        t.renamed("title", "Job Title")?,
        t.renamed("phone", "Phone Number")?,
        col("Company Domain Name", company_domains(&t)?),
    ];
    if with_company {
        // The company's phone is left out: a second "Phone Number" column
        // would be ambiguous to the importer.
        cols.extend([
            t.renamed("company_name", "Name")?,
            t.renamed("company_street", "Street Address")?,
            t.renamed("company_city", "City")?,
            t.renamed("company_state", "State/Region")?,
            t.renamed("company_postal_code", "Postal Code")?,
            t.renamed("company_country", "Country/Region")?,
            t.renamed("company_employee_count", "Number of Employees")?,
            t.renamed("company_industry", "Industry")?,
            col(
                "Website URL",
                website_or_domain(&t, "company_website", "company_domain")?,
            ),
        ]);
    } else {
        cols.push(t.renamed("company_name", "Company Name")?);
    }
    cols.extend([
        t.renamed("id", "nam_contact_id")?,
        t.renamed("company_id", "nam_company_id")?,
    ]);
    Ok((
        Table {
            height: t.height,
            cols,
        },
        skipped,
    ))
}

/// `city, state`: what tells two same-name accounts apart.
fn account_site(t: &Table) -> Result<Data> {
    let (c, s) = (t.text("city")?, t.text("state")?);
    Ok(text_data(c.iter().zip(s.iter()).map(|(c, s)| {
        match (c, s) {
            (Some(c), Some(s)) => Some(format!("{c}, {s}")),
            (Some(x), None) | (None, Some(x)) => Some(x.to_owned()),
            (None, None) => None,
        }
    })))
}

/// Salesforce Accounts, upserted on `Nam_Company_Id__c`.
pub(crate) fn salesforce_accounts(companies: &Table) -> Result<Table> {
    let t = companies;
    let cols = vec![
        t.renamed("name", "Account Name")?,
        col("Account Site", account_site(t)?),
        col("Website", website_or_domain(t, "website", "domain")?),
        t.renamed("phone", "Phone")?,
        t.renamed("street", "Billing Street")?,
        t.renamed("city", "Billing City")?,
        t.renamed("state", "Billing State/Province")?,
        t.renamed("postal_code", "Billing Zip/Postal Code")?,
        t.renamed("country", "Billing Country")?,
        t.renamed("employee_count", "NumberOfEmployees")?,
        t.renamed("industry", "Industry")?,
        t.renamed("id", "Nam_Company_Id__c")?,
    ];
    Ok(Table {
        height: t.height,
        cols,
    })
}

/// Salesforce Contacts, looked up to their Account by `Nam_Company_Id__c`.
/// Salesforce requires a Last Name: a contact without any name is skipped.
pub(crate) fn salesforce_contacts(contacts: &Table) -> Result<(Table, Vec<Skipped>)> {
    let (_, last) = names(contacts)?;
    let Data::Text(last_ca) = &last else {
        anyhow::bail!("last names are text");
    };
    let keys: Vec<Option<String>> = last_ca
        .iter()
        .enumerate()
        .map(|(i, l)| l.map(|_| i.to_string()))
        .collect();
    let (t, _, skipped) = keyed(contacts, keys, "no Last Name", "repeated row")?;
    let (first, last) = names(&t)?;
    let cols = vec![
        col("First Name", first),
        col("Last Name", last),
        t.renamed("title", "Title")?,
        t.renamed("email", "Email")?,
        t.renamed("phone", "Phone")?,
        t.renamed("company_name", "Account Name")?,
        t.renamed("company_id", "Nam_Company_Id__c")?,
        t.renamed("id", "Nam_Contact_Id__c")?,
    ];
    Ok((
        Table {
            height: t.height,
            cols,
        },
        skipped,
    ))
}
