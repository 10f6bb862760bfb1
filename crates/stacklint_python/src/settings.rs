//! Static evaluation of a settings module (Django settings, gunicorn.conf.py): every
//! top-level binding in order, the condition it sits under, `from .base import *` chains,
//! and queries that follow dicts and later subscript assignments.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use stacklint_text::TextRange;
use tree_sitter::Node;

use crate::grammar::{Field, Fields};
use crate::lower::{EnvScheme, Lowerer, Scope};
use crate::module::{Import, ImportSpec, PyModule, add_import_aliases, canonical, dotted_name, node_range};
use crate::value::{EnvOp, Expr, FileRef, InsertPoint, Value};

/// Blocks nested deeper than this are not evaluated.
const MAX_BLOCK_DEPTH: usize = 64;
/// Star-import chains longer than this are cut.
const MAX_IMPORT_DEPTH: usize = 16;

/// How a binding changes its name.
#[derive(Clone, Debug, PartialEq)]
pub enum BindingKind {
    /// `NAME = value` (also `NAME: T = value` and chained `A = B = value`).
    Assign,
    /// `NAME += value` (the operator without `=`: `+`, `|` ...).
    AugAssign { op: String },
    /// `NAME[k1][k2] = value`; the key path is [`Binding::keys`].
    SubscriptAssign,
    /// `NAME.append(value)` (on `NAME[k]...` when [`Binding::keys`] is not empty).
    Append,
    /// `NAME.insert(index, value)`.
    Insert { index: Option<i64> },
    /// `NAME.extend(value)`.
    Extend,
    /// `NAME.update(value)` on a dict.
    Update,
    /// `NAME.remove(value)`.
    Remove,
    /// `NAME: value`: an annotation only, nothing is bound (gunicorn ignores it). The
    /// binding's value is the annotation.
    AnnotationOnly,
    /// `A, B = value`: the element at `index`.
    Unpack { index: usize },
}

impl BindingKind {
    /// Whether the binding gives the whole name a new value (assignment, unpacking,
    /// augmented assignment), as opposed to mutating it or annotating it.
    pub fn rebinds(&self) -> bool {
        matches!(
            self,
            BindingKind::Assign | BindingKind::AugAssign { .. } | BindingKind::Unpack { .. }
        )
    }
}

/// One key of a subscript path (`["default"]`, `[0]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub key: Value,
    pub range: TextRange,
}

impl Key {
    fn matches(&self, segment: &str) -> bool {
        match &self.key {
            Value::Str(s) => s == segment,
            Value::Int(i) => segment.parse::<i64>().is_ok_and(|s| s == *i),
            _ => false,
        }
    }
}

/// Which kind of block a binding sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionKind {
    /// The body of an `if` (or, negated, the `else` that follows it).
    If,
    /// An `elif` test.
    Elif,
    /// The body of a `try` (runs, unless something before the binding raises).
    Try,
    /// An `except` handler; the condition text is the exception types.
    Except,
    /// A `for` or `while` body.
    Loop,
    /// A `case` of a `match`.
    Case,
    /// The import of another module happened under these conditions.
    Import,
}

/// A condition a binding sits under.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub kind: ConditionKind,
    /// The condition's source text (`os.environ.get("DATABASE_URL")`, `ImportError`).
    pub text: String,
    /// Its range (the test expression, or the `except ...` clause header).
    pub range: TextRange,
    pub file: FileRef,
    /// Whether the binding is in the branch taken when the test is false (`else`, or the
    /// earlier tests of an `elif` chain).
    pub negated: bool,
    /// The start of the `if`/`try` statement: the same for every branch of one statement.
    pub statement: usize,
}

impl Condition {
    /// A `try` body or an import made under no real condition does not make a binding
    /// conditional.
    pub fn is_soft(&self) -> bool {
        self.kind == ConditionKind::Try
    }
}

/// Where an imported binding came in.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportSite {
    /// The file holding the import statement.
    pub file: FileRef,
    /// The import statement.
    pub range: TextRange,
    pub spec: ImportSpec,
    /// Where the loader found the module.
    pub resolved: Option<PathBuf>,
}

/// One top-level binding.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub name: String,
    pub kind: BindingKind,
    /// For subscript assignments and mutations of `NAME[k]...`: the keys.
    pub keys: Vec<Key>,
    /// The value assigned (the appended item, the extension list, the annotation ...).
    pub value: Arc<Expr>,
    /// The file the binding is written in.
    pub file: FileRef,
    /// The whole statement.
    pub statement_range: TextRange,
    /// The assignment target (`DEBUG`, `DATABASES['default']['CONN_MAX_AGE']`) or, for
    /// method calls, the receiver.
    pub target_range: TextRange,
    /// The conditions it sits under, outermost first.
    pub conditions: Vec<Condition>,
    /// The chain of imports it came through, outermost first (empty for the evaluated
    /// module's own bindings).
    pub imported_via: Vec<ImportSite>,
}

impl Binding {
    /// Whether the binding runs under an `if`/`except`/loop (a `try` body does not count).
    pub fn is_conditional(&self) -> bool {
        self.conditions.iter().any(|c| !c.is_soft())
    }
}

/// Turns an import into a parsed module. The crate does no IO itself: the caller loads
/// files (or serves them from memory) and keeps them alive.
pub trait ModuleLoader {
    /// The module `spec` imported by the file `importer`, with the path it was found at.
    fn load(&self, importer: &Path, spec: &ImportSpec) -> Option<(PathBuf, &PyModule)>;
}

/// A loader that loads nothing (star imports stay unresolved).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoImports;

impl ModuleLoader for NoImports {
    fn load(&self, _: &Path, _: &ImportSpec) -> Option<(PathBuf, &PyModule)> {
        None
    }
}

/// A loader over parsed modules held in memory by path: relative imports resolve against
/// the importer's folder, absolute ones against `root` and the importer's ancestors
/// (see [`ImportSpec::candidates`]).
#[derive(Debug, Default)]
pub struct MemoryLoader {
    pub root: Option<PathBuf>,
    pub modules: HashMap<PathBuf, PyModule>,
}

