//! `stacklint capacity`: how many requests per second and concurrent users each app service
//! of a deployment takes, which resource binds first, and the arithmetic that says so.
//!
//! The model is Little's law over the slots the configuration gives (the capacity probe in
//! the project's reference notes checked it against a real stack):
//!
//! - **worker slots**: requests a service runs at once (replicas × workers × per worker: 1
//!   for sync workers, `threads` for gthread, `worker_connections` for gevent/eventlet, 1
//!   for Django under an ASGI worker, whose sync views run one at a time per process), each
//!   busy for the request's wall time `T`: `slots / T` requests per second;
//! - **CPU**: the GIL lets one thread of a process run Python at a time, so a replica uses at
//!   most `min(workers, CPUs)` CPUs, each busy for the request's CPU time `D`:
//!   `replicas × min(workers, CPUs) / D`;
//! - **database connections**: the services linked to one PostgreSQL share `max_connections`
//!   − `superuser_reserved_connections`; when they may open more, those beyond fail, and
//!   the connections there are serve at most `budget / T` requests per second among them.
//!
//! - **nginx** in front: each request costs nginx CPU too, more when nginx opens a new
//!   connection to the app for it (no upstream keepalive); its worker processes use at most
//!   one CPU each, and on the app's host it shares the app's CPUs.
//!
//! A request that opens a new database connection (`CONN_MAX_AGE = 0` without a pool)
//! costs more wall and CPU time (about 5 ms and 8 ms on loopback with trust auth, measured).
//! `T`, `D`, that cost, nginx's CPU per request, the think time between a user's requests
//! and a worker's memory are not in the configuration: they are [`Inputs`], each with its
//! source shown.

use serde::Serialize;
use stacklint_project::concurrency::{connection_demand, database_clients, option, pool_of, redis_pool_demands, words};
use stacklint_project::deployment::{DeployedService, LinkKind, LinkTarget, Role};
use stacklint_project::django::{Age, SettingsModule};
use stacklint_project::gunicorn::{GunicornProcess, WorkerKind, WorkersSource};
use stacklint_project::postgres::{self, Value as PgValue};
use stacklint_project::{MIB, Project, format_bytes};
use stacklint_python::Outcome;
use stacklint_text::TextRange;

pub mod access_log;
mod nginx;
mod render;
mod svg;

pub use render::{headlines, markdown, service_markdown, text};
pub use svg::svg;

/// One number the configuration cannot know, and where its value came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Input {
    pub value: f64,
    pub source: String,
}

impl Input {
    pub fn new(value: f64, source: impl Into<String>) -> Input {
        Input { value, source: source.into() }
    }
}

/// What the arithmetic needs besides the configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inputs {
    /// Wall time one request spends in the app, waiting on the database and other services
    /// included, in ms.
    pub request_ms: Input,
    /// CPU time one request costs in the app's process, in ms.
    pub cpu_ms: Input,
    /// Wall time and CPU time (the app's) added by opening a database connection for a
    /// request, and the CPU the database spends starting a backend for it.
    pub connect_ms: Input,
    pub connect_cpu_ms: Input,
    pub connect_db_cpu_ms: Input,
    /// CPU time nginx spends proxying one request to the app over a reused connection, ms.
    pub nginx_cpu_ms: Input,
    /// CPU time added per request when nginx opens a new connection to the app for it (no
    /// upstream keepalive): nginx's connect and close, and the app server's accept, ms.
    pub upstream_connect_cpu_ms: Input,
    /// Seconds between one user's requests.
    pub think_s: Input,
    /// The share of the users' requests that never reach the app (static files nginx
    /// serves, cached responses), from 0 to 1.
    pub static_share: Input,
    /// Resident memory of one worker process, in MiB.
    pub worker_mib: Input,
    /// `--set web.workers=9`: values that replace the configuration's, to ask "what if".
    pub what_if: Vec<WhatIf>,
    /// `request_ms` was measured on the running stack (an access log): it already holds
    /// the time to open a database connection when each request opens one.
    pub request_includes_connect: bool,
}

/// One value replaced for a what-if: `service.key = value`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhatIf {
    pub service: String,
    /// One of [`WHAT_IF_KEYS`].
    pub key: String,
    pub value: f64,
}

/// What `--set SERVICE.KEY=VALUE` may replace.
pub const WHAT_IF_KEYS: &[&str] = &["workers", "threads", "worker-connections", "replicas", "cpus"];

