//! The static value model: what an expression in a settings module stands for.
//!
//! Every [`Expr`] remembers the file and byte range it was read from, so a fix can edit
//! the exact place a value came from. Nothing is executed: environment lookups are kept
//! as [`EnvLookup`]s with their default and the casts applied around them, and questions
//! like "what is the value when the variable is unset" are answered from that model.

use std::path::Path;
use std::sync::Arc;

use stacklint_text::TextRange;

/// The file an [`Expr`] or a binding came from (shared, cheap to clone).
pub type FileRef = Arc<Path>;

/// Expressions nested deeper than this are kept as [`Value::Unknown`].
pub(crate) const MAX_DEPTH: u16 = 96;

/// Caps that keep the evaluator's cost bounded on any input. A value past a cap is
/// unknown (`None` from [`Expr::list_items`] and [`Expr::unset_value`], an incomplete
/// [`ListView`](crate::ListView)), never a guess. Settings modules are shared between
/// `X += X`-style statements, so a value is a DAG whose unfolding can double per line:
/// without the caps `MIDDLEWARE += MIDDLEWARE` thirty times took gigabytes.
pub mod caps {
    /// The longest list a value unfolds to (`+`, `+=`, `extend`, `insert`).
    pub const MAX_LIST_ITEMS: usize = 4096;
    /// The longest string joined from parts (`"a" + X`, f-strings).
    pub const MAX_STR_LEN: usize = 64 * 1024;
    /// The nodes one question about a value may visit (`list_items`, `unset_value`,
    /// with the names and env defaults they follow).
    pub const MAX_STEPS: usize = 65_536;
    /// The list operations, in items touched, one [`Settings::list`](crate::Settings::list) may apply.
    pub const MAX_LIST_WORK: usize = 1 << 20;
}

