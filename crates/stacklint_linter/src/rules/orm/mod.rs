//! ORM: Django models and queries.
//!
//! The rules read the model graph ([`stacklint_project::orm`]) and each file's querysets
//! ([`stacklint_python::orm`]). A query is judged only when its model is one of the
//! project's models with every base known: an unresolved name or a third-party base
//! gives no finding.

use std::path::Path;

use stacklint_project::orm::{ManagedCalls, Model, ModelGraph, Via};
use stacklint_project::{Project, SourceFile};
use stacklint_diagnostics::TextRange;
use stacklint_python::orm::{AttrValue, ClassDef, OrmFile, QCall, Root};

use crate::Rule;

pub mod orm001_missing_index;
pub mod orm002_n_plus_one_query;
pub mod orm003_redundant_index;

pub static RULES: &[&Rule] = &[&orm001_missing_index::RULE, &orm002_n_plus_one_query::RULE, &orm003_redundant_index::RULE];

/// Files whose queries run in production: not tests, migrations or fixtures scripts.
/// `path` is relative to the project root: the folders above it say nothing.
pub(crate) fn production_code(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let test_file = name.starts_with("test_") || name.ends_with("_test.py") || name == "tests.py" || name == "conftest.py";
    !test_file && !path.components().any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "test" | "migrations" | "management")))
}

/// One query of a production Python file whose model the graph knows.
pub(crate) struct ResolvedQuery<'a> {
    pub file: &'a SourceFile,
    pub orm: &'a OrmFile,
    pub index: usize,
    pub model: &'a Model,
    /// Its calls in execution order, its manager's first ([`query_calls`]).
    pub calls: Vec<&'a QCall>,
    /// For each call, where it comes from when the query does not write it.
    pub via: Vec<Option<Via<'a>>>,
    /// The manager or a custom method it calls cannot be read.
    pub opaque: bool,
    /// A project `get_queryset` or custom method it runs is not read: it may filter more.
    pub unread: bool,
}

/// The calls a query runs: those of the queries it refines, with its manager's
/// `get_queryset` chain first and its custom QuerySet / manager methods replaced by their
/// chains ([`ModelGraph::managed_calls`]). `get_object_or_404(Post, ...)` runs
/// `Post._default_manager`.
pub(crate) fn query_calls<'a>(project: &'a Project, orm: &'a OrmFile, q: usize, model: &Model) -> ManagedCalls<'a> {
    let calls = orm.effective_calls(q);
    let manager = match orm.origin(q) {
        Some(o) => match &o.root {
            Root::Manager { manager, .. } => manager.as_str(),
            Root::Name(_) if o.shortcut => "_default_manager",
            _ => return ManagedCalls::plain(calls),
        },
        None => return ManagedCalls::plain(calls),
    };
    project.models().managed_calls(project, model, manager, calls)
}

/// Every query of the project resolved to a model; `each` also gets loops through the
/// same resolution.
pub(crate) fn resolved_queries(project: &Project) -> Vec<ResolvedQuery<'_>> {
    let graph = project.models();
    let mut out = Vec::new();
    let mut production: Option<(usize, bool)> = None;
    for &(fi, index, mi) in project.query_models() {
        let (Some(file), Some(model)) = (project.files.get(fi), graph.get(mi)) else { continue };
        // The list comes a file at a time: judge each file's path once.
        let keep = match production {
            Some((f, keep)) if f == fi => keep,
            _ => production_code(file.path.strip_prefix(&project.root).unwrap_or(&file.path)),
        };
        production = Some((fi, keep));
        let Some(orm) = file.python().map(stacklint_python::PyModule::orm) else { continue };
        if keep {
            let managed = query_calls(project, orm, index, model);
            out.push(ResolvedQuery { file, orm, index, model, calls: managed.calls, via: managed.via, opaque: managed.opaque, unread: managed.unread });
        }
    }
    out
}

