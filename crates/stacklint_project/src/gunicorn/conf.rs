//! The Python config file front end (`gunicorn.conf.py`, any `-c` file).
//!
//! gunicorn executes the file and reads its module-level names. We read them through the
//! shared Python front end (`stacklint_python`, the evaluator the Django settings use):
//! module-level assignments (also inside `if`/`try` blocks, marked conditional),
//! annotation-only lines (`workers: 4`, which gunicorn never sees), server hooks defined
//! with `def`, and names that look like misspelt settings. Values are read without running
//! anything: literals, names bound earlier, environment lookups with their defaults, and
//! CPU-count expressions.

use std::path::{Path, PathBuf};

use stacklint_python::{BindingKind, CallSite, EnvOp, Expr, PyModule, Settings, Unset, Value};
use stacklint_text::TextRange;

use super::edit::ConfSite;
use super::table::{ValueKind, table};
use super::{GunSetting, Layer, Origin, SettingValue, Span, UnknownSetting, ValueSyntax, Written, parse_int};

/// What a gunicorn config file says.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfFile {
    pub path: PathBuf,
    /// Known settings, in file order (annotation-only lines included, see [`GunSetting::is_effective`]).
    pub settings: Vec<GunSetting>,
    /// Module-level names that look like settings gunicorn does not know.
    pub unknown: Vec<UnknownSetting>,
    /// Every `cpu_count()` call in the file.
    pub cpu_count_calls: Vec<Span>,
    /// The first statement (after a docstring): where file-level findings are anchored.
    pub first_statement: TextRange,
    /// Where new settings go.
    pub site: ConfSite,
    /// The file has Python syntax errors (what follows an error may be missing).
    pub has_syntax_errors: bool,
}

impl ConfFile {
    /// Parse and read a config file (see [`ConfFile::read`]).
    pub fn parse(path: &Path, text: &str) -> ConfFile {
        ConfFile::read(path, &stacklint_python::parse(text))
    }

    /// Read a config file already parsed (the project parses every Python file once).
    /// Total: a file tree-sitter cannot parse at all gives no settings.
    pub fn read(path: &Path, module: &PyModule) -> ConfFile {
        let text = module.text();
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let site = ConfSite { file: path.to_path_buf(), offset: text.len(), newline, needs_leading_newline: !text.is_empty() && !text.ends_with('\n') };
        let mut conf = ConfFile { path: path.to_path_buf(), settings: Vec::new(), unknown: Vec::new(), cpu_count_calls: Vec::new(), first_statement: TextRange::empty(0), site, has_syntax_errors: false };
        if module.root().is_none() {
            return conf;
        }
        conf.has_syntax_errors = module.has_syntax_errors();
        conf.first_statement = module.first_statement_range().unwrap_or(TextRange::empty(0));
        let cpu_calls = module.cpu_count_calls();
        conf.cpu_count_calls = cpu_calls.iter().map(|c| Span { file: path.to_path_buf(), range: c.range }).collect();
        let reader = Reader { text, path, cpu_calls: &cpu_calls };

        // Settings and server hooks, in file order.
        let settings = Settings::evaluate(path, module);
        let mut entries: Vec<(usize, GunSetting)> = Vec::new();
        let mut targets: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let mut candidates: Vec<(&str, TextRange, TextRange)> = Vec::new();
        for b in settings.all().iter().filter(|b| b.imported_via.is_empty()) {
            let written = match b.kind {
                BindingKind::Assign | BindingKind::Unpack { .. } if annotated(text, b.target_range, b.value.range) => Written::PyAnnAssign,
                BindingKind::Assign | BindingKind::Unpack { .. } => Written::PyAssign,
                BindingKind::AnnotationOnly => Written::PyAnnotationOnly,
                _ => continue,
            };
            // an assigned or annotated name is not a use
            *targets.entry(b.name.as_str()).or_default() += 1;
            let conditional = b.is_conditional();
            let Some(info) = table().get(&b.name) else {
                if looks_like_setting(&b.name) && !conditional {
                    candidates.push((b.name.as_str(), b.target_range, b.statement_range));
                }
                continue;
            };
            let origin = Origin {
                file: path.to_path_buf(),
                value_range: Some(b.value.range),
                range: b.statement_range,
                name_range: b.target_range,
                value_raw: b.value.range.slice(text).to_owned(),
                layer: Layer::ConfFile,
                written,
                syntax: ValueSyntax::Python,
                conditional,
            };
            entries.push((b.statement_range.start(), GunSetting { name: info.name, value: reader.value(&b.value, info.value_kind()), origin }));
        }
        for def in module.function_definitions() {
            if let Some(info) = table().get(&def.name) {
                let origin = Origin { file: path.to_path_buf(), value_range: None, range: def.statement_range, name_range: def.name_range, value_raw: String::new(), layer: Layer::ConfFile, written: Written::PyFunction, syntax: ValueSyntax::Python, conditional: def.conditional };
                entries.push((def.statement_range.start(), GunSetting { name: info.name, value: SettingValue::Function, origin }));
            }
        }
        entries.sort_by_key(|(at, _)| *at);
        conf.settings = entries.into_iter().map(|(_, s)| s).collect();

        let uses = module.identifier_counts();
        for (name, name_range, stmt_range) in candidates {
            if uses.get(name).copied().unwrap_or(0) > targets.get(name).copied().unwrap_or(0) {
                continue; // a helper variable read elsewhere in the file
            }
            let suggestion = table().closest_name(name).map(str::to_owned);
            conf.unknown.push(UnknownSetting { name: name.to_owned(), span: Span { file: path.to_path_buf(), range: name_range }, range: stmt_range, suggestion, ambiguous: Vec::new(), layer: Layer::ConfFile });
        }
        conf
    }
}

