//! Redis as it runs: the directive table of the real server, values read the way Redis
//! reads them, and the effective configuration of each Redis of the deployment — its file
//! (`redis-server FILE`) with `include`s expanded, then `--name value` from its command
//! line (later wins) — with the roles the application gives it (cache, broker, ...).
//!
//! ```
//! use stacklint_project::redis::{parse_size, SizeError};
//! assert_eq!(parse_size("1k"), Ok(1000));
//! assert_eq!(parse_size("1KB"), Ok(1024));
//! assert_eq!(parse_size("30mb"), Ok(30 * 1024 * 1024));
//! assert!(matches!(parse_size("99999999999gb"), Err(SizeError::Overflow { .. })));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use stacklint_syntax::redis::{self as syntax, ArgvWord, Directive};
use stacklint_syntax::shell::{self, Word};
use stacklint_text::TextRange;

use crate::deployment::{DeployedService, LinkKind, LinkTarget, Role};
use crate::kind::FileKind;
use crate::project::Project;
use crate::target::Target;

/// The release the table was read from (`scripts/gen-redis-config`).
pub const TABLE_VERSION: &str = "7.0.15";
static TSV: &str = include_str!("../data/redis/7.0/config.tsv");

/// Directives of releases after the table's, from the self-documented redis.conf of
/// redis/redis at 4f8cdc2a (`../shared/corpus/peer-suites/redis/redis.conf`: its
/// directives and commented-out examples that Redis 7.0.15 does not know), and Valkey's:
/// never called unknown when the deployed Redis may be newer.
const NEWER_DIRECTIVES: &[&str] = &[
    "locale-collate",
    "set-max-listpack-entries",
    "set-max-listpack-value",
    "cluster-announce-human-nodename",
    "hide-user-data-from-log",
    "max-new-connections-per-cycle",
    "max-new-tls-connections-per-cycle",
    "server-cpulist",
    "bio-cpulist",
    "aof-rewrite-cpulist",
    "bgsave-cpulist",
    "cluster-slot-stats-enabled",
];

/// How a directive's value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// `yes` / `no`.
    Bool,
    /// One of a fixed list (`maxmemory-policy`).
    Enum,
    /// A size: `100`, `1k` (1000), `1kb` (1024), `m`, `mb`, `g`, `gb`.
    Memory,
    /// An integer, no units.
    Number,
    String,
    /// Read by the file loader itself (`include`, `rename-command`, `user`, ...).
    Special,
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct DirectiveInfo {
    pub name: &'static str,
    pub kind: ValueKind,
    /// The compiled-in default as `CONFIG GET` shows it.
    pub default: &'static str,
    /// An enum's values.
    pub values: Vec<&'static str>,
    /// How many arguments it takes, as the server accepted them.
    pub arity: Arity,
}

/// How many arguments a directive takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Exactly(usize),
    /// A list (`save 900 1 300 10`, `bind a b`): any number.
    List,
    /// Read by the file loader (`include`, `rename-command`, ...): see [`check_value`].
    Special,
}

fn table() -> &'static HashMap<&'static str, DirectiveInfo> {
    static TABLE: OnceLock<HashMap<&'static str, DirectiveInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        TSV.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| {
                let mut cols = l.split('\t');
                let name = cols.next()?;
                let kind = match cols.next()? {
                    "bool" => ValueKind::Bool,
                    "enum" => ValueKind::Enum,
                    "memory" => ValueKind::Memory,
                    "number" => ValueKind::Number,
                    "special" => ValueKind::Special,
                    _ => ValueKind::String,
                };
                let default = cols.next().unwrap_or("");
                let values = cols.next().unwrap_or("").split(',').filter(|v| !v.is_empty()).collect();
                let arity = match cols.next().unwrap_or("") {
                    "n" => Arity::List,
                    "2" => Arity::Exactly(2),
                    "1" => Arity::Exactly(1),
                    _ => Arity::Special,
                };
                Some((name, DirectiveInfo { name, kind, default, values, arity }))
            })
            .collect()
    })
}

