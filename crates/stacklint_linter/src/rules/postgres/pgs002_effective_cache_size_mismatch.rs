use stacklint_diagnostics::Severity;
use stacklint_project::postgres::format_memory;

use super::{MIB, Change, Seen, report_change, memory_mb, memory_text, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an `effective_cache_size` above the target machine's memory, or below half
    /// of the 75% of memory PGTune sets.
    ///
    /// ## Why is this bad?
    /// `effective_cache_size` allocates nothing: it tells the planner how much of the data
    /// the kernel's page cache and `shared_buffers` together can hold, and so how cheap an
    /// index scan is. Above the machine's memory (a value copied from a bigger host, or a
    /// container limit lower than the host) the planner picks index scans that then read
    /// from disk; far below it, it avoids indexes it should use. PGTune sets 75% of memory
    /// (memory × 0.75, in MB: 8 GiB is 8 × 1024 = 8192MB). PostgreSQL's default is 4 GB.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// shared_buffers = 2GB
    /// effective_cache_size = 16GB
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// shared_buffers = 2GB
    /// effective_cache_size = 6GB
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: effective_cache_size](https://www.postgresql.org/docs/current/runtime-config-query.html#GUC-EFFECTIVE-CACHE-SIZE)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS002",
        name: "effective-cache-size-mismatch",
        family: Family::Postgres,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project, false) {
        let Some(current) = server.bytes("effective_cache_size") else { continue };
        let memory = server.target.memory;
        let (chain, memory_mb) = memory_mb(&server.target);
        let want = memory_mb * 3 / 4 * MIB;
        let why = if current > memory {
            "more than the machine has: the planner counts on cached pages that cannot exist"
        } else if current < want / 2 {
            "less than half of what the machine can cache: the planner shuns index scans it should use"
        } else {
            continue;
        };
        let change = Change {
            name: "effective_cache_size",
            why: format!("{why}; memory is {}, and PGTune sets three quarters of it: {chain} × 0.75 = {}MB", memory_text(&server.target), memory_mb * 3 / 4),
            value: format_memory(want),
            title: format!("Set `effective_cache_size = {}` (75% of memory)", format_memory(want)),
        };
        report_change(cx, &mut seen, server, false, change);
    }
}