thread_local! {
    /// Steps taken by the evaluation in progress on this thread (`None`: none).
    static STEPS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` as one evaluation: the outermost call starts a step budget that every nested
/// call shares.
fn budgeted<T>(f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            STEPS.with(|s| s.set(None));
        }
    }
    if STEPS.with(std::cell::Cell::get).is_some() {
        return f();
    }
    STEPS.with(|s| s.set(Some(0)));
    let _reset = Reset;
    f()
}

/// Takes one step of the current evaluation's budget; `false` once it is spent.
fn step() -> bool {
    STEPS.with(|s| {
        let n = s.get().unwrap_or(0).saturating_add(1);
        s.set(Some(n));
        n <= caps::MAX_STEPS
    })
}

/// One expression: its value, the byte range of its source text, and its file.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub range: TextRange,
    pub file: FileRef,
    pub value: Value,
    depth: u16,
}

/// What an expression stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string literal (also bytes literals, and f-strings/concatenations whose parts
    /// are all known).
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Set(Vec<Expr>),
    Dict(Dict),
    /// An environment lookup, with its default and the casts around it.
    Env(Box<EnvLookup>),
    /// `dj_database_url.config/parse(...)`, `env.db()`, `env.cache()`: a settings dict
    /// built from a URL.
    UrlConfig(Box<UrlConfig>),
    /// An f-string or a `+` concatenation with parts that are not all known strings;
    /// the parts in order (literal pieces are [`Value::Str`]).
    Concat(Vec<Expr>),
    /// A binary operation other than a string concatenation (`a + b` on lists, `a * 2`).
    BinOp(Box<BinOp>),
    /// Any other call.
    Call(Box<Call>),
    /// A reference to a module variable, with the value it had at that point when known.
    Name(NameRef),
    /// Anything else, as its source text.
    Unknown(String),
}

/// A dict literal.
#[derive(Clone, Debug, PartialEq)]
pub struct Dict {
    pub entries: Vec<DictEntry>,
    /// Where a new entry goes.
    pub insert: InsertPoint,
}

/// One `key: value` pair (or a `**splat`, with `key: None`).
#[derive(Clone, Debug, PartialEq)]
pub struct DictEntry {
    pub key: Option<Expr>,
    pub value: Expr,
    /// The whole entry, `"KEY": value` (without the separating comma).
    pub range: TextRange,
}

/// A call: the callee (dotted, imports resolved: `os.environ.get`), positional and keyword
/// arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The callee as a dotted path with import aliases resolved, or its source text.
    pub func: String,
    pub func_range: TextRange,
    pub args: Vec<Expr>,
    pub kwargs: Vec<Kwarg>,
    /// The argument list including its parentheses.
    pub args_range: TextRange,
    /// Where a new keyword argument goes.
    pub insert: InsertPoint,
}

impl Call {
    /// The keyword argument `name`, if given.
    pub fn kwarg(&self, name: &str) -> Option<&Kwarg> {
        self.kwargs.iter().find(|k| k.name == name)
    }

    /// The keyword argument `name`, else the positional argument at `index`.
    pub fn arg(&self, index: usize, name: &str) -> Option<&Expr> {
        self.kwarg(name)
            .map(|k| &k.value)
            .or_else(|| self.args.get(index))
    }
}

/// `name=value` in a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Kwarg {
    pub name: String,
    pub name_range: TextRange,
    pub value: Expr,
    pub range: TextRange,
}

/// A binary operation.
#[derive(Clone, Debug, PartialEq)]
pub struct BinOp {
    pub op: String,
    pub left: Expr,
    pub right: Expr,
}

/// A name reference (`LOCATION = REDIS_URL`).
#[derive(Clone, Debug, PartialEq)]
pub struct NameRef {
    pub name: String,
    /// The value the name was bound to at this point of the module (the last binding
    /// evaluated before, in any branch), when known.
    pub target: Option<Arc<Expr>>,
}

/// Where something can be inserted in a dict literal, a list, or an argument list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertPoint {
    /// The whole container, brackets included.
    pub container: TextRange,
    /// Insert here: right after the last entry (and its trailing comma, if any), or right
    /// after the opening bracket when empty.
    pub offset: usize,
    /// The end of the last entry, when there is one.
    pub last_entry_end: Option<usize>,
    /// Whether the last entry is followed by a comma already.
    pub trailing_comma: bool,
    /// The indentation of the entries when they sit on their own lines (multi-line
    /// container), `None` for a one-line container.
    pub indent: Option<String>,
    /// The indentation of the line holding the closing bracket (multi-line only).
    pub closing_indent: Option<String>,
}

impl InsertPoint {
    /// The edits (range, replacement) that add `entry` (`"KEY": value` or `name=value`)
    /// as the last entry, following the container's layout: on its own line with the
    /// entries' indentation and a trailing comma in a multi-line container, `, entry`
    /// in a one-line one.
    pub fn add_entry(&self, entry: &str) -> Vec<(TextRange, String)> {
        let mut edits = Vec::new();
        match (&self.indent, self.last_entry_end) {
            (Some(indent), last) => {
                if let (Some(end), false) = (last, self.trailing_comma) {
                    edits.push((TextRange::empty(end), ",".to_owned()));
                }
                edits.push((TextRange::empty(self.offset), format!("\n{indent}{entry},")));
            }
            (None, Some(end)) => {
                if self.trailing_comma {
                    edits.push((TextRange::empty(self.offset), format!(" {entry}")));
                } else {
                    edits.push((TextRange::empty(end), format!(", {entry}")));
                }
            }
            (None, None) => edits.push((TextRange::empty(self.offset), entry.to_owned())),
        }
        edits
    }
}

/// Which API read the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnvSource {
    /// `os.environ.get(NAME, default)` (also `environ.get` after `from os import environ`).
    OsEnvironGet,
    /// `os.getenv(NAME, default)`.
    OsGetenv,
    /// `os.environ[NAME]`: raises when unset.
    OsEnvironIndex,
    /// `os.environ.setdefault(NAME, default)`.
    OsEnvironSetdefault,
    /// django-environ: `env(...)`, `env.bool(...)`, `env.db()` ...
    DjangoEnviron,
    /// python-decouple: `config(NAME, default=..., cast=...)`.
    Decouple,
}

/// A cast or comparison applied to the value read from the environment, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvOp {
    /// Python's `bool(x)`: any non-empty string is `True` (`bool("False")` is `True`).
    Truthy,
    /// django-environ / decouple boolean parsing (`"true"`, `"on"`, `"yes"`, `"1"` ...).
    ParseBool,
    Int,
    Float,
    Str,
    /// A comma-separated list (`env.list`, decouple `Csv()`).
    List,
    Tuple,
    Json,
    /// `== value`
    Eq(Value),
    /// `!= value`
    Ne(Value),
    /// `in (values...)`
    In(Vec<Value>),
    /// `not in (values...)`
    NotIn(Vec<Value>),
    /// `.split(sep)`
    Split(Option<String>),
    Lower,
    Upper,
    Strip,
    /// `not x`
    Not,
    /// A cast the model does not know, by its text.
    Other(String),
}

/// An environment lookup.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvLookup {
    pub source: EnvSource,
    /// The variable name when it is a literal.
    pub var: Option<String>,
    pub var_range: TextRange,
    /// The default, as written (`None` when there is none).
    pub default: Option<Expr>,
    /// Whether a missing variable raises (`os.environ[...]`, `env("X")` without default,
    /// decouple without default).
    pub required: bool,
    /// Casts and comparisons applied to the looked-up string, in order. The default is
    /// cast too when `cast_default` is set (decouple and `bool(os.environ.get(...))`
    /// cast it; django-environ returns a default as is).
    pub ops: Vec<EnvOp>,
    /// Which of `ops` also apply to the default: the first `default_ops_from` ops are
    /// skipped for it (django-environ does not cast defaults).
    pub default_ops_from: usize,
}

/// The answer to "what is this when the variable is unset".
#[derive(Clone, Debug, PartialEq)]
pub enum Unset {
    /// The value.
    Value(Value),
    /// Reading it raises (no default).
    Raises,
    /// The model cannot tell.
    Unknown,
}

impl EnvLookup {
    /// The value when the variable is not set: the default (or `None` for `.get` without
    /// one) through the casts that apply to it.
    pub fn unset_value(&self) -> Unset {
        let start = match &self.default {
            Some(d) => match d.unset_value() {
                Some(v) => v,
                None => return Unset::Unknown,
            },
            None if self.required => return Unset::Raises,
            None => Value::None,
        };
        let ops = self.ops.get(self.default_ops_from..).unwrap_or(&[]);
        let mut v = start;
        for op in ops {
            match apply_op(op, v) {
                Some(next) => v = next,
                None => return Unset::Unknown,
            }
        }
        Unset::Value(v)
    }

    /// Whether some value of the variable can make the expression equal `target`
    /// (`DEBUG = os.environ.get("DEBUG") == "True"` can be `True`). Conservative: answers
    /// `true` when the model cannot rule it out.
    pub fn can_be(&self, target: &Value) -> bool {
        if let Unset::Value(v) = self.unset_value()
            && &v == target
        {
            return true;
        }
        match self.ops.last() {
            None | Some(EnvOp::Str | EnvOp::Lower | EnvOp::Upper | EnvOp::Strip) => {
                matches!(target, Value::Str(_))
            }
            Some(
                EnvOp::Truthy
                | EnvOp::ParseBool
                | EnvOp::Eq(_)
                | EnvOp::Ne(_)
                | EnvOp::In(_)
                | EnvOp::NotIn(_)
                | EnvOp::Not,
            ) => matches!(target, Value::Bool(_)),
            Some(EnvOp::Int) => matches!(target, Value::Int(_)),
            Some(EnvOp::Float) => matches!(target, Value::Float(_) | Value::Int(_)),
            Some(EnvOp::List | EnvOp::Split(_)) => matches!(target, Value::List(_)),
            Some(EnvOp::Tuple) => matches!(target, Value::Tuple(_)),
            Some(EnvOp::Json | EnvOp::Other(_)) => true,
        }
    }
}

fn apply_op(op: &EnvOp, v: Value) -> Option<Value> {
    Some(match op {
        EnvOp::Truthy => Value::Bool(truthy(&v)?),
        EnvOp::ParseBool => match &v {
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Bool(*i != 0),
            Value::Str(s) => Value::Bool(matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "true" | "on" | "ok" | "y" | "yes" | "1" | "t"
            )),
            Value::None => Value::Bool(false),
            _ => return None,
        },
        EnvOp::Int => match &v {
            Value::Int(i) => Value::Int(*i),
            Value::Bool(b) => Value::Int(i64::from(*b)),
            Value::Str(s) => Value::Int(s.trim().parse().ok()?),
            Value::Float(f) if f.is_finite() => Value::Int(f.trunc() as i64),
            _ => return None,
        },
        EnvOp::Float => match &v {
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Value::Float(*i as f64),
            Value::Float(f) => Value::Float(*f),
            Value::Str(s) => Value::Float(s.trim().parse().ok()?),
            _ => return None,
        },
        EnvOp::Str => match &v {
            Value::Str(_) => v,
            Value::Int(i) => Value::Str(i.to_string()),
            Value::None => Value::Str("None".to_owned()),
            Value::Bool(b) => Value::Str(if *b { "True" } else { "False" }.to_owned()),
            _ => return None,
        },
        EnvOp::List | EnvOp::Tuple => match &v {
            Value::Str(s) => {
                let items = s
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(|x| Value::Str(x.to_owned()));
                list_of(items, matches!(op, EnvOp::Tuple))
            }
            Value::List(_) | Value::Tuple(_) => v,
            _ => return None,
        },
        EnvOp::Split(sep) => match &v {
            Value::Str(s) => {
                let items: Vec<Value> = match sep {
                    Some(sep) if !sep.is_empty() => s
                        .split(sep.as_str())
                        .map(|x| Value::Str(x.to_owned()))
                        .collect(),
                    _ => s
                        .split_whitespace()
                        .map(|x| Value::Str(x.to_owned()))
                        .collect(),
                };
                list_of(items.into_iter(), false)
            }
            _ => return None,
        },
        EnvOp::Lower | EnvOp::Upper | EnvOp::Strip => match &v {
            Value::Str(s) => Value::Str(match op {
                EnvOp::Lower => s.to_lowercase(),
                EnvOp::Upper => s.to_uppercase(),
                _ => s.trim().to_owned(),
            }),
            _ => return None,
        },
        EnvOp::Eq(rhs) => Value::Bool(loose_eq(&v, rhs)?),
        EnvOp::Ne(rhs) => Value::Bool(!loose_eq(&v, rhs)?),
        EnvOp::In(vals) => Value::Bool(vals.iter().any(|x| loose_eq(&v, x) == Some(true))),
        EnvOp::NotIn(vals) => Value::Bool(!vals.iter().any(|x| loose_eq(&v, x) == Some(true))),
        EnvOp::Not => Value::Bool(!truthy(&v)?),
        EnvOp::Json => match &v {
            Value::Str(_) => return None,
            _ => v,
        },
        EnvOp::Other(_) => return None,
    })
}

fn list_of(items: impl Iterator<Item = Value>, tuple: bool) -> Value {
    let exprs = items
        .map(|value| Expr::new(TextRange::default(), empty_file(), value))
        .collect();
    if tuple {
        Value::Tuple(exprs)
    } else {
        Value::List(exprs)
    }
}

pub(crate) fn empty_file() -> FileRef {
    Arc::from(Path::new(""))
}

fn loose_eq(a: &Value, b: &Value) -> Option<bool> {
    Some(match (a, b) {
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::None, Value::None) => true,
        (Value::Str(_), Value::Int(_) | Value::Bool(_) | Value::None)
        | (Value::Int(_) | Value::Bool(_) | Value::None, Value::Str(_))
        | (Value::None, Value::Int(_) | Value::Bool(_))
        | (Value::Int(_) | Value::Bool(_), Value::None) => false,
        (Value::Int(x), Value::Bool(y)) | (Value::Bool(y), Value::Int(x)) => *x == i64::from(*y),
        _ => return None,
    })
}

/// Python truthiness of a known value.
pub fn truthy(v: &Value) -> Option<bool> {
    Some(match v {
        Value::Str(s) => !s.is_empty(),
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Bool(b) => *b,
        Value::None => false,
        Value::List(x) | Value::Tuple(x) | Value::Set(x) => !x.is_empty(),
        Value::Dict(d) => !d.entries.is_empty(),
        _ => return None,
    })
}

/// What built a [`Value::UrlConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlConfigKind {
    /// `dj_database_url.config(...)`: reads `DATABASE_URL` (or `env=`).
    DjDatabaseUrlConfig,
    /// `dj_database_url.parse(url, ...)`.
    DjDatabaseUrlParse,
    /// django-environ `env.db()` / `env.db_url()`.
    EnvironDb,
    /// django-environ `env.cache()` / `env.cache_url()`.
    EnvironCache,
}

/// A database or cache settings dict built from a URL.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlConfig {
    pub kind: UrlConfigKind,
    pub call: Call,
    /// The URL: an env lookup (with its default) or a literal.
    pub url: Option<Expr>,
    /// The backend, from an `engine=`/`backend=` argument or the URL's scheme when literal
    /// (or the default URL's).
    pub engine: Option<String>,
}

