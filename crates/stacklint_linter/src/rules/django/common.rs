//! Shared by the DJS rules: which settings modules a rule looks at, what a setting is when
//! every environment variable is unset, where to report, and edits that set a value.

use std::path::PathBuf;

use stacklint_diagnostics::{Edit, TextRange};
use stacklint_project::django::{SettingsModule, checked_settings};
use stacklint_project::serving::Interface;
use stacklint_project::{Project, SourceFile, Version};
use stacklint_python::{Binding, EnvLookup, Expr, InsertPoint, Outcome, Settings, Unset, Value, truthy};

/// The newest Django release the rules know; assumed when the project does not say.
pub(crate) const NEWEST_DJANGO: &[u64] = &[6, 0];

/// One settings module as a rule sees it.
pub(crate) struct Module<'a> {
    pub project: &'a Project,
    pub evaluated: &'a SettingsModule,
    pub settings: &'a Settings,
    /// A `from x import *` the model could not follow, or a django-split-settings
    /// `include(...)` of files it cannot read: any setting may come from there.
    pub unresolved_star: bool,
    /// The module (with what it imports) binds `INSTALLED_APPS`, `MIDDLEWARE` or
    /// `ROOT_URLCONF`: a whole settings module, not a fragment another module reads
    /// (netbox's `configuration.py`). Only then is a missing setting reported.
    pub complete: bool,
}

impl<'a> Module<'a> {
    fn new(project: &'a Project, module: &'a SettingsModule) -> Self {
        let unresolved_star = module.settings.unresolved_imports().iter().any(|site| {
            project.file(&site.file).and_then(|f| f.text.get(site.range.as_range())).is_some_and(|t| t.contains('*'))
        }) || !module.settings.unknown_includes().is_empty();
        let complete = ["INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF"].iter().any(|n| module.settings.contains(n));
        Module { project, evaluated: module, settings: &module.settings, unresolved_star, complete }
    }

