//! PostgreSQL as the project runs it: the settings table of the real server, values read
//! as PostgreSQL reads them (units, booleans, enums, ranges), and the effective
//! configuration of each server: its `postgresql.conf` with `include`s in PostgreSQL's
//! order, `postgresql.auto.conf` beside it, then `-c name=value` / `--name=value` on its
//! command line; a `postgres` image run without a configuration runs the boot values.
//!
//! ```
//! use stacklint_project::{Project, ProjectOptions};
//! use stacklint_project::postgres::{self, Value};
//!
//! let conf = "shared_buffers = 1GB\ninclude 'tuning.conf'\n";
//! let tuning = "work_mem = '16MB'\nshared_buffers = 2GB\n";
//! let compose = "services:\n  db:\n    image: postgres:16\n    command: postgres -c config_file=/etc/postgresql/postgresql.conf -c max_connections=50\n    volumes:\n      - ./pg/postgresql.conf:/etc/postgresql/postgresql.conf\n      - ./pg/tuning.conf:/etc/postgresql/tuning.conf\n";
//! let project = Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", compose), ("pg/postgresql.conf", conf), ("pg/tuning.conf", tuning)]);
//! let servers = postgres::servers(&project);
//! let db = &servers[0];
//! assert_eq!(db.service.as_deref(), Some("db"));
//! // The include comes later in the file: its value wins.
//! assert_eq!(db.value("shared_buffers"), Some(Value::Int(262144)));
//! assert_eq!(db.bytes("work_mem"), Some(16 * 1024 * 1024));
//! assert_eq!(db.value("max_connections"), Some(Value::Int(50)));
//! assert!(db.table_note().contains("nearest"));
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use stacklint_syntax::postgres::{Entry, EntryKind};
use stacklint_text::TextRange;

use crate::deployment::{DeployedService, Origin, Role, normalize};
use crate::kind::FileKind;
use crate::project::Project;
use crate::target::Target;

static TSV_15: &str = include_str!("../data/postgres/15/settings.tsv");
static REMOVED_TSV: &str = include_str!("../data/postgres/removed.tsv");

/// PostgreSQL's type of a setting (`pg_settings.vartype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarType {
    Bool,
    Integer,
    Real,
    Enum,
    String,
}

/// The unit a bare number of a setting means.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BaseUnit {
    /// Bytes per unit: `8kB` pages are 8192.
    Bytes(u64),
    /// Milliseconds per unit: `s` is 1000.
    Millis(f64),
}

/// One row of `pg_settings`.
#[derive(Clone, Debug)]
pub struct SettingDef {
    pub name: String,
    pub vartype: VarType,
    /// `pg_settings.unit` as written (`8kB`, `ms`), empty when none.
    pub unit_text: String,
    pub unit: Option<BaseUnit>,
    pub boot: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub enumvals: Vec<String>,
    pub context: String,
}

/// A setting removed from PostgreSQL, and what replaced it.
#[derive(Clone, Debug)]
pub struct Removed {
    pub name: String,
    pub removed_in: String,
    pub replacement: Option<String>,
    /// The replacement's value is the old one times this, in `replacement_unit`.
    pub scale: Option<u64>,
    pub replacement_unit: String,
    pub note: String,
}

/// The settings of one PostgreSQL release.
#[derive(Debug)]
pub struct Table {
    pub major: u32,
    /// `15.18`
    pub version: String,
    settings: Vec<SettingDef>,
}

impl Table {
    fn load(tsv: &str) -> Table {
        let version = tsv.lines().next().and_then(|l| l.strip_prefix("# PostgreSQL ")).and_then(|l| l.split_whitespace().next()).unwrap_or("").to_owned();
        let major = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
        let mut settings: Vec<SettingDef> = tsv
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("name\t"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let get = |i: usize| f.get(i).copied().unwrap_or("");
                let vartype = match get(1) {
                    "bool" => VarType::Bool,
                    "integer" => VarType::Integer,
                    "real" => VarType::Real,
                    "enum" => VarType::Enum,
                    "string" => VarType::String,
                    _ => return None,
                };
                Some(SettingDef {
                    name: get(0).to_owned(),
                    vartype,
                    unit_text: get(2).to_owned(),
                    unit: base_unit(get(2)),
                    boot: get(3).to_owned(),
                    min: get(4).parse().ok(),
                    max: get(5).parse().ok(),
                    enumvals: get(6).split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                    context: get(7).to_owned(),
                })
            })
            .collect();
        settings.sort_by_key(|s| s.name.to_ascii_lowercase());
        Table { major, version, settings }
    }

    /// A setting by name, case-insensitive as PostgreSQL compares them.
    pub fn get(&self, name: &str) -> Option<&SettingDef> {
        let key = name.to_ascii_lowercase();
        self.settings.binary_search_by(|s| s.name.to_ascii_lowercase().cmp(&key)).ok().and_then(|i| self.settings.get(i))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.settings.iter().map(|s| s.name.as_str())
    }

    /// The known name closest to a misspelt one: at most 2 edits away (1 for a name of
    /// fewer than 8 characters). Tighter than a share of the length: settings of newer
    /// releases (`sync_replication_slots`) must not pass for typos of old ones.
    pub fn closest(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        let limit = if lower.len() < 8 { 1 } else { 2 };
        self.names().map(|n| (edit_distance(&lower, &n.to_ascii_lowercase()), n)).filter(|(d, _)| *d <= limit).min_by_key(|(d, _)| *d).map(|(_, n)| n)
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn base_unit(unit: &str) -> Option<BaseUnit> {
    Some(match unit {
        "B" => BaseUnit::Bytes(1),
        "kB" => BaseUnit::Bytes(1024),
        "8kB" => BaseUnit::Bytes(8192),
        "MB" => BaseUnit::Bytes(1024 * 1024),
        "us" => BaseUnit::Millis(0.001),
        "ms" => BaseUnit::Millis(1.0),
        "s" => BaseUnit::Millis(1000.0),
        "min" => BaseUnit::Millis(60_000.0),
        _ => return None,
    })
}

static TABLES: LazyLock<Vec<Table>> = LazyLock::new(|| vec![Table::load(TSV_15)]);

static REMOVED: LazyLock<Vec<Removed>> = LazyLock::new(|| {
    REMOVED_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("name\t"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("");
            (!get(0).is_empty()).then(|| Removed {
                name: get(0).to_owned(),
                removed_in: get(1).to_owned(),
                replacement: Some(get(2).to_owned()).filter(|r| !r.is_empty()),
                scale: get(3).parse().ok(),
                replacement_unit: get(4).to_owned(),
                note: get(5).to_owned(),
            })
        })
        .collect()
});

