use stacklint_diagnostics::{Edit, Fix, Severity, TextRange};
use stacklint_project::{Project, SourceFile};
use stacklint_project::orm::{Model, ModelGraph, Related};
use stacklint_python::orm::{AttrValue, ClassDef, OrmFile, QCall, Root};

use super::{call_strings, query_text, resolved_queries};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a loop or comprehension over a queryset whose body reads, on each row, a
    /// forward relation (`message.author.username`: a foreign key or one-to-one field)
    /// that the queryset does not `select_related`, or a reverse or many-to-many relation
    /// (`room.messages.count()`, `order.items.all()`) it does not `prefetch_related` (or,
    /// for `.count()`, `annotate`). Reading `message.author_id` needs no query. Querysets
    /// of `.values()` / `.values_list()` give dicts and are not judged.
    ///
    /// A read through several relations is followed hop by hop: `order.customer.city.name`
    /// is two queries per row when nothing is loaded, one when only
    /// `select_related("customer")` is, none with `select_related("customer__city")`
    /// (the lookup the fix adds). `select_related()` without names follows only non-null
    /// foreign keys, as Django does: a nullable key or a reverse one-to-one read after it is
    /// reported, without a fix (adding `select_related("x")` would replace what the bare
    /// call loads; Django keeps the last call's choice).
    ///
    /// Two more places read rows: a DRF list view (a viewset or `List...APIView`) whose
    /// `serializer_class` is a `ModelSerializer` of its queryset's model reading a relation
    /// per row — a nested serializer (`author = AuthorSerializer()`, `many=True` for a
    /// reverse or many-to-many relation), `source="author.name"`, a
    /// `StringRelatedField`/`SlugRelatedField`, a many-to-many field or a reverse relation
    /// in `Meta.fields`, a
    /// `SerializerMethodField` whose `get_<name>` reads `obj.author.name`, and what nested
    /// serializers read in turn (four levels deep: `author__country`) — reported at the
    /// view's queryset; and a registered `ModelAdmin` whose `list_display` shows a
    /// foreign key, looks across one (`author__name`), or calls a method reading
    /// `obj.author.name`, that the changelist's
    /// `select_related` does not load (Django calls `select_related()` — non-null keys
    /// only — when `list_display` names a foreign key and `list_select_related` is unset).
    /// A query through a project manager counts what its `get_queryset` chain
    /// (`super().get_queryset().select_related("author")`) and the custom QuerySet methods
    /// it calls load. A manager whose `get_queryset` is not one such returned chain, or a
    /// manager or method stacklint cannot read, may load anything: its queries are not
    /// judged.
    ///
    /// Only views, serializers and admins built on DRF's and Django's own classes are
    /// judged (a project base class may load the relations or pick another serializer), and
    /// not those with `get_serializer_class`, `Meta.depth` or an admin `get_queryset`.
    ///
    /// ## Why is this bad?
    /// Each such read runs one more query per row: 1 + N queries for N rows instead of 1
    /// (or 2 with a prefetch). The page gets slower in proportion to the rows shown.
    ///
    /// The fix adds `.select_related(...)` / `.prefetch_related(...)` right after
    /// `Model.objects` where the queryset is built (for the admin, it sets
    /// `list_select_related`). It is unsafe: it changes the SQL (a
    /// join, or a second query loading every related row), which a person should weigh;
    /// for a per-row `.count()` an `annotate(Count(...))` loads less.
    ///
    /// ## Example
    /// ```python path=blog/models.py
    /// from django.conf import settings
    /// from django.db import models
    ///
    /// class Post(models.Model):
    ///     author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    ///     title = models.CharField(max_length=200)
    /// ```
    /// ```python path=blog/views.py
    /// from .models import Post
    ///
    /// def titles():
    ///     return [f"{p.title} by {p.author.username}" for p in Post.objects.all()]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=blog/models.py
    /// from django.conf import settings
    /// from django.db import models
    ///
    /// class Post(models.Model):
    ///     author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    ///     title = models.CharField(max_length=200)
    /// ```
    /// ```python path=blog/views.py
    /// from .models import Post
    ///
    /// def titles():
    ///     return [f"{p.title} by {p.author.username}" for p in Post.objects.select_related("author")]
    /// ```
    ///
    /// ## References
    /// - [Django: select_related](https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-related)
    /// - [Django: prefetch_related](https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related)
    pub static RULE = {
        code: "ORM002",
        name: "n-plus-one-query",
        family: Family::Orm,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

/// The last call makes the chain something other than rows of model instances.
const NOT_ROWS: [&str; 14] = ["values", "values_list", "get", "first", "last", "count", "exists", "aggregate", "get_or_create", "update_or_create", "in_bulk", "raw", "update", "delete"];
/// Reverse-manager methods a prefetch serves from its cache.
const CACHED: [&str; 3] = ["all", "count", "exists"];

fn covers(names: &[&str], rel: &str) -> bool {
    names.iter().any(|n| *n == rel || n.strip_prefix(rel).is_some_and(|r| r.starts_with("__")))
}

/// A relation read per row without being loaded with the rows.
struct Found {
    /// The lookup path of the relations read (`author`, `author__profile`, `comments`).
    lookup: String,
    /// How the read is shown (`m.author.profile.bio`).
    shown: String,
    /// The call that loads it with the rows, when one does.
    loads_with: Option<&'static str>,
    /// The queries it runs per row: one for each relation on the path not loaded.
    queries: usize,
    /// The read it comes from (an index into the reads judged).
    read: usize,
}

/// What the queryset `calls` load with the rows.
struct Loaded<'a> {
    select: Vec<&'a str>,
    /// `select_related()` without names: every non-null foreign key, hop after hop.
    select_all: bool,
    prefetch: Vec<&'a str>,
    /// `prefetch_related(Prefetch(...))` or another non-string argument: not judged.
    opaque: bool,
    annotated: bool,
}

