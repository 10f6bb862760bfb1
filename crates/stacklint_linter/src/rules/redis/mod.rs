//! RDS: Redis.
//!
//! The rules read [`stacklint_project::redis`]: each Redis of the deployment with its
//! effective configuration (file, `include`s, `--name value` on its command line) and the
//! roles the application gives it, and every Redis file no service reads. The helpers here
//! make the findings' places and the fixes' edits.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Edit, Fix, TextRange};
use stacklint_project::redis::{RedisServer, Setting};
use stacklint_project::{MIB, Project, Target, TargetSource, format_bytes};

use crate::{Checker, Rule};

pub mod rds001_maxmemory_too_small;
pub mod rds002_maxmemory_unset;
pub mod rds003_eviction_policy_mismatch;
pub mod rds004_unprotected_network_exposure;
pub mod rds005_dangerous_commands_enabled;
pub mod rds006_invalid_directive;
pub mod rds007_maxmemory_exceeds_container_limit;
pub mod rds008_redis_shared_cache_and_broker;
pub mod rds009_maxclients_below_pools;

pub static RULES: &[&Rule] = &[
    &rds001_maxmemory_too_small::RULE,
    &rds002_maxmemory_unset::RULE,
    &rds003_eviction_policy_mismatch::RULE,
    &rds004_unprotected_network_exposure::RULE,
    &rds005_dangerous_commands_enabled::RULE,
    &rds006_invalid_directive::RULE,
    &rds007_maxmemory_exceeds_container_limit::RULE,
    &rds008_redis_shared_cache_and_broker::RULE,
    &rds009_maxclients_below_pools::RULE,
];

/// A project path as messages show it.
pub(crate) fn relative(project: &Project, path: &Path) -> String {
    path.strip_prefix(&project.root).unwrap_or(path).display().to_string()
}

/// `file:line` of an offset.
pub(crate) fn at(project: &Project, path: &Path, offset: usize) -> String {
    project.place(path, offset)
}

/// Whether fixes may edit `path`: a project file that parsed cleanly and is no template.
pub(crate) fn editable(project: &Project, path: &Path) -> bool {
    project.file(path).is_some_and(|f| f.template.is_none() && f.syntax_errors().is_empty())
}

/// Replace argument `i` of a setting with `value`, keeping the word's own quotes. `None`
/// when the place is not exact, holds a variable, or the file may not be edited.
pub(crate) fn replace_arg(project: &Project, s: &Setting, i: usize, value: &str) -> Option<Edit> {
    if !s.exact || s.variable || !editable(project, &s.file) {
        return None;
    }
    let arg = s.directive.args.get(i)?;
    let text = project.file(&s.file)?.text.as_str();
    let raw = arg.range.slice(text);
    let quote = raw.chars().next().filter(|q| (*q == '"' || *q == '\'') && raw.len() >= 2 && raw.ends_with(*q));
    let new = match quote {
        Some(q) => format!("{q}{value}{q}"),
        None => value.to_owned(),
    };
    // A command-line word must hold exactly the value (no `--name=value` pieces).
    if quote.is_none() && raw != arg.value {
        return None;
    }
    Some(Edit::replace(s.file.clone(), arg.range, new))
}

/// The newline of a file (its first line ending).
fn newline(text: &str) -> &'static str {
    stacklint_text::line_ending(text)
}

/// Insert `line` on a new line after the line holding `offset` of a Redis file.
pub(crate) fn insert_line_after(project: &Project, path: &Path, offset: usize, line: &str) -> Option<Edit> {
    if !editable(project, path) {
        return None;
    }
    let f = project.file(path)?;
    let text = f.text.as_str();
    let nl = newline(text);
    let end = f.line_index.line_range(f.line_index.line_of(offset), text).end();
    // `line_range` ends before the line break; insert after the break when there is one.
    let after_break = text.get(end..).and_then(|rest| rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n')).map(|r| text.len() - r.len()));
    Some(match after_break {
        Some(at) => Edit::insert(path.to_path_buf(), at, format!("{line}{nl}")),
        None => Edit::insert(path.to_path_buf(), end, format!("{nl}{line}")),
    })
}

/// Append lines at the end of a Redis file.
pub(crate) fn append_lines(project: &Project, path: &Path, lines: &[String]) -> Option<Edit> {
    if !editable(project, path) {
        return None;
    }
    let text = project.file(path)?.text.as_str();
    let nl = newline(text);
    let mut add = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        add.push_str(nl);
    }
    for l in lines {
        add.push_str(l);
        add.push_str(nl);
    }
    Some(Edit::insert(path.to_path_buf(), text.len(), add))
}

