use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::{is_true, is_truthy};
use super::deploy::{CSRF_MW, SetTo, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings with `CsrfViewMiddleware`, CSRF tokens in a cookie
    /// (`CSRF_USE_SESSIONS` false) and `CSRF_COOKIE_SECURE` not `True` (Django's deploy
    /// check `security.W016`).
    ///
    /// ## Why is this bad?
    /// The CSRF cookie is also sent over plain HTTP, where a network attacker can read or
    /// set it. The fix is unsafe: a site still served over HTTP can no longer post forms.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
    /// CSRF_COOKIE_SECURE = True
    /// ```
    ///
    /// ## References
    /// - [Django: CSRF_COOKIE_SECURE](https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-cookie-secure)
    pub static RULE = {
        code: "DJS116",
        name: "csrf-cookie-not-secure",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W016"], |cx, m| {
        if m.list_has("MIDDLEWARE", CSRF_MW) != Some(true) {
            return;
        }
        let Some(sessions) = m.alternatives("CSRF_USE_SESSIONS") else { return };
        if sessions.iter().any(|a| is_truthy(a.value(&Value::Bool(false)))) {
            return;
        }
        check_value(
            cx,
            m,
            "CSRF_COOKIE_SECURE",
            &Value::Bool(false),
            |v| !is_true(v),
            |what| format!("{what}: the CSRF cookie is also sent over plain HTTP, where it can be read or replaced (Django's `security.W016`)"),
            Some(SetTo { value: Value::Bool(true), literal: "True", safe: false }),
        );
    });
}
