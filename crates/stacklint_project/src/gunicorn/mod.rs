//! Gunicorn, wherever it is configured: one model, several front ends.
//!
//! A [`GunicornProcess`] is one gunicorn server as the project starts it: a command line
//! (a Procfile entry, an entrypoint script's `exec gunicorn ...`, a `*.cmdline` excerpt, a
//! Dockerfile's `CMD`/`ENTRYPOINT`, a compose service's `command:`, a supervisord
//! program's `command=`, a systemd unit's `ExecStart=`) with the config file it loads (`-c`, or an implicit
//! `gunicorn.conf.py`), `GUNICORN_CMD_ARGS` and `WEB_CONCURRENCY`; or a config file that
//! nothing references. Each [`GunSetting`] keeps its [`Origin`]: the file, the range of
//! its value (what a fix replaces) and of the whole flag/assignment, and the
//! [`Layer`] it came from, so [`GunicornProcess::get`] applies gunicorn's precedence:
//! `WEB_CONCURRENCY` < config file < `GUNICORN_CMD_ARGS` < command line.
//!
//! Fixes: [`GunSetting::replace_value`] edits a value in place (only the `3` of
//! `--workers=3`, the expression of `workers = ...`), and
//! [`GunicornProcess::insert_settings`] adds missing settings where this process is
//! configured ([`Site`]: a line at the end of the config file, or flags after the last
//! word of the command line, keeping `\` continuation style).
//!
//! ```
//! use std::path::PathBuf;
//! use stacklint_project::FileKind;
//! use stacklint_project::gunicorn::{build_processes, BuildOptions};
//!
//! let procfile = "web: gunicorn app.wsgi -w 3 --threads=2\n";
//! let files = [(PathBuf::from("Procfile"), FileKind::Procfile, procfile)];
//! let procs = build_processes(&files, &BuildOptions::default());
//! let p = &procs[0];
//! let workers = p.get("workers").unwrap();
//! assert_eq!(workers.value.as_int(), Some(3));
//! assert_eq!(workers.origin.value_range.unwrap().slice(procfile), "3");
//! // fix: set workers to 9, add max_requests
//! let mut edits = vec![workers.replace_value("9").unwrap()];
//! edits.extend(p.insert_settings(&[("max_requests", "1000")]));
//! let (fixed, _) = stacklint_diagnostics::apply_edits(procfile, &edits);
//! assert_eq!(fixed, "web: gunicorn app.wsgi -w 9 --threads=2 --max-requests 1000\n");
//! ```

mod argv;
mod build;
mod compose;
mod conf;
mod dockerfile;
mod edit;
mod frontends;
mod table;

use std::path::{Path, PathBuf};

use stacklint_diagnostics::Edit;
use stacklint_text::TextRange;

use crate::target::Target;

pub use build::{BuildOptions, build_for_project, build_processes};
pub use conf::ConfFile;
pub use edit::{ArgvStyle, ConfSite, Site};
pub use table::{FlagMatch, SettingInfo, SettingsTable, ValueKind, edit_distance, table};

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: PathBuf,
    pub range: TextRange,
}

/// A string value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpannedStr {
    pub value: String,
    pub span: Span,
}

/// Which front end a process was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frontend {
    /// A Python config file (`gunicorn.conf.py`, a `-c` file) that no command references.
    ConfFile,
    /// The argv of a gunicorn invocation.
    CommandLine(CommandSource),
}

/// Where a command line was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandSource {
    /// A Procfile entry (`web: gunicorn ...`).
    Procfile { process_type: String },
    /// A shell script (`exec gunicorn ...`).
    ShellScript,
    /// A `*.cmdline` excerpt (command lines cut from scripts, units, Procfiles).
    Excerpt,
    /// The final stage's `CMD`/`ENTRYPOINT` of a Dockerfile (`instruction`: the one that
    /// names gunicorn; `exec_form`: a JSON array).
    Dockerfile { instruction: String, exec_form: bool },
    /// A compose service's `command:` / `entrypoint:`.
    Compose { service: String },
    /// A supervisord `[program:x]`'s `command=`.
    Supervisord { program: String },
    /// A systemd unit's `ExecStart=`.
    Systemd,
}

