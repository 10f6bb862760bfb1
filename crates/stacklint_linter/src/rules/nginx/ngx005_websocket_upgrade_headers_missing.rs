use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::nginx::{At, Scope as Level};

use super::{Edits, diagnostic, docs, header_values, inherited_headers, is_websocket, own_child};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a location that serves WebSockets (a path like `/ws/`, `websocket`,
    /// `socket.io`, `cable`) and proxies them without `proxy_http_version 1.1` and the
    /// `Upgrade` and `Connection` headers.
    ///
    /// ## Why is this bad?
    /// A WebSocket starts as an HTTP/1.1 request with `Upgrade: websocket` and
    /// `Connection: upgrade`. Both are hop-by-hop headers: nginx does not pass them to
    /// the app unless told to, and it talks HTTP/1.0 upstream by default (before 1.29.7),
    /// where there is no upgrade. The handshake then fails (Channels/uvicorn answer it
    /// as a plain request) or the connection is dropped.
    ///
    /// The fix adds the missing `proxy_http_version 1.1;`,
    /// `proxy_set_header Upgrade $http_upgrade;` and `proxy_set_header Connection "upgrade";`
    /// to the location (and copies the inherited `proxy_set_header` lines, which a block
    /// with its own loses).
    ///
    /// ## Example
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location /ws/ {
    ///         proxy_pass http://app:8000;
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/conf.d/app.conf
    /// server {
    ///     location /ws/ {
    ///         proxy_pass http://app:8000;
    ///         proxy_http_version 1.1;
    ///         proxy_set_header Upgrade $http_upgrade;
    ///         proxy_set_header Connection "upgrade";
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: WebSocket proxying](https://nginx.org/en/docs/http/websocket.html)
    /// - [Channels: deploying](https://channels.readthedocs.io/en/latest/deploying.html)
    pub static RULE = {
        code: "NGX005",
        name: "websocket-upgrade-headers-missing",
        family: Family::Nginx,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let model = &project.nginx;
    let mut seen: std::collections::HashSet<At> = std::collections::HashSet::new();
    for (doc_id, doc) in docs(project) {
        for pass in model.find(project, doc_id, "proxy_pass") {
            let Some(location) = super::ngx004_proxy_buffering_disabled::location_of(model, project, pass) else { continue };
            if seen.contains(&location) || !is_websocket(model, project, location) {
                continue;
            }
            seen.insert(location);
            let level = Level::inside(location);
            let version = model.last_in_effect(project, level, "proxy_http_version");
            let http11 = version.as_ref().is_some_and(|(_, d)| d.arg(0) == Some("1.1"));
            let upgrade = header_values(model, project, level, "Upgrade");
            let connection = header_values(model, project, level, "Connection");
            let upgrade_ok = upgrade.as_ref().is_some_and(|v| v.iter().any(|(_, val)| !val.is_empty()));
            let connection_ok = connection.as_ref().is_some_and(|v| v.iter().any(|(_, val)| val.to_ascii_lowercase().contains("upgrade") || val.contains('$')));
            if http11 && upgrade_ok && connection_ok {
                continue;
            }
            let mut missing = Vec::new();
            if !http11 {
                missing.push(match &version {
                    Some((_, d)) => format!("`proxy_http_version {}` (no upgrade in HTTP/1.0)", d.arg(0).unwrap_or("")),
                    None => "`proxy_http_version 1.1` (nginx speaks HTTP/1.0 upstream by default)".to_owned(),
                });
            }
            if !upgrade_ok {
                missing.push("the `Upgrade` header".to_owned());
            }
            if !connection_ok {
                missing.push("`Connection: upgrade`".to_owned());
            }
            let Some(loc) = model.node(project, location) else { continue };
            let mut diag = diagnostic(cx, doc, super::head_range(loc), format!("`{}` proxies WebSockets without {}: hop-by-hop headers are not passed on, so the handshake fails or drops", super::written(project, doc, loc), missing.join(", ")));
            if doc.editable() {
                let mut edits = Edits::default();
                let mut lines = Vec::new();
                if !http11 {
                    match own_child(model, project, location, "proxy_http_version") {
                        Some((at, d)) if at.doc == location.doc => {
                            if let Some(arg) = d.args.first() {
                                edits.replace(doc, arg.range, "1.1");
                            }
                        }
                        _ => lines.push("proxy_http_version 1.1;".to_owned()),
                    }
                }
                let mut headers = Vec::new();
                if !upgrade_ok {
                    headers.push("proxy_set_header Upgrade $http_upgrade;".to_owned());
                }
                if !connection_ok {
                    // Replace a `Connection` header the location itself sets; else add one.
                    let own = connection.iter().flatten().find(|(at, _)| at.doc == location.doc && model.scope_of(project, *at) == Some(level));
                    match own.and_then(|(at, _)| model.node(project, *at)).and_then(|d| d.args.get(1).map(|a| a.range)) {
                        Some(range) => edits.replace(doc, range, "\"upgrade\""),
                        None => headers.push("proxy_set_header Connection \"upgrade\";".to_owned()),
                    }
                }
                if !headers.is_empty() {
                    lines.extend(inherited_headers(model, project, location));
                    lines.extend(headers);
                }
                if !lines.is_empty() {
                    edits.insert_in_block(project, doc, loc, &lines);
                }
                if !edits.is_empty() {
                    diag = diag.with_fix(Fix::safe("Add `proxy_http_version 1.1` and the `Upgrade`/`Connection` headers", edits.into_edits()));
                }
            }
            cx.report(diag);
        }
    }
}
