use stacklint_diagnostics::Severity;

use super::{Change, Seen, report_change, servers, ssd};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `random_page_cost` at 4 (PostgreSQL's default, set or unset) when the target
    /// machine's storage is SSD (the default target; declare `storage = "hdd"` in
    /// `[target]` for spinning disks).
    ///
    /// ## Why is this bad?
    /// `random_page_cost` is what the planner charges for a page read out of order, against
    /// 1 for a sequential page. 4 models a spinning disk's seek; on an SSD a random read
    /// costs about what a sequential one does, so with 4 the planner picks sequential scans
    /// over index scans that would be faster. PGTune sets 1.1 for SSD storage.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// random_page_cost = 4.0
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// random_page_cost = 1.1
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: random_page_cost](https://www.postgresql.org/docs/current/runtime-config-query.html#GUC-RANDOM-PAGE-COST)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS005",
        name: "random-page-cost-hdd-default",
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
        let Some(cost) = server.value("random_page_cost").and_then(|v| v.number()) else { continue };
        if (cost - 4.0).abs() > f64::EPSILON {
            continue;
        }
        let change = Change {
            name: "random_page_cost",
            why: "models a spinning disk's seek on SSD storage (the target's; declare `storage = \"hdd\"` in [target] if it spins): the planner prefers sequential scans over faster index scans; PGTune sets 1.1 for SSDs".to_owned(),
            value: "1.1".to_owned(),
            title: "Set `random_page_cost = 1.1` (SSD)".to_owned(),
        };
        report_change(cx, &mut seen, server, false, change);
    }
}