/// The table's row for a directive (case-insensitive).
pub fn directive(name: &str) -> Option<&'static DirectiveInfo> {
    table().get(name.to_ascii_lowercase().as_str())
}

/// The known directive closest to an unknown name.
pub fn closest_directive(name: &str) -> Option<&'static str> {
    let mut names: Vec<&'static str> = table().keys().copied().collect();
    names.sort_unstable();
    stacklint_text::closest(name, names)
}

/// Whether `name` is a directive of a Redis release after the table's.
pub fn is_newer_directive(name: &str) -> bool {
    NEWER_DIRECTIVES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// A size Redis refuses or reads as something else than written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// Not digits and a unit (`1.5gb`, `-1`, `1t`): Redis refuses the file.
    Invalid,
    /// A unit with no digits (`kb`): Redis reads 0.
    NoDigits,
    /// Above 2^64 - 1 bytes: Redis 7.0 does not check and wraps around to `wrapped`.
    Overflow { wrapped: u64 },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::Invalid => f.write_str("not a size: Redis reads digits and an optional unit `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g` or `gb`, and refuses to start"),
            SizeError::NoDigits => f.write_str("a unit with no digits: Redis reads it as 0"),
            SizeError::Overflow { .. } => f.write_str("more than 2^64 bytes: Redis 7.0 does not check and wraps it around to a much smaller size"),
        }
    }
}

/// A size as Redis's `memtoull` reads it: digits then an optional unit, any case: `b`,
/// `k` = 1000, `kb` = 1024, `m` = 1000², `mb` = 1024², `g` = 1000³, `gb` = 1024³.
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(digits);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(SizeError::Invalid),
    };
    if num.is_empty() {
        return if unit.is_empty() { Err(SizeError::Invalid) } else { Err(SizeError::NoDigits) };
    }
    // strtoull saturates past 2^64 - 1 (ERANGE, refused): only the multiplication wraps.
    let n: u64 = num.parse().map_err(|_| SizeError::Invalid)?;
    n.checked_mul(mul).ok_or(SizeError::Overflow { wrapped: n.wrapping_mul(mul) })
}

/// `30mb` → `30 MiB (31457280 bytes)`: what Redis reads, in words.
pub fn size_text(bytes: u64) -> String {
    format!("{} ({bytes} bytes)", crate::target::format_bytes(bytes))
}

/// A value problem: which argument (index into the directive's args; `None`: the
/// directive itself) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueProblem {
    pub arg: Option<usize>,
    pub message: String,
    /// Redis refuses the file; `false`: it starts but reads another value (an overflowing
    /// size, a unit without digits).
    pub refused: bool,
}

