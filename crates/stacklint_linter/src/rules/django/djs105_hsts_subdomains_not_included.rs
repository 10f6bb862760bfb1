use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_true;
use super::deploy::{check_value, each_production, hsts_enabled};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings that send HSTS without `SECURE_HSTS_INCLUDE_SUBDOMAINS = True`
    /// (Django's deploy check `security.W005`).
    ///
    /// ## Why is this bad?
    /// Subdomains stay reachable over plain HTTP, where an attacker can set cookies for the
    /// parent domain. Including subdomains commits every subdomain to HTTPS for the HSTS
    /// lifetime, so it is a decision, not an automatic fix.
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
    /// SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    /// ```
    ///
    /// ## References
    /// - [Django: SECURE_HSTS_INCLUDE_SUBDOMAINS](https://docs.djangoproject.com/en/5.2/ref/settings/#secure-hsts-include-subdomains)
    pub static RULE = {
        code: "DJS105",
        name: "hsts-subdomains-not-included",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W005"], |cx, m| {
        if !hsts_enabled(m) {
            return;
        }
        check_value(
            cx,
            m,
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            &Value::Bool(false),
            |v| !is_true(v),
            |what| format!("{what}: HSTS does not cover subdomains, which stay reachable over plain HTTP and can set cookies for this domain (Django's `security.W005`)"),
            None,
        );
    });
}