    /// The module's own file.
    pub fn file(&self) -> Option<&'a SourceFile> {
        self.project.file(&self.evaluated.path)
    }

    /// Where findings about a missing setting go: the first statement after the module's
    /// docstring and imports (its first line), or the first line of the file.
    pub fn anchor(&self) -> (PathBuf, TextRange) {
        let path = self.evaluated.path.clone();
        let Some(file) = self.file() else { return (path, TextRange::empty(0)) };
        let text = file.text.as_str();
        let start = file.python().map_or(0, stacklint_python::PyModule::after_imports_offset);
        let mut offset = start.min(text.len());
        for line in text.get(offset..).unwrap_or("").split_inclusive('\n') {
            let trimmed = line.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                let lead = line.len() - line.trim_start().len();
                return (path, TextRange::new(offset + lead, offset + lead + trimmed.len()));
            }
            offset += line.len();
        }
        let first = text.lines().next().map_or(0, str::len);
        (path, TextRange::new(0, first))
    }

    /// Whether `SILENCED_SYSTEM_CHECKS` names `id` (`security.W004`).
    pub fn silenced(&self, id: &str) -> bool {
        self.settings.list("SILENCED_SYSTEM_CHECKS").is_some_and(|l| l.items.iter().any(|i| i.expr.unset_value().is_some_and(|v| v == Value::Str(id.to_owned()))))
    }

    /// Whether every one of `ids` is silenced.
    pub fn all_silenced(&self, ids: &[&str]) -> bool {
        !ids.is_empty() && ids.iter().all(|id| self.silenced(id))
    }

    /// The possible values of a scalar setting with the environment unset (see [`Alt`]);
    /// `None` when one of them is unknown.
    pub fn alternatives(&self, name: &str) -> Option<Vec<Alt<'a>>> {
        let rebinds: Vec<&'a Binding> = self.settings.bindings(name).filter(|b| b.keys.is_empty() && b.kind.rebinds()).collect();
        let mut alts = Vec::new();
        let start = if let Some(i) = rebinds.iter().rposition(|b| !b.is_conditional()) {
            i
        } else {
            if self.unresolved_star || !self.complete {
                return None;
            }
            alts.push(Alt::Default);
            0
        };
        // A mutation after the deciding binding (`X.append(...)`, `X["k"] = ...`) changes
        // the value in ways a scalar view does not follow.
        if let Some(first) = rebinds.get(start) {
            let mut seen = false;
            for b in self.settings.bindings(name) {
                if std::ptr::eq(b, *first) {
                    seen = true;
                } else if seen && (!b.kind.rebinds() || !b.keys.is_empty()) && b.kind != stacklint_python::BindingKind::AnnotationOnly {
                    return None;
                }
            }
        }
        for b in rebinds.get(start..).unwrap_or(&[]) {
            if !matches!(b.kind, stacklint_python::BindingKind::Assign) {
                return None;
            }
            let value = b.value.unset_value()?;
            alts.push(Alt::Set { binding: b, value, env: b.value.env() });
        }
        Some(alts)
    }

    /// Whether a list setting (`MIDDLEWARE`, `INSTALLED_APPS`) holds `item`: `Some(true)`
    /// when an unconditional element is it, `Some(false)` when the list is fully known and
    /// lacks it (or the setting is unset: Django's default is empty), `None` otherwise.
    pub fn list_has(&self, name: &str, item: &str) -> Option<bool> {
        let Some(list) = self.settings.list(name) else {
            return if self.unresolved_star || !self.complete || self.settings.contains(name) { None } else { Some(false) };
        };
        let mut maybe = false;
        for it in &list.items {
            match it.expr.unset_value() {
                Some(Value::Str(s)) if s == item => {
                    if it.conditional {
                        maybe = true;
                    } else {
                        return Some(true);
                    }
                }
                Some(Value::Str(_)) => {}
                _ => maybe = true,
            }
        }
        if maybe || !list.complete || !list.conditional_reassignments.is_empty() || list.base.is_conditional() {
            return None;
        }
        Some(false)
    }

    /// Where a finding about a list setting goes: its assignment, or the anchor.
    pub fn list_location(&self, name: &str) -> (PathBuf, TextRange) {
        match self.settings.list(name) {
            Some(l) => (l.base.file.to_path_buf(), l.base.target_range),
            None => self.anchor(),
        }
    }

    /// Where an alternative comes from.
    pub fn location(&self, alt: &Alt<'_>) -> (PathBuf, TextRange) {
        match alt {
            Alt::Default => self.anchor(),
            Alt::Set { binding, .. } => (binding.value.file.to_path_buf(), binding.value.range),
        }
    }

    /// Edits that make `name` equal `target` (written as `literal`): replace a literal
    /// value, replace an environment lookup's default with one that casts to `target`, or
    /// append `NAME = literal` to the module when it is unset. `None` when the setting has
    /// several alternatives or is computed.
    pub fn set_value(&self, alts: &[Alt<'_>], name: &str, target: &Value, literal: &str) -> Option<Vec<Edit>> {
        match alts {
            [Alt::Default] => {
                let file = self.file()?;
                let (offset, newline) = file.python()?.end_insertion();
                Some(vec![Edit::insert(&file.path, offset, format!("{}{name} = {literal}\n", if newline { "\n" } else { "" }))])
            }
            [Alt::Set { binding, .. }] if !binding.is_conditional() => replace_value(self.project, &binding.value, target, literal),
            _ => None,
        }
    }
}

/// Edits that make the expression `expr` (a literal, or an env lookup with a literal
/// default) evaluate to `target` with the environment unset.
pub(crate) fn replace_value(project: &Project, expr: &Expr, target: &Value, literal: &str) -> Option<Vec<Edit>> {
    let file = project.file(&expr.file)?;
    match &expr.value {
        Value::Str(_) | Value::Int(_) | Value::Bool(_) | Value::None | Value::Float(_) => Some(vec![Edit::replace(&file.path, expr.range, literal)]),
        Value::Env(env) => {
            let default = env.default.as_ref()?;
            if *default.file != *expr.file {
                return None;
            }
            let text = file.text.get(default.range.as_range())?;
            let new = default_for(env, default, text, target)?;
            Some(vec![Edit::replace(&file.path, default.range, new)])
        }
        _ => None,
    }
}

