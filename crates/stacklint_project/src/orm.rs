//! The Django model graph: every model of the project's `models.py` files and `models/`
//! packages (app label = the app's folder), with inherited fields, relations resolved
//! (`"app.Model"`, `"self"`, names through imports, `settings.AUTH_USER_MODEL` as an
//! external model), reverse relations, and every index the database will have.
//!
//! Each file's classes and queries come from [`stacklint_python::PyModule::orm`], cached
//! with the parsed file; the graph itself is built once per project on first use
//! ([`crate::Project::models`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use stacklint_python::orm::{AttrValue, ChainRoot, ClassDef, FieldDef, OrmFile, QCall, RelTarget, Root};
use stacklint_python::{ImportSpec, PyModule};
use stacklint_text::TextRange;

use crate::project::{Project, SourceFile};

/// Every model of the project.
#[derive(Debug, Default)]
pub struct ModelGraph {
    pub models: Vec<Model>,
    by_name: ByName,
}

/// The models' indexes by class name: a lookup is a hash, not a walk over every model
/// (resolving each query's model on each keystroke in an editor).
#[derive(Debug, Default)]
struct ByName(HashMap<String, Vec<usize>>);

impl ByName {
    fn new(models: &[Model]) -> ByName {
        let mut map: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in models.iter().enumerate() {
            map.entry(m.name.clone()).or_default().push(i);
        }
        ByName(map)
    }

    /// The first model named `name` for which `keep` holds.
    fn find(&self, name: &str, mut keep: impl FnMut(usize) -> bool) -> Option<usize> {
        self.0.get(name)?.iter().copied().find(|&i| keep(i))
    }

    /// The only model named `name`.
    fn unique(&self, name: &str) -> Option<usize> {
        match self.0.get(name)?.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Model {
    pub app: String,
    pub name: String,
    pub file: PathBuf,
    /// Its index among the classes of [`OrmFile::classes`] of `file`.
    pub class: usize,
    pub abstract_: bool,
    /// Whether every base is known (an unknown base may add fields and indexes).
    pub complete: bool,
    pub fields: Vec<Field>,
    pub indexes: Vec<ModelIndex>,
    /// Relations of other models pointing here.
    pub reverse: Vec<Reverse>,
    /// Manager attributes declared on it or an abstract base (`published = PublishedManager()`).
    pub managers: Vec<String>,
    /// Those whose manager class may change what a query loads or filters in a way
    /// stacklint cannot read (see [`ManagerDef::opaque`]).
    pub opaque_managers: Vec<String>,
    /// The managers made of project classes or Django's, in declaration order (own first).
    pub manager_defs: Vec<ManagerDef>,
    /// `Meta.default_manager_name`, else the first manager declared: what
    /// `_default_manager` (and `get_object_or_404(Model, ...)`) uses. `None`: Django's
    /// automatic `objects`.
    pub default_manager: Option<String>,
    /// `Meta.base_manager_name`: `_base_manager` is Django's plain manager without it.
    pub base_manager: Option<String>,
}

impl Model {
    /// The manager attribute a name stands for (`_default_manager` → the first declared).
    fn manager_attr<'a>(&'a self, manager: &'a str) -> Option<&'a str> {
        match manager {
            "_default_manager" => self.default_manager.as_deref(),
            "_base_manager" => self.base_manager.as_deref(),
            m => Some(m),
        }
    }

    /// Whether rows read through `manager` may be loaded or filtered by the manager itself
    /// in a way stacklint cannot read.
    pub fn manager_is_opaque(&self, manager: &str) -> bool {
        self.manager_attr(manager).is_some_and(|m| self.opaque_managers.iter().any(|o| o == m))
    }

    /// What a manager is made of; `None` for Django's automatic `objects` (and a name that
    /// is no manager of the model).
    pub fn manager_def(&self, manager: &str) -> Option<&ManagerDef> {
        let attr = self.manager_attr(manager)?;
        self.manager_defs.iter().find(|d| d.attr == attr)
    }
}

/// A class of the project: its file and its index in that file's [`OrmFile::classes`].
#[derive(Debug, Clone)]
pub struct ClassRef {
    pub file: PathBuf,
    pub class: usize,
}

/// A manager attribute of a model and the classes it is made of: `published =
/// PublishedManager()`, `objects = PostQuerySet.as_manager()`,
/// `objects = BaseManager.from_queryset(PostQuerySet)()`.
#[derive(Debug, Clone)]
pub struct ManagerDef {
    pub attr: String,
    /// The manager's project classes, subclass first (the class and its project bases).
    pub classes: Vec<ClassRef>,
    /// The project QuerySet classes whose methods it has, subclass first.
    pub querysets: Vec<ClassRef>,
    /// Its class is not found, has a base outside the project and Django, or has a
    /// `get_queryset` that is not one `return super().get_queryset()...` chain: every
    /// query through it may filter or load more than stacklint reads.
    pub opaque: bool,
    /// One of its project classes has a `get_queryset` that is not read (a class outside the
    /// project is not counted: Django's and libraries' managers seldom filter).
    pub unread_get_queryset: bool,
}

/// Where a call of a query through a manager comes from when the query does not write it.
#[derive(Debug, Clone, Copy)]
pub struct Via<'p> {
    /// The class and the method whose chain holds it (`PublishedManager`, `get_queryset`).
    pub class: &'p str,
    pub method: &'p str,
    /// The call of the query it stands for (`.published()`); `None` for the manager's
    /// `get_queryset`, which every query through it runs.
    pub written: Option<TextRange>,
}

/// A query's calls with those of its manager's `get_queryset` first and each custom
/// QuerySet or manager method replaced by its chain ([`ModelGraph::managed_calls`]).
#[derive(Debug, Default)]
pub struct ManagedCalls<'p> {
    pub calls: Vec<&'p QCall>,
    /// For each call, where it comes from when the query does not write it.
    pub via: Vec<Option<Via<'p>>>,
    /// The manager, or a custom method the query calls, cannot be read: it may filter or
    /// load more than `calls` say.
    pub opaque: bool,
    /// A `get_queryset` of the manager's project classes, or a custom method the query
    /// calls, is not read: the query may filter on columns `calls` do not show.
    pub unread: bool,
}

