//! The report for people: a terminal text and Markdown for a pull request. JSON is the
//! serde form of [`crate::Report`] (docs/capacity-json.md).

use std::fmt::Write as _;

use crate::{Input, Report, ServiceCapacity, num};

/// The inputs the arithmetic assumed, each with its source.
fn input_lines(report: &Report) -> Vec<String> {
    let i = &report.inputs;
    let line = |what: &str, x: &Input, unit: &str| format!("{what}: {}{unit} ({})", num(x.value), x.source);
    vec![
        line("time per request in the app (T)", &i.request_ms, " ms"),
        line("CPU per request (D)", &i.cpu_ms, " ms"),
        line("opening a database connection", &i.connect_ms, " ms"),
        line("the app's CPU to open a database connection", &i.connect_cpu_ms, " ms"),
        line("the database's CPU to start a backend for it", &i.connect_db_cpu_ms, " ms"),
    ]
    .into_iter()
    // nginx's costs, when an nginx is in front of a service.
    .chain(report.services.iter().any(|s| s.nginx.is_some()).then(|| {
        [line("nginx's CPU to proxy a request (connection to the app reused)", &i.nginx_cpu_ms, " ms"), line("the CPU of a new connection from nginx to the app", &i.upstream_connect_cpu_ms, " ms")]
    }).into_iter().flatten())
    .chain([
        line("think time between a user's requests", &i.think_s, " s"),
        format!("requests served before the app (static, cached): {}% ({})", num(i.static_share.value * 100.0), i.static_share.source),
        line("memory per worker", &i.worker_mib, " MiB"),
    ])
    .chain(i.what_if.iter().map(|w| format!("what if: {}.{} = {} (--set)", w.service, w.key, num(w.value))))
    .collect()
}

/// The same service after the fixes, when they change its numbers.
fn after<'a>(report: &'a Report, s: &ServiceCapacity) -> Option<&'a ServiceCapacity> {
    // Fixes move lines, not services: the same position in the list, the same name.
    let i = report.services.iter().position(|x| std::ptr::eq(x, s))?;
    let a = report.after_fixes.as_ref()?.services.get(i).filter(|a| a.service == s.service)?;
    (a.requests_per_second != s.requests_per_second || a.binding != s.binding || a.checks.iter().map(|c| c.exceeded).ne(s.checks.iter().map(|c| c.exceeded))).then_some(a)
}

/// "safe" or "safe and unsafe": which fixes the "after" numbers apply.
fn which_fixes(report: &Report) -> Option<&'static str> {
    report.after_fixes.as_ref().map(|a| if a.applied == "all" { "safe and unsafe" } else { "safe" })
}

/// "after the safe fixes: 143 requests/s (was 107), ..."
fn after_headline(which: &str, before: &ServiceCapacity, a: &ServiceCapacity) -> String {
    let was = before.requests_per_second.map_or_else(String::new, |x| format!(" (was {})", num(x)));
    let head = headline(a);
    match head.split_once(" requests/s") {
        Some((rate, rest)) => format!("after the {which} fixes: {rate} requests/s{was}{rest}"),
        None => format!("after the {which} fixes: {head}"),
    }
}

fn headline(s: &ServiceCapacity) -> String {
    let mut line = match (&s.binding, s.requests_per_second, s.users, &s.not_sized) {
        (_, _, _, Some(why)) => format!("not sized: {why}"),
        (Some(b), Some(x), Some(u), None) => format!("{} requests/s, about {u} concurrent users; {b} binds first", num(x)),
        _ => "not computed".to_owned(),
    };
    // A budget that is exceeded stops the service before any rate matters.
    for c in s.checks.iter().filter(|c| c.exceeded) {
        let _ = write!(line, "; {} exceeded", c.resource);
    }
    line
}

/// One line per service: "capacity of `web` (Dockerfile:16): 107 requests/s, ...".
pub fn headlines(report: &Report) -> Vec<String> {
    report.services.iter().map(|s| format!("capacity of `{}` ({}): {}", s.service, s.place, headline(s))).collect()
}

