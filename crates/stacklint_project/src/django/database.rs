//! The default database of a settings module as Django will run it: the engine,
//! `CONN_MAX_AGE`, `CONN_HEALTH_CHECKS` and `OPTIONS["pool"]`, each with the environment
//! unset (an `env(...)` lookup counts as its default).
//!
//! ```
//! use stacklint_project::{Project, ProjectOptions};
//! use stacklint_project::django::{Age, Engine};
//!
//! let settings = "INSTALLED_APPS = []\nDATABASES = {\"default\": {\"ENGINE\": \"django.db.backends.postgresql\", \"CONN_MAX_AGE\": 600}}\n";
//! let project = Project::from_sources(ProjectOptions::default(), &[("settings.py", settings)]);
//! let db = project.django[0].database().unwrap();
//! assert_eq!((db.engine, db.ages.as_deref()), (Some(Engine::Postgres), Some(&[Age::Seconds(600)][..])));
//! assert!(!db.health_checks_on() && !db.pool);
//! ```

use stacklint_python::{Binding, BindingKind, Outcome, Resolution, Value, truthy};

use super::SettingsModule;

/// A database server Django's connection settings matter for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
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

    /// The server an `ENGINE` path talks to (PostGIS, psycopg, CockroachDB and TimescaleDB
    /// backends are PostgreSQL; MariaDB is MySQL); `None` for anything else.
    pub fn classify(engine: &str) -> Option<Engine> {
        let e = engine.to_ascii_lowercase();
        if e.contains("postgres") || e.contains("postgis") || e.contains("psycopg") || e.contains("cockroach") || e.contains("timescale") {
            Some(Engine::Postgres)
        } else if e.contains("mysql") || e.contains("mariadb") {
            Some(Engine::MySql)
        } else {
            None
        }
    }
}

/// `CONN_MAX_AGE` as Django reads it: 0 closes after each request, `None` never closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Age {
    Zero,
    Seconds(i64),
    Unlimited,
}

/// `DATABASES["default"]` of a settings module.
pub struct Database<'a> {
    /// The first PostgreSQL or MySQL engine among the possible values.
    pub engine: Option<Engine>,
    /// Whether a known engine is something else (SQLite, Oracle ...).
    pub other_engine: bool,
    /// Every way `CONN_MAX_AGE` may be set (or missing, with the dict or call it would go in).
    pub age: Resolution<'a>,
    /// The ages of every outcome (a missing key is 0, dj-database-url's `conn_max_age`
    /// default too); `None` when one is not known.
    pub ages: Option<Vec<Age>>,
    pub health: Resolution<'a>,
    /// `OPTIONS["pool"]` truthy in the last outcome.
    pub pool: bool,
}

impl SettingsModule {
    /// The default database; `None` when the module does not bind `DATABASES["default"]["ENGINE"]`.
    pub fn database(&self) -> Option<Database<'_>> {
        let s = &self.settings;
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
                match Engine::classify(&e) {
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
        Some(Database { engine, other_engine, age, ages, health, pool })
    }
}

impl Database<'_> {
    /// The binding that decides `CONN_MAX_AGE` when it is a top-level subscript statement
    /// (`DATABASES["default"]["CONN_MAX_AGE"] = 0`).
    pub fn subscript_statement(&self) -> Option<&Binding> {
        match self.age.last()? {
            Outcome::Value { binding, .. } if binding.kind == BindingKind::SubscriptAssign && binding.keys.len() == 2 && !binding.is_conditional() => Some(binding),
            _ => None,
        }
    }

    /// Whether every `CONN_HEALTH_CHECKS` outcome is `True`.
    pub fn health_checks_on(&self) -> bool {
        !self.health.outcomes.is_empty() && self.health.outcomes.iter().all(|o| matches!(o, Outcome::Value { expr, .. } if expr.unset_value() == Some(Value::Bool(true))))
    }
}
