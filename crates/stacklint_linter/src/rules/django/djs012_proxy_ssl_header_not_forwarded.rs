use std::collections::HashSet;
use std::path::PathBuf;

use stacklint_diagnostics::{Severity, TextRange};
use stacklint_project::Project;
use stacklint_project::django::SettingsModule;
use stacklint_project::nginx::{At, Scope as Level};
use stacklint_python::{Expr, Value};

use crate::rules::gunicorn::location;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `SECURE_PROXY_SSL_HEADER` naming a header (`HTTP_X_FORWARDED_PROTO`) that
    /// the nginx in front of the app does not set: a `location` that proxies to the
    /// gunicorn running these settings, in a `server` that terminates TLS itself
    /// (`listen ... ssl`), with no `proxy_set_header X-Forwarded-Proto ...` in effect. A
    /// `location` with a `proxy_set_header` of its own inherits none from `server` or
    /// `http` (nginx's inheritance), which is where the header is usually lost. Only when
    /// the deployment links the nginx location, the gunicorn behind it and the settings
    /// module it runs; an nginx that does not terminate TLS may sit behind a load balancer
    /// that sets the header (nginx passes it on), and an `include` the project does not
    /// have may set it: neither is reported.
    ///
    /// ## Why is this bad?
    /// Django trusts the header to tell HTTPS from HTTP. Without it every request looks
    /// like plain HTTP: `request.is_secure()` is false, `SECURE_SSL_REDIRECT` redirects
    /// HTTPS requests to HTTPS again (an endless redirect loop), and absolute URLs and
    /// CSRF origin checks use `http://`.
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
    /// INSTALLED_APPS = []
    /// SECURE_SSL_REDIRECT = True
    /// SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     listen 443 ssl;
    ///     location / {
    ///         proxy_set_header Host $host;
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
    /// INSTALLED_APPS = []
    /// SECURE_SSL_REDIRECT = True
    /// SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     listen 443 ssl;
    ///     location / {
    ///         proxy_set_header Host $host;
    ///         proxy_set_header X-Forwarded-Proto $scheme;
    ///         proxy_pass http://127.0.0.1:8000;
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Django: SECURE_PROXY_SSL_HEADER](https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header)
    /// - [nginx: proxy_set_header](https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header)
    pub static RULE = {
        code: "DJS012",
        name: "proxy-ssl-header-not-forwarded",
        family: Family::DjangoSettings,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    let mut seen: HashSet<(PathBuf, TextRange)> = HashSet::new();
    for route in project.proxied_gunicorn() {
        let Some(server) = route.server else { continue };
        if !terminates_tls(project, server) {
            continue;
        }
        let Some(module) = route.settings(project).map(|r| r.module) else { continue };
        let Some((expr, header)) = proxy_ssl_header(module) else { continue };
        let Some(set) = model.in_effect_known(project, Level::inside(route.location), "proxy_set_header") else { continue };
        let forwarded = set.iter().any(|&at| model.node(project, at).and_then(|d| d.arg(0)).is_some_and(|h| h.eq_ignore_ascii_case(&header)));
        if forwarded || !seen.insert((expr.file.to_path_buf(), expr.range)) {
            continue;
        }
        let (Some(doc), Some(loc)) = (model.doc(route.location.doc), model.node(project, route.location)) else { continue };
        let loc_range = doc.file_range(crate::rules::nginx::head_range(loc));
        let loc_text = crate::rules::nginx::written(project, doc, loc);
        let own = match inherited_setting(project, route.location, &header) {
            Some(at) if !model.named(project, Level::inside(route.location), "proxy_set_header").is_empty() => {
                let place = model.doc(at.doc).zip(model.node(project, at)).map(|(d, n)| location(project, &d.file, d.file_range(n.range))).unwrap_or_default();
                format!(" (the one set at {place} is not inherited: a `location` with `proxy_set_header` lines of its own inherits none)")
            }
            _ => String::new(),
        };
        let message = format!(
            "`SECURE_PROXY_SSL_HEADER` trusts `{header}`, but `{loc_text}` ({}), which terminates TLS and proxies to the gunicorn running these settings, does not set it{own}: Django sees every request as plain HTTP (`request.is_secure()` is false, `SECURE_SSL_REDIRECT` loops); add `proxy_set_header {header} $scheme;`",
            location(project, &doc.file, loc_range),
        );
        let d = cx.diagnostic(&expr.file, expr.range, message).with_related(doc.file.clone(), loc_range, "the nginx location that proxies to this app");
        cx.report(d);
    }
}

/// The `proxy_set_header` of `header` in effect around a location (at the level above it).
fn inherited_setting(project: &Project, location: At, header: &str) -> Option<At> {
    let model = &project.nginx;
    let outer = model.scope_of(project, location)?;
    model.in_effect(project, outer, "proxy_set_header").into_iter().find(|&at| model.node(project, at).and_then(|d| d.arg(0)).is_some_and(|h| h.eq_ignore_ascii_case(header)))
}

/// Whether a `server` terminates TLS: a `listen ... ssl` (or `quic`), or `ssl on`.
pub(crate) fn terminates_tls(project: &Project, server: At) -> bool {
    let model = &project.nginx;
    let inside = Level::inside(server);
    model.named(project, inside, "listen").iter().filter_map(|&at| model.node(project, at)).any(|d| d.arg_values().iter().skip(1).any(|a| *a == "ssl" || *a == "quic"))
        || model.named(project, inside, "ssl").iter().filter_map(|&at| model.node(project, at)).any(|d| d.arg(0) == Some("on"))
}

/// `SECURE_PROXY_SSL_HEADER` bound once, unconditionally, to a literal pair whose header
/// is an HTTP header (`HTTP_X_FORWARDED_PROTO`): its value and the header as nginx names
/// it (`X-Forwarded-Proto`).
fn proxy_ssl_header(module: &SettingsModule) -> Option<(&Expr, String)> {
    let settings = &module.settings;
    let mut bindings = settings.bindings("SECURE_PROXY_SSL_HEADER");
    let b = bindings.next()?;
    if bindings.next().is_some() || b.is_conditional() || !b.keys.is_empty() || b.value.env().is_some() {
        return None;
    }
    let expr: &Expr = &b.value;
    let (Value::Tuple(items) | Value::List(items)) = &expr.resolved().value else { return None };
    let [name, value] = items.as_slice() else { return None };
    let (Some(Value::Str(name)), Some(Value::Str(_))) = (name.unset_value(), value.unset_value()) else { return None };
    let header = name.strip_prefix("HTTP_")?;
    if header.is_empty() || !header.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let header = header.split('_').map(|w| {
        let lower = w.to_ascii_lowercase();
        let mut c = lower.chars();
        c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
    });
    Some((expr, header.collect::<Vec<_>>().join("-")))
}
