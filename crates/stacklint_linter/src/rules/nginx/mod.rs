//! NGX: nginx.
//!
//! The rules read the project's [`NginxModel`]: each file with the context it lands in,
//! and what is in effect at a directive across `include`s. The helpers here are shared:
//! the nginx version and where it came from, which locations proxy and which serve
//! streams, and edits that insert directives with the file's own indentation.

use std::collections::BTreeMap;

use stacklint_diagnostics::{Diagnostic, Edit, TextRange};
use stacklint_project::nginx::{At, DocId, NginxDoc, NginxModel, Scope};
use stacklint_project::{KnownVersion, Project, SourceFile, VersionSource};
use stacklint_syntax::nginx::{DirectiveRef, Word};

use crate::{Checker, Rule};

pub mod ngx001_gzip_disabled;
pub mod ngx002_gzip_types_miss_json;
pub mod ngx003_upstream_without_keepalive;
pub mod ngx004_proxy_buffering_disabled;
pub mod ngx005_websocket_upgrade_headers_missing;
pub mod ngx006_worker_processes_below_cpus;
pub mod ngx007_low_worker_connections;
pub mod ngx008_server_tokens_exposed;
pub mod ngx009_outdated_tls_protocols;
pub mod ngx010_add_header_inheritance_lost;
pub mod ngx011_static_served_by_app;
pub mod ngx012_worker_rlimit_nofile_below_connections;

pub static RULES: &[&Rule] = &[
    &ngx001_gzip_disabled::RULE,
    &ngx002_gzip_types_miss_json::RULE,
    &ngx003_upstream_without_keepalive::RULE,
    &ngx004_proxy_buffering_disabled::RULE,
    &ngx005_websocket_upgrade_headers_missing::RULE,
    &ngx006_worker_processes_below_cpus::RULE,
    &ngx007_low_worker_connections::RULE,
    &ngx008_server_tokens_exposed::RULE,
    &ngx009_outdated_tls_protocols::RULE,
    &ngx010_add_header_inheritance_lost::RULE,
    &ngx011_static_served_by_app::RULE,
    &ngx012_worker_rlimit_nofile_below_connections::RULE,
];

/// The newest nginx release line the rules know.
pub(crate) const NEWEST: &str = "1.29.x";

/// The deployed nginx version, for messages: `nginx 1.27 from docker-compose.yml` or
/// `assuming the newest nginx, 1.29.x: declare [versions] nginx`.
pub(crate) fn version_text(project: &Project) -> String {
    match &project.versions.nginx {
        Some(KnownVersion { version, source, .. }) => {
            let from = match source {
                VersionSource::Config => "from [versions]".to_owned(),
                VersionSource::File { path, .. } => format!("from {}", relative(project, path)),
            };
            format!("nginx {version} {from}")
        }
        None => format!("assuming the newest nginx, {NEWEST}: declare [versions] nginx"),
    }
}

/// A project path as messages show it.
pub(crate) fn relative(project: &Project, path: &std::path::Path) -> String {
    path.strip_prefix(&project.root).unwrap_or(path).display().to_string()
}

/// Whether the deployed nginx is surely at least `min` (`[1, 29, 7]`). A version without
/// a patch number (`nginx:1.29` floats) counts when its series is newer than `min`'s; an
/// unknown version is the newest release, which is.
pub(crate) fn at_least(project: &Project, min: &[u64; 3]) -> bool {
    match &project.versions.nginx {
        None => true,
        Some(k) if k.version.parts.len() >= 3 => k.version.at_least(min),
        Some(k) => {
            let p = &k.version.parts;
            let series = [p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)];
            series > [min[0], min[1]] || (series == [min[0], min[1]] && min[2] == 0)
        }
    }
}

/// Whether the deployed nginx is surely older than `max` (`[1, 27, 3]`); `false` when unknown.
pub(crate) fn before(project: &Project, max: &[u64; 3]) -> bool {
    match &project.versions.nginx {
        None => false,
        Some(k) if k.version.parts.len() >= 3 => !k.version.at_least(max),
        Some(k) => {
            let p = &k.version.parts;
            [p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)] < [max[0], max[1]]
        }
    }
}

/// A finding at a directive's range (mapped into the file for dump sections).
pub(crate) fn diagnostic(cx: &Checker, doc: &NginxDoc, range: TextRange, message: impl Into<String>) -> Diagnostic {
    cx.diagnostic(&doc.file, doc.file_range(range), message)
}

