//! `--filter EXPR`: `field op value`, several combined with AND.
//!
//! | field | ops | value |
//! |---|---|---|
//! | `association` | `=` `!=` | an association code (`PMA`) |
//! | `grade` | `=` `!=` `>=` `<=` `>` `<` | `A`..`F`; A is best, so `grade>=B` is A or B |
//! | `state` | `=` `!=` | a state or province code (`OH`), any case |
//! | `technology` | `=` `!=` | a vendor or product of a competitor signal, any case |
//! | `has-contacts` | alone, `=` `!=` | `true` or `false` |
//!
//! `grade!=A` keeps ungraded companies; the orderings do not.

use anyhow::{Result, bail};

use crate::quality::Grade;
use crate::store::ExportFilter;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

const FIELDS: &str = "association, grade, state, technology, has-contacts";

/// Splits `field op value`; the longest operator at the first operator
/// character wins (`>=` before `>`).
fn split(expr: &str) -> Option<(&str, Op, &str)> {
    let at = expr.find(['=', '!', '<', '>'])?;
    let (field, rest) = expr.split_at(at);
    let (op, value) = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("!=", Op::Ne),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ]
    .into_iter()
    .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (op, v)))?;
    Some((field.trim(), op, value.trim()))
}

/// Parses every `--filter` expression into one filter (AND of all).
pub fn parse_filters(exprs: &[String]) -> Result<ExportFilter> {
    let mut f = ExportFilter::default();
    for e in exprs {
        apply(&mut f, e)?;
    }
    Ok(f)
}

fn apply(f: &mut ExportFilter, expr: &str) -> Result<()> {
    let bad = |why: String| anyhow::anyhow!("bad --filter {expr:?}: {why}");
    let trimmed = expr.trim();
    if trimmed.eq_ignore_ascii_case("has-contacts") {
        return set_contacts(f, true, expr);
    }
    let Some((field, op, value)) = split(trimmed) else {
        return Err(bad(format!(
            "expected FIELD OP VALUE (e.g. grade>=B, association=PMA) with FIELD one of {FIELDS}"
        )));
    };
    if value.is_empty() {
        return Err(bad(format!("no value after the operator for {field:?}")));
    }
    let equality = |what: &str| -> Result<bool> {
        match op {
            Op::Eq => Ok(true),
            Op::Ne => Ok(false),
            _ => Err(bad(format!("{what} takes = or != only"))),
        }
    };
    match field.to_ascii_lowercase().as_str() {
        "association" => {
            let code = value.to_uppercase();
            if equality("association")? {
                f.associations.push(code);
            } else {
                f.not_associations.push(code);
            }
        }
        "state" => {
            let state = value.to_uppercase();
            if equality("state")? {
                let keep: Vec<String> = match &f.states {
                    // state=OH and state=PA: no company is in both.
                    Some(s) => s.iter().filter(|x| **x == state).cloned().collect(),
                    None => vec![state],
                };
                f.states = Some(keep);
            } else {
                f.not_states.push(state);
            }
        }
        "technology" => {
            if equality("technology")? {
                f.technologies.push(value.to_owned());
            } else {
                f.not_technologies.push(value.to_owned());
            }
        }
        "has-contacts" => {
            let want = match value.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return Err(bad(format!("has-contacts is true or false, not {value:?}"))),
            };
            let want = if equality("has-contacts")? {
                want
            } else {
                !want
            };
            set_contacts(f, want, expr)?;
        }
        "grade" => {
            let Some(g) = Grade::ALL
                .into_iter()
                .find(|g| g.as_str().eq_ignore_ascii_case(value))
            else {
                return Err(bad(format!(
                    "grade is one of A, B, C, D, F (A is best), not {value:?}"
                )));
            };
            // Grades compare by quality: A > B, and Grade orders A first.
            let pass = |x: Grade| match op {
                Op::Eq => x == g,
                Op::Ne => x != g,
                Op::Ge => x <= g,
                Op::Le => x >= g,
                Op::Gt => x < g,
                Op::Lt => x > g,
            };
            let mut allowed: Vec<String> = Grade::ALL
                .into_iter()
                .filter(|x| pass(*x))
                .map(|x| x.as_str().to_owned())
                .collect();
            if op == Op::Ne {
                allowed.push(String::new());
            }
            f.grades = Some(match f.grades.take() {
                Some(prev) => prev.into_iter().filter(|x| allowed.contains(x)).collect(),
                None => allowed,
            });
        }
        other => {
            return Err(bad(format!("unknown field {other:?}; known: {FIELDS}")));
        }
    }
    Ok(())
}

fn set_contacts(f: &mut ExportFilter, want: bool, expr: &str) -> Result<()> {
    if f.has_contacts.is_some_and(|w| w != want) {
        bail!("bad --filter {expr:?}: contradicts an earlier has-contacts filter");
    }
    f.has_contacts = Some(want);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(exprs: &[&str]) -> Result<ExportFilter> {
        parse_filters(&exprs.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn each_field_parses() {
        let f = parse(&["grade>=B"]).unwrap();
        assert_eq!(f.grades, Some(vec!["A".into(), "B".into()]));
        assert_eq!(
            parse(&["grade<C"]).unwrap().grades,
            Some(vec!["D".into(), "F".into()])
        );
        assert_eq!(
            parse(&["grade != a"]).unwrap().grades,
            Some(vec![
                "B".into(),
                "C".into(),
                "D".into(),
                "F".into(),
                String::new()
            ])
        );
        assert_eq!(parse(&["association=pma"]).unwrap().associations, ["PMA"]);
        assert_eq!(
            parse(&["association!=NEMA"]).unwrap().not_associations,
            ["NEMA"]
        );
        assert_eq!(
            parse(&["state=oh"]).unwrap().states,
            Some(vec!["OH".into()])
        );
        assert_eq!(
            parse(&["technology=Epicor"]).unwrap().technologies,
            ["Epicor"]
        );
        assert_eq!(parse(&["has-contacts"]).unwrap().has_contacts, Some(true));
        assert_eq!(
            parse(&["has-contacts=false"]).unwrap().has_contacts,
            Some(false)
        );
        assert_eq!(
            parse(&["has-contacts!=true"]).unwrap().has_contacts,
            Some(false)
        );
    }

    #[test]
    fn filters_combine_with_and() {
        let f = parse(&["grade>=C", "grade<=B", "association=PMA", "state=OH"]).unwrap();
        assert_eq!(f.grades, Some(vec!["B".into(), "C".into()]));
        assert_eq!(f.associations, ["PMA"]);
        let none = parse(&["state=OH", "state=PA"]).unwrap();
        assert_eq!(none.states, Some(vec![]));
    }

    #[test]
    fn bad_expressions_name_the_expression_and_what_was_expected() {
        for (expr, want) in [
            ("grade", "expected FIELD OP VALUE"),
            ("grade>=Z", "grade is one of A, B, C, D, F"),
            ("colour=red", "unknown field \"colour\""),
            ("state>=OH", "state takes = or != only"),
            ("association=", "no value after the operator"),
            ("has-contacts=maybe", "has-contacts is true or false"),
        ] {
            let err = parse(&[expr]).unwrap_err().to_string();
            assert!(err.contains(&format!("{expr:?}")), "{err}");
            assert!(err.contains(want), "{err}");
        }
        let err = parse(&["has-contacts", "has-contacts=false"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("contradicts"), "{err}");
    }
}
