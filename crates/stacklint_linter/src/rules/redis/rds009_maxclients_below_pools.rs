use std::fmt::Write as _;

use stacklint_diagnostics::Severity;
use stacklint_project::Project;
use stacklint_project::deployment::{DeployedService, LinkKind};
use stacklint_project::gunicorn::{CommandSource, Frontend};
use stacklint_python::{Expr, Value};

use super::{at, place, server_place, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// Redis's default `maxclients`.
const DEFAULT_MAXCLIENTS: u64 = 10_000;

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
        let mut users: Vec<&str> = server.roles.iter().filter(|r| r.kind == LinkKind::Cache).map(|r| r.from.as_str()).collect();
        users.dedup();
        let mut total: u64 = 0;
        let mut parts: Vec<(u64, String)> = Vec::new();
        for u in users {
            let Some(svc) = project.deployment.service(u) else { continue };
            let Some((pool, pool_at)) = pool_size(project, svc, name) else { continue };
            let Some((workers, workers_text)) = workers(project, svc) else { continue };
            let replicas = svc.replicas.as_ref().map_or(1, |r| u64::from(r.value));
            let n = pool.saturating_mul(workers).saturating_mul(replicas);
            total = total.saturating_add(n);
            let per_replica = pool.saturating_mul(workers);
            let formula = if replicas > 1 { format!("{pool} × {workers} = {per_replica} × {replicas} = {n}") } else { format!("{pool} × {workers} = {n}") };
            let replicas_text = if replicas > 1 { format!(", {replicas} replicas") } else { String::new() };
            parts.push((n, format!("`{u}`: {formula} (`max_connections` {pool} at {pool_at}, {workers_text}{replicas_text})")));
        }
        if total <= maxclients {
            continue;
        }
        let limit = match setting {
            Some(s) => format!("`maxclients {maxclients}` ({})", place(project, s)),
            None => format!("the default `maxclients` {DEFAULT_MAXCLIENTS}"),
        };
        let (file, range) = match setting {
            Some(s) => (s.file.clone(), s.directive.range),
            None => match server_place(project, &server) {
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

/// A dict's value for a string key.
fn get<'e>(e: &'e Expr, key: &str) -> Option<&'e Expr> {
    let Value::Dict(d) = &e.resolved().value else { return None };
    d.entries.iter().rev().find(|x| x.key.as_ref().and_then(|k| k.resolved().as_str()) == Some(key)).map(|x| x.value.resolved())
}

/// The `max_connections` of the django-redis cache of `svc`'s settings whose `LOCATION`
/// names host `redis`, and where it is written. `None` when not stated.
fn pool_size(project: &Project, svc: &DeployedService, redis: &str) -> Option<(u64, String)> {
    let dotted = &svc.settings_module.as_ref()?.value;
    let module = project.django.iter().find(|m| m.dotted.as_deref() == Some(dotted.as_str()))?;
    let caches = module.settings.value("CACHES")?.resolved();
    let Value::Dict(d) = &caches.value else { return None };
    let mut found = None;
    for entry in &d.entries {
        let alias = entry.value.resolved();
        let location = get(alias, "LOCATION").and_then(Expr::as_str).unwrap_or_default();
        if !names_host(location, redis) {
            continue;
        }
        let max = get(alias, "OPTIONS").and_then(|o| get(o, "CONNECTION_POOL_KWARGS")).and_then(|k| get(k, "max_connections"))?;
        let Value::Int(n) = max.value else { return None };
        let n = u64::try_from(n).ok()?;
        found = Some((n, at(project, &max.file, max.range.start())));
    }
    found
}

/// Whether a Redis URL (`redis://redis:6379/1`, `redis://:pw@redis/0`) names `host`.
fn names_host(url: &str, host: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = authority.rsplit('@').next().unwrap_or_default();
    hostport.split(':').next() == Some(host)
}

/// The gunicorn workers of a compose service, when stated (or gunicorn's default 1).
fn workers(project: &Project, svc: &DeployedService) -> Option<(u64, String)> {
    let p = project.gunicorn.iter().find(|p| matches!(&p.frontend, Frontend::CommandLine(CommandSource::Compose { service }) if service == &svc.name) && p.anchor.file == svc.defined_in.file)?;
    let w = p.effective_workers();
    let n = u64::try_from(w.count?).ok()?;
    Some((n, format!("{n} gunicorn workers at {}", at(project, &p.anchor.file, p.anchor.range.start()))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_name_hosts() {
        assert!(super::names_host("redis://redis:6379/1", "redis"));
        assert!(super::names_host("redis://:secret@cache/0", "cache"));
        assert!(!super::names_host("redis://redis-2:6379/1", "redis"));
        assert!(!super::names_host("unix:///tmp/redis.sock", "redis"));
    }
}