/// Where a setting's value came from, lowest precedence first (gunicorn's documented
/// order: environment, config file, `GUNICORN_CMD_ARGS`, command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// `WEB_CONCURRENCY` (the default of `workers`).
    Environment,
    ConfFile,
    /// The `GUNICORN_CMD_ARGS` environment variable.
    CmdArgsEnv,
    CommandLine,
}

/// How a setting was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    /// `--workers 3`
    LongFlag { flag: String },
    /// `--workers=3`
    LongFlagEq { flag: String },
    /// `-w 3`
    ShortFlag { flag: String },
    /// `-w3`
    ShortAttached { flag: String },
    /// `--preload`, `-D`: no value.
    SwitchFlag { flag: String },
    /// `workers = 3`
    PyAssign,
    /// `workers: int = 3` (an assignment with an annotation: gunicorn sees it).
    PyAnnAssign,
    /// `workers: 4`: an annotation only, never an assignment: gunicorn ignores it (GUN011).
    PyAnnotationOnly,
    /// `def post_fork(server, worker): ...`
    PyFunction,
    /// An environment variable (`WEB_CONCURRENCY=4`).
    EnvVar { name: String },
}

/// The syntax a value is written in, which decides how a replacement is quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueSyntax {
    /// A shell word (command lines, `GUNICORN_CMD_ARGS`, env assignments).
    Shell,
    /// A Python expression (config files).
    Python,
    /// A JSON string (Dockerfile exec form, later).
    Json,
}

/// Where a setting was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    /// The exact bytes of the value: what a fix replaces. `None` for switches (`--preload`)
    /// and values that cannot be edited in place (split by quotes or escapes).
    pub value_range: Option<TextRange>,
    /// The whole flag with its value, or the whole statement.
    pub range: TextRange,
    /// The flag or the assigned name.
    pub name_range: TextRange,
    /// The raw text of the value as written.
    pub value_raw: String,
    pub layer: Layer,
    pub written: Written,
    pub syntax: ValueSyntax,
    /// Inside an `if`/`try`/`with` block of a config file: may not run.
    pub conditional: bool,
}

/// A value as far as it can be known without running anything.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingValue {
    Int(i64),
    Bool(bool),
    Str(String),
    List(Vec<SettingValue>),
    /// Computed from the machine's CPU count (`multiprocessing.cpu_count() * 2 + 1`).
    FromCpuCount {
        /// The whole expression.
        expr: String,
        /// The `cpu_count()` call.
        call_range: TextRange,
        /// `(a, b)` when the value is `a × cpus + b`.
        linear: Option<(i64, i64)>,
    },
    /// Read from an environment variable (`$WORKERS`, `${WORKERS:-4}`,
    /// `os.environ.get("WORKERS", 4)`), with its default when one is written.
    Env { var: Option<String>, default: Option<Box<SettingValue>>, raw: String },
    /// A Python function (server hooks).
    Function,
    /// Anything else, raw.
    Expr(String),
}

impl SettingValue {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            SettingValue::Int(n) => Some(*n),
            SettingValue::Str(s) => parse_int(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            SettingValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            SettingValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer this value has on a machine with `cpus` CPUs, when it can be known:
    /// literals, linear CPU-count expressions, env lookups with a default.
    pub fn int_with_cpus(&self, cpus: u32) -> Option<i64> {
        match self {
            SettingValue::FromCpuCount { linear: Some((a, b)), .. } => Some(a * i64::from(cpus) + b),
            SettingValue::Env { default: Some(d), .. } => d.int_with_cpus(cpus),
            other => other.as_int(),
        }
    }

    /// A short text for messages and snapshots.
    pub fn display(&self) -> String {
        match self {
            SettingValue::Int(n) => n.to_string(),
            SettingValue::Bool(b) => if *b { "True".into() } else { "False".into() },
            SettingValue::Str(s) => format!("{s:?}"),
            SettingValue::List(items) => format!("[{}]", items.iter().map(SettingValue::display).collect::<Vec<_>>().join(", ")),
            SettingValue::FromCpuCount { expr, .. } => format!("cpu_count: {expr}"),
            SettingValue::Env { raw, .. } => format!("env: {raw}"),
            SettingValue::Function => "def".into(),
            SettingValue::Expr(e) => format!("expr: {e}"),
        }
    }
}

/// `3`, `0o22`, `0x1f` (gunicorn's `auto_int`).
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
    let v = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        i64::from_str_radix(o, 8).ok()
    } else {
        digits.replace('_', "").parse::<i64>().ok()
    }?;
    Some(if neg { -v } else { v })
}

