use stacklint_diagnostics::Severity;
use stacklint_project::postgres::format_memory;

use super::{MIB, Change, Seen, report_change, memory_mb, memory_text, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `maintenance_work_mem` below 1/16 of the target machine's memory (PGTune's
    /// value, capped at 2GB).
    ///
    /// ## Why is this bad?
    /// `maintenance_work_mem` is the memory of `VACUUM`, `CREATE INDEX` and
    /// `ALTER TABLE ADD FOREIGN KEY`. With the default 64MB, autovacuum passes over a big
    /// table's indexes several times and index builds sort on disk; few such operations run
    /// at once, so a larger value costs little. PGTune sets memory / 16 (in MB: 8 GiB is
    /// 8 × 1024 = 8192MB), at most 2GB; PostgreSQL's default is 64 MB.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// maintenance_work_mem = 64MB
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// maintenance_work_mem = 512MB
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: maintenance_work_mem](https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-MAINTENANCE-WORK-MEM)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS004",
        name: "maintenance-work-mem-low",
        family: Family::Postgres,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

const CAP: u64 = 2 << 30;

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project, false) {
        let Some(current) = server.bytes("maintenance_work_mem") else { continue };
        let (chain, memory_mb) = memory_mb(&server.target);
        let sixteenth = memory_mb / 16;
        let want = (sixteenth * MIB).min(CAP);
        if current >= want {
            continue;
        }
        let capped = if want == CAP { ", capped at 2GB" } else { "" };
        let change = Change {
            name: "maintenance_work_mem",
            why: format!(
                "below a sixteenth of memory ({}): {chain} / 16 = {sixteenth}MB{capped}; `VACUUM` and index builds work in smaller pieces than the machine allows",
                memory_text(&server.target)
            ),
            value: format_memory(want),
            title: format!("Set `maintenance_work_mem = {}` (memory / 16)", format_memory(want)),
        };
        report_change(cx, &mut seen, server, false, change);
    }
}
