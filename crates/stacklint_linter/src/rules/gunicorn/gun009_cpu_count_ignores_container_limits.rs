use stacklint_diagnostics::Severity;
use stacklint_project::gunicorn::SettingValue;

use super::{Seen, cpus_text};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `multiprocessing.cpu_count()` / `os.cpu_count()` in the config of a gunicorn
    /// that runs in a container.
    ///
    /// ## Why is this bad?
    /// `cpu_count()` returns the CPUs of the host, not the container's CPU limit (a cgroup
    /// quota that `cpu_count()` does not read; `os.process_cpu_count()` of Python 3.13 does
    /// not read it either). On a 32-CPU host `cpu_count() * 2 + 1` starts 65 workers in a
    /// container limited to 2 CPUs: memory runs out and the workers fight over the quota.
    /// The worker count should come from the target the container is given (a literal, or
    /// `WEB_CONCURRENCY` set by the deployment).
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// import multiprocessing
    ///
    /// workers = multiprocessing.cpu_count() * 2 + 1
    /// ```
    ///
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "-c", "gunicorn.conf.py", "app.wsgi"]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// import os
    ///
    /// workers = int(os.environ.get("WEB_CONCURRENCY", 9))
    /// ```
    ///
    /// ```dockerfile path=Dockerfile
    /// FROM python:3.12-slim
    /// CMD ["gunicorn", "-c", "gunicorn.conf.py", "app.wsgi"]
    /// ```
    ///
    /// ## References
    /// - [Python: os.cpu_count](https://docs.python.org/3/library/os.html#os.cpu_count)
    /// - [gunicorn: workers](https://docs.gunicorn.org/en/stable/settings.html#workers)
    pub static RULE = {
        code: "GUN009",
        name: "cpu-count-ignores-container-limits",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in project.gunicorn.iter().filter(|p| p.in_container) {
        for call in &p.cpu_count_calls {
            if !seen.first(&call.file, call.range) {
                continue;
            }
            let text = project.file(&call.file).map_or("cpu_count()", |f| call.range.slice(&f.text));
            let workers = p.get("workers").filter(|s| matches!(&s.value, SettingValue::FromCpuCount { call_range, .. } if *call_range == call.range));
            let effect = match workers.map(|s| &s.value) {
                Some(SettingValue::FromCpuCount { linear: Some((a, b)), .. }) => {
                    format!(": `workers` becomes {a} × host CPUs + {b} ({} on a 32-CPU host), whatever the container's limit; size it for {}", a * 32 + b, cpus_text(p))
                }
                _ => format!(", whatever the container's limit; size for {}", cpus_text(p)),
            };
            let message = format!("`{text}` counts the host's CPUs, not the container's CPU limit{effect}");
            cx.report(cx.diagnostic(&call.file, call.range, message));
        }
    }
}
