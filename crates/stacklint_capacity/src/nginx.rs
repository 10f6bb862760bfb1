//! The nginx in front of an app service: its CPU per request, whether it reuses its
//! connections to the app (upstream keepalive), and its `worker_processes ×
//! worker_connections` against the connections the users need.

use stacklint_project::deployment::{DeployedService, Role};
use stacklint_project::gunicorn::WorkerKind;
use stacklint_project::nginx::{At, Scope};
use stacklint_project::serving::{BackendMatch, ProxyRoute};
use stacklint_project::{Project, Target};
use stacklint_syntax::nginx::DirectiveRef;

use crate::{Check, Inputs, Limit, num, plural, plural_f};

/// The release from which nginx keeps upstream connections alive over HTTP/1.1 by default.
const KEEPALIVE_DEFAULT: [u64; 3] = [1, 29, 7];

/// The nginx proxying to a service, read from the main configuration its route is in.
pub(crate) struct Front<'p> {
    route: ProxyRoute<'p>,
    /// `file:line` of the `proxy_pass`.
    pub place: String,
    pub processes: u64,
    pub processes_text: String,
    /// The machine nginx runs on (its compose service's, else the project's target).
    pub target: &'p Target,
    /// nginx runs on the same host as the app (it reaches it on loopback or a unix
    /// socket), so the two share the CPUs.
    pub same_host: bool,
    /// Whether connections to the app are reused (upstream keepalive), and why.
    pub reuse_text: String,
    /// A new connection per request that upstream keepalive would save (not with sync
    /// workers, which close every connection themselves).
    pub connect_per_request: bool,
}

/// The nginx in front of `s`, when a `proxy_pass` of the project reaches its gunicorn.
pub(crate) fn front<'p>(project: &'p Project, s: &DeployedService) -> Option<Front<'p>> {
    let m = &project.nginx;
    let route = project.proxied_gunicorn().into_iter().find(|r| r.processes.iter().any(|g| project.services_running(g).iter().any(|x| std::ptr::eq(*x, s))))?;
    // The main configuration the route's file is included from.
    let mut doc = route.pass.doc;
    for _ in 0..32 {
        let d = m.doc(doc)?;
        if d.context.as_deref() == Some(&[]) {
            break;
        }
        doc = d.included_by.first()?.doc;
    }
    let main = m.doc(doc).filter(|d| d.context.as_deref() == Some(&[]))?;
    let config = m.config(project, doc)?;
    let place = |d: DirectiveRef<'_>| project.place(&main.file, main.offset + d.data().range.start());
    let nginx = project.deployment.services.iter().find(|x| x.role == Role::Nginx && x.files.iter().any(|f| f.file == main.file));
    let target = nginx.map_or(&project.target, |x| &x.target);
    let (processes, processes_text) = match config.roots().filter(|d| d.is("worker_processes")).last() {
        Some(d) => match d.arg(0) {
            // One per CPU of the machine nginx runs on.
            Some("auto") => (u64::from(target.whole_cpus()), format!("`worker_processes auto` = {} ({}) at {}", plural(u64::from(target.whole_cpus()), "CPU"), target.cpus_source, place(d))),
            Some(n) => (n.parse::<u64>().ok()?, format!("`worker_processes {n}` at {}", place(d))),
            None => return None,
        },
        None => (1, "nginx's default `worker_processes 1`".to_owned()),
    };
    let same_host = matches!(route.matched, BackendMatch::Port { .. } | BackendMatch::Socket { .. });
    let pass_place = at_place(project, route.pass).unwrap_or_default();
    let (reuse_text, connect_per_request) = reuse(project, &route);
    Some(Front { route, place: pass_place, processes, processes_text, target, same_host, reuse_text, connect_per_request })
}

fn at_place(project: &Project, at: At) -> Option<String> {
    let doc = project.nginx.doc(at.doc)?;
    let d = project.nginx.node(project, at)?;
    Some(project.place(&doc.file, doc.offset + d.data().range.start()))
}

