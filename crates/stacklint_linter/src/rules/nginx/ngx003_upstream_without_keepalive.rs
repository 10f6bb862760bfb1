use std::collections::{HashMap, HashSet};
use std::path::Path;

use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::gunicorn::WorkerKind;
use stacklint_project::nginx::{At, NginxModel, Scope as Level};
use stacklint_project::Project;

use super::{Edits, at_least, diagnostic, docs, header_values, inherited_headers, is_websocket, own_child, owning_block, version_text};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// The release that made upstream keepalive and HTTP/1.1 the default.
const KEEPALIVE_DEFAULT: [u64; 3] = [1, 29, 7];

declare_rule! {
    /// ## What it does
    /// Reports an `upstream` without `keepalive`, or whose proxying locations lack
    /// `proxy_http_version 1.1` and `proxy_set_header Connection ""`, and a `proxy_pass`
    /// straight to an address (no `upstream`, so no connection pool). Before nginx 1.29.7
    /// all three are needed for nginx to reuse connections to the app.
    ///
    /// Version-aware: from nginx 1.29.7 upstream connections are kept alive and HTTP/1.1
    /// is the default, so only explicit opt-outs are reported there
    /// (`proxy_http_version 1.0`, `proxy_set_header Connection close`). When the version
    /// is unknown the newest nginx is assumed. Stack-aware: not reported when the
    /// upstream is a gunicorn with sync workers, which close every connection anyway: the
    /// compose service the upstream names and the gunicorn it runs, or (without compose)
    /// the gunicorn on the host bound to that port or socket.
    ///
    /// ## Why is this bad?
    /// Without keepalive nginx opens a new TCP connection to the app for every request
    /// and closes it afterwards: a handshake per request, and thousands of sockets in
    /// TIME_WAIT under load. Measured here with gthread workers: +39% requests/s behind
    /// keepalive (+3%, noise, for sync workers, which close the connection themselves).
    ///
    /// The fix adds `keepalive 32;` to the `upstream` and `proxy_http_version 1.1;` and
    /// `proxy_set_header Connection "";` to each location proxying to it (WebSocket
    /// locations keep their `Connection: upgrade`).
    ///
    /// ## Example
    /// ```dockerfile path=nginx/Dockerfile
    /// FROM nginx:1.27
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// upstream app {
    ///     server web:8000;
    /// }
    /// server {
    ///     location / {
    ///         proxy_pass http://app;
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile path=nginx/Dockerfile
    /// FROM nginx:1.27
    /// ```
    ///
    /// ```nginx path=nginx/conf.d/app.conf
    /// upstream app {
    ///     server web:8000;
    ///     keepalive 32;
    /// }
    /// server {
    ///     location / {
    ///         proxy_pass http://app;
    ///         proxy_http_version 1.1;
    ///         proxy_set_header Connection "";
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: keepalive](https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive)
    /// - [nginx: proxy_http_version](https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_http_version)
    /// - [nginx CHANGES (1.29.7)](https://nginx.org/en/CHANGES)
    pub static RULE = {
        code: "NGX003",
        name: "upstream-without-keepalive",
        family: Family::Nginx,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

/// A `proxy_pass` with the host of its URL (`None` when it has variables).
struct Pass {
    at: At,
    host: Option<String>,
    /// The block its `proxy_*` settings go in (the location).
    owner: At,
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    let passes = passes(model, project);
    if at_least(project, &KEEPALIVE_DEFAULT) {
        opt_outs(cx, &passes);
        return;
    }
    let version = version_text(project);
    let mut upstream_names: Vec<String> = Vec::new();
    // Lookups by host, not a scan of every `proxy_pass` per upstream.
    let mut passes_to: HashMap<&str, Vec<&Pass>> = HashMap::new();
    for p in &passes {
        if let Some(h) = p.host.as_deref() {
            passes_to.entry(h).or_default().push(p);
        }
    }
    for (doc_id, doc) in docs(project) {
        for upstream in model.find(project, doc_id, "upstream") {
            let Some(u) = model.node(project, upstream) else { continue };
            let (Some(name), Some(_)) = (u.arg(0), u.block.as_ref()) else { continue };
            upstream_names.push(name.to_owned());
            let keepalive = own_child(model, project, upstream, "keepalive");
            let mut owners: Vec<At> = Vec::new();
            let mut owner_set: HashSet<At> = HashSet::new();
            for p in passes_to.get(name).into_iter().flatten() {
                if owner_set.insert(p.owner) {
                    owners.push(p.owner);
                }
            }
            let problems: Vec<(At, bool, bool)> = owners.iter().map(|&o| (o, needs_http11(model, project, o), needs_connection(model, project, o))).filter(|(_, a, b)| *a || *b).collect();
            if keepalive.is_some() && problems.is_empty() {
                continue;
            }
            let servers: Vec<String> = u.children_named("server").filter_map(|s| s.arg(0).map(str::to_owned)).collect();
            // Sync workers close every connection: keepalive would change nothing.
            let Err(note) = behind(project, &doc.file, &servers) else { continue };
            let mut what = Vec::new();
            if keepalive.is_none() {
                what.push("no `keepalive`".to_owned());
            }
            let http10 = problems.iter().filter(|p| p.1).count();
            let conn = problems.iter().filter(|p| p.2).count();
            if http10 > 0 {
                what.push(format!("{http10} of {} proxying location(s) without `proxy_http_version 1.1`", owners.len()));
            }
            if conn > 0 {
                what.push(format!("{conn} without `proxy_set_header Connection \"\"`"));
            }
            let mut diag = diagnostic(cx, doc, super::head_range(u), format!("`upstream {}` has {}: nginx opens a new TCP connection to the app for every request ({version}; upstream keepalive is the default only from 1.29.7){}", u.args.first().map_or_else(|| name.to_owned(), |w| super::shown(project, doc, w)), what.join(", "), note.unwrap_or_default()));
            let all_editable = doc.editable() && owners.iter().all(|o| model.doc(o.doc).is_some_and(stacklint_project::nginx::NginxDoc::editable));
            if all_editable {
                let mut edits = Edits::default();
                if keepalive.is_none() {
                    edits.insert_in_block(project, doc, u, &["keepalive 32;".to_owned()]);
                }
                for &(owner, http11, connection) in &problems {
                    fix_location(&mut edits, model, project, owner, http11, connection);
                }
                if !edits.is_empty() {
                    diag = diag.with_fix(Fix::safe("Add `keepalive 32;` to the upstream, `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` to its locations", edits.into_edits()));
                }
            }
            cx.report(diag);
        }
    }
    // `proxy_pass` straight to an address: no upstream block, no pool. One fix per address:
    // it declares the upstream once and points every `proxy_pass` to it.
    let upstream_set: HashSet<String> = upstream_names.iter().cloned().collect();
    let mut by_host: Vec<(String, Vec<&Pass>)> = Vec::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for p in &passes {
        let Some(host) = &p.host else { continue };
        if upstream_set.contains(host) || host.starts_with("unix:") {
            continue;
        }
        match group_of.get(host.as_str()) {
            Some(&i) => {
                if let Some((_, group)) = by_host.get_mut(i) {
                    group.push(p);
                }
            }
            None if model.doc(p.at.doc).is_some_and(|d| behind(project, &d.file, std::slice::from_ref(host)).is_ok()) => {}
            None => {
                group_of.insert(host, by_host.len());
                by_host.push((host.clone(), vec![p]));
            }
        }
    }
    for (host, group) in by_host {
        let name = upstream_name(&host, &upstream_set);
        let edits = direct_fix(model, project, &group, &host, &name);
        for p in &group {
            let (Some(doc), Some(d)) = (model.doc(p.at.doc), model.node(project, p.at)) else { continue };
            let mut diag = diagnostic(cx, doc, d.range, format!("`{}` goes straight to an address: without an `upstream` block with `keepalive` nginx opens a new TCP connection to the app for every request ({version})", super::written(project, doc, d)));
            diag = match &edits {
                Some(edits) => diag.with_fix(Fix::safe(format!("Declare `upstream {name}` with `keepalive 32;` and proxy to it over HTTP/1.1 (the `Host` header stays `{host}`)"), edits.clone())),
                None => diag.with_help(format!("declare `upstream app {{ server {host}; keepalive 32; }}`, then `proxy_pass http://app;` with `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";`")),
            };
            cx.report(diag);
        }
    }
}

/// A name for the upstream of `host` that no `upstream` of the project uses yet.
fn upstream_name(host: &str, taken: &HashSet<String>) -> String {
    let mut base: String = host.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base.insert_str(0, "app_");
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// The edits that move `group` (every `proxy_pass` to `host`) onto a new upstream `name`:
/// the `upstream` block before the first one's `server`, the URLs, and per location
/// HTTP/1.1, `Connection ""` and — since the upstream name would become the `Host` sent
/// to the app — `Host` kept as it was. `None` when something can't be edited safely.
fn direct_fix(model: &NginxModel, project: &Project, group: &[&Pass], host: &str, name: &str) -> Option<Vec<stacklint_diagnostics::Edit>> {
    let first = group.first()?;
    let doc = model.doc(first.at.doc)?;
    let server = model.node(project, first.at)?.ancestors().find(|a| a.is("server"))?;
    if !group.iter().all(|p| model.doc(p.at.doc).is_some_and(stacklint_project::nginx::NginxDoc::editable)) {
        return None;
    }
    let nl = super::newline(project.file(&doc.file)?);
    let outer = server.indent.clone().unwrap_or_default();
    let inner = server.content_indent();
    let mut edits = Edits::default();
    let block = format!("upstream {name} {{{nl}{inner}server {host};{nl}{inner}keepalive 32;{nl}{outer}}}{nl}");
    if !edits.insert_before(project, doc, server, &block) {
        return None;
    }
    let mut owners: Vec<At> = Vec::new();
    let mut owner_set: HashSet<At> = HashSet::new();
    for p in group {
        let pdoc = model.doc(p.at.doc)?;
        let pass = model.node(project, p.at)?;
        let url = pass.args.first()?;
        let (scheme, rest) = url.value.split_once("://")?;
        let path = rest.strip_prefix(host)?;
        edits.replace(pdoc, url.range, format!("{scheme}://{name}{path}"));
        if owner_set.insert(p.owner) {
            owners.push(p.owner);
        }
    }
    for owner in owners {
        let (odoc, block) = (model.doc(owner.doc)?, model.node(project, owner)?);
        let mut lines = Vec::new();
        if needs_http11(model, project, owner) {
            match own_child(model, project, owner, "proxy_http_version") {
                Some((at, d)) if at.doc == owner.doc => edits.replace(odoc, d.args.first()?.range, "1.1"),
                _ => lines.push("proxy_http_version 1.1;".to_owned()),
            }
        }
        let level = Level::inside(owner);
        let keep_host = header_values(model, project, level, "Host").is_none();
        let connection = needs_connection(model, project, owner);
        let own_connection = header_values(model, project, level, "Connection")
            .unwrap_or_default()
            .into_iter()
            .find(|(at, _)| at.doc == owner.doc && model.scope_of(project, *at) == Some(level))
            .and_then(|(at, _)| model.node(project, at))
            .and_then(|d| d.args.get(1).map(|a| a.range));
        if let (true, Some(range)) = (connection, own_connection) {
            edits.replace(odoc, range, "\"\"");
        }
        if keep_host || (connection && own_connection.is_none()) {
            // A block that sets its own `proxy_set_header` loses the inherited ones: copy them.
            lines.extend(inherited_headers(model, project, owner));
            if keep_host {
                lines.push(format!("proxy_set_header Host {host};"));
            }
            if connection && own_connection.is_none() {
                lines.push("proxy_set_header Connection \"\";".to_owned());
            }
        }
        if !lines.is_empty() && !edits.insert_in_block(project, odoc, block, &lines) {
            return None;
        }
    }
    Some(edits.into_edits())
}

/// nginx ≥ 1.29.7: only explicit opt-outs from keepalive.
fn opt_outs(cx: &mut Checker, passes: &[Pass]) {
    let project = cx.project();
    let model = &project.nginx;
    let version = version_text(project);
    let mut seen: HashSet<At> = HashSet::new();
    for p in passes {
        let level = Level::inside(p.owner);
        if let Some((at, d)) = model.last_in_effect(project, level, "proxy_http_version")
            && d.arg(0) == Some("1.0")
            && seen.insert(at)
        {
            let Some(doc) = model.doc(at.doc) else { continue };
            let mut diag = diagnostic(cx, doc, d.range, format!("`proxy_http_version 1.0` turns off the upstream keepalive that is the default since nginx 1.29.7 ({version}): a new TCP connection per request"));
            if let (true, Some(arg)) = (doc.editable(), d.args.first()) {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, "1.1");
                diag = diag.with_fix(Fix::safe("Set `proxy_http_version 1.1`", edits.into_edits()));
            }
            cx.report(diag);
        }
        if is_websocket(model, project, p.owner) {
            continue;
        }
        for (at, value) in header_values(model, project, level, "Connection").unwrap_or_default() {
            if !value.eq_ignore_ascii_case("close") || !seen.insert(at) {
                continue;
            }
            let (Some(doc), Some(d)) = (model.doc(at.doc), model.node(project, at)) else { continue };
            let mut diag = diagnostic(cx, doc, d.range, format!("`Connection: close` to the app turns off the upstream keepalive that is the default since nginx 1.29.7 ({version}): a new TCP connection per request"));
            if let (true, Some(arg)) = (doc.editable(), d.args.get(1)) {
                let mut edits = Edits::default();
                edits.replace(doc, arg.range, "\"\"");
                diag = diag.with_fix(Fix::safe("Send `Connection \"\"` (keep the connection open)", edits.into_edits()));
            }
            cx.report(diag);
        }
    }
}

/// Every `proxy_pass` of the project with its URL host.
fn passes(model: &NginxModel, project: &Project) -> Vec<Pass> {
    let mut out = Vec::new();
    for (doc_id, _) in docs(project) {
        for at in model.find(project, doc_id, "proxy_pass") {
            let Some(d) = model.node(project, at) else { continue };
            let Some(url) = d.args.first() else { continue };
            let Some(owner) = owning_block(d) else { continue };
            let host = if url.has_variable() { None } else { url_host(&url.value) };
            out.push(Pass { at, host, owner: At { doc: at.doc, id: owner.id } });
        }
    }
    out
}

/// `http://name:8000/path` → `name:8000`; `http://unix:/run/app.sock:/` → `unix:/run/app.sock`.
fn url_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    if let Some(sock) = rest.strip_prefix("unix:") {
        return Some(format!("unix:{}", sock.split(':').next().unwrap_or(sock)));
    }
    Some(rest.split('/').next().unwrap_or(rest).to_owned())
}