/// The text of a default, of the same type as the current one, that the lookup's casts turn
/// into `target`.
fn default_for(env: &EnvLookup, default: &Expr, text: &str, target: &Value) -> Option<String> {
    let quote = text.chars().find(|c| *c == '"' || *c == '\'').unwrap_or('"');
    let strs: Vec<String> = match target {
        Value::Bool(true) => vec!["True".into(), "true".into(), "1".into()],
        Value::Bool(false) => vec!["False".into(), "false".into(), "0".into(), String::new()],
        Value::Int(n) => vec![n.to_string()],
        Value::Str(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    let candidates: Vec<(Value, String)> = match &default.value {
        Value::Str(_) => strs.into_iter().map(|s| (Value::Str(s.clone()), format!("{quote}{s}{quote}"))).collect(),
        Value::Bool(_) | Value::Int(_) | Value::None => match target {
            Value::Bool(b) => vec![(Value::Bool(*b), py_bool(*b).to_owned()), (Value::Int(i64::from(*b)), i64::from(*b).to_string())],
            Value::Int(n) => vec![(Value::Int(*n), n.to_string())],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    candidates.into_iter().find_map(|(v, t)| {
        let mut trial = env.clone();
        trial.default = Some(Expr::new(default.range, default.file.clone(), v));
        (trial.unset_value() == Unset::Value(target.clone())).then_some(t)
    })
}

pub(crate) fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// One possible value of a setting, with the environment unset.
#[derive(Clone, Debug)]
pub(crate) enum Alt<'a> {
    /// Not set: Django's default applies.
    Default,
    /// Set by `binding` (its value with the environment unset; `env` when it reads one).
    Set { binding: &'a Binding, value: Value, env: Option<&'a EnvLookup> },
}

impl Alt<'_> {
    /// The value, Django's `default` when unset.
    pub fn value<'v>(&'v self, default: &'v Value) -> &'v Value {
        match self {
            Alt::Default => default,
            Alt::Set { value, .. } => value,
        }
    }

    /// "`DEBUG` is `True`", "`DEBUG` defaults to `True` when the `DEBUG` variable is unset",
    /// "`DEBUG` is not set (Django's default is `False`)".
    pub fn describe(&self, name: &str, default: &Value) -> String {
        match self {
            Alt::Default => format!("`{name}` is not set (Django's default is `{}`)", show(default)),
            Alt::Set { value, env: Some(env), .. } => {
                format!("`{name}` defaults to `{}` when the `{}` variable is unset", show(value), env.var.as_deref().unwrap_or("environment"))
            }
            Alt::Set { value, .. } => format!("`{name}` is `{}`", show(value)),
        }
    }
}

/// A value as Python would print it.
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::Str(s) => {
            let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        }
        other => other.to_string(),
    }
}

/// When every alternative is bad, the one to report (the last: the unconditional one or the
/// latest conditional alternative).
pub(crate) fn all_bad<'v, 'a>(alts: &'v [Alt<'a>], default: &Value, bad: impl Fn(&Value) -> bool) -> Option<&'v Alt<'a>> {
    (!alts.is_empty() && alts.iter().all(|a| bad(a.value(default)))).then(|| alts.last()).flatten()
}

/// Python's `x is True`.
pub(crate) fn is_true(v: &Value) -> bool {
    *v == Value::Bool(true)
}

/// Python truthiness, unknown values counting as true (they are never reported).
pub(crate) fn is_truthy(v: &Value) -> bool {
    truthy(v).unwrap_or(true)
}

/// The production settings modules (for rules marked (prod)).
pub(crate) fn production(project: &Project) -> Vec<Module<'_>> {
    project.production_settings().map(|m| Module::new(project, m)).collect()
}

/// The modules file-scoped rules check (see [`checked_settings`]).
pub(crate) fn checked(project: &Project) -> Vec<Module<'_>> {
    checked_settings(project).into_iter().map(|m| Module::new(project, m)).collect()
}

/// The Django version deployed, or the newest known with a note saying it was assumed.
pub(crate) fn django_version(project: &Project) -> (Version, Option<String>) {
    if let Some(k) = &project.versions.django {
        return (k.version.clone(), None);
    }
    let text = NEWEST_DJANGO.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
    let note = format!("assuming Django {text}, the newest release stacklint knows: pin `Django` in requirements or declare `[versions]`");
    (Version { parts: NEWEST_DJANGO.to_vec(), text }, Some(note))
}