/// Check a directive's arguments against the table as Redis would. `None` when fine or
/// when the directive is unknown (see [`directive`]).
pub fn check_value(d: &Directive) -> Option<ValueProblem> {
    let info = directive(&d.name.value)?;
    let name = info.name;
    let n = d.args.len();
    let want = match (info.arity, name) {
        (Arity::List, _) => None,
        (Arity::Exactly(k), _) => Some((k, k)),
        (Arity::Special, "include") => Some((1, 1)),
        (Arity::Special, "rename-command") => Some((2, 2)),
        (Arity::Special, _) => Some((1, usize::MAX)),
    };
    if let Some((min, max)) = want
        && (n < min || n > max)
    {
        let want = match (min, max) {
            (1, usize::MAX) => "at least 1 argument".to_owned(),
            (1, 1) => "1 argument".to_owned(),
            (k, _) => format!("{k} arguments"),
        };
        return Some(ValueProblem { arg: None, message: format!("`{name}` takes {want}, {n} given: Redis refuses the file (\"wrong number of arguments\")"), refused: true });
    }
    // `client-output-buffer-limit CLASS HARD SOFT SECONDS`, repeated.
    if name == "client-output-buffer-limit" && !n.is_multiple_of(4) {
        return Some(ValueProblem { arg: None, message: format!("`{name}` takes groups of 4 arguments (class, hard limit, soft limit, seconds), {n} given: Redis refuses the file"), refused: true });
    }
    let bad = |i: usize, message: String| Some(ValueProblem { arg: Some(i), message, refused: true });
    for (i, a) in d.args.iter().enumerate() {
        let v = a.value.as_str();
        match info.kind {
            ValueKind::Bool if !v.eq_ignore_ascii_case("yes") && !v.eq_ignore_ascii_case("no") => {
                return bad(i, format!("`{name} {v}`: Redis accepts only `yes` or `no` and refuses the file"));
            }
            ValueKind::Enum if !info.values.iter().any(|x| x.eq_ignore_ascii_case(v)) => {
                return bad(i, format!("`{name} {v}`: Redis accepts only {} and refuses the file", info.values.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")));
            }
            ValueKind::Memory => {
                // `maxmemory-clients` also takes a percentage of maxmemory.
                if name == "maxmemory-clients" && v.strip_suffix('%').is_some_and(|p| p.parse::<u64>().is_ok()) {
                    continue;
                }
                if let Err(e) = parse_size(v) {
                    let refused = e == SizeError::Invalid;
                    return Some(ValueProblem { arg: Some(i), message: format!("`{name} {v}`: {e}"), refused });
                }
            }
            ValueKind::Number if v.parse::<i64>().is_err() => {
                return bad(i, format!("`{name} {v}`: not an integer (Redis takes no units here) and refuses the file"));
            }
            _ => {}
        }
    }
    None
}

/// A `yes`/`no` value.
pub fn is_yes(v: &str) -> bool {
    v.eq_ignore_ascii_case("yes")
}

/// One directive in effect for a Redis, and where it was written.
#[derive(Clone, Debug)]
pub struct Setting {
    pub directive: Directive,
    /// The file it was written in: a redis.conf, or the compose file / Dockerfile of the
    /// command line.
    pub file: PathBuf,
    /// From the command line (`--name value`).
    pub command_line: bool,
    /// Its ranges are exact (a replacement there is a valid edit); `false` for a command
    /// line whose words could not be mapped back.
    pub exact: bool,
    /// An argument holds a variable (`--requirepass ${PASSWORD}`): its value is unknown.
    pub variable: bool,
}

impl Setting {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.directive.arg(i)
    }
}

/// Why an `include` was not followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncludeProblem {
    /// It names a path no project file lands at.
    Outside,
    /// It includes a file already being read.
    Cycle,
    /// A glob (`include /etc/redis/conf.d/*.conf`): not followed.
    Glob,
}

/// An `include` that was not followed.
#[derive(Clone, Debug)]
pub struct UnresolvedInclude {
    pub file: PathBuf,
    pub range: TextRange,
    pub path: String,
    pub problem: IncludeProblem,
}

/// A Redis process: a service of the deployment running `redis-server` (or the Redis
/// image), or a Redis file no service reads.
#[derive(Clone, Debug)]
pub struct RedisServer {
    /// The service, `None` for a file alone.
    pub service: Option<String>,
    /// Where the service is defined (compose service, Dockerfile).
    pub defined_in: Option<(PathBuf, Option<TextRange>)>,
    /// The project file `redis-server` reads first, if any.
    pub config_file: Option<PathBuf>,
    /// The config file named on the command line that the project does not hold.
    pub missing_config: Option<String>,
    /// Every directive in effect order: the file (includes in place), then the command line.
    pub settings: Vec<Setting>,
    /// The project files read (the config file and its includes).
    pub files: Vec<PathBuf>,
    pub unresolved: Vec<UnresolvedInclude>,
    /// The machine it runs on (the container's limits narrow the host).
    pub target: Target,
    /// The compose memory limit as written (`512M`), when the target comes from it.
    pub memory_limit: Option<String>,
    /// The image tag (`7.4` of `redis:7.4`), when the service names one.
    pub image_tag: Option<String>,
    /// What the application uses it for, from the deployment's links.
    pub roles: Vec<RoleUse>,
    /// The command line was seen but its words could not be read (a variable program,
    /// an unparsed Dockerfile form): settings may be missing.
    pub command_unknown: bool,
}

/// A use of a Redis by a service of the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleUse {
    pub kind: LinkKind,
    /// The service that uses it.
    pub from: String,
    /// Where the link was read (the settings line).
    pub origin: crate::deployment::Origin,
}