/// One setting as written somewhere.
#[derive(Clone, Debug, PartialEq)]
pub struct GunSetting {
    /// The canonical name from gunicorn's table (`max_requests`).
    pub name: &'static str,
    pub value: SettingValue,
    pub origin: Origin,
}

impl GunSetting {
    /// Whether gunicorn actually applies it (an annotation-only `workers: 4` is not).
    pub fn is_effective(&self) -> bool {
        self.origin.written != Written::PyAnnotationOnly
    }

    /// The table row of this setting.
    pub fn info(&self) -> Option<&'static SettingInfo> {
        table().get(self.name)
    }

    /// An edit that replaces this setting's value with `new_value` (plain text: `9`,
    /// `gthread`, `/dev/shm`, `true`), quoted as the place it was written needs
    /// (a Python string literal in a config file, a shell word on a command line).
    /// `None` when the value cannot be edited in place (a switch like `--preload`).
    pub fn replace_value(&self, new_value: &str) -> Option<Edit> {
        let range = self.origin.value_range?;
        let kind = self.info().map_or(ValueKind::Str, SettingInfo::value_kind);
        let text = match self.origin.syntax {
            ValueSyntax::Python => edit::python_value(kind, new_value, &self.origin.value_raw),
            ValueSyntax::Shell => edit::shell_word(new_value),
            ValueSyntax::Json => edit::json_string_content(new_value),
        };
        Some(Edit::replace(self.origin.file.clone(), range, text))
    }

    /// For an annotation-only `workers: 4`: the edit that makes it `workers = 4` (GUN011).
    pub fn annotation_to_assignment(&self) -> Option<Edit> {
        if self.origin.written != Written::PyAnnotationOnly {
            return None;
        }
        let value = self.origin.value_range?;
        let between = TextRange::new(self.origin.name_range.end(), value.start());
        Some(Edit::replace(self.origin.file.clone(), between, " = "))
    }
}

/// A setting or flag gunicorn does not know (GUN008).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSetting {
    /// As written: `worker` or `--max-request`.
    pub name: String,
    /// The name (or flag) itself.
    pub span: Span,
    /// The whole flag with its value, or the statement.
    pub range: TextRange,
    /// The closest known spelling in the same syntax (`workers`, `--max-requests`).
    pub suggestion: Option<String>,
    /// For an ambiguous abbreviation (`--max-request`): the flags it could mean.
    pub ambiguous: Vec<String>,
    pub layer: Layer,
}

/// The `-c`/`--config` file of a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRef {
    /// As written (`gunicorn_config.py`, `python:pkg.mod`); for an implicit
    /// `./gunicorn.conf.py`, the path and the command line's span.
    pub value: SpannedStr,
    /// The project file it names, when found.
    pub resolved: Option<PathBuf>,
    /// Not written: gunicorn loads `./gunicorn.conf.py` by default.
    pub implicit: bool,
}

/// The worker class, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    Sync,
    Gthread,
    Gevent,
    Eventlet,
    Tornado,
    /// gunicorn's own ASGI worker (`asgi`, gunicorn ≥ 24).
    Asgi,
    /// `uvicorn.workers.UvicornWorker` (deprecated), `uvicorn_worker.UvicornWorker`, H11 variants.
    Uvicorn { deprecated: bool },
    /// Something else (a custom class), or a value that is not known statically.
    Other(String),
}

