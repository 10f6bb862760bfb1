use stacklint_diagnostics::{Fix, Severity};

use super::common::{list_insert, literal_items};
use super::deploy::{XFRAME_MW, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings whose `MIDDLEWARE` lacks
    /// `django.middleware.clickjacking.XFrameOptionsMiddleware` (Django's deploy check
    /// `security.W002`).
    ///
    /// ## Why is this bad?
    /// Without the `X-Frame-Options` header any site can frame the app's pages and trick
    /// users into clicking on them (clickjacking). The fix appends the middleware, where
    /// `startproject` puts it (unsafe: pages that are framed on purpose stop working).
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.middleware.common.CommonMiddleware",
    /// ]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = [
    ///     "django.middleware.security.SecurityMiddleware",
    ///     "django.middleware.common.CommonMiddleware",
    ///     "django.middleware.clickjacking.XFrameOptionsMiddleware",
    /// ]
    /// ```
    ///
    /// ## References
    /// - [Django: clickjacking protection](https://docs.djangoproject.com/en/5.2/ref/clickjacking/)
    pub static RULE = {
        code: "DJS102",
        name: "clickjacking-middleware-missing",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W002"], |cx, m| {
        if m.list_has("MIDDLEWARE", XFRAME_MW) != Some(false) {
            return;
        }
        let (file, range) = m.list_location("MIDDLEWARE");
        let mut d = cx.diagnostic(&file, range, "`django.middleware.clickjacking.XFrameOptionsMiddleware` is not in `MIDDLEWARE`: no `X-Frame-Options` header, any site can frame these pages (Django's `security.W002`)");
        if let Some(list) = m.settings.list("MIDDLEWARE")
            && !list.base.is_conditional()
            && let Some(items) = literal_items(&list.base.value)
            && let Some(edit) = list_insert(m.project, &list.base.value, items.len(), &format!("\"{XFRAME_MW}\""))
        {
            d = d.with_fix(Fix::unsafe_("Append `XFrameOptionsMiddleware` to `MIDDLEWARE`", vec![edit]));
        }
        cx.report(d);
    });
}