impl WhatIf {
    /// `web.workers=9`; the error says what is wrong.
    pub fn parse(spec: &str) -> Result<WhatIf, String> {
        let (lhs, value) = spec.split_once('=').ok_or_else(|| format!("`{spec}`: expected SERVICE.KEY=VALUE, like `web.workers=9`"))?;
        let (service, key) = lhs.trim().rsplit_once('.').ok_or_else(|| format!("`{spec}`: expected SERVICE.KEY=VALUE, like `web.workers=9`"))?;
        if !WHAT_IF_KEYS.contains(&key) {
            return Err(format!("`{spec}`: unknown key `{key}`; expected one of {}", WHAT_IF_KEYS.join(", ")));
        }
        let value: f64 = value.trim().parse().map_err(|_| format!("`{spec}`: `{}` is not a number", value.trim()))?;
        let whole = key != "cpus";
        if !value.is_finite() || value <= 0.0 || whole && value.fract() != 0.0 {
            return Err(format!("`{spec}`: expected {} above 0", if whole { "a whole number" } else { "a number" }));
        }
        Ok(WhatIf { service: service.to_owned(), key: key.to_owned(), value })
    }
}

impl Inputs {
    /// The what-if value of `service.key`, and how messages cite it.
    fn what_if(&self, service: &str, key: &str) -> Option<(f64, String)> {
        self.what_if.iter().rev().find(|w| w.service == service && w.key == key).map(|w| (w.value, format!("--set {service}.{key}={}", num(w.value))))
    }

    /// A whole what-if value (workers, threads, replicas).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn what_if_count(&self, service: &str, key: &str) -> Option<(u64, String)> {
        self.what_if(service, key).map(|(v, text)| (v as u64, text))
    }
}

impl Default for Inputs {
    fn default() -> Self {
        // Measured by tests/capacity/harness.py (and reference/capacity-probe.md) on loopback
        // with trust auth: a real network, TLS and SCRAM cost more.
        let measured = "default: measured on loopback with trust auth (tests/capacity/harness.py); more with TLS and SCRAM";
        Inputs {
            request_ms: Input::new(100.0, "default: a typical Django view; measure yours and pass --request-time"),
            cpu_ms: Input::new(20.0, "default: measure yours and pass --cpu-time"),
            connect_ms: Input::new(5.0, measured),
            connect_cpu_ms: Input::new(0.5, measured),
            connect_db_cpu_ms: Input::new(3.5, measured),
            nginx_cpu_ms: Input::new(0.05, "default: measured on loopback with `access_log off`, plain HTTP (tests/capacity/harness.py); more with TLS, gzip or access logs"),
            upstream_connect_cpu_ms: Input::new(0.12, "default: measured on loopback, nginx's side and gunicorn's gthread side, 0.09–0.16 ms (tests/capacity/harness.py)"),
            think_s: Input::new(10.0, "default: pass --think-time"),
            static_share: Input::new(0.0, "default: every request reaches the app; pass --static-share, or --access-log measures it"),
            worker_mib: Input::new(150.0, "default: a Django worker's resident size; pass --worker-memory"),
            what_if: Vec::new(),
            request_includes_connect: false,
        }
    }
}

/// The capacity of every app service of a project.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub inputs: Inputs,
    pub services: Vec<ServiceCapacity>,
    /// The same services with stacklint's fixes applied in memory, when asked.
    pub after_fixes: Option<AfterFixes>,
}

/// What the fixes buy: the services as the fixed files configure them.
#[derive(Clone, Debug, Serialize)]
pub struct AfterFixes {
    /// `safe` or `all` (safe and unsafe).
    pub applied: String,
    pub fixes: Vec<AppliedFix>,
    pub services: Vec<ServiceCapacity>,
}

/// One finding a fix removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedFix {
    pub code: String,
    pub title: String,
    /// `file:line` of the finding.
    pub place: String,
}

impl Report {
    /// This report with `after`, the analysis of the fixed project, beside it.
    #[must_use]
    pub fn with_fixes(mut self, applied: &str, fixes: Vec<AppliedFix>, after: Report) -> Report {
        self.after_fixes = Some(AfterFixes { applied: applied.to_owned(), fixes, services: after.services });
        self
    }
}

