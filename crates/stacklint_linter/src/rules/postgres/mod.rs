//! PGS: PostgreSQL.
//!
//! The rules read each server's effective configuration ([`stacklint_project::postgres`]):
//! its files with includes, `postgresql.auto.conf`, the `-c` options of its command line,
//! or the image's boot values. A finding goes where the value in effect was written; an
//! unset setting is reported at the top of the file PostgreSQL reads first (the fix adds a
//! line there in the file's style), or at the service's `image:` when it runs the image's
//! defaults (no edit: nothing of the project configures it).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Diagnostic, Edit, Fix, TextRange};
use stacklint_project::postgres::{self, PgServer, Source};
use stacklint_project::{Project, Storage, Target};

use crate::{Checker, Rule};

pub mod pgs001_shared_buffers_default;
pub mod pgs002_effective_cache_size_mismatch;
pub mod pgs003_work_mem_unsized;
pub mod pgs004_maintenance_work_mem_low;
pub mod pgs005_random_page_cost_hdd_default;
pub mod pgs006_slow_query_log_disabled;
pub mod pgs007_invalid_setting;
pub mod pgs008_max_connections_below_app_demand;
pub mod pgs009_effective_io_concurrency_low;

pub static RULES: &[&Rule] = &[
    &pgs001_shared_buffers_default::RULE,
    &pgs002_effective_cache_size_mismatch::RULE,
    &pgs003_work_mem_unsized::RULE,
    &pgs004_maintenance_work_mem_low::RULE,
    &pgs005_random_page_cost_hdd_default::RULE,
    &pgs006_slow_query_log_disabled::RULE,
    &pgs007_invalid_setting::RULE,
    &pgs008_max_connections_below_app_demand::RULE,
    &pgs009_effective_io_concurrency_low::RULE,
];

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The target's memory in MB with the arithmetic that gives it: `("8 × 1024 = 8192MB", 8192)`.
pub(crate) fn memory_mb(target: &Target) -> (String, u64) {
    let mb = target.memory / MIB;
    if target.memory.is_multiple_of(GIB) { (format!("{} × 1024 = {mb}MB", target.memory / GIB), mb) } else { (format!("{mb}MB"), mb) }
}

/// Bytes in kB with the arithmetic from how they are written: 2GB is `2 × 1048576 = 2097152kB`.
pub(crate) fn kb_chain(bytes: u64) -> (String, u64) {
    let kb = bytes / 1024;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        (format!("{} × 1048576 = {kb}kB", bytes / GIB), kb)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        (format!("{} × 1024 = {kb}kB", bytes / MIB), kb)
    } else {
        (format!("{kb}kB"), kb)
    }
}

/// The servers the sizing and logging rules check: not those of a compose file whose name
/// says development or tests, not a disposable one (`fsync = off`), and one that runs an
/// official image's defaults only for the rules that report at the `image:` line.
pub(crate) fn servers(project: &Project, with_image_defaults: bool) -> Vec<&PgServer> {
    postgres::servers(project)
        .iter()
        .filter(|s| {
            let configured = s.main.is_some() || !s.assignments.is_empty();
            let dev = s.defined_at.as_ref().is_some_and(|o| stacklint_project::environments::development_reason(project, &o.file).is_some());
            !dev && !s.disposable() && (configured || with_image_defaults && s.runs_official_image(project))
        })
        .collect()
}

/// "3 GiB (from the compose limits of service `db`)"
pub(crate) fn memory_text(target: &Target) -> String {
    format!("{} ({})", target.memory_text(), target.memory_source)
}

/// "on SSD storage (the default: declare `storage` in [target] if it spins)"
pub(crate) fn ssd(target: &Target) -> bool {
    target.storage == Storage::Ssd
}

/// A project path as messages show it.
pub(crate) fn relative(project: &Project, path: &Path) -> String {
    path.strip_prefix(&project.root).unwrap_or(path).display().to_string()
}

