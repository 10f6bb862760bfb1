use stacklint_diagnostics::{Severity, TextRange};
use stacklint_project::Project;
use stacklint_project::concurrency::{ConnectionDemand, chain, connection_demand, database_clients};
use stacklint_project::postgres::{PgServer, Value as PgValue};

use super::{servers, site};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a PostgreSQL service whose `max_connections` − `superuser_reserved_connections`
    /// (100 − 3 by default) is below the connections the services linked to it may open:
    /// the sum over every service whose `DATABASE_URL` or `DATABASES` names it of replicas ×
    /// processes × connections per process. Gunicorn sync workers hold 1 connection each,
    /// gthread workers one per thread, gevent/eventlet workers one per greenlet
    /// (`worker_connections`, 1000 by default, or the Django pool's `max_size` when smaller);
    /// Celery workers one per pool process (`--concurrency`, the target's CPUs by
    /// default); ASGI workers the Django pool's size. Only what the project states is
    /// counted: when a linked service's concurrency is not known the sum is a lower bound,
    /// and nothing is reported unless the known part already exceeds the budget.
    ///
    /// ## Why is this bad?
    /// Django opens one connection per thread (or greenlet) that runs a query, and with
    /// `CONN_MAX_AGE` it keeps it open between requests; with `OPTIONS["pool"]` each process
    /// holds its own psycopg pool (`min_size` 4 connections by default, up to `max_size`), so a
    /// Celery prefork child holds `min_size` of them. Past `max_connections` minus
    /// the slots reserved for superusers, PostgreSQL refuses new connections with "FATAL:
    /// sorry, too many clients already", and the requests that needed them fail — at the
    /// moment of highest load, or when a deployment starts new replicas before the old ones
    /// stop. Raise `max_connections` (each connection costs memory: size `work_mem` with
    /// it) or put a pooler such as PgBouncer between the app and the database.
    ///
    /// ## Example
    /// ```python path=proj/settings.py
    /// import dj_database_url
    ///
    /// INSTALLED_APPS = ["django.contrib.contenttypes"]
    /// DATABASES = {"default": dj_database_url.config(conn_max_age=600, conn_health_checks=True)}
    /// ```
    ///
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     build: .
    ///     command: gunicorn proj.wsgi --workers 9 --threads 16
    ///     environment:
    ///       DJANGO_SETTINGS_MODULE: proj.settings
    ///       DATABASE_URL: postgres://app:secret@db:5432/app
    ///   db:
    ///     image: postgres:16
    /// ```
    ///
    /// ## Use instead
    /// ```python path=proj/settings.py
    /// import dj_database_url
    ///
    /// INSTALLED_APPS = ["django.contrib.contenttypes"]
    /// DATABASES = {"default": dj_database_url.config(conn_max_age=600, conn_health_checks=True)}
    /// ```
    ///
    /// ```yaml path=docker-compose.yml
    /// services:
    ///   web:
    ///     build: .
    ///     command: gunicorn proj.wsgi --workers 9 --threads 16
    ///     environment:
    ///       DJANGO_SETTINGS_MODULE: proj.settings
    ///       DATABASE_URL: postgres://app:secret@db:5432/app
    ///   db:
    ///     image: postgres:16
    ///     command: postgres -c max_connections=200
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: max_connections](https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS)
    /// - [Django: persistent connections and connection pools](https://docs.djangoproject.com/en/stable/ref/databases/#persistent-connections)
    /// - [gunicorn: worker_connections](https://docs.gunicorn.org/en/stable/settings.html#worker-connections)
    /// - [Celery: concurrency](https://docs.celeryq.dev/en/stable/userguide/workers.html#concurrency)
    pub static RULE = {
        code: "PGS008",
        name: "max-connections-below-app-demand",
        family: Family::Postgres,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for server in servers(project, true) {
        let Some(name) = server.service.as_deref() else { continue };
        let Some(origin) = server.defined_at.as_ref() else { continue };
        let Some(max) = int(server, "max_connections") else { continue };
        let Some(reserved) = int(server, "superuser_reserved_connections") else { continue };
        let budget = max.saturating_sub(reserved);
        let users = database_clients(project, name, &origin.file);
        if users.is_empty() {
            continue;
        }
        let mut terms: Vec<ConnectionDemand> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for s in users {
            match connection_demand(project, s) {
                Ok(t) => terms.push(t),
                Err(why) => unknown.push(format!("`{}` ({why})", s.name)),
            }
        }
        let total = terms.iter().fold(0u64, |a, t| a.saturating_add(t.n));
        if terms.is_empty() || total <= budget {
            continue;
        }
        let Some(at) = site(project, server, "max_connections", true) else { continue };
        let limit = limit_text(project, server, max, reserved, budget);
        let sum = if terms.len() > 1 { format!("; total {}", chain(&terms.iter().map(|t| t.n.to_string()).collect::<Vec<_>>(), " + ", u64::saturating_add)) } else { String::new() };
        let (least, rest) = if unknown.is_empty() && !terms.iter().any(|t| t.lower) {
            ("", String::new())
        } else {
            ("at least ", if unknown.is_empty() { String::new() } else { format!("; not counted, concurrency not known: {}", unknown.join(", ")) })
        };
        let message = format!(
            "the services linked to PostgreSQL service `{name}` may open {least}{total} connections ({}{sum}{rest}), above {limit}: past it PostgreSQL refuses new connections with \"sorry, too many clients already\"; raise `max_connections` or put a pooler (PgBouncer) in front",
            terms.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join("; "),
        );
        let mut d = cx.diagnostic(at.file(), at.range(), message);
        for t in &terms {
            for (file, range, note) in &t.related {
                d = d.with_related(file.clone(), *range, note.clone());
            }
        }
        cx.report(d);
    }
}

/// A setting's integer value in effect; `None` when written but not readable.
fn int(server: &PgServer, name: &str) -> Option<u64> {
    match server.value(name)? {
        PgValue::Int(n) => u64::try_from(n).ok(),
        _ => None,
    }
}

/// "`max_connections = 50` − `superuser_reserved_connections` 3 = 47 (postgresql.conf:4)".
fn limit_text(project: &Project, server: &PgServer, max: u64, reserved: u64, budget: u64) -> String {
    let shown = |name: &str, v: u64| match server.get(name) {
        Some(a) => format!("`{name}` {v} ({})", source_place(project, a)),
        None => format!("`{name}` {v} (PostgreSQL's default)"),
    };
    format!("{} − {} = {max} − {reserved} = {budget}", shown("max_connections", max), shown("superuser_reserved_connections", reserved))
}

fn source_place(project: &Project, a: &stacklint_project::postgres::Assignment) -> String {
    match &a.source {
        stacklint_project::postgres::Source::File { path, entry } => project.place(path, entry.line_range.start()),
        stacklint_project::postgres::Source::CommandLine { origin, .. } => project.place(&origin.file, origin.range.map_or(0, TextRange::start)),
    }
}
