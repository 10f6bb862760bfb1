//! Shared by DJS001/DJS002: the edits that set the default database's `CONN_MAX_AGE` and
//! `CONN_HEALTH_CHECKS` (the analysis is the model's [`Database`]).

use stacklint_diagnostics::Edit;
use stacklint_project::django::Database;
use stacklint_python::{Outcome, Resolution, Value};

use super::common::{Module, entry_edits, insert_after_statement, replace_value, sibling_target};

pub(crate) trait DatabaseEdits {
    /// Edits that set `key` (`CONN_MAX_AGE`, `CONN_HEALTH_CHECKS`) to `value` (Python text
    /// `literal`, dj-database-url keyword `kwarg`): after the subscript statement that
    /// decides `CONN_MAX_AGE`, in place of a literal, or as a new dict entry / keyword.
    fn set(&self, m: &Module<'_>, res: &Resolution<'_>, key: &str, value: &Value, literal: &str) -> Option<Vec<Edit>>;

    /// Both `CONN_MAX_AGE` and `CONN_HEALTH_CHECKS` missing from one dict or call: one edit
    /// that adds both (two insertions at one place would overlap).
    fn add_both(&self, age: &str, health: &str) -> Option<Vec<Edit>>;
}

impl DatabaseEdits for Database<'_> {
    fn set(&self, m: &Module<'_>, res: &Resolution<'_>, key: &str, value: &Value, literal: &str) -> Option<Vec<Edit>> {
        if let Some(stmt) = self.subscript_statement() {
            if key == "CONN_MAX_AGE" {
                let Some(Outcome::Value { expr, .. }) = self.age.last() else { return None };
                return replace_value(m.project, expr, value, literal);
            }
            let target = sibling_target(m.project, stmt, Some(key))?;
            return insert_after_statement(m.project, stmt, &format!("{target} = {literal}")).map(|e| vec![e]);
        }
        if res.outcomes.len() != 1 {
            return None;
        }
        match res.last()? {
            Outcome::Value { expr, binding } if !binding.is_conditional() => replace_value(m.project, expr, value, literal),
            Outcome::Missing { insert: Some(at), kwarg, binding, container, .. } if !binding.is_conditional() => {
                let entry = match kwarg {
                    Some(k) => format!("{k}={literal}"),
                    None => format!("\"{key}\": {literal}"),
                };
                Some(entry_edits(&container.file, at, &[entry]))
            }
            _ => None,
        }
    }

    fn add_both(&self, age: &str, health: &str) -> Option<Vec<Edit>> {
        if self.age.outcomes.len() != 1 || self.health.outcomes.len() != 1 {
            return None;
        }
        let (Some(Outcome::Missing { insert: Some(at), kwarg, binding, container, .. }), Some(Outcome::Missing { insert: Some(at2), .. })) = (self.age.last(), self.health.last()) else {
            return None;
        };
        if at != at2 || binding.is_conditional() {
            return None;
        }
        let entries = match kwarg {
            Some(k) => vec![format!("{k}={age}"), format!("conn_health_checks={health}")],
            None => vec![format!("\"CONN_MAX_AGE\": {age}"), format!("\"CONN_HEALTH_CHECKS\": {health}")],
        };
        Some(entry_edits(&container.file, at, &entries))
    }
}
