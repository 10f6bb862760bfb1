use stacklint_diagnostics::Severity;
use stacklint_python::Value;

use super::common::production;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `"*"` in the production `ALLOWED_HOSTS`, also as the fallback of an
    /// environment lookup (`os.environ.get("ALLOWED_HOSTS", "*").split(",")`).
    ///
    /// ## Why is this bad?
    /// Django then trusts any `Host` header: password-reset emails and absolute URLs can be
    /// built with an attacker's host name (host-header poisoning), and cache entries keyed
    /// by host can be poisoned. List the site's host names.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// import os
    ///
    /// ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "*").split(",")
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// import os
    ///
    /// ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "www.example.com").split(",")
    /// ```
    ///
    /// ## References
    /// - [Django: ALLOWED_HOSTS](https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts)
    /// - [Django: host header validation](https://docs.djangoproject.com/en/5.2/topics/security/#host-headers-virtual-hosting)
    pub static RULE = {
        code: "DJS005",
        name: "allowed-hosts-wildcard",
        family: Family::DjangoSettings,
        scope: Scope::FileProduction,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

const WHY: &str = "Django trusts any `Host` header, so password-reset links and absolute URLs can be built with an attacker's host name; list the site's host names";

fn check(cx: &mut Checker) {
    let project = cx.project();
    for m in production(project) {
        // `ALLOWED_HOSTS = env.list(...)` / `.split(",")`: the whole value is a lookup.
        if let Some(b) = m.settings.get("ALLOWED_HOSTS")
            && b.value.env().is_some()
        {
            if let Some(b) = m.settings.get("ALLOWED_HOSTS")
                && !b.is_conditional()
                && let Some(env) = b.value.env()
                && let Some(Value::List(items) | Value::Tuple(items)) = b.value.unset_value()
                && items.iter().any(|i| i.as_str() == Some("*"))
            {
                let var = env.var.as_deref().unwrap_or("environment");
                let d = cx.diagnostic(&b.value.file, b.value.range, format!("`ALLOWED_HOSTS` defaults to `[\"*\"]` when the `{var}` variable is unset: {WHY}"));
                cx.report(d);
            }
            continue;
        }
        let Some(list) = m.settings.list("ALLOWED_HOSTS") else { continue };
        for item in &list.items {
            if item.conditional {
                continue;
            }
            match item.expr.env() {
                Some(env) if item.expr.unset_value() == Some(Value::Str("*".to_owned())) => {
                    let var = env.var.as_deref().unwrap_or("environment");
                    let d = cx.diagnostic(&item.expr.file, item.expr.range, format!("`ALLOWED_HOSTS` holds `\"*\"` when the `{var}` variable is unset: {WHY}"));
                    cx.report(d);
                }
                None if item.expr.as_str() == Some("*") => {
                    let d = cx.diagnostic(&item.expr.file, item.expr.range, format!("`ALLOWED_HOSTS` holds `\"*\"`: {WHY}"));
                    cx.report(d);
                }
                _ => {}
            }
        }
    }
}