/// The role of a Redis, from how the application uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisRole {
    /// A cache (Django CACHES, sessions in the cache): evicting is fine.
    Cache,
    /// A queue or a channel layer (Celery broker, Channels): evicting loses messages.
    Queue,
}

impl RedisServer {
    /// The last setting of `name` (the one in effect for single-valued directives).
    pub fn last(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().rev().find(|s| s.directive.is(name))
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Setting> + 'a {
        self.settings.iter().filter(move |s| s.directive.is(name))
    }

    /// `maxmemory` in effect: the setting and its bytes; `None` when unset or unreadable.
    pub fn maxmemory(&self) -> Option<(&Setting, u64)> {
        let s = self.last("maxmemory")?;
        if s.variable {
            return None;
        }
        Some((s, parse_size(s.arg(0)?).ok()?))
    }

    /// Whether any use is `kind`.
    pub fn used_as(&self, kinds: &[LinkKind]) -> bool {
        self.roles.iter().any(|r| kinds.contains(&r.kind))
    }

    /// The roles it plays (cache and/or queue), each with its first use.
    pub fn role_uses(&self, role: RedisRole) -> Vec<&RoleUse> {
        let kinds: &[LinkKind] = match role {
            RedisRole::Cache => &[LinkKind::Cache],
            RedisRole::Queue => &[LinkKind::Broker, LinkKind::Channels],
        };
        self.roles.iter().filter(|r| kinds.contains(&r.kind)).collect()
    }

    /// A name for messages: service `redis`, or the file.
    pub fn label(&self, project: &Project) -> String {
        match (&self.service, &self.config_file) {
            (Some(s), _) => format!("service `{s}`"),
            (None, Some(f)) => f.strip_prefix(&project.root).unwrap_or(f).display().to_string(),
            (None, None) => "Redis".to_owned(),
        }
    }
}

/// Programs that read redis.conf and `--name value` options the same way.
const SERVERS: &[&str] = &["redis-server", "valkey-server", "redis-stack-server"];

/// Include chains deeper than this stop (a cycle is caught before; this bounds the rest).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Redis's default `maxclients`.
pub const DEFAULT_MAXCLIENTS: u64 = 10_000;

/// Every Redis of the project: the services that run it, then the Redis files no service
/// reads (each on its own, as the server it configures).
pub fn servers(project: &Project) -> &[RedisServer] {
    project.redis_servers.get_or_init(|| find_servers(project))
}

fn find_servers(project: &Project) -> Vec<RedisServer> {
    let mut out = Vec::new();
    let mut read: Vec<PathBuf> = Vec::new();
    for s in project.deployment.services.iter().filter(|s| s.role == Role::Redis) {
        let server = service_server(project, s);
        read.extend(server.files.iter().cloned());
        out.push(server);
    }
    // Files included by another Redis file are read through it.
    let mut included = Vec::new();
    for f in project.files_of(FileKind::Redis) {
        let Some(tree) = f.redis() else { continue };
        for d in tree.named("include") {
            if let Some(p) = d.arg(0) {
                included.push(p.to_owned());
            }
        }
    }
    for f in project.files_of(FileKind::Redis) {
        if read.contains(&f.path) || included.iter().any(|p| crate::path_ends_with(&f.path, p.trim_start_matches('/'))) {
            continue;
        }
        let mut server = RedisServer {
            service: None,
            defined_in: None,
            config_file: Some(f.path.clone()),
            missing_config: None,
            settings: Vec::new(),
            files: Vec::new(),
            unresolved: Vec::new(),
            target: project.compose.target_for_file(project, &f.path),
            memory_limit: None,
            image_tag: None,
            roles: Vec::new(),
            command_unknown: false,
        };
        read_file(project, None, &f.path, &mut server, &mut Vec::new());
        out.push(server);
    }
    out
}

