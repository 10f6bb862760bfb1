use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::{Alt, all_bad};
use super::deploy::each_production;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a production `SECRET_KEY` that Django's deploy check calls weak
    /// (`security.W009`): shorter than 50 characters, fewer than 5 distinct characters, or
    /// starting with `django-insecure-` (the key `startproject` generates for development).
    /// A key read from the environment is judged by its
    /// fallback; a lookup without a usable fallback (`os.environ["SECRET_KEY"]`, or a
    /// default of `None`/`""`, with which Django refuses to sign anything) is not reported.
    ///
    /// ## Why is this bad?
    /// The secret key signs sessions, password-reset tokens and messages; a short or
    /// well-known key can be brute-forced or is already public.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// SECRET_KEY = "django-insecure-k2v9w@l0q$8m&z1r^t7yx#p!"
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// import os
    ///
    /// SECRET_KEY = os.environ["SECRET_KEY"]
    /// ```
    ///
    /// ## References
    /// - [Django: SECRET_KEY](https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key)
    pub static RULE = {
        code: "DJS109",
        name: "weak-secret-key",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// Why Django's `_check_secret_key` rejects a key, if it does.
pub(crate) fn weakness(v: &Value) -> Option<String> {
    let Value::Str(key) = v else { return None };
    let len = key.chars().count();
    let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
    if key.starts_with("django-insecure-") {
        Some("starts with `django-insecure-` (the key `startproject` generates for development)".to_owned())
    } else if len < 50 {
        Some(format!("has {len} characters (Django wants at least 50)"))
    } else if distinct < 5 {
        Some(format!("has {distinct} distinct characters (Django wants at least 5)"))
    } else {
        None
    }
}

fn check(cx: &mut Checker) {
    each_production(cx, &["security.W009"], |cx, m| {
        let Some(alts) = m.alternatives("SECRET_KEY") else { return };
        // An environment lookup that falls back to nothing fails closed: not reported.
        if alts.iter().any(|a| matches!(a, Alt::Set { env: Some(_), value: Value::None, .. }) || matches!(a, Alt::Set { env: Some(_), value: Value::Str(s), .. } if s.is_empty())) {
            return;
        }
        let empty = Value::Str(String::new());
        let Some(alt) = all_bad(&alts, &empty, |v| weakness(v).is_some() || matches!(v, Value::None)) else { return };
        let reason = weakness(alt.value(&empty)).unwrap_or_else(|| "is empty".to_owned());
        let what = match alt {
            Alt::Default => "`SECRET_KEY` is not set".to_owned(),
            Alt::Set { env: Some(env), .. } => format!("`SECRET_KEY` falls back to a literal key when the `{}` variable is unset, and that key", env.var.as_deref().unwrap_or("environment")),
            Alt::Set { .. } => "`SECRET_KEY`".to_owned(),
        };
        let (file, range) = m.location(alt);
        let message = if matches!(alt, Alt::Default) {
            format!("{what}: sessions, password-reset tokens and signed data have no secret (Django's `security.W009`)")
        } else {
            format!("{what} {reason}: sessions, password-reset tokens and signed data can be forged (Django's `security.W009`)")
        };
        let d = cx.diagnostic(&file, range, message);
        cx.report(d);
    });
}
