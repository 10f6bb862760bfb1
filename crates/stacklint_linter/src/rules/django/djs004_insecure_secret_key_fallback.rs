use stacklint_diagnostics::Severity;
use stacklint_python::{Binding, ConditionKind, Settings, Value};

use super::common::{checked, if_else_rebinds};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `SECRET_KEY` written in the settings: a literal, or a literal fallback of an
    /// environment lookup (`os.environ.get("SECRET_KEY", "django-insecure-...")`).
    ///
    /// ## Why is this bad?
    /// The key is in the repository, so it is public; with a fallback, the app silently runs
    /// with that public key whenever the variable is missing, and anyone can forge sessions,
    /// password-reset links and signed cookies. Read it from the environment without a
    /// fallback so a missing variable stops the app. Settings modules named for development
    /// or tests (`local.py`, `test.py`) are not checked, nor a key set in an `except` handler
    /// of a `try` that includes settings files stacklint cannot read (django-split-settings
    /// `include('/etc/app/settings.py')`): the real key comes from those files, and the
    /// handler's key is a placeholder for when they fail to load.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// import os
    ///
    /// SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-3x#p!k2v9w@l0q$8m&z1r^t7y")
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
    /// - [Django: deployment checklist](https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/#secret-key)
    pub static RULE = {
        code: "DJS004",
        name: "insecure-secret-key-fallback",
        family: Family::DjangoSettings,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in checked(project) {
        // The binding that decides the value, and conditional ones after it.
        let rebinds: Vec<_> = m.settings.bindings("SECRET_KEY").filter(|b| b.keys.is_empty() && b.kind.rebinds()).collect();
        let mut start = rebinds.iter().rposition(|b| !b.is_conditional()).unwrap_or(0);
        // An `if`/`else` after it that assigns in both branches replaces it.
        if rebinds.get(start + 1..).is_some_and(if_else_rebinds) {
            start += 1;
        }
        for b in rebinds.into_iter().skip(start) {
            if handles_unknown_include(m.settings, b) {
                continue;
            }
            let expr = &*b.value;
            if let Some(env) = expr.env() {
                let Some(default) = &env.default else { continue };
                let Some(Value::Str(key)) = default.unset_value() else { continue };
                if key.trim().is_empty() || *default.file != *b.file {
                    continue;
                }
                let var = env.var.as_deref().unwrap_or("environment");
                let message = format!("`SECRET_KEY` falls back to a key written in the settings when the `{var}` variable is unset: the app then runs with a public key, and sessions, password-reset links and signed cookies can be forged; drop the fallback so a missing variable stops the app");
                let d = cx.diagnostic(&b.file, default.range, message);
                cx.report(d);
            } else if let Value::Str(key) = &expr.value
                && !key.trim().is_empty()
            {
                let d = cx.diagnostic(&b.file, expr.range, "`SECRET_KEY` is written in the settings: it is public to anyone who can read the repository, and sessions, password-reset links and signed cookies can be forged; read it from the environment");
                cx.report(d);
            }
        }
    }
}

/// Whether `b` sits in an `except` handler of a `try` whose body (before the handler)
/// includes files the model cannot read.
fn handles_unknown_include(settings: &Settings, b: &Binding) -> bool {
    b.conditions.iter().filter(|c| c.kind == ConditionKind::Except).any(|c| {
        settings.unknown_includes().iter().any(|inc| *inc.file == *c.file && inc.range.start() > c.statement && inc.range.end() <= c.range.start())
    })
}