/// The range of a block directive's head (`location /api/`), not its whole block.
pub(crate) fn head_range(d: DirectiveRef) -> TextRange {
    let end = d.args.last().map_or(d.name.range.end(), |a| a.range.end());
    TextRange::new(d.name.range.start(), end)
}

/// `name args` as written in `doc`'s file, for messages (see [`shown`]).
pub(crate) fn written(project: &Project, doc: &NginxDoc, d: DirectiveRef) -> String {
    let mut s = shown(project, doc, &d.name);
    for a in &d.args {
        s.push(' ');
        s.push_str(&shown(project, doc, a));
    }
    s
}

/// A word as written: the file's own text at the word's range. A template is parsed as its
/// skeleton (`upstream {{ name }}-web` read as `upstream $_______-web`), so the parsed
/// word would show the mask; the file's text shows the tag. The parsed raw text when the
/// range does not fit the file.
pub(crate) fn shown(project: &Project, doc: &NginxDoc, w: &Word) -> String {
    project.file(&doc.file).and_then(|f| f.text.get(doc.file_range(w.range).as_range())).map_or_else(|| w.raw.clone(), str::to_owned)
}

/// The directives that hand a request to an application.
pub(crate) const PASS_DIRECTIVES: &[&str] = &["proxy_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass", "grpc_pass"];

/// The nearest enclosing `location` (or the `server`/`http` block) of a directive: where
/// `proxy_*` directives for it can be written (not inside `if`).
pub(crate) fn owning_block(d: DirectiveRef) -> Option<DirectiveRef> {
    d.ancestors().find(|a| matches!(a.name(), "location" | "server" | "http"))
}