/// One app service: its slots, each limit with its arithmetic, and the one that binds.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceCapacity {
    pub service: String,
    /// `file:line` of the command that runs it.
    pub place: String,
    /// "gunicorn, 3 uvicorn workers".
    pub server: String,
    /// "4 CPUs (from [target] in stacklint.toml), 8 GiB".
    pub machine: String,
    /// How the app reaches its database: "`CONN_MAX_AGE` 0: a new connection per request".
    pub database: Option<String>,
    /// Every request opens a new database connection (`CONN_MAX_AGE` 0, no pool).
    pub new_connection_per_request: bool,
    /// The nginx in front (the `proxy_pass` that reaches the service) and how it reaches
    /// the app: "`proxy_pass` at nginx/nginx.conf:14; upstream keepalive (...)".
    pub nginx: Option<String>,
    /// nginx opens a new connection to the app for every request, which upstream
    /// keepalive would save (not said of sync workers, which close every connection).
    pub new_upstream_connection_per_request: bool,
    /// The request's wall and CPU time, connection set-up included, with the sum.
    pub request_ms: f64,
    pub cpu_ms: f64,
    pub times: String,
    pub limits: Vec<Limit>,
    /// The resource of the lowest limit, and its requests per second.
    pub binding: Option<String>,
    pub requests_per_second: Option<f64>,
    /// Users each sending a request every think time, at that rate, with the arithmetic.
    pub users: Option<u64>,
    pub users_arithmetic: Option<String>,
    /// Budgets that are no rate (memory): exceeded or not, with the arithmetic.
    pub checks: Vec<Check>,
    /// What the configuration does not tell, so that a limit could not be computed.
    pub unknown: Vec<String>,
    /// Why the service is left out (a development server or compose file).
    pub not_sized: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Limit {
    pub resource: String,
    pub requests_per_second: f64,
    pub arithmetic: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub resource: String,
    pub exceeded: bool,
    pub arithmetic: String,
}

/// The capacity of each app service of `project`.
pub fn analyze(project: &Project, inputs: &Inputs) -> Report {
    let mut services = Vec::new();
    for s in &project.deployment.services {
        let Role::App { server } = &s.role else { continue };
        let processes: Vec<&GunicornProcess> = project.gunicorn.iter().filter(|g| project.services_running(g).iter().any(|r| std::ptr::eq(*r, s))).collect();
        if let Some(why) = stacklint_project::environments::development_reason(project, &s.defined_in.file) {
            let file = s.defined_in.file.strip_prefix(&project.root).unwrap_or(&s.defined_in.file).display().to_string();
            let why = if why.starts_with(&file) { why } else { format!("{file}: {why}") };
            let mut out = unknown_service(project, s, String::new());
            out.unknown.clear();
            out.not_sized = Some(format!("a development service ({why})"));
            services.push(out);
            continue;
        }
        let capacity = match (server.as_str(), processes.as_slice()) {
            ("gunicorn", [g]) => gunicorn_service(project, s, g, inputs),
            ("uvicorn", _) => uvicorn_service(project, s, inputs),
            ("uwsgi", _) => uwsgi_service(project, s, inputs),
            ("runserver", _) => {
                let mut out = unknown_service(project, s, String::new());
                out.unknown.clear();
                out.not_sized = Some("`runserver` is Django's development server, which its documentation says not to use in production".to_owned());
                out
            }
            _ => unknown_service(project, s, format!("its {server} workers are not modelled")),
        };
        services.push(capacity);
    }
    Report { inputs: inputs.clone(), services, after_fixes: None }
}

/// How a worker runs requests: how many at once, and why.
struct PerWorker {
    /// `None`: no slot limit (an event loop), or not known (`known` false).
    slots: Option<u64>,
    known: bool,
    text: String,
}

