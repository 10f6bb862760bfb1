use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::django::Age;
use stacklint_python::{Outcome, Value};

use super::common::{asgi_server, checked, django_version, outcome_location};
use super::db::DatabaseEdits;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports persistent database connections (`CONN_MAX_AGE` above 0, or `None`) without
    /// `CONN_HEALTH_CHECKS = True` (Django 4.1 and later). Apps served by ASGI are left to
    /// `database-connections-not-reused`, which advises against persistent connections there.
    ///
    /// ## Why is this bad?
    /// A connection the database, a proxy or a firewall dropped while idle stays in the
    /// worker; the next request that uses it fails with `OperationalError` ("server closed
    /// the connection unexpectedly"). With health checks Django pings a reused connection
    /// before the request and reconnects if it is dead.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// DATABASES = {
    ///     "default": {
    ///         "ENGINE": "django.db.backends.postgresql",
    ///         "CONN_MAX_AGE": 600,
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// DATABASES = {
    ///     "default": {
    ///         "ENGINE": "django.db.backends.postgresql",
    ///         "CONN_MAX_AGE": 600,
    ///         "CONN_HEALTH_CHECKS": True,
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Django: CONN_HEALTH_CHECKS](https://docs.djangoproject.com/en/5.2/ref/settings/#conn-health-checks)
    pub static RULE = {
        code: "DJS002",
        name: "persistent-connections-without-health-checks",
        family: Family::DjangoSettings,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let (version, assumed) = django_version(project);
    if !version.at_least(&[4, 1]) {
        return;
    }
    let note = assumed.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
    for m in checked(project) {
        let Some(db) = m.evaluated.database() else { continue };
        if db.other_engine && db.engine.is_none() || db.pool {
            continue;
        }
        let Some(ages) = &db.ages else { continue };
        if ages.contains(&Age::Zero) || asgi_server(&m).is_some() {
            continue;
        }
        // Every outcome must lack health checks (missing or false).
        let unhealthy = !db.health.outcomes.is_empty()
            && db.health.outcomes.iter().all(|o| match o {
                Outcome::Missing { .. } => true,
                Outcome::Value { expr, .. } => expr.unset_value().is_some_and(|v| stacklint_python::truthy(&v) == Some(false)),
                _ => false,
            });
        if !unhealthy {
            continue;
        }
        let Some(last) = db.age.last() else { continue };
        let (file, range) = outcome_location(last);
        let age = match ages.last() {
            Some(Age::Seconds(n)) => format!("`CONN_MAX_AGE = {n}` keeps connections open for up to {n} s"),
            _ => "`CONN_MAX_AGE = None` keeps connections open forever".to_owned(),
        };
        let message = format!("{age} without `CONN_HEALTH_CHECKS = True`: a connection dropped while idle (database restart, proxy or firewall timeout) fails the next request with `OperationalError`; health checks ping a reused connection first{note}");
        let mut d = cx.diagnostic(&file, range, message);
        if let Some(edits) = db.set(&m, &db.health, "CONN_HEALTH_CHECKS", &Value::Bool(true), "True") {
            d = d.with_fix(Fix::safe("Set `CONN_HEALTH_CHECKS = True`", edits));
        }
        cx.report(d);
    }
}
