//! How many database connections each service may open: replicas × processes ×
//! connections per process, read from gunicorn, Celery and uvicorn command lines and
//! settings and the Django pool (`DATABASES["default"]["OPTIONS"]["pool"]`). PGS008 sums
//! it against `max_connections`; `stacklint capacity` reads the same numbers.

use std::fmt::Write as _;
use std::path::PathBuf;

use stacklint_python::{Expr, Outcome, Value, truthy};
use stacklint_text::TextRange;

use crate::Project;
use crate::deployment::{DeployedService, LinkKind, LinkTarget, Role};
use crate::django::SettingsModule;
use crate::gunicorn::{CommandSource, Frontend, GunSetting, GunicornProcess, SettingValue, WorkerKind, WorkersSource};

/// The services whose database link reaches service `name` of the compose file `file`
/// (itself excluded), each once.
pub fn database_clients<'p>(project: &'p Project, name: &str, file: &std::path::Path) -> Vec<&'p DeployedService> {
    let mut users: Vec<&DeployedService> = Vec::new();
    for link in project.deployment.links.iter().filter(|l| l.kind == LinkKind::Database) {
        let LinkTarget::Service { name: to, .. } = &link.to else { continue };
        if to != name {
            continue;
        }
        let Some(s) = project.deployment.services.iter().find(|s| s.name == link.from && s.defined_in.file == file) else { continue };
        if s.name != name && !users.iter().any(|u| std::ptr::eq(*u, s)) {
            users.push(s);
        }
    }
    users
}

/// gunicorn's default `worker_connections`.
const DEFAULT_WORKER_CONNECTIONS: u64 = 1000;
/// psycopg_pool's default `min_size` (and `max_size`, which defaults to it).
const DEFAULT_POOL_SIZE: u64 = 4;

/// One service's share of a database's connections, with how it is known.
#[derive(Clone, Debug)]
pub struct ConnectionDemand {
    pub n: u64,
    /// Only a lower bound of this service's share.
    pub lower: bool,
    /// "`web`: 2 replicas × 9 sync workers × 1 (2 × 9 × 1 = 18; docker-compose.yml:4)".
    pub text: String,
    /// The places the factors come from, each with what it says.
    pub related: Vec<(PathBuf, TextRange, String)>,
}


/// The replicas of a service: its `deploy.replicas`, else 1.
fn replicas(project: &Project, s: &DeployedService, places: &mut Vec<String>, related: &mut Vec<(PathBuf, TextRange, String)>) -> (u64, String) {
    match &s.replicas {
        Some(r) => {
            let range = r.origin.range.unwrap_or_default();
            places.push(project.place(&r.origin.file, range.start()));
            related.push((r.origin.file.clone(), range, format!("{} replicas of `{}`", r.value, s.name)));
            (u64::from(r.value), format!("{} replicas × ", r.value))
        }
        None => (1, String::new()),
    }
}

/// The connections one service linked to a database may open, with how it is known; `Err`
/// says what is not known.
pub fn connection_demand(project: &Project, s: &DeployedService) -> Result<ConnectionDemand, String> {
    let program = s.command.as_ref().and_then(|c| c.program.clone()).unwrap_or_default();
    match &s.role {
        Role::App { server } if server == "gunicorn" => gunicorn_demand(project, s),
        Role::Worker { program: p } if p == "celery" => celery_demand(project, s),
        Role::App { server } if server == "uvicorn" => uvicorn_demand(project, s),
        _ if program.is_empty() => Err("no command known".to_owned()),
        _ => Err(format!("`{program}`")),
    }
}

/// The Django settings module a service runs, when the project has it.
fn settings<'p>(project: &'p Project, s: &DeployedService) -> Option<&'p SettingsModule> {
    project.settings_module_named(&s.settings_module.as_ref()?.value)
}