impl UrlConfig {
    /// The keyword argument that sets `key` of the resulting dict, with the library's
    /// default when the argument is absent: dj-database-url's `conn_max_age=0` and
    /// `conn_health_checks=False`.
    pub fn key_kwarg(&self, key: &str) -> Option<(&'static str, Value)> {
        if !matches!(
            self.kind,
            UrlConfigKind::DjDatabaseUrlConfig | UrlConfigKind::DjDatabaseUrlParse
        ) {
            return None;
        }
        match key {
            "CONN_MAX_AGE" => Some(("conn_max_age", Value::Int(0))),
            "CONN_HEALTH_CHECKS" => Some(("conn_health_checks", Value::Bool(false))),
            _ => None,
        }
    }
}

/// The Django backend for a database URL scheme (dj-database-url / django-environ).
pub fn db_engine_for_scheme(scheme: &str) -> Option<&'static str> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" | "pgsql" | "psql" => "django.db.backends.postgresql",
        "postgis" => "django.contrib.gis.db.backends.postgis",
        "mysql" | "mysql2" => "django.db.backends.mysql",
        "mysqlgis" => "django.contrib.gis.db.backends.mysql",
        "sqlite" => "django.db.backends.sqlite3",
        "spatialite" => "django.contrib.gis.db.backends.spatialite",
        "oracle" => "django.db.backends.oracle",
        "oraclegis" => "django.contrib.gis.db.backends.oracle",
        "mssql" => "mssql",
        "cockroach" => "django_cockroachdb",
        "timescale" => "timescale.db.backends.postgresql",
        _ => return None,
    })
}

