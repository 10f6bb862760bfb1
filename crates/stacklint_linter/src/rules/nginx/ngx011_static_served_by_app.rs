use std::collections::HashSet;

use stacklint_diagnostics::Severity;
use stacklint_project::Project;
use stacklint_project::django::SettingsModule;
use stacklint_project::nginx::{At, Scope as Level};
use stacklint_python::{Expr, Settings, Value};

use super::{diagnostic, head_range, relative, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports the nginx `location` that catches Django's `STATIC_URL` (`/static/`) and
    /// proxies it to the app, when the server has no `location` of its own for static
    /// files and `MIDDLEWARE` has no WhiteNoise. Only when the deployment links the
    /// location to the gunicorn behind it and that gunicorn to the settings module it
    /// runs, and the settings say it plainly: `STATIC_URL` a literal path, `MIDDLEWARE` a
    /// complete literal list, the static files storage Django's own. A server with a
    /// regular-expression location, a location whose path mentions the static folder, or
    /// a `try_files` in the catching location may serve the files: not reported.
    ///
    /// ## Why is this bad?
    /// Every CSS, JavaScript and image request then goes through nginx to a gunicorn
    /// worker: a sync worker is busy for the whole transfer of each file, and with
    /// `DEBUG = False` and no WhiteNoise Django does not serve them at all (404). nginx
    /// serves files from disk with `sendfile`, without touching the app: an `alias` to
    /// `STATIC_ROOT`, where `collectstatic` puts them.
    ///
    /// ## Example
    /// ```text path=Procfile
    /// web: gunicorn mysite.wsgi:application --bind 127.0.0.1:8000
    /// ```
    ///
    /// ```python path=mysite/wsgi.py
    /// import os
    /// os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    /// ```
    ///
    /// ```python path=mysite/settings.py
    /// INSTALLED_APPS = ["django.contrib.staticfiles"]
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// STATIC_URL = "/static/"
    /// STATIC_ROOT = "/srv/mysite/static"
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location / {
    ///         proxy_pass http://127.0.0.1:8000;
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```text path=Procfile
    /// web: gunicorn mysite.wsgi:application --bind 127.0.0.1:8000
    /// ```
    ///
    /// ```python path=mysite/wsgi.py
    /// import os
    /// os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    /// ```
    ///
    /// ```python path=mysite/settings.py
    /// INSTALLED_APPS = ["django.contrib.staticfiles"]
    /// MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
    /// STATIC_URL = "/static/"
    /// STATIC_ROOT = "/srv/mysite/static"
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location /static/ {
    ///         alias /srv/mysite/static/;
    ///     }
    ///     location / {
    ///         proxy_pass http://127.0.0.1:8000;
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Django: deploying static files](https://docs.djangoproject.com/en/5.2/howto/static-files/deployment/)
    /// - [WhiteNoise](https://whitenoise.readthedocs.io/en/stable/django.html)
    /// - [nginx: alias](https://nginx.org/en/docs/http/ngx_http_core_module.html#alias)
    pub static RULE = {
        code: "NGX011",
        name: "static-served-by-app",
        family: Family::Nginx,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// Static files storages that write files for a web server (or WhiteNoise) to serve.
const LOCAL_STORAGES: &[&str] = &["django.contrib.staticfiles.storage.StaticFilesStorage", "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"];

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    let mut seen: HashSet<At> = HashSet::new();
    for route in project.proxied_gunicorn() {
        let Some(server) = route.server else { continue };
        let Some(run) = route.settings(project) else { continue };
        let Some((static_url, url_expr)) = static_url(run.module) else { continue };
        if !app_leaves_static(&run.module.settings) {
            continue;
        }
        let Some(catching) = catching_location(project, server, &static_url) else { continue };
        if catching != route.location || !seen.insert(catching) {
            continue;
        }
        let (Some(doc), Some(loc)) = (model.doc(catching.doc), model.node(project, catching)) else { continue };
        if !doc.in_project() {
            continue;
        }
        let url_at = project.file(&url_expr.file).map(|f| format!("{}:{}", relative(project, &url_expr.file), f.row(url_expr.range.start()))).unwrap_or_default();
        let root = match run.module.settings.value("STATIC_ROOT").and_then(Expr::unset_value) {
            Some(Value::Str(r)) if r.starts_with('/') => format!("{}/", r.trim_end_matches('/')),
            _ => "<STATIC_ROOT>/".to_owned(),
        };
        let message = format!(
            "`STATIC_URL` `{static_url}` ({url_at}) has no `location` in this server: `{}` proxies every static file request to gunicorn, and `MIDDLEWARE` has no WhiteNoise, so workers are busy with (or answer 404 for) CSS, JavaScript and images; add `location {static_url} {{ alias {root}; }}` after `collectstatic`",
            written(project, doc, loc),
        );
        let d = diagnostic(cx, doc, head_range(loc), message).with_related(url_expr.file.to_path_buf(), url_expr.range, "`STATIC_URL` of the settings the app behind this location runs");
        cx.report(d);
    }
}

/// `STATIC_URL` bound once, unconditionally, to a literal path (`/static/`), with its value.
fn static_url(module: &SettingsModule) -> Option<(String, &Expr)> {
    let mut bindings = module.settings.bindings("STATIC_URL");
    let b = bindings.next()?;
    if bindings.next().is_some() || b.is_conditional() || !b.keys.is_empty() || b.value.env().is_some() {
        return None;
    }
    let Some(Value::Str(url)) = b.value.unset_value() else { return None };
    let url = if url.starts_with('/') { url } else { format!("/{url}") };
    (url.len() > 1 && !url.starts_with("//") && !url.contains("://") && !url.contains(['$', '{', ' '])).then_some((url, &*b.value))
}

/// Whether the app leaves static files to someone else: `MIDDLEWARE` is a complete list of
/// literals without WhiteNoise (or anything about static files), and the static storage
/// is Django's own.
fn app_leaves_static(settings: &Settings) -> bool {
    let Some(list) = settings.list("MIDDLEWARE") else { return false };
    if !list.complete || !list.conditional_reassignments.is_empty() || list.base.is_conditional() {
        return false;
    }
    let plain = list.items.iter().all(|i| matches!(i.expr.unset_value(), Some(Value::Str(s)) if !s.to_ascii_lowercase().contains("whitenoise") && !s.to_ascii_lowercase().contains("static")));
    if !plain {
        return false;
    }
    for path in [&["STATICFILES_STORAGE"][..], &["STORAGES", "staticfiles", "BACKEND"][..]] {
        let r = settings.resolve(path);
        for o in &r.outcomes {
            match o {
                stacklint_python::Outcome::Missing { .. } => {}
                stacklint_python::Outcome::Value { expr, .. } => match expr.unset_value() {
                    Some(Value::Str(s)) if LOCAL_STORAGES.contains(&s.as_str()) => {}
                    _ => return false,
                },
                _ => return false,
            }
        }
    }
    true
}

/// The location of `server` that handles `url` and what is below it: the longest prefix
/// location that `url` starts with. `None` when the server may serve the files some other
/// way: a regular-expression location, a location whose path is under `url` or names its
/// folder, nested locations or a `try_files` in the one that catches it.
fn catching_location(project: &Project, server: At, url: &str) -> Option<At> {
    let model = &project.nginx;
    let folder = url.trim_matches('/').rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
    let mut best: Option<(usize, At)> = None;
    for at in model.in_effect_known(project, Level::inside(server), "location")? {
        let d = model.node(project, at)?;
        let args = d.arg_values();
        let (modifier, path) = match args.as_slice() {
            [path] => ("", *path),
            [m, path] => (*m, *path),
            _ => return None,
        };
        if matches!(modifier, "~" | "~*") || path.starts_with('~') || (!folder.is_empty() && path.to_ascii_lowercase().contains(&folder)) || path.starts_with(url) {
            return None;
        }
        if path.starts_with('@') || modifier == "=" {
            continue;
        }
        if url.starts_with(path) && best.is_none_or(|(len, _)| path.len() > len) {
            best = Some((path.len(), at));
        }
    }
    let (_, at) = best?;
    let inside = Level::inside(at);
    if !model.named(project, inside, "location").is_empty() || !model.named(project, inside, "try_files").is_empty() {
        return None;
    }
    Some(at)
}