fn gunicorn_service(project: &Project, s: &DeployedService, g: &GunicornProcess, inputs: &Inputs) -> ServiceCapacity {
    let kind = g.worker_class();
    let eff = g.effective_workers();
    let module = project.gunicorn_settings(g).map(|r| r.module);
    let mut out = base(project, s, module, inputs, format!("gunicorn, {} workers", kind.name()), project.place(&g.anchor.file, g.anchor.range.start()));
    let (workers, workers_text) = match (inputs.what_if_count(&s.name, "workers"), eff.count.and_then(|c| u64::try_from(c).ok())) {
        (Some((n, text)), _) => (n, format!("{} ({text})", plural(n, "worker"))),
        (None, Some(n)) => match &eff.source {
            WorkersSource::Setting(x) | WorkersSource::WebConcurrency(x) => (n, format!("{} ({})", plural(n, "worker"), project.place(&x.origin.file, x.origin.range.start()))),
            WorkersSource::Default => (n, "gunicorn's default 1 worker".to_owned()),
        },
        (None, None) => {
            out.unknown.push("the number of gunicorn workers".to_owned());
            return out;
        }
    };
    // A setting's value, or the what-if's, with how it is cited.
    let int = |name: &str, key: &str, default: u64| -> (u64, String) {
        if let Some((n, text)) = inputs.what_if_count(&s.name, key) {
            return (n, format!(" ({text})"));
        }
        (g.get(name).and_then(|x| x.value.as_int()).and_then(|n| u64::try_from(n).ok()).unwrap_or(default), String::new())
    };
    let per = match &kind {
        WorkerKind::Sync => PerWorker { slots: Some(1), known: true, text: "1 request at a time (sync)".to_owned() },
        WorkerKind::Gthread => {
            let (threads, cited) = int("threads", "threads", 1);
            PerWorker { slots: Some(threads), known: true, text: format!("{threads} threads{cited}") }
        }
        WorkerKind::Gevent | WorkerKind::Eventlet => {
            let (n, cited) = int("worker_connections", "worker-connections", 1000);
            PerWorker { slots: Some(n), known: true, text: format!("{n} greenlets (`worker_connections`){cited}") }
        }
        WorkerKind::Uvicorn { .. } | WorkerKind::Asgi => event_loop(project, s, module.is_some()),
        other => PerWorker { slots: None, known: false, text: format!("`{}` workers are not modelled", other.name()) },
    };
    finish(project, s, out, workers, &workers_text, &per, inputs)
}

fn uvicorn_service(project: &Project, s: &DeployedService, inputs: &Inputs) -> ServiceCapacity {
    let words = words(s);
    let args: Vec<String> = words.iter().skip_while(|w| !(*w == "uvicorn" || w.ends_with("/uvicorn"))).skip(1).cloned().collect();
    let module = project.settings_module_named(s.settings_module.as_ref().map_or("", |m| m.value.as_str()));
    let place = s.command.as_ref().map_or_else(|| project.place(&s.defined_in.file, 0), |c| project.place(&c.origin.file, c.origin.range.map_or(0, TextRange::start)));
    let out = base(project, s, module, inputs, "uvicorn".to_owned(), place);
    let workers = match option(&args, "", "--workers") {
        Some(v) => v.parse::<u64>().ok(),
        None if s.env("WEB_CONCURRENCY").is_some() => None,
        None => Some(1),
    };
    let (workers, text) = match (inputs.what_if_count(&s.name, "workers"), workers) {
        (Some((n, cited)), _) => (n, format!("{} ({cited})", plural(n, "uvicorn worker"))),
        (None, Some(n)) => (n, plural(n, "uvicorn worker")),
        (None, None) => {
            let mut out = out;
            out.unknown.push("the number of uvicorn workers".to_owned());
            return out;
        }
    };
    let per = event_loop(project, s, module.is_some());
    finish(project, s, out, workers, &text, &per, inputs)
}

