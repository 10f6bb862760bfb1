//! A rule's documentation as markdown (`stacklint rule`, the generated `rules/` folder) and JSON.

use std::fmt::Write;

use stacklint_linter::{RULES, Rule};

/// The page of one rule: title, metadata, then its doc comment ([`Rule::markdown`]).
pub fn rule_markdown(rule: &Rule) -> String {
    rule.markdown()
}

/// The table of every rule.
pub fn rules_index_markdown() -> String {
    let mut out = String::from("# Rules\n\n| code | name | scope | fix | what it finds |\n|---|---|---|---|---|\n");
    for r in RULES.iter() {
        let _ = writeln!(out, "| {} | [{}]({}.md) | {} | {} | {} |", r.code, r.name, r.code, r.scope.as_str(), r.fix.as_str(), r.summary().replace('|', "\\|"));
    }
    out
}

pub(crate) fn rule_json(rule: &Rule) -> serde_json::Value {
    serde_json::json!({
        "code": rule.code,
        "name": rule.name,
        "family": rule.family.title(),
        "scope": rule.scope.as_str(),
        "severity": rule.severity.as_str(),
        "fix": rule.fix.as_str(),
        "summary": rule.summary(),
        "documentation": rule.documentation(),
    })
}