impl<'p> ManagedCalls<'p> {
    /// Calls as written, with nothing from a manager.
    pub fn plain(calls: Vec<&'p QCall>) -> ManagedCalls<'p> {
        let via = vec![None; calls.len()];
        ManagedCalls { calls, via, opaque: false, unread: false }
    }

    fn push(&mut self, call: &'p QCall, via: Option<Via<'p>>) {
        self.calls.push(call);
        self.via.push(via);
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub def: FieldDef,
    /// Declared on a concrete parent (multi-table inheritance): its column lives in the
    /// parent's table.
    pub on_parent: bool,
    pub target: Option<Related>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Related {
    Model(usize),
    /// `settings.AUTH_USER_MODEL` or a model this project does not define.
    External,
}

#[derive(Debug, Clone)]
pub struct Reverse {
    /// The attribute on instances (`messages`, `booking_set`).
    pub accessor: String,
    pub from: usize,
    pub field: String,
    /// `False` for the reverse of a OneToOneField (one object, not a manager).
    pub many: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKind {
    PrimaryKey,
    Unique,
    DbIndex,
    ForeignKey,
    SlugField,
    /// `Meta.indexes[i]` of the model or of an abstract base.
    Meta { own: bool, item: usize },
    UniqueTogether,
    IndexTogether,
    UniqueConstraint,
}

#[derive(Debug, Clone)]
pub struct ModelIndex {
    pub fields: Vec<String>,
    pub kind: IndexKind,
    /// A btree over plain columns in order (Meta indexes with a condition, expressions,
    /// descending columns or another access method are not).
    pub plain: bool,
}

impl ModelIndex {
    /// How a message names it: `Meta.indexes (category, is_active)`, `unique=True on slug`.
    pub fn describe(&self) -> String {
        let f = self.fields.join(", ");
        match self.kind {
            IndexKind::PrimaryKey => format!("the primary key `{f}`"),
            IndexKind::Unique => format!("`unique=True` on `{f}`"),
            IndexKind::DbIndex => format!("`db_index=True` on `{f}`"),
            IndexKind::ForeignKey => format!("the foreign key index on `{f}`"),
            IndexKind::SlugField => format!("the SlugField index on `{f}`"),
            IndexKind::Meta { .. } => format!("`Meta.indexes` ({f})"),
            IndexKind::UniqueTogether => format!("`unique_together` ({f})"),
            IndexKind::IndexTogether => format!("`index_together` ({f})"),
            IndexKind::UniqueConstraint => format!("`UniqueConstraint` ({f})"),
        }
    }
}

impl Model {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.def.name == name)
    }

    pub fn reverse(&self, accessor: &str) -> Option<&Reverse> {
        self.reverse.iter().find(|r| r.accessor == accessor)
    }

    /// The primary key's name (`id` unless a field says `primary_key=True`).
    pub fn pk(&self) -> &str {
        self.fields.iter().find(|f| f.def.primary_key).map_or("id", |f| f.def.name.as_str())
    }
}

impl ModelGraph {
    pub fn get(&self, i: usize) -> Option<&Model> {
        self.models.get(i)
    }

    /// The models defined in `file`.
    pub fn in_file<'a>(&'a self, file: &'a Path) -> impl Iterator<Item = (usize, &'a Model)> + 'a {
        self.models.iter().enumerate().filter(move |(_, m)| m.file == file)
    }

