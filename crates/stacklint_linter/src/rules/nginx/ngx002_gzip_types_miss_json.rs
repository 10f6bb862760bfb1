use stacklint_diagnostics::{Fix, Severity};

use super::ngx001_gzip_disabled::GZIP_TYPES;
use stacklint_project::Project;
use stacklint_project::nginx::{At, NginxModel, Scope as Level};

use super::{Edits, diagnostic, docs, servers_below};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `gzip on` whose `gzip_types` in effect lacks `application/json` (without
    /// `gzip_types`, nginx compresses `text/html` only). A setting written in `http` is
    /// reported only when some `server` uses it: one that turns gzip off or lists JSON
    /// itself does not.
    ///
    /// ## Why is this bad?
    /// An API answers `application/json`. nginx compresses a response only when its type
    /// is `text/html` or listed in `gzip_types`, so with `gzip on` alone every JSON
    /// response still crosses the network at full size (JSON shrinks 5–10× with gzip).
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     gzip on;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     gzip on;
    ///     gzip_types text/plain text/css application/json application/javascript image/svg+xml;
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: gzip_types](https://nginx.org/en/docs/http/ngx_http_gzip_module.html#gzip_types)
    pub static RULE = {
        code: "NGX002",
        name: "gzip-types-miss-json",
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
    let mut reported = Vec::new();
    for (doc_id, doc) in docs(project) {
        for at in model.find(project, doc_id, "gzip") {
            let Some(d) = model.node(project, at) else { continue };
            if d.arg(0) != Some("on") {
                continue;
            }
            let Some(level) = model.scope_of(project, at) else { continue };
            // Written above `server`: reported only when some server compresses with it
            // (the servers that turn gzip off or list JSON themselves do not).
            if servers_below(model, project, at).is_some_and(|servers| !servers.is_empty() && !servers.iter().any(|&s| misses_json(model, project, Level::inside(s)))) {
                continue;
            }
            let types = model.in_effect(project, level, "gzip_types");
            match types.last() {
                None => {
                    let mut diag = diagnostic(cx, doc, d.range, "`gzip on` without `gzip_types` compresses `text/html` only: `application/json` responses are sent uncompressed");
                    let mut edits = Edits::default();
                    if doc.editable() && edits.insert_after(project, doc, d, &format!("gzip_types {GZIP_TYPES};")) {
                        diag = diag.with_fix(Fix::safe("Add `gzip_types` with JSON, JavaScript, CSS and SVG", edits.into_edits()));
                    }
                    cx.report(diag);
                }
                Some(&t) => {
                    if reported.contains(&t) {
                        continue;
                    }
                    let Some(td) = model.node(project, t) else { continue };
                    let values = td.arg_values();
                    if lists_json(&values) {
                        continue;
                    }
                    reported.push(t);
                    let Some(tdoc) = model.doc(t.doc) else { continue };
                    let mut diag = diagnostic(cx, tdoc, td.range, format!("`gzip_types` lists {} but not `application/json`: JSON responses are sent uncompressed", values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")));
                    if tdoc.editable()
                        && let Some(last) = td.args.last()
                    {
                        let mut edits = Edits::default();
                        edits.insert(tdoc, last.range.end(), " application/json");
                        diag = diag.with_fix(Fix::safe("Add `application/json` to `gzip_types`", edits.into_edits()));
                    }
                    cx.report(diag);
                }
            }
        }
    }
}

/// `gzip_types` values that cover JSON (or can't be judged: a variable).
fn lists_json(values: &[&str]) -> bool {
    values.iter().any(|v| *v == "*" || v.eq_ignore_ascii_case("application/json") || v.contains('$'))
}

/// Whether gzip is on inside `level` with `gzip_types` that leave JSON out.
fn misses_json(model: &NginxModel, project: &Project, level: Level) -> bool {
    let on = model.last_in_effect(project, level, "gzip").is_some_and(|(_, d)| d.arg(0) == Some("on"));
    let types: Option<At> = model.in_effect(project, level, "gzip_types").last().copied();
    on && types.and_then(|t| model.node(project, t)).is_none_or(|d| !lists_json(&d.arg_values()))
}