impl WorkerKind {
    /// Read a `worker_class` value as gunicorn resolves it.
    pub fn parse(value: &str) -> WorkerKind {
        let v = value.trim();
        let v = v.strip_prefix("egg:gunicorn#").unwrap_or(v);
        match v {
            "sync" | "gunicorn.workers.sync.SyncWorker" => WorkerKind::Sync,
            "gthread" | "gunicorn.workers.gthread.ThreadWorker" => WorkerKind::Gthread,
            "gevent" | "gevent_wsgi" | "gevent_pywsgi" | "gunicorn.workers.ggevent.GeventWorker" | "gunicorn.workers.ggevent.GeventPyWSGIWorker" => WorkerKind::Gevent,
            "eventlet" | "gunicorn.workers.geventlet.EventletWorker" => WorkerKind::Eventlet,
            "tornado" | "gunicorn.workers.gtornado.TornadoWorker" => WorkerKind::Tornado,
            "asgi" | "gunicorn.workers.gasgi.ASGIWorker" => WorkerKind::Asgi,
            _ if v.starts_with("uvicorn.workers.") => WorkerKind::Uvicorn { deprecated: true },
            _ if v.starts_with("uvicorn_worker.") => WorkerKind::Uvicorn { deprecated: false },
            _ => WorkerKind::Other(v.to_owned()),
        }
    }

    /// Short name for messages: `sync`, `gthread`, `gevent`, `uvicorn`...
    pub fn name(&self) -> &str {
        match self {
            WorkerKind::Sync => "sync",
            WorkerKind::Gthread => "gthread",
            WorkerKind::Gevent => "gevent",
            WorkerKind::Eventlet => "eventlet",
            WorkerKind::Tornado => "tornado",
            WorkerKind::Asgi => "asgi",
            WorkerKind::Uvicorn { .. } => "uvicorn",
            WorkerKind::Other(s) => s,
        }
    }

    /// Async workers: one process serves many connections (gunicorn's sizing advice is
    /// CPUs workers, not 2 × CPUs + 1).
    pub fn is_async(&self) -> bool {
        matches!(self, WorkerKind::Gevent | WorkerKind::Eventlet | WorkerKind::Tornado | WorkerKind::Asgi | WorkerKind::Uvicorn { .. })
    }

    /// Whether `threads` has an effect (sync becomes gthread when threads > 1).
    pub fn uses_threads(&self) -> bool {
        matches!(self, WorkerKind::Sync | WorkerKind::Gthread)
    }
}

/// The worker count gunicorn will run, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct EffectiveWorkers<'p> {
    /// The count when it is known statically (for CPU-count expressions: on the target).
    pub count: Option<i64>,
    pub source: WorkersSource<'p>,
}