/// The cache backend for a cache URL scheme (django-environ).
pub fn cache_backend_for_scheme(scheme: &str) -> Option<&'static str> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "redis" | "rediss" | "rediscache" => "django_redis.cache.RedisCache",
        "dbcache" => "django.core.cache.backends.db.DatabaseCache",
        "dummycache" => "django.core.cache.backends.dummy.DummyCache",
        "filecache" => "django.core.cache.backends.filebased.FileBasedCache",
        "locmemcache" => "django.core.cache.backends.locmem.LocMemCache",
        "memcache" | "pymemcache" => "django.core.cache.backends.memcached.PyMemcacheCache",
        "pylibmc" => "django.core.cache.backends.memcached.PyLibMCCache",
        _ => return None,
    })
}

impl Expr {
    /// A new expression (its nesting depth computed from its children).
    pub fn new(range: TextRange, file: FileRef, value: Value) -> Self {
        let depth = value_depth(&value).saturating_add(1);
        if depth > MAX_DEPTH {
            return Self {
                range,
                file,
                value: Value::Unknown(String::new()),
                depth: 1,
            };
        }
        Self {
            range,
            file,
            value,
            depth,
        }
    }

    pub(crate) fn depth(&self) -> u16 {
        self.depth
    }

    /// The string value, when the expression is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The expression with name references followed (`X = Y` → `Y`'s value), up to a
    /// bounded number of steps.
    pub fn resolved(&self) -> &Expr {
        let mut cur = self;
        for _ in 0..MAX_DEPTH {
            match &cur.value {
                Value::Name(NameRef {
                    target: Some(t), ..
                }) => cur = t,
                _ => break,
            }
        }
        cur
    }

