use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_project::django::{Age, Database, Engine};
use stacklint_python::{Outcome, Value};

use super::common::{Module, asgi_server, checked, django_version, entry_edits, insert_after_statement, outcome_location, replace_value, sibling_target};
use super::db::DatabaseEdits;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a PostgreSQL or MySQL default database whose connections are not reused:
    /// `CONN_MAX_AGE` is 0 or missing (also dj-database-url's `conn_max_age` default of 0)
    /// and no connection pool is configured. Under ASGI it also reports persistent
    /// connections without a pool, and everywhere a pool combined with a non-zero
    /// `CONN_MAX_AGE`.
    ///
    /// ## Why is this bad?
    /// Django then opens a new database connection for every request: TCP handshake,
    /// authentication and often TLS. Measured on loopback without TLS or password: about
    /// 5 ms of latency and 8 ms of CPU per connection, and 8–10× fewer requests per second
    /// on a trivial query. Under WSGI the fix is Django's persistent connections:
    /// `CONN_MAX_AGE = 600` with `CONN_HEALTH_CHECKS = True` (safe). Under ASGI (the app is
    /// served by uvicorn, daphne or gunicorn's ASGI worker) Django's docs say to disable
    /// persistent connections, which leak across the threads async code runs in; the fix
    /// there is Django 5.1's pool, `"OPTIONS": {"pool": True}` with `CONN_MAX_AGE = 0`
    /// (unsafe: it needs `psycopg[pool]`). A pool with a non-zero `CONN_MAX_AGE` raises
    /// `ImproperlyConfigured`. When the Django version is unknown (not pinned in requirements,
    /// not declared in `[versions]`), the pool fix assumes the newest release and says so.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// DATABASES = {
    ///     "default": {
    ///         "ENGINE": "django.db.backends.postgresql",
    ///         "NAME": "app",
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// DATABASES = {
    ///     "default": {
    ///         "ENGINE": "django.db.backends.postgresql",
    ///         "NAME": "app",
    ///         "CONN_MAX_AGE": 600,
    ///         "CONN_HEALTH_CHECKS": True,
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Django: persistent connections](https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections)
    /// - [Django: connection pool](https://docs.djangoproject.com/en/5.2/ref/databases/#connection-pool)
    /// - [dj-database-url: conn_max_age](https://github.com/jazzband/dj-database-url#url-schema)
    pub static RULE = {
        code: "DJS001",
        name: "database-connections-not-reused",
        family: Family::DjangoSettings,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
        check: check,
    }
}

const COST: &str = "each costs a TCP handshake, authentication and often TLS: measured on loopback without TLS or password, ~5 ms latency and ~8 ms CPU per connection, 8–10× fewer requests/s on a trivial query";