impl MemoryLoader {
    pub fn new(root: Option<PathBuf>) -> Self {
        Self {
            root,
            modules: HashMap::new(),
        }
    }

    /// Parse and add a module.
    pub fn add(&mut self, path: impl Into<PathBuf>, source: &str) {
        self.modules.insert(path.into(), PyModule::parse(source));
    }
}

impl ModuleLoader for MemoryLoader {
    fn load(&self, importer: &Path, spec: &ImportSpec) -> Option<(PathBuf, &PyModule)> {
        spec.candidates(importer, self.root.as_deref())
            .into_iter()
            .find_map(|p| self.modules.get(&p).map(|m| (p, m)))
    }
}

/// A django-split-settings `include(...)` the model cannot follow: an absolute path, a
/// glob, a computed path, or a relative file that is not in the project. It executes other
/// files into the module's globals, so every name bound before it may have been replaced
/// (the evaluator rebinds each to an unknown value there) and any setting may have been
/// added.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownInclude {
    /// The file holding the call.
    pub file: FileRef,
    /// The `include(...)` call.
    pub range: TextRange,
}

/// The evaluated bindings of a settings module (and the modules it star-imports),
/// indexed by name.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    bindings: Vec<Binding>,
    by_name: HashMap<String, Vec<usize>>,
    imports: Vec<ImportSite>,
    unresolved: Vec<ImportSite>,
    unknown_includes: Vec<UnknownInclude>,
}

struct Evaluated {
    bindings: Vec<Binding>,
    scope: Scope,
    imports: Vec<ImportSite>,
    unresolved: Vec<ImportSite>,
    unknown_includes: Vec<UnknownInclude>,
}

struct Evaluator<'l> {
    loader: &'l dyn ModuleLoader,
    stack: Vec<PathBuf>,
    cache: HashMap<PathBuf, Rc<Evaluated>>,
}

struct ModuleEval<'m, 'e, 'l> {
    ev: &'e mut Evaluator<'l>,
    module: &'m PyModule,
    path: PathBuf,
    file: FileRef,
    scope: Scope,
    bindings: Vec<Binding>,
    imports: Vec<ImportSite>,
    unresolved: Vec<ImportSite>,
    unknown_includes: Vec<UnknownInclude>,
    conds: Vec<Condition>,
}

impl Settings {
    /// Evaluate one module on its own; imports are recorded but not followed.
    pub fn evaluate(path: &Path, module: &PyModule) -> Settings {
        Self::evaluate_with(path, module, &NoImports)
    }

