use stacklint_diagnostics::Severity;
use stacklint_project::MIB;

use super::{Seen, report_with_edit, container_limit, limit_text, memory_declared, recommended_maxmemory, replace_arg, servers, size_value};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// Below this, `maxmemory` is too small for any real cache or queue.
pub(crate) const FLOOR: u64 = 64 * MIB;

declare_rule! {
    /// ## What it does
    /// Reports a `maxmemory` below 64 MiB, or below a quarter of the memory limit of the
    /// container Redis runs in (compose `deploy.resources.limits.memory`).
    ///
    /// ## Why is this bad?
    /// `maxmemory` bounds the dataset; client buffers, replication backlog and
    /// fragmentation come on top. With a few MiB Redis starts evicting keys (a cache that
    /// misses all the time) or, under `noeviction`, refuses every write with `OOM command
    /// not allowed when used memory > 'maxmemory'` (a broker that drops tasks). Sizes are
    /// read as Redis reads them: `k`, `m` and `g` count powers of 1000, `kb`, `mb` and `gb`
    /// powers of 1024, so `64m` (64000000 bytes) is below 64 MiB. When the
    /// container's limit is known, the fix writes half of it (the other half covers the fork
    /// of a background save and the buffers), else 64 MiB: a host's memory is shared with
    /// the other services, so no larger share of it is Redis's for sure.
    ///
    /// ## Example
    /// ```conf path=redis/redis.conf
    /// maxmemory 30mb
    /// maxmemory-policy allkeys-lru
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=redis/redis.conf
    /// maxmemory 64mb
    /// maxmemory-policy allkeys-lru
    /// ```
    ///
    /// ## References
    /// - [Redis: key eviction, `maxmemory`](https://redis.io/docs/latest/develop/reference/eviction/)
    /// - [Redis: memory optimization](https://redis.io/docs/latest/operate/oss_and_stack/management/optimization/memory-optimization/)
    pub static RULE = {
        code: "RDS001",
        name: "maxmemory-too-small",
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
        let Some((s, bytes)) = server.maxmemory() else { continue };
        // 0 is "no limit" (RDS002); at or above the limit is RDS007.
        let t = &server.target;
        let limit = container_limit(t);
        if bytes == 0 || (memory_declared(t) && bytes >= t.memory) {
            continue;
        }
        let small = bytes < FLOOR;
        // Only a container's own limit is memory Redis has alone.
        let far_below = limit.is_some_and(|l| bytes.saturating_mul(4) < l);
        if !(small || far_below) || !seen.first(&s.file, s.directive.range) {
            continue;
        }
        let written = s.arg(0).unwrap_or_default();
        let rec = limit.map_or(FLOOR, recommended_maxmemory);
        // `64m` is 64000000 bytes: say so when the unit is a decimal one.
        let unit = written.trim_start_matches(|c: char| c.is_ascii_digit()).to_ascii_lowercase();
        let decimal = if matches!(unit.as_str(), "k" | "m" | "g") { format!(" (`{unit}` counts powers of 1000, `{unit}b` powers of 1024)") } else { String::new() };
        let why = if small {
            format!("`maxmemory {written}` is below 64 MiB{decimal}: with client buffers and fragmentation on top, Redis evicts keys (or refuses writes under `noeviction`) almost at once")
        } else {
            format!("`maxmemory {written}` is under a quarter of the container's {}: keys are evicted while most of the memory stays unused", limit_text(server))
        };
        let has = match limit {
            Some(_) if small => format!("the container has {}; use half of it, `{}`", limit_text(server), size_value(rec)),
            Some(_) => format!("use half of it, `{}`", size_value(rec)),
            None => format!("use at least `{}`", size_value(rec)),
        };
        // A value at or above the limit would only trade this for RDS007.
        let edit = if !memory_declared(t) || rec < t.memory { replace_arg(project, s, 0, &size_value(rec)) } else { None };
        report_with_edit(cx, &s.file, s.directive.range, format!("{why}; {has}"), format!("Set `maxmemory {}`", size_value(rec)), edit);
    }
}