fn service_server(project: &Project, s: &DeployedService) -> RedisServer {
    let image_tag = s.image.as_ref().and_then(|i| i.value.rsplit_once(':').map(|(_, t)| t.to_owned())).filter(|t| !t.contains('/'));
    let mut server = RedisServer {
        service: Some(s.name.clone()),
        defined_in: Some((s.defined_in.file.clone(), s.defined_in.range)),
        config_file: None,
        missing_config: None,
        settings: Vec::new(),
        files: Vec::new(),
        unresolved: Vec::new(),
        target: s.target.clone(),
        memory_limit: project.compose.service(&s.defined_in.file, &s.name).and_then(|cs| cs.merged.memory.as_ref()).map(|m| m.value.value.clone()),
        image_tag,
        roles: roles(project, &s.name),
        command_unknown: false,
    };
    if let Some(c) = s.config_files.iter().find(|c| c.program == "redis-server") {
        match &c.file {
            Some(file) => {
                server.config_file = Some(file.clone());
                read_file(project, Some(s), file, &mut server, &mut Vec::new());
            }
            None => server.missing_config = Some(c.path.clone()),
        }
    }
    let Some(cmd) = &s.command else { return server };
    // The deployment model names `redis-server` only; look for the others too (through
    // `sh -c` in a compose command).
    let found = SERVERS.iter().find_map(|p| command_words(project, cmd, p).map(|(file, words)| (*p, file, words)));
    let (file, words, exact) = if let Some((_, file, words)) = found {
        (file, words, true)
    } else {
        let at = cmd.argv.iter().position(|a| SERVERS.contains(&shell::basename(a)));
        let Some(at) = at else {
            // Another program (a wrapper script): the options it passes are unknown.
            server.command_unknown = true;
            return server;
        };
        // The argv without positions: settings at the command, never edited.
        let range = cmd.origin.range.unwrap_or_default();
        let words = cmd.argv.iter().skip(at + 1).map(|a| Word::verbatim(a.clone(), range.start())).collect();
        (cmd.origin.file.clone(), words, false)
    };
    let range_of = |w: &Word| if exact { w.range } else { cmd.origin.range.unwrap_or_default() };
    let argv: Vec<ArgvWord<'_>> = words.iter().map(|w| ArgvWord { value: &w.value, range: range_of(w) }).collect();
    let parsed = syntax::parse_argv(&argv);
    // `valkey-server FILE`: the deployment model reads `redis-server FILE` only.
    if server.config_file.is_none()
        && server.missing_config.is_none()
        && let Some(path) = &parsed.tree.config_file
    {
        match s.file_at(&path.value) {
            Some(file) => {
                server.config_file = Some(file.to_path_buf());
                read_file(project, Some(s), file, &mut server, &mut Vec::new());
            }
            None => server.missing_config = Some(path.value.to_string()),
        }
    }
    for d in parsed.tree.directives {
        let variable = d.args.iter().any(|a| a.value.contains('$') || words.iter().any(|w| exact && w.range == a.range && w.has_expansion));
        server.settings.push(Setting { directive: d, file: file.clone(), command_line: true, exact, variable });
    }
    server
}

/// The words after the server program of a compose `command:`/`entrypoint:` or a
/// Dockerfile exec-form `CMD`/`ENTRYPOINT`, mapped to that file; `None` when the command
/// cannot be mapped back.
fn command_words(project: &Project, cmd: &crate::deployment::RunCommand, program: &str) -> Option<(PathBuf, Vec<Word>)> {
    let range = cmd.origin.range?;
    let file = project.file(&cmd.origin.file)?;
    let tokens: Vec<shell::Token> = if let Some(compose) = file.compose() {
        let service = compose.services.iter().find(|s| s.command.iter().chain(&s.entrypoint).any(|c| c.range == range))?;
        service.entrypoint.iter().chain(&service.command).flat_map(|c| c.tokens.iter().cloned()).collect()
    } else {
        // `CMD ["redis-server", "--maxmemory", "30mb"]`: each element keeps its literal.
        let inst = file.dockerfile()?.instructions.iter().find(|i| i.range == range)?;
        inst.exec()?
            .elements
            .iter()
            .map(|e| {
                let plain = e.range.slice(&file.text) == format!("\"{}\"", e.value);
                let word = if plain { Word::quoted_verbatim(e.value.clone(), e.range, e.range.start() + 1) } else { Word::with_map(e.value.clone(), e.range, Vec::new()) };
                shell::Token::Word(word)
            })
            .collect()
    };
    let inv = shell::find_commands(&tokens, program).into_iter().next()?;
    Some((file.path.clone(), inv.args))
}

