use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::nginx::At;

use super::{Edits, diagnostic, docs, is_stream};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `proxy_buffering off` (or `proxy_request_buffering off`) that applies to a
    /// location proxying ordinary requests, i.e. not a stream (WebSocket, server-sent
    /// events).
    ///
    /// ## Why is this bad?
    /// With buffering, nginx reads the app's whole response (or the client's whole
    /// request body) at network speed and lets the app worker go, then feeds the client
    /// at the client's speed. Without it, a slow client holds a gunicorn worker for as
    /// long as the download (or upload) takes: a handful of phones on a bad network can
    /// occupy every sync worker. Only streams that must reach the client as they are
    /// produced need buffering off.
    ///
    /// ## Example
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location / {
    ///         proxy_pass http://app:8000;
    ///         proxy_buffering off;
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location / {
    ///         proxy_pass http://app:8000;
    ///     }
    ///     location /events/ {
    ///         proxy_pass http://app:8000;
    ///         proxy_buffering off;
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: proxy_buffering](https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering)
    /// - [gunicorn: deploying behind a buffering proxy](https://docs.gunicorn.org/en/stable/deploy.html)
    pub static RULE = {
        code: "NGX004",
        name: "proxy-buffering-disabled",
        family: Family::Nginx,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    // Per setting, the proxying locations each `off` reaches (plain, streams): one pass
    // over the `proxy_pass` directives, not one per setting.
    let mut reach: std::collections::HashMap<(&str, At), (usize, usize)> = std::collections::HashMap::new();
    for (pass_doc, _) in docs(project) {
        for pass in model.find(project, pass_doc, "proxy_pass") {
            let Some(pass_level) = model.scope_of(project, pass) else { continue };
            let mut stream = None;
            for name in ["proxy_buffering", "proxy_request_buffering"] {
                let Some(&at) = model.in_effect(project, pass_level, name).last() else { continue };
                let is_stream = *stream.get_or_insert_with(|| location_of(model, project, pass).is_some_and(|l| is_stream(model, project, l)));
                let counts = reach.entry((name, at)).or_default();
                if is_stream {
                    counts.1 += 1;
                } else {
                    counts.0 += 1;
                }
            }
        }
    }
    for (doc_id, doc) in docs(project) {
        for name in ["proxy_buffering", "proxy_request_buffering"] {
            for at in model.find(project, doc_id, name) {
                let Some(d) = model.node(project, at) else { continue };
                let Some(arg) = d.args.first() else { continue };
                if arg.value != "off" {
                    continue;
                }
                // The proxying locations this setting reaches: the block it is written in
                // and the locations below it that do not set their own.
                let Some(level) = model.scope_of(project, at) else { continue };
                let (plain, streams) = reach.get(&(name, at)).copied().unwrap_or_default();
                if plain == 0 {
                    continue;
                }
                let what = if name == "proxy_buffering" { "the app's response" } else { "the client's request body" };
                let places = if plain == 1 { "a location that is not a stream".to_owned() } else { format!("{plain} locations that are not streams") };
                let mut diag = diagnostic(cx, doc, d.range, format!("`{name} off` reaches {places}: nginx passes {what} at the client's speed, holding an app worker until a slow client is done"));
                if doc.editable() && streams == 0 && level.block.is_some() {
                    let mut edits = Edits::default();
                    edits.replace(doc, arg.range, "on");
                    diag = diag.with_fix(Fix::safe(format!("Set `{name} on` (the default)"), edits.into_edits()));
                } else if streams > 0 {
                    diag = diag.with_help(format!("{streams} streaming location(s) also inherit it: write `{name} off` in those locations only"));
                }
                cx.report(diag);
            }
        }
    }
}

/// The nearest `location` around a `proxy_pass`.
pub(crate) fn location_of(model: &stacklint_project::nginx::NginxModel, project: &stacklint_project::Project, pass: At) -> Option<At> {
    let d = model.node(project, pass)?;
    let loc = d.ancestors().find(|a| a.is("location"))?;
    Some(At { doc: pass.doc, id: loc.id })
}