/// The container's limit as a message shows it: `` `512M` (the compose memory limit of
/// service `redis`) ``.
pub(crate) fn limit_text(server: &RedisServer) -> String {
    let shown = server.memory_limit.clone().unwrap_or_else(|| format_bytes(server.target.memory));
    format!("`{shown}` ({})", server.target.memory_source)
}

/// Whether the memory was declared (a limit, `[target]`, `--target`), not assumed.
pub(crate) fn memory_declared(t: &Target) -> bool {
    t.memory_source != TargetSource::Default
}

/// The memory limit of the container Redis runs in (compose `deploy.resources.limits`):
/// memory it has alone. A host target (`[target]`, `--target`, the default) is shared with
/// the other services, so no share of it is Redis's for sure.
pub(crate) fn container_limit(t: &Target) -> Option<u64> {
    matches!(t.memory_source, TargetSource::ComposeLimit { .. }).then_some(t.memory)
}

/// A size in the unit Redis users write: `128mb`, `2gb`.
pub(crate) fn size_value(bytes: u64) -> String {
    let gib = 1024 * MIB;
    if bytes >= gib && bytes.is_multiple_of(gib) { format!("{}gb", bytes / gib) } else { format!("{}mb", bytes / MIB) }
}

/// What `maxmemory` should be in a container of `limit` bytes: half of it (the rest covers
/// the fork of a save, client buffers and fragmentation), in whole MiB, at least 64 MiB.
pub(crate) fn recommended_maxmemory(limit: u64) -> u64 {
    (limit / 2 / MIB * MIB).max(64 * MIB)
}

/// Where a setting was written, for messages: `redis/redis.conf:12`, or
/// `the command line in docker-compose.yml:15`.
pub(crate) fn place(project: &Project, s: &Setting) -> String {
    let start = s.directive.range.start();
    if s.command_line { format!("the command line at {}", at(project, &s.file, start)) } else { at(project, &s.file, start) }
}

/// Report each (file, range) once across the servers that share a file.
#[derive(Default)]
pub(crate) struct Seen(HashSet<(PathBuf, usize, usize)>);

impl Seen {
    pub(crate) fn first(&mut self, file: &Path, range: TextRange) -> bool {
        self.0.insert((file.to_path_buf(), range.start(), range.end()))
    }
}

/// Reports a finding at a directive, with the safe fix `title` when its one edit could be made.
pub(crate) fn report_with_edit(cx: &mut Checker, file: &Path, range: TextRange, message: String, title: String, edit: Option<Edit>) {
    let d = cx.diagnostic(file, range, message);
    cx.report(match edit {
        Some(edit) => d.with_fix(Fix::safe(title, vec![edit])),
        None => d,
    });
}

/// The Redis servers of the project (see [`stacklint_project::redis::servers`]).
pub(crate) fn servers(project: &Project) -> &[RedisServer] {
    stacklint_project::redis::servers(project)
}

/// Where a server-wide finding goes: its compose service (or Dockerfile), else its file.
pub(crate) fn server_place(project: &Project, s: &RedisServer) -> Option<(PathBuf, TextRange)> {
    if let Some((file, range)) = &s.defined_in
        && project.file(file).is_some()
    {
        return Some((file.clone(), range.unwrap_or_default()));
    }
    let file = s.config_file.clone()?;
    let range = first_line(project, &file);
    Some((file, range))
}

/// The first directive of a file (or its start).
pub(crate) fn first_line(project: &Project, path: &Path) -> TextRange {
    project.file(path).and_then(|f| f.redis()).and_then(|t| t.directives().next().map(|d| d.range)).unwrap_or_default()
}

/// `cache (`web`: CACHES at settings.py:40)`.
pub(crate) fn use_text(project: &Project, u: &stacklint_project::redis::RoleUse) -> String {
    let at = u.origin.range.map_or_else(|| relative(project, &u.origin.file), |r| at(project, &u.origin.file, r.start()));
    format!("{} of `{}` ({} at {at})", u.kind, u.from, u.origin.what)
}