/// The table for a deployed major version: its own, or the nearest one there is.
pub fn table(major: Option<u32>) -> &'static Table {
    let tables: &'static [Table] = &TABLES;
    let want = major.unwrap_or(u32::MAX);
    tables.iter().min_by_key(|t| t.major.abs_diff(want)).unwrap_or_else(|| fallback_table())
}

fn fallback_table() -> &'static Table {
    static EMPTY: LazyLock<Table> = LazyLock::new(|| Table { major: 0, version: String::new(), settings: Vec::new() });
    &EMPTY
}

/// A setting PostgreSQL removed, by name.
pub fn removed(name: &str) -> Option<&'static Removed> {
    let list: &'static [Removed] = &REMOVED;
    list.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// A value as PostgreSQL holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    /// In the setting's base unit (`shared_buffers` in 8kB pages).
    Int(i64),
    Real(f64),
    /// The canonical (lower-case) enum value.
    Enum(String),
    Str(String),
}

/// Enums that also take every boolean spelling (PostgreSQL lists them as hidden values).
fn enum_accepts(def: &SettingDef, value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    if def.enumvals.iter().any(|e| e.eq_ignore_ascii_case(&v)) {
        return true;
    }
    let boolish = def.enumvals.iter().any(|e| e == "on" || e == "off");
    if boolish && parse_bool(value).is_some() {
        return true;
    }
    // wal_level's names before 9.6 are still read (both mean `replica`).
    def.name == "wal_level" && matches!(v.as_str(), "archive" | "hot_standby")
}

/// PostgreSQL's `parse_bool`: `on/off/true/false/yes/no/1/0`, case-insensitive, and
/// unambiguous prefixes (`t`, `of`; not `o`).
pub fn parse_bool(value: &str) -> Option<bool> {
    let v = value.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| v.len() >= min && word.starts_with(v.as_str());
    match v.chars().next()? {
        't' if prefix_of("true", 1) => Some(true),
        'f' if prefix_of("false", 1) => Some(false),
        'y' if prefix_of("yes", 1) => Some(true),
        'n' if prefix_of("no", 1) => Some(false),
        'o' if prefix_of("on", 2) && v.len() <= 2 => Some(true),
        'o' if prefix_of("off", 2) => Some(false),
        '1' if v.len() == 1 => Some(true),
        '0' if v.len() == 1 => Some(false),
        _ => None,
    }
}

/// C's `strtol(s, &end, 0)` then, on `.`/`e`/overflow, `strtod`: the number and what follows.
#[allow(clippy::cast_precision_loss)] // PostgreSQL holds the number in a double too
fn c_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits_end = |t: &str, f: fn(char) -> bool| t.find(|c: char| !f(c)).unwrap_or(t.len());
    let sign = if neg { -1.0 } else { 1.0 };
    let hex = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")).filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit()));
    let (int, rest) = if let Some(h) = hex {
        let n = digits_end(h, |c| c.is_ascii_hexdigit());
        (u64::from_str_radix(h.get(..n)?, 16).ok().map(|v| v as f64), h.get(n..)?)
    } else if body.starts_with('0') {
        let n = digits_end(body, |c| ('0'..='7').contains(&c));
        (u64::from_str_radix(body.get(..n)?, 8).ok().map(|v| v as f64), body.get(n..)?)
    } else {
        let n = digits_end(body, |c| c.is_ascii_digit());
        (if n == 0 { None } else { body.get(..n)?.parse::<u64>().ok().map(|v| v as f64) }, body.get(n..)?)
    };
    let int_failed = int.is_none() && rest.len() < body.len();
    if int.is_none() || int_failed || rest.starts_with(['.', 'e', 'E']) {
        // strtod: digits, a fraction, an exponent.
        let n = digits_end(body, |c| c.is_ascii_digit());
        let mut end = n;
        let mut has_digits = n > 0;
        if body.get(end..).is_some_and(|r| r.starts_with('.')) {
            let f = digits_end(body.get(end + 1..)?, |c| c.is_ascii_digit());
            has_digits |= f > 0;
            end += 1 + f;
        }
        if !has_digits {
            return None;
        }
        if let Some(exp) = body.get(end..).filter(|r| r.starts_with(['e', 'E'])) {
            let e = exp.get(1..)?;
            let signed = usize::from(e.starts_with(['+', '-']));
            let d = digits_end(e.get(signed..)?, |c| c.is_ascii_digit());
            if d > 0 {
                end += 1 + signed + d;
            }
        }
        let v: f64 = body.get(..end)?.parse().ok()?;
        return Some((sign * v, body.get(end..)?));
    }
    Some((sign * int.unwrap_or(0.0), rest))
}

