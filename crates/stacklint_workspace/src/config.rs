//! `stacklint.toml`, `.stacklint.toml` and `[tool.stacklint]` in `pyproject.toml`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::Severity;
use stacklint_project::{FileKind, Storage, Target, TargetSource, parse_cpus, parse_memory};
use stacklint_text::LineIndex;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{ConfigError, Location};
use crate::glob::{self, GlobMap, PathGlobs};
use crate::paths::{absolute, display_path};
use crate::suggest::closest;

/// The configuration file names, in the order they win within one directory.
pub const CONFIG_FILE_NAMES: [&str; 3] = ["stacklint.toml", ".stacklint.toml", "pyproject.toml"];

const TOP_KEYS: &[&str] = &[
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "per-file-ignores",
    "severity",
    "target",
    "versions",
    "django",
    "files",
    "capacity",
];
const TARGET_KEYS: &[&str] = &["cpus", "memory", "storage"];
const VERSION_KEYS: &[&str] = &["nginx", "postgres", "redis", "django", "gunicorn"];
const DJANGO_KEYS: &[&str] = &["settings-module"];
const CAPACITY_KEYS: &[&str] = &["request-time", "cpu-time", "connect-time", "connect-cpu-time", "connect-db-cpu-time", "nginx-cpu-time", "upstream-connect-cpu-time", "think-time", "static-share", "worker-memory"];

/// `[capacity]`: the numbers `stacklint capacity` cannot read from the configuration, as
/// the project measured them (each `None` when not declared).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapacityInputs {
    /// `request-time`: wall time of a request in the app, ms.
    pub request_ms: Option<f64>,
    /// `cpu-time`: CPU time of a request, ms.
    pub cpu_ms: Option<f64>,
    /// `connect-time` / `connect-cpu-time` / `connect-db-cpu-time`: what opening a
    /// database connection adds, ms: wall time, the app's CPU, the database's CPU.
    pub connect_ms: Option<f64>,
    pub connect_cpu_ms: Option<f64>,
    pub connect_db_cpu_ms: Option<f64>,
    /// `nginx-cpu-time` / `upstream-connect-cpu-time`: nginx's CPU per request, and what a
    /// new connection from nginx to the app adds, ms.
    pub nginx_cpu_ms: Option<f64>,
    pub upstream_connect_cpu_ms: Option<f64>,
    /// `think-time`: seconds between one user's requests.
    pub think_s: Option<f64>,
    /// `worker-memory`: a worker process's resident size, MiB.
    pub worker_mib: Option<f64>,
    /// `static-share`: the share of requests served before the app (0 to 1).
    pub static_share: Option<f64>,
}

/// Versions the project declares in `[versions]`; `None` when not declared there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Versions {
    pub nginx: Option<String>,
    pub postgres: Option<String>,
    pub redis: Option<String>,
    pub django: Option<String>,
    pub gunicorn: Option<String>,
}

/// A resolved configuration: one file (or the defaults) plus any command-line overrides.
///
/// Rule selectors (`select`, `ignore`, `extend_select`, `per_file_ignores`, `severity` keys)
/// are kept as written; the linter validates them against its registry.
#[derive(Clone, Debug)]
pub struct Config {
    /// The configuration file (absolute); `None` for the defaults.
    pub path: Option<PathBuf>,
    /// The directory globs are relative to: the configuration file's directory (absolute).
    pub root: PathBuf,
    /// `select`: `None` means the linter's default selection.
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub extend_select: Vec<String>,
    /// `exclude`, on top of `.gitignore`.
    pub exclude: PathGlobs,
    /// `per-file-ignores`: glob → rule selectors.
    pub per_file_ignores: GlobMap<Vec<String>>,
    /// `[severity]`: rule selector → severity.
    pub severity: BTreeMap<String, Severity>,
    /// `[target]` over the default, each value with its source.
    pub target: Target,
    pub versions: Versions,
    /// `[django] settings-module`.
    pub django_settings_module: Option<String>,
    /// `[files]`: glob → kind, for files whose kind cannot be guessed.
    pub files: GlobMap<FileKind>,
    /// `[capacity]`: measured inputs of `stacklint capacity`.
    pub capacity: CapacityInputs,
}

