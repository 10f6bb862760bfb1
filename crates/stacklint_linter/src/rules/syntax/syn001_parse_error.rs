use stacklint_diagnostics::Severity;

use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports the places where a file could not be fully parsed, with what was expected.
    ///
    /// ## Why is this bad?
    /// The program that reads the file (Python, nginx, dockerd, ...) will reject it or read
    /// something else than what was meant. stacklint still runs its rules on what it could
    /// recover, but findings after the error may be missing.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// workers = (2 *
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// workers = 2 * 4 + 1
    /// ```
    pub static RULE = {
        code: "SYN001",
        name: "parse-error",
        family: Family::Syntax,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    for file in cx.files() {
        for error in file.syntax_errors() {
            let d = cx.diagnostic(&file.path, error.range, format!("Parse error: {}", error.message));
            cx.report(d);
        }
    }
}