    /// The value when every environment variable is unset: literals as they are, env
    /// lookups replaced by their (cast) defaults, names followed, f-strings and `+`
    /// concatenations of strings joined. `None` when unknown or when it would raise.
    pub fn unset_value(&self) -> Option<Value> {
        budgeted(|| self.unset_value_step())
    }

    fn unset_value_step(&self) -> Option<Value> {
        if !step() {
            return None;
        }
        match &self.value {
            Value::Env(e) => match e.unset_value() {
                Unset::Value(v) => Some(v),
                _ => None,
            },
            Value::Name(n) => n.target.as_ref()?.unset_value(),
            Value::Concat(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p.unset_value()? {
                        Value::Str(x) => s.push_str(&x),
                        Value::Int(i) => s.push_str(&i.to_string()),
                        _ => return None,
                    }
                    if s.len() > caps::MAX_STR_LEN {
                        return None;
                    }
                }
                Some(Value::Str(s))
            }
            Value::Call(_) | Value::BinOp(_) | Value::Unknown(_) | Value::UrlConfig(_) => None,
            v => Some(v.clone()),
        }
    }

    /// Whether the expression can evaluate to `target`: `true` for an equal literal, for
    /// an env lookup that can produce it, and (conservatively) for anything unknown.
    pub fn can_be(&self, target: &Value) -> bool {
        match &self.resolved().value {
            Value::Env(e) => e.can_be(target),
            Value::Call(_) | Value::BinOp(_) | Value::Unknown(_) | Value::Name(_) => true,
            Value::Concat(_) => matches!(target, Value::Str(_)),
            v => v == target,
        }
    }

    /// The env lookup this expression reads (following names), if any.
    pub fn env(&self) -> Option<&EnvLookup> {
        match &self.resolved().value {
            Value::Env(e) => Some(e),
            _ => None,
        }
    }

    /// The list or tuple elements (following names and `+` of lists), if static.
    /// `None` past [`caps::MAX_LIST_ITEMS`] items or [`caps::MAX_STEPS`] steps.
    pub fn list_items(&self) -> Option<Vec<&Expr>> {
        let mut out = Vec::new();
        budgeted(|| collect_list(self, &mut out, 0)).then_some(out)
    }
}