/// Read a project Redis file into `server` (includes in place).
fn read_file(project: &Project, service: Option<&DeployedService>, path: &Path, server: &mut RedisServer, stack: &mut Vec<PathBuf>) {
    let Some(file) = project.file(path) else { return };
    let Some(tree) = file.redis() else { return };
    // A template is parsed as its skeleton: a masked tag (`port {{ port }}` read as
    // `port $________`) is a value only the rendering knows.
    let template = file.template.is_some();
    stack.push(path.to_path_buf());
    if !server.files.iter().any(|f| f == path) {
        server.files.push(path.to_path_buf());
    }
    for d in tree.directives() {
        if d.is("include")
            && let Some(target) = d.args.first()
        {
            let written = target.value.clone();
            let problem = |problem| UnresolvedInclude { file: path.to_path_buf(), range: d.range, path: written.to_string(), problem };
            if written.contains(['*', '?', '[']) {
                server.unresolved.push(problem(IncludeProblem::Glob));
                continue;
            }
            let found = if let Some(s) = service {
                s.file_at(&written).map(Path::to_path_buf)
            } else {
                // A file alone: a path relative to it, when the project has that file.
                let candidate = crate::compose::normalize(&path.parent().unwrap_or(Path::new("")).join(&written));
                project.file(&candidate).map(|f| f.path.clone())
            };
            match found {
                Some(next) if stack.contains(&next) || stack.len() >= MAX_INCLUDE_DEPTH => server.unresolved.push(problem(IncludeProblem::Cycle)),
                Some(next) => read_file(project, service, &next, server, stack),
                None => server.unresolved.push(problem(IncludeProblem::Outside)),
            }
            continue;
        }
        let variable = template && d.args.iter().any(|a| a.value.contains('$'));
        server.settings.push(Setting { directive: d.clone(), file: path.to_path_buf(), command_line: false, exact: true, variable });
    }
    stack.pop();
}

/// The uses of service `name` by the application: links to it that are Redis uses.
pub fn roles(project: &Project, name: &str) -> Vec<RoleUse> {
    project
        .deployment
        .links
        .iter()
        .filter(|l| matches!(&l.to, LinkTarget::Service { name: n, .. } if n == name))
        .filter(|l| matches!(l.kind, LinkKind::Cache | LinkKind::Broker | LinkKind::ResultBackend | LinkKind::Channels | LinkKind::Sessions | LinkKind::Redis))
        .map(|l| RoleUse { kind: l.kind.clone(), from: l.from.clone(), origin: l.origin.clone() })
        .collect()
}

/// Whether every `bind` address is a loopback one (`127.0.0.1`, `-::1`, `localhost`).
pub fn binds_loopback_only(addresses: &[&str]) -> bool {
    !addresses.is_empty() && addresses.iter().all(|a| {
        let a = a.trim_start_matches('-');
        a.starts_with("127.") || a == "::1" || a.eq_ignore_ascii_case("localhost")
    })
}