/// How the app is served: `Some(reason)` for an ASGI server, `None` for WSGI. The
/// deployment's servers decide ([`Project::app_servers`]); when none is known, an
/// `ASGI_APPLICATION` with an ASGI server installed says ASGI.
pub(crate) fn asgi_server(m: &Module<'_>) -> Option<String> {
    let project = m.project;
    // A FastAPI or Flask app beside the Django one (`uvicorn main:app`) says nothing of it.
    // A server the deployment shows running another settings module does not serve this one.
    let servers: Vec<_> = project.app_servers_for_settings(&m.evaluated.path).into_iter().filter(stacklint_project::serving::AppServer::may_serve_django).collect();
    if let Some(s) = servers.iter().find(|s| s.interface == Interface::Asgi) {
        let rel = s.file.strip_prefix(&project.root).unwrap_or(&s.file).display().to_string();
        let line = s.range.zip(project.file(&s.file)).map(|(r, f)| format!(":{}", f.row(r.start()))).unwrap_or_default();
        return Some(format!("{} in {rel}{line}", s.what));
    }
    let wsgi_served = !servers.is_empty();
    if wsgi_served || m.settings.value("ASGI_APPLICATION").is_none() {
        return None;
    }
    for server in ["daphne", "uvicorn", "hypercorn"] {
        if m.list_has("INSTALLED_APPS", server) == Some(true) {
            return Some(format!("`ASGI_APPLICATION` is set and `{server}` is in `INSTALLED_APPS`"));
        }
    }
    ["daphne", "uvicorn", "hypercorn", "uvicorn-worker"].into_iter().find(|p| project.requirement(p).is_some()).map(|name| format!("`ASGI_APPLICATION` is set and `{name}` is a requirement"))
}

/// Add several entries to a dict literal or an argument list, following its layout.
pub(crate) fn add_entries(at: &InsertPoint, entries: &[String]) -> Vec<(TextRange, String)> {
    let joined = match &at.indent {
        Some(indent) => entries.join(&format!(",\n{indent}")),
        None => entries.join(", "),
    };
    at.add_entry(&joined)
}

/// [`add_entries`] as edits of `file`.
pub(crate) fn entry_edits(file: &std::path::Path, at: &InsertPoint, entries: &[String]) -> Vec<Edit> {
    add_entries(at, entries).into_iter().map(|(r, t)| Edit::replace(file, r, t)).collect()
}

/// Where a finding about a dict path goes: the value, or (missing) the dict's binding.
pub(crate) fn outcome_location(o: &Outcome<'_>) -> (PathBuf, TextRange) {
    match o {
        Outcome::Value { expr, .. } => (expr.file.to_path_buf(), expr.range),
        Outcome::Derived { at, .. } => (at.file.to_path_buf(), at.range),
        Outcome::Missing { binding, container, .. } => match &container.value {
            Value::UrlConfig(u) => (container.file.to_path_buf(), u.call.func_range),
            _ => (binding.file.to_path_buf(), binding.target_range),
        },
        Outcome::Opaque { binding, .. } => (binding.file.to_path_buf(), binding.target_range),
    }
}

/// For a subscript statement `DATABASES['default']['CONN_MAX_AGE'] = 0`: the target text
/// with the last key replaced by `key` (`DATABASES['default']['CONN_HEALTH_CHECKS']`),
/// or without the last key when `key` is `None`.
pub(crate) fn sibling_target(project: &Project, binding: &Binding, key: Option<&str>) -> Option<String> {
    let last = binding.keys.last()?;
    let file = project.file(&binding.file)?;
    let text = file.text.get(binding.target_range.as_range())?;
    let key_start = last.range.start().checked_sub(binding.target_range.start())?;
    let key_end = last.range.end().checked_sub(binding.target_range.start())?;
    let key_text = text.get(key_start..key_end)?;
    let quote = key_text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    if let Some(k) = key {
        return Some(format!("{}{quote}{k}{quote}{}", text.get(..key_start)?, text.get(key_end..)?));
    }
    let open = text.get(..key_start)?.rfind('[')?;
    Some(text.get(..open)?.to_owned())
}

/// Insert `line` as a new statement right after `binding`'s statement (a top-level one).
pub(crate) fn insert_after_statement(project: &Project, binding: &Binding, line: &str) -> Option<Edit> {
    let file = project.file(&binding.file)?;
    let end = binding.statement_range.end();
    let rest = file.text.get(end..)?;
    let eol = rest.find('\n').map_or(file.text.len(), |i| end + i);
    // Only when the statement ends its line (a trailing comment is fine).
    let tail = file.text.get(end..eol)?.trim();
    if !(tail.is_empty() || tail.starts_with('#')) || binding.is_conditional() {
        return None;
    }
    let line_start = file.text.get(..binding.statement_range.start())?.rfind('\n').map_or(0, |i| i + 1);
    let indent: String = file.text.get(line_start..)?.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let newline = if file.text.get(line_start..eol)?.ends_with('\r') { "\r\n" } else { "\n" };
    let eol = if newline == "\r\n" { eol - 1 } else { eol };
    Some(Edit::insert(&file.path, eol, format!("{newline}{indent}{line}")))
}