/// uWSGI's `--processes` (or `--workers`) and `--threads` from its command line; an ini
/// file the command names is not read.
fn uwsgi_service(project: &Project, s: &DeployedService, inputs: &Inputs) -> ServiceCapacity {
    let words = words(s);
    let args: Vec<String> = words.iter().skip_while(|w| !(*w == "uwsgi" || w.ends_with("/uwsgi"))).skip(1).cloned().collect();
    let place = s.command.as_ref().map_or_else(|| project.place(&s.defined_in.file, 0), |c| project.place(&c.origin.file, c.origin.range.map_or(0, TextRange::start)));
    let module = project.settings_module_named(s.settings_module.as_ref().map_or("", |m| m.value.as_str()));
    let mut out = base(project, s, module, inputs, "uWSGI".to_owned(), place);
    let count = |short: &str, long: &str| option(&args, short, long).map(|v| v.parse::<u64>().ok());
    let processes = match (count("-p", "--processes"), count("", "--workers")) {
        (Some(n), _) | (None, Some(n)) => n,
        // uWSGI's default is one process; an ini file may say otherwise.
        (None, None) if args.iter().any(|a| a.starts_with("--ini") || std::path::Path::new(a).extension().is_some_and(|e| e.eq_ignore_ascii_case("ini")) || a.starts_with("--yaml") || a.starts_with("--json")) => None,
        (None, None) => Some(1),
    };
    let (processes, text) = match (inputs.what_if_count(&s.name, "workers"), processes) {
        (Some((n, cited)), _) => (n, format!("{} ({cited})", plural(n, "uWSGI process"))),
        (None, Some(n)) => (n, format!("{} (`--processes`)", plural(n, "uWSGI process"))),
        (None, None) => {
            out.unknown.push("the number of uWSGI processes (set in a file the command names)".to_owned());
            return out;
        }
    };
    let threads = match (inputs.what_if_count(&s.name, "threads"), count("", "--threads")) {
        (Some((n, cited)), _) => Some((n, format!("{n} threads ({cited})"))),
        (None, Some(Some(n))) => Some((n, format!("{n} threads (`--threads`)"))),
        (None, Some(None)) => None,
        (None, None) => Some((1, "1 request at a time".to_owned())),
    };
    let per = match threads {
        Some((n, text)) => PerWorker { slots: Some(n), known: true, text },
        None => PerWorker { slots: None, known: false, text: "uWSGI's `--threads` is not a number".to_owned() },
    };
    finish(project, s, out, processes, &text, &per, inputs)
}

/// An ASGI worker takes every request it is sent: no slot limit, CPU and pools bind.
fn event_loop(project: &Project, s: &DeployedService, django: bool) -> PerWorker {
    // With a Django pool, a request that queries waits for one of its connections: the
    // pool bounds what a worker runs at once (psycopg_pool's `max_size`).
    if let Ok(Some((_, max, text))) = pool_of(project, s) {
        return PerWorker { slots: Some(max), known: true, text: format!("{max} requests at once: an event loop bounded by its database pool ({text})") };
    }
    let text = if django {
        // Django's ASGIHandler runs each request in its own `ThreadSensitiveContext`, so a
        // sync view gets a thread of its own rather than waiting for one.
        "an event loop; Django gives each request's sync code its own thread, so no worker slot limit"
    } else {
        "an event loop: as many requests as the app awaits, so no worker slot limit"
    };
    PerWorker { slots: None, known: true, text: text.to_owned() }
}

fn unknown_service(project: &Project, s: &DeployedService, why: String) -> ServiceCapacity {
    let place = project.place(&s.defined_in.file, s.defined_in.range.map_or(0, TextRange::start));
    let mut out = base(project, s, None, &Inputs::default(), s.role.to_string(), place);
    out.unknown.push(why);
    out
}

/// What every service has before its workers are read: the machine, the database
/// connection cost, the request's times.
fn base(project: &Project, s: &DeployedService, module: Option<&SettingsModule>, inputs: &Inputs, server: String, place: String) -> ServiceCapacity {
    let t = &s.target;
    let machine = format!("{} ({}), {} ({})", t.cpus_text(), t.cpus_source, t.memory_text(), t.memory_source);
    let (database, new_connection) = database_text(project, module);
    let (mut request_ms, mut cpu_ms) = (inputs.request_ms.value, inputs.cpu_ms.value);
    let times = if new_connection && inputs.request_includes_connect {
        cpu_ms += inputs.connect_cpu_ms.value;
        format!(
            "T = {} ms (measured: connecting included); D = {} + {} ms CPU to connect = {} ms",
            num(request_ms),
            num(inputs.cpu_ms.value),
            num(inputs.connect_cpu_ms.value),
            num(cpu_ms)
        )
    } else if new_connection {
        request_ms += inputs.connect_ms.value;
        cpu_ms += inputs.connect_cpu_ms.value;
        format!(
            "T = {} + {} ms to connect = {} ms; D = {} + {} ms CPU to connect = {} ms",
            num(inputs.request_ms.value),
            num(inputs.connect_ms.value),
            num(request_ms),
            num(inputs.cpu_ms.value),
            num(inputs.connect_cpu_ms.value),
            num(cpu_ms)
        )
    } else {
        format!("T = {} ms; D = {} ms CPU", num(request_ms), num(cpu_ms))
    };
    ServiceCapacity {
        service: s.name.clone(),
        place,
        server,
        machine,
        database,
        new_connection_per_request: new_connection,
        nginx: None,
        new_upstream_connection_per_request: false,
        request_ms,
        cpu_ms,
        times,
        limits: Vec::new(),
        binding: None,
        requests_per_second: None,
        users: None,
        users_arithmetic: None,
        checks: Vec::new(),
        unknown: Vec::new(),
        not_sized: None,
    }
}

