use stacklint_diagnostics::Severity;

use super::{Seen, report_with_edit, limit_text, memory_declared, recommended_maxmemory, replace_arg, servers, size_value};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `maxmemory` at or above the memory limit of the container Redis runs in
    /// (compose `deploy.resources.limits.memory`, or the declared `[target]`).
    ///
    /// ## Why is this bad?
    /// `maxmemory` counts the dataset only; client buffers, the replication backlog,
    /// fragmentation and the copy-on-write pages of a background save (`BGSAVE`, AOF
    /// rewrite) come on top. Redis never reaches its own limit: the kernel's OOM killer ends
    /// the container first, and every key is lost that was not saved. The fix writes half
    /// the limit.
    ///
    /// ## Example
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   redis:
    ///     image: redis:7.4
    ///     command: redis-server --maxmemory 1gb
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           memory: 512M
    /// ```
    ///
    /// ## Use instead
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   redis:
    ///     image: redis:7.4
    ///     command: redis-server --maxmemory 256mb
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           memory: 512M
    /// ```
    ///
    /// ## References
    /// - [Redis: memory optimization, `maxmemory` and fork](https://redis.io/docs/latest/operate/oss_and_stack/management/optimization/memory-optimization/)
    /// - [Docker: memory limits](https://docs.docker.com/engine/containers/resource_constraints/)
    pub static RULE = {
        code: "RDS007",
        name: "maxmemory-exceeds-container-limit",
        family: Family::Redis,
        scope: Scope::Stack,
        severity: Severity::Error,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project) {
        let Some((s, bytes)) = server.maxmemory() else { continue };
        let t = &server.target;
        if bytes == 0 || !memory_declared(t) || bytes < t.memory || !seen.first(&s.file, s.directive.range) {
            continue;
        }
        let rec = recommended_maxmemory(t.memory);
        let written = s.arg(0).unwrap_or_default();
        let message = format!(
            "`maxmemory {written}` is at or above the {} Redis has: buffers, fragmentation and the fork of a background save come on top, so the OOM killer ends Redis before it evicts; use half the limit, `{}`",
            limit_text(server),
            size_value(rec)
        );
        let edit = if rec < t.memory { replace_arg(project, s, 0, &size_value(rec)) } else { None };
        report_with_edit(cx, &s.file, s.directive.range, message, format!("Set `maxmemory {}`", size_value(rec)), edit);
    }
}
