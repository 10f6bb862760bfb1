use std::fmt::Write as _;

use stacklint_diagnostics::Severity;
use stacklint_project::concurrency::redis_pool_demands;
use stacklint_project::redis::DEFAULT_MAXCLIENTS;

use super::{place, server_place, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a Redis whose `maxclients` (10000 by default) is below the connections its
    /// clients' pools may open: for each app service that uses it as a Django cache through
    /// django-redis, `CONNECTION_POOL_KWARGS["max_connections"]` × gunicorn workers ×
    /// replicas. Only pools whose size and process count the project states are counted
    /// (a pool without `max_connections` is unbounded in redis-py; it is not guessed), so
    /// the sum is a lower bound.
    ///
    /// ## Why is this bad?
    /// django-redis keeps one connection pool per process (shared by its threads). Past
    /// `maxclients`, Redis answers new connections with `ERR max number of clients reached`
    /// and the cache calls fail, at the moment of highest load. Raising a pool size
    /// without counting the processes is how this happens ("Redis max_connections 100 →
    /// 200"): the limit that matters is pool × processes against `maxclients`.
    ///
    /// ## Example
    /// ```python path=proj/settings.py
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django_redis.cache.RedisCache",
    ///         "LOCATION": "redis://redis:6379/1",
    ///         "OPTIONS": {"CONNECTION_POOL_KWARGS": {"max_connections": 100}},
    ///     }
    /// }
    /// ```
    ///
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     build: .
    ///     command: gunicorn proj.wsgi --workers 8
    ///     environment:
    ///       DJANGO_SETTINGS_MODULE: proj.settings
    ///   redis:
    ///     image: redis:7.4
    ///     command: redis-server --maxclients 500 --maxmemory 256mb --maxmemory-policy allkeys-lru
    /// ```
    ///
    /// ## Use instead
    /// ```python path=proj/settings.py
    /// CACHES = {
    ///     "default": {
    ///         "BACKEND": "django_redis.cache.RedisCache",
    ///         "LOCATION": "redis://redis:6379/1",
    ///         "OPTIONS": {"CONNECTION_POOL_KWARGS": {"max_connections": 50}},
    ///     }
    /// }
    /// ```
    ///
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     build: .
    ///     command: gunicorn proj.wsgi --workers 8
    ///     environment:
    ///       DJANGO_SETTINGS_MODULE: proj.settings
    ///   redis:
    ///     image: redis:7.4
    ///     command: redis-server --maxclients 500 --maxmemory 256mb --maxmemory-policy allkeys-lru
    /// ```
    ///
    /// ## References
    /// - [Redis: client handling, maximum number of clients](https://redis.io/docs/latest/develop/reference/clients/#maximum-concurrent-connected-clients)
    /// - [django-redis: connection pools](https://github.com/jazzband/django-redis#configure-as-cache-backend)
    pub static RULE = {
        code: "RDS009",
        name: "maxclients-below-pools",
        family: Family::Redis,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for server in servers(project) {
        let Some(name) = server.service.as_deref() else { continue };
        let setting = server.last("maxclients");
        let maxclients = match setting {
            Some(s) if s.variable => continue,
            Some(s) => match s.arg(0).and_then(|v| v.parse::<u64>().ok()) {
                Some(n) => n,
                None => continue,
            },
            None => DEFAULT_MAXCLIENTS,
        };
        let parts = redis_pool_demands(project, server);
        let total = parts.iter().fold(0u64, |a, (n, _)| a.saturating_add(*n));
        if total <= maxclients {
            continue;
        }
        let limit = match setting {
            Some(s) => format!("`maxclients {maxclients}` ({})", place(project, s)),
            None => format!("the default `maxclients` {DEFAULT_MAXCLIENTS}"),
        };
        let (file, range) = match setting {
            Some(s) => (s.file.clone(), s.directive.range),
            None => match server_place(project, server) {
                Some(p) => p,
                None => continue,
            },
        };
        let d = cx.diagnostic(
            &file,
            range,
            format!(
                "the django-redis pools of service `{name}`'s clients may open at least {total} connections ({}{}), above {limit}: past it Redis refuses new connections with \"ERR max number of clients reached\"; raise `maxclients` or shrink the pools",
                parts.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>().join("; "),
                running_sum(&parts)
            ),
        );
        cx.report(d);
    }
}

/// `; 400 + 1200 = 1600 in all` for several clients, shown step by step.
fn running_sum(parts: &[(u64, String)]) -> String {
    let mut iter = parts.iter().map(|(n, _)| *n);
    let Some(first) = iter.next() else { return String::new() };
    let mut total = first;
    let mut text = String::new();
    for n in iter {
        let next = total.saturating_add(n);
        let _ = write!(text, " {total} + {n} = {next}");
        total = next;
    }
    if text.is_empty() { String::new() } else { format!(";{text} in all") }
}
