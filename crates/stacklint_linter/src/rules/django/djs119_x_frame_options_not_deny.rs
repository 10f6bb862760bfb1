use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::deploy::{SetTo, XFRAME_MW, check_value, each_production};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports production settings with `XFrameOptionsMiddleware` and `X_FRAME_OPTIONS` other
    /// than `"DENY"` (Django's deploy check `security.W019`).
    ///
    /// ## Why is this bad?
    /// `SAMEORIGIN` lets any page of the site frame any other, so one page that renders user
    /// content can be used for clickjacking. `"DENY"` is Django's default; the fix is unsafe
    /// because pages framed on purpose stop working.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.clickjacking.XFrameOptionsMiddleware"]
    /// X_FRAME_OPTIONS = "SAMEORIGIN"
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// MIDDLEWARE = ["django.middleware.clickjacking.XFrameOptionsMiddleware"]
    /// X_FRAME_OPTIONS = "DENY"
    /// ```
    ///
    /// ## References
    /// - [Django: clickjacking protection](https://docs.djangoproject.com/en/5.2/ref/clickjacking/)
    pub static RULE = {
        code: "DJS119",
        name: "x-frame-options-not-deny",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W019"], |cx, m| {
        if m.list_has("MIDDLEWARE", XFRAME_MW) != Some(true) {
            return;
        }
        let deny = Value::Str("DENY".to_owned());
        check_value(
            cx,
            m,
            "X_FRAME_OPTIONS",
            &deny,
            |v| *v != deny,
            |what| format!("{what}: other pages of the site can frame these pages, so one page with user content is enough for clickjacking (Django's `security.W019`)"),
            Some(SetTo { value: deny.clone(), literal: "\"DENY\"", safe: false }),
        );
    });
}