/// Memory and time units PostgreSQL accepts after a number (case-sensitive).
fn unit_size(unit: &str) -> Option<BaseUnit> {
    Some(match unit {
        "B" => BaseUnit::Bytes(1),
        "kB" => BaseUnit::Bytes(1024),
        "MB" => BaseUnit::Bytes(1 << 20),
        "GB" => BaseUnit::Bytes(1 << 30),
        "TB" => BaseUnit::Bytes(1 << 40),
        "us" => BaseUnit::Millis(0.001),
        "ms" => BaseUnit::Millis(1.0),
        "s" => BaseUnit::Millis(1000.0),
        "min" => BaseUnit::Millis(60_000.0),
        "h" => BaseUnit::Millis(3_600_000.0),
        "d" => BaseUnit::Millis(86_400_000.0),
        _ => return None,
    })
}

/// A number with an optional unit, in the setting's base unit (not rounded).
#[allow(clippy::cast_precision_loss)] // unit sizes are powers of two, exact in a double
fn number_in_base(def: &SettingDef, text: &str) -> Result<f64, String> {
    let Some((v, rest)) = c_number(text) else { return Err(format!("`{text}` is not a number")) };
    if v.is_nan() {
        return Err(format!("`{text}` is not a number"));
    }
    let unit = rest.trim_matches([' ', '\t', '\n', '\r']);
    if unit.is_empty() {
        return Ok(v);
    }
    let hint = match def.unit {
        Some(BaseUnit::Bytes(_)) => "valid units are `B`, `kB`, `MB`, `GB` and `TB` (case matters)",
        Some(BaseUnit::Millis(_)) => "valid units are `us`, `ms`, `s`, `min`, `h` and `d`",
        None => return Err(format!("`{}` takes no unit, and `{unit}` is not part of a number", def.name)),
    };
    match (def.unit, unit_size(unit)) {
        (Some(BaseUnit::Bytes(base)), Some(BaseUnit::Bytes(u))) => Ok(v * u as f64 / base as f64),
        (Some(BaseUnit::Millis(base)), Some(BaseUnit::Millis(u))) => Ok(v * u / base),
        _ => Err(format!("not a unit of `{}` after the number: {hint}", def.name)),
    }
}

/// Read `text` as PostgreSQL reads a value of `def`; the error says why PostgreSQL refuses it.
pub fn parse_value(def: &SettingDef, text: &str) -> Result<Value, String> {
    let range = |v: f64| -> Result<(), String> {
        match (def.min, def.max) {
            (Some(min), Some(max)) if v < min || v > max => {
                let unit = if def.unit_text.is_empty() { String::new() } else { format!(" × {}", def.unit_text) };
                Err(format!("`{text}` is {}{unit}, outside the valid range of `{}` ({} .. {})", trim_float(v), def.name, trim_float(min), trim_float(max)))
            }
            _ => Ok(()),
        }
    };
    match def.vartype {
        VarType::Bool => parse_bool(text).map(Value::Bool).ok_or_else(|| format!("`{}` takes a boolean (`on`, `off`, `true`, `false`, `yes`, `no`, `1`, `0`), not `{text}`", def.name)),
        VarType::Integer => {
            let v = number_in_base(def, text)?.round_ties_even();
            if v > f64::from(i32::MAX) || v < f64::from(i32::MIN) {
                return Err(format!("`{text}` exceeds the integer range of `{}`", def.name));
            }
            range(v)?;
            #[allow(clippy::cast_possible_truncation)] // within i32 here
            Ok(Value::Int(v as i64))
        }
        VarType::Real => {
            let v = number_in_base(def, text)?;
            range(v)?;
            Ok(Value::Real(v))
        }
        VarType::Enum if enum_accepts(def, text) => Ok(Value::Enum(text.to_ascii_lowercase())),
        VarType::Enum => Err(format!("`{text}` is not a value of `{}`: one of {}", def.name, def.enumvals.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "))),
        VarType::String => Ok(Value::Str(text.to_owned())),
    }
}

fn trim_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v}") }
}

impl Value {
    /// An integer or real as a number.
    pub fn number(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Value::Int(v) => Some(*v as f64),
            Value::Real(v) => Some(*v),
            _ => None,
        }
    }
}

/// Where a setting's value came from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A line of a project file.
    File { path: PathBuf, entry: Entry },
    /// `-c name=value` or `--name=value` on the service's command line.
    CommandLine { origin: Origin, arg: String },
}

/// One assignment of a setting.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub name: String,
    pub value: String,
    pub source: Source,
}

impl Assignment {
    /// The file line, when it came from a file.
    pub fn entry(&self) -> Option<(&Path, &Entry)> {
        match &self.source {
            Source::File { path, entry } => Some((path, entry)),
            Source::CommandLine { .. } => None,
        }
    }
}

