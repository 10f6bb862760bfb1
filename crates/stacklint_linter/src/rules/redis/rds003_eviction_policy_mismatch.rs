use stacklint_diagnostics::Severity;
use stacklint_project::redis::RedisRole;

use super::{Seen, report_with_edit, insert_line_after, replace_arg, servers, use_text};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `maxmemory-policy` that does not fit what the application uses Redis for:
    /// `noeviction` (the default) on a cache with a `maxmemory`, or an `allkeys-*` policy
    /// on a Celery broker or a Channels layer. A Redis that is both is RDS008's.
    ///
    /// ## Why is this bad?
    /// Under `noeviction`, a full cache answers every write with `OOM command not allowed`:
    /// each `cache.set()` raises instead of dropping an old key. Under `allkeys-lru`
    /// (`-lfu`, `-random`), a full broker deletes queued tasks and channel messages
    /// silently: they never run. A cache wants `allkeys-lru`; a queue wants `noeviction`
    /// (writes fail loudly, nothing queued is lost).
    ///
    /// ## Example
    /// ```python path=proj/settings.py
    /// CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache:6379/1"}}
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
    ///     command: redis-server --maxmemory 256mb --maxmemory-policy noeviction
    /// ```
    ///
    /// ## Use instead
    /// ```python path=proj/settings.py
    /// CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache:6379/1"}}
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
    /// ```
    ///
    /// ## References
    /// - [Redis: eviction policies](https://redis.io/docs/latest/develop/reference/eviction/#eviction-policies)
    /// - [Celery: using Redis as a broker](https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html)
    pub static RULE = {
        code: "RDS003",
        name: "eviction-policy-mismatch",
        family: Family::Redis,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project) {
        let cache = server.role_uses(RedisRole::Cache);
        let queue = server.role_uses(RedisRole::Queue);
        if cache.is_empty() == queue.is_empty() || server.command_unknown || server.missing_config.is_some() || !server.unresolved.is_empty() {
            continue;
        }
        let policy = server.last("maxmemory-policy");
        if policy.is_some_and(|p| p.variable) {
            continue;
        }
        let value = policy.and_then(|p| p.arg(0)).unwrap_or("noeviction").to_ascii_lowercase();
        if let Some(first) = cache.first() {
            // Without a limit nothing is evicted either way (RDS002 says so).
            let Some((max, bytes)) = server.maxmemory() else { continue };
            if bytes == 0 || value != "noeviction" {
                continue;
            }
            let (file, range) = policy.map_or((&max.file, max.directive.range), |p| (&p.file, p.directive.range));
            if !seen.first(file, range) {
                continue;
            }
            let how = if policy.is_some() { "`maxmemory-policy noeviction`" } else { "no `maxmemory-policy` (the default is `noeviction`)" };
            let message = format!("{} is the {} with {how}: once `maxmemory` is reached every cache write fails with an \"OOM command not allowed\" error instead of evicting an old key; use `allkeys-lru`", server.label(project), use_text(project, first));
            let edit = match policy {
                Some(p) => replace_arg(project, p, 0, "allkeys-lru"),
                None if !max.command_line => insert_line_after(project, &max.file, max.directive.range.end(), "maxmemory-policy allkeys-lru"),
                None => None,
            };
            report_with_edit(cx, file, range, message, "Set `maxmemory-policy allkeys-lru`".to_owned(), edit);
        } else if let (Some(first), Some(p)) = (queue.first(), policy) {
            if !value.starts_with("allkeys-") || !seen.first(&p.file, p.directive.range) {
                continue;
            }
            let message = format!("{} is the {} with `maxmemory-policy {value}`: when memory is full Redis deletes queued messages to make room, and those tasks never run; use `noeviction` (writes fail loudly, nothing queued is lost)", server.label(project), use_text(project, first));
            report_with_edit(cx, &p.file, p.directive.range, message, "Set `maxmemory-policy noeviction`".to_owned(), replace_arg(project, p, 0, "noeviction"));
        }
    }
}