/// A query that a class runs for a request without writing it as a chain: a DRF view's
/// retrieve by `lookup_field`, a `filterset_fields` filter, a Django detail view's
/// `slug_field`, an admin changelist's `list_filter`.
pub(crate) struct ImpliedQuery<'a> {
    pub file: &'a SourceFile,
    pub model: &'a Model,
    /// The base queryset's calls, then the implied ones.
    pub calls: Vec<QCall>,
    /// For each call, where it comes from when the view's queryset does not write it.
    pub via: Vec<Option<Via<'a>>>,
    /// A project `get_queryset` or custom method of the base queryset is not read.
    pub unread: bool,
    /// Where it is reported: the attribute's value (or the list entry).
    pub at: TextRange,
    /// How the message names it: ``the retrieve of `OrderViewSet` (`lookup_field = "code"`)``.
    pub what: String,
}

fn implied_call(method: &str, lookups: Vec<String>, strings: Vec<String>, at: TextRange) -> QCall {
    QCall { method: method.to_owned(), lookups, strings, other_args: false, unread_condition: false, splat: false, range: at }
}

/// A class of a views module that serves a model through its `queryset` / `get_queryset`.
/// The query is `None` for a Django view that names only `model = X` (its queryset is
/// `X._default_manager.all()`).
fn view_model<'a>(project: &'a Project, graph: &'a ModelGraph, file: &'a SourceFile, orm: &'a OrmFile, class: usize) -> Option<(Option<usize>, &'a Model)> {
    if let Some(q) = orm.class_queryset(class) {
        return Some((Some(q), resolve(project, graph, file, q)?));
    }
    let c = orm.classes.get(class)?;
    if c.method_names.iter().any(|m| m == "get_queryset") || orm.queries.iter().any(|q| q.class == Some(class) && q.class_attr.as_deref() == Some("queryset")) {
        return None;
    }
    let AttrValue::Name(name) = &c.attr("model")?.value else { return None };
    let i = graph.resolve_name(project, &file.path, file.python()?, name)?;
    Some((None, graph.get(i)?))
}

/// DRF's and Django's view classes and mixins: a view built on these alone runs the
/// queries its attributes say (a project base class may override `get_queryset`,
/// `get_object` or `get_serializer_class`).
const VIEW_BASES: [&str; 24] = [
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "GenericViewSet",
    "GenericAPIView",
    "ListAPIView",
    "ListCreateAPIView",
    "RetrieveAPIView",
    "RetrieveUpdateAPIView",
    "RetrieveDestroyAPIView",
    "RetrieveUpdateDestroyAPIView",
    "CreateAPIView",
    "UpdateAPIView",
    "DestroyAPIView",
    "ListModelMixin",
    "RetrieveModelMixin",
    "CreateModelMixin",
    "UpdateModelMixin",
    "DestroyModelMixin",
    "DetailView",
    "ListView",
    "UpdateView",
    "DeleteView",
    "LoginRequiredMixin",
    "PermissionRequiredMixin",
];

/// Whether every base of `class` is one of `known` (last segment: `viewsets.ModelViewSet`).
pub(crate) fn known_bases(class: &ClassDef, known: &[&str]) -> bool {
    !class.bases.is_empty() && class.bases.iter().all(|b| known.contains(&b.rsplit('.').next().unwrap_or(b)))
}

pub(crate) fn is_plain_view(class: &ClassDef) -> bool {
    known_bases(class, &VIEW_BASES)
}

/// The string entries of a class attribute (`["a", "b"]`, or one string).
fn attr_strings(class: &ClassDef, name: &str) -> Vec<(String, TextRange)> {
    match class.attr(name).map(|a| (&a.value, a.range)) {
        Some((AttrValue::Strings(v), _)) => v.clone(),
        Some((AttrValue::Str(s), r)) => vec![(s.clone(), r)],
        _ => Vec::new(),
    }
}

/// Django's list filters that list a field's values and filter by one of them: with the
/// field they name, they query as the bare field name does.
const VALUE_FILTERS: [&str; 5] = ["AllValuesFieldListFilter", "ChoicesFieldListFilter", "RelatedFieldListFilter", "RelatedOnlyFieldListFilter", "BooleanFieldListFilter"];