/// The Django pool of the default database: `(min_size, max_size, text, place)`;
/// `Ok(None)` without a pool, `Err` when it cannot be read.
fn pool(project: &Project, module: Option<&SettingsModule>) -> Result<Option<(u64, u64, String)>, String> {
    let Some(module) = module else { return Ok(None) };
    let r = module.settings.resolve(&["DATABASES", "default", "OPTIONS", "pool"]);
    let expr = match r.outcomes.as_slice() {
        [] | [Outcome::Missing { .. }] => return Ok(None),
        // dj-database-url / django-environ configs set no `OPTIONS`.
        [Outcome::Opaque { binding, expr }] if !binding.is_conditional() && matches!(expr.resolved().value, Value::UrlConfig(_)) => return Ok(None),
        [Outcome::Value { binding, expr }] if !binding.is_conditional() && expr.env().is_none() => *expr,
        _ => return Err("the Django pool is not known".to_owned()),
    };
    let at = project.place(&expr.file, expr.range.start());
    match expr.resolved().unset_value() {
        Some(Value::Dict(_)) | None => {}
        Some(v) => {
            return Ok((truthy(&v) == Some(true)).then(|| (DEFAULT_POOL_SIZE, DEFAULT_POOL_SIZE, format!("Django pool of psycopg's default size {DEFAULT_POOL_SIZE} ({at})"))));
        }
    }
    let key = |k: &str| -> Result<Option<u64>, String> {
        let r = module.settings.resolve(&["DATABASES", "default", "OPTIONS", "pool", k]);
        match r.outcomes.as_slice() {
            [] | [Outcome::Missing { .. }] => Ok(None),
            [Outcome::Value { binding, expr }] if !binding.is_conditional() && expr.env().is_none() => match expr.unset_value() {
                Some(Value::Int(n)) => Ok(u64::try_from(n).ok()),
                _ => Err("the Django pool size is not known".to_owned()),
            },
            _ => Err("the Django pool size is not known".to_owned()),
        }
    };
    let min = key("min_size")?.unwrap_or(DEFAULT_POOL_SIZE);
    let max = key("max_size")?.unwrap_or(min).max(min);
    Ok(Some((min, max, format!("Django pool `min_size` {min}, `max_size` {max} ({at})"))))
}

