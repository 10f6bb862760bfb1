//! What kind of file a path holds, and everything stacklint knows per kind, in one table.
//!
//! Each [`FileKind`] is registered once, in [`file_kinds!`], with a [`KindSpec`]: the name
//! used in `[files]`, how its path is recognised ([`KindSpec::path`]), what its content
//! says ([`KindSpec::sniff`]), its comment syntax for suppressions ([`CommentSyntax`]), its
//! parser ([`KindSpec::parse`]) and the fuzz target of that parser. A new kind cannot be
//! added without all of them: the spec is a struct literal, and [`Parsed`] and
//! [`crate::syntax_errors`] match every tree without a catch-all arm.
//!
//! A file's kind comes from its name first ([`PathMatch::Name`]); a name that only says
//! where it sits (a `.conf` in `conf.d/`, [`PathMatch::Folder`]) needs the content to agree;
//! otherwise the content decides, and only when exactly one kind claims it ([`Sniff::Claims`]).

use std::path::Path;

use crate::project::{Parsed, python_line_breaks};

/// How a format writes comments: where a `stacklint: ignore[...]` comment may stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommentSyntax {
    /// Characters that start a comment line (after leading whitespace).
    pub line: &'static [char],
    /// Characters that start a comment after code, following whitespace; empty when a
    /// comment must have its own line (a `#` after a Dockerfile instruction is an argument).
    pub trailing: &'static [char],
}

/// `#` comments, on their own line or after code.
const HASH: CommentSyntax = CommentSyntax { line: &['#'], trailing: &['#'] };
/// `#` comments on their own line only.
const HASH_LINE: CommentSyntax = CommentSyntax { line: &['#'], trailing: &[] };

/// What a path says about a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathMatch {
    /// Nothing.
    No,
    /// The file's own name (`Dockerfile`, `nginx.conf`, `*.service`): decided.
    Name,
    /// Only the folder it is in (`conf.d/*.conf`): the content must agree.
    Folder,
}

/// What the first bytes of a file say about a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sniff {
    /// The content is not of this kind.
    Contradicts,
    /// Nothing against it.
    Fits,
    /// Unmistakably this kind.
    Claims,
}

/// A file's name and folders, lowercased, as the path recognisers read them.
pub struct PathInfo {
    /// The file name.
    pub name: String,
    /// The folders the file is in, innermost first.
    pub folders: Vec<String>,
}

impl PathInfo {
    pub fn new(path: &Path) -> Option<PathInfo> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let folders = path.parent().into_iter().flat_map(Path::components).rev().filter_map(|c| c.as_os_str().to_str()).map(str::to_ascii_lowercase).collect();
        Some(PathInfo { name, folders })
    }

    fn ext_is(&self, ext: &str) -> bool {
        self.name.rsplit_once('.').is_some_and(|(stem, e)| !stem.is_empty() && e == ext)
    }

    fn in_folder(&self, names: &[&str]) -> bool {
        self.folders.iter().any(|f| names.contains(&f.as_str()))
    }
}

/// The first bytes of a file as the content sniffers read them.
pub struct Content<'t> {
    /// The first line (BOM removed).
    pub first: &'t str,
    /// Up to 40 lines that are neither blank nor `#`/`;` comments, trimmed.
    pub code: Vec<&'t str>,
}

impl<'t> Content<'t> {
    pub fn new(text: &'t str) -> Content<'t> {
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or("");
        let code = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with(['#', ';'])).take(40).collect();
        Content { first, code }
    }

    /// INI section headers (`[program:web]`): their names.
    fn sections(&self) -> impl Iterator<Item = &'t str> + '_ {
        self.code.iter().filter_map(|l| l.strip_prefix('[')?.split_once(']').map(|(name, _)| name))
    }