/// The element expressions of a list/tuple literal assigned directly (not built).
pub(crate) fn literal_items(expr: &Expr) -> Option<&[Expr]> {
    match &expr.value {
        Value::List(items) | Value::Tuple(items) => Some(items),
        _ => None,
    }
}

/// Insert `item` (source text) before element `index` of the list literal `list`, or at the
/// end when `index` is the length, following the list's layout.
pub(crate) fn list_insert(project: &Project, list: &Expr, index: usize, item: &str) -> Option<Edit> {
    let file = project.file(&list.file)?;
    let text = file.text.as_str();
    let items = literal_items(list)?;
    let indent_of = |offset: usize| -> String {
        let start = text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        text.get(start..).unwrap_or("").chars().take_while(|c| *c == ' ' || *c == '\t').collect()
    };
    let first = items.first();
    let multiline = first.is_some_and(|f| text.get(list.range.start()..f.range.start()).is_some_and(|t| t.contains('\n')));
    if let Some(at) = items.get(index) {
        let content = if multiline { format!("{item},\n{}", indent_of(at.range.start())) } else { format!("{item}, ") };
        return Some(Edit::insert(&file.path, at.range.start(), content));
    }
    let Some(last) = items.last() else {
        // Empty list: `[]` → `[item]`.
        return Some(Edit::insert(&file.path, list.range.start() + 1, item.to_owned()));
    };
    let after = text.get(last.range.end()..list.range.end())?;
    let comma = after.trim_start().starts_with(',');
    if multiline {
        let indent = indent_of(last.range.start());
        if comma {
            let at = last.range.end() + after.find(',')? + 1;
            Some(Edit::insert(&file.path, at, format!("\n{indent}{item},")))
        } else {
            Some(Edit::insert(&file.path, last.range.end(), format!(",\n{indent}{item},")))
        }
    } else {
        Some(Edit::insert(&file.path, last.range.end(), format!(", {item}")))
    }
}

/// Delete element `index` of a list literal: its whole line when it sits alone on one,
/// else the element and its comma.
pub(crate) fn list_delete(project: &Project, list: &Expr, index: usize) -> Option<Edit> {
    let file = project.file(&list.file)?;
    let text = file.text.as_str();
    let items = literal_items(list)?;
    let it = items.get(index)?;
    let line_start = text.get(..it.range.start())?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text.get(it.range.end()..)?.find('\n').map_or(text.len(), |i| it.range.end() + i + 1);
    let before = text.get(line_start..it.range.start())?.trim();
    let after = text.get(it.range.end()..line_end)?.trim();
    let after_code = after.split('#').next().unwrap_or("").trim();
    if before.is_empty() && (after_code.is_empty() || after_code == ",") {
        return Some(Edit::delete(&file.path, TextRange::new(line_start, line_end)));
    }
    // One-line list: remove `item, ` (or `, item` for the last one).
    let rest = text.get(it.range.end()..list.range.end())?;
    let trimmed = rest.trim_start();
    if let Some(after_comma) = trimmed.strip_prefix(',') {
        let ws = after_comma.len() - after_comma.trim_start().len();
        let end = it.range.end() + (rest.len() - trimmed.len()) + 1 + ws;
        return Some(Edit::delete(&file.path, TextRange::new(it.range.start(), end)));
    }
    let prev = items.get(index.checked_sub(1)?)?;
    Some(Edit::delete(&file.path, TextRange::new(prev.range.end(), it.range.end())))
}

/// Whether some `if` statement among `bindings` assigns in both its branches (`if X: A = 1`
/// / `else: A = 2`): together they replace any earlier value.
pub(crate) fn if_else_rebinds(bindings: &[&Binding]) -> bool {
    bindings.iter().any(|a| {
        let Some(ca) = a.conditions.last() else { return false };
        ca.kind == stacklint_python::ConditionKind::If
            && !ca.negated
            && bindings.iter().any(|b| {
                b.conditions.len() == a.conditions.len()
                    && b.conditions.last().is_some_and(|cb| cb.kind == stacklint_python::ConditionKind::If && cb.negated && cb.statement == ca.statement && *cb.file == *ca.file)
            })
    })
}
