//! The last line of defence for exported text: terminal escapes and control
//! characters are stripped from every cell of every format, and CSV cells a
//! spreadsheet would run as a formula are neutralized, without touching
//! phone numbers or plain numbers.
//!
//! The formula rule: a cell gets a leading `'` when it starts with `=`,
//! `@`, a tab or a carriage return, or with `+` or `-` that is not the sign
//! of a plain number. A plain number is a sign, digits, an optional
//! fraction and an optional exponent (`-3.5`, `+14125550100`, `-1e3`); a
//! `+` followed by digit groups separated by single spaces
//! (`+1 412 555 0100`, an international phone) is left alone too: digits
//! and spaces name no function, reference or command, so a spreadsheet can
//! at worst show an error, and the CRM gets the number as it is. Anything
//! else after the sign (`+cmd|' /C calc'!A0`, `-2+3`, `+A1`, `- 1`) is
//! neutralized.

use std::borrow::Cow;

use crate::normalize::text::{is_invisible_format, strip_escapes};

/// `s` without terminal escape sequences, control characters (tab, line
/// feed and carriage return are kept: they are text, and the formula rule
/// sees a leading tab or CR) or invisible bidi/zero-width characters.
pub fn clean_cell(s: &str) -> Cow<'_, str> {
    let dirty =
        |c: char| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || is_invisible_format(c);
    if !s.chars().any(dirty) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(strip_escapes(s).chars().filter(|c| !dirty(*c)).collect())
}

/// Whether a CSV cell would start a spreadsheet formula (see the module
/// documentation for the rule).
pub fn is_formula_like(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some(sign @ ('+' | '-')) => {
            let rest = chars.as_str();
            !(is_plain_number(rest) || (sign == '+' && is_spaced_digits(rest)))
        }
        _ => false,
    }
}

/// Prefixes `'` to a cell [`is_formula_like`] finds; everything else is
/// returned as it is.
pub fn neutralize_cell(value: &str) -> Cow<'_, str> {
    if is_formula_like(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Digits, an optional `.digits`, an optional exponent: `12`, `3.5`, `1e-3`.
fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    let mut i = 0;
    if !digits(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// Groups of digits separated by single spaces: `1 412 555 0100`.
fn is_spaced_digits(s: &str) -> bool {
    !s.is_empty()
        && s.split(' ')
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralized_and_numbers_are_not() {
        for f in [
            "=HYPERLINK(\"http://x\",\"click\")",
            "@SUM(A1)",
            "\tx",
            "\r=1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "+A1",
            "- 1",
            "-",
            "+",
            "+1  412",
            "-1 412",
            "+1.",
            "+.5",
        ] {
            assert!(is_formula_like(f), "{f:?}");
            assert_eq!(neutralize_cell(f), format!("'{f}"));
        }
        for n in [
            "+14125550100",
            "+1 412 555 0100",
            "-3.5",
            "+2",
            "-1e3",
            "1+1",
            "Acme",
            "",
            "(412) 555-0100",
            "412-555-0100",
        ] {
            assert!(!is_formula_like(n), "{n:?}");
            assert_eq!(neutralize_cell(n), n);
        }
    }

    #[test]
    fn escapes_and_controls_are_stripped_and_clean_text_is_borrowed() {
        assert_eq!(clean_cell("\u{1b}]0;pwned\u{7}Acme"), "Acme");
        assert_eq!(clean_cell("\u{1b}[31mRed\u{1b}[0m Co"), "Red Co");
        assert_eq!(clean_cell("a\u{0}b\u{7f}c\u{202e}d"), "abcd");
        assert_eq!(clean_cell("line\nnext\tx"), "line\nnext\tx");
        assert!(matches!(clean_cell("Acme Stamping"), Cow::Borrowed(_)));
    }

    proptest! {
        /// E.164 phones and plain signed numbers survive byte for byte.
        #[test]
        fn phones_and_numbers_survive(
            phone in "\\+[1-9][0-9]{6,14}",
            spaced in "\\+[1-9][0-9]{0,2}( [0-9]{2,4}){2,4}",
            number in "[+-][0-9]{1,9}(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?",
        ) {
            for v in [&phone, &spaced, &number] {
                prop_assert_eq!(neutralize_cell(v), v.as_str());
                prop_assert_eq!(clean_cell(v), v.as_str());
            }
        }

        /// A sign followed by anything that is not a plain number or a
        /// spaced phone is neutralized, as is every `=`/`@`/tab/CR start.
        #[test]
        fn formula_text_is_neutralized(
            sign in "[+-]",
            body in "[0-9]{0,3}[A-DF-Za-df-z|!(+*/^&=-][ -~]{0,20}",
            lead in "[=@\t\r]",
            tail in "[ -~]{0,20}",
        ) {
            let signed = format!("{sign}{body}");
            prop_assert_eq!(neutralize_cell(&signed), format!("'{signed}"));
            let led = format!("{lead}{tail}");
            prop_assert_eq!(neutralize_cell(&led), format!("'{led}"));
        }

        /// Neutralizing never loses the value: the cell is the original or
        /// `'` plus the original.
        #[test]
        fn neutralizing_only_prefixes(s in "\\PC{0,30}") {
            let n = neutralize_cell(&s);
            let quoted = format!("'{}", s);
            prop_assert!(n == s.as_str() || n == quoted);
        }
    }
}
