use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_true;
use super::deploy::{SetTo, check_value, each_production};
use super::djs110_session_cookie_not_secure::session_check_id;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings that use sessions with `SESSION_COOKIE_HTTPONLY` not
    /// `True` (Django's deploy checks `security.W013`, `security.W014`, `security.W015`).
    ///
    /// ## Why is this bad?
    /// JavaScript can read the session cookie, so one XSS bug leaks every visitor's session.
    /// `True` is Django's default; the fix restores it.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// INSTALLED_APPS = ["django.contrib.sessions"]
    /// SESSION_COOKIE_SECURE = True
    /// SESSION_COOKIE_HTTPONLY = False
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// INSTALLED_APPS = ["django.contrib.sessions"]
    /// SESSION_COOKIE_SECURE = True
    /// SESSION_COOKIE_HTTPONLY = True
    /// ```
    ///
    /// ## References
    /// - [Django: SESSION_COOKIE_HTTPONLY](https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-httponly)
    pub static RULE = {
        code: "DJS113",
        name: "session-cookie-not-httponly",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &[], |cx, m| {
        let Some(id) = session_check_id(m, 13) else { return };
        if m.silenced(&id) {
            return;
        }
        check_value(
            cx,
            m,
            "SESSION_COOKIE_HTTPONLY",
            &Value::Bool(true),
            |v| !is_true(v),
            |what| format!("{what}: JavaScript can read the session cookie, so one XSS bug leaks sessions (Django's `{id}`)"),
            Some(SetTo { value: Value::Bool(true), literal: "True", safe: true }),
        );
    });
}
