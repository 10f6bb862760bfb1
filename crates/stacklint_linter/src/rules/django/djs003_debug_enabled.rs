use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_truthy;
use super::deploy::{SetTo, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `DEBUG` true in the production settings, also when an environment lookup
    /// falls back to a true value (Django's deploy check `security.W018`).
    ///
    /// ## Why is this bad?
    /// Error pages then show source code, local variables and settings to anyone, and
    /// Django keeps every SQL query in memory. The fix sets `False` (or a false fallback);
    /// it is unsafe because the environment that relied on the fallback changes too.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// import os
    ///
    /// DEBUG = os.environ.get("DEBUG", "True") == "True"
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// import os
    ///
    /// DEBUG = os.environ.get("DEBUG", "False") == "True"
    /// ```
    ///
    /// ## References
    /// - [Django: DEBUG](https://docs.djangoproject.com/en/5.2/ref/settings/#debug)
    pub static RULE = {
        code: "DJS003",
        name: "debug-enabled",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Error,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W018"], |cx, m| {
        check_value(
            cx,
            m,
            "DEBUG",
            &Value::Bool(false),
            is_truthy_known,
            |what| format!("{what} in production settings: error pages show code, local variables and settings to anyone, and every SQL query is kept in memory (Django's `security.W018`)"),
            Some(SetTo { value: Value::Bool(false), literal: "False", safe: false }),
        );
    });
}

fn is_truthy_known(v: &Value) -> bool {
    stacklint_python::truthy(v).is_some() && is_truthy(v)
}
