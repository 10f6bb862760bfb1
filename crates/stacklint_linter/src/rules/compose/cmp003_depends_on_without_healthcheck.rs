use std::collections::HashSet;

use stacklint_diagnostics::Severity;
use stacklint_project::Project;
use stacklint_project::compose::ComposeService;

use super::common::{ImageRef, datastore, deployed, dev_reason, image_of, reportable};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `depends_on` on a datastore that needs seconds before it accepts
    /// connections (PostgreSQL, MySQL, MariaDB, Elasticsearch, OpenSearch, ...) that only
    /// waits for its container to start (the list form, or `condition: service_started`),
    /// when the dependent service connects as it starts: its command or entrypoint script
    /// runs a migration or another database step (`manage.py migrate`, `flask db upgrade`,
    /// `alembic upgrade`) without first waiting for the database itself (`pg_isready`,
    /// `wait-for-it`, `dockerize -wait`, a ping loop).
    ///
    /// Also reports `condition: service_healthy` on a datastore that has no healthcheck
    /// (none in compose, none in the Dockerfile it builds, and an official image, which
    /// ships none), or whose healthcheck is disabled.
    ///
    /// Not reported: Redis, Valkey and Memcached (they listen within milliseconds of
    /// starting), MongoDB and RabbitMQ (their clients wait for the server and retry),
    /// a dependent that only starts a server or a worker (it connects on the first
    /// request or task), a dependent whose command is the image's own (what it does at
    /// start is unknown: many images wait for their database), and development, test and
    /// CI compose files (see CMP001) for the first case.
    ///
    /// ## Why is this bad?
    /// Without a condition, `depends_on` only orders container starts: compose starts the
    /// dependent as soon as the database's container runs, while PostgreSQL still runs
    /// `initdb` (the first start of a volume takes seconds) or replays its WAL, and MySQL
    /// still initializes. A migration run at that moment fails with `connection refused`
    /// (or `the database system is starting up`); with `migrate && gunicorn` the container
    /// exits, and without a restart policy it stays down. `condition: service_healthy`
    /// makes compose wait until the dependency's healthcheck passes.
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
    ///     command: sh -c "python manage.py migrate && gunicorn app.wsgi"
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
    ///     command: sh -c "python manage.py migrate && gunicorn app.wsgi"
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
const WAITS: &[&str] = &["pg_isready", "wait", "dockerize", "nc -z", "netcat", "ping", "until ", "check_db", "ensure_connection", "retry", "sleep"];

/// Steps that connect to the database as the process starts (the server and the worker
/// connect on the first request or task, and retry).
const BOOT_STEPS: &[&str] = &["migrate", "upgrade", "createsuperuser", "loaddata", "create_db", "createdb", "init_db", "initdb", "alembic", "syncdb", "createcachetable"];

/// Datastores that accept connections seconds after their container starts (initdb, WAL
/// replay, cluster formation). Redis, Valkey and Memcached listen within milliseconds;
/// MongoDB and RabbitMQ clients wait for the server (server selection, connection retry).
const SLOW_STARTING: &[&str] = &["PostgreSQL", "MySQL", "MariaDB", "Elasticsearch", "OpenSearch", "Cassandra", "Neo4j", "ClickHouse"];

/// The service `name` of `cs`'s application.
fn dependency<'p>(project: &'p Project, cs: &ComposeService, name: &str) -> Option<&'p ComposeService> {
    project.compose.service(&cs.file, name).or_else(|| project.compose.services.iter().find(|s| s.name == name && cs.layers.iter().any(|l| s.defined_in(&l.file))))
}

/// The step of the service's start that connects to the database right away, unless the
/// command (or an entrypoint script it runs) first waits for it. `None` when the command
/// is unknown (an image's own), waits, or only starts a server or worker.
fn boot_step(project: &Project, cs: &ComposeService) -> Option<String> {
    let d = deployed(project, cs)?;
    let c = d.command.as_ref()?;
    let argv = c.argv.join(" ");
    let texts: Vec<&str> = std::iter::once(argv.as_str()).chain(c.via.iter().filter_map(|o| project.file(&o.file)).map(|f| f.text.as_str())).collect();
    if texts.iter().any(|t| WAITS.iter().any(|w| t.contains(w))) {
        return None;
    }
    texts.iter().find_map(|t| {
        let words: Vec<&str> = t.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '&' | '|' | '[' | ']' | ',')).filter(|w| !w.is_empty()).collect();
        let at = words.iter().position(|w| BOOT_STEPS.contains(w))?;
        // The step with the two words before it: `manage.py migrate`, `flask db upgrade`.
        let from = words.iter().take(at).rposition(|w| matches!(*w, "sh" | "-c" | "bash" | "exec")).map_or(at.saturating_sub(2), |i| (i + 1).max(at.saturating_sub(2)));
        Some(words.get(from..=at)?.join(" "))
    })
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
                    if !SLOW_STARTING.contains(&store) || dev_reason(project, &dep.file).is_some() {
                        continue;
                    }
                    let Some(step) = boot_step(project, cs) else { continue };
                    let how = if condition.is_none() { "`depends_on` without a condition" } else { "`condition: service_started`" };
                    format!(
                        "`{}` runs `{step}` at start as soon as the container of `{name}` ({store}) runs, not when it accepts connections: {how} only orders container starts, so `{step}` fails (`connection refused`) while {store} initializes",
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
