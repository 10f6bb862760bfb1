use stacklint_diagnostics::{Fix, Severity};
use stacklint_python::Value;

use super::common::{list_insert, literal_items};
use super::deploy::{CSRF_MW, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings whose `MIDDLEWARE` lacks
    /// `django.middleware.csrf.CsrfViewMiddleware` (Django's deploy check `security.W003`).
    ///
    /// ## Why is this bad?
    /// Without it no view is protected against cross-site request forgery unless it is
    /// decorated with `csrf_protect` one by one. The fix inserts it before
    /// `AuthenticationMiddleware` (or at the end), as in `startproject` (unsafe: forms and
    /// API clients that post without a token start to get 403s).
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.contrib.auth.middleware.AuthenticationMiddleware",
    /// ]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.middleware.csrf.CsrfViewMiddleware",
    ///     "django.contrib.auth.middleware.AuthenticationMiddleware",
    /// ]
    /// ```
    ///
    /// ## References
    /// - [Django: CSRF protection](https://docs.djangoproject.com/en/5.2/ref/csrf/)
    pub static RULE = {
        code: "DJS103",
        name: "csrf-middleware-missing",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W003"], |cx, m| {
        if m.list_has("MIDDLEWARE", CSRF_MW) != Some(false) {
            return;
        }
        let (file, range) = m.list_location("MIDDLEWARE");
        let mut d = cx.diagnostic(&file, range, "`django.middleware.csrf.CsrfViewMiddleware` is not in `MIDDLEWARE`: views are not protected against cross-site request forgery (Django's `security.W003`)");
        if let Some(list) = m.settings.list("MIDDLEWARE")
            && !list.base.is_conditional()
            && let Some(items) = literal_items(&list.base.value)
        {
            let auth = items.iter().position(|i| i.unset_value() == Some(Value::Str("django.contrib.auth.middleware.AuthenticationMiddleware".to_owned())));
            if let Some(edit) = list_insert(m.project, &list.base.value, auth.unwrap_or(items.len()), &format!("\"{CSRF_MW}\"")) {
                d = d.with_fix(Fix::unsafe_("Add `CsrfViewMiddleware` to `MIDDLEWARE`", vec![edit]));
            }
        }
        cx.report(d);
    });
}