/// Whether nginx reuses its connections to the app on `route` and why, and whether the
/// configuration (not the app server) makes it open one per request.
fn reuse(project: &Project, route: &ProxyRoute<'_>) -> (String, bool) {
    if route.processes.iter().any(|g| matches!(g.worker_class(), WorkerKind::Sync)) {
        return ("gunicorn's sync workers close every connection: nginx opens one per request whatever its configuration (that cost is part of each request, as measured)".to_owned(), false);
    }
    let m = &project.nginx;
    let level = Scope::inside(route.location);
    let version = match &project.versions.nginx {
        Some(k) => format!("nginx {}", k.version),
        None => "the newest nginx, as no version is declared".to_owned(),
    };
    let http10 = m.last_in_effect(project, level, "proxy_http_version").filter(|(_, d)| d.arg(0) == Some("1.0")).and_then(|(at, _)| at_place(project, at));
    let connection: Vec<(String, String)> = m
        .in_effect(project, level, "proxy_set_header")
        .into_iter()
        .filter_map(|at| {
            let d = m.node(project, at)?;
            d.arg(0)?.eq_ignore_ascii_case("connection").then(|| (d.arg(1).unwrap_or("").to_owned(), at_place(project, at).unwrap_or_default()))
        })
        .collect();
    let close = connection.iter().find(|(v, _)| v.eq_ignore_ascii_case("close")).map(|(_, p)| p.clone());
    if default_keepalive(project) {
        return match (http10, close) {
            (Some(at), _) => (format!("`proxy_http_version 1.0` at {at} turns off the upstream keepalive of {version}: a new connection to the app per request"), true),
            (None, Some(at)) => (format!("`Connection: close` at {at} turns off the upstream keepalive of {version}: a new connection to the app per request"), true),
            (None, None) => (format!("{version} keeps upstream connections alive by default (from 1.29.7)"), false),
        };
    }
    let pass = m.node(project, route.pass);
    let host = pass.and_then(|p| p.arg(0)).and_then(proxy_host).unwrap_or_default();
    let keepalive = m.iter().filter(|(_, d)| d.in_project() && !d.in_dump).find_map(|(id, _)| {
        m.find(project, id, "upstream").find_map(|at| {
            let u = m.node(project, at)?;
            (u.arg(0) == Some(host.as_str()) && u.block.is_some()).then(|| u.children_named("keepalive").last().map(|k| (k.arg(0).unwrap_or("").to_owned(), at_place(project, At { doc: at.doc, id: k.id }).unwrap_or_default())))
        })
    });
    let http11 = m.last_in_effect(project, level, "proxy_http_version").is_some_and(|(_, d)| d.arg(0) == Some("1.1"));
    let cleared = connection.last().is_some_and(|(v, _)| v.is_empty());
    let mut missing = Vec::new();
    match &keepalive {
        None => missing.push(format!("`proxy_pass` to `{host}`, no `upstream` block with `keepalive`")),
        Some(None) => missing.push(format!("no `keepalive` in `upstream {host}`")),
        Some(Some(_)) => {}
    }
    if !http11 {
        missing.push("no `proxy_http_version 1.1`".to_owned());
    }
    if !cleared {
        missing.push("no `proxy_set_header Connection \"\"`".to_owned());
    }
    if missing.is_empty() {
        let (n, at) = keepalive.flatten().unwrap_or_default();
        (format!("upstream keepalive (`keepalive {n}` at {at}, HTTP/1.1, `Connection \"\"`): connections to the app are reused"), false)
    } else {
        (format!("{} ({version}; keepalive is the default only from 1.29.7): a new connection to the app per request", missing.join(", ")), true)
    }
}

/// nginx keeps upstream connections alive by default: the declared version is surely at
/// least 1.29.7, or none is declared (the newest nginx is assumed, as the rules do).
fn default_keepalive(project: &Project) -> bool {
    match &project.versions.nginx {
        None => true,
        Some(k) if k.version.parts.len() >= 3 => k.version.at_least(&KEEPALIVE_DEFAULT),
        Some(k) => {
            let p = &k.version.parts;
            [p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)] > [KEEPALIVE_DEFAULT[0], KEEPALIVE_DEFAULT[1]]
        }
    }
}

/// `http://app/x` → `app`; `http://127.0.0.1:8000` → `127.0.0.1:8000`.
fn proxy_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    Some(rest.split('/').next().unwrap_or(rest).to_owned()).filter(|h| !h.is_empty())
}

