use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::gunicorn::{SettingValue, Written};

use super::Seen;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `workers: 4` in a gunicorn config file: an annotation, not an assignment.
    ///
    /// ## Why is this bad?
    /// In Python `name: value` only annotates `name` with the expression `value`; nothing
    /// is bound, so the module has no `workers` and gunicorn, which reads the module's
    /// names, keeps the default (1 worker). It looks like YAML or a dict entry and passes
    /// every syntax check. The fix writes `workers = 4`.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// workers: 4
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// workers = 4
    /// ```
    ///
    /// ## References
    /// - [Python: Annotated assignment statements](https://docs.python.org/3/reference/simple_stmts.html#annotated-assignment-statements)
    /// - [gunicorn: Configuration file](https://docs.gunicorn.org/en/stable/configure.html#configuration-file)
    pub static RULE = {
        code: "GUN011",
        name: "setting-annotated-not-assigned",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::Safe,
        check: check,
    }
}

/// An annotation that is a type (`workers: int`), not a value someone meant to assign.
fn is_type(value: &SettingValue) -> bool {
    let SettingValue::Expr(e) = value else { return false };
    let head = e.split(['[', '|', ' ']).next().unwrap_or("").trim();
    let last = head.rsplit('.').next().unwrap_or(head);
    matches!(last, "int" | "str" | "bool" | "float" | "list" | "dict" | "tuple" | "set" | "bytes" | "None") || last.chars().next().is_some_and(char::is_uppercase)
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in &project.gunicorn {
        for s in p.settings.iter().filter(|s| s.origin.written == Written::PyAnnotationOnly) {
            if is_type(&s.value) || !seen.first(&s.origin.file, s.origin.range) {
                continue;
            }
            let name = s.name;
            let raw = &s.origin.value_raw;
            let default = s.info().map_or("", |i| i.default);
            let message = format!("`{name}: {raw}` is an annotation, not an assignment: gunicorn never sees it and uses the default `{name}` ({default})");
            let mut d = cx.diagnostic(&s.origin.file, s.origin.range, message);
            if let Some(edit) = s.annotation_to_assignment() {
                d = d.with_fix(Fix::safe(format!("Assign: `{name} = {raw}`"), vec![edit]));
            }
            cx.report(d);
        }
    }
}
