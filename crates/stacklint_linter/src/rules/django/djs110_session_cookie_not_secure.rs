use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_true;
use super::deploy::{SESSION_APP, SESSION_MW, SetTo, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings that use sessions (`django.contrib.sessions` installed
    /// and/or `SessionMiddleware` in `MIDDLEWARE`) with `SESSION_COOKIE_SECURE` not `True`
    /// (Django's deploy checks `security.W010`, `security.W011`, `security.W012`).
    ///
    /// ## Why is this bad?
    /// The session cookie is sent over plain HTTP too, where anyone on the network can read
    /// it and take over the session. The fix is unsafe: a site still served over HTTP loses
    /// its sessions.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// INSTALLED_APPS = ["django.contrib.sessions"]
    /// MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// INSTALLED_APPS = ["django.contrib.sessions"]
    /// MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
    /// SESSION_COOKIE_SECURE = True
    /// ```
    ///
    /// ## References
    /// - [Django: SESSION_COOKIE_SECURE](https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-secure)
    pub static RULE = {
        code: "DJS110",
        name: "session-cookie-not-secure",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

/// The id Django reports for a session-cookie check: `first` (app only), `first + 1`
/// (middleware only) or `first + 2` (both); `None` when sessions are not used or unknown.
pub(crate) fn session_check_id(m: &super::common::Module<'_>, first: u32) -> Option<String> {
    let app = m.list_has("INSTALLED_APPS", SESSION_APP)?;
    let mw = m.list_has("MIDDLEWARE", SESSION_MW)?;
    let n = match (app, mw) {
        (true, true) => first + 2,
        (true, false) => first,
        (false, true) => first + 1,
        (false, false) => return None,
    };
    Some(format!("security.W{n:03}"))
}

fn check(cx: &mut Checker) {
    each_production(cx, &[], |cx, m| {
        let Some(id) = session_check_id(m, 10) else { return };
        if m.silenced(&id) {
            return;
        }
        check_value(
            cx,
            m,
            "SESSION_COOKIE_SECURE",
            &Value::Bool(false),
            |v| !is_true(v),
            |what| format!("{what}: the session cookie is also sent over plain HTTP, where it can be read and the session taken over (Django's `{id}`)"),
            Some(SetTo { value: Value::Bool(true), literal: "True", safe: false }),
        );
    });
}