fn gunicorn_demand(project: &Project, s: &DeployedService) -> Result<ConnectionDemand, String> {
    let procs: Vec<&GunicornProcess> = project.gunicorn.iter().filter(|g| project.services_running(g).iter().any(|r| std::ptr::eq(*r, s))).collect();
    let [g] = procs.as_slice() else { return Err("its gunicorn command is not known".to_owned()) };
    if !project.gunicorn_settings_known(g) {
        return Err("its gunicorn settings are not all read".to_owned());
    }
    let uncertain = |name: &str| g.get(name).is_some_and(|x| x.origin.conditional || !matches!(x.value, SettingValue::Int(_) | SettingValue::Str(_)));
    if uncertain("worker_class") || uncertain("threads") || uncertain("worker_connections") {
        return Err("its gunicorn worker settings are not known".to_owned());
    }
    let mut places = Vec::new();
    let mut related = Vec::new();
    let (reps, reps_text) = replicas(project, s, &mut places, &mut related);
    let eff = g.effective_workers();
    let workers = eff.count.and_then(|c| u64::try_from(c).ok()).ok_or_else(|| "its gunicorn workers are not known".to_owned())?;
    match &eff.source {
        WorkersSource::Setting(x) | WorkersSource::WebConcurrency(x) => {
            if x.origin.conditional {
                return Err("its gunicorn workers are not known".to_owned());
            }
            note(project, x, &mut places, &mut related, format!("{workers} gunicorn workers"));
        }
        WorkersSource::Default => {}
    }
    let workers_text = match eff.source {
        WorkersSource::Default => "gunicorn's default 1".to_owned(),
        _ => workers.to_string(),
    };
    let module = project.gunicorn_settings(g).map(|r| r.module).or_else(|| settings(project, s));
    let pool = pool(project, module)?;
    let kind = g.worker_class();
    let mut lower = false;
    let (per, per_text) = match &kind {
        // Without the Django settings, the app's own pool (SQLAlchemy's...) may cap what its
        // threads or greenlets open: each busy worker holds at least one.
        WorkerKind::Gthread | WorkerKind::Gevent | WorkerKind::Eventlet if module.is_none() => {
            lower = true;
            (1, "at least 1 (no Django settings module known: the app's own pool may cap its threads)".to_owned())
        }
        WorkerKind::Sync => match &pool {
            Some((min, _, ptext)) => (*min, format!("{min} ({ptext})")),
            None => (1, "1".to_owned()),
        },
        WorkerKind::Gthread => {
            let threads = g.get("threads").and_then(|t| t.value.as_int()).and_then(|n| u64::try_from(n).ok()).unwrap_or(1);
            if let Some(th) = g.get("threads") {
                note(project, th, &mut places, &mut related, format!("{threads} threads per worker"));
            }
            match &pool {
                Some((min, max, ptext)) => {
                    let n = threads.min(*max).max(*min);
                    (n, format!("{n} ({threads} threads, {ptext})"))
                }
                None => (threads, format!("{threads} threads")),
            }
        }
        WorkerKind::Gevent | WorkerKind::Eventlet => {
            let conns = match g.get("worker_connections") {
                Some(wc) => {
                    let n = wc.value.as_int().and_then(|n| u64::try_from(n).ok()).ok_or_else(|| "its `worker_connections` is not known".to_owned())?;
                    note(project, wc, &mut places, &mut related, format!("{n} greenlets per worker"));
                    (n, format!("`worker_connections` {n}"))
                }
                None => (DEFAULT_WORKER_CONNECTIONS, format!("gunicorn's default `worker_connections` {DEFAULT_WORKER_CONNECTIONS}")),
            };
            match &pool {
                Some((min, max, ptext)) => {
                    let n = conns.0.min(*max).max(*min);
                    (n, format!("{n} ({ptext})"))
                }
                None => (conns.0, conns.1),
            }
        }
        WorkerKind::Uvicorn { .. } | WorkerKind::Asgi => match &pool {
            Some((_, max, ptext)) => (*max, format!("{max} ({ptext})")),
            None => return Err("ASGI workers without a Django pool size".to_owned()),
        },
        other => return Err(format!("gunicorn `{}` workers", other.name())),
    };
    let anchor = project.place(&g.anchor.file, g.anchor.range.start());
    places.retain(|p| *p != anchor);
    places.insert(0, anchor);
    related.insert(0, (g.anchor.file.clone(), g.anchor.range, format!("gunicorn of `{}`", s.name)));
    let n = reps.saturating_mul(workers).saturating_mul(per);
    Ok(ConnectionDemand { n, lower, text: term_text(&s.name, &format!("{reps_text}{workers_text} {} workers × {per_text}", kind.name()), &[reps, workers, per], n, &places), related })
}

/// "`web`: 2 replicas × 9 sync workers × 1 (2 × 9 × 1 = 18; docker-compose.yml:4)": the
/// words, the arithmetic on the factors other than a single replica, and the places.
fn term_text(name: &str, words: &str, factors: &[u64], _n: u64, places: &[String]) -> String {
    let shown: Vec<String> = factors.iter().enumerate().filter(|(i, f)| !(*i == 0 && **f == 1)).map(|(_, f)| f.to_string()).collect();
    let arith = if shown.len() > 1 { format!("{}; ", chain(&shown, " × ", u64::saturating_mul)) } else { String::new() };
    format!("`{name}`: {words} ({arith}{})", places.join(", "))
}

/// `2 × 9 = 18 × 4 = 72`: the operation applied step by step, each result shown.
pub fn chain(items: &[String], op: &str, f: impl Fn(u64, u64) -> u64) -> String {
    let mut it = items.iter();
    let Some(first) = it.next() else { return String::new() };
    let mut acc: u64 = first.parse().unwrap_or(0);
    let mut text = first.clone();
    for x in it {
        acc = f(acc, x.parse().unwrap_or(0));
        let _ = write!(text, "{op}{x} = {acc}");
    }
    text
}

