use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_true;
use super::deploy::{SECURITY_MW, SetTo, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings with `SecurityMiddleware` and `SECURE_CONTENT_TYPE_NOSNIFF`
    /// not `True` (Django's deploy check `security.W006`).
    ///
    /// ## Why is this bad?
    /// Without `X-Content-Type-Options: nosniff` browsers guess content types, so an uploaded
    /// file served as `text/plain` can run as a script. `True` is Django's default; the fix
    /// restores it.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_CONTENT_TYPE_NOSNIFF = False
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_CONTENT_TYPE_NOSNIFF = True
    /// ```
    ///
    /// ## References
    /// - [Django: X-Content-Type-Options](https://docs.djangoproject.com/en/5.2/ref/middleware/#x-content-type-options-nosniff)
    pub static RULE = {
        code: "DJS106",
        name: "content-type-nosniff-disabled",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W006"], |cx, m| {
        if m.list_has("MIDDLEWARE", SECURITY_MW) != Some(true) {
            return;
        }
        check_value(
            cx,
            m,
            "SECURE_CONTENT_TYPE_NOSNIFF",
            &Value::Bool(true),
            |v| !is_true(v),
            |what| format!("{what}: without `X-Content-Type-Options: nosniff` browsers guess content types, and an uploaded file can run as a script (Django's `security.W006`)"),
            Some(SetTo { value: Value::Bool(true), literal: "True", safe: true }),
        );
    });
}