/// Where the worker count comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkersSource<'p> {
    /// A `workers` setting (flag, config assignment, `GUNICORN_CMD_ARGS`).
    Setting(&'p GunSetting),
    /// `WEB_CONCURRENCY` (gunicorn's default for `workers`).
    WebConcurrency(&'p GunSetting),
    /// Nothing set: gunicorn's default, 1.
    Default,
}

/// One gunicorn server as the project configures it.
#[derive(Clone, Debug, PartialEq)]
pub struct GunicornProcess {
    pub frontend: Frontend,
    /// Where findings about the process are reported: the command line, or the config
    /// file's first statement.
    pub anchor: Span,
    /// For a command line that reads a project config file: that file's first statement.
    pub config_anchor: Option<Span>,
    /// The positional app (`module:app`, `module:create_app()`) or `wsgi_app`.
    pub app: Option<SpannedStr>,
    pub config_file: Option<ConfigRef>,
    /// Every setting as written, in reading order within each layer (see [`GunicornProcess::get`]).
    pub settings: Vec<GunSetting>,
    pub unknown: Vec<UnknownSetting>,
    /// Every `cpu_count()` call in the config file (GUN009), also outside `workers`.
    pub cpu_count_calls: Vec<Span>,
    /// The project runs it in a container (it has a Dockerfile or compose file).
    pub in_container: bool,
    pub target: Target,
    /// Where missing settings can be added, the preferred one first.
    pub sites: Vec<Site>,
}

impl GunicornProcess {
    /// Where a finding about a setting the process lacks is reported: in the config file
    /// it reads, where the fix adds the setting (an editor shows it there), with the
    /// command line as the related location; else at [`GunicornProcess::anchor`].
    pub fn missing_setting_site(&self) -> (&Span, Option<&Span>) {
        match (&self.config_anchor, self.sites.first()) {
            (Some(conf), Some(Site::ConfFile(_))) => (conf, Some(&self.anchor)),
            _ => (&self.anchor, None),
        }
    }

    /// The setting gunicorn applies: the highest layer wins, and within a layer the last
    /// one written. Annotation-only config lines are skipped (gunicorn never sees them).
    pub fn get(&self, name: &str) -> Option<&GunSetting> {
        self.settings.iter().filter(|s| s.name == name && s.is_effective()).enumerate().max_by_key(|(i, s)| (s.origin.layer, *i)).map(|(_, s)| s)
    }

    /// Every occurrence of a setting, lowest precedence first (a list setting like `bind`
    /// repeated on the command line; a value overridden by a higher layer).
    pub fn get_all(&self, name: &str) -> Vec<&GunSetting> {
        let mut all: Vec<&GunSetting> = self.settings.iter().filter(|s| s.name == name).collect();
        all.sort_by_key(|s| s.origin.layer);
        all
    }

    /// The worker class as gunicorn resolves it: `sync` by default; sync with
    /// `threads` > 1 runs as `gthread`.
    pub fn worker_class(&self) -> WorkerKind {
        let kind = match self.get("worker_class").map(|s| &s.value) {
            Some(SettingValue::Str(s)) => WorkerKind::parse(s),
            Some(SettingValue::Env { default: Some(d), .. }) => d.as_str().map_or(WorkerKind::Other(String::new()), WorkerKind::parse),
            Some(other) => WorkerKind::Other(other.display()),
            None => WorkerKind::Sync,
        };
        let threads = self.get("threads").and_then(|s| s.value.int_with_cpus(self.target.whole_cpus())).unwrap_or(1);
        if kind == WorkerKind::Sync && threads > 1 { WorkerKind::Gthread } else { kind }
    }

    pub fn is_async_worker(&self) -> bool {
        self.worker_class().is_async()
    }

    /// `workers` as gunicorn will run it: an explicit setting, else `WEB_CONCURRENCY`,
    /// else 1. CPU-count expressions are evaluated on the target machine.
    pub fn effective_workers(&self) -> EffectiveWorkers<'_> {
        let cpus = self.target.whole_cpus();
        match self.get("workers") {
            Some(s) if matches!(s.origin.written, Written::EnvVar { .. }) => EffectiveWorkers { count: s.value.int_with_cpus(cpus), source: WorkersSource::WebConcurrency(s) },
            Some(s) => EffectiveWorkers { count: s.value.int_with_cpus(cpus), source: WorkersSource::Setting(s) },
            None => EffectiveWorkers { count: Some(1), source: WorkersSource::Default },
        }
    }

    /// The file findings are anchored in.
    pub fn file(&self) -> &Path {
        &self.anchor.file
    }

    /// Edits that add missing settings (`("max_requests", "1000")`, plain values) at the
    /// preferred [`Site`]: the config file when the command line names one with `-c`
    /// (settings live there), else the command line itself.
    pub fn insert_settings(&self, settings: &[(&str, &str)]) -> Vec<Edit> {
        self.sites.first().map(|s| s.insert_settings(settings)).unwrap_or_default()
    }

    /// The files this process reads (anchor first, then the config file).
    pub fn files(&self) -> Vec<&Path> {
        let mut out: Vec<&Path> = vec![self.anchor.file.as_path()];
        for s in &self.settings {
            if !out.contains(&s.origin.file.as_path()) {
                out.push(s.origin.file.as_path());
            }
        }
        out
    }
}