/// "`CONN_MAX_AGE` is `0`", "... defaults to `0` when ...", "is not set (Django's default is 0)".
fn describe(o: &Outcome<'_>) -> String {
    match o {
        Outcome::Value { expr, .. } => match (expr.env(), expr.unset_value()) {
            (Some(env), Some(v)) => format!("`CONN_MAX_AGE` defaults to `{v}` when the `{}` variable is unset", env.var.as_deref().unwrap_or("environment")),
            (_, Some(v)) => format!("`CONN_MAX_AGE` is `{v}`"),
            _ => "`CONN_MAX_AGE` is set".to_owned(),
        },
        Outcome::Missing { kwarg: Some(k), container, .. } => {
            let func = match &container.value {
                Value::UrlConfig(u) => u.call.func.clone(),
                _ => "the call".to_owned(),
            };
            format!("`{func}()` has no `{k}`, so `CONN_MAX_AGE` is 0")
        }
        _ => "`CONN_MAX_AGE` is not set (Django's default is 0)".to_owned(),
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let (version, assumed) = django_version(project);
    let note = assumed.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
    for m in checked(project) {
        let Some(db) = m.evaluated.database() else { continue };
        let (Some(engine), false) = (db.engine, db.other_engine) else { continue };
        let Some(ages) = db.ages.clone() else { continue };
        let Some(last) = db.age.last() else { continue };
        let (file, range) = outcome_location(last);
        let what = describe(last);
        let all_zero = ages.iter().all(|a| *a == Age::Zero);
        let none_zero = ages.iter().all(|a| *a != Age::Zero);
        if db.pool {
            if none_zero {
                let mut d = cx.diagnostic(&file, range, format!("{what} while `OPTIONS[\"pool\"]` enables Django's connection pool: Django raises `ImproperlyConfigured` (\"Pooling doesn't support persistent connections\"); set `CONN_MAX_AGE = 0`"));
                if let Some(edits) = db.set(&m, &db.age, "CONN_MAX_AGE", &Value::Int(0), "0") {
                    d = d.with_fix(Fix::safe("Set `CONN_MAX_AGE` to 0 (the pool reuses connections)", edits));
                }
                cx.report(d);
            }
            continue;
        }
        let asgi = asgi_server(&m);
        let pool_ok = engine == Engine::Postgres && version.at_least(&[5, 1]);
        let pool_advice = if pool_ok {
            "use Django's pool: `\"OPTIONS\": {\"pool\": True}` with `CONN_MAX_AGE = 0` and the `psycopg[pool]` package".to_owned()
        } else if engine == Engine::Postgres {
            format!("Django {version} has no pool (added in 5.1): upgrade, or put PgBouncer in front")
        } else {
            "Django's pool supports PostgreSQL only: put a proxy pool (ProxySQL) in front".to_owned()
        };
        match (asgi, all_zero, none_zero) {
            (None, true, _) => {
                let message = format!("{what}: Django opens a new {} connection for every request, and {COST}; under WSGI set `CONN_MAX_AGE = 600` and `CONN_HEALTH_CHECKS = True`", engine.name());
                let mut d = cx.diagnostic(&file, range, message);
                if let Some(edits) = wsgi_fix(&m, &db, version.at_least(&[4, 1])) {
                    d = d.with_fix(Fix::safe("Keep connections for 600 s with health checks", edits));
                }
                cx.report(d);
            }
            (Some(why), true, _) => {
                let message = format!("{what}: Django opens a new {} connection for every request, and {COST}; the app is served by ASGI ({why}), where persistent connections must stay off, so {pool_advice}{note}", engine.name());
                let mut d = cx.diagnostic(&file, range, message);
                if pool_ok && let Some(edits) = pool_fix(&m, &db) {
                    d = d.with_fix(Fix::unsafe_(format!("Enable Django's connection pool (needs `psycopg[pool]`){}", assumes(assumed.as_deref(), &version)), edits));
                }
                cx.report(d);
            }
            (Some(why), false, true) => {
                let message = format!("{what} under ASGI ({why}): Django's docs say to disable persistent connections there, since each async request may run in a new thread and leave its connection open; {pool_advice}{note}");
                let mut d = cx.diagnostic(&file, range, message);
                if pool_ok && let Some(edits) = pool_fix(&m, &db) {
                    d = d.with_fix(Fix::unsafe_(format!("Enable Django's connection pool (needs `psycopg[pool]`) and set `CONN_MAX_AGE` to 0{}", assumes(assumed.as_deref(), &version)), edits));
                }
                cx.report(d);
            }
            _ => {}
        }
    }
}

/// When the pool fix rests on an assumed Django version (the pool needs 5.1), the title says so.
fn assumes(assumed: Option<&str>, version: &impl std::fmt::Display) -> String {
    if assumed.is_some() { format!("; assumes Django {version} (the version is unknown: pin `Django` in requirements or declare `[versions]`), and the pool needs 5.1") } else { String::new() }
}

fn wsgi_fix(m: &Module<'_>, db: &Database<'_>, health: bool) -> Option<Vec<Edit>> {
    let health = health && !db.health_checks_on();
    if health && let Some(both) = db.add_both("600", "True") {
        return Some(both);
    }
    let mut edits = db.set(m, &db.age, "CONN_MAX_AGE", &Value::Int(600), "600")?;
    if health {
        edits.extend(db.set(m, &db.health, "CONN_HEALTH_CHECKS", &Value::Bool(true), "True")?);
    }
    Some(edits)
}

/// `"OPTIONS": {"pool": True}` in the default database (and `CONN_MAX_AGE` back to 0).
fn pool_fix(m: &Module<'_>, db: &Database<'_>) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    let zero_age = |edits: &mut Vec<Edit>| -> Option<()> {
        if let Some(Outcome::Value { expr, .. }) = db.age.last()
            && expr.unset_value() != Some(Value::Int(0))
        {
            edits.extend(replace_value(m.project, expr, &Value::Int(0), "0")?);
        }
        Some(())
    };
    if let Some(stmt) = db.subscript_statement() {
        let options = sibling_target(m.project, stmt, Some("OPTIONS"))?;
        let parent = sibling_target(m.project, stmt, None)?;
        let q = options.chars().rev().nth(1).filter(|c| *c == '\'' || *c == '"').unwrap_or('"');
        zero_age(&mut edits)?;
        edits.push(insert_after_statement(m.project, stmt, &format!("{options} = {{**{parent}.get({q}OPTIONS{q}, {{}}), {q}pool{q}: True}}"))?);
        return Some(edits);
    }
    if db.age.outcomes.len() != 1 {
        return None;
    }
    let options = m.settings.resolve(&["DATABASES", "default", "OPTIONS"]);
    if options.outcomes.len() != 1 {
        return None;
    }
    match options.last()? {
        Outcome::Value { expr, binding } if !binding.is_conditional() => {
            let Value::Dict(dict) = &expr.value else { return None };
            if dict.entries.iter().any(|e| e.key.as_ref().and_then(|k| k.as_str()) == Some("pool")) {
                return None;
            }
            edits.extend(entry_edits(&expr.file, &dict.insert, &["\"pool\": True".to_owned()]));
        }
        Outcome::Missing { insert: Some(at), kwarg: None, binding, container, .. } if !binding.is_conditional() => {
            edits.extend(entry_edits(&container.file, at, &["\"OPTIONS\": {\"pool\": True}".to_owned()]));
        }
        _ => return None,
    }
    zero_age(&mut edits)?;
    Some(edits)
}