/// A gunicorn setting as a source of a number.
fn note(project: &Project, x: &GunSetting, places: &mut Vec<String>, related: &mut Vec<(PathBuf, TextRange, String)>, what: String) {
    let p = project.place(&x.origin.file, x.origin.range.start());
    if !places.contains(&p) {
        places.push(p);
    }
    related.push((x.origin.file.clone(), x.origin.range, what));
}

/// The words of a service's command (a `sh -c` text split on blanks).
pub fn words(s: &DeployedService) -> Vec<String> {
    let Some(c) = &s.command else { return Vec::new() };
    match c.argv.as_slice() {
        [sh, dash_c, text, ..] if sh.ends_with("sh") && dash_c == "-c" => text.split_whitespace().map(str::to_owned).collect(),
        argv => argv.to_vec(),
    }
}

/// The value of `-x N`, `-xN`, `--long N`, `--long=N` among `args`.
pub fn option(args: &[String], short: &str, long: &str) -> Option<String> {
    let mut found = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == short || a == long {
            found = it.next().cloned();
        } else if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            found = Some(v.to_owned());
        } else if let Some(v) = a.strip_prefix(short).filter(|v| !v.is_empty() && !short.is_empty() && !a.starts_with("--")) {
            found = Some(v.to_owned());
        }
    }
    found
}

fn celery_demand(project: &Project, s: &DeployedService) -> Result<ConnectionDemand, String> {
    let words = words(s);
    let start = words.iter().position(|w| w == "celery" || w.ends_with("/celery")).ok_or_else(|| "its celery command is not known".to_owned())?;
    let args: Vec<String> = words.iter().skip(start + 1).take_while(|w| !matches!(w.as_str(), "&&" | ";" | "||" | "|")).cloned().collect();
    let c = s.command.as_ref().map(|c| (c.origin.file.clone(), c.origin.range.unwrap_or_default()));
    let mut places = Vec::new();
    let mut related = Vec::new();
    let (reps, reps_text) = replicas(project, s, &mut places, &mut related);
    if let Some((file, range)) = &c {
        places.insert(0, project.place(file, range.start()));
        related.insert(0, (file.clone(), *range, format!("celery of `{}`", s.name)));
    }
    if args.iter().any(|a| a == "beat") && !args.iter().any(|a| a == "worker") {
        // One scheduler process, one thread: one connection at most (its database scheduler).
        let n = reps;
        return Ok(ConnectionDemand { n, lower: false, text: term_text(&s.name, &format!("{reps_text}celery beat 1"), &[reps, 1], n, &places), related });
    }
    if !args.iter().any(|a| a == "worker") {
        return Err("a celery command that is not `celery worker`".to_owned());
    }
    let pool = option(&args, "-P", "--pool");
    if matches!(pool.as_deref(), Some("gevent" | "eventlet")) && settings(project, s).is_none() {
        let n = reps;
        return Ok(ConnectionDemand { n, lower: true, text: term_text(&s.name, &format!("{reps_text}celery `--pool` greenlets × at least 1 (no Django settings module known)"), &[reps, 1], n, &places), related });
    }
    if pool.as_deref() == Some("solo") {
        let n = reps;
        return Ok(ConnectionDemand { n, lower: false, text: term_text(&s.name, &format!("{reps_text}celery `--pool solo` 1"), &[reps, 1], n, &places), related });
    }
    let (conc, conc_text) = if let Some(v) = option(&args, "", "--autoscale") {
        let max = v.split(',').next().and_then(|m| m.parse::<u64>().ok()).ok_or_else(|| "its celery `--autoscale` is not known".to_owned())?;
        (max, format!("celery `--autoscale` maximum {max}"))
    } else if let Some(v) = option(&args, "-c", "--concurrency") {
        let n = v.parse::<u64>().map_err(|_| "its celery concurrency is not known".to_owned())?;
        (n, format!("celery concurrency {n}"))
    } else {
        if let Some(m) = settings(project, s) {
            for key in ["CELERY_WORKER_CONCURRENCY", "CELERYD_CONCURRENCY"] {
                if !m.settings.resolve(&[key]).outcomes.is_empty() {
                    return Err(format!("`{key}` in its settings"));
                }
            }
        }
        if s.env("CELERY_WORKER_CONCURRENCY").is_some() || s.env("CELERYD_CONCURRENCY").is_some() {
            return Err("its celery concurrency is not known".to_owned());
        }
        let n = u64::from(s.target.whole_cpus());
        (n, format!("celery's default concurrency {} ({})", s.target.cpus_text(), s.target.cpus_source))
    };
    // With a Django pool, a process holds its pool: each prefork child at least `min_size`,
    // a thread or greenlet worker (one process) up to its concurrency within the pool's bounds.
    let (words, factors) = match (pool.as_deref(), pool_of(project, s)?) {
        (_, None) => (conc_text, vec![reps, conc]),
        (Some("threads" | "gevent" | "eventlet"), Some((min, max, ptext))) => {
            let per = conc.min(max).max(min);
            (format!("{conc_text} in one process, {per} connections ({ptext})"), vec![reps, per])
        }
        (_, Some((min, _, ptext))) => (format!("{conc_text} processes × {min} ({ptext})"), vec![reps, conc, min]),
    };
    let n = factors.iter().fold(1u64, |a, f| a.saturating_mul(*f));
    Ok(ConnectionDemand { n, lower: false, text: term_text(&s.name, &format!("{reps_text}{words}"), &factors, n, &places), related })
}

