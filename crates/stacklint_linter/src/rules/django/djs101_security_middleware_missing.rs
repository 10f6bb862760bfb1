use stacklint_diagnostics::{Fix, Severity};

use super::common::{list_insert, literal_items};
use super::deploy::{SECURITY_MW, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings whose `MIDDLEWARE` lacks
    /// `django.middleware.security.SecurityMiddleware` (Django's deploy check `security.W001`).
    ///
    /// ## Why is this bad?
    /// The security middleware is what sends HSTS, `X-Content-Type-Options: nosniff`,
    /// `Referrer-Policy` and `Cross-Origin-Opener-Policy`, and what redirects HTTP to HTTPS.
    /// Without it `SECURE_HSTS_SECONDS`, `SECURE_CONTENT_TYPE_NOSNIFF`,
    /// `SECURE_REFERRER_POLICY`, `SECURE_CROSS_ORIGIN_OPENER_POLICY` and
    /// `SECURE_SSL_REDIRECT` do nothing. The fix puts it first (unsafe: those settings start
    /// to apply, `SECURE_SSL_REDIRECT` included).
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.contrib.sessions.middleware.SessionMiddleware",
    ///     "django.middleware.common.CommonMiddleware",
    /// ]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.contrib.sessions.middleware.SessionMiddleware",
    ///     "django.middleware.common.CommonMiddleware",
    /// ]
    /// ```
    ///
    /// ## References
    /// - [Django: SecurityMiddleware](https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security)
    /// - [Django: deployment checklist](https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/)
    pub static RULE = {
        code: "DJS101",
        name: "security-middleware-missing",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W001"], |cx, m| {
        if m.list_has("MIDDLEWARE", SECURITY_MW) != Some(false) {
            return;
        }
        let (file, range) = m.list_location("MIDDLEWARE");
        let mut d = cx.diagnostic(
            &file,
            range,
            "`django.middleware.security.SecurityMiddleware` is not in `MIDDLEWARE`: HSTS, nosniff, referrer-policy, COOP and SSL-redirect settings have no effect (Django's `security.W001`)",
        );
        if let Some(list) = m.settings.list("MIDDLEWARE")
            && !list.base.is_conditional()
            && literal_items(&list.base.value).is_some()
            && let Some(edit) = list_insert(m.project, &list.base.value, 0, &format!("\"{SECURITY_MW}\""))
        {
            d = d.with_fix(Fix::unsafe_("Add `SecurityMiddleware` at the top of `MIDDLEWARE`", vec![edit]));
        }
        cx.report(d);
    });
}
