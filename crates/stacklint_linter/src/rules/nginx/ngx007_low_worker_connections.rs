use stacklint_diagnostics::{Fix, Severity};

use super::{Edits, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// The value the rule asks for (and the fix writes).
pub(crate) const MIN_CONNECTIONS: u64 = 1024;
/// nginx's default `worker_connections`.
pub(crate) const DEFAULT_CONNECTIONS: u64 = 512;

declare_rule! {
    /// ## What it does
    /// Reports `worker_connections` below 1024, or an `events` block without it (the
    /// default is 512).
    ///
    /// ## Why is this bad?
    /// `worker_connections` caps every connection a worker holds, client and upstream
    /// alike: a proxied request uses two. With the default 512 a worker serves at most
    /// about 256 proxied clients at once; the next ones wait or get "worker_connections
    /// are not enough" in the error log. Keep-alive clients and WebSockets hold their
    /// connections for a long time, so the cap is reached long before the CPU is busy.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {
    ///     worker_connections 512;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// events {
    ///     worker_connections 1024;
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: worker_connections](https://nginx.org/en/docs/ngx_core_module.html#worker_connections)
    pub static RULE = {
        code: "NGX007",
        name: "low-worker-connections",
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
    for (doc_id, doc) in docs(project) {
        if doc.context.as_deref() != Some(&[]) {
            continue;
        }
        let Some(config) = model.config(project, doc_id) else { continue };
        for events in config.roots().filter(|d| d.is("events") && d.block.is_some()) {
            if let Some(d) = events.children_named("worker_connections").last() {
                let Some(arg) = d.args.first() else { continue };
                let Ok(n) = arg.value.parse::<u64>() else { continue };
                if n >= MIN_CONNECTIONS {
                    continue;
                }
                let mut diag = diagnostic(cx, doc, d.range, format!("`worker_connections {n}` caps each worker at {n} connections, about {n} / 2 = {} proxied clients (each holds a client and an upstream connection); use at least {MIN_CONNECTIONS}", n / 2));
                if doc.editable() {
                    let mut edits = Edits::default();
                    edits.replace(doc, arg.range, MIN_CONNECTIONS.to_string());
                    diag = diag.with_fix(Fix::safe(format!("Set `worker_connections {MIN_CONNECTIONS}`"), edits.into_edits()));
                }
                cx.report(diag);
            } else {
                let mut diag = diagnostic(cx, doc, super::head_range(events), format!("no `worker_connections`: the default {DEFAULT_CONNECTIONS} caps each worker at about {DEFAULT_CONNECTIONS} / 2 = {} proxied clients (each holds a client and an upstream connection); use at least {MIN_CONNECTIONS}", DEFAULT_CONNECTIONS / 2));
                let mut edits = Edits::default();
                if doc.editable() && edits.insert_in_block(project, doc, events, &[format!("worker_connections {MIN_CONNECTIONS};")]) {
                    diag = diag.with_fix(Fix::safe(format!("Add `worker_connections {MIN_CONNECTIONS};`"), edits.into_edits()));
                }
                cx.report(diag);
            }
        }
    }
}