/// The `bind` addresses that listen on every interface.
pub fn binds_all(addresses: &[&str]) -> bool {
    addresses.iter().any(|a| matches!(a.trim_start_matches('-'), "0.0.0.0" | "*" | "::" | "::*"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProjectOptions;

    #[test]
    fn loopback_binds() {
        assert!(binds_loopback_only(&["127.0.0.1", "-::1"]));
        assert!(!binds_loopback_only(&["127.0.0.1", "10.0.0.5"]));
        assert!(!binds_loopback_only(&[]));
        assert!(binds_all(&["*", "-::*"]));
        assert!(!binds_all(&["127.0.0.1"]));
    }

    #[test]
    fn sizes_as_memtoull() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("1b"), Ok(1));
        assert_eq!(parse_size("1k"), Ok(1000));
        assert_eq!(parse_size("1Kb"), Ok(1024));
        assert_eq!(parse_size("2m"), Ok(2_000_000));
        assert_eq!(parse_size("2MB"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("3g"), Ok(3_000_000_000));
        assert_eq!(parse_size("3gB"), Ok(3 * 1024 * 1024 * 1024));
        assert_eq!(parse_size("1.5gb"), Err(SizeError::Invalid));
        assert_eq!(parse_size("-1"), Err(SizeError::Invalid));
        assert_eq!(parse_size("1t"), Err(SizeError::Invalid));
        assert_eq!(parse_size(""), Err(SizeError::Invalid));
        assert_eq!(parse_size("kb"), Err(SizeError::NoDigits));
        assert_eq!(parse_size("99999999999gb"), Err(SizeError::Overflow { wrapped: 99_999_999_999u64.wrapping_mul(1 << 30) }));
        assert_eq!(parse_size("99999999999999999999999"), Err(SizeError::Invalid));
    }

    fn first(src: &str) -> Directive {
        syntax::parse(src).tree.directives().next().cloned().unwrap()
    }

    #[test]
    fn values_against_the_table() {
        assert_eq!(directive("MAXMEMORY").map(|d| d.kind), Some(ValueKind::Memory));
        assert_eq!(directive("maxmemory-policy").map(|d| d.default), Some("noeviction"));
        assert!(check_value(&first("maxmemory 30mb")).is_none());
        assert!(check_value(&first("maxmemory 1.5gb")).unwrap().message.contains("not a size"));
        assert!(check_value(&first("maxmemory 99999999999gb")).unwrap().message.contains("wraps it around"));
        assert!(check_value(&first("maxmemory-policy allkeys-LRU")).is_none());
        assert!(check_value(&first("maxmemory-policy lru")).unwrap().message.contains("`noeviction`"));
        assert!(check_value(&first("protected-mode maybe")).is_some());
        assert!(check_value(&first("maxclients 1k")).unwrap().message.contains("not an integer"));
        assert!(check_value(&first("save 900 1 300 10")).is_none());
        assert!(check_value(&first("rename-command CONFIG \"\"")).is_none());
        assert!(check_value(&first("rename-command CONFIG")).is_some());
        assert!(check_value(&first("maxmemory 1 2")).unwrap().message.contains("wrong number"));
        // As the real server accepts them (scripts/gen-redis-config probes the arity).
        assert!(check_value(&first("replicaof redis-primary 6379")).is_none());
        assert!(check_value(&first("replicaof redis-primary")).unwrap().message.contains("2 arguments"));
        assert!(check_value(&first("latency-tracking-info-percentiles 50 99 99.9")).is_none());
        assert!(check_value(&first("bind")).is_none());
        assert!(check_value(&first("shutdown-on-sigterm save now")).is_none());
        assert!(check_value(&first("proc-title-template {title} {listen-addr}")).is_some());
        assert!(directive("maxmemory-polcy").is_none());
        assert_eq!(closest_directive("maxmemory-polcy"), Some("maxmemory-policy"));
        assert!(is_newer_directive("locale-collate"));
    }

    #[test]
    fn effective_configuration_of_a_compose_service() {
        let project = Project::from_sources(
            ProjectOptions::default(),
            &[
                ("docker-compose.yml", "services:\n  redis:\n    image: redis:7.4\n    command: redis-server /usr/local/etc/redis/redis.conf --maxmemory 64mb\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro\n      - ./redis/extra.conf:/etc/redis/extra.conf:ro\n    deploy:\n      resources:\n        limits:\n          memory: 256M\n"),
                ("redis/redis.conf", "maxmemory 30mb\ninclude /etc/redis/extra.conf\ninclude /etc/redis/missing.conf\n"),
                ("redis/extra.conf", "maxmemory-policy allkeys-lru\ninclude /usr/local/etc/redis/redis.conf\n"),
            ],
        );
        let servers = servers(&project);
        assert_eq!(servers.len(), 1, "{servers:#?}");
        let s = &servers[0];
        assert_eq!(s.service.as_deref(), Some("redis"));
        assert_eq!(s.image_tag.as_deref(), Some("7.4"));
        assert_eq!(s.target.memory, 256 * crate::MIB);
        let (setting, bytes) = s.maxmemory().unwrap();
        assert!(setting.command_line && setting.exact);
        assert_eq!(bytes, 64 * 1024 * 1024);
        assert_eq!(setting.directive.args[0].range.slice(&project.files[0].text), "64mb");
        assert_eq!(s.last("maxmemory-policy").and_then(|x| x.arg(0)), Some("allkeys-lru"));
        assert_eq!(s.all("maxmemory").count(), 2);
        let problems: Vec<_> = s.unresolved.iter().map(|u| (u.path.as_str(), u.problem.clone())).collect();
        assert_eq!(problems, [("/usr/local/etc/redis/redis.conf", IncludeProblem::Cycle), ("/etc/redis/missing.conf", IncludeProblem::Outside)]);
    }

    #[test]
    fn valkey_through_a_shell_with_a_variable() {
        let project = Project::from_sources(
            ProjectOptions::default(),
            &[
                ("docker-compose.yml", "services:\n  cache:\n    image: valkey/valkey:8.0\n    command: sh -c 'valkey-server /etc/valkey/valkey.conf --requirepass $$PASSWORD --maxmemory 64mb'\n    volumes:\n      - ./valkey.conf:/etc/valkey/valkey.conf:ro\n  other:\n    image: redis:7.4\n    command: /start-redis.sh\n"),
                ("valkey.conf", "maxmemory 1gb\n"),
            ],
        );
        let servers = servers(&project);
        let cache = servers.iter().find(|s| s.service.as_deref() == Some("cache")).unwrap();
        assert!(cache.config_file.as_ref().is_some_and(|f| f.ends_with("valkey.conf")), "{cache:#?}");
        assert!(cache.last("requirepass").unwrap().variable);
        let (max, bytes) = cache.maxmemory().unwrap();
        assert!(max.command_line && max.exact);
        assert_eq!(bytes, 64 << 20);
        let other = servers.iter().find(|s| s.service.as_deref() == Some("other")).unwrap();
        assert!(other.command_unknown);
    }

    #[test]
    fn a_dockerfile_exec_form_maps_to_its_literals() {
        let project = Project::from_sources(
            ProjectOptions::default(),
            &[
                ("docker-compose.yml", "services:\n  redis:\n    build: ./redis\n"),
                ("redis/Dockerfile", "FROM redis:7.4\nCMD [\"redis-server\", \"--maxmemory\", \"30mb\"]\n"),
            ],
        );
        let servers = servers(&project);
        let s = servers.iter().find(|s| s.service.as_deref() == Some("redis")).unwrap();
        let (max, bytes) = s.maxmemory().unwrap();
        assert_eq!(bytes, 30 << 20);
        assert!(max.exact, "{max:#?}");
        let text = &project.file(Path::new("redis/Dockerfile")).unwrap().text;
        assert_eq!(max.directive.args[0].range.slice(text), "\"30mb\"");
    }

    #[test]
    fn roles_from_the_links_and_files_alone() {
        let project = Project::from_sources(
            ProjectOptions::default(),
            &[
                ("docker-compose.yml", "services:\n  redis:\n    image: redis:7\n    command: redis-server --maxmemory 30mb\n  web:\n    image: app\n    environment:\n      CELERY_BROKER_URL: redis://redis:6379/0\n      CACHE_URL: redis://redis:6379/1\n"),
                ("conf/redis.conf", "maxmemory 1gb\n"),
            ],
        );
        let servers = servers(&project);
        assert_eq!(servers.len(), 2);
        let kinds: Vec<LinkKind> = servers[0].roles.iter().map(|r| r.kind.clone()).collect();
        assert!(kinds.contains(&LinkKind::Broker) && kinds.contains(&LinkKind::Cache), "{kinds:?}");
        assert!(servers[1].service.is_none());
        assert_eq!(servers[1].maxmemory().map(|(_, b)| b), Some(1 << 30));
    }
}
