use stacklint_diagnostics::Severity;

use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// TODO
    pub static RULE = {
        code: "RDS009",
        name: "maxclients-below-pools",
        family: Family::Redis,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(_cx: &mut Checker) {}
