use stacklint_diagnostics::Severity;

use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `# stacklint: ignore[...]` comment that suppresses nothing, or that names
    /// no rule.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides the next real finding on that line, and one that names a
    /// rule that doesn't exist (a typo) suppresses nothing while looking like it does.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// workers = 9  # stacklint: ignore[worker-below-cpu-recommendation]
    /// max_requests = 1000
    /// max_requests_jitter = 50
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// workers = 9
    /// max_requests = 1000
    /// max_requests_jitter = 50
    /// ```
    pub static RULE = {
        code: "SYN003",
        name: "unused-suppression",
        family: Family::Syntax,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

/// The suppression pass reports these, after every other rule has run.
fn check(_cx: &mut Checker) {}
