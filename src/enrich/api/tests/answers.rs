//! Each provider's documented success answer, in small but faithful
//! bodies, read into [`Findings`].

use serde_json::json;
use wiremock::ResponseTemplate;

use super::*;

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn clearbit_company() -> serde_json::Value {
    json!({
        "id": "5e2b8c1a-0f4d-4c1e-9a57-3c2d1b0a9f8e",
        "name": "Acme Stamping",
        "legalName": "Acme Stamping & Die, Inc.",
        "domain": "acme-stamping.com",
        "domainAliases": ["acmestamping.com"],
        "site": { "phoneNumbers": ["+1 313-555-0199"], "emailAddresses": ["sales@acme-stamping.com"] },
        "category": {
            "sector": "Industrials", "industryGroup": "Capital Goods",
            "industry": "Machinery", "subIndustry": "Industrial Machinery",
            "sicCode": "3469", "naicsCode": "332119"
        },
        "tags": ["Manufacturing", "B2B"],
        "description": "Progressive-die metal stampings for automotive and appliance makers.",
        "foundedYear": 1962,
        "geo": {
            "streetAddress": "1200 Industrial Dr", "city": "Detroit", "postalCode": "48201",
            "state": "Michigan", "stateCode": "MI", "country": "United States", "countryCode": "US",
            "lat": 42.33, "lng": -83.05
        },
        "linkedin": { "handle": "company/acme-stamping" },
        "type": "private",
        "phone": "+1 313-555-0100",
        "metrics": {
            "alexaGlobalRank": null, "employees": 180, "employeesRange": "51-250",
            "marketCap": null, "raised": null, "annualRevenue": null,
            "estimatedAnnualRevenue": "$10M-$50M"
        },
        "indexedAt": "2024-05-02T10:11:12.000Z",
        "tech": ["google_analytics", "microsoft_exchange_online", ""],
        "techCategories": ["analytics", "email_hosting_service"],
        "parent": { "domain": null }
    })
}

#[tokio::test]
async fn clearbit_company_reads_firmographics() {
    let f = ask("clearbit", Kind::Firmographic, ok(clearbit_company()))
        .await
        .unwrap();
    let firm = f.firmographics.clone().unwrap();
    assert_eq!(firm.employee_count, Some(180));
    assert_eq!(firm.employee_range.as_deref(), Some("51-250"));
    assert_eq!(firm.founded_year, Some(1962));
    assert_eq!(firm.revenue_range.as_deref(), Some("$10M-$50M"));
    assert_eq!(firm.industry.as_deref(), Some("Machinery"));
    assert_eq!(firm.naics.as_deref(), Some("332119"));
    assert!(firm.description.unwrap().starts_with("Progressive-die"));
    assert_eq!(firm.phone.as_deref(), Some("+1 313-555-0100"));
    assert_eq!(firm.city.as_deref(), Some("Detroit"));
    assert_eq!(firm.state.as_deref(), Some("MI"));
    assert_eq!(firm.country.as_deref(), Some("US"));
    assert!(f.technologies.is_empty() && f.contacts.is_empty());
    assert_eq!(f.credits, 1.0);
    assert!(
        f.source_url
            .as_deref()
            .unwrap()
            .ends_with("/v2/companies/find?domain=acme-stamping.com")
    );
    assert_no_secret_in_findings("clearbit", &f);
}

#[tokio::test]
async fn clearbit_tech_list_is_the_techstack() {
    let f = ask("clearbit", Kind::Techstack, ok(clearbit_company()))
        .await
        .unwrap();
    let vendors: Vec<&str> = f.technologies.iter().map(|t| t.vendor.as_str()).collect();
    assert_eq!(vendors, ["google_analytics", "microsoft_exchange_online"]);
    assert!(
        f.technologies
            .iter()
            .all(|t| t.category == "other" && t.evidence_kind == "api")
    );
    assert!(f.firmographics.is_none());
    assert_no_secret_in_findings("clearbit", &f);
}

#[tokio::test]
async fn clearbit_nulls_in_nested_objects_are_tolerated() {
    let body = json!({ "name": "Acme", "category": null, "metrics": null, "geo": null,
                       "site": null, "tech": null, "foundedYear": null });
    let f = ask("clearbit", Kind::Firmographic, ok(body)).await.unwrap();
    assert_eq!(f.firmographics.unwrap().known_fields(), 0);
}

