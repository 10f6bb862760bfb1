use std::collections::HashSet;

use stacklint_diagnostics::Severity;
use stacklint_project::Project;
use stacklint_project::compose::ComposeService;
use stacklint_project::deployment::Role;

use super::common::{datastore, deployed, dev_reason, reportable};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an application, worker or datastore service of a deployment compose file
    /// that has no memory limit (`deploy.resources.limits.memory`, or the legacy
    /// `mem_limit`), once per service, at its name.
    ///
    /// Not reported, because a memory limit there is nobody's plan:
    /// - compose files for development, tests or CI (`docker-compose.dev.yml`,
    ///   `local.yml`, `docker-compose.override.yml`, `.devcontainer/`, a
    ///   `docker-compose.yml` beside a `docker-compose.prod.yml`), and services that run a
    ///   development server (`manage.py runserver`);
    /// - one-off and tooling services: a `manage.py` command (`migrate`, `collectstatic`),
    ///   anything that is neither a server, a worker nor a datastore, and services behind
    ///   `profiles:` (started only on request);
    /// - a service another compose file of the project limits under the same name (a
    ///   `docker-compose.prod.yml` applied with `-f` over the base file);
    /// - compose files where no service has a memory limit and the file is not named for
    ///   production (`docker-compose.prod.yml`, `production.yml`). Of 58 compose files of
    ///   28 real Python projects (the ecosystem check), one sets a memory limit (an
    ///   overlay that exists to set it); of 68 in the compose corpus, one. Samples and
    ///   single-host setups size the host, not the containers: a finding for every
    ///   service of nearly every file is noise their maintainers do not act on. A file
    ///   that limits some services but not others (the author sizes containers and
    ///   missed one), or a file named for production, is reported.
    ///
    /// ## Why is this bad?
    /// Without a limit, a container may use all of the host's memory. When the host runs
    /// out, the kernel's OOM killer picks the process with the highest `oom_score` across
    /// every container, which is often not the one that leaked: a worker's growth can get
    /// PostgreSQL or Redis killed. With a limit, the container that exceeds it is the one
    /// killed (and restarted by its restart policy). The limit also tells the programs in
    /// it, and stacklint, how much memory there is: without one, stacklint sizes the
    /// service's configs (PostgreSQL `shared_buffers`, Redis `maxmemory`, gunicorn workers)
    /// from the host target, and the message says which.
    ///
    /// ## Example
    /// ```yaml path=docker-compose.prod.yml
    /// services:
    ///   web:
    ///     image: example/web:1.4
    ///     command: gunicorn app.wsgi -w 4
    /// ```
    ///
    /// ## Use instead
    /// ```yaml path=docker-compose.prod.yml
    /// services:
    ///   web:
    ///     image: example/web:1.4
    ///     command: gunicorn app.wsgi -w 4
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           memory: 1G
    /// ```
    ///
    /// ## References
    /// - [Compose deploy specification: resources](https://docs.docker.com/reference/compose-file/deploy/#resources)
    /// - [Docker: resource constraints, out of memory](https://docs.docker.com/engine/containers/resource_constraints/#understand-the-risks-of-running-out-of-memory)
    /// - [Linux kernel: OOM killer and oom_score](https://www.kernel.org/doc/html/latest/filesystems/proc.html#chapter-3-per-process-parameters)
    pub static RULE = {
        code: "CMP002",
        name: "no-resource-limits",
        family: Family::Compose,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// What the service is, when it is an app, a worker or a datastore.
fn kind(project: &Project, cs: &ComposeService) -> Option<String> {
    if let Some(store) = datastore(project, cs) {
        return Some(store.to_owned());
    }
    match &deployed(project, cs)?.role {
        Role::App { server } if server != "runserver" => Some(format!("app server `{server}`")),
        Role::Worker { program } => Some(format!("worker `{program}`")),
        _ => None,
    }
}

fn limited(cs: &ComposeService) -> bool {
    cs.merged.memory.is_some()
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = HashSet::new();
    for cs in &project.compose.services {
        if limited(cs) || !cs.profiles.is_empty() || !reportable(project, &cs.file) || dev_reason(project, &cs.file).is_some() {
            continue;
        }
        let Some(what) = kind(project, cs) else { continue };
        // Limited under the same name by another file (`-f docker-compose.yml -f prod.yml`).
        if project.compose.services.iter().any(|o| o.name == cs.name && limited(o)) {
            continue;
        }
        let production = {
            let words = cs.file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
            words.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| matches!(w, "prod" | "production" | "prd"))
        };
        let siblings_limited = project.compose.services.iter().any(|o| o.file == cs.file && limited(o));
        if !production && !siblings_limited {
            continue;
        }
        if !seen.insert((cs.file.clone(), cs.service.name.range)) {
            continue;
        }
        let target = &cs.target;
        let message = format!(
            "`{}` ({what}) has no memory limit: when the host runs out of memory the kernel's OOM killer picks a process across all containers, not necessarily this one, and its configs are sized from the host target ({} memory, {})",
            cs.name,
            target.memory_text(),
            target.memory_source
        );
        let d = cx.diagnostic(&cs.file, cs.service.name.range, message).with_help("Set `deploy.resources.limits.memory` to what the service needs (measure its peak with `docker stats`)");
        cx.report(d);
    }
}