    /// The model a query's chain starts from, through the file's imports; `None` when the
    /// name is not a model of this project.
    pub fn query_model(&self, project: &Project, file: &SourceFile, q: usize) -> Option<usize> {
        let module = file.python()?;
        let orm = module.orm();
        let origin = orm.origin(q)?;
        match &origin.root {
            Root::Manager { model, manager, .. } => {
                let i = self.resolve_name(project, &file.path, module, model)?;
                let known = matches!(manager.as_str(), "objects" | "_default_manager" | "_base_manager") || self.models.get(i).is_some_and(|m| m.managers.iter().any(|x| x == manager));
                known.then_some(i)
            }
            Root::Name(name) if origin.shortcut && origin.base.is_none() => self.resolve_name(project, &file.path, module, name),
            Root::Name(_) | Root::ClassQueryset => None,
        }
    }

    /// A class named in `file` (`PostSerializer`, `serializers.PostSerializer`): in the same
    /// file, else through a `from x import Name` import of the project. `None` when it is
    /// not found or more than one class of that file has the name.
    pub fn resolve_class<'p>(&self, project: &'p Project, file: &'p SourceFile, dotted: &str) -> Option<(&'p SourceFile, usize)> {
        find_class(project, file, dotted)
    }

    /// The calls a query through `manager` of `model` runs: the manager's `get_queryset`
    /// chain (when every class of the manager is read and each `get_queryset` is one
    /// `return super().get_queryset()...`), then `calls` with each custom method of the
    /// manager or its QuerySet (`.published()`) whose body is one `return self...` chain
    /// replaced by that chain's calls (to a depth of 4; a method that cannot be read stays
    /// and makes the result opaque).
    pub fn managed_calls<'p>(&self, project: &'p Project, model: &Model, manager: &str, calls: Vec<&'p QCall>) -> ManagedCalls<'p> {
        let Some(def) = model.manager_def(manager) else {
            let mut plain = ManagedCalls::plain(calls);
            plain.opaque = model.manager_is_opaque(manager);
            return plain;
        };
        let class_of = |r: &ClassRef| -> Option<&'p ClassDef> { project.file(&r.file)?.python()?.orm().classes.get(r.class) };
        let managers: Vec<&'p ClassDef> = def.classes.iter().filter_map(class_of).collect();
        let querysets: Vec<&'p ClassDef> = def.querysets.iter().filter_map(class_of).collect();
        let mut out = ManagedCalls { calls: Vec::new(), via: Vec::new(), opaque: def.opaque, unread: def.unread_get_queryset };
        let ctx = Methods { managers: &managers, querysets: &querysets };
        if !def.opaque {
            for class in managers.iter().rev() {
                if let Some(chain) = class.chains.iter().find(|c| c.name == "get_queryset" && c.root == ChainRoot::Super) {
                    for c in &chain.calls {
                        ctx.expand(&mut out, c, Some(Via { class: &class.name, method: "get_queryset", written: None }), 1);
                    }
                }
            }
        }
        for c in calls {
            ctx.expand(&mut out, c, None, 0);
        }
        out
    }

}

/// The custom methods a query through a manager may call.
struct Methods<'a, 'p> {
    managers: &'a [&'p ClassDef],
    querysets: &'a [&'p ClassDef],
}

impl<'p> Methods<'_, 'p> {
    fn expand(&self, out: &mut ManagedCalls<'p>, call: &'p QCall, via: Option<Via<'p>>, depth: usize) {
        // Every query through the manager already starts with its `get_queryset`.
        if call.method == "get_queryset" && via.is_none() {
            return;
        }
        let classes = self.managers.iter().map(|c| (*c, true)).chain(self.querysets.iter().map(|c| (*c, false)));
        for (class, is_manager) in classes {
            if !class.method_names.contains(&call.method) {
                continue;
            }
            let chain = class.chains.iter().find(|c| c.name == call.method);
            let readable = chain.filter(|ch| match ch.root {
                ChainRoot::SelfValue => true,
                ChainRoot::SelfQueryset => is_manager,
                ChainRoot::Super => false,
            });
            match readable {
                Some(ch) if depth < 4 && out.calls.len() < 256 => {
                    // Only a call of the query itself stands in its file; one inside a
                    // `get_queryset` chain is in the manager's.
                    let written = via.map_or(Some(call.range), |v| v.written);
                    for inner in &ch.calls {
                        self.expand(out, inner, Some(Via { class: &class.name, method: &ch.name, written }), depth + 1);
                    }
                }
                _ => {
                    out.opaque = true;
                    out.unread = true;
                    out.push(call, via);
                }
            }
            return;
        }
        out.push(call, via);
    }
}