/// How the settings reach the default database, and whether each request opens a new
/// connection (`CONN_MAX_AGE` 0 on every path, no pool).
fn database_text(project: &Project, module: Option<&SettingsModule>) -> (Option<String>, bool) {
    let Some(db) = module.and_then(SettingsModule::database) else { return (None, false) };
    // Where the value in effect is written, else the settings module.
    let at = match db.age.last() {
        Some(Outcome::Value { expr, .. }) => project.place(&expr.file, expr.range.start()),
        _ => module.map_or_else(String::new, |m| project.place(&m.path, 0)),
    };
    if db.pool {
        return (Some(format!("a connection pool (`OPTIONS[\"pool\"]`, {at}): connections are reused")), false);
    }
    match db.ages.as_deref() {
        Some(ages) if ages.iter().all(|a| *a == Age::Zero) => (Some(format!("`CONN_MAX_AGE` 0 ({at}): a new connection for every request")), true),
        Some(ages) if ages.iter().all(|a| *a != Age::Zero) => (Some(format!("`CONN_MAX_AGE` above 0 ({at}): connections are reused")), false),
        _ => (Some(format!("`CONN_MAX_AGE` not known statically ({at}): counted as reused")), false),
    }
}

/// The limits of a service with `workers` processes per replica.
fn finish(project: &Project, s: &DeployedService, mut out: ServiceCapacity, workers: u64, workers_text: &str, per: &PerWorker, inputs: &Inputs) -> ServiceCapacity {
    let (replicas, reps_cited) = match inputs.what_if_count(&s.name, "replicas") {
        Some((n, text)) => (n, format!(" ({text})")),
        None => (s.replicas.as_ref().map_or(1, |r| u64::from(r.value)), String::new()),
    };
    let reps_text = if replicas > 1 || !reps_cited.is_empty() { format!("{replicas} replicas{reps_cited} × ") } else { String::new() };
    let reps_factor = if replicas > 1 { format!("{replicas} × ") } else { String::new() };
    let (t, d) = (out.request_ms / 1000.0, out.cpu_ms / 1000.0);
    #[allow(clippy::cast_precision_loss)]
    let as_f = |n: u64| n as f64;
    match per.slots {
        Some(per_worker) => {
            let slots = replicas.saturating_mul(workers).saturating_mul(per_worker);
            out.limits.push(Limit {
                resource: "worker slots".to_owned(),
                requests_per_second: as_f(slots) / t,
                arithmetic: format!("{reps_text}{workers_text} × {}: {reps_factor}{workers} × {per_worker} = {slots} at once; {slots} / {} s = {} requests/s", per.text, num(t), num(as_f(slots) / t)),
            });
        }
        None if per.known => out.server = format!("{} ({})", out.server, per.text),
        None => out.unknown.push(format!("slots per worker: {}", per.text)),
    }
    let (cpus, cpus_text) = match inputs.what_if(&s.name, "cpus") {
        Some((c, text)) => (c, format!("{} ({text})", plural_f(c, "CPU"))),
        None => (s.target.cpus, s.target.cpus_text()),
    };
    let busy = as_f(workers).min(cpus);
    let cpu_rps = as_f(replicas) * busy / d;
    out.limits.push(Limit {
        resource: "CPU".to_owned(),
        requests_per_second: cpu_rps,
        arithmetic: format!(
            "{reps_factor}min({}, {}) = {reps_factor}{} busy (the GIL runs one thread of a process at a time); {reps_factor}{} / {} s CPU = {} requests/s",
            plural(workers, "worker"),
            cpus_text,
            plural_f(busy, "CPU"),
            num(busy),
            num(d),
            num(cpu_rps)
        ),
    });
    let connect_cpu = out.new_connection_per_request.then_some(&inputs.connect_db_cpu_ms);
    out.limits.extend(database_limits(project, s, t, connect_cpu));
    let front = nginx::front(project, s);
    if let Some(f) = &front {
        out.nginx = Some(format!("`proxy_pass` at {}; {}", f.place, f.reuse_text));
        out.new_upstream_connection_per_request = f.connect_per_request;
        out.limits.extend(f.limit(inputs));
    }
    if let Some(limit) = shared_cpu(project, s, &cpus_text, cpus, out.cpu_ms, connect_cpu, front.as_ref().filter(|f| f.same_host).map(|f| f.cpu_parts(inputs))) {
        out.limits.push(limit);
    }
    out.checks.extend(redis_checks(project, s));
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let worker_bytes = (inputs.worker_mib.value.max(0.0) * as_f(MIB)) as u64;
    let need = workers.saturating_mul(worker_bytes);
    out.checks.push(Check {
        resource: "memory".to_owned(),
        exceeded: need > s.target.memory,
        arithmetic: format!("{} × {} MiB = {} per replica, against {} ({})", plural(workers, "worker"), num(inputs.worker_mib.value), format_bytes(need), s.target.memory_text(), s.target.memory_source),
    });
    if let Some(lowest) = out.limits.iter().min_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second)) {
        let x = lowest.requests_per_second;
        let cycle = t + inputs.think_s.value;
        // Requests served before the app (static files, caches) come from the same users.
        let share = inputs.static_share.value.clamp(0.0, 0.99);
        let all = x / (1.0 - share);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let users = (all * cycle).floor() as u64;
        out.users_arithmetic = Some(if share > 0.0 {
            format!(
                "{} requests/s reach the app, {}% of the users' requests ({}% are served before it): {} / {} = {} requests/s × ({} s per request + {} s think time) = {users} users",
                num(x),
                num((1.0 - share) * 100.0),
                num(share * 100.0),
                num(x),
                num(1.0 - share),
                num(all),
                num(t),
                num(inputs.think_s.value)
            )
        } else {
            format!("{} requests/s × ({} s per request + {} s think time) = {users} users", num(x), num(t), num(inputs.think_s.value))
        });
        out.users = Some(users);
        out.binding = Some(lowest.resource.clone());
        out.requests_per_second = Some(x);
        if let Some(check) = front.and_then(|f| f.connections(project, users, x * t, inputs.think_s.value)) {
            out.checks.push(check);
        }
    }
    out
}