fn collect_list<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>, depth: u16) -> bool {
    if depth > MAX_DEPTH || !step() {
        return false;
    }
    match &e.value {
        Value::List(items) | Value::Tuple(items) => {
            if out.len().saturating_add(items.len()) > caps::MAX_LIST_ITEMS {
                return false;
            }
            out.extend(items.iter());
            true
        }
        Value::Name(NameRef {
            target: Some(t), ..
        }) => collect_list(t, out, depth + 1),
        Value::BinOp(b) if b.op == "+" => {
            collect_list(&b.left, out, depth + 1) && collect_list(&b.right, out, depth + 1)
        }
        _ => false,
    }
}

fn value_depth(v: &Value) -> u16 {
    let items = |xs: &[Expr]| xs.iter().map(Expr::depth).max().unwrap_or(0);
    match v {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) | Value::Concat(xs) => items(xs),
        Value::Dict(d) => d
            .entries
            .iter()
            .map(|e| e.value.depth().max(e.key.as_ref().map_or(0, Expr::depth)))
            .max()
            .unwrap_or(0),
        Value::Env(e) => e.default.as_ref().map_or(0, Expr::depth),
        Value::UrlConfig(u) => call_depth(&u.call).max(u.url.as_ref().map_or(0, Expr::depth)),
        Value::BinOp(b) => b.left.depth().max(b.right.depth()),
        Value::Call(c) => call_depth(c),
        Value::Name(n) => n.target.as_ref().map_or(0, |t| t.depth()),
        _ => 0,
    }
}