impl Front<'_> {
    /// nginx's CPU per request, in parts: proxying it, and opening a new connection to the
    /// app for it when the configuration makes nginx open one per request.
    pub fn cpu_parts(&self, inputs: &Inputs) -> Vec<(f64, String)> {
        let mut parts = vec![(inputs.nginx_cpu_ms.value, format!("{} ms for nginx to proxy it", num(inputs.nginx_cpu_ms.value)))];
        if self.connect_per_request {
            parts.push((inputs.upstream_connect_cpu_ms.value, format!("{} ms to open and close a connection from nginx to the app (both ends)", num(inputs.upstream_connect_cpu_ms.value))));
        }
        parts
    }

    /// nginx's own ceiling: an event loop per worker process, each on at most one CPU.
    pub fn limit(&self, inputs: &Inputs) -> Option<Limit> {
        let parts = self.cpu_parts(inputs);
        let ms: f64 = parts.iter().map(|(v, _)| v).sum();
        if ms <= 0.0 {
            return None;
        }
        let each = parts.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" + ");
        let each = if parts.len() > 1 { format!("{each} = {} ms", num(ms)) } else { each };
        #[allow(clippy::cast_precision_loss)]
        let busy = (self.processes as f64).min(self.target.cpus);
        let rps = busy / (ms / 1000.0);
        Some(Limit {
            resource: "nginx CPU".to_owned(),
            requests_per_second: rps,
            arithmetic: format!(
                "{}: min({}, {}) = {} busy (an event loop per process); each request {each}; {} / {} s = {} requests/s",
                self.processes_text,
                plural(self.processes, "nginx worker"),
                plural_f(self.target.cpus, "CPU"),
                plural_f(busy, "CPU"),
                num(busy),
                num(ms / 1000.0),
                num(rps)
            ),
        })
    }

    /// `worker_processes × worker_connections` against the connections the users need at
    /// the service's rate. A user whose think time is shorter than `keepalive_timeout`
    /// keeps an idle connection open (counted as one per user, as HTTP/2 and one browser
    /// tab do); each request in flight holds a second, upstream one.
    pub fn connections(&self, project: &Project, users: u64, in_flight: f64, think_s: f64) -> Option<Check> {
        let m = &project.nginx;
        let mut doc = self.route.pass.doc;
        for _ in 0..32 {
            let d = m.doc(doc)?;
            if d.context.as_deref() == Some(&[]) {
                break;
            }
            doc = d.included_by.first()?.doc;
        }
        let main = m.doc(doc)?;
        let config = m.config(project, doc)?;
        let place = |d: DirectiveRef<'_>| project.place(&main.file, main.offset + d.data().range.start());
        let events = config.roots().find(|d| d.is("events"));
        let (connections, connections_text) = match events.and_then(|e| e.children_named("worker_connections").last()) {
            Some(d) => {
                let n = d.arg(0)?;
                (n.parse::<u64>().ok()?, format!("`worker_connections {n}` at {}", place(d)))
            }
            None => (512, "nginx's default `worker_connections 512`".to_owned()),
        };
        let keepalive = match m.last_in_effect(project, Scope::inside(self.route.location), "keepalive_timeout") {
            Some((_, d)) => parse_seconds(d.arg(0)?)?,
            None => 75.0,
        };
        let total = self.processes.saturating_mul(connections);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let in_flight = in_flight.ceil() as u64;
        let (need, why) = if think_s < keepalive {
            let need = users.saturating_add(in_flight);
            (need, format!("{users} users each keep a connection open between requests (`keepalive_timeout` {}s > {} s think time) + {in_flight} upstream connections of the requests in flight = {need}", num(keepalive), num(think_s)))
        } else {
            let need = in_flight.saturating_mul(2);
            (need, format!("{in_flight} requests in flight × 2 (client and upstream) = {need}"))
        };
        Some(Check { resource: "nginx connections".to_owned(), exceeded: need > total, arithmetic: format!("{} × {connections_text} = {total} connections; {why}", self.processes_text) })
    }
}

/// nginx's time syntax in seconds: `75`, `75s`, `2m`, `1h`, `500ms`.
fn parse_seconds(v: &str) -> Option<f64> {
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return None,
    })
}
