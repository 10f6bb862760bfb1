use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_truthy;
use super::deploy::{SECURITY_MW, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings with `SecurityMiddleware` but no `SECURE_HSTS_SECONDS`
    /// (Django's deploy check `security.W004`).
    ///
    /// ## Why is this bad?
    /// Without a `Strict-Transport-Security` header a browser keeps trying plain HTTP first,
    /// and that first request can be intercepted and downgraded. HSTS is sticky: browsers
    /// remember it for `SECURE_HSTS_SECONDS`, so Django's docs suggest starting with a small
    /// value (3600) and raising it once HTTPS works everywhere. No automatic fix for that
    /// reason.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_HSTS_SECONDS = 31536000
    /// ```
    ///
    /// ## References
    /// - [Django: HTTP Strict Transport Security](https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security)
    pub static RULE = {
        code: "DJS104",
        name: "hsts-not-set",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W004"], |cx, m| {
        if m.list_has("MIDDLEWARE", SECURITY_MW) != Some(true) {
            return;
        }
        check_value(
            cx,
            m,
            "SECURE_HSTS_SECONDS",
            &Value::Int(0),
            |v| !is_truthy(v),
            |what| format!("{what}: no `Strict-Transport-Security` header, so browsers still try plain HTTP first and that request can be intercepted; start with 3600 and raise it once HTTPS works everywhere (Django's `security.W004`)"),
            None,
        );
    });
}