fn call_depth(c: &Call) -> u16 {
    c.args
        .iter()
        .map(Expr::depth)
        .chain(c.kwargs.iter().map(|k| k.value.depth()))
        .max()
        .unwrap_or(0)
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

/// A compact, readable rendering (for snapshots and messages); long parts are elided.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn seq(
            f: &mut std::fmt::Formatter<'_>,
            open: &str,
            xs: &[Expr],
            close: &str,
        ) -> std::fmt::Result {
            f.write_str(open)?;
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                if i == 4 && xs.len() > 5 {
                    return write!(f, "… {} more{close}", xs.len() - 4);
                }
                write!(f, "{x}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::None => f.write_str("None"),
            Value::List(xs) => seq(f, "[", xs, "]"),
            Value::Tuple(xs) => seq(f, "(", xs, ")"),
            Value::Set(xs) => seq(f, "{", xs, "}"),
            Value::Dict(d) => {
                f.write_str("{")?;
                for (i, e) in d.entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if i == 4 && d.entries.len() > 5 {
                        return write!(f, "… {} more}}", d.entries.len() - 4);
                    }
                    match &e.key {
                        Some(k) => write!(f, "{k}: {}", e.value)?,
                        None => write!(f, "**{}", e.value)?,
                    }
                }
                f.write_str("}")
            }
            Value::Env(e) => {
                let src = match e.source {
                    EnvSource::OsEnvironGet => "os.environ.get",
                    EnvSource::OsGetenv => "os.getenv",
                    EnvSource::OsEnvironSetdefault => "os.environ.setdefault",
                    EnvSource::OsEnvironIndex => "os.environ[]",
                    EnvSource::DjangoEnviron => "env",
                    EnvSource::Decouple => "config",
                };
                write!(f, "{src}({}", e.var.as_deref().unwrap_or("?"))?;
                if let Some(d) = &e.default {
                    write!(f, ", default={d}")?;
                }
                f.write_str(")")?;
                for op in &e.ops {
                    match op {
                        EnvOp::Eq(v) => write!(f, " == {v}")?,
                        EnvOp::Ne(v) => write!(f, " != {v}")?,
                        EnvOp::In(_) => f.write_str(" in (…)")?,
                        EnvOp::NotIn(_) => f.write_str(" not in (…)")?,
                        EnvOp::Split(s) => write!(
                            f,
                            ".split({})",
                            s.as_deref().map(|s| format!("{s:?}")).unwrap_or_default()
                        )?,
                        EnvOp::Other(o) => write!(f, " as {o}")?,
                        other => write!(f, " as {}", format!("{other:?}").to_lowercase())?,
                    }
                }
                match e.unset_value() {
                    Unset::Value(v) => write!(f, " [unset: {v}]"),
                    Unset::Raises => f.write_str(" [unset: raises]"),
                    Unset::Unknown => Ok(()),
                }
            }
            Value::UrlConfig(u) => {
                write!(f, "{}(", u.call.func)?;
                for (i, k) in u.call.kwargs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}={}", k.name, k.value)?;
                }
                f.write_str(")")?;
                if let Some(e) = &u.engine {
                    write!(f, " [engine: {e}]")?;
                }
                Ok(())
            }
            Value::Concat(parts) => {
                f.write_str("concat(")?;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" + ")?;
                    }
                    write!(f, "{p}")?;
                }
                f.write_str(")")
            }
            Value::BinOp(b) => write!(f, "({} {} {})", b.left, b.op, b.right),
            Value::Call(c) => {
                write!(f, "{}(", c.func)?;
                let n = c.args.len() + c.kwargs.len();
                if n > 0 {
                    f.write_str("…")?;
                }
                f.write_str(")")
            }
            Value::Name(n) => write!(f, "{}", n.name),
            Value::Unknown(t) => {
                let short: String = t.chars().take(40).collect();
                let short = short.split_whitespace().collect::<Vec<_>>().join(" ");
                if t.chars().count() > 40 {
                    write!(f, "?`{short}…`")
                } else {
                    write!(f, "?`{short}`")
                }
            }
        }
    }
}