#[tokio::test]
async fn apollo_organization_reads_firmographics() {
    let body = json!({
        "organization": {
            "id": "5f1a2b3c4d5e6f7a8b9c0d1e",
            "name": "Acme Stamping",
            "website_url": "http://www.acme-stamping.com",
            "linkedin_url": "http://www.linkedin.com/company/acme-stamping",
            "primary_phone": { "number": "(313) 555-0100", "source": "Account", "sanitized_number": "+13135550100" },
            "phone": "(313) 555-0100",
            "founded_year": 1962,
            "primary_domain": "acme-stamping.com",
            "industry": "machinery",
            "keywords": ["metal stamping", "progressive dies"],
            "estimated_num_employees": 170,
            "naics_codes": ["33211"],
            "sic_codes": ["3469"],
            "city": "Detroit",
            "state": "Michigan",
            "country": "United States",
            "short_description": "Acme Stamping makes precision metal stampings.",
            "annual_revenue_printed": "32M",
            "annual_revenue": 32000000.0,
            "technology_names": ["Microsoft Office 365"],
            "current_technologies": [{ "uid": "office_365", "name": "Microsoft Office 365", "category": "Other" }]
        }
    });
    let f = ask("apollo", Kind::Firmographic, ok(body)).await.unwrap();
    let firm = f.firmographics.clone().unwrap();
    assert_eq!(firm.employee_count, Some(170));
    assert_eq!(firm.founded_year, Some(1962));
    assert_eq!(firm.revenue_range.as_deref(), Some("32M"));
    assert_eq!(firm.industry.as_deref(), Some("machinery"));
    assert_eq!(firm.naics.as_deref(), Some("33211"));
    assert_eq!(firm.phone.as_deref(), Some("+13135550100"));
    assert_eq!(
        (
            firm.city.as_deref(),
            firm.state.as_deref(),
            firm.country.as_deref()
        ),
        (Some("Detroit"), Some("Michigan"), Some("United States"))
    );
    assert!(firm.description.is_some());
    assert_eq!(f.credits, 1.0);
    assert_no_secret_in_findings("apollo", &f);
}

#[tokio::test]
async fn apollo_empty_organization_is_not_found() {
    let err = ask("apollo", Kind::Firmographic, ok(json!({})))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::NotFound);
}

#[tokio::test]
async fn apollo_people_search_reads_contacts() {
    let body = json!({
        "total_entries": 3,
        "people": [
            { "id": "66a1", "first_name": "Dana", "last_name": "Kowalski", "name": "Dana Kowalski",
              "title": "Plant Manager", "linkedin_url": "http://www.linkedin.com/in/dana-kowalski",
              "email": "email_not_unlocked@domain.com", "organization": { "name": "Acme Stamping" } },
            { "id": "66a2", "first_name": "Raj", "last_name_obfuscated": "Pa***l",
              "title": "Purchasing Manager", "has_email": true },
            { "id": "66a3", "title": "Nameless" }
        ]
    });
    let f = ask("apollo", Kind::Contacts, ok(body)).await.unwrap();
    assert_eq!(f.contacts.len(), 2, "{:?}", f.contacts);
    let dana = &f.contacts[0];
    assert_eq!(dana.full_name, "Dana Kowalski");
    assert_eq!(dana.title.as_deref(), Some("Plant Manager"));
    assert_eq!(dana.email, None, "a locked placeholder is no email");
    assert!(
        dana.linkedin_url
            .as_deref()
            .unwrap()
            .contains("dana-kowalski")
    );
    // An obfuscated last name is not a last name.
    assert_eq!(f.contacts[1].full_name, "Raj");
    assert_eq!(f.contacts[1].last_name, None);
    assert_eq!(f.credits, 0.0);
    assert_no_secret_in_findings("apollo", &f);
}