/// Command-line settings that override the configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--select`: replaces the configuration's `select` and `extend-select`.
    pub select: Option<Vec<String>>,
    /// `--ignore`: added to the configuration's `ignore`.
    pub ignore: Vec<String>,
    /// `--extend-select`: added to the configuration's `extend-select`.
    pub extend_select: Vec<String>,
    /// `--target cpus=4,memory=8GiB[,storage=ssd]`: overrides `[target]` key by key.
    pub target: Option<String>,
}

impl Overrides {
    /// Check what can be checked without a configuration (the `--target` syntax).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.apply_target(Target::default()).map(|_| ())
    }

    fn apply_target(&self, target: Target) -> Result<Target, ConfigError> {
        match &self.target {
            None => Ok(target),
            Some(spec) => target
                .with_spec(spec, TargetSource::CommandLine)
                .map_err(|message| ConfigError::InvalidTarget {
                    spec: spec.clone(),
                    message,
                }),
        }
    }
}

impl Config {
    /// The defaults, for a project without a configuration file rooted at `root`.
    pub fn default_for(root: &Path) -> Config {
        Config {
            path: None,
            root: absolute(root),
            select: None,
            ignore: Vec::new(),
            extend_select: Vec::new(),
            exclude: PathGlobs::default(),
            per_file_ignores: GlobMap::default(),
            severity: BTreeMap::new(),
            target: Target::default(),
            versions: Versions::default(),
            django_settings_module: None,
            files: GlobMap::default(),
            capacity: CapacityInputs::default(),
        }
    }

    /// Parse configuration text as if read from `path` (which names it in errors and gives
    /// the root). A file named `pyproject.toml` is read from its `[tool.stacklint]` table and
    /// is an error without one.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        match parse_file(text, path)? {
            Some(config) => Ok(config),
            None => Err(ConfigError::NoStacklintTable {
                path: display_path(path),
            }),
        }
    }

    /// Apply command-line overrides.
    pub fn apply_overrides(&mut self, overrides: &Overrides) -> Result<(), ConfigError> {
        self.target = overrides.apply_target(self.target.clone())?;
        if let Some(select) = &overrides.select {
            self.select = Some(select.clone());
            self.extend_select.clear();
        }
        self.ignore.extend(overrides.ignore.iter().cloned());
        self.extend_select
            .extend(overrides.extend_select.iter().cloned());
        Ok(())
    }

    /// `path` relative to the root (absolute when it is outside), for matching globs.
    pub fn relative(&self, path: &Path) -> PathBuf {
        let abs = absolute(path);
        match abs.strip_prefix(&self.root) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => abs,
        }
    }

    /// Whether `exclude` excludes `path` (or a directory it is in).
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.exclude.is_match(&self.relative(path))
    }

    /// The kind `[files]` gives `path`, if any (the first matching glob as written).
    pub fn kind_override(&self, path: &Path) -> Option<FileKind> {
        self.files.first_match(&self.relative(path)).copied()
    }

    /// Whether `path` is the module `[django] settings-module` names (`a.b.prod` is
    /// `…/a/b/prod.py` or `…/a/b/prod/__init__.py`, below any source folder).
    pub fn is_settings_module(&self, path: &Path) -> bool {
        let Some(module) = &self.django_settings_module else {
            return false;
        };
        let rel = self.relative(path);
        let mut parts: Vec<&str> = module.split('.').collect();
        let file = if rel.file_name().is_some_and(|n| n == "__init__.py") {
            rel.parent().map(Path::to_path_buf)
        } else if rel.extension().is_some_and(|e| e == "py") {
            Some(rel.with_extension(""))
        } else {
            None
        };
        let Some(file) = file else { return false };
        let mut components = file.components().rev();
        while let Some(part) = parts.pop() {
            if components.next().is_none_or(|c| c.as_os_str() != part) {
                return false;
            }
        }
        true
    }

    /// The rule selectors `per-file-ignores` ignores in `path`.
    pub fn ignores_for(&self, path: &Path) -> Vec<&str> {
        self.per_file_ignores
            .matching(&self.relative(path))
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// Read a configuration file (the `--config` path). `pyproject.toml` must have a
/// `[tool.stacklint]` table; any other name is read as a `stacklint.toml`.
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: display_path(path),
        source,
    })?;
    Config::from_toml(&text, &absolute(path))
}

