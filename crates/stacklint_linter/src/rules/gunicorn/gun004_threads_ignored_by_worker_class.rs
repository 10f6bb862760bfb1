use stacklint_diagnostics::{Fix, Severity};

use super::{Seen, removal, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `threads` above 1 with a worker class that ignores it: anything but `sync`
    /// (which becomes `gthread` when `threads` > 1) and `gthread`.
    ///
    /// ## Why is this bad?
    /// gunicorn's docs say `threads` "only affects the Gthread worker type". With gevent,
    /// eventlet, tornado or an ASGI worker each worker is a single OS thread running an
    /// event loop: concurrency comes from `worker_connections` (gevent/eventlet) or the
    /// loop, and the `threads` line only misleads whoever sizes the database or cache
    /// pools from it. The fix removes `threads`; it is unsafe because the author may have
    /// meant the gthread worker instead.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// worker_class = "gevent"
    /// threads = 4
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// worker_class = "gevent"
    /// worker_connections = 1000
    /// ```
    ///
    /// ## References
    /// - [gunicorn: threads](https://docs.gunicorn.org/en/stable/settings.html#threads)
    /// - [gunicorn: worker_connections](https://docs.gunicorn.org/en/stable/settings.html#worker-connections)
    pub static RULE = {
        code: "GUN004",
        name: "threads-ignored-by-worker-class",
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
        let kind = p.worker_class();
        // only the documented classes: a custom class may run threads itself
        if kind.uses_threads() || !kind.is_async() {
            continue;
        }
        let Some(threads) = p.get("threads") else { continue };
        let Some(n) = threads.value.int_with_cpus(p.target.whole_cpus()) else { continue };
        if n <= 1 {
            continue;
        }
        let here = &threads.origin.file;
        if !seen.first(here, threads.origin.range) {
            continue;
        }
        let class = p.get("worker_class").map(|c| format!(" ({})", written(project, c, here))).unwrap_or_default();
        let message = format!(
            "{} has no effect with {} workers{class}: gunicorn's `threads` only affects the gthread worker; each {} worker is one thread running an event loop",
            written(project, threads, here),
            kind.name(),
            kind.name()
        );
        let mut d = cx.diagnostic(here, threads.origin.range, message);
        if let Some(edit) = removal(project, &threads.origin) {
            d = d.with_fix(Fix::unsafe_(format!("Remove {}", written(project, threads, here)), vec![edit]));
        }
        cx.report(d);
    }
}
