use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_truthy;
use super::deploy::{check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings whose `ALLOWED_HOSTS` is empty (Django's deploy check
    /// `security.W020`), also when an environment lookup falls back to an empty list.
    ///
    /// ## Why is this bad?
    /// With `DEBUG = False` Django answers every request with 400 Bad Request until the
    /// site's host names are listed.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// ALLOWED_HOSTS = []
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// ALLOWED_HOSTS = ["www.example.com"]
    /// ```
    ///
    /// ## References
    /// - [Django: ALLOWED_HOSTS](https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts)
    pub static RULE = {
        code: "DJS120",
        name: "allowed-hosts-empty",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W020"], |cx, m| {
        if m.settings.list("ALLOWED_HOSTS").is_some_and(|l| !l.items.is_empty() || (!l.complete && l.base.value.env().is_none())) {
            return;
        }
        check_value(
            cx,
            m,
            "ALLOWED_HOSTS",
            &Value::List(Vec::new()),
            |v| !is_truthy(v),
            |what| format!("{what}: with `DEBUG = False` Django answers every request with 400 Bad Request (Django's `security.W020`)"),
            None,
        );
    });
}
