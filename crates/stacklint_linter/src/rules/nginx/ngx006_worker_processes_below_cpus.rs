use stacklint_diagnostics::{Fix, Severity};

use super::{Edits, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `worker_processes` number below the target machine's CPUs, and a main
    /// config without `worker_processes` (the default is 1).
    ///
    /// ## Why is this bad?
    /// Each nginx worker is one single-threaded event loop. With fewer workers than CPUs,
    /// TLS handshakes, gzip and proxying of every connection share fewer cores than the
    /// machine has, and nginx saturates first. `worker_processes auto` starts one worker
    /// per CPU, which is what the nginx documentation recommends.
    ///
    /// The fix is safe even when the CPU count is assumed (no `[target]`): it writes
    /// `auto`, which nginx sizes from the machine it runs on, not a number from the
    /// assumption.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// worker_processes 1;
    /// events {
    ///     worker_connections 1024;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// worker_processes auto;
    /// events {
    ///     worker_connections 1024;
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: worker_processes](https://nginx.org/en/docs/ngx_core_module.html#worker_processes)
    pub static RULE = {
        code: "NGX006",
        name: "worker-processes-below-cpus",
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
        // The machine of the service that mounts this config (compose limits), else the host.
        let target = project.compose.target_for_file(project, &doc.file);
        let cpus = target.whole_cpus();
        let machine = format!("{} ({})", target.cpus_text(), target.cpus_source);
        let Some(config) = model.config(project, doc_id) else { continue };
        let top: Vec<_> = config.roots().collect();
        let set: Vec<_> = top.iter().filter(|d| d.is("worker_processes")).collect();
        if let Some(d) = set.last() {
            let Some(arg) = d.args.first() else { continue };
            let Ok(n) = arg.value.parse::<u32>() else { continue };
            if n >= cpus {
                continue;
            }
            let mut diag = diagnostic(cx, doc, d.range, format!("`worker_processes {n}` runs {n} event loop{} on {machine}: nginx uses {} of {cpus} cores", if n == 1 { "" } else { "s" }, n));
            if doc.editable() {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, "auto");
                diag = diag.with_fix(Fix::safe("Set `worker_processes auto` (one worker per CPU)", edits.into_edits()));
            }
            cx.report(diag);
        } else if doc.is_root()
            && let Some(events) = top.iter().find(|d| d.is("events"))
        {
            // No `worker_processes` at all, in the file nginx starts from: the default is 1.
            let mut diag = diagnostic(cx, doc, super::head_range(*events), format!("no `worker_processes`: nginx runs 1 event loop (the default) on {machine}"));
            let mut edits = Edits::default();
            if doc.editable() && edits.insert_before(project, doc, *events, "worker_processes auto;") {
                diag = diag.with_fix(Fix::safe("Add `worker_processes auto;` (one worker per CPU)", edits.into_edits()));
            }
            cx.report(diag);
        }
    }
}