impl<'a> Loaded<'a> {
    fn of(calls: &[&'a QCall]) -> Loaded<'a> {
        let (select, _, select_all) = call_strings(calls, "select_related");
        let (prefetch, opaque, _) = call_strings(calls, "prefetch_related");
        Loaded { select, select_all, prefetch, opaque, annotated: calls.iter().any(|c| c.method == "annotate") }
    }

    /// Whether the relation at `lookup` comes with the rows: a single object through a
    /// join or a prefetch, a many relation through a prefetch. `nullable`: a hop on the
    /// way is a nullable key or a reverse one-to-one, which `select_related()` skips.
    fn has(&self, lookup: &str, many: bool, nullable: bool) -> bool {
        covers(&self.prefetch, lookup) || (!many && (covers(&self.select, lookup) || (self.select_all && !nullable)))
    }
}

/// The relations a read on a row of `model` walks (`["author", "profile", "bio"]` walks
/// `author`, then `author__profile`), as a [`Found`] when one of them is not loaded.
/// After a many relation, `all` continues to its rows (a nested serializer's path);
/// `count` or `exists` end the read (a prefetch serves them), any other method too (a
/// prefetch does not).
fn read_path(graph: &ModelGraph, model: &Model, loaded: &Loaded<'_>, var: &str, path: &[String]) -> Option<Found> {
    let mut cur = Some(model);
    let (mut lookup, mut queries, mut many_seen, mut servable, mut last_many, mut nullable) = (String::new(), 0, false, true, false, false);
    let mut i = 0;
    while let (Some(hop), Some(m)) = (path.get(i), cur) {
        let (many, target) = if let Some(f) = m.field(hop) {
            if f.def.is_foreign_key() || f.def.is_one_to_one() {
                nullable |= f.def.null;
                (false, f.target)
            } else if f.def.is_many_to_many() {
                (true, f.target)
            } else {
                break;
            }
        } else if let Some(r) = m.reverse(hop) {
            nullable = true;
            (r.many, Some(Related::Model(r.from)))
        } else {
            break;
        };
        let next = path.get(i + 1).map(String::as_str);
        // `row.tags` alone is the manager: no query until a method runs.
        if many && next.is_none() {
            break;
        }
        let at = if lookup.is_empty() { hop.clone() } else { format!("{lookup}__{hop}") };
        // `annotate(Count("comments"))` beside `row.comments.count()` on the rows' own relation.
        let annotated = many && lookup.is_empty() && loaded.annotated && next == Some("count");
        if !loaded.has(&at, many, nullable) && !annotated {
            queries += 1;
        }
        lookup = at;
        many_seen |= many;
        last_many = many;
        cur = match target {
            Some(Related::Model(j)) => graph.get(j),
            _ => None,
        };
        i += 1;
        if many {
            let method = next.unwrap_or_default();
            servable &= CACHED.contains(&method);
            if method != "all" {
                break;
            }
            i += 1;
        }
    }
    let shown = format!("{var}.{}{}", path.join("."), if last_many { "()" } else { "" });
    (queries > 0).then(|| Found { lookup, shown, loads_with: servable.then_some(if many_seen { "prefetch_related" } else { "select_related" }), queries, read: 0 })
}

/// The relations that `reads` (attribute paths on a row of `model`) load one query per
/// row; a read whose relations extend another's takes its place (`author__profile` loads
/// `author` too).
fn unloaded(graph: &ModelGraph, model: &Model, loaded: &Loaded<'_>, var: &str, reads: &[(Vec<String>, TextRange)]) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for (read, (path, _)) in reads.iter().enumerate() {
        let Some(mut f) = read_path(graph, model, loaded, var, path) else { continue };
        f.read = read;
        let extends = |a: &str, b: &str| a == b || a.strip_prefix(b).is_some_and(|r| r.starts_with("__"));
        if found.iter().any(|g| extends(&g.lookup, &f.lookup)) {
            continue;
        }
        found.retain(|g| !extends(&f.lookup, &g.lookup));
        found.push(f);
    }
    found
}

/// Whether the query starts at a manager whose own `get_queryset` may load relations.
fn opaque_manager(orm: &OrmFile, q: usize, model: &Model) -> bool {
    matches!(orm.origin(q).map(|o| &o.root), Some(Root::Manager { manager, .. }) if model.manager_is_opaque(manager))
}

/// `.select_related("a").prefetch_related("b")` for the fixable relations of `found`, and
/// what the message says of loading them. After a bare `select_related()` no
/// `select_related("a")` is added: Django keeps the last of the two calls' choices (names,
/// or every non-null key), so the message names the relations and the fix leaves them out.
fn loading(found: &[Found], loaded: &Loaded<'_>) -> (String, String) {
    let calls_for = |method: &str| {
        let names: Vec<String> = found.iter().filter(|f| f.loads_with == Some(method)).map(|f| format!("\"{}\"", f.lookup)).collect();
        (!names.is_empty()).then(|| format!(".{method}({})", names.join(", ")))
    };
    let select = calls_for("select_related");
    let (select, named) = if loaded.select_all { (None, select.map(|_| found.iter().filter(|f| f.loads_with == Some("select_related")).map(|f| format!("`{}`", f.lookup)).collect::<Vec<_>>().join(", "))) } else { (select, None) };
    let added: String = [select, calls_for("prefetch_related")].into_iter().flatten().collect();
    let mut note = if added.is_empty() { String::new() } else { format!("; `{added}` loads them with the rows") };
    if let Some(named) = named {
        note = format!("{note}; `select_related()` without names skips nullable keys and reverse one-to-one relations: name {named} in it, with the keys it should still follow");
    }
    (added, note)
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let queries = resolved_queries(project);
    for q in &queries {
        for lp in q.orm.loops.iter().filter(|l| l.query == q.index) {
            if q.calls.last().is_some_and(|c| NOT_ROWS.contains(&c.method.as_str())) || q.calls.iter().any(|c| matches!(c.method.as_str(), "values" | "values_list")) {
                continue;
            }
            let loaded = Loaded::of(&q.calls);
            if loaded.opaque || q.opaque || opaque_manager(q.orm, q.index, q.model) {
                continue;
            }
            let found = unloaded(project.models(), q.model, &loaded, &lp.var, &lp.reads);
            if found.is_empty() {
                continue;
            }
            let Some(query) = q.orm.queries.get(q.index) else { continue };
            let reads = found.iter().map(|f| format!("`{}`", f.shown)).collect::<Vec<_>>().join(", ");
            let per_row: usize = found.iter().map(|f| f.queries).sum();
            let (added, note) = loading(&found, &loaded);
            let count_hint = if found.iter().any(|f| f.shown.ends_with(".count()")) { "; for a count alone, `.annotate(Count(...))` loads no rows" } else { "" };
            let message = format!(
                "The loop over `{}` reads {reads} on each `{}` row: {per_row} more {} per row, 1 + {per_row} × N queries for N rows{note}{count_hint}",
                query_text(q.file, query.range),
                q.model.name,
                if per_row == 1 { "query" } else { "queries" },
            );
            let mut d = cx.diagnostic(&q.file.path, lp.range, message);
            if let Some(Root::Manager { manager_end, .. }) = q.orm.origin(q.index).map(|o| &o.root)
                && !added.is_empty()
            {
                d = d.with_fix(Fix::unsafe_(format!("Add `{added}` to the queryset"), vec![Edit::insert(&q.file.path, *manager_end, added.clone())]));
            }
            cx.report(d);
        }
    }
    serializers(cx, project);
    admin_changelists(cx, project);
}

/// DRF relational fields that read the related object (not only its key).
const OBJECT_FIELDS: [&str; 2] = ["StringRelatedField", "SlugRelatedField"];
/// DRF relational fields that read only keys: a query per row only with `many=True`.
const KEY_FIELDS: [&str; 2] = ["PrimaryKeyRelatedField", "HyperlinkedRelatedField"];

/// Whether a view class lists rows: a list view or a viewset with a list action.
fn lists_rows(class: &ClassDef) -> bool {
    class.bases.iter().any(|b| {
        let last = b.rsplit('.').next().unwrap_or(b);
        last.contains("List") || last == "ModelViewSet" || last == "ReadOnlyModelViewSet"
    })
}

/// What a `ModelSerializer` of `model` reads on each instance, as attribute paths with
/// how each is declared; `None` when it cannot be read (`depth`, no `Meta.model` of this
/// model).
fn serializer_reads(project: &Project, sfile: &SourceFile, sclass: &ClassDef, model: usize, depth: usize) -> Option<Vec<(Vec<String>, String)>> {
    let graph = project.models();
    let smodule = sfile.python()?;
    let meta = sclass.meta.as_ref()?;
    // A project base serializer may add fields or change how rows are read.
    if meta.attr("depth").is_some() || !super::known_bases(sclass, &["ModelSerializer", "HyperlinkedModelSerializer"]) || sclass.method_names.iter().any(|m| m == "to_representation") {
        return None;
    }
    let AttrValue::Name(meta_model) = &meta.attr("model")?.value else { return None };
    if graph.resolve_name(project, &sfile.path, smodule, meta_model)? != model {
        return None;
    }
    let m = graph.get(model)?;
    let mut out = Vec::new();
    for a in &sclass.attrs {
        let AttrValue::Call { callee, source, many, write_only, .. } = &a.value else { continue };
        if *write_only {
            continue;
        }
        let last = callee.rsplit('.').next().unwrap_or(callee);
        let rel = source.clone().unwrap_or_else(|| a.name.clone());
        let tail = |many: bool| if many { vec![rel.clone(), "all".to_owned()] } else { vec![rel.clone()] };
        if last == "SerializerMethodField" {
            if let Some(method) = sclass.methods.iter().find(|x| x.name == format!("get_{}", a.name)) {
                out.extend(method.reads.iter().map(|(p, _)| (p.clone(), format!("`{}.{}` (in `{}`)", method.param, p.join("."), method.name))));
            }
        } else if rel.contains('.') {
            out.push((rel.split('.').map(str::to_owned).collect(), format!("`{}` (`source=\"{rel}\"`)", a.name)));
        } else if rel == "*" {
        } else if OBJECT_FIELDS.contains(&last) || (KEY_FIELDS.contains(&last) && *many) {
            out.push((tail(*many), format!("`{}` (`{last}`)", a.name)));
        } else if let Some((nfile, ni)) = graph.resolve_class(project, sfile, callee)
            && let Some(nested) = nfile.python().and_then(|p| p.orm().classes.get(ni)).filter(|c| c.meta.as_ref().is_some_and(|mt| mt.attr("model").is_some()))
        {
            let shown = format!("`{}` (nested `{last}`)", a.name);
            // What the nested serializer reads on the related rows, below this relation.
            let related = m.field(&rel).and_then(|f| match f.target {
                Some(Related::Model(j)) => Some(j),
                _ => None,
            });
            let related = related.or_else(|| m.reverse(&rel).map(|r| r.from));
            if depth < 4
                && let Some(j) = related
                && let Some(inner) = serializer_reads(project, nfile, nested, j, depth + 1)
            {
                for (p, s) in inner {
                    out.push(([tail(*many), p].concat(), format!("{shown} → {s}")));
                }
            }
            out.push((tail(*many), shown));
        }
    }
    // Many-to-many fields and reverse relations listed in `Meta.fields` are
    // `PrimaryKeyRelatedField(many=True)`: their keys are read with a query per row.
    let declared = |n: &str| sclass.attrs.iter().any(|a| a.name == n);
    let listed: Vec<String> = match meta.attr("fields").map(|a| &a.value) {
        Some(AttrValue::Strings(v)) => v.iter().map(|(s, _)| s.clone()).collect(),
        Some(AttrValue::Str(s)) if s == "__all__" && meta.attr("exclude").is_none() => m.fields.iter().map(|f| f.def.name.clone()).collect(),
        _ => Vec::new(),
    };
    for name in listed.iter().filter(|n| !declared(n)) {
        if m.field(name).is_some_and(|f| f.def.is_many_to_many() && !f.on_parent) {
            out.push((vec![name.clone(), "all".to_owned()], format!("`{name}` (many-to-many in `Meta.fields`)")));
        } else if m.field(name).is_none() && m.reverse(name).is_some_and(|r| r.many) {
            out.push((vec![name.clone(), "all".to_owned()], format!("`{name}` (reverse relation in `Meta.fields`)")));
        }
    }
    Some(out)
}

/// A list view whose serializer reads relations its queryset does not load.
fn serializers(cx: &mut Checker, project: &Project) {
    let graph = project.models();
    for file in project.files.iter().filter(|f| f.kind.is_python() && super::production_code(f.path.strip_prefix(&project.root).unwrap_or(&f.path))) {
        let Some(module) = file.python() else { continue };
        let orm = module.orm();
        for (ci, class) in orm.classes.iter().enumerate() {
            let Some(AttrValue::Name(ser)) = class.attr("serializer_class").map(|a| &a.value) else { continue };
            if !lists_rows(class) || !super::is_plain_view(class) || class.method_names.iter().any(|m| m == "get_serializer_class" || m == "list") {
                continue;
            }
            let Some(q) = orm.class_queryset(ci) else { continue };
            let Some(mi) = graph.query_model(project, file, q) else { continue };
            let Some(model) = graph.get(mi) else { continue };
            let managed = super::query_calls(project, orm, q, model);
            let calls = managed.calls;
            if calls.last().is_some_and(|c| NOT_ROWS.contains(&c.method.as_str())) || calls.iter().any(|c| matches!(c.method.as_str(), "values" | "values_list")) {
                continue;
            }
            let loaded = Loaded::of(&calls);
            if loaded.opaque || managed.opaque || opaque_manager(orm, q, model) {
                continue;
            }
            let Some((sfile, si)) = graph.resolve_class(project, file, ser) else { continue };
            let Some(sclass) = sfile.python().and_then(|p| p.orm().classes.get(si)) else { continue };
            let Some(reads) = serializer_reads(project, sfile, sclass, mi, 0) else { continue };
            let paths: Vec<(Vec<String>, TextRange)> = reads.iter().map(|(p, _)| (p.clone(), TextRange::default())).collect();
            let found = unloaded(graph, model, &loaded, "obj", &paths);
            if found.is_empty() {
                continue;
            }
            let Some(query) = orm.queries.get(q) else { continue };
            let shown: Vec<&str> = found.iter().filter_map(|f| reads.get(f.read).map(|(_, s)| s.as_str())).collect();
            let per_row: usize = found.iter().map(|f| f.queries).sum();
            let (added, note) = loading(&found, &loaded);
            let message = format!(
                "`{}` lists `{}` with `{}`, which reads {} on each `{}`: {per_row} more {} per row, 1 + {per_row} × N queries for a page of N{note}",
                class.name,
                query_text(file, query.range),
                sclass.name,
                shown.join(", "),
                model.name,
                if per_row == 1 { "query" } else { "queries" },
            );
            let mut d = cx.diagnostic(&file.path, query.range, message);
            if let Some(Root::Manager { manager_end, .. }) = orm.origin(q).map(|o| &o.root)
                && !added.is_empty()
            {
                d = d.with_fix(Fix::unsafe_(format!("Add `{added}` to the queryset"), vec![Edit::insert(&file.path, *manager_end, added.clone())]));
            }
            cx.report(d);
        }
    }
}

/// An admin changelist whose `list_display` reads a foreign key's object per row that the
/// changelist's `select_related` does not load. Django's changelist calls
/// `select_related()` (every non-null foreign key) when `list_select_related = True`, or
/// when it is unset and `list_display` names a foreign key field; a list of names loads
/// those only.
fn admin_changelists(cx: &mut Checker, project: &Project) {
    let graph = project.models();
    for file in project.files.iter().filter(|f| f.kind.is_python() && super::production_code(f.path.strip_prefix(&project.root).unwrap_or(&f.path))) {
        let Some(module) = file.python() else { continue };
        let orm = module.orm();
        for (ci, model) in super::admin_classes(project, graph, file) {
            let Some(class) = orm.classes.get(ci) else { continue };
            if !model.complete || class.method_names.iter().any(|m| m == "get_queryset" || m == "get_list_select_related" || m == "get_list_display") {
                continue;
            }
            let Some(display) = class.attr("list_display") else { continue };
            let AttrValue::Strings(entries) = &display.value else { continue };
            let fk = |name: &str| model.field(name).filter(|f| (f.def.is_foreign_key() || f.def.is_one_to_one()) && !f.on_parent);
            let explicit = class.attr("list_select_related").map(|a| &a.value);
            // What the changelist loads: `None` = `select_related()` (non-null keys).
            let loaded: Option<Vec<String>> = match explicit {
                Some(AttrValue::Bool(true)) => None,
                Some(AttrValue::Strings(v)) => Some(v.iter().map(|(s, _)| s.clone()).collect()),
                None | Some(AttrValue::Bool(false)) if entries.iter().any(|(e, _)| fk(e).is_some()) => None,
                None | Some(AttrValue::Bool(false)) => Some(Vec::new()),
                Some(_) => continue,
            };
            let load = Loaded { select: loaded.iter().flatten().map(String::as_str).collect(), select_all: loaded.is_none(), prefetch: Vec::new(), opaque: false, annotated: false };
            // What the changelist reads on each row, and how the message shows it.
            let mut reads: Vec<(Vec<String>, String)> = Vec::new();
            for (entry, _) in entries {
                let parts: Vec<String> = entry.split("__").map(str::to_owned).collect();
                if let Some(f) = fk(entry) {
                    // The changelist shows `str(obj.<fk>)`.
                    reads.push((parts, format!("`{entry}` ({}foreign key shown as text)", if f.def.null { "nullable " } else { "" })));
                } else if parts.len() > 1 && parts.first().is_some_and(|p| fk(p).is_some()) && !parts.last().is_some_and(|a| a == "id" || a == "pk") {
                    // `author__name` (Django 5.1+): the changelist reads `obj.author.name`,
                    // and such an entry does not make it call `select_related()`.
                    reads.push((parts, format!("`{entry}` (a lookup across a foreign key)")));
                } else if let Some(method) = class.methods.iter().find(|m| &m.name == entry) {
                    for (path, _) in &method.reads {
                        // Only an attribute of the related object (`obj.author.name`), not the key.
                        if path.len() >= 2 && path.first().is_some_and(|p| fk(p).is_some()) {
                            reads.push((path.clone(), format!("`{}.{}` (in `{}`)", method.param, path.join("."), method.name)));
                        }
                    }
                }
            }
            let paths: Vec<(Vec<String>, TextRange)> = reads.iter().map(|(p, _)| (p.clone(), TextRange::default())).collect();
            // `list_select_related` joins; it cannot prefetch a many relation.
            let found: Vec<Found> = unloaded(graph, model, &load, "obj", &paths).into_iter().filter(|f| f.loads_with == Some("select_related")).collect();
            if found.is_empty() {
                continue;
            }
            let per_row: usize = found.iter().map(|f| f.queries).sum();
            // Naming relations replaces `select_related()`: keep the ones it loaded.
            let mut names: Vec<String> = if let Some(v) = &loaded {
                v.clone()
            } else {
                let nothing = Loaded { select: Vec::new(), select_all: false, prefetch: Vec::new(), opaque: false, annotated: false };
                let mut v: Vec<String> = entries.iter().filter(|(e, _)| fk(e).is_some_and(|f| !f.def.null)).map(|(e, _)| e.clone()).collect();
                for f in paths.iter().filter(|(p, _)| read_path(graph, model, &load, "obj", p).is_none()).filter_map(|(p, _)| read_path(graph, model, &nothing, "obj", p)) {
                    if !v.contains(&f.lookup) {
                        v.push(f.lookup);
                    }
                }
                v
            };
            for f in &found {
                if !names.contains(&f.lookup) {
                    names.push(f.lookup.clone());
                }
            }
            let list = names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
            let message = format!(
                "The admin changelist of `{}` reads {} on each `{}` row without loading it: {per_row} more {} per row, 1 + {per_row} × N queries for a page of N (100 by default); `list_select_related = [{list}]` loads them with the rows",
                class.name,
                found.iter().filter_map(|f| reads.get(f.read).map(|(_, s)| s.as_str())).collect::<Vec<_>>().join(", "),
                model.name,
                if per_row == 1 { "query" } else { "queries" },
            );
            let mut d = cx.diagnostic(&file.path, display.range, message);
            let edit = if let Some(a) = class.attr("list_select_related") {
                Edit::replace(&file.path, a.range, format!("[{list}]"))
            } else {
                let line_end = file.text.get(display.range.end()..).and_then(|t| t.find('\n')).map_or(file.text.len(), |i| display.range.end() + i);
                Edit::insert(&file.path, line_end, format!("\n{}list_select_related = [{list}]", class.body_indent))
            };
            d = d.with_fix(Fix::unsafe_(format!("Set `list_select_related = [{list}]`"), vec![edit]));
            cx.report(d);
        }
    }
}