/// Findings of one rule, at most one per place (a file several servers read is reported once).
#[derive(Default)]
pub(crate) struct Seen(HashSet<(PathBuf, usize, usize)>);

impl Seen {
    pub(crate) fn first(&mut self, file: &Path, range: TextRange) -> bool {
        self.0.insert((file.to_path_buf(), range.start(), range.end()))
    }
}

/// Where a setting of a server is reported, and how a new value is written there.
pub(crate) enum Site {
    /// `name = value` in a file.
    Line { file: PathBuf, range: TextRange, value_range: TextRange, quoted: bool },
    /// `-c name=value` on the command line (in a compose file, a Dockerfile...).
    Command { file: PathBuf, range: TextRange, value_range: Option<TextRange> },
    /// Unset, in the file PostgreSQL reads first: reported at its first line, fixed by
    /// appending a line.
    Unset { file: PathBuf, range: TextRange },
    /// Unset, and no project file configures the server: the image's boot value.
    Image { file: PathBuf, range: TextRange, image: String },
}

impl Site {
    pub(crate) fn file(&self) -> &Path {
        match self {
            Site::Line { file, .. } | Site::Command { file, .. } | Site::Unset { file, .. } | Site::Image { file, .. } => file,
        }
    }

    pub(crate) fn range(&self) -> TextRange {
        match self {
            Site::Line { range, .. } | Site::Command { range, .. } | Site::Unset { range, .. } | Site::Image { range, .. } => *range,
        }
    }

    /// How the value in effect is named in messages: "`shared_buffers = 128MB`", or
    /// "`shared_buffers` unset (PostgreSQL's default 128MB)".
    pub(crate) fn shows(&self, name: &str, server: &PgServer) -> String {
        if let Some(a) = server.get(name) {
            return format!("`{} = {}`", a.name, a.value);
        }
        let boot = server.table().get(name).map_or(String::new(), boot_text);
        match self {
            Site::Image { image, .. } => format!("`{name}` at the `{image}` image's default {boot} (nothing of the project sets it)"),
            _ => format!("`{name}` unset (PostgreSQL's default {boot})"),
        }
    }
}

/// A boot value with its unit: `128MB` for 16384 pages of 8kB.
pub(crate) fn boot_text(def: &postgres::SettingDef) -> String {
    match (def.unit, def.boot.parse::<u64>()) {
        (Some(postgres::BaseUnit::Bytes(unit)), Ok(v)) => postgres::format_memory(v.saturating_mul(unit)),
        _ if !def.unit_text.is_empty() && def.boot != "-1" => format!("{}{}", def.boot, def.unit_text),
        _ => def.boot.clone(),
    }
}

/// Where `name` of `server` stands. An unset setting is reported in a whole main file, or
/// (`at_image`) at the `image:` line of a service running an official image; a fragment
/// (`10-tuning.conf` on its own) does not tell that a setting is unset.
pub(crate) fn site(project: &Project, server: &PgServer, name: &str, at_image: bool) -> Option<Site> {
    if let Some(a) = server.get(name) {
        return Some(match &a.source {
            Source::File { path, entry } => Site::Line { file: path.clone(), range: entry.name_range.cover(entry.value_range), value_range: entry.value_range, quoted: entry.quoted },
            Source::CommandLine { origin, arg } => {
                let range = origin.range.unwrap_or_default();
                // The `name=value` of the argument, found once in the command's text.
                let text = project.file(&origin.file).map_or("", |f| range.slice(&f.text));
                let kv = arg.strip_prefix("--").or_else(|| arg.strip_prefix("-c")).unwrap_or(arg).trim_start();
                let value_range = (text.matches(kv).count() == 1)
                    .then(|| text.find(kv))
                    .flatten()
                    .and_then(|at| kv.find('=').map(|eq| TextRange::new(range.start() + at + eq + 1, range.start() + at + kv.len())))
                    .filter(|r| project.file(&origin.file).is_some_and(|f| r.slice(&f.text) == a.value));
                Site::Command { file: origin.file.clone(), range, value_range }
            }
        });
    }
    if let Some(main) = server.main_file() {
        if !server.main_is_whole() {
            return None;
        }
        let file = project.file(main)?;
        let first = file.line_index.line_range(0, &file.text);
        return Some(Site::Unset { file: main.to_path_buf(), range: first });
    }
    if !at_image || !server.runs_official_image(project) {
        return None;
    }
    let origin = server.defined_at.as_ref()?;
    Some(Site::Image { file: origin.file.clone(), range: origin.range.unwrap_or_default(), image: server.image.clone().unwrap_or_else(|| "postgres".to_owned()) })
}