    /// The program of a `#!` line: the last path segment of its first word, or, through a
    /// wrapper that runs the next word (`env`, s6's `with-contenv`), of the first word after
    /// it that is not an option.
    fn interpreter(&self) -> Option<&'t str> {
        let words = self.first.strip_prefix("#!")?.split_whitespace();
        let mut programs = words.filter(|w| !w.starts_with('-')).map(|w| w.rsplit('/').next().unwrap_or(w));
        programs.find(|p| !matches!(*p, "env" | "with-contenv"))
    }
}

/// Everything stacklint knows about one kind of file.
pub struct KindSpec {
    /// The name used in `[files]` of the configuration (`"nginx"`).
    pub name: &'static str,
    /// What the path says.
    pub path: fn(&PathInfo) -> PathMatch,
    /// What the first bytes say; only [`Sniff::Claims`] decides a file with an unknown name,
    /// and only when no other kind claims it too.
    pub sniff: fn(&Content<'_>) -> Sniff,
    /// Where suppression comments may stand.
    pub comments: CommentSyntax,
    /// The parser: any text in, a tree and errors out.
    pub parse: fn(&str) -> Parsed,
    /// The fuzz target of the parser (`fuzz/fuzz_targets/<name>.rs`); `None` only for kinds
    /// kept as text ([`Parsed::Text`]).
    pub fuzz_target: Option<&'static str>,
}

/// Declares [`FileKind`], [`FileKind::ALL`] and [`FileKind::spec`] from one list: each
/// variant with the [`KindSpec`] that registers it. The order is the priority of names
/// (`gunicorn.conf.py` is a gunicorn config before it is Python).
macro_rules! file_kinds {
    ($($(#[$doc:meta])* $variant:ident => $spec:ident,)*) => {
        /// The formats stacklint understands.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FileKind {
            $($(#[$doc])* $variant,)*
        }

        impl FileKind {
            pub const ALL: &'static [FileKind] = &[$(FileKind::$variant,)*];

            /// What this kind registers: name, recognition, comments, parser, fuzz target.
            pub fn spec(self) -> &'static KindSpec {
                match self {
                    $(FileKind::$variant => &$spec,)*
                }
            }
        }
    };
}

file_kinds! {
    /// Django settings module (or any Python module that settings are read from).
    DjangoSettings => DJANGO_SETTINGS,
    /// `gunicorn.conf.py` or a file passed with `-c`.
    GunicornConfig => GUNICORN_CONFIG,
    /// Any other Python module (models, views, wsgi.py, manage.py, ...).
    Python => PYTHON,
    Dockerfile => DOCKERFILE,
    Compose => COMPOSE,
    Nginx => NGINX,
    Postgres => POSTGRES,
    Redis => REDIS,
    Procfile => PROCFILE,
    /// A shell script (entrypoints: `exec gunicorn ...`).
    Shell => SHELL,
    /// requirements*.txt
    Requirements => REQUIREMENTS,
    /// pyproject.toml
    PyProject => PYPROJECT,
    /// supervisord's configuration (`[program:web]` sections).
    Supervisord => SUPERVISORD,
    /// A systemd unit (`*.service`, `*.socket`).
    Systemd => SYSTEMD,
}

fn no_path(_: &PathInfo) -> PathMatch {
    PathMatch::No
}

fn fits(_: &Content<'_>) -> Sniff {
    Sniff::Fits
}

fn parse_python(text: &str) -> Parsed {
    Parsed::Python(stacklint_python::parse(&python_line_breaks(text)))
}

fn parse_text(_: &str) -> Parsed {
    Parsed::Text
}

/// `*.py` (a Python module is Python whatever its stem says: `procfile.py`, `nginx.py` are
/// the generators of those files, not the files).
fn python_path(p: &PathInfo) -> PathMatch {
    if p.ext_is("py") { PathMatch::Name } else { PathMatch::No }
}

fn python_sniff(c: &Content<'_>) -> Sniff {
    if c.interpreter().is_some_and(|p| p.starts_with("python")) { Sniff::Claims } else { Sniff::Fits }
}

/// Settings modules are known from the configuration and from what runs them, never from
/// their name alone.
static DJANGO_SETTINGS: KindSpec = KindSpec { name: "django-settings", path: no_path, sniff: fits, comments: HASH, parse: parse_python, fuzz_target: Some("python") };

static GUNICORN_CONFIG: KindSpec = KindSpec {
    name: "gunicorn",
    path: |p| if p.ext_is("py") && p.name.starts_with("gunicorn") { PathMatch::Name } else { PathMatch::No },
    sniff: fits,
    comments: HASH,
    parse: parse_python,
    fuzz_target: Some("python"),
};

static PYTHON: KindSpec = KindSpec { name: "python", path: python_path, sniff: python_sniff, comments: HASH, parse: parse_python, fuzz_target: Some("python") };

static DOCKERFILE: KindSpec = KindSpec {
    name: "dockerfile",
    path: |p| {
        let n = p.name.as_str();
        let named = ["dockerfile", "containerfile"].iter().any(|base| n == *base || n.strip_prefix(base).is_some_and(|rest| rest.starts_with(['.', '-'])));
        if named || n.ends_with(".dockerfile") { PathMatch::Name } else { PathMatch::No }
    },
    sniff: |c| {
        let first = c.code.first().copied().unwrap_or("");
        if first.to_ascii_uppercase().starts_with("FROM ") || first.starts_with("ARG ") { Sniff::Claims } else { Sniff::Fits }
    },
    comments: HASH_LINE,
    parse: |t| Parsed::Dockerfile(stacklint_syntax::dockerfile::parse(t)),
    fuzz_target: Some("dockerfile"),
};

static COMPOSE: KindSpec = KindSpec {
    name: "compose",
    path: |p| {
        let yaml = p.ext_is("yml") || p.ext_is("yaml");
        if yaml && (p.name.starts_with("docker-compose") || p.name.starts_with("compose")) { PathMatch::Name } else { PathMatch::No }
    },
    sniff: |c| if c.code.iter().any(|l| l.starts_with("services:")) { Sniff::Claims } else { Sniff::Fits },
    comments: HASH,
    parse: |t| Parsed::Compose(std::sync::Arc::new(stacklint_syntax::compose::parse(t))),
    fuzz_target: Some("compose"),
};

static NGINX: KindSpec = KindSpec {
    name: "nginx",
    path: |p| {
        if p.name == "nginx.conf" || p.ext_is("nginx") {
            PathMatch::Name
        } else if p.ext_is("conf") && p.in_folder(&["nginx", "sites-enabled", "sites-available", "conf.d"]) {
            PathMatch::Folder
        } else {
            PathMatch::No
        }
    },
    sniff: nginx_sniff,
    comments: HASH,
    parse: |t| Parsed::Nginx(stacklint_syntax::nginx::parse(t)),
    fuzz_target: Some("nginx"),
};

/// nginx: block openers, or directives that end with `;` (`worker_processes = 4` in a
/// Python or INI config is not nginx). Contradicted when there are lines but none ends a
/// directive or a block: INI sections (`[program:web]`, `[www]`), `name = value` settings
/// (PostgreSQL's `conf.d`, php-fpm pools), Apache's `<VirtualHost>`, Redis directives.
fn nginx_sniff(c: &Content<'_>) -> Sniff {
    let nginx_line = |l: &&str| l.starts_with("http {") || l.starts_with("server {") || l.starts_with("events {") || (l.starts_with("upstream ") && l.ends_with('{')) || (l.starts_with("worker_processes") && l.ends_with(';') && !l.contains('='));
    if c.code.iter().take(20).any(nginx_line) {
        return Sniff::Claims;
    }
    if c.code.is_empty() || c.code.iter().any(|l| l.ends_with([';', '{', '}'])) { Sniff::Fits } else { Sniff::Contradicts }
}

static POSTGRES: KindSpec = KindSpec {
    name: "postgres",
    path: |p| if p.ext_is("conf") && (p.name == "postgresql.auto.conf" || p.name.contains("postgres")) { PathMatch::Name } else { PathMatch::No },
    sniff: postgres_sniff,
    comments: HASH,
    parse: |t| Parsed::Postgres(stacklint_syntax::postgres::parse(t)),
    fuzz_target: Some("postgres"),
};

/// Settings that only PostgreSQL has (MySQL's `max_connections` is always under `[mysqld]`).
const POSTGRES_SETTINGS: &[&str] = &[
    "shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_connections", "wal_level", "max_wal_size", "min_wal_size", "wal_buffers",
    "checkpoint_completion_target", "checkpoint_timeout", "random_page_cost", "seq_page_cost", "effective_io_concurrency", "default_statistics_target",
    "listen_addresses", "superuser_reserved_connections", "max_worker_processes", "max_parallel_workers", "max_parallel_workers_per_gather",
    "max_parallel_maintenance_workers", "shared_preload_libraries", "log_min_duration_statement", "log_statement", "log_line_prefix", "log_destination",
    "logging_collector", "log_directory", "log_filename", "log_checkpoints", "log_connections", "log_disconnections", "log_lock_waits", "log_temp_files",
    "log_autovacuum_min_duration", "autovacuum", "autovacuum_max_workers", "autovacuum_naptime", "autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor",
    "huge_pages", "synchronous_commit", "fsync", "full_page_writes", "archive_mode", "archive_command", "max_wal_senders", "max_replication_slots", "hot_standby",
    "wal_keep_size", "idle_in_transaction_session_timeout", "statement_timeout", "lock_timeout", "temp_buffers", "max_locks_per_transaction", "jit",
    "password_encryption", "ssl", "ssl_cert_file", "ssl_key_file", "timezone", "log_timezone", "datestyle", "lc_messages", "default_text_search_config",
    "track_io_timing", "track_activity_query_size", "data_directory", "hba_file", "unix_socket_directories", "dynamic_shared_memory_type", "max_prepared_transactions",
];

/// PostgreSQL: every line is `name = value` (or `name value`, or an `include`), no sections,
/// and most names are PostgreSQL's own settings.
fn postgres_sniff(c: &Content<'_>) -> Sniff {
    let mut known = 0usize;
    let mut names = 0usize;
    for line in &c.code {
        let name_end = line.find(|ch: char| ch == '=' || ch.is_whitespace()).unwrap_or(line.len());
        let name = line.get(..name_end).unwrap_or("");
        let is_name = name.starts_with(|ch: char| ch.is_ascii_lowercase() || ch == '_') && name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '_' | '.'));
        if !is_name || line.ends_with([';', '{', '}']) {
            return Sniff::Contradicts;
        }
        if matches!(name, "include" | "include_dir" | "include_if_exists") {
            continue;
        }
        names += 1;
        known += usize::from(POSTGRES_SETTINGS.contains(&name));
    }
    if known > 0 && known * 2 > names { Sniff::Claims } else { Sniff::Fits }
}

static REDIS: KindSpec = KindSpec {
    name: "redis",
    path: |p| if p.ext_is("conf") && (p.name.starts_with("redis") || p.name == "valkey.conf") { PathMatch::Name } else { PathMatch::No },
    sniff: redis_sniff,
    comments: HASH_LINE,
    parse: |t| Parsed::Redis(stacklint_syntax::redis::parse(t)),
    fuzz_target: Some("redis"),
};

/// Redis directives; the ones marked in [`redis_sniff`] are Redis's alone.
const REDIS_DIRECTIVES: &[&str] = &[
    "bind", "port", "protected-mode", "tcp-backlog", "timeout", "tcp-keepalive", "daemonize", "supervised", "pidfile", "loglevel", "logfile", "databases",
    "save", "stop-writes-on-bgsave-error", "rdbcompression", "rdbchecksum", "dbfilename", "dir", "replicaof", "slaveof", "masterauth", "requirepass",
    "maxclients", "maxmemory", "maxmemory-policy", "maxmemory-samples", "appendonly", "appendfilename", "appendfsync", "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size", "lazyfree-lazy-eviction", "io-threads", "notify-keyspace-events", "hz", "rename-command", "include", "unixsocket",
    "unixsocketperm", "always-show-logo", "set-proc-title", "aclfile", "user", "latency-monitor-threshold", "slowlog-log-slower-than", "slowlog-max-len",
    "activerehashing", "client-output-buffer-limit", "tls-port", "tls-cert-file", "tls-key-file", "tls-ca-cert-file", "replica-read-only", "repl-diskless-sync",
    "cluster-enabled", "cluster-config-file", "aof-use-rdb-preamble", "lua-time-limit", "busy-reply-threshold", "oom-score-adj", "jemalloc-bg-thread",
];

/// Redis: every line is a known directive with space-separated arguments (no `=`, no `;`),
/// and one of them is Redis's alone.
fn redis_sniff(c: &Content<'_>) -> Sniff {
    const OWN: &[&str] = &["maxmemory", "maxmemory-policy", "appendonly", "appendfsync", "appendfilename", "save", "dbfilename", "requirepass", "replicaof", "slaveof", "protected-mode", "notify-keyspace-events", "rename-command", "stop-writes-on-bgsave-error", "rdbcompression", "tcp-keepalive", "io-threads"];
    let mut own = false;
    for line in &c.code {
        let name = line.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        if !REDIS_DIRECTIVES.contains(&name.as_str()) || line.ends_with([';', '{', '}']) || line.get(name.len()..).is_some_and(|rest| rest.trim_start().starts_with('=')) {
            return Sniff::Contradicts;
        }
        own |= OWN.contains(&name.as_str());
    }
    if own { Sniff::Claims } else { Sniff::Fits }
}

static PROCFILE: KindSpec = KindSpec {
    name: "procfile",
    path: |p| if p.name == "procfile" || p.name.starts_with("procfile.") { PathMatch::Name } else { PathMatch::No },
    sniff: fits,
    comments: HASH,
    parse: |t| Parsed::Procfile(stacklint_syntax::procfile::parse(t)),
    fuzz_target: Some("procfile"),
};

static SHELL: KindSpec = KindSpec {
    name: "shell",
    path: |p| if p.ext_is("sh") || p.name == "entrypoint" || p.name == "docker-entrypoint" { PathMatch::Name } else { PathMatch::No },
    sniff: |c| if c.interpreter().is_some_and(is_shell) { Sniff::Claims } else { Sniff::Fits },
    comments: HASH,
    parse: |t| Parsed::Shell(stacklint_syntax::shell::split(t)),
    fuzz_target: Some("shell"),
};

fn is_shell(program: &str) -> bool {
    matches!(program, "sh" | "bash" | "dash" | "zsh" | "ksh" | "ash")
}

static REQUIREMENTS: KindSpec = KindSpec {
    name: "requirements",
    path: |p| if p.ext_is("txt") && (p.name.starts_with("requirements") || p.folders.first().is_some_and(|f| f == "requirements")) { PathMatch::Name } else { PathMatch::No },
    sniff: fits,
    comments: HASH,
    parse: parse_text,
    fuzz_target: None,
};

static PYPROJECT: KindSpec = KindSpec { name: "pyproject", path: |p| if p.name == "pyproject.toml" { PathMatch::Name } else { PathMatch::No }, sniff: fits, comments: HASH, parse: parse_text, fuzz_target: None };

static SUPERVISORD: KindSpec = KindSpec {
    name: "supervisord",
    path: |p| {
        if p.name == "supervisord.conf" || p.name == "supervisor.conf" {
            PathMatch::Name
        } else if (p.ext_is("conf") || p.ext_is("ini")) && p.in_folder(&["supervisor", "supervisord", "supervisor.d", "supervisord.d", "conf.d"]) {
            PathMatch::Folder
        } else {
            PathMatch::No
        }
    },
    sniff: |c| if c.sections().any(stacklint_syntax::supervisord::is_supervisord_section) { Sniff::Claims } else { Sniff::Contradicts },
    comments: CommentSyntax { line: &['#', ';'], trailing: &[';', '#'] },
    parse: |t| Parsed::Supervisord(stacklint_syntax::supervisord::parse(t)),
    fuzz_target: Some("supervisord"),
};

static SYSTEMD: KindSpec = KindSpec {
    name: "systemd",
    path: |p| if p.ext_is("service") || p.ext_is("socket") { PathMatch::Name } else { PathMatch::No },
    sniff: |c| {
        let mut sections = c.sections().peekable();
        if sections.peek().is_some() && sections.all(stacklint_syntax::systemd::is_unit_section) { Sniff::Claims } else { Sniff::Contradicts }
    },
    comments: CommentSyntax { line: &['#', ';'], trailing: &[] },
    parse: |t| Parsed::Systemd(stacklint_syntax::systemd::parse(t)),
    fuzz_target: Some("systemd"),
};

/// What the name of a file says about its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ByName {
    /// The name decides.
    Kind(FileKind),
    /// The folder suggests these kinds (in priority order); the content must agree.
    Folder(Vec<FileKind>),
    Unknown,
}

