use stacklint_diagnostics::Severity;
use stacklint_python::{Outcome, Value};

use super::common::{outcome_location, production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings whose default cache is per process: no `CACHES` at all
    /// (Django then uses `LocMemCache`), or a `LocMemCache` / `DummyCache` backend.
    ///
    /// ## Why is this bad?
    /// Every gunicorn worker has its own local-memory cache: N workers hold N copies, a
    /// value cached by one worker is a miss in the others, `cache.delete()` only clears one
    /// of them, and rate limits or locks kept in the cache do not hold across workers.
    /// `DummyCache` caches nothing. Use a shared cache (Redis, Memcached).
    ///
    /// ## Example
    /// ```python path=settings.py
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django.core.cache.backends.redis.RedisCache",
    ///         "LOCATION": "redis://redis:6379/1",
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Django: local-memory caching](https://docs.djangoproject.com/en/5.2/topics/cache/#local-memory-caching)
    pub static RULE = {
        code: "DJS006",
        name: "local-memory-cache-in-production",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in production(project) {
        let res = m.settings.resolve(&["CACHES", "default", "BACKEND"]);
        if res.is_unbound() {
            if m.unresolved_star || !m.complete || m.settings.contains("CACHES") {
                continue;
            }
            let (file, range) = m.anchor();
            let d = cx.diagnostic(&file, range, "`CACHES` is not set, so Django uses a `LocMemCache` per process: each worker has its own cache, a value cached by one is a miss in the others, and `cache.delete()` clears only one; configure a shared cache (Redis, Memcached)");
            cx.report(d);
            continue;
        }
        let mut kinds = Vec::new();
        for o in &res.outcomes {
            let backend = match o {
                Outcome::Value { expr, .. } => expr.unset_value(),
                Outcome::Derived { value, .. } => Some(value.clone()),
                _ => None,
            };
            match backend {
                Some(Value::Str(b)) if b.ends_with("LocMemCache") => kinds.push("LocMemCache"),
                Some(Value::Str(b)) if b.ends_with("DummyCache") => kinds.push("DummyCache"),
                _ => kinds.push(""),
            }
        }
        if kinds.is_empty() || kinds.iter().any(|k| k.is_empty()) {
            continue;
        }
        let Some(last) = res.outcomes.last() else { continue };
        let (file, range) = outcome_location(last);
        let env_note = match last {
            Outcome::Value { expr, .. } => expr.env().map(|e| format!(" when the `{}` variable is unset", e.var.as_deref().unwrap_or("environment"))),
            _ => None,
        }
        .unwrap_or_default();
        let kind = kinds.last().copied().unwrap_or_default();
        let message = if kind == "DummyCache" {
            format!("The default cache is `DummyCache`{env_note}: nothing is cached in production; configure a shared cache (Redis, Memcached)")
        } else {
            format!("The default cache is `LocMemCache`{env_note}: each worker process has its own cache, a value cached by one is a miss in the others, and `cache.delete()` clears only one; configure a shared cache (Redis, Memcached)")
        };
        let d = cx.diagnostic(&file, range, message);
        cx.report(d);
    }
}