/// An include PostgreSQL cannot follow, or will refuse.
#[derive(Clone, Debug)]
pub struct IncludeProblem {
    pub file: PathBuf,
    pub range: TextRange,
    pub message: String,
    /// It names a path outside the project (absolute, or above its root): it may well
    /// exist on the server, only stacklint cannot read it.
    pub outside: bool,
}

/// How the deployed version was found.
#[derive(Clone, Debug)]
pub struct PgVersion {
    pub major: Option<u32>,
    /// "from `postgres:16` of service `db`", "from [versions]"; empty when unknown.
    pub from: String,
}

/// One PostgreSQL server of the project and its effective configuration.
#[derive(Clone, Debug)]
pub struct PgServer {
    /// The service running it; `None` for a configuration file no service reads (linted
    /// on its own).
    pub service: Option<String>,
    /// Where the service is defined (its `image:` line), for findings on the image's defaults.
    pub defined_at: Option<Origin>,
    /// The image the service runs (`postgres:16`).
    pub image: Option<String>,
    /// The service, by its index in the deployment (names may repeat across compose files).
    service_index: Option<usize>,
    /// The project file PostgreSQL reads first; `None` when it runs the image's defaults.
    pub main: Option<PathBuf>,
    /// Every project file read, in order.
    pub files: Vec<PathBuf>,
    /// Every assignment in the order PostgreSQL applies them: the last one of a name wins.
    pub assignments: Vec<Assignment>,
    pub problems: Vec<IncludeProblem>,
    pub target: Target,
    pub version: PgVersion,
}

impl PgServer {
    pub fn table(&self) -> &'static Table {
        table(self.version.major)
    }

    /// "PostgreSQL 15 settings" or, for another deployed major, which table stood in.
    pub fn table_note(&self) -> String {
        let t = self.table();
        match self.version.major {
            Some(m) if m == t.major => format!("PostgreSQL {m} {}", self.version.from),
            Some(m) => format!("PostgreSQL {m} {}; checked against the settings of {}, the nearest table stacklint has", self.version.from, t.version),
            None => format!("assuming PostgreSQL {}: declare [versions] postgres", t.version),
        }
    }

    /// The assignment in effect for `name`, if any (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Assignment> {
        self.assignments.iter().rev().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The value in effect: the last assignment that PostgreSQL accepts, else the boot value.
    pub fn value(&self, name: &str) -> Option<Value> {
        let def = self.table().get(name)?;
        match self.get(name) {
            Some(a) => parse_value(def, &a.value).ok(),
            None => parse_value(def, &def.boot).ok(),
        }
    }

    /// A memory setting in bytes.
    pub fn bytes(&self, name: &str) -> Option<u64> {
        let def = self.table().get(name)?;
        let (Some(BaseUnit::Bytes(unit)), Some(Value::Int(v))) = (def.unit, self.value(name)) else { return None };
        u64::try_from(v).ok().map(|v| v.saturating_mul(unit))
    }

    /// Whether the service runs an official PostgreSQL image as it is (`postgres`, `postgis`,
    /// `pgvector`, `timescaledb` from compose `image:`, not built from a project Dockerfile,
    /// which may configure anything): then its boot values are known.
    pub fn runs_official_image(&self, project: &Project) -> bool {
        let Some(s) = self.service_index.and_then(|i| project.deployment.services.get(i)) else { return false };
        let name = self.image.as_deref().map_or("", |i| i.rsplit('/').next().unwrap_or(i).split(':').next().unwrap_or(""));
        s.build.is_none() && matches!(name, "postgres" | "postgis" | "pgvector" | "timescaledb" | "timescaledb-ha")
    }

    /// Whether `fsync` is off: PostgreSQL's documentation keeps that for data that can be
    /// thrown away (a test database), so sizing advice does not apply.
    pub fn disposable(&self) -> bool {
        self.value("fsync") == Some(Value::Bool(false))
    }

    /// Whether the main file is a whole configuration (the file a service's PostgreSQL
    /// reads, or a `postgresql.conf`) rather than a fragment meant to be included
    /// (`10-tuning.conf`): only a whole one tells that a setting is unset.
    pub fn main_is_whole(&self) -> bool {
        self.service.is_some() || self.main.as_deref().and_then(Path::file_name).is_some_and(|n| n == "postgresql.conf")
    }

    /// The file a setting can be added to (the main file), when PostgreSQL reads one.
    pub fn main_file(&self) -> Option<&Path> {
        self.main.as_deref()
    }

    /// "service `db`" or the file, for messages.
    pub fn label(&self) -> String {
        match (&self.service, &self.main) {
            (Some(s), _) => format!("service `{s}`"),
            (None, Some(f)) => f.display().to_string(),
            (None, None) => "postgres".to_owned(),
        }
    }
}

/// Includes nested deeper than this are refused (PostgreSQL's own limit is 10).
const MAX_DEPTH: usize = 10;

/// Every PostgreSQL server of the project: each `postgres` service (with the file it
/// reads, or the image's defaults), then each PostgreSQL file no service reads and no
/// other file includes, on its own.
pub fn servers(project: &Project) -> &[PgServer] {
    project.postgres_servers.get_or_init(|| find_servers(project))
}