#[tokio::test]
async fn builtwith_paths_read_as_techstack() {
    let tech = |name: &str, tag: &str, cats: &[&str]| {
        json!({ "Name": name, "Description": "…", "Link": "https://example.org", "Tag": tag,
                "Categories": cats, "FirstDetected": 1_546_300_800_000_u64,
                "LastDetected": 1_714_608_000_000_u64, "IsPremium": "no" })
    };
    let body = json!({
        "Results": [{
            "Result": {
                "IsDB": "True", "Spend": 120,
                "Paths": [
                    { "Domain": "acme-stamping.com", "Url": "", "SubDomain": "",
                      "Technologies": [
                          tech("Google Analytics", "analytics", &["Audience Measurement"]),
                          tech("WordPress", "cms", &["Open Source"]),
                          tech("HubSpot", "widgets", &["Marketing Automation", "CRM"]),
                      ] },
                    { "Domain": "acme-stamping.com", "Url": "", "SubDomain": "shop",
                      "Technologies": [ tech("Google Analytics", "analytics", &[]) ] }
                ]
            },
            "Meta": null,
            "Lookup": "acme-stamping.com"
        }],
        "Errors": []
    });
    let f = ask("builtwith", Kind::Techstack, ok(body)).await.unwrap();
    let got: Vec<(&str, &str)> = f
        .technologies
        .iter()
        .map(|t| (t.vendor.as_str(), t.category.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("Google Analytics", "analytics"),
            ("WordPress", "cms"),
            ("HubSpot", "crm")
        ]
    );
    assert_eq!(
        f.technologies[0].evidence,
        "builtwith: Google Analytics (Audience Measurement)"
    );
    let url = f.source_url.as_deref().unwrap();
    assert!(
        url.ends_with("/v21/api.json?LOOKUP=acme-stamping.com"),
        "{url}"
    );
    assert_no_secret_in_findings("builtwith", &f);
}

#[tokio::test]
async fn zoominfo_enrich_company_reads_firmographics() {
    let body = json!({
        "success": true,
        "data": {
            "outputFields": [["id", "name", "employeeCount"]],
            "result": [{
                "input": { "companywebsite": "http://www.acme-stamping.com" },
                "data": [{
                    "id": 412345678, "name": "Acme Stamping & Die Inc", "website": "www.acme-stamping.com",
                    "employeeCount": 185, "employeeRange": "100 - 249",
                    "revenueRange": "$25 mil. - $50 mil.", "foundedYear": "1962",
                    "phone": "(313) 555-0100", "city": "Detroit", "state": "Michigan",
                    "country": "United States", "primaryIndustry": ["Manufacturing"],
                    "naicsCodes": [{ "id": "332119", "name": "Metal Crown, Closure, and Other Metal Stamping" }],
                    "descriptionList": [{ "description": "Acme Stamping produces stamped metal parts." }]
                }],
                "matchStatus": "FULL_MATCH"
            }]
        }
    });
    let f = ask("zoominfo", Kind::Firmographic, ok(body)).await.unwrap();
    let firm = f.firmographics.clone().unwrap();
    assert_eq!(firm.employee_count, Some(185));
    assert_eq!(firm.employee_range.as_deref(), Some("100 - 249"));
    assert_eq!(firm.founded_year, Some(1962));
    assert_eq!(firm.revenue_range.as_deref(), Some("$25 mil. - $50 mil."));
    assert_eq!(firm.industry.as_deref(), Some("Manufacturing"));
    assert_eq!(firm.naics.as_deref(), Some("332119"));
    assert_eq!(firm.known_fields(), 5);
    assert_eq!(firm.phone.as_deref(), Some("(313) 555-0100"));
    assert_no_secret_in_findings("zoominfo", &f);
}

#[tokio::test]
async fn zoominfo_no_match_is_not_found() {
    let body = json!({ "success": true, "data": { "outputFields": [], "result": [
        { "input": { "companywebsite": "http://www.acme-stamping.com" }, "data": [], "matchStatus": "NO_MATCH" }
    ] } });
    let err = ask("zoominfo", Kind::Firmographic, ok(body))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::NotFound);
}

#[tokio::test]
async fn zoominfo_contact_search_reads_contacts() {
    let body = json!({
        "maxResults": 25, "totalResults": 2, "currentPage": 1,
        "data": [
            { "id": 1234567, "firstName": "Maria", "middleName": "", "lastName": "Lindqvist",
              "jobTitle": "Director of Operations", "contactAccuracyScore": 95, "hasEmail": true,
              "company": { "id": 412345678, "name": "Acme Stamping & Die Inc" } },
            { "id": 1234568, "firstName": "", "lastName": "", "jobTitle": "Unknown" }
        ]
    });
    let f = ask("zoominfo", Kind::Contacts, ok(body)).await.unwrap();
    assert_eq!(f.contacts.len(), 1);
    let c = &f.contacts[0];
    assert_eq!(c.full_name, "Maria Lindqvist");
    assert_eq!(c.title.as_deref(), Some("Director of Operations"));
    assert!((c.confidence - 0.95).abs() < 1e-9);
    assert_no_secret_in_findings("zoominfo", &f);
}

