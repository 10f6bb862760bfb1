use stacklint_diagnostics::Severity;

use super::{Change, Seen, report_change, servers, ssd};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `effective_io_concurrency` below 100 (PostgreSQL 15's default is 1, set or
    /// unset) when the target machine's storage is SSD (the default target; declare
    /// `storage = "hdd"` in `[target]` for spinning disks).
    ///
    /// ## Why is this bad?
    /// `effective_io_concurrency` is how many reads PostgreSQL issues ahead in a bitmap heap
    /// scan. An SSD serves hundreds of reads at once; with 1 or 2 the scan waits for one
    /// read after another. PGTune sets 200 for SSD storage.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// effective_io_concurrency = 2
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// effective_io_concurrency = 200
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: effective_io_concurrency](https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-EFFECTIVE-IO-CONCURRENCY)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS009",
        name: "effective-io-concurrency-low",
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
        if !ssd(&server.target) {
            continue;
        }
        let Some(n) = server.value("effective_io_concurrency").and_then(|v| v.number()) else { continue };
        if n >= 100.0 {
            continue;
        }
        let change = Change {
            name: "effective_io_concurrency",
            why: format!(
                "issues {n} read{} ahead in bitmap scans on SSD storage (the target's; declare `storage = \"hdd\"` in [target] if it spins), which serves hundreds at once; PGTune sets 200",
                if (n - 1.0).abs() < f64::EPSILON { "" } else { "s" }
            ),
            value: "200".to_owned(),
            title: "Set `effective_io_concurrency = 200` (SSD)".to_owned(),
        };
        report_change(cx, &mut seen, server, false, change);
    }
}