fn find_servers(project: &Project) -> Vec<PgServer> {
    let mut out = Vec::new();
    let mut covered: HashSet<PathBuf> = HashSet::new();
    for (index, s) in project.deployment.services.iter().enumerate() {
        let main = s.config_files.iter().filter(|c| c.program == "postgres").find_map(|c| c.file.clone()).or_else(|| data_dir_config(s));
        let runs_postgres = s.role == Role::Postgres || main.is_some();
        if !runs_postgres {
            continue;
        }
        let mut server = PgServer {
            service: Some(s.name.clone()),
            defined_at: Some(s.image.as_ref().map_or_else(|| s.defined_in.clone(), |i| i.origin.clone())),
            image: s.image.as_ref().map(|i| i.value.clone()),
            service_index: Some(index),
            main: main.clone(),
            files: Vec::new(),
            assignments: Vec::new(),
            problems: Vec::new(),
            target: s.target.clone(),
            version: service_version(project, s),
        };
        if let Some(main) = &main {
            read_with_auto(project, &mut server, main);
        }
        command_line(s, &mut server);
        covered.extend(server.files.iter().cloned());
        out.push(server);
    }
    // Files included by another file belong to that file's server (in a cycle, to the
    // first of its files).
    let mut reach: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for file in project.files_of(FileKind::Postgres) {
        let mut probe = blank_server(project, &file.path);
        read_with_auto(project, &mut probe, &file.path);
        reach.push((file.path.clone(), probe.files));
    }
    let reaches = |from: &Path, to: &Path| reach.iter().any(|(f, r)| f == from && r.iter().any(|x| x == to));
    for file in project.files_of(FileKind::Postgres) {
        let p = &file.path;
        let included = reach.iter().any(|(other, r)| other != p && r.contains(p) && !reaches(p, other));
        if covered.contains(p) || included || file.template.is_some() {
            continue;
        }
        let mut server = blank_server(project, p);
        server.main = Some(p.clone());
        read_with_auto(project, &mut server, p);
        covered.extend(server.files.iter().cloned());
        out.push(server);
    }
    out
}

/// Without `config_file`, PostgreSQL reads `postgresql.conf` in its data directory: the
/// official image's `PGDATA` (`/var/lib/postgresql/data` before 18, the image's default).
fn data_dir_config(s: &DeployedService) -> Option<PathBuf> {
    if s.role != Role::Postgres {
        return None;
    }
    let major = s.image.as_ref().and_then(|i| image_major(&i.value));
    let default = match major {
        Some(m) if m >= 18 => format!("/var/lib/postgresql/{m}/docker"),
        _ => "/var/lib/postgresql/data".to_owned(),
    };
    let pgdata = s.env("PGDATA").and_then(|e| e.value.clone()).unwrap_or(default);
    s.file_at(&format!("{}/postgresql.conf", pgdata.trim_end_matches('/'))).map(Path::to_path_buf)
}

fn blank_server(project: &Project, path: &Path) -> PgServer {
    PgServer {
        service: None,
        defined_at: None,
        image: None,
        service_index: None,
        main: None,
        files: Vec::new(),
        assignments: Vec::new(),
        problems: Vec::new(),
        target: project.compose.target_for_file(project, path),
        version: project_version(project),
    }
}

/// The main file, then `postgresql.auto.conf` beside it when the project has one.
fn read_with_auto(project: &Project, server: &mut PgServer, main: &Path) {
    read_file(project, server, main, 0, &mut Vec::new());
    let auto = main.with_file_name("postgresql.auto.conf");
    if auto != main && !server.files.contains(&auto) && project.file(&auto).is_some() {
        read_file(project, server, &auto, 0, &mut Vec::new());
    }
}

fn read_file(project: &Project, server: &mut PgServer, path: &Path, depth: usize, stack: &mut Vec<PathBuf>) {
    let Some(file) = project.file(path) else { return };
    let Some(conf) = file.postgres() else { return };
    stack.push(path.to_path_buf());
    if !server.files.iter().any(|f| f == path) {
        server.files.push(path.to_path_buf());
    }
    for e in conf.entries() {
        match e.kind {
            EntryKind::Setting => server.assignments.push(Assignment { name: e.name.clone(), value: e.value.clone(), source: Source::File { path: path.to_path_buf(), entry: e.clone() } }),
            EntryKind::Include | EntryKind::IncludeIfExists => {
                let Some(target) = resolve(project, server, path, &e.value) else {
                    if e.kind == EntryKind::Include {
                        let outside = e.value.starts_with('/') || join_rel(path, &e.value).starts_with("..");
                        let message = if outside {
                            format!("`include '{}'` names a file outside the project: stacklint does not read it, so what it sets is not checked", e.value)
                        } else {
                            format!("`include '{}'` names no file of the project: PostgreSQL refuses to start when an `include` is missing, and stacklint cannot check what it sets", e.value)
                        };
                        server.problems.push(IncludeProblem { file: path.to_path_buf(), range: e.line_range, message, outside });
                    }
                    continue;
                };
                include(project, server, path, e, &target, depth, stack);
            }
            EntryKind::IncludeDir => {
                let dir = join_rel(path, &e.value);
                // PostgreSQL: the directory's files ending in `.conf` (case-sensitive, as its
                // `strcmp`), not starting with `.`, by name.
                #[allow(clippy::case_sensitive_file_extension_comparisons)]
                let mut found: Vec<PathBuf> = project
                    .files_under(&dir)
                    .filter(|(p, _)| p.parent() == Some(dir.as_path()))
                    .filter(|(p, _)| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".conf") && !n.starts_with('.')))
                    .map(|(_, f)| f.path.clone())
                    .collect();
                found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
                if found.is_empty() {
                    server.problems.push(IncludeProblem { file: path.to_path_buf(), range: e.line_range, message: format!("`include_dir '{}'` holds no `.conf` file of the project: what the server finds there is not checked", e.value), outside: true });
                }
                for f in found {
                    include(project, server, path, e, &f, depth, stack);
                }
            }
        }
    }
    stack.pop();
}

