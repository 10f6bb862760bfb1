use stacklint_diagnostics::{Fix, Severity};
use stacklint_python::{Outcome, Value};

use super::common::{Alt, checked, insert_after_statement, replace_value};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports sessions stored in the database (`SESSION_ENGINE` unset or
    /// `django.contrib.sessions.backends.db`) while the default cache is a shared one
    /// (Redis, Valkey or Memcached, named by its `BACKEND`; a project's own `*RedisCache`
    /// subclass counts when its `LOCATION` is a Redis URL). A per-process `LocMemCache`, a
    /// `DummyCache`, the file and the database caches are not shared and are left alone; a
    /// backend read from the environment is judged by its fallback, and the message says so.
    ///
    /// ## Why is this bad?
    /// Every request with a session cookie then costs a database query (and a write when the
    /// session changes), although a shared cache is at hand. `cached_db` reads sessions from
    /// the cache and writes through to the database, so users stay logged in when the cache
    /// is flushed or evicts (a cache-only engine would log them out). The fix is unsafe: the
    /// cache then holds session data, so it must be sized and secured for it.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// INSTALLED_APPS = ["django.contrib.sessions"]
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django_redis.cache.RedisCache",
    ///         "LOCATION": "redis://redis:6379/1",
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// INSTALLED_APPS = ["django.contrib.sessions"]
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django_redis.cache.RedisCache",
    ///         "LOCATION": "redis://redis:6379/1",
    ///     }
    /// }
    /// SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    /// ```
    ///
    /// ## References
    /// - [Django: using cached sessions](https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions)
    pub static RULE = {
        code: "DJS011",
        name: "db-backed-sessions-with-cache",
        family: Family::DjangoSettings,
        scope: Scope::File,
        severity: Severity::Info,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

const DB: &str = "django.contrib.sessions.backends.db";
const CACHED_DB: &str = "django.contrib.sessions.backends.cached_db";

/// The service behind a cache backend that all worker processes share, by the backend's
/// dotted path: Redis (Django's own, django-redis, django-redis-cache), Valkey, Memcached.
/// Per-process or no-op backends (`LocMemCache`, `DummyCache`) and the file and database
/// backends are not a shared cache to move sessions into; an unknown backend is not guessed.
fn shared_cache(backend: &str) -> Option<&'static str> {
    let (module, class) = backend.rsplit_once('.')?;
    let module = module.to_ascii_lowercase();
    let segments: Vec<&str> = module.split('.').collect();
    let has = |s: &str| segments.contains(&s);
    if has("locmem") || has("dummy") || has("filebased") || has("db") {
        return None;
    }
    match class {
        "RedisCache" | "ShardedRedisCache" | "RedisClusterCache" if has("redis") || has("django_redis") || has("redis_cache") => Some("Redis"),
        "ValkeyCache" if has("django_valkey") || has("valkey") => Some("Valkey"),
        "PyMemcacheCache" | "PyLibMCCache" | "MemcachedCache" if has("memcached") => Some("Memcached"),
        _ => None,
    }
}

/// A project's own subclass of a Redis cache (`awx.main.cache.AWXRedisCache`): Redis only when
/// its `LOCATION` is a Redis URL (`redis://`, `rediss://`, or a `unix://` socket named redis).
fn own_redis_cache(backend: &str, location: Option<&str>) -> Option<&'static str> {
    let (_, class) = backend.rsplit_once('.')?;
    let location = location?.to_ascii_lowercase();
    let redis_url = location.starts_with("redis://") || location.starts_with("rediss://") || (location.starts_with("unix://") && location.contains("redis"));
    (class.ends_with("RedisCache") && redis_url).then_some("Redis")
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in checked(project) {
        if m.list_has("INSTALLED_APPS", "django.contrib.sessions") != Some(true) {
            continue;
        }
        let caches = m.settings.resolve(&["CACHES", "default", "BACKEND"]);
        let Some(Outcome::Value { binding: cache_binding, expr }) = caches.last() else { continue };
        if caches.outcomes.len() != 1 {
            continue;
        }
        let Some(Value::Str(backend)) = expr.unset_value() else { continue };
        let location = match m.settings.resolve(&["CACHES", "default", "LOCATION"]).last() {
            Some(Outcome::Value { expr, .. }) => match expr.unset_value() {
                Some(Value::Str(l)) => Some(l),
                _ => None,
            },
            _ => None,
        };
        let Some(kind) = shared_cache(&backend).or_else(|| own_redis_cache(&backend, location.as_deref())) else { continue };
        // A backend read from the environment is only known as its fallback.
        let env_note = expr.env().map(|e| format!(" when the `{}` variable is unset", e.var.as_deref().unwrap_or("environment"))).unwrap_or_default();
        let Some(alts) = m.alternatives("SESSION_ENGINE") else { continue };
        let db = Value::Str(DB.to_owned());
        if alts.is_empty() || !alts.iter().all(|a| *a.value(&db) == db) {
            continue;
        }
        let Some(alt) = alts.last() else { continue };
        let (file, range) = m.location(alt);
        let what = alt.describe("SESSION_ENGINE", &db);
        let mut d = cx.diagnostic(&file, range, format!("{what}: every request with a session cookie queries the database although the default cache is `{backend}` ({kind}, shared by every worker){env_note}; `cached_db` reads sessions from the cache and writes through, so nobody is logged out when the cache is flushed"));
        let literal = format!("\"{CACHED_DB}\"");
        let target = Value::Str(CACHED_DB.to_owned());
        let edits = match alts.as_slice() {
            [Alt::Default] => insert_after_statement(project, cache_binding, &format!("SESSION_ENGINE = {literal}")).map(|e| vec![e]),
            [Alt::Set { binding, .. }] if !binding.is_conditional() => replace_value(project, &binding.value, &target, &literal),
            _ => None,
        };
        if let Some(edits) = edits {
            d = d.with_fix(Fix::unsafe_("Use the `cached_db` session engine", edits));
        }
        cx.report(d);
    }
}