/// The fields an admin's `list_filter` filters by equality: its string entries and
/// `("field", AllValuesFieldListFilter)`-like pairs. A custom filter class (a
/// `SimpleListFilter` runs its own `queryset()`), `EmptyFieldListFilter` (`isnull`) and
/// date filters are left out.
fn list_filter_fields(class: &ClassDef) -> Vec<(String, TextRange)> {
    match class.attr("list_filter").map(|a| &a.value) {
        Some(AttrValue::Items(items)) => items
            .iter()
            .filter(|i| i.name.as_deref().is_none_or(|n| VALUE_FILTERS.contains(&n.rsplit('.').next().unwrap_or(n))))
            .filter_map(|i| Some((i.string.clone()?, i.range)))
            .collect(),
        _ => attr_strings(class, "list_filter"),
    }
}

/// The admin class registered for a model in `orm` (decorator or `admin.site.register`).
pub(crate) fn admin_classes<'a>(project: &'a Project, graph: &'a ModelGraph, file: &'a SourceFile) -> Vec<(usize, &'a Model)> {
    let mut out = Vec::new();
    let Some(module) = file.python() else { return out };
    let orm = module.orm();
    let mut pairs: Vec<(usize, &str)> = Vec::new();
    for (ci, c) in orm.classes.iter().enumerate() {
        if let [only] = c.registers.as_slice() {
            pairs.push((ci, only));
        }
    }
    for (models, admin) in &orm.registrations {
        if let ([only], Some(admin)) = (models.as_slice(), admin)
            && let Some(ci) = orm.classes.iter().position(|c| &c.name == admin)
        {
            pairs.push((ci, only));
        }
    }
    for (ci, name) in pairs {
        // Only a plain `ModelAdmin`: a project base may override the changelist's queryset.
        if !orm.classes.get(ci).is_some_and(|c| known_bases(c, &["ModelAdmin"])) {
            continue;
        }
        if let Some(model) = graph.resolve_name(project, &file.path, module, name).and_then(|i| graph.get(i)) {
            out.push((ci, model));
        }
    }
    out
}