fn include(project: &Project, server: &mut PgServer, from: &Path, e: &Entry, target: &Path, depth: usize, stack: &mut Vec<PathBuf>) {
    if stack.iter().any(|s| s == target) {
        server.problems.push(IncludeProblem { file: from.to_path_buf(), range: e.line_range, message: format!("`{} '{}'` includes a file that is already being read ({}): PostgreSQL gives up at its nesting limit and refuses to start", e.name, e.value, target.strip_prefix(&project.root).unwrap_or(target).display()), outside: false });
        return;
    }
    if depth + 1 > MAX_DEPTH {
        server.problems.push(IncludeProblem { file: from.to_path_buf(), range: e.line_range, message: format!("`{} '{}'` nests includes deeper than PostgreSQL's limit (10 files): it refuses to start", e.name, e.value), outside: false });
        return;
    }
    read_file(project, server, target, depth + 1, stack);
}

/// A relative include is relative to the including file's folder; an absolute one is a
/// path in the container of the server's service.
fn resolve(project: &Project, server: &PgServer, from: &Path, value: &str) -> Option<PathBuf> {
    if value.starts_with('/') {
        let service = project.deployment.services.get(server.service_index?)?;
        return service.file_at(value).map(Path::to_path_buf);
    }
    let p = join_rel(from, value);
    project.files_under(&p).find(|(n, _)| *n == p.as_path()).map(|(_, f)| f.path.clone())
}

fn join_rel(from: &Path, value: &str) -> PathBuf {
    normalize(&from.parent().unwrap_or(Path::new("")).join(value))
}

/// `-c name=value`, `-cname=value`, `--name=value` (dashes read as underscores), `-B`
/// (shared_buffers) and `-N` (max_connections) after `postgres` on the command line.
fn command_line(s: &DeployedService, server: &mut PgServer) {
    let Some(c) = &s.command else { return };
    let argv = &c.argv;
    let args: &[String] = match argv.iter().position(|a| a == "postgres" || a.ends_with("/postgres")) {
        Some(at) => argv.get(at + 1..).unwrap_or_default(),
        // The official image's entrypoint runs `postgres` with arguments that start with `-`.
        None if argv.first().is_some_and(|a| a.starts_with('-')) => argv,
        None => return,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        // The `name=value` it sets, and the argument as written (`-c name=value`, `--name=value`, `-B 128`).
        let (kv, arg) = match a.as_str() {
            "-c" | "-B" | "-N" => {
                let v = it.next().map_or("", String::as_str);
                let kv = match a.as_str() {
                    "-B" => format!("shared_buffers={v}"),
                    "-N" => format!("max_connections={v}"),
                    _ => v.to_owned(),
                };
                (Some(kv), format!("{a} {v}"))
            }
            other => (other.strip_prefix("--").or_else(|| other.strip_prefix("-c")).map(str::to_owned), a.clone()),
        };
        let Some((name, value)) = kv.as_deref().and_then(|kv| kv.split_once('=')) else { continue };
        let name = name.replace('-', "_");
        if name == "config_file" {
            continue;
        }
        server.assignments.push(Assignment { name, value: value.to_owned(), source: Source::CommandLine { origin: c.origin.clone(), arg } });
    }
}

/// `postgres:16-alpine` → 16, `pgvector/pgvector:pg16` → 16, `postgis/postgis:15-3.4` → 15.
pub fn image_major(image: &str) -> Option<u32> {
    let tag = image.rsplit_once(':').map(|(_, t)| t)?;
    let tag = tag.strip_prefix("pg").unwrap_or(tag);
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|m| (9..=30).contains(m))
}

fn service_version(project: &Project, s: &DeployedService) -> PgVersion {
    match s.image.as_ref().and_then(|i| image_major(&i.value).map(|m| (m, i))) {
        Some((major, image)) => PgVersion { major: Some(major), from: format!("from `{}` of service `{}`", image.value, s.name) },
        None => project_version(project),
    }
}

fn project_version(project: &Project) -> PgVersion {
    match &project.versions.postgres {
        Some(k) => PgVersion {
            major: k.version.parts.first().and_then(|m| u32::try_from(*m).ok()),
            from: match &k.source {
                crate::VersionSource::Config => "from [versions]".to_owned(),
                crate::VersionSource::File { path, .. } => format!("from {}", path.strip_prefix(&project.root).unwrap_or(path).display()),
            },
        },
        None => PgVersion { major: None, from: String::new() },
    }
}

/// Bytes as PostgreSQL is best given them: the largest of `GB`, `MB`, `kB` that divides
/// them exactly (PGTune writes `7864kB`).
pub fn format_memory(bytes: u64) -> String {
    const KB: u64 = 1024;
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{}GB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{}MB", bytes >> 20)
    } else {
        format!("{}kB", bytes / KB)
    }
}

