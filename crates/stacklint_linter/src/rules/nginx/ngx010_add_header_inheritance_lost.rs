use stacklint_diagnostics::Severity;
use stacklint_project::nginx::{At, Scope as Level};

use super::{diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a block with its own `add_header` while an enclosing level sets headers
    /// the block does not repeat: nginx drops those headers there, silently.
    ///
    /// ## Why is this bad?
    /// `add_header` is inherited from the enclosing level only when the block sets no
    /// `add_header` of its own. One `add_header Cache-Control ...` in a `location` (or an
    /// `if`) removes every header set in `server` and `http` for that location — usually
    /// the security headers (`Strict-Transport-Security`, `X-Frame-Options`,
    /// `Content-Security-Policy`). The result agrees with gixy's `add_header_redefinition`
    /// (dvershinin/gixy convention: any dropped header is reported). From nginx 1.29.3,
    /// `add_header_inherit merge;` keeps the parent's headers.
    ///
    /// ## Example
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     add_header X-Frame-Options "DENY" always;
    ///     location /static/ {
    ///         add_header Cache-Control "public";
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     add_header X-Frame-Options "DENY" always;
    ///     location /static/ {
    ///         add_header X-Frame-Options "DENY" always;
    ///         add_header Cache-Control "public";
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: add_header](https://nginx.org/en/docs/http/ngx_http_headers_module.html#add_header)
    /// - [gixy: add_header_redefinition](https://github.com/dvershinin/gixy/blob/master/docs/en/plugins/addheaderredefinition.md)
    pub static RULE = {
        code: "NGX010",
        name: "add-header-inheritance-lost",
        family: Family::Nginx,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    for (doc_id, _) in docs(project) {
        let Some(config) = model.config(project, doc_id) else { continue };
        for block in config.walk().filter(|d| d.block.as_ref().is_some_and(|b| b.kind == stacklint_syntax::nginx::BlockKind::Directives)) {
            let at = At { doc: doc_id, id: block.id };
            let level = Level::inside(at);
            let own = names(model, project, model.children(project, level).into_iter());
            if own.is_empty() {
                continue;
            }
            if model.last_in_effect(project, level, "add_header_inherit").is_some_and(|(_, d)| d.arg(0) == Some("merge")) {
                continue;
            }
            let chain = model.scope_chain(project, level);
            let Some(parent) = chain.iter().skip(1).map(|&l| model.children(project, l)).find(|c| c.iter().any(|&a| model.node(project, a).is_some_and(|d| d.is("add_header")))) else { continue };
            let inherited = names(model, project, parent.into_iter());
            let dropped: Vec<&String> = inherited.iter().filter(|h| !own.iter().any(|o| o.eq_ignore_ascii_case(h))).collect();
            if dropped.is_empty() {
                continue;
            }
            let first = model.children(project, level).into_iter().find_map(|a| model.node(project, a).filter(|d| d.is("add_header")).map(|d| (a, d)));
            let Some((first_at, first)) = first else { continue };
            let Some(first_doc) = model.doc(first_at.doc) else { continue };
            let list = dropped.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ");
            let diag = diagnostic(cx, first_doc, first.range, format!("`{}` sets its own `add_header`, so the enclosing level's {list} {} not sent here: nginx inherits `add_header` only into blocks that set none", model.doc(doc_id).map_or_else(|| block.name.raw.clone(), |d| super::written(project, d, block)), if dropped.len() == 1 { "is" } else { "are" }))
                .with_help(format!("repeat {list} in this block, or move the shared headers into an included snippet (nginx ≥ 1.29.3: `add_header_inherit merge;`)"));
            cx.report(diag);
        }
    }
}

/// Header names set by the `add_header` directives among `items`, in order, once each.
fn names(model: &stacklint_project::nginx::NginxModel, project: &stacklint_project::Project, items: impl Iterator<Item = At>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for at in items {
        let Some(d) = model.node(project, at) else { continue };
        if !d.is("add_header") {
            continue;
        }
        let Some(name) = d.arg(0) else { continue };
        if !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            out.push(name.to_owned());
        }
    }
    out
}

