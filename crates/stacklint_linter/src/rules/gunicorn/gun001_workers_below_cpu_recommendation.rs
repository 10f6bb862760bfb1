use stacklint_diagnostics::{Fix, Severity};
use std::collections::HashMap;
use std::path::PathBuf;

use stacklint_diagnostics::TextRange;
use stacklint_project::TargetSource;
use stacklint_project::gunicorn::{CommandSource, Frontend, GunicornProcess, SettingValue, WorkerKind, WorkersSource};

use super::{Seen, cpus_text, insert_in, plural, written};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a fixed gunicorn worker count below gunicorn's own recommendation for the
    /// target machine: (2 × CPUs) + 1 for sync and gthread workers, one per CPU for async
    /// workers (uvicorn, gevent, eventlet).
    ///
    /// ## Why is this bad?
    /// A sync worker serves one request at a time; while it waits on the database the CPU
    /// it could use sits idle. gunicorn's design notes recommend `(2 x $num_cores) + 1`
    /// workers as a starting point; an async worker multiplexes connections and is sized
    /// to one process per core. A missing `workers` means 1 (or `WEB_CONCURRENCY`).
    /// Fractional CPU limits (compose `cpus: 1.5`) round up. The target machine comes from
    /// `--target`, `[target]`, or compose limits; without them 4 CPUs are assumed, and the
    /// message says so.
    ///
    /// The fix sets the recommended count. It is safe when the machine is declared, unsafe
    /// when it rests on the assumed 4 CPUs (the title says so), and withheld when one
    /// setting is shared (a compose YAML anchor) by services on machines of different sizes.
    ///
    /// ## Example
    /// ```python path=gunicorn.conf.py
    /// workers = 3
    /// ```
    ///
    /// ## Use instead
    /// ```python path=gunicorn.conf.py
    /// workers = 9
    /// ```
    ///
    /// ## References
    /// - [gunicorn: How many workers?](https://docs.gunicorn.org/en/stable/design.html#how-many-workers)
    /// - [gunicorn: workers](https://docs.gunicorn.org/en/stable/settings.html#workers)
    pub static RULE = {
        code: "GUN001",
        name: "workers-below-cpu-recommendation",
        family: Family::Gunicorn,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
        check: check,
    }
}

/// gunicorn's recommendation for `kind` on `cpus`, and how it is computed.
fn recommendation(kind: &WorkerKind, cpus: u32) -> (i64, String) {
    let c = i64::from(cpus);
    if kind.is_async() { (c, format!("one async worker per CPU = {c}")) } else { (2 * c + 1, format!("(2 × {c}) + 1 = {}", 2 * c + 1)) }
}

/// Where a process's worker count is written (or would be added): several processes share
/// it when their services merge one YAML anchor.
fn site(p: &GunicornProcess) -> (PathBuf, TextRange) {
    match p.effective_workers().source {
        WorkersSource::Setting(s) | WorkersSource::WebConcurrency(s) => (s.origin.file.clone(), s.origin.range),
        WorkersSource::Default => (p.anchor.file.clone(), p.anchor.range),
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    // Every machine each site's count runs on, with what it should be there.
    let mut sharing: HashMap<(PathBuf, TextRange), Vec<(i64, String)>> = HashMap::new();
    for p in &project.gunicorn {
        let kind = p.worker_class();
        if !matches!(kind, WorkerKind::Other(_)) {
            let (recommended, _) = recommendation(&kind, p.target.whole_cpus());
            let machines = sharing.entry(site(p)).or_default();
            if !machines.iter().any(|(n, _)| *n == recommended) {
                machines.push((recommended, cpus_text(p)));
            }
        }
    }
    for p in &project.gunicorn {
        let kind = p.worker_class();
        if matches!(kind, WorkerKind::Other(_)) {
            continue; // a custom or unknown worker class: no documented sizing
        }
        let workers = p.effective_workers();
        let Some(count) = workers.count else { continue };
        // A Procfile's platform sets `WEB_CONCURRENCY` itself (Heroku's Python buildpack, from
        // the dyno size): without `workers` the count is the platform's, not gunicorn's 1.
        // Likewise a config file no visible command runs: the environment it starts in (and its
        // `WEB_CONCURRENCY`) is unknown, so the default of 1 would be a guess.
        if matches!(workers.source, WorkersSource::Default) && matches!(&p.frontend, Frontend::CommandLine(CommandSource::Procfile { .. }) | Frontend::ConfFile) {
            continue;
        }
        // A script runs in its caller's environment: when a compose service passes an
        // `env_file` or `WEB_CONCURRENCY`, the script may be what it runs, so its count is
        // not known to be gunicorn's default of 1.
        if matches!(workers.source, WorkersSource::Default)
            && matches!(&p.frontend, Frontend::CommandLine(CommandSource::ShellScript))
            && cx.project().compose.services.iter().any(|s| !s.merged.env_file.is_empty() || s.merged.environment.iter().any(|e| e.value.name.value == "WEB_CONCURRENCY"))
        {
            continue;
        }
        let (recommended, how) = recommendation(&kind, p.target.whole_cpus());
        if count >= recommended {
            continue;
        }
        let (file, range, source, edits) = match workers.source {
            WorkersSource::Setting(s) | WorkersSource::WebConcurrency(s) => {
                let from_cpus = matches!(s.value, SettingValue::FromCpuCount { .. });
                let edits = if matches!(s.value, SettingValue::Int(_) | SettingValue::Str(_)) { s.replace_value(&recommended.to_string()).into_iter().collect() } else { Vec::new() };
                let mut source = written(project, s, p.file());
                if from_cpus {
                    source.push_str(" on the target");
                }
                (s.origin.file.clone(), s.origin.range, source, edits)
            }
            WorkersSource::Default => (p.anchor.file.clone(), p.anchor.range, "no `workers`: gunicorn's default is 1".to_owned(), insert_in(p, p.file(), &[("workers", &recommended.to_string())])),
        };
        if !seen.first(&file, range) {
            continue;
        }
        let message = format!("{count} {} {} ({source}) on {}: gunicorn recommends {how}", kind.name(), plural(count, "worker"), cpus_text(p));
        let mut d = cx.diagnostic(&file, range, message);
        let machines = sharing.get(&site(p)).map_or(&[][..], Vec::as_slice);
        if machines.len() > 1 {
            let each: Vec<String> = machines.iter().map(|(n, on)| format!("{n} on {on}")).collect();
            d = d.with_help(format!("Not fixed: this count is shared (a YAML anchor) by services on different machines, which need {}; set `workers` per service", each.join(", ")));
        } else if !edits.is_empty() {
            let title = format!("Set `workers` to {recommended}");
            d = d.with_fix(if p.target.cpus_source == TargetSource::Default {
                Fix::unsafe_(format!("{title}: assumes {} (default target; declare [target])", p.target.cpus_text()), edits)
            } else {
                Fix::safe(title, edits)
            });
        }
        cx.report(d);
    }
}