/// The line style of a file's settings: whether it writes `name = value` (most files) or `name value`.
pub fn uses_equals(project: &Project, path: &Path) -> bool {
    project.file(path).and_then(|f| f.postgres()).is_none_or(|c| {
        let (with, without) = c.settings().fold((0, 0), |(w, wo), e| if e.equals { (w + 1, wo) } else { (w, wo + 1) });
        with >= without
    })
}

/// The assignments of a server, last one per name (case-insensitive), in first-seen order.
pub fn effective(server: &PgServer) -> BTreeMap<String, &Assignment> {
    let mut map = BTreeMap::new();
    for a in &server.assignments {
        map.insert(a.name.to_ascii_lowercase(), a);
    }
    map
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn def(name: &str) -> &'static SettingDef {
        table(Some(15)).get(name).unwrap()
    }

    #[test]
    fn the_table_is_postgres_15() {
        let t = table(Some(15));
        assert_eq!(t.major, 15);
        assert!(t.names().count() > 300);
        assert_eq!(def("TimeZone").name, "TimeZone");
        assert_eq!(def("timezone").name, "TimeZone");
        assert_eq!(def("shared_buffers").unit, Some(BaseUnit::Bytes(8192)));
        assert_eq!(table(Some(16)).major, 15);
        assert_eq!(table(None).major, 15);
    }

    #[test]
    fn memory_and_time_units_as_postgres_reads_them() {
        // The values `postgres -C` printed for these (see the oracle test).
        assert_eq!(parse_value(def("shared_buffers"), "128MB"), Ok(Value::Int(16384)));
        assert_eq!(parse_value(def("shared_buffers"), "1000"), Ok(Value::Int(1000)));
        assert_eq!(parse_value(def("shared_buffers"), "1000 MB"), Ok(Value::Int(128_000)));
        assert_eq!(parse_value(def("shared_buffers"), "1000kB"), Ok(Value::Int(125)));
        assert_eq!(parse_value(def("work_mem"), "1.5GB"), Ok(Value::Int(1_572_864)));
        assert_eq!(parse_value(def("work_mem"), "0x100"), Ok(Value::Int(256)));
        assert_eq!(parse_value(def("log_min_duration_statement"), "-1"), Ok(Value::Int(-1)));
        assert_eq!(parse_value(def("log_min_duration_statement"), "1.5s"), Ok(Value::Int(1500)));
        assert_eq!(parse_value(def("log_min_duration_statement"), "2min"), Ok(Value::Int(120_000)));
        assert_eq!(parse_value(def("checkpoint_timeout"), "1h"), Ok(Value::Int(3600)));
        assert!(parse_value(def("work_mem"), "100B").unwrap_err().contains("outside the valid range"));
        assert!(parse_value(def("work_mem"), "99999999999GB").unwrap_err().contains("integer range"));
        assert!(parse_value(def("work_mem"), "4mb").unwrap_err().contains("case matters"));
        assert!(parse_value(def("work_mem"), "4s").unwrap_err().contains("not a unit of `work_mem`"));
        assert!(parse_value(def("max_connections"), "100MB").unwrap_err().contains("takes no unit"));
        assert!(parse_value(def("shared_buffers"), "12").unwrap_err().contains("16 .. 1073741823"));
        assert!(parse_value(def("work_mem"), "lots").unwrap_err().contains("not a number"));
        assert_eq!(parse_value(def("random_page_cost"), "1.1"), Ok(Value::Real(1.1)));
    }

    #[test]
    fn booleans_and_enums() {
        for (v, b) in [("on", true), ("OFF", false), ("t", true), ("of", false), ("yes", true), ("n", false), ("1", true), ("0", false), ("TRUE", true)] {
            assert_eq!(parse_bool(v), Some(b), "{v}");
        }
        for v in ["o", "2", "", "onn", "yess"] {
            assert_eq!(parse_bool(v), None, "{v}");
        }
        assert_eq!(parse_value(def("wal_level"), "REPLICA"), Ok(Value::Enum("replica".into())));
        assert!(parse_value(def("wal_level"), "hot_standby").is_ok());
        assert!(parse_value(def("synchronous_commit"), "true").is_ok());
        assert!(parse_value(def("wal_level"), "full").unwrap_err().contains("`minimal`, `replica`, `logical`"));
        assert!(parse_value(def("jit"), "o").is_err());
    }

    #[test]
    fn closest_names_and_removed_settings() {
        let t = table(Some(15));
        assert_eq!(t.closest("shared_buffer"), Some("shared_buffers"));
        assert_eq!(t.closest("work_mems"), Some("work_mem"));
        assert_eq!(t.closest("effective_cache_sizes"), Some("effective_cache_size"));
        assert_eq!(t.closest("maintenance_workmem"), Some("maintenance_work_mem"));
        assert_eq!(t.closest("completely_unrelated_thing"), None);
        let r = removed("checkpoint_segments").unwrap();
        assert_eq!((r.replacement.as_deref(), r.scale, r.removed_in.as_str()), (Some("max_wal_size"), Some(48), "9.5"));
        assert!(t.get(r.replacement.as_deref().unwrap()).is_some());
    }

    #[test]
    fn settings_of_newer_releases_are_no_typos_of_15s() {
        // Added in PostgreSQL 16-18: the rule reports an unknown name without a close known
        // one only on the table's own release, so none of these may look like a typo.
        let t = table(Some(15));
        for name in [
            "debug_parallel_query", "scram_iterations", "reserved_connections", "vacuum_buffer_usage_limit", "createrole_self_grant", "icu_validation_level",
            "summarize_wal", "wal_summary_keep_time", "io_combine_limit", "transaction_timeout", "event_triggers", "allow_alter_system", "commit_timestamp_buffers",
            "multixact_member_buffers", "notify_buffers", "serializable_buffers", "subtransaction_buffers", "transaction_buffers", "huge_pages_status",
            "sync_replication_slots", "synchronized_standby_slots", "io_method", "io_workers", "autovacuum_worker_slots", "vacuum_truncate", "log_lock_failures",
            "md5_password_warnings", "ssl_groups", "ssl_tls13_ciphers", "idle_replication_slot_timeout", "file_copy_method", "enable_self_join_elimination",
        ] {
            assert_eq!(t.closest(name), None, "{name}");
        }
    }

    #[test]
    fn image_majors() {
        assert_eq!(image_major("postgres:16"), Some(16));
        assert_eq!(image_major("postgres:16.4-alpine"), Some(16));
        assert_eq!(image_major("pgvector/pgvector:pg17"), Some(17));
        assert_eq!(image_major("postgres"), None);
        assert_eq!(image_major("postgres:latest"), None);
        assert_eq!(format_memory(768 << 20), "768MB");
        assert_eq!(format_memory(2 << 30), "2GB");
        assert_eq!(format_memory(7864 * 1024), "7864kB");
    }

    fn project(sources: &[(&str, &str)]) -> Project {
        Project::from_sources(crate::ProjectOptions::default(), sources)
    }

    #[test]
    fn includes_in_postgres_order() {
        let p = project(&[
            ("db/postgresql.conf", "work_mem = 1MB\ninclude_dir 'conf.d'\nmax_connections = 10\ninclude_if_exists 'missing.conf'\ninclude 'gone.conf'\n"),
            ("db/conf.d/20-b.conf", "work_mem = 3MB\n"),
            ("db/conf.d/10-a.conf", "work_mem = 2MB\nmax_connections = 20\n"),
            ("db/conf.d/.hidden.conf", "work_mem = 9MB\n"),
            ("db/conf.d/notes.txt", "work_mem = 9MB\n"),
            ("db/postgresql.auto.conf", "max_connections = 30\n"),
        ]);
        let servers = servers(&p);
        // The hidden file and the .txt are not read by the server (here they are files of their own).
        let s = servers.iter().find(|s| s.main.as_deref() == Some(Path::new("db/postgresql.conf"))).unwrap();
        assert!(!servers.iter().any(|s| s.main.as_deref() == Some(Path::new("db/conf.d/10-a.conf"))));
        assert_eq!(s.bytes("work_mem"), Some(3 << 20));
        assert_eq!(s.value("max_connections"), Some(Value::Int(30)));
        assert_eq!(s.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(), ["db/postgresql.conf", "db/conf.d/10-a.conf", "db/conf.d/20-b.conf", "db/postgresql.auto.conf"]);
        assert_eq!(s.problems.len(), 1);
        assert!(s.problems[0].message.contains("`include 'gone.conf'`"));
    }

    #[test]
    fn include_cycles_are_bounded() {
        let p = project(&[("db/postgresql.conf", "include 'postgres-b.conf'\nwork_mem = 1MB\n"), ("db/postgres-b.conf", "include 'postgresql.conf'\ninclude 'postgres-b.conf'\n")]);
        let s = &servers(&p)[0];
        assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
        assert!(s.problems.iter().all(|p| p.message.contains("already being read")));
    }

    #[test]
    fn the_data_directory_config_of_the_image() {
        let compose = "services:\n  db:\n    image: postgres:16\n    environment:\n      PGDATA: /pg\n    volumes:\n      - ./db/postgresql.conf:/pg/postgresql.conf\n";
        let p = project(&[("docker-compose.yml", compose), ("db/postgresql.conf", "shared_buffers = 1GB\n")]);
        let servers = servers(&p);
        assert_eq!(servers.len(), 1, "{servers:?}");
        assert_eq!(servers[0].main.as_deref(), Some(Path::new("db/postgresql.conf")));
        assert_eq!(servers[0].bytes("shared_buffers"), Some(1 << 30));
    }

    #[test]
    fn image_defaults_and_command_line() {
        let compose = "services:\n  db:\n    image: postgres:15\n    command: [\"-c\", \"shared_buffers=256MB\", \"--work-mem=8MB\"]\n  plain:\n    image: postgres\n";
        let p = project(&[("docker-compose.yml", compose)]);
        let servers = servers(&p);
        let db = servers.iter().find(|s| s.service.as_deref() == Some("db")).unwrap();
        assert_eq!(db.bytes("shared_buffers"), Some(256 << 20));
        assert_eq!(db.bytes("work_mem"), Some(8 << 20));
        assert_eq!(db.table_note(), "PostgreSQL 15 from `postgres:15` of service `db`");
        let plain = servers.iter().find(|s| s.service.as_deref() == Some("plain")).unwrap();
        assert!(plain.main.is_none());
        assert_eq!(plain.bytes("shared_buffers"), Some(128 << 20));
        assert!(plain.table_note().contains("assuming") || plain.version.major.is_some());
    }
}
