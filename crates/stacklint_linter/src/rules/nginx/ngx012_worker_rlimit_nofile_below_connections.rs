use std::path::Path;

use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::Project;
use stacklint_syntax::dockerfile::Keyword;

use super::ngx007_low_worker_connections::DEFAULT_CONNECTIONS;
use super::{Edits, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// The soft limit on open files a process commonly starts with when nothing raises it
/// (`ulimit -n` on most Linux hosts). The real inherited limit is not visible in the
/// project — a container runtime may give more (Docker's default soft limit is 1048576) —
/// so messages name this as an assumption.
pub(crate) const DEFAULT_SOFT_LIMIT: u64 = 1024;

/// Docker's default soft limit on open files in a container (what the workers inherit
/// when the project runs nginx in a container that declares no `ulimits`).
pub(crate) const DOCKER_SOFT_LIMIT: u64 = 1_048_576;

declare_rule! {
    /// ## What it does
    /// Reports a main config whose workers may open more descriptors than they are
    /// allowed: an explicit `worker_rlimit_nofile` below 2 × `worker_connections`, or no
    /// `worker_rlimit_nofile` while 2 × `worker_connections` exceeds the limit the workers
    /// inherit: the `ulimits.nofile` soft limit of the compose service that mounts the
    /// config; Docker's default soft limit, 1048576, when the project runs the config in a
    /// container that declares none (a compose service mounts it, or a Dockerfile copies
    /// it); else the common default soft limit, 1024. Both defaults are assumptions the
    /// message states.
    ///
    /// ## Why is this bad?
    /// Every connection is a file descriptor, and a proxied request holds two (the client
    /// and the upstream), plus files served from disk and log files. Without
    /// `worker_rlimit_nofile` a worker keeps the limit it inherits (1024 on most hosts;
    /// a container runtime may set more), so once 2 × `worker_connections` is above that
    /// limit the OS refuses descriptors ("Too many open files") before
    /// `worker_connections` is reached. With the default `worker_connections 512` the
    /// 1024 suffice, so nothing is reported. gixy-ng checks the same relation.
    ///
    /// The fix raises an explicit value to 2 × `worker_connections` (safe: nginx sets it
    /// itself). Adding the directive where there is none is unsafe: it rests on the
    /// assumed inherited limit, and a process that already has more (Docker) would be
    /// lowered to it. A fix never writes a value below 1024.
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
        fix: FixAvailability::Sometimes,
        check: check,
    }
}

/// The open-files limit the workers inherit, and where it comes from: the `ulimits.nofile`
/// (soft) of the compose service that mounts the config when it declares one, else the
/// assumed common default.
struct Inherited {
    limit: u64,
    /// `the `ulimits.nofile` soft limit of service `nginx` in docker-compose.yml`, or the assumption.
    source: String,
    assumed: bool,
}

fn inherited(project: &Project, file: &Path) -> Inherited {
    let declared = project.compose.service_for_file(file).and_then(|s| {
        let nofile = s.service.get("ulimits")?.as_mapping()?.get("nofile")?;
        let soft = match nofile.as_mapping() {
            Some(m) => m.get("soft")?.as_str()?,
            None => nofile.as_str()?,
        };
        let limit = soft.trim().parse::<u64>().ok()?;
        Some(Inherited { limit, source: format!("the `ulimits.nofile` soft limit {limit} of service `{}` in {}", s.name, super::relative(project, &s.file)), assumed: false })
    });
    if let Some(d) = declared {
        return d;
    }
    if let Some(container) = container_of(project, file) {
        return Inherited {
            limit: DOCKER_SOFT_LIMIT,
            source: format!("assumed: Docker's default soft limit of {DOCKER_SOFT_LIMIT} in {container}; declare `ulimits.nofile`"),
            assumed: true,
        };
    }
    Inherited {
        limit: DEFAULT_SOFT_LIMIT,
        source: format!("assumed: the common default soft limit of {DEFAULT_SOFT_LIMIT}; a container runtime may set more"),
        assumed: true,
    }
}

/// The container the project runs this config in, for messages: the compose service that
/// mounts it, or an image whose Dockerfile copies it (`COPY nginx/nginx.conf /etc/nginx/`).
fn container_of(project: &Project, file: &Path) -> Option<String> {
    if let Some(s) = project.compose.service_for_file(file) {
        return Some(format!("the container of service `{}` ({})", s.name, super::relative(project, &s.file)));
    }
    let rel = file.strip_prefix(&project.root).unwrap_or(file);
    for f in &project.files {
        let Some(df) = f.dockerfile() else { continue };
        let dir = f.path.parent().unwrap_or_else(|| Path::new(""));
        let by_dir = file.strip_prefix(dir).ok();
        for inst in df.instructions.iter().filter(|i| matches!(i.keyword, Keyword::Copy | Keyword::Add) && i.flag("from").is_none()) {
            let words = inst.words();
            let Some((_, sources)) = words.split_last() else { continue };
            let copies = sources.iter().any(|w| {
                let src = Path::new(w.value.trim_start_matches("./"));
                !src.as_os_str().is_empty() && (rel.starts_with(src) || by_dir.is_some_and(|b| b.starts_with(src)))
            });
            if copies {
                return Some(format!("the image built by {}", super::relative(project, &f.path)));
            }
        }
    }
    None
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
            // Raise to what the connections need, never below the common default.
            let value = wanted.max(DEFAULT_SOFT_LIMIT);
            let mut diag = diagnostic(cx, doc, d.range, format!("`worker_rlimit_nofile {n}` is below 2 × {wc_text} = {wanted}: each proxied request holds two descriptors, so a worker runs out of descriptors (\"Too many open files\") at about {n} / 2 = {} proxied connections, before `worker_connections` is reached", n / 2));
            if doc.editable() {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, value.to_string());
                diag = diag.with_fix(Fix::safe(format!("Set `worker_rlimit_nofile {value}`"), edits.into_edits()));
            }
            cx.report(diag);
        } else {
            let from = inherited(project, &doc.file);
            if wanted <= from.limit {
                // The inherited limit already covers every connection a worker may hold.
                continue;
            }
            let at = wc_directive.map_or_else(|| super::head_range(events), |d| d.range);
            let limit = from.limit;
            let mut diag = diagnostic(cx, doc, at, format!("{wc_text} lets a worker hold 2 × {wc} = {wanted} descriptors when every connection is proxied, but without `worker_rlimit_nofile` it keeps the limit it inherits ({}): past about {limit} / 2 = {} proxied connections it fails with \"Too many open files\"", from.source, limit / 2));
            let mut edits = Edits::default();
            if doc.editable() && edits.insert_before(project, doc, events, &format!("worker_rlimit_nofile {wanted};")) {
                // Unsafe either way: on the assumed limit, a process that already has more
                // would be lowered; above a container's hard limit, nginx may not raise it.
                let why = if from.assumed { format!("assumes the workers inherit {limit}; where they already have more, this lowers it") } else { format!("the container's hard limit must allow {wanted}") };
                diag = diag.with_fix(Fix::unsafe_(format!("Add `worker_rlimit_nofile {wanted};` ({why})"), edits.into_edits()));
            }
            cx.report(diag);
        }
    }
}
