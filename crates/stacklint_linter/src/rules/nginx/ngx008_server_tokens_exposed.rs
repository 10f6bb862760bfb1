use stacklint_diagnostics::{Fix, Severity};

use stacklint_project::Project;
use stacklint_project::nginx::{At, NginxModel, Scope as Level};

use super::{Edits, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `server_tokens` that is not `off` where it takes effect: an explicit
    /// `on`/`build` that some `server` or `location` inherits, or, when the `http` block of
    /// a main config leaves it unset (the default is `on`), the `server` blocks that set
    /// nothing themselves. A `server` with its own `server_tokens off` is not reported,
    /// and the fix goes to the level the value comes from: the directive written `on`, or
    /// `http` for the default.
    ///
    /// ## Why is this bad?
    /// With `server_tokens on` nginx writes its exact version into the `Server` header
    /// and into its error pages (`nginx/1.27.0`), which tells a scanner which published
    /// vulnerabilities apply. `server_tokens off` sends just `nginx`.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     server {
    ///         listen 80;
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     server_tokens off;
    ///     server {
    ///         listen 80;
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: server_tokens](https://nginx.org/en/docs/http/ngx_http_core_module.html#server_tokens)
    pub static RULE = {
        code: "NGX008",
        name: "server-tokens-exposed",
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
    // Explicit `on` / `build`, where some block inherits it.
    for (doc_id, doc) in docs(project) {
        for at in model.find(project, doc_id, "server_tokens") {
            let Some(d) = model.node(project, at) else { continue };
            let Some(arg) = d.args.first() else { continue };
            if arg.value == "off" || arg.has_variable() {
                continue;
            }
            let Some(level) = model.scope_of(project, at) else { continue };
            // A later `server_tokens` at the same level is the one nginx keeps.
            if model.in_effect(project, level, "server_tokens").last() != Some(&at) {
                continue;
            }
            let context = model.context(project, at).unwrap_or_default();
            let inherited_by = if context.iter().any(|c| c == "server") {
                String::new()
            } else {
                // Set in `http`: in effect only in the servers that do not override it.
                let servers = servers_in(model, project, level);
                let using: Vec<At> = servers.iter().copied().filter(|&s| model.in_effect(project, Level::inside(s), "server_tokens").last() == Some(&at)).collect();
                if !servers.is_empty() && using.is_empty() {
                    continue;
                }
                if using.is_empty() { String::new() } else { format!(" of {}", server_list(model, project, &using, servers.len())) }
            };
            let mut diag = diagnostic(cx, doc, d.range, format!("`server_tokens {}` sends the nginx version in the `Server` header and on the error pages{inherited_by}", arg.value));
            if doc.editable() {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, "off");
                diag = diag.with_fix(Fix::safe("Set `server_tokens off`", edits.into_edits()));
            }
            cx.report(diag);
        }
    }
    // Unset in the `http` block nginx starts from (the default is `on`): reported for the
    // servers that set nothing either, fixed once in `http`.
    for http in model.http_blocks(project) {
        let Some(doc) = model.doc(http.doc) else { continue };
        let level = Level::inside(http);
        if !model.in_effect(project, level, "server_tokens").is_empty() {
            continue;
        }
        let servers = servers_in(model, project, level);
        let exposed: Vec<At> = servers.iter().copied().filter(|&s| model.in_effect(project, Level::inside(s), "server_tokens").is_empty()).collect();
        if exposed.is_empty() {
            continue;
        }
        let Some(d) = model.node(project, http) else { continue };
        let mut diag = diagnostic(cx, doc, super::head_range(d), format!("no `server_tokens` in `http` or in {}: the default `on` sends the nginx version in the `Server` header and on the error pages", server_list(model, project, &exposed, servers.len())));
        let mut edits = Edits::default();
        if doc.editable() && edits.insert_settings(project, doc, d, &["server_tokens off;".to_owned()]) {
            diag = diag.with_fix(Fix::safe("Add `server_tokens off;` to `http`", edits.into_edits()));
        }
        cx.report(diag);
    }
}

/// The `server` blocks directly inside a level, `include`s expanded.
fn servers_in(model: &NginxModel, project: &Project, level: Level) -> Vec<At> {
    model.children(project, level).into_iter().filter(|&at| model.node(project, at).is_some_and(|d| d.is("server") && d.block.is_some())).collect()
}

/// `the server `example.com`` / `2 of 3 servers (`a.example`, line 12 of conf.d/b.conf)`.
fn server_list(model: &NginxModel, project: &Project, servers: &[At], total: usize) -> String {
    let names: Vec<String> = servers.iter().map(|&s| server_label(model, project, s)).collect();
    match (servers.len(), total) {
        (1, 1) => format!("its `server` ({})", names.join(", ")),
        (n, t) if n == t => format!("its {n} `server` blocks ({})", names.join(", ")),
        (n, t) => format!("{n} of its {t} `server` blocks ({})", names.join(", ")),
    }
}

/// A server as a reader finds it: its first `server_name`, else its first `listen`, with
/// the file and line.
fn server_label(model: &NginxModel, project: &Project, server: At) -> String {
    let Some(d) = model.node(project, server) else { return "a `server`".to_owned() };
    let file = model.doc(server.doc).map(|doc| {
        let text = project.file(&doc.file).map_or("", |f| f.text.as_str());
        let start = doc.file_range(d.range).start();
        let line = text.get(..start).map_or(0, |t| t.matches('\n').count()) + 1;
        format!("{}:{line}", super::relative(project, &doc.file))
    });
    let name = d.children_named("server_name").find_map(|n| n.arg(0).map(str::to_owned)).map(|n| format!("`server_name {n}`")).or_else(|| d.children_named("listen").find_map(|l| l.arg(0).map(|a| format!("`listen {a}`"))));
    match (name, file) {
        (Some(n), Some(f)) => format!("{n} at {f}"),
        (Some(n), None) => n,
        (None, Some(f)) => format!("at {f}"),
        (None, None) => "a `server`".to_owned(),
    }
}
