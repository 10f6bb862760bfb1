use stacklint_diagnostics::{Fix, Severity};
use stacklint_project::nginx::{At, Scope as Level};

use super::{Edits, PASS_DIRECTIVES, diagnostic, docs};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// The MIME types worth compressing besides `text/html` (always compressed).
pub(crate) const GZIP_TYPES: &str = "text/plain text/css text/xml text/javascript application/json application/javascript application/xml application/rss+xml application/atom+xml application/manifest+json image/svg+xml";

/// The gzip settings the fix writes, as `(name, line)`.
pub(crate) fn gzip_lines() -> Vec<(&'static str, String)> {
    vec![
        ("gzip", "gzip on;".to_owned()),
        ("gzip_comp_level", "gzip_comp_level 5;".to_owned()),
        ("gzip_min_length", "gzip_min_length 256;".to_owned()),
        ("gzip_proxied", "gzip_proxied any;".to_owned()),
        ("gzip_vary", "gzip_vary on;".to_owned()),
        ("gzip_types", format!("gzip_types {GZIP_TYPES};")),
    ]
}

declare_rule! {
    /// ## What it does
    /// Reports an `http` block whose proxied responses are sent uncompressed: no
    /// `gzip on` in effect for the locations that pass requests to the application
    /// (`gzip` is `off` by default). Includes are followed: `gzip on` in an included
    /// file inside `http` counts. A snippet that a service of the official `nginx` image
    /// reads from `/etc/nginx/conf.d/` (copied or mounted there, with no project
    /// `nginx.conf` at `/etc/nginx/nginx.conf`) sits inside the `http` block of the
    /// image's own `nginx.conf`, which leaves `#gzip  on;` commented out: it is reported
    /// on the snippet's `server`, and fixed there.
    ///
    /// ## Why is this bad?
    /// JSON, HTML, CSS and JavaScript shrink 4–10× with gzip at level 5; without it every
    /// response crosses the network at full size, and slow clients hold connections (and
    /// app workers, without buffering) for longer. nginx compresses only when `gzip on`
    /// is in effect, only `text/html` unless `gzip_types` lists more, and not responses
    /// to requests that came through another proxy unless `gzip_proxied` allows it.
    ///
    /// The fix adds `gzip on; gzip_comp_level 5; gzip_min_length 256; gzip_proxied any;
    /// gzip_vary on;` and a `gzip_types` list (text, JSON, JavaScript, CSS, XML, SVG) to
    /// the `http` block, skipping the settings already there.
    ///
    /// ## Example
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     server {
    ///         location / {
    ///             proxy_pass http://app:8000;
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```nginx path=nginx/nginx.conf
    /// events {}
    /// http {
    ///     gzip on;
    ///     gzip_comp_level 5;
    ///     gzip_min_length 256;
    ///     gzip_proxied any;
    ///     gzip_vary on;
    ///     gzip_types text/plain text/css application/json application/javascript image/svg+xml;
    ///     server {
    ///         location / {
    ///             proxy_pass http://app:8000;
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [nginx: ngx_http_gzip_module](https://nginx.org/en/docs/http/ngx_http_gzip_module.html)
    pub static RULE = {
        code: "NGX001",
        name: "gzip-disabled",
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
    let mut https = model.http_blocks(project);
    let image_https = model.image_http_blocks(project);
    https.extend(image_https.iter().copied());
    // Every location that passes requests on, grouped by the `http` block it sits in.
    let mut uncovered: Vec<(At, usize)> = https.iter().map(|&h| (h, 0)).collect();
    // Under an image's own `http` (the project's snippet in `conf.d/`): by the project's
    // `server` block, where the finding and the fix go.
    let mut image_servers: Vec<(At, At, usize)> = Vec::new();
    let slot_of: std::collections::HashMap<Level, usize> = https.iter().enumerate().map(|(i, &h)| (Level::inside(h), i)).collect();
    let mut explicit_off: Vec<At> = Vec::new();
    let mut reported_off: std::collections::HashSet<At> = std::collections::HashSet::new();
    for (doc_id, _) in docs(project) {
        for name in PASS_DIRECTIVES {
            for pass in model.find(project, doc_id, name) {
                let Some(level) = model.scope_of(project, pass) else { continue };
                let chain = model.scope_chain(project, level);
                let Some(slot) = chain.iter().find_map(|l| slot_of.get(l)).and_then(|&i| uncovered.get_mut(i)) else { continue };
                match model.last_in_effect(project, level, "gzip") {
                    Some((_, d)) if d.arg(0) == Some("on") => {}
                    Some((at, _)) if model.scope_of(project, at) != Some(Level::inside(slot.0)) => {
                        // `gzip off` written below `http`: reported where it is written.
                        if reported_off.insert(at) {
                            explicit_off.push(at);
                        }
                    }
                    _ if image_https.contains(&slot.0) => {
                        let http = slot.0;
                        let server = chain.iter().filter_map(|l| l.block.map(|b| At { doc: l.doc, id: b })).find(|&b| model.doc(b.doc).is_some_and(stacklint_project::nginx::NginxDoc::in_project) && model.node(project, b).is_some_and(|n| n.is("server")));
                        if let Some(server) = server {
                            match image_servers.iter_mut().find(|(s, _, _)| *s == server) {
                                Some(entry) => entry.2 += 1,
                                None => image_servers.push((server, http, 1)),
                            }
                        }
                    }
                    _ => slot.1 += 1,
                }
            }
        }
    }
    for at in explicit_off {
        let (Some(doc), Some(d)) = (model.doc(at.doc), model.node(project, at)) else { continue };
        cx.report(diagnostic(cx, doc, d.range, format!("`{}` turns compression off for the proxied responses below it: JSON and HTML are sent at full size", super::written(project, doc, d))));
    }
    for (http, count) in uncovered {
        if count == 0 {
            continue;
        }
        let (Some(doc), Some(d)) = (model.doc(http.doc), model.node(project, http)) else { continue };
        let level = Level::inside(http);
        let at_http = model.last_in_effect(project, level, "gzip").filter(|(at, _)| model.scope_of(project, *at) == Some(level));
        let present: Vec<String> = model.children(project, level).into_iter().filter_map(|at| model.node(project, at)).map(|c| c.name().to_owned()).collect();
        let plural = if count == 1 { "1 proxying location".to_owned() } else { format!("{count} proxying locations") };
        let (mut diag, mut edits) = match at_http {
            Some((off_at, off)) => {
                let mut edits = Edits::default();
                if let Some(arg) = off.args.first() {
                    edits.replace(doc, arg.range, "on");
                }
                (diagnostic(cx, doc, off.range, format!("`{}` in `http`: responses of {plural} are sent uncompressed (JSON and HTML shrink 4–10× with gzip)", super::written(project, model.doc(off_at.doc).unwrap_or(doc), off))), edits)
            }
            None => (diagnostic(cx, doc, super::head_range(d), format!("no `gzip on` in effect: responses of {plural} are sent uncompressed (`gzip` is off by default; JSON and HTML shrink 4–10× with gzip)")), Edits::default()),
        };
        let lines: Vec<String> = gzip_lines().into_iter().filter(|(name, _)| !present.iter().any(|p| p == name)).map(|(_, l)| l).collect();
        let inserted = lines.is_empty() || edits.insert_settings(project, doc, d, &lines);
        if doc.editable() && inserted && !edits.is_empty() {
            diag = diag.with_fix(Fix::safe("Turn on gzip in `http` (level 5, text, JSON, JavaScript, CSS, SVG)", edits.into_edits()));
        }
        cx.report(diag);
    }
    for (server, http, count) in image_servers {
        report_under_image(cx, server, http, count);
    }
}

/// A `server` of the project read inside the `http` block of an image's own `nginx.conf`
/// (which the project cannot edit): reported on the server, fixed there.
fn report_under_image(cx: &mut Checker, server: At, http: At, count: usize) {
    let project = cx.project();
    let model = &project.nginx;
    let (Some(doc), Some(d)) = (model.doc(server.doc), model.node(project, server)) else { return };
    let Some(image) = model.doc(http.doc).and_then(|h| h.image.as_ref()) else { return };
    let plural = if count == 1 { "1 proxying location".to_owned() } else { format!("{count} proxying locations") };
    let mut diag = diagnostic(
        cx,
        doc,
        super::head_range(d),
        format!(
            "no `gzip on` in effect: service `{}` runs `{}` with this file in `/etc/nginx/conf.d/`, and the image's own `/etc/nginx/nginx.conf` includes it inside `http` with gzip off (`#gzip  on;` is a comment there), so responses of {plural} are sent uncompressed (JSON and HTML shrink 4–10× with gzip)",
            image.service, image.image
        ),
    )
    .with_help(format!("Turn gzip on in this `server`, or mount a project `nginx.conf` at /etc/nginx/nginx.conf that turns it on in `http` (the image's file as stacklint reads it: {})", image.data));
    let present: Vec<String> = d.children().map(|c| c.name().to_owned()).collect();
    let lines: Vec<String> = gzip_lines().into_iter().filter(|(name, _)| !present.iter().any(|p| p == name)).map(|(_, l)| l).collect();
    let mut edits = Edits::default();
    if doc.editable() && !lines.is_empty() && edits.insert_settings(project, doc, d, &lines) {
        diag = diag.with_fix(Fix::safe("Turn on gzip in this `server` (level 5, text, JSON, JavaScript, CSS, SVG)", edits.into_edits()));
    }
    cx.report(diag);
}
