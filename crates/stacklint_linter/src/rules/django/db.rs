//! Shared by DJS001/DJS002: the default database's engine, `CONN_MAX_AGE`,
//! `CONN_HEALTH_CHECKS` and pool, as the settings give them with the environment unset, and
//! the edits that set them.

use stacklint_diagnostics::Edit;
use stacklint_python::{Binding, BindingKind, Outcome, Resolution, Value, truthy};

use super::common::{Module, entry_edits, insert_after_statement, replace_value, sibling_target};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Postgres,
    MySql,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::MySql => "MySQL",
        }
    }
}

/// `CONN_MAX_AGE` as Django reads it: 0 closes after each request, `None` never closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Age {
    Zero,
    Seconds(i64),
    Unlimited,
}

pub(crate) struct Db<'a> {
    pub engine: Option<Engine>,
    /// Whether a known engine is something else (SQLite, Oracle ...).
    pub other_engine: bool,
    pub age: Resolution<'a>,
    /// The ages of every outcome; `None` when one is opaque.
    pub ages: Option<Vec<Age>>,
    pub health: Resolution<'a>,
    /// `OPTIONS["pool"]` truthy in the last outcome.
    pub pool: bool,
}

fn classify(engine: &str) -> Option<Engine> {
    let e = engine.to_ascii_lowercase();
    if e.contains("postgres") || e.contains("postgis") || e.contains("psycopg") || e.contains("cockroach") || e.contains("timescale") {
        Some(Engine::Postgres)
    } else if e.contains("mysql") || e.contains("mariadb") {
        Some(Engine::MySql)
    } else {
        None
    }
}

pub(crate) fn analyse<'a>(m: &Module<'a>) -> Option<Db<'a>> {
    let s = m.settings;
    let engines = s.resolve(&["DATABASES", "default", "ENGINE"]);
    if engines.is_unbound() {
        return None;
    }
    let (mut engine, mut other_engine) = (None, false);
    for o in &engines.outcomes {
        let v = match o {
            Outcome::Value { expr, .. } => expr.unset_value(),
            Outcome::Derived { value, .. } => Some(value.clone()),
            _ => None,
        };
        if let Some(Value::Str(e)) = v {
            match classify(&e) {
                Some(k) => engine = engine.or(Some(k)),
                None => other_engine = true,
            }
        }
    }
    let age = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let ages = age
        .outcomes
        .iter()
        .map(|o| {
            let v = match o {
                Outcome::Value { expr, .. } => expr.unset_value()?,
                Outcome::Missing { implied, .. } => implied.clone().unwrap_or(Value::Int(0)),
                _ => return None,
            };
            match v {
                Value::Int(0) => Some(Age::Zero),
                Value::Int(n) if n > 0 => Some(Age::Seconds(n)),
                Value::None => Some(Age::Unlimited),
                _ => None,
            }
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty());
    let health = s.resolve(&["DATABASES", "default", "CONN_HEALTH_CHECKS"]);
    let pool = matches!(s.resolve(&["DATABASES", "default", "OPTIONS", "pool"]).last(), Some(Outcome::Value { expr, .. }) if expr.unset_value().as_ref().and_then(truthy) == Some(true));
    Some(Db { engine, other_engine, age, ages, health, pool })
}

impl Db<'_> {
    /// The binding that decides `CONN_MAX_AGE` when it is a top-level subscript statement
    /// (`DATABASES["default"]["CONN_MAX_AGE"] = 0`): new statements go right after it.
    pub fn subscript_statement(&self) -> Option<&Binding> {
        match self.age.last()? {
            Outcome::Value { binding, .. } if binding.kind == BindingKind::SubscriptAssign && binding.keys.len() == 2 && !binding.is_conditional() => Some(binding),
            _ => None,
        }
    }

    /// Whether every `CONN_HEALTH_CHECKS` outcome is `True`.
    pub fn health_checks_on(&self) -> bool {
        !self.health.outcomes.is_empty()
            && self.health.outcomes.iter().all(|o| matches!(o, Outcome::Value { expr, .. } if expr.unset_value() == Some(Value::Bool(true))))
    }

    /// Edits that set `key` (`CONN_MAX_AGE`, `CONN_HEALTH_CHECKS`) to `value` (Python text
    /// `literal`, dj-database-url keyword `kwarg`): after the subscript statement that
    /// decides `CONN_MAX_AGE`, in place of a literal, or as a new dict entry / keyword.
    pub fn set(&self, m: &Module<'_>, res: &Resolution<'_>, key: &str, value: &Value, literal: &str) -> Option<Vec<Edit>> {
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

    /// Both `CONN_MAX_AGE` and `CONN_HEALTH_CHECKS` missing from one dict or call: one edit
    /// that adds both (two insertions at one place would overlap).
    pub fn add_both(&self, m: &Module<'_>, age: &str, health: &str) -> Option<Vec<Edit>> {
        let _ = m;
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