fn needs_http11(model: &NginxModel, project: &Project, owner: At) -> bool {
    model.last_in_effect(project, Level::inside(owner), "proxy_http_version").is_none_or(|(_, d)| d.arg(0) != Some("1.1"))
}

/// A location (not a WebSocket one) that does not clear the `Connection` header.
fn needs_connection(model: &NginxModel, project: &Project, owner: At) -> bool {
    if is_websocket(model, project, owner) {
        return false;
    }
    match header_values(model, project, Level::inside(owner), "Connection") {
        None => true,
        Some(values) => !values.iter().any(|(_, v)| v.is_empty() || v.contains('$')),
    }
}

fn fix_location(edits: &mut Edits, model: &NginxModel, project: &Project, owner: At, http11: bool, connection: bool) {
    let (Some(doc), Some(block)) = (model.doc(owner.doc), model.node(project, owner)) else { return };
    let mut lines = Vec::new();
    if http11 {
        match own_child(model, project, owner, "proxy_http_version") {
            Some((at, d)) if at.doc == owner.doc => {
                if let Some(arg) = d.args.first() {
                    edits.replace(doc, arg.range, "1.1");
                }
            }
            _ => lines.push("proxy_http_version 1.1;".to_owned()),
        }
    }
    if connection {
        let level = Level::inside(owner);
        let own = header_values(model, project, level, "Connection").unwrap_or_default().into_iter().find(|(at, _)| at.doc == owner.doc && model.scope_of(project, *at) == Some(level));
        if let Some(range) = own.and_then(|(at, _)| model.node(project, at)).and_then(|d| d.args.get(1).map(|a| a.range)) {
            edits.replace(doc, range, "\"\"");
        } else {
            lines.extend(inherited_headers(model, project, owner));
            lines.push("proxy_set_header Connection \"\";".to_owned());
        }
    }
    if !lines.is_empty() {
        edits.insert_in_block(project, doc, block, &lines);
    }
}

/// What is behind the addresses `servers` written in `file`: `Ok(())` when every one is a
/// gunicorn with sync workers (which close every connection: keepalive changes nothing);
/// otherwise, when one is known, a note for the message naming its workers and how the
/// address was matched.
fn behind(project: &Project, file: &Path, servers: &[String]) -> Result<(), Option<String>> {
    let mut note = None;
    let mut all_sync = !servers.is_empty();
    for server in servers {
        let Some(backend) = project.gunicorn_behind(file, server) else {
            all_sync = false;
            continue;
        };
        let other = backend.processes.iter().find(|g| g.worker_class() != WorkerKind::Sync);
        if let (Some(g), None) = (other, &note) {
            let rel = g.anchor.file.strip_prefix(&project.root).unwrap_or(&g.anchor.file).display().to_string();
            let line = project.file(&g.anchor.file).map(|f| format!(":{}", f.row(g.anchor.range.start()))).unwrap_or_default();
            note = Some(format!("; behind `{server}` gunicorn runs `{}` workers ({rel}{line}; {}), which keep connections open", g.worker_class().name(), backend.matched));
        }
        all_sync &= other.is_none();
    }
    if all_sync { Ok(()) } else { Err(note) }
}
