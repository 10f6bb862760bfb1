//! gunicorn's own list of settings, generated from `gunicorn.config.KNOWN_SETTINGS` of a
//! pinned gunicorn by `scripts/gen-gunicorn-settings.py` and embedded at build time.

use std::collections::HashMap;
use std::sync::LazyLock;

static TSV: &str = include_str!("../../data/gunicorn-settings.tsv");

/// What kind of value a setting holds, from its validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Int,
    Bool,
    Str,
    /// A list (`bind`, `raw_env`...): repeated flags append.
    List,
    Dict,
    /// A server hook (`post_fork`...): a Python function.
    Callable,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingInfo {
    pub name: &'static str,
    pub section: &'static str,
    /// `-w`, `--workers`; empty for config-file-only settings.
    pub flags: Vec<&'static str>,
    /// `repr()` of the default as gunicorn has it (`<callable>` for hooks).
    pub default: &'static str,
    /// argparse type: `int`, `auto_int`, `callable` or empty.
    pub ty: &'static str,
    pub validator: &'static str,
    /// argparse action: empty (`store`), `store_true`, `store_const`, `append`.
    pub action: &'static str,
    /// The `const` of a `store_const` flag (`False` for `--no-sendfile`).
    pub constant: &'static str,
    /// Known to the baseline release too (see [`SettingsTable::baseline_version`]).
    pub in_baseline: bool,
    pub short: &'static str,
}

impl SettingInfo {
    /// Whether the flag takes a value (`--workers 3`) or not (`--preload`).
    pub fn takes_value(&self) -> bool {
        !matches!(self.action, "store_true" | "store_false" | "store_const" | "count" | "help" | "version")
    }

    /// Whether repeating the flag adds to a list instead of replacing the value.
    pub fn appends(&self) -> bool {
        self.action == "append"
    }

    pub fn is_hook(&self) -> bool {
        self.value_kind() == ValueKind::Callable
    }

    pub fn value_kind(&self) -> ValueKind {
        match (self.validator, self.ty) {
            (_, "int" | "auto_int") | ("validate_pos_int", _) => ValueKind::Int,
            ("validate_bool", _) => ValueKind::Bool,
            (_, "callable") | ("_validate_callable" | "validate_post_request", _) => ValueKind::Callable,
            ("validate_dict", _) => ValueKind::Dict,
            ("validate_list_string" | "validate_list_of_files_or_patterns" | "validate_string_to_list", _) => ValueKind::List,
            _ if self.action == "append" => ValueKind::List,
            _ => ValueKind::Str,
        }
    }

    /// The long flag (`--max-requests`), the spelling fixes write.
    pub fn long_flag(&self) -> Option<&'static str> {
        self.flags.iter().copied().find(|f| f.starts_with("--"))
    }
}

/// The whole table, with lookups by name and by flag.
#[derive(Debug)]
pub struct SettingsTable {
    version: &'static str,
    baseline: &'static str,
    settings: Vec<SettingInfo>,
    by_name: HashMap<&'static str, usize>,
    by_flag: HashMap<&'static str, usize>,
}

/// How a long option given on a command line resolves (argparse accepts unique prefixes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlagMatch<'t> {
    Exact(&'t SettingInfo),
    /// A unique prefix of a flag (`--bin` for `--bind`): argparse accepts it.
    Abbreviation(&'t SettingInfo, &'static str),
    /// A prefix of several flags: argparse stops with "ambiguous option".
    Ambiguous(Vec<&'static str>),
    Unknown,
}

static TABLE: LazyLock<SettingsTable> = LazyLock::new(|| SettingsTable::parse(TSV));

/// The embedded table (parsed once).
pub fn table() -> &'static SettingsTable {
    &TABLE
}

impl SettingsTable {
    fn parse(tsv: &'static str) -> SettingsTable {
        let mut version = "";
        let mut baseline = "";
        let mut settings = Vec::new();
        for line in tsv.lines() {
            if let Some(header) = line.strip_prefix("# gunicorn ") {
                version = header.split_whitespace().next().unwrap_or("");
                if let Some(rest) = header.split("known to gunicorn ").nth(1) {
                    baseline = rest.split_whitespace().next().unwrap_or("");
                }
                continue;
            }
            if line.starts_with('#') || line.starts_with("name\t") || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let mut next = || cols.next().unwrap_or("");
            let (name, section, flags, default, ty, validator, action, constant, in_baseline, short) = (next(), next(), next(), next(), next(), next(), next(), next(), next(), next());
            settings.push(SettingInfo {
                name,
                section,
                flags: flags.split(',').filter(|f| !f.is_empty()).collect(),
                default,
                ty,
                validator,
                action,
                constant,
                in_baseline: in_baseline == "yes",
                short,
            });
        }
        let by_name = settings.iter().enumerate().map(|(i, s)| (s.name, i)).collect();
        let by_flag = settings.iter().enumerate().flat_map(|(i, s)| s.flags.iter().map(move |f| (*f, i))).collect();
        SettingsTable { version, baseline, settings, by_name, by_flag }
    }

