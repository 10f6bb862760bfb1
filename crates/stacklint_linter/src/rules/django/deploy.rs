//! Shared by the deploy-checklist rules (DJS1NN = Django's `security.WNNN`): the same
//! conditions as `manage.py check --deploy`, decided on the settings with the environment
//! unset.

use stacklint_diagnostics::Fix;
use stacklint_python::Value;

use super::common::{Module, all_bad, production};
use crate::Checker;

pub(crate) const SECURITY_MW: &str = "django.middleware.security.SecurityMiddleware";
pub(crate) const XFRAME_MW: &str = "django.middleware.clickjacking.XFrameOptionsMiddleware";
pub(crate) const CSRF_MW: &str = "django.middleware.csrf.CsrfViewMiddleware";
pub(crate) const SESSION_MW: &str = "django.contrib.sessions.middleware.SessionMiddleware";
pub(crate) const SESSION_APP: &str = "django.contrib.sessions";

/// How a rule fixes a bad value.
pub(crate) struct SetTo {
    pub value: Value,
    pub literal: &'static str,
    pub safe: bool,
}

/// Report `name` on `m` when every possible value is `bad`. `message` gets the description
/// of the value ("`X` is `False`"); the fix, when given, sets the value.
pub(crate) fn check_value(cx: &mut Checker, m: &Module<'_>, name: &str, default: &Value, bad: impl Fn(&Value) -> bool, message: impl Fn(String) -> String, fix: Option<SetTo>) -> bool {
    let Some(alts) = m.alternatives(name) else { return false };
    let Some(alt) = all_bad(&alts, default, bad) else { return false };
    let (file, range) = m.location(alt);
    let mut d = cx.diagnostic(&file, range, message(alt.describe(name, default)));
    if let Some(SetTo { value, literal, safe }) = fix
        && let Some(edits) = m.set_value(&alts, name, &value, literal)
    {
        let title = format!("Set `{name}` to `{literal}`");
        d = d.with_fix(if safe { Fix::safe(title, edits) } else { Fix::unsafe_(title, edits) });
    }
    cx.report(d);
    true
}

/// Run `f` on every production settings module that has not silenced all of `ids`.
pub(crate) fn each_production(cx: &mut Checker, ids: &[&str], mut f: impl FnMut(&mut Checker, &Module<'_>)) {
    let project = cx.project();
    for m in production(project) {
        if !m.all_silenced(ids) {
            f(cx, &m);
        }
    }
}

/// The HSTS checks (W004/W005/W021) need the security middleware and `SECURE_HSTS_SECONDS`
/// set: `Some(true)` when both are known to hold.
pub(crate) fn hsts_enabled(m: &Module<'_>) -> bool {
    if m.list_has("MIDDLEWARE", SECURITY_MW) != Some(true) {
        return false;
    }
    let Some(alts) = m.alternatives("SECURE_HSTS_SECONDS") else { return false };
    !alts.is_empty() && alts.iter().all(|a| stacklint_python::truthy(a.value(&Value::Int(0))) == Some(true))
}