/// Whether a location serves WebSockets: its path names them (`/ws/`, `websocket`,
/// `socket.io`, `cable`), or it already forwards an upgrade: an `Upgrade` header, or a
/// `Connection` header that asks for one (`"upgrade"`, `$connection_upgrade`).
pub(crate) fn is_websocket(model: &NginxModel, project: &Project, location: At) -> bool {
    let Some(d) = model.node(project, location) else { return false };
    let path = d.args.last().map_or("", |a| a.value.as_str()).to_ascii_lowercase();
    let named = path.split(|c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-').any(|seg| matches!(seg, "ws" | "wss" | "websocket" | "websockets" | "socket.io" | "sockjs" | "cable"));
    named
        || path.contains("websocket")
        || header_values(model, project, Scope::inside(location), "upgrade").is_some()
        || header_values(model, project, Scope::inside(location), "connection").is_some_and(|v| v.iter().any(|(_, value)| value.to_ascii_lowercase().contains("upgrade")))
}

/// Whether a location serves a stream that must not be buffered: WebSockets or
/// server-sent events (`/sse`, `/events`, `/stream`, `X-Accel-Buffering`-style paths).
pub(crate) fn is_stream(model: &NginxModel, project: &Project, location: At) -> bool {
    if is_websocket(model, project, location) {
        return true;
    }
    let Some(d) = model.node(project, location) else { return false };
    let path = d.args.last().map_or("", |a| a.value.as_str()).to_ascii_lowercase();
    path.split(|c: char| !c.is_ascii_alphanumeric() && c != '-').any(|seg| matches!(seg, "sse" | "events" | "event-stream" | "eventsource" | "stream" | "streaming" | "subscribe" | "live" | "push"))
}

/// The values of the `proxy_set_header NAME value` in effect inside `scope` for a header
/// (case-insensitive); `None` when it is not set there.
pub(crate) fn header_values(model: &NginxModel, project: &Project, scope: Scope, header: &str) -> Option<Vec<(At, String)>> {
    let set = model.in_effect(project, scope, "proxy_set_header");
    let found: Vec<(At, String)> = set
        .into_iter()
        .filter_map(|at| {
            let d = model.node(project, at)?;
            d.arg(0)?.eq_ignore_ascii_case(header).then(|| (at, d.arg(1).unwrap_or("").to_owned()))
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

/// The newline style of a file: its first line's ending, as
/// [`stacklint_text::line_ending`] has it, found from the line index (constant time, not a
/// scan of the text per edit).
pub(crate) fn newline(file: &SourceFile) -> &'static str {
    if file.line_index.line_count() < 2 {
        return "\n";
    }
    let lf = file.line_index.line_start(1).saturating_sub(1);
    if lf > 0 && file.text.as_bytes().get(lf - 1) == Some(&b'\r') { "\r\n" } else { "\n" }
}

/// Where the line holding `offset` starts.
fn line_start(file: &SourceFile, offset: usize) -> usize {
    file.line_index.line_start(file.line_index.line_of(offset))
}

/// Edits for one fix, one file each; inserts at the same offset are merged (the fixer
/// refuses two inserts at one place).
#[derive(Default)]
pub(crate) struct Edits {
    by_file: BTreeMap<(std::path::PathBuf, usize, usize), String>,
}

impl Edits {
    pub(crate) fn replace(&mut self, doc: &NginxDoc, range: TextRange, text: impl AsRef<str>) {
        let r = doc.file_range(range);
        self.by_file.entry((doc.file.clone(), r.start(), r.end())).or_default().push_str(text.as_ref());
    }

    pub(crate) fn insert(&mut self, doc: &NginxDoc, offset: usize, text: impl AsRef<str>) {
        self.replace(doc, TextRange::new(offset, offset), text);
    }

    /// Adds `lines` (each `name args;`, no indentation) at the end of `block`, indented
    /// like the block's content: on their own lines before `}` (a `}` that shares its
    /// line with content moves to a line of its own).
    pub(crate) fn insert_in_block(&mut self, project: &Project, doc: &NginxDoc, block: DirectiveRef, lines: &[String]) -> bool {
        let Some(file) = project.file(&doc.file) else { return false };
        let text = file.text.as_str();
        let Some(close) = block.insert_before_close() else { return false };
        let nl = newline(file);
        let indent = block.content_indent();
        let line_start = line_start(file, close);
        if text.get(line_start..close).is_some_and(|t| t.trim().is_empty()) {
            let body: String = lines.iter().fold(String::new(), |acc, l| acc + &indent + l + nl);
            self.insert(doc, line_start, body);
            return true;
        }
        // `}` shares its line: start after the last child (or `{`), put `}` on its own line.
        let from = block.children().last().map_or_else(|| block.block().map_or(close, |b| b.open.end()), DirectiveRef::insert_after);
        let from = if text.get(from..close).is_some_and(|t| t.trim().is_empty()) { from } else { close };
        let own = block.indent.clone().unwrap_or_default();
        let body: String = lines.iter().fold(String::new(), |acc, l| acc + nl + &indent + l);
        self.replace(doc, TextRange::new(from, close), format!("{body}{nl}{own}"));
        true
    }

    /// Adds `lines` among the block's settings: after its last plain directive (not a
    /// block, not an `include`) when it has one, else at the end of the block.
    pub(crate) fn insert_settings(&mut self, project: &Project, doc: &NginxDoc, block: DirectiveRef, lines: &[String]) -> bool {
        let Some(file) = project.file(&doc.file) else { return false };
        let Some(last) = block.children().filter(|c| c.block.is_none() && !c.is("include") && c.indent.is_some()).last() else {
            return self.insert_in_block(project, doc, block, lines);
        };
        let nl = newline(file);
        let indent = last.indent.clone().unwrap_or_default();
        let body: String = lines.iter().fold(String::new(), |acc, l| acc + nl + &indent + l);
        self.insert(doc, line_end_after(file, last.insert_after()), body);
        true
    }

    /// Adds `line` right before directive `d`, on its own line with `d`'s indentation
    /// (used at the top level, before `events`).
    pub(crate) fn insert_before(&mut self, project: &Project, doc: &NginxDoc, d: DirectiveRef, line: &str) -> bool {
        let Some(file) = project.file(&doc.file) else { return false };
        let text = file.text.as_str();
        let start = d.range.start();
        let line_start = line_start(file, start);
        let nl = newline(file);
        if text.get(line_start..start).is_some_and(|t| t.trim().is_empty()) {
            let indent = d.indent.clone().unwrap_or_default();
            self.insert(doc, line_start, format!("{indent}{line}{nl}"));
        } else {
            self.insert(doc, start, format!("{line}{nl}"));
        }
        true
    }

    /// Adds `line` right after directive `d` on a new line with `d`'s indentation.
    pub(crate) fn insert_after(&mut self, project: &Project, doc: &NginxDoc, d: DirectiveRef, line: &str) -> bool {
        let Some(file) = project.file(&doc.file) else { return false };
        let indent = d.indent.clone().or_else(|| d.parent().map(DirectiveRef::content_indent)).unwrap_or_default();
        self.insert(doc, line_end_after(file, d.insert_after()), format!("{}{indent}{line}", newline(file)));
        true
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }

    pub(crate) fn into_edits(self) -> Vec<Edit> {
        self.by_file.into_iter().map(|((file, start, end), text)| Edit::replace(file, TextRange::new(start, end), text)).collect()
    }
}

/// `offset`, moved to the end of its line when only blanks or a comment follow it there
/// (so a trailing comment stays with its directive).
fn line_end_after(file: &SourceFile, offset: usize) -> usize {
    let end = file.line_index.line_range(file.line_index.line_of(offset), &file.text).end();
    let line = file.text.get(offset..end).unwrap_or("");
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') { offset + line.len() } else { offset }
}

/// The `proxy_set_header` lines a block inherits and would lose when it gets its own:
/// nginx inherits `proxy_set_header` only into blocks that set none. `None` when the
/// block already sets some (nothing to copy).
pub(crate) fn inherited_headers(model: &NginxModel, project: &Project, block: At) -> Vec<String> {
    if !model.named(project, Scope::inside(block), "proxy_set_header").is_empty() {
        return Vec::new();
    }
    model.in_effect(project, Scope::inside(block), "proxy_set_header").into_iter().filter_map(|at| Some(format!("{};", written(project, model.doc(at.doc)?, model.node(project, at)?)))).collect()
}

/// Whether the block's own level (includes expanded) has a directive called `name`.
pub(crate) fn own_child<'a>(model: &'a NginxModel, project: &'a Project, block: At, name: &str) -> Option<(At, DirectiveRef<'a>)> {
    let at = *model.named(project, Scope::inside(block), name).last()?;
    Some((at, model.node(project, at)?))
}

/// The `server` blocks directly inside a level, `include`s expanded.
pub(crate) fn servers_in(model: &NginxModel, project: &Project, level: Scope) -> Vec<At> {
    model.children(project, level).into_iter().filter(|&at| model.node(project, at).is_some_and(|d| d.is("server") && d.block.is_some())).collect()
}

/// For a directive written above the `server` level (in `http`, or at the top of a file
/// included there): the servers of its level, where nginx applies it unless they override
/// it. `None` for a directive inside a `server`.
pub(crate) fn servers_below(model: &NginxModel, project: &Project, at: At) -> Option<Vec<At>> {
    let context = model.context(project, at).unwrap_or_default();
    if context.iter().any(|c| c == "server") || model.node(project, at)?.ancestors().any(|a| a.is("server")) {
        return None;
    }
    Some(servers_in(model, project, model.scope_of(project, at)?))
}

/// `its `server` (`server_name a.example` at conf.d/a.conf:3)`, `1 of its 2 `server` blocks (...)`.
pub(crate) fn server_list(model: &NginxModel, project: &Project, servers: &[At], total: usize) -> String {
    let names: Vec<String> = servers.iter().map(|&s| server_label(model, project, s)).collect();
    match (servers.len(), total) {
        (1, 1) => format!("its `server` ({})", names.join(", ")),
        (n, t) if n == t => format!("its {n} `server` blocks ({})", names.join(", ")),
        (n, t) => format!("{n} of its {t} `server` blocks ({})", names.join(", ")),
    }
}

/// A server as a reader finds it: its first `server_name`, else its first `listen`, with
/// the file and line.
pub(crate) fn server_label(model: &NginxModel, project: &Project, server: At) -> String {
    let Some(d) = model.node(project, server) else { return "a `server`".to_owned() };
    let file = model.doc(server.doc).map(|doc| {
        let text = project.file(&doc.file).map_or("", |f| f.text.as_str());
        let start = doc.file_range(d.range).start();
        let line = text.get(..start).map_or(0, |t| t.matches('\n').count()) + 1;
        format!("{}:{line}", relative(project, &doc.file))
    });
    let name = d.children_named("server_name").find_map(|n| n.arg(0).map(str::to_owned)).map(|n| format!("`server_name {n}`")).or_else(|| d.children_named("listen").find_map(|l| l.arg(0).map(|a| format!("`listen {a}`"))));
    match (name, file) {
        (Some(n), Some(f)) => format!("{n} at {f}"),
        (Some(n), None) => n,
        (None, Some(f)) => format!("at {f}"),
        (None, None) => "a `server`".to_owned(),
    }
}

/// Every doc of the project (files and dump sections) with its id: not the images' own
/// configurations, which the project does not hold (rules see what is in effect from
/// them through the include graph, and report on the project's files).
pub(crate) fn docs(project: &Project) -> impl Iterator<Item = (DocId, &NginxDoc)> {
    project.nginx.iter().filter(|(_, d)| d.in_project())
}
