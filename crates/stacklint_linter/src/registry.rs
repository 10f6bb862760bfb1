//! The one table of rules.

use std::sync::LazyLock;

use crate::rule::Rule;
use crate::rules;

/// Every rule stacklint has: each family lists its own rules in `rules/<family>/mod.rs`.
pub static RULES: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    let mut all: Vec<&'static Rule> = [rules::syntax::RULES, rules::gunicorn::RULES, rules::django::RULES, rules::docker::RULES, rules::nginx::RULES, rules::orm::RULES, rules::compose::RULES, rules::postgres::RULES, rules::redis::RULES].concat();
    all.sort_by_key(|r| r.code);
    all
});

pub fn rule_by_code(code: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.code.eq_ignore_ascii_case(code))
}

pub fn rule_by_code_or_name(s: &str) -> Option<&'static Rule> {
    rule_by_code(s).or_else(|| RULES.iter().copied().find(|r| r.name == s))
}

/// The rules a selector names: `ALL`, a code, a name, or a code prefix (`GUN`, `NGX0`).
/// A selector that names no rule (`GUN999`, or a prefix no rule has) is an error, so a
/// typo never silently selects nothing. On failure, the closest code or name as a suggestion.
pub fn select_rules(selector: &str) -> Result<Vec<&'static Rule>, Option<&'static str>> {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("ALL") {
        return Ok(RULES.clone());
    }
    if let Some(r) = rule_by_code_or_name(s) {
        return Ok(vec![r]);
    }
    let upper = s.to_ascii_uppercase();
    let by_prefix: Vec<&'static Rule> = RULES.iter().copied().filter(|r| !upper.is_empty() && r.code.starts_with(&upper)).collect();
    if !by_prefix.is_empty() {
        return Ok(by_prefix);
    }
    Err(closest(s))
}

fn closest(s: &str) -> Option<&'static str> {
    stacklint_text::closest(s, RULES.iter().flat_map(|r| [r.code, r.name]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(r.code.len() == 6 && r.code[3..].chars().all(|c| c.is_ascii_digit()), "{r:?}");
            assert!(r.code.starts_with(r.family.prefix()), "{r:?}");
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{r:?}");
            for other in &RULES[i + 1..] {
                assert_ne!(r.code, other.code);
                assert_ne!(r.name, other.name);
            }
            for section in ["## What it does", "## Why is this bad?"] {
                assert!(r.documentation().contains(section), "{} lacks {section}", r.code);
            }
        }
    }

    #[test]
    fn selectors() {
        assert_eq!(select_rules("SYN001").unwrap().len(), 1);
        assert_eq!(select_rules("parse-error").unwrap()[0].code, "SYN001");
        assert!(select_rules("SYN").unwrap().len() >= 2);
        assert_eq!(select_rules("parse-eror").err(), Some(Some("parse-error")));
        // A code or prefix that matches no rule selects nothing: an error, never silence.
        assert!(select_rules("GUN999").is_err());
        assert!(select_rules("GUN9").is_err());
        assert!(select_rules("").is_err());
    }
}