    /// Evaluate a module, following `from x import *` / `from x import NAME` through
    /// `loader` (recursively, guarding against cycles): the imported module's bindings
    /// come first, each with its own file, then the module's own.
    pub fn evaluate_with(path: &Path, module: &PyModule, loader: &dyn ModuleLoader) -> Settings {
        let mut ev = Evaluator {
            loader,
            stack: Vec::new(),
            cache: HashMap::new(),
        };
        let out = ev.eval_module(path, module);
        let Evaluated {
            bindings,
            imports,
            unresolved,
            unknown_includes,
            ..
        } = Rc::try_unwrap(out).unwrap_or_else(|rc| Evaluated {
            bindings: rc.bindings.clone(),
            scope: Scope::default(),
            imports: rc.imports.clone(),
            unresolved: rc.unresolved.clone(),
            unknown_includes: rc.unknown_includes.clone(),
        });
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, b) in bindings.iter().enumerate() {
            by_name.entry(b.name.clone()).or_default().push(i);
        }
        Settings {
            bindings,
            by_name,
            imports,
            unresolved,
            unknown_includes,
        }
    }

    /// Every binding, in evaluation order (imported modules' bindings where the import is).
    pub fn all(&self) -> &[Binding] {
        &self.bindings
    }

    /// The bindings of `name`, in order.
    pub fn bindings<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Binding> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.bindings.get(i))
    }

    /// Whether any binding (of any kind) exists for `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The binding that decides `name`'s value: the last binding that gives the whole
    /// name a value (assignment, augmented assignment, unpacking — not mutations, not
    /// annotation-only) and is unconditional (a `try` body counts as unconditional); when
    /// every such binding is conditional, the last of them.
    pub fn get(&self, name: &str) -> Option<&Binding> {
        let mut last_any = None;
        let mut last_unconditional = None;
        for b in self
            .bindings(name)
            .filter(|b| b.kind.rebinds() && b.keys.is_empty())
        {
            last_any = Some(b);
            if !b.is_conditional() {
                last_unconditional = Some(b);
            }
        }
        last_unconditional.or(last_any)
    }

    /// The value of [`Settings::get`].
    pub fn value(&self, name: &str) -> Option<&Expr> {
        self.get(name).map(|b| &*b.value)
    }

    /// Annotation-only bindings (`workers: 4`), in order.
    pub fn annotations_only(&self) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(|b| b.kind == BindingKind::AnnotationOnly)
    }

    /// The imports followed (resolved or not), in order.
    pub fn imports(&self) -> &[ImportSite] {
        &self.imports
    }

    /// Imports the loader could not resolve (or that closed a cycle).
    pub fn unresolved_imports(&self) -> &[ImportSite] {
        &self.unresolved
    }

    /// django-split-settings `include(...)` calls whose files the model cannot read (see
    /// [`UnknownInclude`]), in this module and the modules it imports.
    pub fn unknown_includes(&self) -> &[UnknownInclude] {
        &self.unknown_includes
    }

    /// The value(s) at a path: `["DATABASES", "default", "CONN_MAX_AGE"]`. Follows dict
    /// literals, name references, later subscript assignments (`DATABASES["default"]
    /// ["CONN_MAX_AGE"] = 0`), `.update({...})`, dicts replaced under an `if`
    /// (`DATABASES["default"] = dj_database_url.config()`) and dj-database-url kwargs.
    ///
    /// An unconditional binding replaces what came before; a conditional one adds an
    /// alternative. Each outcome is a value, a missing key (with where to insert it), or
    /// an opaque expression. No outcomes: the name is never bound.
    pub fn resolve(&self, path: &[&str]) -> Resolution<'_> {
        let Some((name, rest)) = path.split_first() else {
            return Resolution::default();
        };
        let mut outcomes: Vec<Outcome<'_>> = Vec::new();
        for b in self.bindings(name) {
            let found: Option<Outcome<'_>> = match &b.kind {
                BindingKind::Assign | BindingKind::Unpack { .. } | BindingKind::SubscriptAssign => {
                    let n = b.keys.len();
                    if n <= rest.len() && b.keys.iter().zip(rest.iter()).all(|(k, s)| k.matches(s))
                    {
                        Some(descend(b, &b.value, rest.get(n..).unwrap_or(&[])))
                    } else {
                        None
                    }
                }
                BindingKind::AugAssign { .. } if b.keys.is_empty() && rest.is_empty() => {
                    Some(Outcome::Opaque {
                        binding: b,
                        expr: &b.value,
                    })
                }
                BindingKind::Update => {
                    let n = b.keys.len();
                    if n < rest.len() && b.keys.iter().zip(rest.iter()).all(|(k, s)| k.matches(s)) {
                        match descend(b, &b.value, rest.get(n..).unwrap_or(&[])) {
                            o @ Outcome::Value { .. } => Some(o),
                            _ => None,
                        }
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(o) = found {
                if !b.is_conditional() {
                    outcomes.clear();
                }
                outcomes.push(o);
            }
        }
        Resolution { outcomes }
    }

    /// The elements of a list setting (MIDDLEWARE, INSTALLED_APPS): the last unconditional
    /// list assigned, followed through names and `+`, then `append`/`insert`/`extend`/`+=`
    /// made later, in order. `None` when the name is never bound to a list.
    ///
    /// Bounded: past [`caps::MAX_LIST_ITEMS`](crate::caps::MAX_LIST_ITEMS) items or
    /// [`caps::MAX_LIST_WORK`](crate::caps::MAX_LIST_WORK) items touched, the list is
    /// unknown (no items, not complete) until it is assigned again.
    pub fn list(&self, name: &str) -> Option<ListView<'_>> {
        use crate::value::caps::{MAX_LIST_ITEMS, MAX_LIST_WORK};
        let mut view: Option<ListView<'_>> = None;
        let mut work: usize = 0;
        let mut saturated = false;
        for b in self.bindings(name).filter(|b| b.keys.is_empty()) {
            let reassigns = matches!(b.kind, BindingKind::Assign | BindingKind::Unpack { .. }) && !b.is_conditional();
            if saturated && !reassigns {
                continue;
            }
            // Items touched: an insert shifts the list, a remove compares it, an extend adds.
            let len = view.as_ref().map_or(0, |v| v.items.len());
            work = work.saturating_add(match b.kind {
                BindingKind::Insert { .. } | BindingKind::Remove => 1 + len,
                _ => 1,
            });
            if reassigns {
                saturated = false;
                work = 0;
            }
            match &b.kind {
                BindingKind::Assign | BindingKind::Unpack { .. } => {
                    if b.is_conditional() && view.is_some() {
                        if let Some(v) = view.as_mut() {
                            v.conditional_reassignments.push(b);
                        }
                        continue;
                    }
                    let items = b.value.list_items();
                    view = Some(ListView {
                        complete: items.is_some(),
                        items: items
                            .unwrap_or_default()
                            .into_iter()
                            .map(|e| ListItem {
                                index: 0,
                                expr: e,
                                binding: b,
                                conditional: b.is_conditional(),
                            })
                            .collect(),
                        base: b,
                        conditional_reassignments: Vec::new(),
                    });
                }
                BindingKind::Append
                | BindingKind::Insert { .. }
                | BindingKind::Extend
                | BindingKind::AugAssign { .. } => {
                    let Some(v) = view.as_mut() else { continue };
                    let cond = b.is_conditional();
                    let new: Vec<ListItem<'_>> = match &b.kind {
                        BindingKind::Append | BindingKind::Insert { .. } => {
                            vec![ListItem {
                                index: 0,
                                expr: &b.value,
                                binding: b,
                                conditional: cond,
                            }]
                        }
                        _ => {
                            let items = b.value.list_items();
                            v.complete &= items.is_some();
                            items
                                .unwrap_or_default()
                                .into_iter()
                                .map(|e| ListItem {
                                    index: 0,
                                    expr: e,
                                    binding: b,
                                    conditional: cond,
                                })
                                .collect()
                        }
                    };
                    if let BindingKind::Insert { index } = &b.kind {
                        let len = i64::try_from(v.items.len()).unwrap_or(i64::MAX);
                        let at = match index {
                            Some(i) if *i < 0 => (len + i).max(0),
                            Some(i) => (*i).min(len),
                            None => {
                                v.complete = false;
                                len
                            }
                        };
                        let at = usize::try_from(at).unwrap_or(0).min(v.items.len());
                        for (k, item) in new.into_iter().enumerate() {
                            v.items.insert(at + k, item);
                        }
                    } else {
                        v.items.extend(new);
                    }
                }
                BindingKind::Remove => {
                    if let Some(v) = view.as_mut() {
                        let target = b.value.unset_value();
                        let before = v.items.len();
                        if let Some(pos) = v
                            .items
                            .iter()
                            .position(|it| it.expr.unset_value() == target && target.is_some())
                        {
                            v.items.remove(pos);
                        }
                        if v.items.len() == before {
                            v.complete = false;
                        }
                    }
                }
                _ => {}
            }
            if let Some(v) = view.as_mut()
                && (v.items.len() > MAX_LIST_ITEMS || work > MAX_LIST_WORK)
            {
                v.items.clear();
                v.complete = false;
                saturated = true;
            }
        }
        let mut view = view?;
        for (i, it) in view.items.iter_mut().enumerate() {
            it.index = i;
        }
        Some(view)
    }
}

/// What [`Settings::resolve`] found.
#[derive(Clone, Debug, Default)]
pub struct Resolution<'a> {
    /// The possible outcomes, in binding order; the last one is the unconditional one
    /// or the latest conditional alternative.
    pub outcomes: Vec<Outcome<'a>>,
}

