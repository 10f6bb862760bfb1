use std::collections::HashSet;

use stacklint_diagnostics::Severity;
use stacklint_project::Project;
use stacklint_project::compose::ComposeService;

use super::common::{ImageRef, datastore, deployed, dev_reason, image_of, reportable};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `depends_on` on a datastore service (PostgreSQL, Redis, MySQL, ...) that
    /// only waits for its container to start: the list form, or `condition:
    /// service_started`. Also reports `condition: service_healthy` on a datastore that has
    /// no healthcheck (none in compose, none in the image it builds, and an official image,
    /// which ships none).
    ///
    /// A service whose command or entrypoint script waits for the database itself
    /// (`pg_isready`, `wait-for-it`, `dockerize -wait`, `nc -z`, a `manage.py wait_for_db`)
    /// and development, test and CI compose files are not reported for the first case.
    ///
    /// ## Why is this bad?
    /// Without a condition, `depends_on` only orders container starts: compose starts the
    /// application as soon as the database's container runs, while PostgreSQL still runs
    /// `initdb` or replays its WAL, and MySQL still initializes. The application's first
    /// connections fail (`connection refused`, `the database system is starting up`);
    /// migrations run at start fail, and a process without a restart policy stays down.
    /// `condition: service_healthy` makes compose wait until the dependency's healthcheck
    /// passes.
    ///
    /// With `condition: service_healthy` on a service that has no healthcheck, compose
    /// does not wait: `docker compose up` stops with `dependency failed to start: container
    /// ... has no healthcheck configured`, and the dependent service is not started.
    ///
    /// ## Example
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     image: example/web:1.4
    ///     depends_on:
    ///       - db
    ///   db:
    ///     image: postgres:16
    /// ```
    ///
    /// ## Use instead
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     image: example/web:1.4
    ///     depends_on:
    ///       db:
    ///         condition: service_healthy
    ///   db:
    ///     image: postgres:16
    ///     healthcheck:
    ///       test: ["CMD-SHELL", "pg_isready -U postgres"]
    ///       interval: 5s
    ///       timeout: 5s
    ///       retries: 10
    /// ```
    ///
    /// ## References
    /// - [Compose: control startup order](https://docs.docker.com/compose/how-tos/startup-order/)
    /// - [Compose file reference: depends_on](https://docs.docker.com/reference/compose-file/services/#depends_on)
    /// - [Compose file reference: healthcheck](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    pub static RULE = {
        code: "CMP003",
        name: "depends-on-without-healthcheck",
        family: Family::Compose,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

/// Words of a command or entrypoint script that wait for a dependency.
const WAITS: &[&str] = &["pg_isready", "wait-for", "wait_for", "waitfor", "wait-on", "dockerize", "nc -z", "netcat", "redis-cli ping", "mysqladmin ping", "until ", "wait_for_db", "wait-for-db", "check_db", "psycopg.connect", "psycopg2.connect", "connection.ensure_connection"];

/// The service `name` of `cs`'s application.
fn dependency<'p>(project: &'p Project, cs: &ComposeService, name: &str) -> Option<&'p ComposeService> {
    project.compose.service(&cs.file, name).or_else(|| project.compose.services.iter().find(|s| s.name == name && cs.layers.iter().any(|l| s.defined_in(&l.file))))
}

/// Whether the service's command, or an entrypoint script it runs, waits for its dependencies.
fn waits_itself(project: &Project, cs: &ComposeService) -> bool {
    let Some(d) = deployed(project, cs) else { return false };
    let Some(c) = &d.command else { return false };
    let argv = c.argv.join(" ");
    let scripts = c.via.iter().filter_map(|o| project.file(&o.file));
    std::iter::once(argv.as_str()).chain(scripts.map(|f| f.text.as_str())).any(|t| WAITS.iter().any(|w| t.contains(w)))
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = HashSet::new();
    for cs in &project.compose.services {
        for dep in &cs.merged.depends_on {
            if !reportable(project, &dep.file) {
                continue;
            }
            let name = &dep.value.service.value;
            let Some(target) = dependency(project, cs, name) else { continue };
            let Some(store) = datastore(project, target) else { continue };
            let condition = dep.value.condition.as_ref().map(|c| c.value.as_str());
            let message = match condition {
                None | Some("service_started") => {
                    if dev_reason(project, &dep.file).is_some() || waits_itself(project, cs) {
                        continue;
                    }
                    let how = if condition.is_none() { "`depends_on` without a condition" } else { "`condition: service_started`" };
                    format!(
                        "`{}` starts as soon as the container of `{name}` ({store}) runs, not when it accepts connections: {how} only orders container starts, so the first connections at boot fail while {store} initializes",
                        cs.name
                    )
                }
                Some("service_healthy") => {
                    let has_check = target.merged.healthcheck.as_ref().is_some_and(|h| !h.value.disable) || deployed(project, target).is_some_and(|d| d.healthcheck.is_some());
                    let disabled = target.merged.healthcheck.as_ref().is_some_and(|h| h.value.disable);
                    // An image of elsewhere may bring a HEALTHCHECK; official images ship none.
                    let official = target.merged.build.is_none() && image_of(target).is_some_and(|i| ImageRef::parse(&i).is_official());
                    if has_check || !(official || disabled) {
                        continue;
                    }
                    let why = if disabled { "its healthcheck is disabled" } else { "it has no `healthcheck:` and its official image defines none" };
                    format!("`{}` waits for `{name}` ({store}) to be healthy, but {why}: `docker compose up` stops with `dependency failed to start: container ... has no healthcheck configured`", cs.name)
                }
                Some(_) => continue,
            };
            if !seen.insert((dep.file.clone(), dep.value.range)) {
                continue;
            }
            let help = if target.merged.healthcheck.is_some() {
                format!("Use `condition: service_healthy` for `{name}`")
            } else {
                format!("Give `{name}` a `healthcheck:` (e.g. `pg_isready`, `redis-cli ping`) and use `condition: service_healthy`")
            };
            let d = cx.diagnostic(&dep.file, dep.value.range, message).with_help(help);
            cx.report(d);
        }
    }
}
