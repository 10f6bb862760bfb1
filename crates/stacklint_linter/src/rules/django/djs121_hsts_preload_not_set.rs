use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_true;
use super::deploy::{check_value, each_production, hsts_enabled};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings that send HSTS without `SECURE_HSTS_PRELOAD = True`
    /// (Django's deploy check `security.W021`).
    ///
    /// ## Why is this bad?
    /// Without the `preload` directive the site cannot join the browsers' HSTS preload list,
    /// so a visitor's very first request may still go over plain HTTP. Preloading is hard to
    /// undo (removal takes months), so it is a decision, not an automatic fix.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_HSTS_SECONDS = 31536000
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_HSTS_SECONDS = 31536000
    /// SECURE_HSTS_PRELOAD = True
    /// ```
    ///
    /// ## References
    /// - [Django: SECURE_HSTS_PRELOAD](https://docs.djangoproject.com/en/5.2/ref/settings/#secure-hsts-preload)
    /// - [hstspreload.org](https://hstspreload.org/)
    pub static RULE = {
        code: "DJS121",
        name: "hsts-preload-not-set",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W021"], |cx, m| {
        if !hsts_enabled(m) {
            return;
        }
        check_value(
            cx,
            m,
            "SECURE_HSTS_PRELOAD",
            &Value::Bool(false),
            |v| !is_true(v),
            |what| format!("{what}: the site cannot join the browsers' HSTS preload list, so a first visit may still use plain HTTP (Django's `security.W021`)"),
            None,
        );
    });
}
