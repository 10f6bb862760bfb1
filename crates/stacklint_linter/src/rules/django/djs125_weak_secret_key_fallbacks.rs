use stacklint_diagnostics::Severity;

use super::deploy::each_production;
use super::djs109_weak_secret_key::weakness;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports each entry of a production `SECRET_KEY_FALLBACKS` that Django's deploy check
    /// calls weak (`security.W025`): shorter than 50 characters, fewer than 5 distinct
    /// characters, or starting with `django-insecure-`.
    ///
    /// ## Why is this bad?
    /// Django still accepts signatures made with every fallback key: a weak old key keeps
    /// sessions and password-reset tokens forgeable until it is removed.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// import os
    ///
    /// SECRET_KEY = os.environ["SECRET_KEY"]
    /// SECRET_KEY_FALLBACKS = ["old-key"]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// import os
    ///
    /// SECRET_KEY = os.environ["SECRET_KEY"]
    /// SECRET_KEY_FALLBACKS = [os.environ["OLD_SECRET_KEY"]]
    /// ```
    ///
    /// ## References
    /// - [Django: SECRET_KEY_FALLBACKS](https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key-fallbacks)
    pub static RULE = {
        code: "DJS125",
        name: "weak-secret-key-fallbacks",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W025"], |cx, m| {
        let Some(list) = m.settings.list("SECRET_KEY_FALLBACKS") else { return };
        if list.base.is_conditional() || !list.conditional_reassignments.is_empty() {
            return;
        }
        for item in &list.items {
            let Some(value) = item.expr.unset_value() else { continue };
            let Some(reason) = weakness(&value) else { continue };
            let how = if item.expr.env().is_some() { "falls back to a literal key that" } else { "" };
            let message = format!("`SECRET_KEY_FALLBACKS[{}]` {how}{}{reason}: signatures made with it are still accepted, so sessions and tokens can be forged (Django's `security.W025`)", item.index, if how.is_empty() { "" } else { " " });
            let d = cx.diagnostic(&item.expr.file, item.expr.range, message);
            cx.report(d);
        }
    });
}
