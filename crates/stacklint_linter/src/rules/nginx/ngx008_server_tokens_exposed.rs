use stacklint_diagnostics::{Fix, Severity};

use stacklint_project::nginx::{At, Scope as Level};

use super::{Edits, diagnostic, docs, server_list, servers_below, servers_in};
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
            // Set above `server`: in effect only in the servers that do not override it.
            let inherited_by = match servers_below(model, project, at) {
                None => String::new(),
                Some(servers) => {
                    let using: Vec<At> = servers.iter().copied().filter(|&s| model.in_effect(project, Level::inside(s), "server_tokens").last() == Some(&at)).collect();
                    if !servers.is_empty() && using.is_empty() {
                        continue;
                    }
                    if using.is_empty() { String::new() } else { format!(" of {}", server_list(model, project, &using, servers.len())) }
                }
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