/// `workers: int = 3`: a colon between the name and the value.
fn annotated(text: &str, target: TextRange, value: TextRange) -> bool {
    text.get(target.end()..value.start()).is_some_and(|between| between.contains(':'))
}

/// Does this name look like a gunicorn setting someone meant to set? Lowercase, public.
fn looks_like_setting(name: &str) -> bool {
    !name.starts_with('_') && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && name.chars().any(|c| c.is_ascii_lowercase())
}

struct Reader<'a> {
    text: &'a str,
    path: &'a Path,
    cpu_calls: &'a [CallSite],
}

impl Reader<'_> {
    /// A setting's value as far as it is known statically.
    fn value(&self, e: &Expr, kind: ValueKind) -> SettingValue {
        let raw = || e.range.slice(self.text).to_owned();
        match &e.value {
            Value::Int(n) => SettingValue::Int(*n),
            Value::Bool(b) => SettingValue::Bool(*b),
            // gunicorn wants text: a bytes literal stays an expression.
            Value::Str(s) if !is_bytes(&raw()) => SettingValue::Str(s.clone()),
            Value::List(items) | Value::Tuple(items) => SettingValue::List(items.iter().map(|x| self.value(x, ValueKind::Str)).collect()),
            Value::Env(lookup) => {
                // Plain casts keep the default as written (`int(os.environ.get("W", cpu_count() * 2 + 1))`).
                let default = if lookup.ops.iter().all(|op| matches!(op, EnvOp::Int | EnvOp::Float | EnvOp::Str)) {
                    lookup.default.as_ref().map(|d| coerce(self.value(d, kind), kind))
                } else {
                    // Casts and comparisons (`os.environ.get("X", "false").lower() == "true"`):
                    // the value they give when the variable is unset.
                    match lookup.unset_value() {
                        Unset::Value(Value::Int(n)) => Some(SettingValue::Int(n)),
                        Unset::Value(Value::Bool(b)) => Some(SettingValue::Bool(b)),
                        Unset::Value(Value::Str(s)) => Some(coerce(SettingValue::Str(s), kind)),
                        _ => None,
                    }
                };
                SettingValue::Env { var: lookup.var.clone(), default: default.map(Box::new), raw: raw() }
            }
            // `workers: 4`: an annotation is not evaluated, but its literal is the value meant.
            Value::Unknown(t) if parse_int(t).is_some() => parse_int(t).map_or_else(|| SettingValue::Expr(raw()), SettingValue::Int),
            // `workers = WORKERS`: the value the name had there, written as the name.
            Value::Name(r) if r.target.as_ref().is_some_and(|t| t.file.as_ref() == self.path) => match r.target.as_deref().map(|t| self.value(t, kind)) {
                Some(SettingValue::Expr(_)) | None => SettingValue::Expr(raw()),
                Some(v) => v,
            },
            _ => match self.cpu_calls.iter().find(|c| e.range.contains_range(c.range)) {
                Some(call) => SettingValue::FromCpuCount { expr: raw(), call_range: call.range, linear: self.linear(e) },
                None => SettingValue::Expr(raw()),
            },
        }
    }

    /// `(a, b)` when `e` is `a × cpu_count() + b`.
    fn linear(&self, e: &Expr) -> Option<(i64, i64)> {
        match &e.value {
            Value::Call(_) if self.cpu_calls.iter().any(|c| c.range == e.range) => Some((1, 0)),
            Value::Int(n) => Some((0, *n)),
            Value::BinOp(op) => {
                let l = self.linear(&op.left)?;
                let r = self.linear(&op.right)?;
                match op.op.as_str() {
                    "+" => Some((l.0.checked_add(r.0)?, l.1.checked_add(r.1)?)),
                    "-" => Some((l.0.checked_sub(r.0)?, l.1.checked_sub(r.1)?)),
                    "*" if l.0 == 0 => Some((l.1.checked_mul(r.0)?, l.1.checked_mul(r.1)?)),
                    "*" if r.0 == 0 => Some((l.0.checked_mul(r.1)?, l.1.checked_mul(r.1)?)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// `b"..."`, `rb'...'`: the prefix before the first quote has a `b`.
fn is_bytes(raw: &str) -> bool {
    raw.split(['"', '\'']).next().is_some_and(|prefix| prefix.len() <= 3 && prefix.contains(['b', 'B']))
}

/// An env default written as a string (`os.environ.get("WORKERS", "4")`) read as the
/// setting's kind.
fn coerce(v: SettingValue, kind: ValueKind) -> SettingValue {
    match (v, kind) {
        (SettingValue::Str(s), ValueKind::Int) => parse_int(&s).map_or(SettingValue::Str(s), SettingValue::Int),
        (v, _) => v,
    }
}