/// A class named in `file` (see [`ModelGraph::resolve_class`]).
fn find_class<'p>(project: &'p Project, file: &'p SourceFile, dotted: &str) -> Option<(&'p SourceFile, usize)> {
    let module = file.python()?;
    let only = |f: &'p SourceFile, name: &str| -> Option<(&'p SourceFile, usize)> {
        let classes = &f.python()?.orm().classes;
        let mut it = classes.iter().enumerate().filter(|(_, c)| c.name == name);
        let (i, _) = it.next()?;
        it.next().is_none().then_some((f, i))
    };
    let (head, rest) = dotted.split_once('.').map_or((dotted, None), |(h, r)| (h, Some(r)));
    if rest.is_none()
        && let Some(found) = only(file, head)
    {
        return Some(found);
    }
    for imp in module.imports() {
        let (spec, name) = if imp.names.is_empty() {
            // `from . import serializers` is a names import; `import app.serializers as s`.
            let Some(rest) = rest.filter(|r| !r.contains('.')) else { continue };
            if imp.alias.as_deref() != Some(head) {
                continue;
            }
            (imp.spec.clone(), rest)
        } else {
            let Some(n) = imp.names.iter().find(|n| n.alias.as_deref().unwrap_or(&n.name) == head) else { continue };
            match rest {
                None => (imp.spec.clone(), n.name.as_str()),
                Some(r) if !r.contains('.') => {
                    let mut s = imp.spec.clone();
                    s.module.push(n.name.clone());
                    (s, r)
                }
                Some(_) => continue,
            }
        };
        for cand in spec.candidates(&file.path, Some(&project.root)) {
            if let Some(f) = project.file(&cand)
                && let Some(found) = only(f, name)
            {
                return Some(found);
            }
        }
    }
    None
}

impl ModelGraph {
    /// A dotted name used in `file` (`Room`, `models.Room`, `chat.models.Room`) as a model.
    pub fn resolve_name(&self, project: &Project, file: &Path, module: &PyModule, dotted: &str) -> Option<usize> {
        let parts: Vec<&str> = dotted.split('.').collect();
        let (head, rest) = parts.split_first()?;
        if rest.is_empty()
            && let Some(i) = self.by_name.find(head, |i| self.models.get(i).is_some_and(|m| m.file == file))
        {
            return Some(i);
        }
        for imp in module.imports() {
            let (spec, class_path): (ImportSpec, Vec<&str>) = if imp.names.is_empty() {
                match &imp.alias {
                    Some(a) if a == head => (imp.spec.clone(), rest.to_vec()),
                    None if imp.spec.module.first().is_some_and(|m| m == head) => {
                        let n = imp.spec.module.len();
                        let Some(tail) = parts.get(n..) else { continue };
                        if parts.get(..n).is_none_or(|p| p.iter().zip(&imp.spec.module).any(|(a, b)| a != b)) {
                            continue;
                        }
                        (imp.spec.clone(), tail.to_vec())
                    }
                    _ => continue,
                }
            } else {
                let Some(n) = imp.names.iter().find(|n| n.alias.as_deref().unwrap_or(&n.name) == *head) else { continue };
                if rest.is_empty() {
                    (imp.spec.clone(), vec![n.name.as_str()])
                } else {
                    let mut s = imp.spec.clone();
                    s.module.push(n.name.clone());
                    (s, rest.to_vec())
                }
            };
            let Some((class, modpath)) = class_path.split_last() else { continue };
            let mut s = spec;
            s.module.extend(modpath.iter().map(|p| (*p).to_owned()));
            if let Some(i) = s.candidates(file, Some(&project.root)).iter().find_map(|cand| model_at(&self.models, &self.by_name, cand, class)) {
                return Some(i);
            }
        }
        None
    }
}

impl Project {
    /// Every query of the project's Python files with the model it starts from, as
    /// `(file, query, model)`: indexes into `files`, the file's `orm().queries` and
    /// [`Project::models`]. Worked out once per build (several rules walk them).
    pub fn query_models(&self) -> &[(usize, usize, usize)] {
        self.query_models.get_or_init(|| {
            use rayon::prelude::*;
            let graph = self.models();
            self.files
                .par_iter()
                .enumerate()
                .filter(|(_, f)| f.kind.is_python())
                .flat_map_iter(|(fi, file)| {
                    let queries = file.python().map_or(0, |m| m.orm().queries.len());
                    (0..queries).filter_map(move |q| graph.query_model(self, file, q).map(|m| (fi, q, m)))
                })
                .collect()
        })
    }
}

/// Whether a Python file holds models: `models.py`, or a module of a `models/` package.
fn models_file(path: &Path) -> Option<String> {
    let parent = path.parent()?;
    let app_dir = if path.file_name()? == "models.py" {
        parent
    } else if parent.file_name()? == "models" && path.extension()? == "py" {
        parent.parent()?
    } else {
        return None;
    };
    Some(app_dir.file_name()?.to_string_lossy().into_owned())
}