/// The Django pool of the settings a service runs.
pub fn pool_of(project: &Project, s: &DeployedService) -> Result<Option<(u64, u64, String)>, String> {
    pool(project, settings(project, s))
}

fn uvicorn_demand(project: &Project, s: &DeployedService) -> Result<ConnectionDemand, String> {
    let words = words(s);
    let start = words.iter().position(|w| w == "uvicorn" || w.ends_with("/uvicorn")).ok_or_else(|| "its uvicorn command is not known".to_owned())?;
    let args: Vec<String> = words.iter().skip(start + 1).take_while(|w| !matches!(w.as_str(), "&&" | ";" | "||" | "|")).cloned().collect();
    let Some((_, max, pool_text)) = pool(project, settings(project, s))? else { return Err("ASGI workers without a Django pool size".to_owned()) };
    let workers = match option(&args, "", "--workers") {
        Some(v) => v.parse::<u64>().map_err(|_| "its uvicorn workers are not known".to_owned())?,
        None if s.env("WEB_CONCURRENCY").is_some() => return Err("its uvicorn workers are not known".to_owned()),
        None => 1,
    };
    let mut places = Vec::new();
    let mut related = Vec::new();
    let (reps, reps_text) = replicas(project, s, &mut places, &mut related);
    if let Some(c) = &s.command {
        let range = c.origin.range.unwrap_or_default();
        places.insert(0, project.place(&c.origin.file, range.start()));
        related.insert(0, (c.origin.file.clone(), range, format!("uvicorn of `{}`", s.name)));
    }
    let n = reps.saturating_mul(workers).saturating_mul(max);
    Ok(ConnectionDemand { n, lower: false, text: term_text(&s.name, &format!("{reps_text}{workers} uvicorn workers × {max} ({pool_text})"), &[reps, workers, max], n, &places), related })
}

