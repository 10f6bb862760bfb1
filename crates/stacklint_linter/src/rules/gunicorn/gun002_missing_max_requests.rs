use stacklint_diagnostics::{Fix, Severity};

use super::{Seen, insert_in, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a gunicorn server without `max_requests`: its workers are never recycled.
    /// When the command reads a config file (`-c`, or `./gunicorn.conf.py`), the finding
    /// is reported in that file, where the fix adds the setting, with the command line as
    /// the related location.
    ///
    /// ## Why is this bad?
    /// `max_requests` (default 0: disabled) restarts a worker after that many requests,
    /// gunicorn's documented defence against memory leaks in the app or its libraries.
    /// Without it a leaking worker grows until the kernel's OOM killer or the container's
    /// memory limit ends it, with the requests it was serving. The fix adds
    /// `max_requests = 1000` and `max_requests_jitter = 50` (so workers do not all restart
    /// at once), where the process is configured: its config file, or its command line.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// workers = 9
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// workers = 9
    /// max_requests = 1000
    /// max_requests_jitter = 50
    /// ```
    ///
    /// ## References
    /// - [gunicorn: max_requests](https://docs.gunicorn.org/en/stable/settings.html#max-requests)
    /// - [gunicorn: max_requests_jitter](https://docs.gunicorn.org/en/stable/settings.html#max-requests-jitter)
    pub static RULE = {
        code: "GUN002",
        name: "missing-max-requests",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in &project.gunicorn {
        let existing = p.get("max_requests");
        // `max_requests = 0` is gunicorn's default: disabled
        let zero = existing.filter(|s| s.value.as_int() == Some(0));
        if existing.is_some() && zero.is_none() {
            continue;
        }
        // A missing setting is reported where the fix adds it (the config file the command
        // reads), with the command line beside it.
        let (site, command) = p.missing_setting_site();
        let (file, range) = zero.map_or((&site.file, site.range), |s| (&s.origin.file, s.origin.range));
        if !seen.first(file, range) {
            continue;
        }
        let jitter = if p.get("max_requests_jitter").is_none() { vec![("max_requests_jitter", "50")] } else { Vec::new() };
        let edits = match zero {
            Some(s) => s.replace_value("1000").map(|e| std::iter::once(e).chain(insert_in(p, &s.origin.file, &jitter)).collect()).unwrap_or_default(),
            None => p.insert_settings(&[&[("max_requests", "1000")], jitter.as_slice()].concat()),
        };
        let what = zero.map_or_else(|| "no `max_requests`".to_owned(), |s| format!("{} disables recycling", written(project, s, &s.origin.file)));
        let mut d = cx.diagnostic(file, range, format!("{what}: workers are never recycled, so a worker that leaks memory grows until it is killed mid-request"));
        if let (None, Some(c)) = (zero, command) {
            d = d.with_related(&c.file, c.range, "the command that reads this config file");
        }
        if !edits.is_empty() {
            let title = match (zero.is_some(), jitter.is_empty()) {
                (false, false) => "Add `max_requests = 1000` and `max_requests_jitter = 50`",
                (false, true) => "Add `max_requests = 1000`",
                (true, false) => "Set `max_requests` to 1000 and add `max_requests_jitter = 50`",
                (true, true) => "Set `max_requests` to 1000",
            };
            d = d.with_fix(Fix::safe(title, edits));
        }
        cx.report(d);
    }
}
