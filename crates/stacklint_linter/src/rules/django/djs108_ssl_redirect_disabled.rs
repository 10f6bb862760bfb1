use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::is_true;
use super::deploy::{SECURITY_MW, SetTo, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings with `SecurityMiddleware` and `SECURE_SSL_REDIRECT` not
    /// `True` (Django's deploy check `security.W008`), unless an nginx server of the project
    /// listening on port 80 already redirects every request to `https://`.
    ///
    /// ## Why is this bad?
    /// Plain-HTTP requests are answered over plain HTTP, cookies and all. Behind a proxy that
    /// terminates TLS, Django also needs `SECURE_PROXY_SSL_HEADER`, or every request looks
    /// like HTTP and redirects forever, so the fix is unsafe.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// SECURE_SSL_REDIRECT = True
    /// SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    /// ```
    ///
    /// ## References
    /// - [Django: SSL redirect](https://docs.djangoproject.com/en/5.2/ref/middleware/#ssl-redirect)
    /// - [Django: SECURE_PROXY_SSL_HEADER](https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header)
    pub static RULE = {
        code: "DJS108",
        name: "ssl-redirect-disabled",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    if project.nginx.https_redirect(project).is_some() {
        return;
    }
    each_production(cx, &["security.W008"], |cx, m| {
        if m.list_has("MIDDLEWARE", SECURITY_MW) != Some(true) {
            return;
        }
        check_value(
            cx,
            m,
            "SECURE_SSL_REDIRECT",
            &Value::Bool(false),
            |v| !is_true(v),
            |what| format!("{what} and no nginx server of the project redirects HTTP to HTTPS: plain-HTTP requests are served over HTTP, cookies included (Django's `security.W008`); behind a TLS proxy also set `SECURE_PROXY_SSL_HEADER`"),
            Some(SetTo { value: Value::Bool(true), literal: "True", safe: false }),
        );
    });
}