/// One class of a models file, before the graph knows whether it is a model.
struct Candidate<'a> {
    app: String,
    file: &'a SourceFile,
    module: &'a PyModule,
    class: usize,
    def: &'a ClassDef,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    /// `models.Model` (or a known Django base whose fields are not read here).
    Django { complete: bool },
    Class(usize),
    /// A class of the project that is not a model (a mixin): adds nothing.
    Plain,
    Unknown,
}

pub(crate) fn build(project: &Project) -> ModelGraph {
    let mut cands: Vec<Candidate<'_>> = Vec::new();
    for file in project.files.iter().filter(|f| f.kind.is_python()) {
        let Some(app) = models_file(&file.path) else { continue };
        let Some(module) = file.python() else { continue };
        let orm: &OrmFile = module.orm();
        for (class, def) in orm.classes.iter().enumerate() {
            cands.push(Candidate { app: app.clone(), file, module, class, def });
        }
    }
    // Bases: Django's, another candidate (same file, else through the imports), or unknown.
    let resolve_base = |c: &Candidate<'_>, base: &str| -> Base {
        let aliases = c.module.import_aliases();
        let head = base.split('.').next().unwrap_or(base);
        let full = aliases.get(head).map_or_else(|| base.to_owned(), |f| base.replacen(head, f, 1));
        if full == "django.db.models.Model" || full == "django.db.models.base.Model" {
            return Base::Django { complete: true };
        }
        if full.starts_with("django.contrib.auth.models.") || full.starts_with("django.contrib.auth.base_user.") {
            return Base::Django { complete: false };
        }
        let last = base.rsplit('.').next().unwrap_or(base);
        if let Some(i) = cands.iter().position(|o| o.file.path == c.file.path && o.def.name == last) {
            return Base::Class(i);
        }
        // Through an import of the project: `from core.models import TimeStamped`.
        if aliases.contains_key(head) {
            for imp in c.module.imports().iter().filter(|i| i.names.iter().any(|n| n.alias.as_deref().unwrap_or(&n.name) == head)) {
                for cand in imp.spec.candidates(&c.file.path, Some(&project.root)) {
                    if let Some(i) = cands.iter().position(|o| o.file.path == cand && o.def.name == last) {
                        return Base::Class(i);
                    }
                    if project.file(&cand).is_some() {
                        return Base::Plain;
                    }
                }
            }
        }
        Base::Unknown
    };
    let bases: Vec<Vec<Base>> = cands.iter().map(|c| c.def.bases.iter().map(|b| resolve_base(c, b)).collect()).collect();
    // Is a model: a base is Django's or a model; a class with fields and an unknown base
    // is taken as a model whose inherited part is unknown.
    let mut is_model: Vec<Option<bool>> = vec![None; cands.len()];
    for _ in 0..8 {
        for i in 0..cands.len() {
            let Some(bs) = bases.get(i) else { continue };
            let Some(c) = cands.get(i) else { continue };
            let v = bs.iter().any(|b| match b {
                Base::Django { .. } => true,
                Base::Class(j) => is_model.get(*j).copied().flatten() == Some(true),
                _ => false,
            }) || (!c.def.fields.is_empty() && bs.contains(&Base::Unknown));
            if let Some(slot) = is_model.get_mut(i) {
                *slot = Some(v);
            }
        }
    }
    let mut index_of: HashMap<usize, usize> = HashMap::new();
    let mut models = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        if is_model.get(i).copied().flatten() != Some(true) {
            continue;
        }
        index_of.insert(i, models.len());
        models.push(Model {
            app: c.app.clone(),
            name: c.def.name.clone(),
            file: c.file.path.clone(),
            class: c.class,
            abstract_: c.def.meta.as_ref().is_some_and(|m| m.abstract_),
            complete: true,
            fields: Vec::new(),
            indexes: Vec::new(),
            reverse: Vec::new(),
            managers: Vec::new(),
            opaque_managers: Vec::new(),
            manager_defs: Vec::new(),
            default_manager: None,
            base_manager: None,
        });
    }
    // Fields and indexes, own and inherited (depth-first through the bases).
    for (&ci, &mi) in &index_of {
        let mut fields = Vec::new();
        let mut indexes = Vec::new();
        let mut complete = true;
        collect(&cands, &bases, &index_of, ci, true, false, 0, &mut fields, &mut indexes, &mut complete);
        let mut managers: Vec<String> = Vec::new();
        let mut manager_defs: Vec<ManagerDef> = Vec::new();
        let mut stack = vec![(ci, 0)];
        while let Some((k, depth)) = stack.pop() {
            let Some(c) = cands.get(k).filter(|_| depth < 16) else { continue };
            for attr in c.def.managers() {
                if !managers.iter().any(|m| m == attr) {
                    managers.push(attr.to_owned());
                    manager_defs.push(manager_def(project, c, attr));
                }
            }
            if let Some(bs) = bases.get(k) {
                stack.extend(bs.iter().filter_map(|b| match b {
                    Base::Class(j) => Some((*j, depth + 1)),
                    _ => None,
                }));
            }
        }
        if !fields.iter().any(|f: &Field| f.def.primary_key) {
            indexes.insert(0, ModelIndex { fields: vec!["id".to_owned()], kind: IndexKind::PrimaryKey, plain: true });
        }
        let meta_name = |name: &str| match cands.get(ci).and_then(|c| c.def.meta.as_ref()).and_then(|mt| mt.attr(name)).map(|a| &a.value) {
            Some(AttrValue::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let (default_name, base_manager) = (meta_name("default_manager_name"), meta_name("base_manager_name"));
        if let Some(m) = models.get_mut(mi) {
            m.fields = fields;
            m.indexes = indexes;
            m.complete = complete;
            m.default_manager = default_name.or_else(|| managers.first().cloned());
            m.base_manager = base_manager;
            m.opaque_managers = manager_defs.iter().filter(|d| d.opaque).map(|d| d.attr.clone()).collect();
            m.managers = managers;
            m.manager_defs = manager_defs;
        }
    }
    // Relations: resolve targets, then the reverse accessors.
    let by_name = ByName::new(&models);
    let mut reverses: Vec<(usize, Reverse)> = Vec::new();
    for mi in 0..models.len() {
        let Some(m) = models.get(mi) else { continue };
        let Some(ci) = index_of.iter().find(|(_, v)| **v == mi).map(|(k, _)| *k) else { continue };
        let Some(c) = cands.get(ci) else { continue };
        let targets: Vec<Option<Related>> = m
            .fields
            .iter()
            .map(|f| {
                let t = f.def.target.as_ref()?;
                Some(resolve_target(project, &models, &by_name, mi, c, t))
            })
            .collect();
        let lower = m.name.to_lowercase();
        for (f, t) in m.fields.iter().zip(&targets) {
            if let Some(Related::Model(to)) = t
                && !m.abstract_
            {
                let accessor = match &f.def.related_name {
                    Some(n) if n.ends_with('+') => continue,
                    Some(n) => n.replace("%(class)s", &lower).replace("%(app_label)s", &m.app.to_lowercase()),
                    None if f.def.is_one_to_one() => lower.clone(),
                    None => format!("{lower}_set"),
                };
                reverses.push((*to, Reverse { accessor, from: mi, field: f.def.name.clone(), many: !f.def.is_one_to_one() }));
            }
        }
        if let Some(m) = models.get_mut(mi) {
            for (f, t) in m.fields.iter_mut().zip(targets) {
                f.target = t;
            }
        }
    }
    for (to, r) in reverses {
        if let Some(m) = models.get_mut(to) {
            m.reverse.push(r);
        }
    }
    ModelGraph { models, by_name }
}

/// Django's manager classes: read, they add nothing to a query.
const DJANGO_MANAGERS: [&str; 2] = ["Manager", "BaseManager"];

/// What the manager assigned to `attr` in the class of `c` is made of: Django's `Manager`,
/// `QuerySet.as_manager()` and `X.from_queryset(QS)()` (with `X` Django's or a project
/// class), or a project class (`PublishedManager()`), found through the imports too.
fn manager_def(project: &Project, c: &Candidate<'_>, attr: &str) -> ManagerDef {
    let mut def = ManagerDef { attr: attr.to_owned(), classes: Vec::new(), querysets: Vec::new(), opaque: false, unread_get_queryset: false };
    let Some(AttrValue::Call { callee, args, .. }) = c.def.attr(attr).map(|a| &a.value) else {
        def.opaque = true;
        return def;
    };
    if let Some(qs) = callee.strip_suffix(".as_manager") {
        queryset_classes(project, c.file, qs, 0, &mut def.querysets);
    } else if let Some(manager) = callee.strip_suffix(".from_queryset()") {
        def.opaque = !manager_classes(project, c.file, manager, 0, &mut def);
        // `from_queryset(partial(QS, ...))`: its methods are not known.
        if let Some(qs) = args.first() {
            queryset_classes(project, c.file, qs, 0, &mut def.querysets);
        }
    } else {
        def.opaque = !manager_classes(project, c.file, callee, 0, &mut def);
    }
    def
}

/// Adds the manager class `dotted` (named in `file`) and its project bases to `def`;
/// whether every one is read: Django's manager, or a project class whose `get_queryset`
/// (if it has one) is one `return super().get_queryset()...` chain and whose bases are read.
fn manager_classes(project: &Project, file: &SourceFile, dotted: &str, depth: usize, def: &mut ManagerDef) -> bool {
    let last = dotted.rsplit('.').next().unwrap_or(dotted);
    let Some((f, ci)) = find_class(project, file, dotted).filter(|_| depth < 8 && def.classes.len() < 16) else {
        return DJANGO_MANAGERS.contains(&last) || last == "object";
    };
    let Some(class) = f.python().and_then(|p| p.orm().classes.get(ci)) else { return false };
    def.classes.push(ClassRef { file: f.path.clone(), class: ci });
    let mut read = !class.method_names.iter().any(|m| m == "get_queryset") || class.chains.iter().any(|ch| ch.name == "get_queryset" && ch.root == ChainRoot::Super);
    def.unread_get_queryset |= !read;
    for base in &class.bases {
        read &= manager_classes(project, f, base, depth + 1, def);
    }
    for (callee, args) in &class.call_bases {
        // `class M(BaseManager.from_queryset(QS))`.
        let Some(manager) = callee.strip_suffix(".from_queryset") else {
            read = false;
            continue;
        };
        read &= manager_classes(project, f, manager, depth + 1, def);
        if let Some(qs) = args.first() {
            queryset_classes(project, f, qs, depth + 1, &mut def.querysets);
        }
    }
    read
}

/// Adds the QuerySet class `dotted` (named in `file`) and its project bases to `out`.
fn queryset_classes(project: &Project, file: &SourceFile, dotted: &str, depth: usize, out: &mut Vec<ClassRef>) {
    let Some((f, ci)) = find_class(project, file, dotted).filter(|_| depth < 8 && out.len() < 16) else { return };
    let Some(class) = f.python().and_then(|p| p.orm().classes.get(ci)) else { return };
    out.push(ClassRef { file: f.path.clone(), class: ci });
    for base in &class.bases {
        queryset_classes(project, f, base, depth + 1, out);
    }
}

#[allow(clippy::too_many_arguments)]
fn collect(cands: &[Candidate<'_>], bases: &[Vec<Base>], index_of: &HashMap<usize, usize>, ci: usize, own: bool, on_parent: bool, depth: usize, fields: &mut Vec<Field>, indexes: &mut Vec<ModelIndex>, complete: &mut bool) {
    let (Some(c), Some(bs)) = (cands.get(ci), bases.get(ci)) else { return };
    if depth > 16 {
        *complete = false;
        return;
    }
    for b in bs {
        match b {
            Base::Class(j) if index_of.contains_key(j) => {
                let parent_abstract = cands.get(*j).and_then(|p| p.def.meta.as_ref()).is_some_and(|m| m.abstract_);
                // A concrete parent's fields live in its table: usable for relations, not
                // for this model's indexes.
                if parent_abstract {
                    collect(cands, bases, index_of, *j, false, on_parent, depth + 1, fields, indexes, complete);
                } else {
                    let mut ignored = Vec::new();
                    collect(cands, bases, index_of, *j, false, true, depth + 1, fields, &mut ignored, complete);
                }
            }
            Base::Django { complete: false } | Base::Unknown => *complete = false,
            _ => {}
        }
    }
    for f in &c.def.fields {
        fields.retain(|x| x.def.name != f.name);
        fields.push(Field { def: f.clone(), on_parent, target: None });
        let one = || vec![f.name.clone()];
        let kind = if f.primary_key {
            Some(IndexKind::PrimaryKey)
        } else if f.unique {
            Some(IndexKind::Unique)
        } else if f.db_index == Some(true) {
            Some(IndexKind::DbIndex)
        } else if f.db_index.is_none() && (f.is_foreign_key() || f.is_one_to_one()) {
            Some(IndexKind::ForeignKey)
        } else if f.db_index.is_none() && f.class == "SlugField" {
            Some(IndexKind::SlugField)
        } else {
            None
        };
        if let Some(kind) = kind.filter(|_| !on_parent) {
            indexes.push(ModelIndex { fields: one(), kind, plain: true });
        }
    }
    if on_parent {
        return;
    }
    let Some(meta) = &c.def.meta else { return };
    if let Some(list) = &meta.indexes {
        if !list.literal {
            *complete = false;
        }
        for (item, ix) in list.items.iter().enumerate() {
            indexes.push(ModelIndex { fields: ix.fields.clone(), kind: IndexKind::Meta { own, item }, plain: ix.plain && ix.btree });
        }
    }
    for (list, kind) in [(&meta.unique_together, IndexKind::UniqueTogether), (&meta.index_together, IndexKind::IndexTogether), (&meta.unique_constraints, IndexKind::UniqueConstraint)] {
        for fs in list {
            indexes.push(ModelIndex { fields: fs.clone(), kind: kind.clone(), plain: true });
        }
    }
}

fn resolve_target(project: &Project, models: &[Model], by_name: &ByName, me: usize, cand: &Candidate<'_>, target: &RelTarget) -> Related {
    let app = models.get(me).map_or("", |m| m.app.as_str());
    let by = |app: Option<&str>, name: &str| by_name.find(name, |i| app.is_none_or(|a| models.get(i).is_some_and(|m| m.app == a)));
    let found = match target {
        RelTarget::Str(s) if s == "self" => Some(me),
        RelTarget::Str(s) => match s.rsplit_once('.') {
            Some((a, n)) => by(Some(a), n).or_else(|| by_name.unique(n)),
            None => by(Some(app), s).or_else(|| by_name.unique(s)),
        },
        RelTarget::Name(n) if n.ends_with("AUTH_USER_MODEL") => None,
        RelTarget::Name(n) => {
            let last = n.rsplit('.').next().unwrap_or(n);
            by_name.find(n, |i| models.get(i).is_some_and(|m| m.file == cand.file.path)).or_else(|| resolve_in(project, models, by_name, cand, n)).or_else(|| if n.contains('.') { None } else { by(Some(app), last) })
        }
    };
    found.map_or(Related::External, Related::Model)
}

/// A class name through the file's `from x import Name` imports.
fn resolve_in(project: &Project, models: &[Model], by_name: &ByName, c: &Candidate<'_>, dotted: &str) -> Option<usize> {
    let name = dotted.rsplit('.').next()?;
    for imp in c.module.imports() {
        if !imp.names.iter().any(|n| n.alias.as_deref().unwrap_or(&n.name) == dotted) {
            continue;
        }
        if let Some(i) = imp.spec.candidates(&c.file.path, Some(&project.root)).iter().find_map(|cand| model_at(models, by_name, cand, name)) {
            return Some(i);
        }
    }
    None
}

/// The model `name` of the module file `cand`; for a package's `__init__.py`, of any module
/// of that package (`models/__init__.py` re-exports `models/room.py`).
fn model_at(models: &[Model], by_name: &ByName, cand: &Path, name: &str) -> Option<usize> {
    let folder = cand.file_name().is_some_and(|n| n == "__init__.py").then(|| cand.parent()).flatten();
    by_name.find(name, |i| models.get(i).is_some_and(|m| m.file == cand || folder.is_some_and(|d| m.file.parent() == Some(d))))
}

#[cfg(test)]
mod tests {
    use stacklint_python::orm::Root;

    use crate::{Project, ProjectOptions};

    /// The methods of the calls each query of `app/views.py` runs, and whether it is opaque.
    fn managed(sources: &[(&str, &str)]) -> Vec<(Vec<String>, bool)> {
        let p = Project::from_sources(ProjectOptions::default(), sources);
        let graph = p.models();
        let Some(file) = p.files.iter().find(|f| f.path.ends_with("app/views.py")) else { return Vec::new() };
        let Some(orm) = file.python().map(stacklint_python::PyModule::orm) else { return Vec::new() };
        (0..orm.queries.len())
            .filter_map(|q| {
                let model = graph.get(graph.query_model(&p, file, q)?)?;
                let Some(Root::Manager { manager, .. }) = orm.origin(q).map(|o| &o.root) else { return None };
                let m = graph.managed_calls(&p, model, manager, orm.effective_calls(q));
                Some((m.calls.iter().map(|c| c.method.clone()).collect(), m.opaque))
            })
            .collect()
    }

    #[test]
    fn managers_and_querysets_add_their_chains_without_looping() {
        let models = "from django.db import models\nfrom .qs import PostQuerySet\n\nclass Base(models.Manager):\n    def get_queryset(self):\n        return super().get_queryset().select_related(\"a\")\n\nclass Live(Base):\n    def get_queryset(self):\n        return super().get_queryset().filter(live=True)\n\nclass LoopAManager(LoopBManager):\n    pass\n\nclass LoopBManager(LoopAManager):\n    pass\n\nclass Post(models.Model):\n    live = models.BooleanField()\n    objects = Live.from_queryset(PostQuerySet)()\n    plain = models.Manager()\n    looping = LoopAManager()\n";
        let qs = "from django.db import models\n\nclass PostQuerySet(models.QuerySet):\n    def mine(self, u):\n        return self.recent().filter(owner=u)\n\n    def recent(self):\n        return self.order_by(\"-at\")\n\n    def forever(self):\n        return self.forever().filter(x=1)\n";
        let views = "from .models import Post\n\ndef f(u):\n    a = Post.objects.mine(u).first()\n    b = Post.objects.forever()\n    c = Post._default_manager.all()\n    d = Post.plain.all()\n    e = Post.looping.all()\n    return a, b, c, d, e\n";
        let got = managed(&[("app/models.py", models), ("app/qs.py", qs), ("app/views.py", views)]);
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (s(&["select_related", "filter", "order_by", "filter", "first"]), false),
                // Bounded: the method that calls itself stays, opaque.
                (s(&["select_related", "filter", "forever", "filter", "filter", "filter", "filter"]), true),
                (s(&["select_related", "filter", "all"]), false),
                (s(&["all"]), false),
                // Classes that are each other's base: bounded, and not read.
                (s(&["all"]), true),
            ]
        );
    }
}
