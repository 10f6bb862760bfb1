use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::deploy::{SECURITY_MW, SetTo, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings with `SecurityMiddleware` and `SECURE_REFERRER_POLICY =
    /// None` (Django's deploy check `security.W022`).
    ///
    /// ## Why is this bad?
    /// Without a `Referrer-Policy` header browsers may send full URLs, query strings
    /// included, to other sites. `"same-origin"` is Django's default; the fix restores it.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_REFERRER_POLICY = None
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_REFERRER_POLICY = "same-origin"
    /// ```
    ///
    /// ## References
    /// - [Django: Referrer-Policy](https://docs.djangoproject.com/en/5.2/ref/middleware/#referrer-policy)
    pub static RULE = {
        code: "DJS122",
        name: "referrer-policy-missing",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W022"], |cx, m| {
        if m.list_has("MIDDLEWARE", SECURITY_MW) != Some(true) {
            return;
        }
        check_value(
            cx,
            m,
            "SECURE_REFERRER_POLICY",
            &Value::Str("same-origin".to_owned()),
            |v| *v == Value::None,
            |what| format!("{what}: no `Referrer-Policy` header, so browsers may send full URLs, query strings included, to other sites (Django's `security.W022`)"),
            Some(SetTo { value: Value::Str("same-origin".to_owned()), literal: "\"same-origin\"", safe: true }),
        );
    });
}
