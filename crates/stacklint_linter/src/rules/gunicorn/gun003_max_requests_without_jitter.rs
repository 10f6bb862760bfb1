use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::TargetSource;

use super::{Seen, insert_in, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `max_requests` without `max_requests_jitter`.
    ///
    /// ## Why is this bad?
    /// Workers start together and serve requests at about the same rate, so they reach
    /// `max_requests` together and restart together: for a moment no worker accepts
    /// requests. gunicorn adds a random `randint(0, max_requests_jitter)` to each worker's
    /// limit "to avoid all workers restarting at the same time". The fix adds a jitter of
    /// 5% of `max_requests` (50 for 1000) next to it.
    ///
    /// When `max_requests` is computed from the CPU count and the machine is assumed (no
    /// `[target]`), the fix is unsafe and says so.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// max_requests = 1000
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// max_requests = 1000
    /// max_requests_jitter = 50
    /// ```
    ///
    /// ## References
    /// - [gunicorn: max_requests_jitter](https://docs.gunicorn.org/en/stable/settings.html#max-requests-jitter)
    pub static RULE = {
        code: "GUN003",
        name: "max-requests-without-jitter",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in &project.gunicorn {
        let Some(max) = p.get("max_requests") else { continue };
        let Some(n) = max.value.int_with_cpus(p.target.whole_cpus()) else { continue };
        if n <= 0 || p.get("max_requests_jitter").is_some() || !seen.first(&max.origin.file, max.origin.range) {
            continue;
        }
        let jitter = (n / 20).max(1).to_string();
        let edits = insert_in(p, &max.origin.file, &[("max_requests_jitter", &jitter)]);
        let message = format!("{} without `max_requests_jitter`: workers that started together restart together, and for that moment none serves requests", written(project, max, &max.origin.file));
        let mut d = cx.diagnostic(&max.origin.file, max.origin.range, message);
        if !edits.is_empty() {
            let title = format!("Add `max_requests_jitter = {jitter}` (5% of `max_requests`)");
            // `max_requests` computed from the CPU count, on an assumed machine: so is the jitter.
            let from_cpus = max.value.int_with_cpus(1) != max.value.int_with_cpus(2);
            d = d.with_fix(if from_cpus && p.target.cpus_source == TargetSource::Default {
                Fix::unsafe_(format!("{title}: assumes {} (default target; declare [target])", p.target.cpus_text()), edits)
            } else {
                Fix::safe(title, edits)
            });
        }
        cx.report(d);
    }
}