    /// The gunicorn release the table was read from (`27.0.1`).
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// The older release whose settings are marked [`SettingInfo::in_baseline`].
    pub fn baseline_version(&self) -> &'static str {
        self.baseline
    }

    pub fn all(&self) -> &[SettingInfo] {
        &self.settings
    }

    /// A setting by its name (`max_requests`).
    pub fn get(&self, name: &str) -> Option<&SettingInfo> {
        self.by_name.get(name).and_then(|&i| self.settings.get(i))
    }

    /// A setting by one of its flags, exactly as listed (`-w`, `--workers`).
    pub fn by_flag(&self, flag: &str) -> Option<&SettingInfo> {
        self.by_flag.get(flag).and_then(|&i| self.settings.get(i))
    }

    /// Resolve a long option as argparse does: exact, else a unique prefix.
    pub fn resolve_long_flag(&self, flag: &str) -> FlagMatch<'_> {
        if let Some(s) = self.by_flag(flag) {
            return FlagMatch::Exact(s);
        }
        if !flag.starts_with("--") || flag.len() < 3 {
            return FlagMatch::Unknown;
        }
        let mut hits: Vec<(&'static str, usize)> = self.by_flag.iter().filter(|(f, _)| f.starts_with("--") && f.starts_with(flag)).map(|(f, i)| (*f, *i)).collect();
        // argparse's own --help / --version count as candidates too.
        let builtin_hits = ["--help", "--version"].iter().filter(|b| b.starts_with(flag)).count();
        hits.sort_unstable();
        match (hits.as_slice(), builtin_hits) {
            ([(f, i)], 0) => self.settings.get(*i).map_or(FlagMatch::Unknown, |s| FlagMatch::Abbreviation(s, f)),
            ([], _) => FlagMatch::Unknown,
            (many, _) => FlagMatch::Ambiguous(many.iter().map(|(f, _)| *f).collect()),
        }
    }

    /// The known setting name closest to `unknown` (for "did you mean"), when it is close
    /// enough: at most a third of the name's length in edits (and at least one).
    pub fn closest_name(&self, unknown: &str) -> Option<&'static str> {
        let norm = unknown.trim_start_matches('-').replace('-', "_").to_ascii_lowercase();
        closest(&norm, self.settings.iter().map(|s| s.name))
    }

    /// The known flag closest to an unknown flag (`--max-request` → `--max-requests`).
    pub fn closest_flag(&self, unknown: &str) -> Option<&'static str> {
        let norm = unknown.replace('_', "-").to_ascii_lowercase();
        let long = self.settings.iter().flat_map(|s| s.flags.iter().copied()).filter(|f| f.starts_with("--"));
        closest(&norm, long)
    }
}

fn closest(target: &str, candidates: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    stacklint_text::closest(target, candidates)
}

pub use stacklint_text::edit_distance;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let t = table();
        assert_eq!(t.version(), "27.0.1");
        assert_eq!(t.baseline_version(), "23.0.0");
        assert!(t.all().len() > 100);
        let w = t.get("workers").unwrap();
        assert_eq!(w.flags, ["-w", "--workers"]);
        assert!(w.takes_value());
        assert_eq!(w.value_kind(), ValueKind::Int);
        assert_eq!(t.by_flag("-k").unwrap().name, "worker_class");
        assert!(!t.by_flag("--preload").unwrap().takes_value());
        assert!(!t.by_flag("--no-sendfile").unwrap().takes_value());
        assert!(t.get("post_fork").unwrap().is_hook());
        assert_eq!(t.closest_name("worker"), Some("workers"));
        assert_eq!(t.closest_name("max_request"), Some("max_requests"));
        assert_eq!(t.closest_name("completely_unrelated_name"), None);
        assert_eq!(t.closest_flag("--max-request"), Some("--max-requests"));
        assert!(matches!(t.resolve_long_flag("--max-request"), FlagMatch::Ambiguous(_)));
        assert!(matches!(t.resolve_long_flag("--bin"), FlagMatch::Abbreviation(s, "--bind") if s.name == "bind"));
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