/// The terminal report.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    if report.services.is_empty() {
        out.push_str("No app service found (gunicorn, uvicorn, ...): nothing to size.\n");
    }
    for s in &report.services {
        let _ = writeln!(out, "service {} ({}): {}", s.service, s.place, headline(s));
        let _ = writeln!(out, "  runs: {}", s.server);
        let _ = writeln!(out, "  machine: {}", s.machine);
        if let Some(db) = &s.database {
            let _ = writeln!(out, "  database: {db}");
        }
        if let Some(nginx) = &s.nginx {
            let _ = writeln!(out, "  nginx in front: {nginx}");
        }
        let _ = writeln!(out, "  per request: {}", s.times);
        let width = s.limits.iter().map(|l| l.resource.len()).max().unwrap_or(0);
        for l in &s.limits {
            let mark = if s.binding.as_deref() == Some(l.resource.as_str()) { "→" } else { " " };
            let _ = writeln!(out, "  {mark} {:<width$}  {:>8} req/s  {}", l.resource, num(l.requests_per_second), l.arithmetic);
        }
        for c in &s.checks {
            let verdict = if c.exceeded { "EXCEEDED" } else { "fits" };
            let _ = writeln!(out, "    {:<width$}  {verdict:>14}  {}", c.resource, c.arithmetic);
        }
        if let Some(u) = &s.users_arithmetic {
            let _ = writeln!(out, "  users: {u}");
        }
        for u in &s.unknown {
            let _ = writeln!(out, "  not known: {u}");
        }
        if let (Some(a), Some(which)) = (after(report, s), which_fixes(report)) {
            let _ = writeln!(out, "  {}", after_headline(which, s, a));
            for l in &a.limits {
                let _ = writeln!(out, "      {:<width$}  {:>8} req/s  {}", l.resource, num(l.requests_per_second), l.arithmetic);
            }
        }
        out.push('\n');
    }
    if let (Some(a), Some(which)) = (&report.after_fixes, which_fixes(report)) {
        if a.fixes.is_empty() {
            let _ = writeln!(out, "no {which} fix applies.\n");
        } else {
            let _ = writeln!(out, "the {which} fixes, applied in memory for the numbers after them:");
            for f in &a.fixes {
                let _ = writeln!(out, "  {} {} ({})", f.code, f.title, f.place);
            }
            out.push('\n');
        }
    }
    out.push_str("inputs (not in the configuration):\n");
    for l in input_lines(report) {
        let _ = writeln!(out, "  {l}");
    }
    out
}

/// One service's section of the Markdown report (also a language server's hover on it).
pub fn service_markdown(report: &Report, s: &ServiceCapacity) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### `{}`: {}\n", s.service, headline(s));
    let _ = writeln!(out, "{} on {} (`{}`).", s.server, s.machine, s.place);
    if let Some(db) = &s.database {
        let _ = writeln!(out, "Database: {db}.");
    }
    if let Some(nginx) = &s.nginx {
        let _ = writeln!(out, "nginx in front: {nginx}.");
    }
    let _ = writeln!(out, "Per request: {}.\n", s.times);
    out.push_str("| resource | requests/s | arithmetic |\n|---|---:|---|\n");
    for l in &s.limits {
        let name = if s.binding.as_deref() == Some(l.resource.as_str()) { format!("**{}**", l.resource) } else { l.resource.clone() };
        let _ = writeln!(out, "| {name} | {} | {} |", num(l.requests_per_second), l.arithmetic.replace('|', "\\|"));
    }
    out.push('\n');
    for c in &s.checks {
        let verdict = if c.exceeded { "exceeded" } else { "fits" };
        let _ = writeln!(out, "- {} {verdict}: {}", c.resource, c.arithmetic);
    }
    if let Some(u) = &s.users_arithmetic {
        let _ = writeln!(out, "- users: {u}");
    }
    for u in &s.unknown {
        let _ = writeln!(out, "- not known: {u}");
    }
    if let (Some(a), Some(which)) = (after(report, s), which_fixes(report)) {
        let _ = writeln!(out, "- **{}**", after_headline(which, s, a));
    }
    out.push('\n');
    out
}

/// The report as Markdown, for a pull request.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("## Capacity\n\n");
    if report.services.is_empty() {
        out.push_str("No app service found: nothing to size.\n\n");
    }
    for s in &report.services {
        out.push_str(&service_markdown(report, s));
    }
    if let (Some(a), Some(which)) = (report.after_fixes.as_ref().filter(|a| !a.fixes.is_empty()), which_fixes(report)) {
        let _ = writeln!(out, "The {which} fixes, applied in memory for the numbers after them:\n");
        for f in &a.fixes {
            let _ = writeln!(out, "- `{}` {} (`{}`)", f.code, f.title, f.place);
        }
        out.push('\n');
    }
    out.push_str("Inputs (not in the configuration):\n\n");
    for l in input_lines(report) {
        let _ = writeln!(out, "- {l}");
    }
    out
}
