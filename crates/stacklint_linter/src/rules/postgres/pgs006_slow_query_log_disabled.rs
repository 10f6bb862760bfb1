use stacklint_diagnostics::Severity;
use stacklint_project::postgres::Value;

use super::{Change, Seen, report_change, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `log_min_duration_statement` at -1 (PostgreSQL's default, set or unset):
    /// no statement is ever logged for being slow.
    ///
    /// ## Why is this bad?
    /// The slow-query log is how a slow endpoint is traced to its SQL: with
    /// `log_min_duration_statement = 500ms` every statement that ran longer is logged with
    /// its duration. At -1 nothing is, and the only trace of a slow query is the response
    /// time the users see. The fix logs statements slower than 500 ms.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// log_min_duration_statement = -1
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// log_min_duration_statement = 500ms
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: log_min_duration_statement](https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-MIN-DURATION-STATEMENT)
    pub static RULE = {
        code: "PGS006",
        name: "slow-query-log-disabled",
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
        if server.value("log_min_duration_statement") != Some(Value::Int(-1)) {
            continue;
        }
        let change = Change {
            name: "log_min_duration_statement",
            why: "-1 logs no statement for being slow, so slow queries leave no trace; 500ms logs each one slower than that with its duration".to_owned(),
            value: "500ms".to_owned(),
            title: "Set `log_min_duration_statement = 500ms`".to_owned(),
        };
        report_change(cx, &mut seen, server, false, change);
    }
}
