use stacklint_diagnostics::Severity;
use stacklint_project::redis::RedisRole;

use super::{server_place, servers, use_text};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a Redis service that is both a cache (Django `CACHES`) and a queue (a Celery
    /// broker, a Channels layer), at the service's definition.
    ///
    /// ## Why is this bad?
    /// `maxmemory-policy` is one per server, whatever the database number in the URL. A
    /// cache needs an `allkeys-*` policy so that it stays bounded; a queue needs
    /// `noeviction` so that no queued task or channel message is silently deleted. With one
    /// Redis, either a full cache makes every write fail (broker included) or a full broker
    /// loses tasks. Run a second Redis service for the cache (or the queue), each with its
    /// own `maxmemory` and policy.
    ///
    /// ## Example
    /// ```python path=proj/settings.py
    /// CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://redis:6379/1"}}
    /// CELERY_BROKER_URL = "redis://redis:6379/0"
    /// ```
    ///
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     build: .
    ///     command: gunicorn proj.wsgi
    ///     environment:
    ///       DJANGO_SETTINGS_MODULE: proj.settings
    ///   redis:
    ///     image: redis:7.4
    /// ```
    ///
    /// ## Use instead
    /// ```python path=proj/settings.py
    /// CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache:6379/1"}}
    /// CELERY_BROKER_URL = "redis://broker:6379/0"
    /// ```
    ///
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     build: .
    ///     command: gunicorn proj.wsgi
    ///     environment:
    ///       DJANGO_SETTINGS_MODULE: proj.settings
    ///   cache:
    ///     image: redis:7.4
    ///     command: redis-server --maxmemory 256mb --maxmemory-policy allkeys-lru
    ///   broker:
    ///     image: redis:7.4
    ///     command: redis-server --maxmemory-policy noeviction
    /// ```
    ///
    /// ## References
    /// - [Redis: eviction policies](https://redis.io/docs/latest/develop/reference/eviction/#eviction-policies)
    /// - [Celery: Redis broker caveats](https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#caveats)
    pub static RULE = {
        code: "RDS008",
        name: "redis-shared-cache-and-broker",
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
        let cache = server.role_uses(RedisRole::Cache);
        let queue = server.role_uses(RedisRole::Queue);
        let (Some(c), Some(q)) = (cache.first(), queue.first()) else { continue };
        let Some((file, range)) = server_place(project, server) else { continue };
        let mut kinds: Vec<String> = Vec::new();
        for u in &queue {
            let k = u.kind.to_string();
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let others = if kinds.len() > 1 { format!(" (also the {})", kinds.iter().skip(1).cloned().collect::<Vec<_>>().join(", ")) } else { String::new() };
        let d = cx.diagnostic(
            &file,
            range,
            format!(
                "{} is both the {} and the {}{others}: `maxmemory-policy` is one per server, a cache needs `allkeys-lru` and a queue `noeviction`, so either a full cache fails every write or a full queue loses tasks; run a separate Redis for the cache",
                server.label(project),
                use_text(project, c),
                use_text(project, q)
            ),
        );
        cx.report(d);
    }
}
