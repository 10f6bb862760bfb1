use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::gunicorn::WorkerKind;

use super::{Seen, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports the worker class `uvicorn.workers.UvicornWorker` (and
    /// `uvicorn.workers.UvicornH11Worker`), deprecated by uvicorn.
    ///
    /// ## Why is this bad?
    /// uvicorn deprecated its `uvicorn.workers` module (0.30) in favour of the separate
    /// `uvicorn-worker` package, which gets the fixes; the old module logs a deprecation
    /// warning at start and is scheduled for removal, at which point gunicorn fails to
    /// import the worker class and exits. The fix writes `uvicorn_worker.UvicornWorker`;
    /// it is unsafe because the `uvicorn-worker` package must be installed too.
    ///
    /// ## Example
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "app.main:app", "-k", "uvicorn_worker.UvicornWorker"]
    /// ```
    ///
    /// ## References
    /// - [uvicorn: Deployment with Gunicorn](https://www.uvicorn.org/deployment/#gunicorn)
    /// - [uvicorn-worker](https://github.com/Kludex/uvicorn-worker)
    pub static RULE = {
        code: "GUN006",
        name: "deprecated-uvicorn-worker",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in &project.gunicorn {
        for s in p.get_all("worker_class") {
            let Some(value) = s.value.as_str() else { continue };
            if WorkerKind::parse(value) != (WorkerKind::Uvicorn { deprecated: true }) || !seen.first(&s.origin.file, s.origin.range) {
                continue;
            }
            let class = value.trim().rsplit('.').next().unwrap_or("UvicornWorker");
            let replacement = format!("uvicorn_worker.{class}");
            let message = format!("{} is deprecated: uvicorn moved its gunicorn workers to the `uvicorn-worker` package (`{replacement}`)", written(project, s, &s.origin.file));
            // On a command line the finding covers the command (the worker class is one of its
            // words); in a config file it is the assignment itself.
            let mut d = if p.anchor.file == s.origin.file && p.anchor.range.contains_range(s.origin.range) {
                cx.diagnostic(&p.anchor.file, p.anchor.range, message).with_related(&s.origin.file, s.origin.range, "the worker class")
            } else {
                cx.diagnostic(&s.origin.file, s.origin.range, message)
            };
            if let Some(edit) = s.replace_value(&replacement) {
                d = d.with_fix(Fix::unsafe_(format!("Use `{replacement}` (install `uvicorn-worker`)"), vec![edit]));
            }
            cx.report(d);
        }
    }
}