/// The limits of the PostgreSQL server `s` is linked to: its connections, when its clients
/// may open more than it accepts (the budget serves `budget / T` requests per second among
/// them); and, when every request opens a connection (`connect_cpu`), the CPU the server
/// spends starting a backend for each.
fn database_limits(project: &Project, s: &DeployedService, t: f64, connect_cpu: Option<&Input>) -> Vec<Limit> {
    let mut out = Vec::new();
    for server in postgres::servers(project) {
        let (Some(name), Some(origin)) = (server.service.as_deref(), server.defined_at.as_ref()) else { continue };
        let clients = database_clients(project, name, &origin.file);
        if !clients.iter().any(|c| std::ptr::eq(*c, s)) {
            continue;
        }
        if let Some(cost) = connect_cpu.filter(|c| c.value > 0.0) {
            let cpus = server.target.cpus;
            let rps = cpus / (cost.value / 1000.0);
            out.push(Limit {
                resource: "database CPU (connections)".to_owned(),
                requests_per_second: rps,
                arithmetic: format!(
                    "each request makes PostgreSQL `{name}` start a backend: {} ms of its CPU; it has {} ({}): {} / {} s = {} requests/s, before any query",
                    num(cost.value),
                    server.target.cpus_text(),
                    server.target.cpus_source,
                    num(cpus),
                    num(cost.value / 1000.0),
                    num(rps)
                ),
            });
        }
        let int = |n: &str| match server.value(n) {
            Some(PgValue::Int(v)) => u64::try_from(v).ok(),
            _ => None,
        };
        let (Some(max), Some(reserved)) = (int("max_connections"), int("superuser_reserved_connections")) else { continue };
        let budget = max.saturating_sub(reserved);
        let demands: Vec<_> = clients.iter().filter_map(|c| connection_demand(project, c).ok()).collect();
        let total = demands.iter().fold(0u64, |a, d| a.saturating_add(d.n));
        if total <= budget {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        let rps = budget as f64 / t;
        out.push(Limit {
            resource: "database connections".to_owned(),
            requests_per_second: rps,
            arithmetic: format!(
                "the services linked to PostgreSQL `{name}` may open {total} connections ({}); it accepts `max_connections` {max} − {reserved} reserved = {budget}: the rest fail; {budget} / {} s = {} requests/s among them",
                demands.iter().map(|d| d.text.as_str()).collect::<Vec<_>>().join("; "),
                num(t),
                num(rps)
            ),
        });
    }
    out
}

/// "1 worker", "3 workers".
fn plural(n: u64, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// "1 CPU", "1.5 CPUs".
fn plural_f(x: f64, word: &str) -> String {
    if (x - 1.0).abs() < 1e-9 { format!("1 {word}") } else { format!("{} {word}s", num(x)) }
}

/// The Redis servers `s` uses as a cache: the django-redis pools of all their clients
/// against `maxclients` (past it Redis refuses connections, and requests fail).
fn redis_checks(project: &Project, s: &DeployedService) -> Vec<Check> {
    let mut out = Vec::new();
    for server in stacklint_project::redis::servers(project) {
        if !server.roles.iter().any(|r| r.kind == LinkKind::Cache && r.from == s.name) {
            continue;
        }
        let parts = redis_pool_demands(project, server);
        if parts.is_empty() {
            continue;
        }
        let setting = server.last("maxclients");
        let (max, max_text) = match setting {
            Some(x) if x.variable => continue,
            Some(x) => match x.arg(0).and_then(|v| v.parse::<u64>().ok()) {
                Some(n) => (n, format!("`maxclients {n}`")),
                None => continue,
            },
            None => (stacklint_project::redis::DEFAULT_MAXCLIENTS, format!("Redis's default `maxclients` {}", stacklint_project::redis::DEFAULT_MAXCLIENTS)),
        };
        let total = parts.iter().fold(0u64, |a, (n, _)| a.saturating_add(*n));
        let name = server.service.as_deref().unwrap_or("redis");
        out.push(Check {
            resource: format!("Redis `{name}` connections"),
            exceeded: total > max,
            arithmetic: format!("the django-redis pools may open {total} ({}), against {max_text}", parts.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("; ")),
        });
    }
    out
}

/// The CPUs the app shares with other work on its host, when each request costs some
/// there too: PostgreSQL starting a backend (a database on `localhost` and a connection per
/// request, `connect_cpu`), nginx proxying it (`nginx`: its CPU per request in parts, when
/// nginx reaches the app on loopback or a unix socket). The machine's CPUs serve the app's
/// CPU per request and these together.
fn shared_cpu(project: &Project, s: &DeployedService, cpus_text: &str, cpus: f64, app_cpu_ms: f64, connect_cpu: Option<&Input>, nginx: Option<Vec<(f64, String)>>) -> Option<Limit> {
    let local = |h: &str| matches!(h, "localhost" | "127.0.0.1" | "::1" | "[::1]");
    let links = &project.deployment.links;
    let on_host = s.image.is_none() && s.build.is_none();
    let database = connect_cpu
        .filter(|c| c.value > 0.0)
        .filter(|_| on_host && links.iter().any(|l| l.from == s.name && l.kind == LinkKind::Database && matches!(&l.to, LinkTarget::External { host, .. } if local(host))));
    let nginx = nginx.filter(|parts| parts.iter().any(|(ms, _)| *ms > 0.0));
    let mut parts = vec![format!("{} ms of the app's CPU", num(app_cpu_ms))];
    let mut total = app_cpu_ms;
    let mut with = Vec::new();
    let mut why = Vec::new();
    if let Some(nginx) = &nginx {
        for (ms, text) in nginx {
            parts.push(text.clone());
            total += ms;
        }
        with.push("nginx");
        why.push("nginx reaches the app on this host");
    }
    if let Some(cost) = database {
        parts.push(format!("{} ms for PostgreSQL to start a backend", num(cost.value)));
        total += cost.value;
        with.push("PostgreSQL");
        why.push("PostgreSQL runs on the same host (`localhost`)");
    }
    if with.is_empty() {
        return None;
    }
    let per = total / 1000.0;
    let rps = cpus / per;
    Some(Limit {
        resource: format!("CPU shared with {}", with.join(" and ")),
        requests_per_second: rps,
        arithmetic: format!("{}: each request costs {} = {} ms; {} / {} s = {} requests/s", why.join("; "), parts.join(" + "), num(total), cpus_text, num(per), num(rps)),
    })
}

/// A number as people read it: whole when it is, else up to three significant decimals.
pub(crate) fn num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else if x > 0.0 {
        // Three significant digits: 0.0035 s stays 0.0035, not 0.004.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let decimals = (-x.log10().floor()) as usize + 2;
        let s = format!("{x:.decimals$}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{x}")
    }
}