/// The configuration that governs `start` (a file or directory): the closest
/// `stacklint.toml`, `.stacklint.toml` or `pyproject.toml` with `[tool.stacklint]` in it or
/// its parents. `None` when there is none up to the file system's root.
pub fn find_config(start: &Path) -> Result<Option<Config>, ConfigError> {
    let start = absolute(start);
    let dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent().unwrap_or(&start)
    };
    for dir in dir.ancestors() {
        if let Some(config) = config_in_dir(dir)? {
            return Ok(Some(config));
        }
    }
    Ok(None)
}

/// The configuration in `dir` itself, if any.
pub(crate) fn config_in_dir(dir: &Path) -> Result<Option<Config>, ConfigError> {
    for name in CONFIG_FILE_NAMES {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: display_path(&path),
            source,
        })?;
        if name == "pyproject.toml" && !text.contains("stacklint") {
            // Cheap and robust: a pyproject that never names us is not ours, even if broken.
            continue;
        }
        if let Some(config) = parse_file(&text, &path)? {
            return Ok(Some(config));
        }
    }
    Ok(None)
}

/// Parse a configuration; `Ok(None)` for a `pyproject.toml` without `[tool.stacklint]`.
fn parse_file(text: &str, path: &Path) -> Result<Option<Config>, ConfigError> {
    let abs = absolute(path);
    let root = abs.parent().map_or_else(|| abs.clone(), Path::to_path_buf);
    let doc = Doc {
        display: display_path(path),
        index: LineIndex::new(text),
        text,
        prefix: "",
    };
    let table = DeTable::parse(text).map_err(|e| ConfigError::Syntax {
        location: doc.location(e.span().unwrap_or(0..0)),
        message: e.message().trim().to_owned(),
    })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let mut config = Config::default_for(&root);
    config.path = Some(abs);
    if is_pyproject {
        let doc = Doc {
            prefix: "tool.stacklint.",
            ..doc
        };
        let Some(tool) = entry(table.get_ref(), "tool") else {
            return Ok(None);
        };
        let Some(tool) = tool.1.get_ref().as_table() else {
            return Ok(None);
        };
        let Some((key, value)) = entry(tool, "stacklint") else {
            return Ok(None);
        };
        let DeValue::Table(stacklint) = value.get_ref() else {
            return Err(ConfigError::InvalidValue {
                key: "tool.stacklint".to_owned(),
                location: doc.location(key.span()),
                message: format!("expected a table, found {}", value.get_ref().type_str()),
            });
        };
        doc.read_top(stacklint, &mut config)?;
    } else {
        doc.read_top(table.get_ref(), &mut config)?;
    }
    Ok(Some(config))
}

type Entry<'t, 'i> = (
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
);

fn entry<'t, 'i>(table: &'t DeTable<'i>, name: &str) -> Option<Entry<'t, 'i>> {
    table.iter().find(|(k, _)| k.get_ref() == name)
}

/// Entries in the order they were written (the map sorts them by name).
fn in_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

struct Doc<'a> {
    display: PathBuf,
    index: LineIndex,
    text: &'a str,
    /// `tool.stacklint.` inside pyproject.toml, for messages.
    prefix: &'static str,
}

