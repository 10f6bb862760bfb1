//! GUN: gunicorn, wherever it is configured.
//!
//! Every rule reads the project's gunicorn processes (`Project::gunicorn`), which merge
//! all front ends (config files, Procfiles, scripts, Dockerfiles, `GUNICORN_CMD_ARGS`,
//! `WEB_CONCURRENCY`); a finding goes where the value was written (or, for something
//! missing, to the process anchor), and a fix edits that place.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Edit, TextRange};
use stacklint_project::Project;
use stacklint_project::gunicorn::{GunSetting, GunicornProcess, Layer, Origin, ValueSyntax, Written};

use crate::Rule;

pub mod gun001_workers_below_cpu_recommendation;
pub mod gun002_missing_max_requests;
pub mod gun003_max_requests_without_jitter;
pub mod gun004_threads_ignored_by_worker_class;
pub mod gun005_asgi_app_on_wsgi_worker;
pub mod gun006_deprecated_uvicorn_worker;
pub mod gun007_worker_tmp_dir_on_disk;
pub mod gun008_unknown_setting;
pub mod gun009_cpu_count_ignores_container_limits;
pub mod gun010_timeout_exceeds_proxy_timeout;
pub mod gun011_setting_annotated_not_assigned;

pub static RULES: &[&Rule] = &[
    &gun001_workers_below_cpu_recommendation::RULE,
    &gun002_missing_max_requests::RULE,
    &gun003_max_requests_without_jitter::RULE,
    &gun004_threads_ignored_by_worker_class::RULE,
    &gun005_asgi_app_on_wsgi_worker::RULE,
    &gun006_deprecated_uvicorn_worker::RULE,
    &gun007_worker_tmp_dir_on_disk::RULE,
    &gun008_unknown_setting::RULE,
    &gun009_cpu_count_ignores_container_limits::RULE,
    &gun010_timeout_exceeds_proxy_timeout::RULE,
    &gun011_setting_annotated_not_assigned::RULE,
];

/// Places already reported: a config file loaded by several processes is reported once.
#[derive(Default)]
pub(crate) struct Seen(HashSet<(PathBuf, TextRange)>);

impl Seen {
    /// Whether `range` of `file` is seen for the first time.
    pub(crate) fn first(&mut self, file: &Path, range: TextRange) -> bool {
        self.0.insert((file.to_path_buf(), range))
    }
}

/// A setting as written, for messages: `` `--workers 3` ``, `` `workers = 3` ``,
/// `` `WEB_CONCURRENCY=2` ``; from `GUNICORN_CMD_ARGS` it says so, and from another file
/// than `here` it names the file and line.
pub(crate) fn written(project: &Project, s: &GunSetting, here: &Path) -> String {
    let raw = s.origin.value_raw.as_str();
    let text = match &s.origin.written {
        Written::LongFlag { flag } | Written::ShortFlag { flag } => format!("`{flag} {raw}`"),
        Written::LongFlagEq { flag } => format!("`{flag}={raw}`"),
        Written::ShortAttached { flag } => format!("`{flag}{raw}`"),
        Written::SwitchFlag { flag } => format!("`{flag}`"),
        Written::PyAssign | Written::PyAnnAssign => format!("`{} = {raw}`", s.name),
        Written::PyAnnotationOnly => format!("`{}: {raw}`", s.name),
        Written::PyFunction => format!("`def {}`", s.name),
        Written::EnvVar { name } => format!("`{name}={raw}`"),
    };
    let text = if s.origin.layer == Layer::CmdArgsEnv { format!("{text} in `GUNICORN_CMD_ARGS`") } else { text };
    if s.origin.file == here { text } else { format!("{text} ({})", location(project, &s.origin.file, s.origin.range)) }
}

/// `path:line`, the path relative to the project root.
pub(crate) fn location(project: &Project, file: &Path, range: TextRange) -> String {
    let row = project.file(file).map_or(1, |f| f.row(range.start()));
    format!("{}:{row}", relative(project, file).display())
}

pub(crate) fn relative<'a>(project: &Project, file: &'a Path) -> &'a Path {
    file.strip_prefix(&project.root).unwrap_or(file)
}

/// The target's CPUs as messages cite them: `4 CPUs (assumed: declare [target])`, and for
/// a fractional limit what gunicorn's sizing uses (`1.5 CPUs (...), rounded up to 2`).
pub(crate) fn cpus_text(p: &GunicornProcess) -> String {
    let t = &p.target;
    let whole = t.whole_cpus();
    if (t.cpus - f64::from(whole)).abs() < f64::EPSILON {
        format!("{} ({})", t.cpus_text(), t.cpus_source)
    } else {
        format!("{} ({}), rounded up to {whole}", t.cpus_text(), t.cpus_source)
    }
}

/// Edits that add settings where `file` configures the process (the config file a value
/// came from, or the command line), else at the process's preferred place.
pub(crate) fn insert_in(p: &GunicornProcess, file: &Path, settings: &[(&str, &str)]) -> Vec<Edit> {
    match p.sites.iter().find(|s| s.file() == file) {
        Some(site) => site.insert_settings(settings),
        None => p.insert_settings(settings),
    }
}

/// An edit that removes a setting: the whole line(s) of a config-file statement alone on
/// its lines; a flag with its value and the blank (and, in a JSON array, the comma) before it.
pub(crate) fn removal(project: &Project, origin: &Origin) -> Option<Edit> {
    let text = project.file(&origin.file)?.text.as_str();
    let range = origin.range;
    match origin.syntax {
        ValueSyntax::Python => {
            let line_start = text.get(..range.start())?.rfind('\n').map_or(0, |i| i + 1);
            if !text.get(line_start..range.start())?.trim().is_empty() {
                return None;
            }
            let rest = text.get(range.end()..)?;
            let eol = rest.find('\n').map_or(text.len(), |i| range.end() + i + 1);
            let tail = text.get(range.end()..eol)?.trim();
            if !(tail.is_empty() || tail.starts_with('#')) {
                return None;
            }
            Some(Edit::delete(origin.file.clone(), TextRange::new(line_start, eol)))
        }
        ValueSyntax::Shell | ValueSyntax::Json => {
            let json = origin.syntax == ValueSyntax::Json;
            let before = text.get(..range.start())?;
            let mut start = range.start();
            let mut comma = false;
            for (i, c) in before.char_indices().rev() {
                let blank = matches!(c, ' ' | '\t' | '\r' | '\n') || (c == '\\' && text.get(i + 1..).is_some_and(|r| r.starts_with('\n') || r.starts_with("\r\n")));
                if blank || (json && c == ',' && !comma) {
                    comma |= c == ',';
                    start = i;
                } else {
                    break;
                }
            }
            if json && !comma {
                return None;
            }
            Some(Edit::delete(origin.file.clone(), TextRange::new(start, range.end())))
        }
    }
}

/// `s` in plural when `n` is not 1.
pub(crate) fn plural(n: i64, s: &str) -> String {
    if n == 1 { s.to_owned() } else { format!("{s}s") }
}
