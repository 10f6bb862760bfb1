use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::redis::RedisRole;

use super::{append_lines, container_limit, limit_text, recommended_maxmemory, replace_arg, server_place, servers, size_value, use_text};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a Redis used as a cache (Django `CACHES`) that has no `maxmemory` (or
    /// `maxmemory 0`).
    ///
    /// ## Why is this bad?
    /// Without `maxmemory` Redis never evicts: a cache grows with every new key until the
    /// container's memory limit, where the kernel's OOM killer ends it (and the cache is
    /// lost, with whatever else that Redis held), or until the host swaps. The fix sets half
    /// of the container's memory limit (the rest covers the fork of a background save and
    /// the buffers); without a limit it offers a quarter of the host (declared or assumed),
    /// which the other services share: a guess to review.
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
    ///     command: redis-server /usr/local/etc/redis/redis.conf
    ///     volumes:
    ///       - ./redis.conf:/usr/local/etc/redis/redis.conf:ro
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           memory: 512M
    /// ```
    ///
    /// ```conf path=redis.conf
    /// maxmemory-policy allkeys-lru
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
    ///     command: redis-server /usr/local/etc/redis/redis.conf
    ///     volumes:
    ///       - ./redis.conf:/usr/local/etc/redis/redis.conf:ro
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           memory: 512M
    /// ```
    ///
    /// ```conf path=redis.conf
    /// maxmemory-policy allkeys-lru
    /// maxmemory 256mb
    /// ```
    ///
    /// ## References
    /// - [Redis: key eviction, `maxmemory`](https://redis.io/docs/latest/develop/reference/eviction/)
    pub static RULE = {
        code: "RDS002",
        name: "maxmemory-unset",
        family: Family::Redis,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for server in servers(project) {
        let uses = server.role_uses(RedisRole::Cache);
        let Some(first) = uses.first() else { continue };
        // A file the project does not hold or an unread command line may set it.
        if server.missing_config.is_some() || server.command_unknown || !server.unresolved.is_empty() {
            continue;
        }
        let current = server.last("maxmemory");
        if current.is_some_and(|s| s.variable || s.arg(0).is_none_or(|v| stacklint_project::redis::parse_size(v) != Ok(0))) {
            continue;
        }
        let t = &server.target;
        let limit = container_limit(t);
        // A host is shared with the other services: a quarter of it is a guess to review.
        let rec = size_value(limit.map_or_else(|| recommended_maxmemory(t.memory / 2), recommended_maxmemory));
        let set = match current {
            Some(_) => "`maxmemory 0` (no limit)".to_owned(),
            None => "no `maxmemory`".to_owned(),
        };
        let runs_out = match limit {
            Some(_) => format!("it grows until it reaches the container's {} and the OOM killer ends it; set `maxmemory {rec}` (half of it)", limit_text(server)),
            None => format!("it grows until the host's {} ({}) run out, shared with the other services; set `maxmemory {rec}` (a quarter of the host, to review)", stacklint_project::format_bytes(t.memory), t.memory_source),
        };
        let message = format!("{} is the {} and has {set}: {runs_out} with `maxmemory-policy allkeys-lru`", server.label(project), use_text(project, first));
        let (file, range) = match (current, &server.config_file) {
            (Some(s), _) => (s.file.clone(), s.directive.range),
            (None, Some(f)) => (f.clone(), super::first_line(project, f)),
            (None, None) => match server_place(project, server) {
                Some(p) => p,
                None => continue,
            },
        };
        let mut d = cx.diagnostic(&file, range, message);
        let edit = match (current, &server.config_file) {
            (Some(s), _) => replace_arg(project, s, 0, &rec),
            (None, Some(f)) => append_lines(project, f, &[format!("maxmemory {rec}")]),
            (None, None) => None,
        };
        if let Some(edit) = edit {
            let title = format!("Set `maxmemory {rec}`");
            // Half of an assumed machine is a guess: a person checks it.
            d = d.with_fix(if limit.is_some() { Fix::safe(title, vec![edit]) } else { Fix::unsafe_(title, vec![edit]) });
        }
        cx.report(d);
    }
}