impl Doc<'_> {
    fn location(&self, span: Range<usize>) -> Location {
        let loc = self.index.location(span.start, self.text);
        Location {
            path: self.display.clone(),
            line: loc.row,
            column: loc.column,
        }
    }

    fn invalid(&self, key: &str, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::InvalidValue {
            key: format!("{}{key}", self.prefix),
            location: self.location(span),
            message: message.into(),
        }
    }

    fn unknown(
        &self,
        table: &str,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        valid: &[&str],
    ) -> ConfigError {
        let dotted = |k: &str| {
            if table.is_empty() {
                format!("{}{k}", self.prefix)
            } else {
                format!("{}{table}.{k}", self.prefix)
            }
        };
        ConfigError::UnknownKey {
            key: dotted(key.get_ref()),
            location: self.location(key.span()),
            suggestion: closest(key.get_ref(), valid).map(dotted),
            expected: valid.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    fn read_top(&self, table: &DeTable<'_>, config: &mut Config) -> Result<(), ConfigError> {
        for (key, value) in in_order(table) {
            match key.get_ref().as_ref() {
                "select" => config.select = Some(self.selectors("select", value)?),
                "ignore" => config.ignore = self.selectors("ignore", value)?,
                "extend-select" => config.extend_select = self.selectors("extend-select", value)?,
                "exclude" => {
                    let patterns = self.strings("exclude", value)?;
                    config.exclude = PathGlobs::new(patterns)
                        .map_err(|(i, e)| self.bad_glob("exclude", value, i, &e))?;
                }
                "per-file-ignores" => {
                    let mut entries = Vec::new();
                    for (glob, codes) in in_order(self.table("per-file-ignores", value)?) {
                        let name = format!("per-file-ignores.\"{}\"", glob.get_ref());
                        glob::validate(glob.get_ref()).map_err(|e| {
                            self.invalid(
                                &name,
                                glob.span(),
                                format!("invalid glob: {}", glob_reason(&e)),
                            )
                        })?;
                        entries.push((glob.get_ref().to_string(), self.selectors(&name, codes)?));
                    }
                    config.per_file_ignores = GlobMap::new(entries).map_err(|(_, e)| {
                        self.invalid("per-file-ignores", value.span(), e.to_string())
                    })?;
                }
                "severity" => {
                    for (rule, level) in in_order(self.table("severity", value)?) {
                        let name = format!("severity.{}", rule.get_ref());
                        self.selector("severity", rule.get_ref(), rule.span())?;
                        let text = self.string(&name, level)?;
                        let severity = Severity::parse(text).ok_or_else(|| {
                            self.invalid(&name, level.span(), format!("unknown severity `{text}`: expected `error`, `warning` or `info`"))
                        })?;
                        config.severity.insert(rule.get_ref().to_string(), severity);
                    }
                }
                "target" => self.read_target(self.table("target", value)?, config)?,
                "capacity" => {
                    for (name, v) in in_order(self.table("capacity", value)?) {
                        let slot = match name.get_ref().as_ref() {
                            "request-time" => &mut config.capacity.request_ms,
                            "cpu-time" => &mut config.capacity.cpu_ms,
                            "connect-time" => &mut config.capacity.connect_ms,
                            "connect-cpu-time" => &mut config.capacity.connect_cpu_ms,
                            "connect-db-cpu-time" => &mut config.capacity.connect_db_cpu_ms,
                            "nginx-cpu-time" => &mut config.capacity.nginx_cpu_ms,
                            "upstream-connect-cpu-time" => &mut config.capacity.upstream_connect_cpu_ms,
                            "think-time" => &mut config.capacity.think_s,
                            "worker-memory" => &mut config.capacity.worker_mib,
                            "static-share" => &mut config.capacity.static_share,
                            _ => return Err(self.unknown("capacity", name, CAPACITY_KEYS)),
                        };
                        let key = format!("capacity.{}", name.get_ref());
                        let number = match v.get_ref() {
                            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
                            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
                            _ => None,
                        };
                        // Times and sizes: a finite number, and above 0 where it divides.
                        let positive = !matches!(name.get_ref().as_ref(), "connect-time" | "connect-cpu-time" | "connect-db-cpu-time" | "nginx-cpu-time" | "upstream-connect-cpu-time" | "think-time" | "static-share");
                        *slot = Some(number.filter(|n| n.is_finite() && (*n > 0.0 || !positive && *n >= 0.0)).ok_or_else(|| {
                            self.invalid(&key, v.span(), if positive { "expected a number above 0" } else { "expected a number of at least 0" })
                        })?);
                    }
                }
                "versions" => {
                    for (name, version) in in_order(self.table("versions", value)?) {
                        let slot = match name.get_ref().as_ref() {
                            "nginx" => &mut config.versions.nginx,
                            "postgres" => &mut config.versions.postgres,
                            "redis" => &mut config.versions.redis,
                            "django" => &mut config.versions.django,
                            "gunicorn" => &mut config.versions.gunicorn,
                            _ => return Err(self.unknown("versions", name, VERSION_KEYS)),
                        };
                        *slot =
                            Some(self.version(&format!("versions.{}", name.get_ref()), version)?);
                    }
                }
                "django" => {
                    for (name, v) in in_order(self.table("django", value)?) {
                        if name.get_ref() != "settings-module" {
                            return Err(self.unknown("django", name, DJANGO_KEYS));
                        }
                        let module = self.string("django.settings-module", v)?;
                        if !is_dotted_module(module) {
                            return Err(self.invalid(
                                "django.settings-module",
                                v.span(),
                                format!("`{module}` is not a dotted Python module path (e.g. `mysite.settings.production`)"),
                            ));
                        }
                        config.django_settings_module = Some(module.to_owned());
                    }
                }
                "files" => {
                    let mut entries = Vec::new();
                    for (glob, kind) in in_order(self.table("files", value)?) {
                        let name = format!("files.\"{}\"", glob.get_ref());
                        glob::validate(glob.get_ref()).map_err(|e| {
                            self.invalid(
                                &name,
                                glob.span(),
                                format!("invalid glob: {}", glob_reason(&e)),
                            )
                        })?;
                        let kind_name = self.string(&name, kind)?;
                        let Some(parsed) = FileKind::from_name(kind_name) else {
                            let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.name()).collect();
                            let hint = match closest(kind_name, &names) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "expected one of {}",
                                    names
                                        .iter()
                                        .map(|n| format!("`{n}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            };
                            return Err(self.invalid(
                                &name,
                                kind.span(),
                                format!("unknown file kind `{kind_name}`; {hint}"),
                            ));
                        };
                        entries.push((glob.get_ref().to_string(), parsed));
                    }
                    config.files = GlobMap::new(entries)
                        .map_err(|(_, e)| self.invalid("files", value.span(), e.to_string()))?;
                }
                _ => return Err(self.unknown("", key, TOP_KEYS)),
            }
        }
        Ok(())
    }

    fn read_target(&self, table: &DeTable<'_>, config: &mut Config) -> Result<(), ConfigError> {
        let source = TargetSource::Config(
            config
                .path
                .as_deref()
                .map(display_path)
                .unwrap_or_default()
                .display()
                .to_string(),
        );
        for (key, value) in in_order(table) {
            match key.get_ref().as_ref() {
                "cpus" => {
                    let raw = match value.get_ref() {
                        DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_owned(),
                        DeValue::Float(f) => f.as_str().to_owned(),
                        DeValue::String(s) => s.to_string(),
                        _ => {
                            return Err(self.invalid(
                                "target.cpus",
                                value.span(),
                                "expected a number of CPUs, e.g. `4` or `1.5`",
                            ));
                        }
                    };
                    config.target.cpus = parse_cpus(raw.replace('_', "").trim())
                        .map_err(|m| self.invalid("target.cpus", value.span(), m))?;
                    config.target.cpus_source = source.clone();
                }
                "memory" => {
                    let bytes =
                        match value.get_ref() {
                            DeValue::Integer(i) if i.radix() == 10 => {
                                match i.as_str().replace('_', "").parse::<u64>() {
                                    Ok(b) if b > 0 => b,
                                    _ => return Err(self.invalid(
                                        "target.memory",
                                        value.span(),
                                        "expected a positive number of bytes or a size like `8GiB`",
                                    )),
                                }
                            }
                            DeValue::String(s) => parse_memory(s)
                                .map_err(|m| self.invalid("target.memory", value.span(), m))?,
                            _ => {
                                return Err(self.invalid(
                                    "target.memory",
                                    value.span(),
                                    "expected a size like `8GiB` or a number of bytes",
                                ));
                            }
                        };
                    config.target.memory = bytes;
                    config.target.memory_source = source.clone();
                }
                "storage" => {
                    let s = self.string("target.storage", value)?;
                    config.target.storage = Storage::parse(s).ok_or_else(|| {
                        self.invalid(
                            "target.storage",
                            value.span(),
                            format!("unknown storage `{s}`: expected `ssd` or `hdd`"),
                        )
                    })?;
                }
                _ => return Err(self.unknown("target", key, TARGET_KEYS)),
            }
        }
        Ok(())
    }

    fn table<'t, 'i>(
        &self,
        key: &str,
        value: &'t Spanned<DeValue<'i>>,
    ) -> Result<&'t DeTable<'i>, ConfigError> {
        value.get_ref().as_table().ok_or_else(|| {
            self.invalid(
                key,
                value.span(),
                format!("expected a table, found {}", value.get_ref().type_str()),
            )
        })
    }

    fn string<'t>(
        &self,
        key: &str,
        value: &'t Spanned<DeValue<'_>>,
    ) -> Result<&'t str, ConfigError> {
        value.get_ref().as_str().ok_or_else(|| {
            self.invalid(
                key,
                value.span(),
                format!("expected a string, found {}", value.get_ref().type_str()),
            )
        })
    }

    /// A version: a string, or a number as written (`postgres = 16`, `nginx = 1.27`).
    fn version(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<String, ConfigError> {
        let text = match value.get_ref() {
            DeValue::String(s) => s.trim().to_owned(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_owned(),
            DeValue::Float(f) => f.as_str().to_owned(),
            other => {
                return Err(self.invalid(
                    key,
                    value.span(),
                    format!(
                        "expected a version string like \"1.27\", found {}",
                        other.type_str()
                    ),
                ));
            }
        };
        let valid = !text.is_empty()
            && text.starts_with(|c: char| c.is_ascii_digit())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-+_".contains(c));
        if !valid {
            return Err(self.invalid(
                key,
                value.span(),
                format!("`{text}` is not a version: expected e.g. \"1.27\" or \"16.4\""),
            ));
        }
        Ok(text)
    }

    /// A list of non-empty strings.
    fn strings(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<Vec<String>, ConfigError> {
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.invalid(
                key,
                value.span(),
                format!(
                    "expected a list of strings, found {}",
                    value.get_ref().type_str()
                ),
            ));
        };
        items
            .iter()
            .map(|item| match item.get_ref().as_str() {
                Some(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Some(_) => Err(self.invalid(key, item.span(), "empty string")),
                None => Err(self.invalid(
                    key,
                    item.span(),
                    format!("expected a string, found {}", item.get_ref().type_str()),
                )),
            })
            .collect()
    }

    /// A list of rule selectors, each naming at least one rule (a typo must not select
    /// nothing in silence).
    fn selectors(
        &self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<Vec<String>, ConfigError> {
        let list = self.strings(key, value)?;
        if let Some(items) = value.get_ref().as_array() {
            for (item, selector) in items.iter().zip(&list) {
                self.selector(key, selector, item.span())?;
            }
        }
        Ok(list)
    }

    fn selector(&self, key: &str, selector: &str, span: Range<usize>) -> Result<(), ConfigError> {
        match stacklint_linter::select_rules(selector) {
            Ok(_) => Ok(()),
            Err(suggestion) => Err(self.invalid(
                key,
                span,
                stacklint_linter::SelectorError {
                    selector: selector.to_owned(),
                    suggestion,
                }
                .to_string(),
            )),
        }
    }

    fn bad_glob(
        &self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        index: usize,
        error: &globset::Error,
    ) -> ConfigError {
        let span = value
            .get_ref()
            .as_array()
            .and_then(|a| a.get(index))
            .map_or_else(|| value.span(), Spanned::span);
        self.invalid(key, span, format!("invalid glob: {}", glob_reason(error)))
    }
}

fn glob_reason(error: &globset::Error) -> String {
    error.kind().to_string()
}

fn is_dotted_module(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// The inputs of `stacklint capacity` a configuration declares in `[capacity]`, over the
/// defaults, each naming the file.
pub fn capacity_inputs(config: Option<&Config>) -> stacklint_capacity::Inputs {
    let mut inputs = stacklint_capacity::Inputs::default();
    if let Some(c) = config {
        let source = format!("[capacity] in {}", c.path.as_deref().map_or_else(|| "the configuration".to_owned(), |p| p.display().to_string()));
        let from = |slot: &mut stacklint_capacity::Input, value: Option<f64>| {
            if let Some(v) = value {
                *slot = stacklint_capacity::Input::new(v, source.clone());
            }
        };
        from(&mut inputs.request_ms, c.capacity.request_ms);
        from(&mut inputs.cpu_ms, c.capacity.cpu_ms);
        from(&mut inputs.connect_ms, c.capacity.connect_ms);
        from(&mut inputs.connect_cpu_ms, c.capacity.connect_cpu_ms);
        from(&mut inputs.connect_db_cpu_ms, c.capacity.connect_db_cpu_ms);
        from(&mut inputs.nginx_cpu_ms, c.capacity.nginx_cpu_ms);
        from(&mut inputs.upstream_connect_cpu_ms, c.capacity.upstream_connect_cpu_ms);
        from(&mut inputs.think_s, c.capacity.think_s);
        from(&mut inputs.worker_mib, c.capacity.worker_mib);
        from(&mut inputs.static_share, c.capacity.static_share.map(|v| v.min(0.99)));
    }
    inputs
}

