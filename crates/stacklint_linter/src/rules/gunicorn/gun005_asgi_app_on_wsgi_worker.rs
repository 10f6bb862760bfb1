use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::Project;
use stacklint_project::gunicorn::WorkerKind;

use super::{Seen, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an ASGI application (`*.asgi:application`, a FastAPI, Starlette, Quart or
    /// Litestar app) served by a WSGI worker class: sync, gthread, gevent, eventlet or
    /// tornado.
    ///
    /// ## Why is this bad?
    /// A WSGI worker calls the app as `app(environ, start_response)`; an ASGI app expects
    /// `app(scope, receive, send)` and is a coroutine function. Every request fails with a
    /// `TypeError` (a 500), or, for Django's `asgi.py`, the async views and websockets the
    /// ASGI entry point exists for never run. The fix sets an ASGI worker class,
    /// `uvicorn_worker.UvicornWorker`; it is unsafe because the `uvicorn-worker` package
    /// must be installed.
    ///
    /// ## Example
    /// ```text path=Procfile
    /// web: gunicorn config.asgi:application --workers 9
    /// ```
    ///
    /// ## Use instead
    /// ```text path=Procfile
    /// web: gunicorn config.asgi:application --workers 4 -k uvicorn_worker.UvicornWorker
    /// ```
    ///
    /// ## References
    /// - [Django: How to use Django with Uvicorn](https://docs.djangoproject.com/en/stable/howto/deployment/asgi/uvicorn/)
    /// - [uvicorn: Deployment with Gunicorn](https://www.uvicorn.org/deployment/#gunicorn)
    pub static RULE = {
        code: "GUN005",
        name: "asgi-app-on-wsgi-worker",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

const ASGI_FRAMEWORKS: &[&str] = &["fastapi", "starlette", "quart", "litestar", "django.core.asgi", "channels.routing"];

/// Why the app is an ASGI application, when it is one.
fn asgi_reason(project: &Project, app: &str) -> Option<String> {
    let module = app.split(':').next().unwrap_or(app).trim();
    if module.rsplit('.').next() == Some("asgi") {
        return Some(format!("`{app}` is an ASGI entry point"));
    }
    let file = project.python_module(module)?;
    let py = file.python()?;
    let framework = py.imports().iter().map(|i| i.spec.dotted()).find(|m| ASGI_FRAMEWORKS.iter().any(|f| m == f || m.starts_with(&format!("{f}."))))?;
    Some(format!("`{app}` is an ASGI application (`{module}` imports `{framework}`)"))
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for p in &project.gunicorn {
        let kind = p.worker_class();
        if !matches!(kind, WorkerKind::Sync | WorkerKind::Gthread | WorkerKind::Gevent | WorkerKind::Eventlet | WorkerKind::Tornado) {
            continue;
        }
        let Some(app) = &p.app else { continue };
        let Some(reason) = asgi_reason(project, &app.value) else { continue };
        let class = p.get("worker_class");
        let (file, range) = class.map_or((&p.anchor.file, p.anchor.range), |s| (&s.origin.file, s.origin.range));
        if !seen.first(file, range) {
            continue;
        }
        let served = class.map_or_else(|| format!("gunicorn's default `{}` worker", kind.name()), |s| format!("{} ({} worker)", written(project, s, file), kind.name()));
        let message = format!("{reason}, but {served} speaks WSGI: every request fails, or the async code never runs");
        let replacement = "uvicorn_worker.UvicornWorker";
        let edits = match class {
            Some(s) => s.replace_value(replacement).into_iter().collect(),
            None => p.insert_settings(&[("worker_class", replacement)]),
        };
        let mut d = cx.diagnostic(file, range, message);
        if !edits.is_empty() {
            d = d.with_fix(Fix::unsafe_(format!("Use the ASGI worker `{replacement}` (install `uvicorn-worker`)"), edits));
        }
        cx.report(d);
    }
}