impl FileKind {
    /// The name used in `[files]` of the configuration.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn from_name(name: &str) -> Option<FileKind> {
        FileKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    pub fn is_python(self) -> bool {
        matches!(self, FileKind::DjangoSettings | FileKind::GunicornConfig | FileKind::Python)
    }

    /// Where suppression comments may stand in a file of this kind.
    pub fn comments(self) -> CommentSyntax {
        self.spec().comments
    }

    /// What the path says: the first kind (in [`FileKind::ALL`] order) its name decides,
    /// else the kinds its folder suggests.
    pub fn by_name(path: &Path) -> ByName {
        let Some(info) = PathInfo::new(path) else { return ByName::Unknown };
        let mut folder = Vec::new();
        for &kind in FileKind::ALL {
            match (kind.spec().path)(&info) {
                PathMatch::Name => return ByName::Kind(kind),
                PathMatch::Folder => folder.push(kind),
                PathMatch::No => {}
            }
        }
        if folder.is_empty() { ByName::Unknown } else { ByName::Folder(folder) }
    }

    /// Guess the kind from the path alone: what the name decides, else the first kind the
    /// folder suggests (which the content may overrule: see [`FileKind::detect`]); `None`
    /// when the path says nothing.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        match FileKind::by_name(path) {
            ByName::Kind(kind) => Some(kind),
            ByName::Folder(kinds) => kinds.first().copied(),
            ByName::Unknown => None,
        }
    }

    /// The kind of a file whose folder suggested `candidates`: the first the content claims,
    /// else the first it does not contradict, else what the content alone says.
    pub fn confirm(candidates: &[FileKind], text: &str) -> Option<FileKind> {
        let content = Content::new(text);
        let best = candidates.iter().copied().map(|k| (k, (k.spec().sniff)(&content))).filter(|(_, s)| *s != Sniff::Contradicts).max_by_key(|(k, s)| (*s, std::cmp::Reverse(candidates.iter().position(|c| c == k))));
        best.map(|(k, _)| k).or_else(|| FileKind::sniff_content(&content))
    }

    /// The kind of a file from its path and its content: the name, else the folder with the
    /// content agreeing, else the content alone (see [`FileKind::sniff`]).
    pub fn detect(path: &Path, text: &str) -> Option<FileKind> {
        match FileKind::by_name(path) {
            ByName::Kind(kind) => Some(kind),
            ByName::Folder(kinds) => FileKind::confirm(&kinds, text),
            ByName::Unknown => FileKind::sniff(text),
        }
    }

    /// Guess the kind of a file whose name said nothing, from its first bytes: the one kind
    /// that claims it; `None` when none or several do.
    pub fn sniff(text: &str) -> Option<FileKind> {
        FileKind::sniff_content(&Content::new(text))
    }

    fn sniff_content(content: &Content<'_>) -> Option<FileKind> {
        let mut claims = FileKind::ALL.iter().copied().filter(|k| (k.spec().sniff)(content) == Sniff::Claims);
        let first = claims.next()?;
        claims.next().is_none().then_some(first)
    }

    /// The kind a user most likely means for a file stacklint cannot place: the kind the
    /// content fits best, or whose name the file name contains (`app.dockerfile.orig`).
    pub fn best_guess(path: &Path, text: &str) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        FileKind::sniff(text).or_else(|| FileKind::ALL.iter().copied().find(|k| name.contains(k.name()) || (*k == FileKind::Dockerfile && name.contains("containerfile"))))
    }

    /// The kind a name-based guess turns out to be once the content is known: a Python file
    /// whose shebang runs a shell (`manage.py` that wraps `docker compose exec ...`) is a
    /// shell script.
    #[must_use]
    pub fn refine(self, text: &str) -> FileKind {
        if self.is_python() && Content::new(text).interpreter().is_some_and(is_shell) {
            return FileKind::Shell;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_first() {
        let k = |p: &str| FileKind::from_path(Path::new(p));
        assert_eq!(k("backend/Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(k("Containerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("docker-compose.yml"), Some(FileKind::Compose));
        assert_eq!(k("nginx/nginx.conf"), Some(FileKind::Nginx));
        assert_eq!(k("conf.d/site.conf"), Some(FileKind::Nginx));
        assert_eq!(k("postgres/postgresql.conf"), Some(FileKind::Postgres));
        assert_eq!(k("conf.d/postgresql.conf"), Some(FileKind::Postgres));
        assert_eq!(k("redis/redis.conf"), Some(FileKind::Redis));
        assert_eq!(k("gunicorn_config.py"), Some(FileKind::GunicornConfig));
        assert_eq!(k("requirements/prod.txt"), Some(FileKind::Requirements));
        assert_eq!(k("deploy/supervisord.conf"), Some(FileKind::Supervisord));
        assert_eq!(k("deploy/app.service"), Some(FileKind::Systemd));
        assert_eq!(k("deploy/app.socket"), Some(FileKind::Systemd));
        assert_eq!(k("README.md"), None);
        assert_eq!(k(".service"), None);
        // Generators of those files are Python modules.
        assert_eq!(k("bench/config/procfile.py"), Some(FileKind::Python));
        assert_eq!(k("tools/dockerfile.py"), Some(FileKind::Python));
        assert_eq!(k("conf.d/nginx.py"), Some(FileKind::Python));
        for kind in FileKind::ALL {
            assert_eq!(FileKind::from_name(kind.name()), Some(*kind));
        }
    }

    #[test]
    fn folder_guesses_need_agreeing_content() {
        let conf_d = Path::new("conf.d/10-tuning.conf");
        assert_eq!(FileKind::by_name(conf_d), ByName::Folder(vec![FileKind::Nginx, FileKind::Supervisord]));
        let detect = |text: &str| FileKind::detect(conf_d, text);
        assert_eq!(detect("# tuning\nshared_buffers = 1GB\nwork_mem = 16MB\n"), Some(FileKind::Postgres));
        assert_eq!(detect("[program:web]\ncommand=gunicorn app.wsgi\n"), Some(FileKind::Supervisord));
        assert_eq!(detect("; pool\n[www]\npm.max_children = 5\n"), None);
        // nginx snippets, including ones with `=` in values and empty ones.
        assert_eq!(detect("server {\n  listen 80;\n}\n"), Some(FileKind::Nginx));
        assert_eq!(detect("proxy_set_header X-A $a;\nset $x \"a=b\";\n"), Some(FileKind::Nginx));
        assert_eq!(detect("# nothing yet\n"), Some(FileKind::Nginx));
        assert_eq!(detect("<VirtualHost *:80>\n  ServerName a\n</VirtualHost>\n"), None);
        assert_eq!(detect("maxclients 10000\ntcp-keepalive 60\n"), Some(FileKind::Redis));
        assert_eq!(FileKind::detect(Path::new("supervisor/app.ini"), "[program:app]\ncommand=x\n"), Some(FileKind::Supervisord));
        assert_eq!(FileKind::detect(Path::new("supervisor/app.ini"), "[uwsgi]\nmodule=x\n"), None);
    }

    #[test]
    fn content_refines_a_python_name() {
        assert_eq!(FileKind::Python.refine("#!/bin/sh\ndocker compose exec app ./manage.py \"$@\"\n"), FileKind::Shell);
        assert_eq!(FileKind::Python.refine("#!/usr/bin/env bash\nexec x\n"), FileKind::Shell);
        assert_eq!(FileKind::Python.refine("#!/usr/bin/env python3\nimport os\n"), FileKind::Python);
        assert_eq!(FileKind::Python.refine("import os\n"), FileKind::Python);
        assert_eq!(FileKind::Nginx.refine("#!/bin/sh\n"), FileKind::Nginx);
    }

    #[test]
    fn sniffing() {
        assert_eq!(FileKind::sniff("# syntax=docker/dockerfile:1\nFROM python:3.12\n"), Some(FileKind::Dockerfile));
        assert_eq!(FileKind::sniff("#!/bin/sh\nexec gunicorn app:app\n"), Some(FileKind::Shell));
        assert_eq!(FileKind::sniff("#!/usr/bin/env python3\nimport os\n"), Some(FileKind::Python));
        assert_eq!(FileKind::sniff("#!/command/with-contenv /usr/bin/bash\nexec x\n"), Some(FileKind::Shell));
        assert_eq!(FileKind::sniff("#!/usr/bin/env -S bash -e\nexec x\n"), Some(FileKind::Shell));
        assert_eq!(FileKind::sniff("hello"), None);
        assert_eq!(FileKind::sniff("worker_processes auto;\nevents {}\n"), Some(FileKind::Nginx));
        assert_eq!(FileKind::sniff("upstream app {\n  server a:1;\n}\n"), Some(FileKind::Nginx));
        // A Python or INI config that names the same settings is not nginx.
        assert_eq!(FileKind::sniff("import os\nworker_processes = 4\nupstream = os.environ['UPSTREAM']\n"), None);
        assert_eq!(FileKind::sniff("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/x\n"), Some(FileKind::Systemd));
        assert_eq!(FileKind::sniff("[supervisord]\nnodaemon=true\n"), Some(FileKind::Supervisord));
        assert_eq!(FileKind::sniff("maxmemory 256mb\nmaxmemory-policy allkeys-lru\nport 6379\n"), Some(FileKind::Redis));
        assert_eq!(FileKind::sniff("listen_addresses = '*'\nmax_connections = 200\n"), Some(FileKind::Postgres));
        // MySQL, php-fpm, uWSGI, pgbouncer: sections nobody claims.
        assert_eq!(FileKind::sniff("[mysqld]\nmax_connections = 200\n"), None);
        assert_eq!(FileKind::sniff("[www]\nlisten = /run/php.sock\n"), None);
        assert_eq!(FileKind::sniff("[databases]\napp = host=db\n[pgbouncer]\nlisten_port = 6432\n"), None);
        // Lines that are not all Redis directives, or PostgreSQL names in the minority.
        assert_eq!(FileKind::sniff("maxmemory 1g\nServerName example.com\n"), None);
        assert_eq!(FileKind::sniff("max_connections = 1\nfoo = 2\nbar = 3\n"), None);
    }

    #[test]
    fn guesses_for_the_unknown() {
        assert_eq!(FileKind::best_guess(Path::new("app.dockerfile.orig"), "RUN x\n"), Some(FileKind::Dockerfile));
        assert_eq!(FileKind::best_guess(Path::new("Containerfile.in"), "RUN x\n"), Some(FileKind::Dockerfile));
        assert_eq!(FileKind::best_guess(Path::new("notes.md"), "hello\n"), None);
    }
}