/// The queries views, filters and admin changelists imply (see [`ImpliedQuery`]).
pub(crate) fn implied_queries(project: &Project) -> Vec<ImpliedQuery<'_>> {
    let graph = project.models();
    let mut out = Vec::new();
    for file in project.files.iter().filter(|f| f.kind.is_python() && production_code(f.path.strip_prefix(&project.root).unwrap_or(&f.path))) {
        let Some(module) = file.python() else { continue };
        let orm = module.orm();
        for (ci, class) in orm.classes.iter().enumerate() {
            if !is_plain_view(class) {
                continue;
            }
            let Some((q, model)) = view_model(project, graph, file, orm, ci) else { continue };
            // `model = X` alone: `X._default_manager.all()`.
            let managed = match q {
                Some(q) => query_calls(project, orm, q, model),
                None => graph.managed_calls(project, model, "_default_manager", Vec::new()),
            };
            let base: Vec<QCall> = managed.calls.into_iter().cloned().collect();
            let unread = managed.unread;
            let mut base_via = managed.via;
            base_via.push(None);
            // A retrieve: `get_object()` filters the queryset by `lookup_field` (DRF) or
            // `slug_field` (Django's detail views); `pk` is the default and is indexed.
            for attr in ["lookup_field", "slug_field"] {
                let Some(a) = class.attr(attr) else { continue };
                let AttrValue::Str(field) = &a.value else { continue };
                if class.method_names.iter().any(|m| m == "get_object") {
                    continue;
                }
                let mut calls = base.clone();
                calls.push(implied_call("get", vec![field.clone()], Vec::new(), a.range));
                out.push(ImpliedQuery { file, model, calls, via: base_via.clone(), unread, at: a.range, what: format!("The detail view of `{}` (`{attr} = \"{field}\"`)", class.name) });
            }
            // `filterset_fields`: each is an equality filter a client may pass alone (when
            // the view's `filter_backends`, if it names them, include django-filter's); the
            // list is ordered by `ordering` when `OrderingFilter` is named there.
            let backends = class.attr("filter_backends").map(|a| a.range.slice(&file.text));
            if backends.is_some_and(|b| !b.contains("DjangoFilterBackend")) {
                continue;
            }
            let ordering = if backends.is_some_and(|b| b.contains("OrderingFilter")) { attr_strings(class, "ordering") } else { Vec::new() };
            for (field, at) in attr_strings(class, "filterset_fields") {
                if field.contains("__") {
                    continue;
                }
                let mut calls = base.clone();
                if !ordering.is_empty() {
                    calls.push(implied_call("order_by", Vec::new(), ordering.iter().map(|(s, _)| s.clone()).collect(), at));
                }
                calls.push(implied_call("filter", vec![field.clone()], Vec::new(), at));
                let mut via = base_via.clone();
                via.resize(calls.len(), None);
                out.push(ImpliedQuery { file, model, calls, via, unread, at, what: format!("The list of `{}` filtered by its `filterset_fields` entry `{field}`", class.name) });
            }
        }
        for (ci, model) in admin_classes(project, graph, file) {
            let Some(class) = orm.classes.get(ci) else { continue };
            if class.method_names.iter().any(|m| m == "get_queryset") {
                continue;
            }
            let ordering = attr_strings(class, "ordering");
            for (field, at) in list_filter_fields(class) {
                if field.contains("__") {
                    continue;
                }
                let mut calls = Vec::new();
                if !ordering.is_empty() {
                    calls.push(implied_call("order_by", Vec::new(), ordering.iter().map(|(s, _)| s.clone()).collect(), at));
                }
                // A date filter offers fixed ranges and runs only when picked; a plain
                // column's filter lists its distinct values on every changelist page.
                if model.field(&field).is_none_or(|f| f.def.class.ends_with("DateField") || f.def.class.ends_with("DateTimeField")) {
                    continue;
                }
                calls.push(implied_call("filter", vec![field.clone()], Vec::new(), at));
                out.push(ImpliedQuery {
                    file,
                    model,
                    via: vec![None; calls.len()],
                    unread: false,
                    calls,
                    at,
                    what: format!("The admin changelist of `{}` (its `list_filter` entry `{field}` lists the distinct values on every page and filters by one)", class.name),
                });
            }
        }
    }
    out
}

fn resolve<'a>(project: &Project, graph: &'a ModelGraph, file: &SourceFile, q: usize) -> Option<&'a Model> {
    graph.get(graph.query_model(project, file, q)?)
}

/// The strings of every call named `method` (`select_related("a", "b")`), and whether one
/// of them has an argument that is not a plain string (`Prefetch(...)`) or none at all.
pub(crate) fn call_strings<'a>(calls: &[&'a QCall], method: &str) -> (Vec<&'a str>, bool, bool) {
    let mut names = Vec::new();
    let (mut other, mut bare) = (false, false);
    for c in calls.iter().filter(|c| c.method == method) {
        names.extend(c.strings.iter().map(String::as_str));
        other |= c.other_args;
        bare |= c.strings.is_empty() && !c.other_args;
    }
    (names, other, bare)
}

/// A query's source, one line, clipped for a message.
pub(crate) fn query_text(file: &SourceFile, range: stacklint_diagnostics::TextRange) -> String {
    let text: String = range.slice(&file.text).split_whitespace().collect::<Vec<_>>().join(" ").replace("( ", "(").replace(" )", ")").replace(" .", ".");
    if text.chars().count() > 90 { format!("{}…", text.chars().take(89).collect::<String>()) } else { text }
}

/// `path:line` of a range, relative to the project root when under it.
pub(crate) fn place(project: &Project, path: &Path, offset: usize) -> String {
    let row = project.file(path).map_or(1, |f| f.row(offset));
    format!("{}:{row}", path.strip_prefix(&project.root).unwrap_or(path).display())
}