/// The edits that make `name` of the server `value`: the value replaced where it is
/// written, or a line added at the end of the main file; `None` when nothing can be edited.
pub(crate) fn set_edits(project: &Project, site: &Site, name: &str, value: &str) -> Option<Vec<Edit>> {
    match site {
        Site::Line { file, value_range, quoted, .. } => {
            let v = if *quoted || !stacklint_syntax::postgres::is_bare_value(value) { stacklint_syntax::postgres::quote(value) } else { value.to_owned() };
            Some(vec![Edit::replace(file.clone(), *value_range, v)])
        }
        Site::Command { file, value_range, .. } => {
            // Only a plain value can go into a command line word as it is.
            let r = (*value_range)?;
            value.chars().all(|c| c.is_ascii_alphanumeric() || c == '.').then(|| vec![Edit::replace(file.clone(), r, value)])
        }
        Site::Unset { file, .. } => Some(vec![append_line(project, file, name, value)?]),
        Site::Image { .. } => None,
    }
}

/// `name = value` added at the end of a file, in its style (`=` or not, its line endings).
pub(crate) fn append_line(project: &Project, path: &Path, name: &str, value: &str) -> Option<Edit> {
    let file = project.file(path)?;
    let text = file.text.as_str();
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let v = if stacklint_syntax::postgres::is_bare_value(value) { value.to_owned() } else { stacklint_syntax::postgres::quote(value) };
    let sep = if postgres::uses_equals(project, path) { " = " } else { " " };
    let lead = if text.is_empty() || text.ends_with('\n') { "" } else { nl };
    Some(Edit::insert(path.to_path_buf(), text.len(), format!("{lead}{name}{sep}{v}{nl}")))
}

/// A finding on `name` of `server`, with a fix that sets `value` when it can be written.
pub(crate) fn finding(cx: &Checker, site: &Site, message: String, fix: Option<Fix>) -> Diagnostic {
    let d = cx.diagnostic(site.file(), site.range(), message);
    match fix {
        Some(f) => d.with_fix(f),
        None => d,
    }
}

/// What a sizing rule would change in one setting of a server.
pub(crate) struct Change<'a> {
    pub name: &'a str,
    /// The message after the value in effect ("`shared_buffers = 128MB`: ...").
    pub why: String,
    /// The value the safe fix writes, and the fix's title.
    pub value: String,
    pub title: String,
}

/// Reports `change` where the setting stands (see [`site`]), once per place, with the safe
/// fix that writes the new value when the place can be edited.
pub(crate) fn report_change(cx: &mut Checker, seen: &mut Seen, server: &PgServer, at_image: bool, change: Change) {
    let project = cx.project();
    let Some(site) = site(project, server, change.name, at_image) else { return };
    if !seen.first(site.file(), site.range()) {
        return;
    }
    let message = format!("{}: {}", site.shows(change.name, server), change.why);
    let fix = set_edits(project, &site, change.name, &change.value).map(|e| Fix::safe(change.title, e));
    let d = finding(cx, &site, message, fix);
    cx.report(d);
}

/// "service `db`" / "postgres/postgresql.conf" for messages.
pub(crate) fn where_(project: &Project, server: &PgServer) -> String {
    match (&server.service, &server.main) {
        (Some(s), _) => format!("service `{s}`"),
        (None, Some(f)) => relative(project, f),
        (None, None) => "postgres".to_owned(),
    }
}
