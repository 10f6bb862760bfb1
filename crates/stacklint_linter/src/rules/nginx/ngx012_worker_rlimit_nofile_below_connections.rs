use stacklint_diagnostics::{Fix, Severity};

use super::ngx007_low_worker_connections::DEFAULT_CONNECTIONS;
use super::{Edits, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a main config whose `worker_rlimit_nofile` is unset or below twice its
    /// `worker_connections`.
    ///
    /// ## Why is this bad?
    /// Every connection is a file descriptor, and a proxied request holds two (the client
    /// and the upstream), plus files served from disk and log files. Without
    /// `worker_rlimit_nofile` a worker gets the limit it inherits (often 1024 on a host,
    /// whatever the container runtime sets in a container), so the OS refuses descriptors
    /// ("Too many open files") before `worker_connections` is reached. gixy-ng checks the
    /// same relation.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {
    ///     worker_connections 4096;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// worker_rlimit_nofile 8192;
    /// events {
    ///     worker_connections 4096;
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: worker_rlimit_nofile](https://nginx.org/en/docs/ngx_core_module.html#worker_rlimit_nofile)
    /// - [nginx: worker_connections](https://nginx.org/en/docs/ngx_core_module.html#worker_connections)
    pub static RULE = {
        code: "NGX012",
        name: "worker-rlimit-nofile-below-connections",
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
        if doc.context.as_deref() != Some(&[]) || !doc.is_root() {
            continue;
        }
        let Some(config) = model.config(project, doc_id) else { continue };
        let Some(events) = config.roots().find(|d| d.is("events") && d.block.is_some()) else { continue };
        let wc_directive = events.children_named("worker_connections").last();
        let wc = match wc_directive {
            Some(d) => match d.arg(0).and_then(|v| v.parse::<u64>().ok()) {
                Some(n) => n,
                None => continue,
            },
            None => DEFAULT_CONNECTIONS,
        };
        let wanted = wc.saturating_mul(2);
        let wc_text = if wc_directive.is_some() { format!("`worker_connections {wc}`") } else { format!("the default `worker_connections` {wc}") };
        if let Some(d) = config.roots().filter(|d| d.is("worker_rlimit_nofile")).last() {
            let Some(arg) = d.args.first() else { continue };
            let Ok(n) = arg.value.parse::<u64>() else { continue };
            if n >= wanted {
                continue;
            }
            let mut diag = diagnostic(cx, doc, d.range, format!("`worker_rlimit_nofile {n}` is below 2 × {wc_text} = {wanted}: each proxied request holds two descriptors, so the OS limit stops connections before `worker_connections` does"));
            if doc.editable() {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, wanted.to_string());
                diag = diag.with_fix(Fix::safe(format!("Set `worker_rlimit_nofile {wanted}`"), edits.into_edits()));
            }
            cx.report(diag);
        } else {
            let at = wc_directive.map_or_else(|| super::head_range(events), |d| d.range);
            let mut diag = diagnostic(cx, doc, at, format!("no `worker_rlimit_nofile` for {wc_text}: each proxied request holds two descriptors, so workers need {wanted}, but they inherit the process limit (often 1024) and fail with \"Too many open files\" first"));
            let mut edits = Edits::default();
            if doc.editable() && edits.insert_before(project, doc, events, &format!("worker_rlimit_nofile {wanted};")) {
                diag = diag.with_fix(Fix::safe(format!("Add `worker_rlimit_nofile {wanted};`"), edits.into_edits()));
            }
            cx.report(diag);
        }
    }
}