/// Each client's share of the connections of Redis `server` through django-redis pools:
/// `CONNECTION_POOL_KWARGS["max_connections"]` × gunicorn workers × replicas, with the
/// arithmetic and its places ("`web`: 50 × 9 = 450 (`max_connections` 50 at settings.py:60,
/// 9 gunicorn workers at gunicorn.conf.py:3)"). Clients whose pool or workers are not
/// stated are left out.
pub fn redis_pool_demands(project: &Project, server: &crate::redis::RedisServer) -> Vec<(u64, String)> {
    let Some(name) = server.service.as_deref() else { return Vec::new() };
    let mut users: Vec<&str> = server.roles.iter().filter(|r| r.kind == LinkKind::Cache).map(|r| r.from.as_str()).collect();
    users.dedup();
    let mut parts = Vec::new();
    for u in users {
        let Some(svc) = project.deployment.service(u) else { continue };
        let Some((pool, pool_at)) = pool_size(project, svc, name) else { continue };
        let Some((workers, workers_text)) = workers(project, svc) else { continue };
        let replicas = svc.replicas.as_ref().map_or(1, |r| u64::from(r.value));
        let n = pool.saturating_mul(workers).saturating_mul(replicas);
        let per_replica = pool.saturating_mul(workers);
        let formula = if replicas > 1 { format!("{pool} × {workers} = {per_replica} × {replicas} = {n}") } else { format!("{pool} × {workers} = {n}") };
        let replicas_text = if replicas > 1 { format!(", {replicas} replicas") } else { String::new() };
        parts.push((n, format!("`{u}`: {formula} (`max_connections` {pool} at {pool_at}, {workers_text}{replicas_text})")));
    }
    parts
}

/// A dict's value for a string key.
fn get<'e>(e: &'e Expr, key: &str) -> Option<&'e Expr> {
    let Value::Dict(d) = &e.resolved().value else { return None };
    d.entries.iter().rev().find(|x| x.key.as_ref().and_then(|k| k.resolved().as_str()) == Some(key)).map(|x| x.value.resolved())
}

/// The `max_connections` of the django-redis cache of `svc`'s settings whose `LOCATION`
/// names host `redis`, and where it is written. `None` when not stated.
fn pool_size(project: &Project, svc: &DeployedService, redis: &str) -> Option<(u64, String)> {
    let module = project.settings_module_named(&svc.settings_module.as_ref()?.value)?;
    let caches = module.settings.value("CACHES")?.resolved();
    let Value::Dict(d) = &caches.value else { return None };
    let mut found = None;
    for entry in &d.entries {
        let alias = entry.value.resolved();
        let location = get(alias, "LOCATION").and_then(Expr::as_str).unwrap_or_default();
        if !names_host(location, redis) {
            continue;
        }
        let max = get(alias, "OPTIONS").and_then(|o| get(o, "CONNECTION_POOL_KWARGS")).and_then(|k| get(k, "max_connections"))?;
        let Value::Int(n) = max.value else { return None };
        let n = u64::try_from(n).ok()?;
        found = Some((n, project.place(&max.file, max.range.start())));
    }
    found
}

/// Whether a Redis URL (`redis://redis:6379/1`, `redis://:pw@redis/0`) names `host`.
fn names_host(url: &str, host: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = authority.rsplit('@').next().unwrap_or_default();
    hostport.split(':').next() == Some(host)
}

/// The gunicorn workers of a compose service, when stated (or gunicorn's default 1).
fn workers(project: &Project, svc: &DeployedService) -> Option<(u64, String)> {
    let p = project.gunicorn.iter().find(|p| matches!(&p.frontend, Frontend::CommandLine(CommandSource::Compose { service }) if service == &svc.name) && p.anchor.file == svc.defined_in.file)?;
    let w = p.effective_workers();
    let n = u64::try_from(w.count?).ok()?;
    Some((n, format!("{n} gunicorn workers at {}", project.place(&p.anchor.file, p.anchor.range.start()))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_name_hosts() {
        assert!(super::names_host("redis://redis:6379/1", "redis"));
        assert!(super::names_host("redis://:secret@cache/0", "cache"));
        assert!(!super::names_host("redis://redis-2:6379/1", "redis"));
        assert!(!super::names_host("unix:///tmp/redis.sock", "redis"));
    }
}