impl<'a> Resolution<'a> {
    /// The name is never bound.
    pub fn is_unbound(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// The values found, in order.
    pub fn values(&self) -> impl Iterator<Item = (&'a Binding, &'a Expr)> + '_ {
        self.outcomes.iter().filter_map(|o| match o {
            Outcome::Value { binding, expr } => Some((*binding, *expr)),
            _ => None,
        })
    }

    /// The outcome of the last unconditional binding (or the last outcome).
    pub fn last(&self) -> Option<&Outcome<'a>> {
        self.outcomes.last()
    }
}

/// One possible outcome of a resolution.
#[derive(Clone, Debug)]
pub enum Outcome<'a> {
    /// The value and the binding it came from (its file and statement).
    Value {
        binding: &'a Binding,
        expr: &'a Expr,
    },
    /// The engine a URL config derives from its scheme (no source text of its own).
    Derived {
        binding: &'a Binding,
        value: Value,
        at: &'a Expr,
    },
    /// `keys` are absent from the dict (or call) that the binding built. `insert` is
    /// where a `"KEY": value` entry (or, with `kwarg`, a `kwarg=value` argument) goes;
    /// `implied` is the value a library fills in when it is absent (dj-database-url's
    /// `conn_max_age=0`).
    Missing {
        binding: &'a Binding,
        keys: Vec<String>,
        insert: Option<&'a InsertPoint>,
        kwarg: Option<&'static str>,
        implied: Option<Value>,
        container: &'a Expr,
    },
    /// The path goes through something the model cannot see into.
    Opaque {
        binding: &'a Binding,
        expr: &'a Expr,
    },
}

impl Outcome<'_> {
    /// The binding this outcome comes from.
    pub fn binding(&self) -> &Binding {
        match self {
            Outcome::Value { binding, .. }
            | Outcome::Derived { binding, .. }
            | Outcome::Missing { binding, .. }
            | Outcome::Opaque { binding, .. } => binding,
        }
    }
}

fn descend<'a>(b: &'a Binding, start: &'a Expr, keys: &[&str]) -> Outcome<'a> {
    let mut cur = start;
    for (i, key) in keys.iter().enumerate() {
        let e = cur.resolved();
        let missing = || {
            keys.get(i..)
                .unwrap_or(&[])
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
        };
        match &e.value {
            Value::Dict(d) => {
                let hit = d.entries.iter().rev().find(|en| {
                    en.key
                        .as_ref()
                        .is_some_and(|k| match k.resolved().unset_value() {
                            Some(Value::Str(s)) => s == *key,
                            Some(Value::Int(n)) => key.parse::<i64>().is_ok_and(|x| x == n),
                            _ => false,
                        })
                });
                match hit {
                    Some(en) => cur = &en.value,
                    None if d.entries.iter().any(|en| en.key.is_none()) => {
                        return Outcome::Opaque {
                            binding: b,
                            expr: e,
                        };
                    }
                    None => {
                        return Outcome::Missing {
                            binding: b,
                            keys: missing(),
                            insert: Some(&d.insert),
                            kwarg: None,
                            implied: None,
                            container: e,
                        };
                    }
                }
            }
            Value::List(items) | Value::Tuple(items) => {
                match key.parse::<usize>().ok().and_then(|k| items.get(k)) {
                    Some(x) => cur = x,
                    None => {
                        return Outcome::Opaque {
                            binding: b,
                            expr: e,
                        };
                    }
                }
            }
            Value::UrlConfig(u) => {
                if let Some((kw, implied)) = u.key_kwarg(key) {
                    match u.call.kwarg(kw) {
                        Some(k) => cur = &k.value,
                        None => {
                            return Outcome::Missing {
                                binding: b,
                                keys: missing(),
                                insert: Some(&u.call.insert),
                                kwarg: Some(kw),
                                implied: Some(implied),
                                container: e,
                            };
                        }
                    }
                } else if matches!(*key, "ENGINE" | "BACKEND") && keys.len() == i + 1 {
                    return match &u.engine {
                        Some(engine) => Outcome::Derived {
                            binding: b,
                            value: Value::Str(engine.clone()),
                            at: e,
                        },
                        None => Outcome::Opaque {
                            binding: b,
                            expr: e,
                        },
                    };
                } else if matches!(*key, "CONN_MAX_AGE" | "CONN_HEALTH_CHECKS") {
                    // django-environ: not set by env.db() unless in the URL's query.
                    return Outcome::Missing {
                        binding: b,
                        keys: missing(),
                        insert: None,
                        kwarg: None,
                        implied: None,
                        container: e,
                    };
                } else {
                    return Outcome::Opaque {
                        binding: b,
                        expr: e,
                    };
                }
            }
            _ => {
                return Outcome::Opaque {
                    binding: b,
                    expr: e,
                };
            }
        }
    }
    Outcome::Value {
        binding: b,
        expr: cur,
    }
}

/// The elements of a list setting.
#[derive(Clone, Debug)]
pub struct ListView<'a> {
    /// The elements in final order.
    pub items: Vec<ListItem<'a>>,
    /// The binding that assigned the list.
    pub base: &'a Binding,
    /// Whether every part was static (no unknown `extend`, no non-list value).
    pub complete: bool,
    /// Conditional reassignments after the base (not applied).
    pub conditional_reassignments: Vec<&'a Binding>,
}

/// One element of a [`ListView`].
#[derive(Clone, Debug)]
pub struct ListItem<'a> {
    /// Its position in the final list.
    pub index: usize,
    /// The element (its range and file say where it is written).
    pub expr: &'a Expr,
    /// The binding that added it.
    pub binding: &'a Binding,
    /// Whether it was added under a condition.
    pub conditional: bool,
}

