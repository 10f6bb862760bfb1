use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::nginx::Scope as Level;

use super::{Edits, before, diagnostic, docs, server_list, servers_below, version_text};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// The protocols the fix keeps.
const MODERN: &str = "TLSv1.2 TLSv1.3";
/// The release that dropped TLSv1 and TLSv1.1 from the default.
const NEW_DEFAULT: [u64; 3] = [1, 27, 3];

declare_rule! {
    /// ## What it does
    /// Reports `ssl_protocols` that enables SSLv2, SSLv3, TLSv1 or TLSv1.1. On nginx
    /// before 1.27.3, also a TLS server with no `ssl_protocols` at all (the default there
    /// still enables TLSv1 and TLSv1.1). A list written in `http` is not reported when
    /// every `server` sets its own.
    ///
    /// ## Why is this bad?
    /// TLS 1.0 and 1.1 are deprecated (RFC 8996): they rely on SHA-1 and CBC constructions
    /// with known attacks (BEAST, Lucky13), and SSLv3 is broken (POODLE). Browsers no
    /// longer use them, so enabling them only helps downgrade attacks and old bots.
    /// nginx 1.27.3 removed them from its default; an explicit `ssl_protocols` list still
    /// overrides that default, and older nginx enables them unless told otherwise.
    ///
    /// ## Example
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     listen 443 ssl;
    ///     ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     listen 443 ssl;
    ///     ssl_protocols TLSv1.2 TLSv1.3;
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: ssl_protocols](https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_protocols)
    /// - [RFC 8996: Deprecating TLS 1.0 and TLS 1.1](https://www.rfc-editor.org/rfc/rfc8996)
    pub static RULE = {
        code: "NGX009",
        name: "outdated-tls-protocols",
        family: Family::Nginx,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn is_outdated(p: &str) -> bool {
    matches!(p, "SSLv2" | "SSLv3" | "TLSv1" | "TLSv1.1")
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    for (doc_id, doc) in docs(project) {
        for at in model.find(project, doc_id, "ssl_protocols") {
            let Some(d) = model.node(project, at) else { continue };
            let old: Vec<&str> = d.arg_values().into_iter().filter(|p| is_outdated(p)).collect();
            if old.is_empty() {
                continue;
            }
            // Written above `server`: not reported when every server sets its own.
            let mut inherited_by = String::new();
            if let Some(servers) = servers_below(model, project, at) {
                let using: Vec<_> = servers.iter().copied().filter(|&s| model.in_effect(project, Level::inside(s), "ssl_protocols").last() == Some(&at)).collect();
                if !servers.is_empty() && using.is_empty() {
                    continue;
                }
                if !using.is_empty() {
                    inherited_by = format!(" in {}", server_list(model, project, &using, servers.len()));
                }
            }
            let mut diag = diagnostic(cx, doc, d.range, format!("`ssl_protocols` enables {}{inherited_by}: deprecated protocols (RFC 8996) with known attacks, open to downgrades", old.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")));
            if let (true, Some(first), Some(last)) = (doc.editable(), d.args.first(), d.args.last()) {
                let mut edits = Edits::default();
                edits.replace(doc, stacklint_diagnostics::TextRange::new(first.range.start(), last.range.end()), MODERN);
                diag = diag.with_fix(Fix::safe(format!("Set `ssl_protocols {MODERN}`"), edits.into_edits()));
            }
            cx.report(diag);
        }
    }
    // The old default: TLSv1 and TLSv1.1 stay on in TLS servers that say nothing.
    if !before(project, &NEW_DEFAULT) {
        return;
    }
    let version = version_text(project);
    for (doc_id, doc) in docs(project) {
        for server in model.find(project, doc_id, "server") {
            let Some(s) = model.node(project, server) else { continue };
            if s.block.is_none() || model.context(project, server).is_some_and(|c| c.first().map(String::as_str) != Some("http")) {
                continue;
            }
            let Some(listen) = s.children_named("listen").find(|l| l.arg_values().contains(&"ssl")) else { continue };
            if !model.in_effect(project, Level::inside(server), "ssl_protocols").is_empty() {
                continue;
            }
            let mut diag = diagnostic(cx, doc, listen.range, format!("TLS server without `ssl_protocols`: the default of {version} still enables `TLSv1` and `TLSv1.1` (dropped from the default in nginx 1.27.3)"));
            let mut edits = Edits::default();
            if doc.editable() && edits.insert_after(project, doc, listen, &format!("ssl_protocols {MODERN};")) {
                diag = diag.with_fix(Fix::safe(format!("Add `ssl_protocols {MODERN};`"), edits.into_edits()));
            }
            cx.report(diag);
        }
    }
}
