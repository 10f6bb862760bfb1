use std::collections::HashSet;
use std::path::PathBuf;

use stacklint_diagnostics::{Fix, Severity, TextRange};
use stacklint_project::Project;
use stacklint_project::gunicorn::{GunSetting, GunicornProcess, SettingValue, WorkerKind};
use stacklint_python::{Outcome, Settings, Value};

use super::common::replace_value;
use crate::rules::gunicorn::{location, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a django-redis cache whose `OPTIONS["CONNECTION_POOL_KWARGS"]["max_connections"]`
    /// is below the number of requests one gunicorn worker process serves at once: its
    /// `threads` for gthread workers, its `worker_connections` (default 1000) for gevent
    /// and eventlet workers. Sync workers serve one request at a time and are never
    /// reported. Only the gunicorn process that runs the settings module is compared: the
    /// deployment must say which settings module the service running gunicorn uses
    /// (`DJANGO_SETTINGS_MODULE`, `--settings`, or the default set by the wsgi module
    /// gunicorn loads); when nothing links them, nothing is reported. A pool class of
    /// its own (`CONNECTION_POOL_CLASS`, such as a `BlockingConnectionPool` that waits
    /// instead of failing) is a deliberate cap and is left alone, and values read from the
    /// environment (or from a `-c` config file or `env_file` the project lacks) are not
    /// guessed.
    ///
    /// ## Why is this bad?
    /// django-redis keeps one connection pool per process, shared by every thread or
    /// greenlet of the worker; redis-py's `ConnectionPool` raises
    /// `ConnectionError("Too many connections")` when a request needs a connection and
    /// `max_connections` are already in use. With 1000 greenlets per gevent worker and a
    /// pool of 50, the 51st concurrent cache access fails (or, with `IGNORE_EXCEPTIONS`,
    /// silently misses the cache). The fix raises `max_connections` to the concurrency of
    /// one worker; the total over all workers (workers × `max_connections`) is what Redis
    /// `maxclients` (default 10000) must hold.
    ///
    /// ## Example
    /// ```text path=Procfile
    /// web: gunicorn mysite.wsgi:application -c gunicorn.conf.py
    /// ```
    ///
    /// ```python path=gunicorn.conf.py
    /// worker_class = "gevent"
    /// worker_connections = 1000
    /// ```
    ///
    /// ```python path=mysite/wsgi.py
    /// import os
    /// os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    /// ```
    ///
    /// ```python path=mysite/settings.py
    /// INSTALLED_APPS = []
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django_redis.cache.RedisCache",
    ///         "LOCATION": "redis://127.0.0.1:6379/1",
    ///         "OPTIONS": {"CONNECTION_POOL_KWARGS": {"max_connections": 50}},
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```text path=Procfile
    /// web: gunicorn mysite.wsgi:application -c gunicorn.conf.py
    /// ```
    ///
    /// ```python path=gunicorn.conf.py
    /// worker_class = "gevent"
    /// worker_connections = 1000
    /// ```
    ///
    /// ```python path=mysite/wsgi.py
    /// import os
    /// os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    /// ```
    ///
    /// ```python path=mysite/settings.py
    /// INSTALLED_APPS = []
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django_redis.cache.RedisCache",
    ///         "LOCATION": "redis://127.0.0.1:6379/1",
    ///         "OPTIONS": {"CONNECTION_POOL_KWARGS": {"max_connections": 1000}},
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [django-redis: connection pools](https://github.com/jazzband/django-redis#configure-as-cache-backend)
    /// - [redis-py: ConnectionPool](https://redis.readthedocs.io/en/stable/connections.html#connectionpool)
    /// - [gunicorn: worker_connections](https://docs.gunicorn.org/en/stable/settings.html#worker-connections)
    /// - [gunicorn: threads](https://docs.gunicorn.org/en/stable/settings.html#threads)
    pub static RULE = {
        code: "DJS007",
        name: "cache-pool-below-concurrency",
        family: Family::DjangoSettings,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

/// gunicorn's default `worker_connections`.
const DEFAULT_WORKER_CONNECTIONS: i64 = 1000;

/// redis-py's own pool class, which raises when it is exhausted.
const DEFAULT_POOLS: &[&str] = &["redis.ConnectionPool", "redis.connection.ConnectionPool"];

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen: HashSet<(PathBuf, TextRange)> = HashSet::new();
    for g in &project.gunicorn {
        let Some(run) = project.gunicorn_settings(g) else { continue };
        let Some((concurrency, source)) = concurrency(project, g) else { continue };
        let settings = &run.module.settings;
        for alias in cache_aliases(settings) {
            let Some(backend) = single_str(settings, &["CACHES", &alias, "BACKEND"]) else { continue };
            if !backend.starts_with("django_redis.") {
                continue;
            }
            let pool_class = settings.resolve(&["CACHES", &alias, "OPTIONS", "CONNECTION_POOL_CLASS"]);
            let default_pool = pool_class.outcomes.iter().all(|o| match o {
                Outcome::Missing { .. } => true,
                Outcome::Value { expr, .. } => matches!(expr.unset_value(), Some(Value::Str(c)) if DEFAULT_POOLS.contains(&c.as_str())),
                _ => false,
            });
            if !default_pool {
                continue;
            }
            let max = settings.resolve(&["CACHES", &alias, "OPTIONS", "CONNECTION_POOL_KWARGS", "max_connections"]);
            let [Outcome::Value { binding, expr }] = max.outcomes.as_slice() else { continue };
            if binding.is_conditional() || expr.env().is_some() {
                continue;
            }
            let Some(Value::Int(n)) = expr.unset_value() else { continue };
            if n >= concurrency || !seen.insert((expr.file.to_path_buf(), expr.range)) {
                continue;
            }
            let module = run.module.dotted.clone().unwrap_or_else(|| run.setting.value.clone());
            let runs = match run.setting.origin.range {
                Some(r) => format!("{} at {}", run.setting.origin.what, location(project, &run.setting.origin.file, r)),
                None => run.setting.origin.what.clone(),
            };
            let message = format!(
                "`max_connections` {n} for {source}: django-redis keeps one pool per process, so with more than {n} concurrent cache calls in a worker redis-py raises \"Too many connections\"; gunicorn ({}) runs `{module}` ({runs}); workers × `max_connections` must stay below Redis `maxclients`",
                location(project, &g.anchor.file, g.anchor.range),
            );
            let mut d = cx.diagnostic(&expr.file, expr.range, message);
            if let Some(edits) = replace_value(project, expr, &Value::Int(concurrency), &concurrency.to_string()) {
                d = d.with_fix(Fix::safe(format!("Set `max_connections` to {concurrency}"), edits));
            }
            cx.report(d);
        }
    }
}

/// The requests one worker of `g` serves at once, and how that is known; `None` for sync
/// workers, other classes, and values that are not known statically.
fn concurrency(project: &Project, g: &GunicornProcess) -> Option<(i64, String)> {
    // Values read from the environment or under a condition may be others.
    let uncertain = |name: &str| g.get(name).is_some_and(|s| s.origin.conditional || !matches!(s.value, SettingValue::Int(_) | SettingValue::Str(_)));
    if uncertain("worker_class") || uncertain("threads") || uncertain("worker_connections") || !project.gunicorn_settings_known(g) {
        return None;
    }
    match g.worker_class() {
        WorkerKind::Gthread => {
            let t = g.get("threads")?;
            let n = t.value.as_int()?;
            Some((n, format!("{n} threads per gthread worker ({})", at(project, t))))
        }
        kind @ (WorkerKind::Gevent | WorkerKind::Eventlet) => {
            let unit = if kind == WorkerKind::Gevent { "greenlets" } else { "green threads" };
            match g.get("worker_connections") {
                Some(c) => {
                    let n = c.value.as_int()?;
                    Some((n, format!("{n} concurrent {unit} per {} worker ({})", kind.name(), at(project, c))))
                }
                None => Some((DEFAULT_WORKER_CONNECTIONS, format!("{DEFAULT_WORKER_CONNECTIONS} concurrent {unit} per {} worker (gunicorn's default `worker_connections`)", kind.name()))),
            }
        }
        _ => None,
    }
}

/// `` `threads = 4` at gunicorn.conf.py:3 ``.
fn at(project: &Project, s: &GunSetting) -> String {
    format!("{} at {}", written(project, s, &s.origin.file), location(project, &s.origin.file, s.origin.range))
}

/// The aliases of a `CACHES` dict literal.
fn cache_aliases(settings: &Settings) -> Vec<String> {
    let Some(expr) = settings.value("CACHES") else { return Vec::new() };
    match &expr.resolved().value {
        Value::Dict(d) => d.entries.iter().filter_map(|e| e.key.as_ref().and_then(|k| k.as_str()).map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// A string setting at a dict path with one unconditional, literal outcome.
fn single_str(settings: &Settings, path: &[&str]) -> Option<String> {
    let r = settings.resolve(path);
    let [Outcome::Value { binding, expr }] = r.outcomes.as_slice() else { return None };
    if binding.is_conditional() || expr.env().is_some() {
        return None;
    }
    match expr.unset_value() {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}