impl Evaluator<'_> {
    fn eval_module(&mut self, path: &Path, module: &PyModule) -> Rc<Evaluated> {
        if let Some(done) = self.cache.get(path) {
            return done.clone();
        }
        self.stack.push(path.to_path_buf());
        let file: FileRef = Arc::from(path);
        let mut me = ModuleEval {
            ev: self,
            module,
            path: path.to_path_buf(),
            file,
            scope: Scope::default(),
            bindings: Vec::new(),
            imports: Vec::new(),
            unresolved: Vec::new(),
            unknown_includes: Vec::new(),
            conds: Vec::new(),
        };
        if let Some(root) = module.root() {
            me.block(root, 0);
        }
        let out = Rc::new(Evaluated {
            bindings: me.bindings,
            scope: me.scope,
            imports: me.imports,
            unresolved: me.unresolved,
            unknown_includes: me.unknown_includes,
        });
        self.stack.pop();
        self.cache.insert(path.to_path_buf(), out.clone());
        out
    }
}

fn children(n: Node<'_>) -> Vec<Node<'_>> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|x| x.kind() != "comment")
        .collect()
}

impl ModuleEval<'_, '_, '_> {
    fn lower(&self, n: Node<'_>) -> Expr {
        Lowerer {
            module: self.module,
            file: self.file.clone(),
            scope: &self.scope,
        }
        .lower(n)
    }

    fn text(&self, n: Node<'_>) -> &str {
        self.module.node_text(n)
    }

    fn block(&mut self, n: Node<'_>, depth: usize) {
        if depth > MAX_BLOCK_DEPTH {
            return;
        }
        for stmt in children(n) {
            self.statement(stmt, depth);
        }
    }

    fn with_cond(&mut self, conds: Vec<Condition>, body: Option<Node<'_>>, depth: usize) {
        let Some(body) = body else { return };
        let saved = self.conds.len();
        self.conds.extend(conds);
        self.block(body, depth + 1);
        self.conds.truncate(saved);
    }

    fn cond(
        &self,
        kind: ConditionKind,
        node: Node<'_>,
        negated: bool,
        statement: usize,
    ) -> Condition {
        Condition {
            kind,
            text: self.text(node).to_owned(),
            range: node_range(node),
            file: self.file.clone(),
            negated,
            statement,
        }
    }

    fn statement(&mut self, s: Node<'_>, depth: usize) {
        match s.kind() {
            "expression_statement" => {
                for e in children(s) {
                    match e.kind() {
                        "assignment" => self.assignment(s, e),
                        "augmented_assignment" => self.aug_assignment(s, e),
                        "call" if !self.split_settings_include(s, e) => self.method_call(s, e),
                        _ => {}
                    }
                }
            }
            "if_statement" => {
                let start = s.start_byte();
                let mut earlier: Vec<Condition> = Vec::new();
                if let Some(test) = s.field(Field::Condition) {
                    let c = self.cond(ConditionKind::If, test, false, start);
                    self.with_cond(vec![c.clone()], s.field(Field::Consequence), depth);
                    earlier.push(Condition { negated: true, ..c });
                }
                let mut cur = s.walk();
                let alts: Vec<Node<'_>> =
                    s.children_by_field_name("alternative", &mut cur).collect();
                for alt in alts {
                    match alt.kind() {
                        "elif_clause" => {
                            let Some(test) = alt.field(Field::Condition) else {
                                continue;
                            };
                            let c = self.cond(ConditionKind::Elif, test, false, start);
                            let mut conds = earlier.clone();
                            conds.push(c.clone());
                            self.with_cond(conds, alt.field(Field::Consequence), depth);
                            earlier.push(Condition { negated: true, ..c });
                        }
                        "else_clause" => {
                            self.with_cond(earlier.clone(), alt.field(Field::Body), depth);
                        }
                        _ => {}
                    }
                }
            }
            "try_statement" => {
                let start = s.start_byte();
                let try_cond = Condition {
                    kind: ConditionKind::Try,
                    text: "try".to_owned(),
                    range: TextRange::new(start, start + 3),
                    file: self.file.clone(),
                    negated: false,
                    statement: start,
                };
                self.with_cond(vec![try_cond.clone()], s.field(Field::Body), depth);
                for c in children(s) {
                    match c.kind() {
                        "except_clause" | "except_group_clause" => {
                            let kids = children(c);
                            let body = kids.iter().rev().find(|k| k.kind() == "block").copied();
                            let header_end = body.map_or(c.end_byte(), |b| b.start_byte());
                            let header = self
                                .module
                                .text()
                                .get(c.start_byte()..header_end)
                                .unwrap_or("");
                            let header = header.trim_end().trim_end_matches(':').trim_end();
                            let types = header.strip_prefix("except").unwrap_or(header).trim();
                            let cond = Condition {
                                kind: ConditionKind::Except,
                                text: if types.is_empty() {
                                    "*".to_owned()
                                } else {
                                    types.to_owned()
                                },
                                range: TextRange::new(
                                    c.start_byte(),
                                    c.start_byte() + header.len(),
                                ),
                                file: self.file.clone(),
                                negated: false,
                                statement: start,
                            };
                            self.with_cond(vec![cond], body, depth);
                        }
                        "else_clause" => self.with_cond(
                            vec![try_cond.clone()],
                            c.field(Field::Body),
                            depth,
                        ),
                        "finally_clause" => {
                            let body = children(c).into_iter().find(|k| k.kind() == "block");
                            self.with_cond(Vec::new(), body, depth);
                        }
                        _ => {}
                    }
                }
            }
            "with_statement" => self.with_cond(Vec::new(), s.field(Field::Body), depth),
            "for_statement" | "while_statement" => {
                let head = s
                    .field(Field::Right)
                    .or_else(|| s.field(Field::Condition))
                    .unwrap_or(s);
                let c = self.cond(ConditionKind::Loop, head, false, s.start_byte());
                self.with_cond(vec![c], s.field(Field::Body), depth);
                if let Some(alt) = s.field(Field::Alternative) {
                    self.with_cond(Vec::new(), alt.field(Field::Body), depth);
                }
            }
            "match_statement" => {
                if let Some(body) = s.field(Field::Body) {
                    for case in children(body) {
                        if case.kind() == "case_clause" {
                            let pat = children(case)
                                .into_iter()
                                .find(|k| k.kind() == "case_pattern")
                                .unwrap_or(case);
                            let c = self.cond(ConditionKind::Case, pat, false, s.start_byte());
                            self.with_cond(vec![c], case.field(Field::Consequence), depth);
                        }
                    }
                }
            }
            "import_statement" | "import_from_statement" => self.import(s),
            "ERROR" => {
                // Statements swallowed by an error node are still worth reading.
                for c in children(s) {
                    if matches!(
                        c.kind(),
                        "expression_statement"
                            | "if_statement"
                            | "import_from_statement"
                            | "import_statement"
                    ) {
                        self.statement(c, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn import(&mut self, s: Node<'_>) {
        let imp: Option<Import> = if s.kind() == "import_statement" {
            // Plain `import x`: aliases only.
            let all = self.module_imports_of(s);
            for imp in &all {
                add_import_aliases(imp, &mut self.scope.aliases);
                self.scope.env_objects.remove(
                    imp.alias
                        .as_deref()
                        .unwrap_or_else(|| imp.spec.module.first().map_or("", String::as_str)),
                );
            }
            None
        } else {
            self.module.import_from(s)
        };
        let Some(imp) = imp else { return };
        if imp.spec.level == 0 {
            add_import_aliases(&imp, &mut self.scope.aliases);
            let base = imp.spec.dotted();
            for n in &imp.names {
                let local = n.alias.as_deref().unwrap_or(&n.name);
                self.scope.values.remove(local);
                self.scope.env_objects.remove(local);
                if base == "decouple" && n.name == "config" {
                    self.scope.decouple.insert(local.to_owned());
                }
            }
        }
        let site = ImportSite {
            file: self.file.clone(),
            range: imp.range,
            spec: imp.spec.clone(),
            resolved: None,
        };
        // Only project modules are worth following: relative imports, and absolute ones
        // the loader can find.
        if self.ev.stack.len() > MAX_IMPORT_DEPTH {
            self.unresolved.push(site);
            return;
        }
        let loaded = self.ev.loader.load(&self.path, &imp.spec);
        let Some((path, module)) = loaded else {
            if imp.spec.level > 0 || imp.star {
                self.unresolved.push(site.clone());
            }
            if imp.spec.level > 0 || imp.star {
                self.imports.push(site);
            }
            return;
        };
        if self.ev.stack.contains(&path) {
            self.unresolved.push(ImportSite {
                resolved: Some(path),
                ..site
            });
            return;
        }
        let site = ImportSite {
            resolved: Some(path.clone()),
            ..site
        };
        self.imports.push(site.clone());
        let child = self.ev.eval_module(&path, module);
        self.imports.extend(child.imports.iter().cloned());
        self.unresolved.extend(child.unresolved.iter().cloned());
        self.unknown_includes.extend(child.unknown_includes.iter().cloned());
        if imp.star && !child.unknown_includes.is_empty() {
            // The imported module includes files the model cannot read: they may replace
            // what this module bound before the import, too.
            self.rebind_all_unknown(s, node_range(s));
        }
        let import_conds: Vec<Condition> = self.conds.clone();
        let adopt = |b: &Binding, name: &str| {
            let mut b = b.clone();
            name.clone_into(&mut b.name);
            let mut conds = import_conds.clone();
            conds.append(&mut b.conditions);
            b.conditions = conds;
            b.imported_via.insert(0, site.clone());
            b
        };
        if imp.star {
            let new: Vec<Binding> = child
                .bindings
                .iter()
                .filter(|b| !b.name.starts_with('_'))
                .map(|b| adopt(b, &b.name))
                .collect();
            self.bindings.extend(new);
            self.scope.merge_from(&child.scope);
        }
        for n in &imp.names {
            let local = n.alias.as_deref().unwrap_or(&n.name);
            let new: Vec<Binding> = child
                .bindings
                .iter()
                .filter(|b| b.name == n.name)
                .map(|b| adopt(b, local))
                .collect();
            self.bindings.extend(new);
            self.scope.import_name(&child.scope, &n.name, local);
        }
    }

    /// A django-split-settings `include(...)` statement (`from split_settings.tools import
    /// include`): each file named by a relative string literal (or `optional(...)` of one)
    /// that is in the project is evaluated in order, into this module's bindings, like a
    /// star import; any other argument (an absolute path, a glob, a computed path, a file
    /// the project lacks) executes files the model cannot read, so every name bound so far
    /// becomes unknown there. Whether `call` was such an include.
    fn split_settings_include(&mut self, stmt: Node<'_>, call: Node<'_>) -> bool {
        let Some(func) = call.field(Field::Function) else {
            return false;
        };
        let is = |ev: &Self, n: Node<'_>, what: &str| {
            dotted_name(ev.module, n).is_some_and(|d| canonical(&d, &ev.scope.aliases) == what)
        };
        if !is(self, func, "split_settings.tools.include") {
            return false;
        }
        let args = call
            .field(Field::Arguments)
            .map(children)
            .unwrap_or_default();
        let mut unknown = false;
        for arg in args {
            if arg.kind() == "keyword_argument" {
                continue;
            }
            let mut inner = arg;
            if arg.kind() == "call"
                && arg
                    .field(Field::Function)
                    .is_some_and(|f| is(self, f, "split_settings.tools.optional"))
            {
                let inner_args = arg
                    .field(Field::Arguments)
                    .map(children)
                    .unwrap_or_default();
                let [one] = inner_args.as_slice() else {
                    unknown = true;
                    continue;
                };
                inner = *one;
            }
            if !self.include_file(inner) {
                unknown = true;
            }
        }
        if unknown {
            self.rebind_all_unknown(stmt, node_range(call));
            self.unknown_includes.push(UnknownInclude {
                file: self.file.clone(),
                range: node_range(call),
            });
        }
        true
    }

    /// Evaluate the file a relative string literal names (`'components/common.py'`,
    /// against this file's folder), if the loader has it. Whether it was read.
    fn include_file(&mut self, arg: Node<'_>) -> bool {
        let Some(rel) = crate::module::string_literal(self.module, arg) else {
            return false;
        };
        let Some(stem) = rel.strip_suffix(".py") else {
            return false;
        };
        let parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
        let plain = |p: &String| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !parts.iter().all(plain) || self.ev.stack.len() > MAX_IMPORT_DEPTH {
            return false;
        }
        let file_name = format!("{}.py", parts.last().map_or("", String::as_str));
        let spec = ImportSpec {
            level: 1,
            module: parts,
        };
        let Some((path, module)) = self.ev.loader.load(&self.path, &spec) else {
            return false;
        };
        if path.file_name().and_then(|n| n.to_str()) != Some(file_name.as_str())
            || self.ev.stack.contains(&path)
        {
            return false;
        }
        let site = ImportSite {
            file: self.file.clone(),
            range: node_range(arg),
            spec,
            resolved: Some(path.clone()),
        };
        self.imports.push(site.clone());
        let child = self.ev.eval_module(&path, module);
        self.imports.extend(child.imports.iter().cloned());
        self.unresolved.extend(child.unresolved.iter().cloned());
        self.unknown_includes.extend(child.unknown_includes.iter().cloned());
        if !child.unknown_includes.is_empty() {
            self.rebind_all_unknown(arg, node_range(arg));
        }
        // The file runs in this module's globals: every name it binds is adopted.
        let conds = self.conds.clone();
        let new: Vec<Binding> = child
            .bindings
            .iter()
            .map(|b| {
                let mut b = b.clone();
                let mut all = conds.clone();
                all.append(&mut b.conditions);
                b.conditions = all;
                b.imported_via.insert(0, site.clone());
                b
            })
            .collect();
        self.bindings.extend(new);
        self.scope.merge_from(&child.scope);
        true
    }

    /// Every name bound so far may have been replaced at `at` by code the model cannot
    /// read: rebind each to an unknown value there (under the current conditions).
    fn rebind_all_unknown(&mut self, stmt: Node<'_>, at: TextRange) {
        let mut seen = std::collections::HashSet::new();
        let names: Vec<String> = self
            .bindings
            .iter()
            .filter(|b| seen.insert(b.name.as_str()))
            .map(|b| b.name.clone())
            .collect();
        let text = self.module.text().get(at.as_range()).unwrap_or("").to_owned();
        let value = Arc::new(Expr::new(at, self.file.clone(), Value::Unknown(text)));
        for name in names {
            self.scope.values.remove(&name);
            self.scope.forget(&name);
            let b = self.binding(&name, BindingKind::Assign, Vec::new(), value.clone(), stmt, at);
            self.push(b);
        }
    }

    fn module_imports_of(&self, s: Node<'_>) -> Vec<Import> {
        let mut out = Vec::new();
        let mut c = s.walk();
        for name in s.children_by_field_name("name", &mut c) {
            let (module, alias) = match name.kind() {
                "aliased_import" => (
                    name.field(Field::Name).map(|x| self.text(x)),
                    name.field(Field::Alias)
                        .map(|x| self.text(x).to_owned()),
                ),
                _ => (Some(self.text(name)), None),
            };
            if let Some(module) = module {
                out.push(Import {
                    range: node_range(s),
                    spec: ImportSpec::absolute(module),
                    names: Vec::new(),
                    star: false,
                    alias,
                });
            }
        }
        out
    }

    fn push(&mut self, b: Binding) {
        self.bindings.push(b);
    }

    #[allow(clippy::too_many_arguments)]
    fn binding(
        &self,
        name: &str,
        kind: BindingKind,
        keys: Vec<Key>,
        value: Arc<Expr>,
        stmt: Node<'_>,
        target: TextRange,
    ) -> Binding {
        Binding {
            name: name.to_owned(),
            kind,
            keys,
            value,
            file: self.file.clone(),
            statement_range: node_range(stmt),
            target_range: target,
            conditions: self.conds.clone(),
            imported_via: Vec::new(),
        }
    }

    /// `X`, `X["a"]["b"]`, `X[0]` → the name, its range and the keys.
    fn target_path(&self, t: Node<'_>) -> Option<(String, Vec<Key>)> {
        let mut keys = Vec::new();
        let mut cur = t;
        for _ in 0..32 {
            match cur.kind() {
                "identifier" => {
                    keys.reverse();
                    return Some((self.text(cur).to_owned(), keys));
                }
                "subscript" => {
                    let k = cur.field(Field::Subscript)?;
                    let kv = self.lower(k);
                    let key = match kv.resolved().unset_value() {
                        Some(v @ (Value::Str(_) | Value::Int(_))) => v,
                        _ => Value::Unknown(self.text(k).to_owned()),
                    };
                    keys.push(Key {
                        key,
                        range: node_range(k),
                    });
                    cur = cur.field(Field::Value)?;
                }
                _ => return None,
            }
        }
        None
    }

    fn assignment(&mut self, stmt: Node<'_>, a: Node<'_>) {
        // Chained `A = B = value`: the right side nests assignments.
        let mut targets = Vec::new();
        let mut cur = a;
        let mut annotation = None;
        let mut right = None;
        for _ in 0..64 {
            if let Some(l) = cur.field(Field::Left) {
                targets.push(l);
            }
            if annotation.is_none() {
                annotation = cur.field(Field::Type);
            }
            match cur.field(Field::Right) {
                Some(r) if r.kind() == "assignment" => cur = r,
                r => {
                    right = r;
                    break;
                }
            }
        }
        let Some(right) = right else {
            // `name: annotation` — nothing is bound.
            if let (Some(t), Some(ann)) = (targets.first(), annotation)
                && t.kind() == "identifier"
            {
                let value = Arc::new(self.lower(ann));
                let b = self.binding(
                    self.text(*t),
                    BindingKind::AnnotationOnly,
                    Vec::new(),
                    value,
                    stmt,
                    node_range(*t),
                );
                self.push(b);
            }
            return;
        };
        let value = Arc::new(self.lower(right));
        for t in targets {
            self.bind_target(stmt, t, value.clone(), right);
        }
    }

    fn bind_target(&mut self, stmt: Node<'_>, t: Node<'_>, value: Arc<Expr>, right: Node<'_>) {
        match t.kind() {
            "identifier" => {
                let name = self.text(t).to_owned();
                self.note_special(&name, right, &value);
                self.scope.values.insert(name.clone(), value.clone());
                let b = self.binding(
                    &name,
                    BindingKind::Assign,
                    Vec::new(),
                    value,
                    stmt,
                    node_range(t),
                );
                self.push(b);
            }
            "subscript" => {
                if let Some((name, keys)) = self.target_path(t) {
                    let b = self.binding(
                        &name,
                        BindingKind::SubscriptAssign,
                        keys,
                        value,
                        stmt,
                        node_range(t),
                    );
                    self.push(b);
                }
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let items = value.list_items();
                for (i, el) in children(t).into_iter().enumerate() {
                    if el.kind() != "identifier" {
                        continue;
                    }
                    let v = match items.as_ref().and_then(|xs| xs.get(i)) {
                        Some(x) => Arc::new((*x).clone()),
                        None => Arc::new(Expr::new(
                            value.range,
                            self.file.clone(),
                            Value::Unknown(self.text(right).to_owned()),
                        )),
                    };
                    let name = self.text(el).to_owned();
                    self.scope.forget(&name);
                    self.scope.values.insert(name.clone(), v.clone());
                    let b = self.binding(
                        &name,
                        BindingKind::Unpack { index: i },
                        Vec::new(),
                        v,
                        stmt,
                        node_range(el),
                    );
                    self.push(b);
                }
            }
            _ => {}
        }
    }

    /// Track django-environ `Env(...)` instances and decouple `AutoConfig()`s.
    fn note_special(&mut self, name: &str, right: Node<'_>, value: &Expr) {
        self.scope.forget(name);
        let Value::Call(call) = &value.value else {
            return;
        };
        match call.func.as_str() {
            "environ.Env" | "environ.FileAwareEnv" => {
                let mut scheme = EnvScheme::default();
                for kw in &call.kwargs {
                    let (cast, default) = match &kw.value.value {
                        Value::Tuple(parts) => (parts.first(), parts.get(1).cloned()),
                        _ => (Some(&kw.value), None),
                    };
                    let ops = cast.map(scheme_cast).unwrap_or_default();
                    scheme.entries.insert(kw.name.clone(), (ops, default));
                }
                self.scope
                    .env_objects
                    .insert(name.to_owned(), Arc::new(scheme));
            }
            "decouple.AutoConfig" | "decouple.Config" | "decouple.RepositoryEnv" => {
                self.scope.decouple.insert(name.to_owned());
            }
            _ => {}
        }
        let _ = right;
    }

    fn aug_assignment(&mut self, stmt: Node<'_>, a: Node<'_>) {
        let (Some(l), Some(r)) = (
            a.field(Field::Left),
            a.field(Field::Right),
        ) else {
            return;
        };
        let op = a
            .field(Field::Operator)
            .map_or("", |o| self.text(o))
            .trim_end_matches('=')
            .to_owned();
        let Some((name, keys)) = self.target_path(l) else {
            return;
        };
        let value = Arc::new(self.lower(r));
        if keys.is_empty() {
            // Keep the name's value roughly current: `X += [..]` on a known list.
            if op == "+"
                && let Some(prev) = self.scope.values.get(&name).cloned()
            {
                // The previous value is shared, not copied: a copy per `+=` made the
                // cost of each statement grow with every one before it.
                let left = Expr::new(
                    prev.range,
                    self.file.clone(),
                    Value::Name(crate::value::NameRef {
                        name: name.clone(),
                        target: Some(prev),
                    }),
                );
                let combined = Expr::new(
                    left.range.cover(value.range),
                    self.file.clone(),
                    Value::BinOp(Box::new(crate::value::BinOp {
                        op: "+".to_owned(),
                        left,
                        right: (*value).clone(),
                    })),
                );
                self.scope.values.insert(name.clone(), Arc::new(combined));
            }
        }
        let b = self.binding(
            &name,
            BindingKind::AugAssign { op },
            keys,
            value,
            stmt,
            node_range(l),
        );
        self.push(b);
    }

    fn method_call(&mut self, stmt: Node<'_>, call: Node<'_>) {
        let Some(func) = call.field(Field::Function) else {
            return;
        };
        if func.kind() != "attribute" {
            return;
        }
        let (Some(obj), Some(attr)) = (
            func.field(Field::Object),
            func.field(Field::Attribute),
        ) else {
            return;
        };
        let method = self.text(attr);
        if !matches!(method, "append" | "insert" | "extend" | "update" | "remove") {
            return;
        }
        let Some((name, keys)) = self.target_path(obj) else {
            return;
        };
        let args: Vec<Node<'_>> = call
            .field(Field::Arguments)
            .map(children)
            .unwrap_or_default();
        let (kind, value_node) = match (method, args.as_slice()) {
            ("append", [v]) => (BindingKind::Append, *v),
            ("extend", [v]) => (BindingKind::Extend, *v),
            ("update", [v]) if v.kind() != "keyword_argument" => (BindingKind::Update, *v),
            ("remove", [v]) => (BindingKind::Remove, *v),
            ("insert", [i, v]) => {
                let idx = match self.lower(*i).value {
                    Value::Int(n) => Some(n),
                    _ => None,
                };
                (BindingKind::Insert { index: idx }, *v)
            }
            _ => return,
        };
        let value = Arc::new(self.lower(value_node));
        let b = self.binding(&name, kind, keys, value, stmt, node_range(obj));
        self.push(b);
    }
}

fn scheme_cast(c: &Expr) -> Vec<EnvOp> {
    let text = match &c.value {
        Value::Name(n) => n.name.as_str(),
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        _ => "",
    };
    match text {
        "bool" => vec![EnvOp::ParseBool],
        "int" => vec![EnvOp::Int],
        "float" => vec![EnvOp::Float],
        "list" => vec![EnvOp::List],
        "tuple" => vec![EnvOp::Tuple],
        "dict" => vec![EnvOp::Json],
        "str" | "" => Vec::new(),
        other => vec![EnvOp::Other(other.to_owned())],
    }
}
