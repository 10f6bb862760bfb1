use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::postgres::{Value, format_memory};

use super::{Seen, finding, memory_text, servers, set_edits, share, site};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `work_mem` left at PostgreSQL's default 4MB when PGTune's value for the
    /// target machine is at least twice or at most half of it, and a `work_mem` whose worst
    /// case (`max_connections` × 3 steps × `work_mem`) is more than twice the memory left
    /// beside `shared_buffers` (counted at least at PGTune's 25% of memory).
    ///
    /// ## Why is this bad?
    /// `work_mem` is the memory of each sort or hash step, and one query can run several at
    /// once in every connection. Too low, sorts spill to temporary files on disk; too high,
    /// a burst of connections asks for more memory than there is and the kernel's OOM
    /// killer ends the server. PGTune's web profile divides what `shared_buffers` leaves by
    /// three steps per connection and by the parallel workers per gather
    /// (min(⌈CPUs / 2⌉, 4)).
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// max_connections = 100
    /// shared_buffers = 2GB
    /// work_mem = 64MB
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// max_connections = 100
    /// shared_buffers = 2GB
    /// work_mem = 10485kB
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: work_mem](https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-WORK-MEM)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS003",
        name: "work-mem-unsized",
        family: Family::Postgres,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

const DEFAULT: u64 = 4 << 20;

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project, false) {
        let (Some(current), Some(shared), Some(Value::Int(connections))) = (server.bytes("work_mem"), server.bytes("shared_buffers"), server.value("max_connections")) else { continue };
        let memory = server.target.memory;
        let Ok(connections) = u64::try_from(connections) else { continue };
        // What PGTune's own `shared_buffers` (25% of memory) leaves, or what a larger one
        // does: the same base for the limit and the fix, so that fixing `shared_buffers`
        // (PGS001) does not move `work_mem` out of its limit again.
        let shared = shared.max(share(&server.target, 1, 4));
        if shared >= memory || connections == 0 {
            continue;
        }
        let allowed = (memory - shared) / (connections * 3);
        let per_gather = u64::from(server.target.whole_cpus().div_ceil(2).clamp(1, 4));
        // PGTune: whole kB, at least 64kB.
        let want = (allowed / per_gather / 1024).max(64) * 1024;
        // Every connection running three sort or hash steps at once (PGTune's estimate) is
        // a worst case that rarely happens: report only a demand beyond twice what is there.
        let available = memory - shared;
        let demand = current.saturating_mul(connections).saturating_mul(3);
        let why = if demand > available.saturating_mul(2) {
            format!(
                "`max_connections` {connections} × 3 sort or hash steps × {} = {}, more than twice the {} that {} leaves beside `shared_buffers` {}; PGTune's value is {}",
                format_memory(current),
                format_memory(demand / (1 << 20) * (1 << 20)),
                format_memory(available / (1 << 20) * (1 << 20)),
                memory_text(&server.target),
                format_memory(shared),
                format_memory(want)
            )
        } else if current == DEFAULT && (want >= 2 * DEFAULT || want * 2 <= DEFAULT) {
            format!("the default, sized for no machine in particular: for {} PGTune computes ({} − `shared_buffers` {}) / (`max_connections` {connections} × 3) / {per_gather} parallel worker{} per gather = {}", memory_text(&server.target), server.target.memory_text(), format_memory(shared), if per_gather == 1 { "" } else { "s" }, format_memory(want))
        } else {
            continue;
        };
        let Some(site) = site(project, &server, "work_mem", false) else { continue };
        if !seen.first(site.file(), site.range()) {
            continue;
        }
        let message = format!("{}: {why}", site.shows("work_mem", &server));
        let fix = set_edits(project, &site, "work_mem", &format_memory(want)).map(|e| Fix::safe(format!("Set `work_mem = {}` (PGTune, web)", format_memory(want)), e));
        let d = finding(cx, &site, message, fix);
        cx.report(d);
    }
}
