use stacklint_diagnostics::{Fix, Severity};

use super::{Edits, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `server_tokens` that is not `off`: explicitly `on`/`build`, or unset in
    /// the `http` block of a main config (the default is `on`).
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
    // Explicit `on` / `build` anywhere.
    for (doc_id, doc) in docs(project) {
        for at in model.find(project, doc_id, "server_tokens") {
            let Some(d) = model.node(project, at) else { continue };
            let Some(arg) = d.args.first() else { continue };
            if arg.value == "off" || arg.has_variable() {
                continue;
            }
            let mut diag = diagnostic(cx, doc, d.range, format!("`server_tokens {}` sends the nginx version in the `Server` header and on error pages", arg.value));
            if doc.editable() {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, "off");
                diag = diag.with_fix(Fix::safe("Set `server_tokens off`", edits.into_edits()));
            }
            cx.report(diag);
        }
    }
    // Unset in the `http` block nginx starts from (the default is `on`).
    for http in model.http_blocks(project) {
        let Some(doc) = model.doc(http.doc) else { continue };
        if !model.in_effect(project, stacklint_project::nginx::Scope::inside(http), "server_tokens").is_empty() {
            continue;
        }
        let Some(d) = model.node(project, http) else { continue };
        let mut diag = diagnostic(cx, doc, super::head_range(d), "no `server_tokens off` in `http`: the default `on` sends the nginx version in the `Server` header and on error pages");
        let mut edits = Edits::default();
        if doc.editable() && edits.insert_settings(project, doc, d, &["server_tokens off;".to_owned()]) {
            diag = diag.with_fix(Fix::safe("Add `server_tokens off;` to `http`", edits.into_edits()));
        }
        cx.report(diag);
    }
}