#[tokio::test]
async fn hunter_domain_search_reads_contacts_and_pattern() {
    let body = json!({
        "data": {
            "domain": "acme-stamping.com", "disposable": false, "webmail": false,
            "accept_all": false, "pattern": "{first}.{last}", "organization": "Acme Stamping",
            "emails": [
                { "value": "dana.kowalski@acme-stamping.com", "type": "personal", "confidence": 94,
                  "sources": [{ "domain": "acme-stamping.com", "uri": "http://acme-stamping.com/team" }],
                  "first_name": "Dana", "last_name": "Kowalski", "position": "Plant Manager",
                  "seniority": "senior", "department": "operations",
                  "linkedin": "https://www.linkedin.com/in/dana-kowalski", "twitter": null,
                  "phone_number": null, "verification": { "date": "2024-04-01", "status": "valid" } },
                { "value": "info@acme-stamping.com", "type": "generic", "confidence": 88,
                  "first_name": null, "last_name": null, "position": null }
            ]
        },
        "meta": { "results": 2, "limit": 10, "offset": 0,
                  "params": { "domain": "acme-stamping.com", "type": "personal" } }
    });
    let f = ask("hunter", Kind::Contacts, ok(body)).await.unwrap();
    assert_eq!(
        f.email_pattern.as_deref(),
        Some("{first}.{last}@acme-stamping.com")
    );
    assert_eq!(f.contacts.len(), 1, "a role address is no person");
    let c = &f.contacts[0];
    assert_eq!(c.email.as_deref(), Some("dana.kowalski@acme-stamping.com"));
    assert_eq!(c.title.as_deref(), Some("Plant Manager"));
    assert_eq!(
        c.linkedin_url.as_deref(),
        Some("https://www.linkedin.com/in/dana-kowalski")
    );
    assert!((c.confidence - 0.94).abs() < 1e-9);
    let url = f.source_url.as_deref().unwrap();
    assert!(
        url.contains("/v2/domain-search?domain=acme-stamping.com"),
        "{url}"
    );
    assert_no_secret_in_findings("hunter", &f);
}

fn place(id: &str, website: &str, phone: &str) -> serde_json::Value {
    json!({
        "id": id,
        "displayName": { "text": "Acme Stamping", "languageCode": "en" },
        "websiteUri": website,
        "nationalPhoneNumber": "(313) 555-0100",
        "internationalPhoneNumber": phone,
        "addressComponents": [
            { "longText": "1200", "shortText": "1200", "types": ["street_number"], "languageCode": "en" },
            { "longText": "Detroit", "shortText": "Detroit", "types": ["locality", "political"], "languageCode": "en" },
            { "longText": "Michigan", "shortText": "MI", "types": ["administrative_area_level_1", "political"], "languageCode": "en" },
            { "longText": "United States", "shortText": "US", "types": ["country", "political"], "languageCode": "en" }
        ]
    })
}

#[tokio::test]
async fn places_takes_the_place_on_the_company_domain() {
    let body = json!({ "places": [
        place("ChIJnamesake", "https://acme-stamping-supply.net/", "+1 248-555-0111"),
        place("ChIJacme", "https://www.acme-stamping.com/contact?utm_source=gmb", "+1 313-555-0100"),
    ] });
    let f = ask("google_places", Kind::Firmographic, ok(body))
        .await
        .unwrap();
    let firm = f.firmographics.clone().unwrap();
    assert_eq!(firm.phone.as_deref(), Some("+1 313-555-0100"));
    assert_eq!(firm.city.as_deref(), Some("Detroit"));
    assert_eq!(firm.state.as_deref(), Some("MI"));
    assert_eq!(firm.country.as_deref(), Some("US"));
    assert!(
        f.source_url
            .as_deref()
            .unwrap()
            .ends_with("/v1/places/ChIJacme")
    );
    assert_no_secret_in_findings("google_places", &f);
}

#[tokio::test]
async fn places_without_a_matching_website_is_not_found() {
    let body = json!({ "places": [
        place("ChIJnamesake", "https://acme-stamping-supply.net/", "+1 248-555-0111"),
        json!({ "id": "ChIJnoweb", "displayName": { "text": "Acme Stamping" } }),
    ] });
    let err = ask("google_places", Kind::Firmographic, ok(body))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::NotFound);
    // An empty search answers `{}`.
    let err = ask("google_places", Kind::Firmographic, ok(json!({})))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::NotFound);
}
