use std::collections::HashSet;

use stacklint_diagnostics::{Edit, Fix, Severity, TextRange};
use stacklint_project::orm::{IndexKind, Model, ModelGraph, Related, Via};
use stacklint_project::{Project, SourceFile};
use stacklint_python::orm::QCall;

use super::{implied_queries, place, query_text, resolved_queries};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a queryset that filters a model (`filter`, `get`, `get_or_create`,
    /// `get_object_or_404`, through `objects` or any other manager of the model) on columns
    /// no index of the model starts with. Indexes are the
    /// primary key (`id` unless a field says `primary_key=True`), `unique=True`, `db_index=True`, foreign keys and one-to-one fields,
    /// `SlugField`s, `Meta.indexes`, `unique_together`, `index_together` and
    /// `UniqueConstraint`s, inherited from abstract bases too. An index serves a query when
    /// its first field is one of the filtered columns; `room__slug` filters on the `room`
    /// foreign key column. `Q(...)` conditions count as their lookups when joined with `&`
    /// (a negation, `~Q(...)`, adds nothing); a query with `Q(...) | Q(...)`, a condition
    /// held in a variable or `**kwargs` is not judged (either side may match, or the
    /// condition may use an index). Lookups a btree cannot use (`__icontains`, `__iexact`,
    /// `__regex`, `__isnull`, date parts) are left out, and a query on an unresolved model,
    /// or on a model with a base stacklint cannot read, is not judged; nor is a filter on
    /// booleans alone without an ordering to serve (half the table matches), nor one that
    /// only bounds dates from above (`member_until__lte=today`: the past, usually most of
    /// the table), alone or with equality on booleans.
    ///
    /// A lookup across a relation (`city__name`) is judged on the model the last hop lands
    /// on: the database finds the `City` rows by `name`, then joins through the foreign
    /// key's index; the fix indexes `City`. A query that also filters columns of its own
    /// model is not judged there (which side the database starts from depends on the data).
    ///
    /// A query through a custom manager of the project filters what the manager's
    /// `get_queryset` filters too (`return super().get_queryset().filter(status="published")`,
    /// read when it is that one chain), and a custom QuerySet or manager method it calls
    /// (`Post.objects.published()`, `def published(self): return self.filter(...)`) filters
    /// what that method's chain does: `Post.published.filter(category=c)` filters `status`
    /// and `category`. The finding stays at the query (its first filter written there, else
    /// the method call, else the whole query), even when the only unindexed column comes
    /// from the manager, and its message says which filters come from which manager or
    /// method; the fix's index lists the query's own columns first. The chain inside
    /// `get_queryset` or the method is not reported on its own. A query running a
    /// `get_queryset` or custom method of the project that is not one returned chain is not
    /// judged (it may filter on an indexed column).
    ///
    /// Queries that classes run without writing them are judged too: a DRF view's retrieve
    /// by `lookup_field` (a Django detail view's `slug_field`) on its `queryset`,
    /// `get_queryset()` or `model`, each `filterset_fields` entry (ordered by the view's `ordering`),
    /// and each `list_filter` entry of a registered `ModelAdmin` (a field name, or a
    /// `("field", AllValuesFieldListFilter)`-like pair of Django's value filters). Their
    /// columns with `choices` or booleans are left out, and `search_fields` never count:
    /// they search text with `icontains`, which a btree index does not serve. Nor do a
    /// custom `SimpleListFilter` (its own `queryset()`), `EmptyFieldListFilter` (`isnull`),
    /// date filters and `date_hierarchy`: they filter date ranges only when picked, and the
    /// year list is a `DISTINCT` over a date truncation, which a plain index does not serve.
    ///
    /// ## Why is this bad?
    /// Without an index the database reads every row of the table for each such query: the
    /// cost grows with the table, and the request gets slower as data accumulates.
    ///
    /// The fix adds `models.Index(fields=[...])` to the model's `Meta.indexes` in
    /// models.py — equality fields first, then a range field or the `order_by` fields —
    /// and is unsafe: it needs a migration (`python manage.py makemigrations`), and an
    /// index costs writes.
    ///
    /// ## Example
    /// ```python path=shop/models.py
    /// from django.db import models
    ///
    /// class Order(models.Model):
    ///     code = models.CharField(max_length=12)
    /// ```
    /// ```python path=shop/views.py
    /// from .models import Order
    ///
    /// def lookup(code):
    ///     return Order.objects.get(code=code)
    /// ```
    ///
    /// ## Use instead
    /// ```python path=shop/models.py
    /// from django.db import models
    ///
    /// class Order(models.Model):
    ///     code = models.CharField(max_length=12)
    ///
    ///     class Meta:
    ///         indexes = [
    ///             models.Index(fields=["code"], name="shop_order_code_idx"),
    ///         ]
    /// ```
    /// ```python path=shop/views.py
    /// from .models import Order
    ///
    /// def lookup(code):
    ///     return Order.objects.get(code=code)
    /// ```
    ///
    /// ## References
    /// - [Django: Model index reference](https://docs.djangoproject.com/en/stable/ref/models/indexes/)
    /// - [Django: Database access optimization](https://docs.djangoproject.com/en/stable/topics/db/optimization/)
    pub static RULE = {
        code: "ORM001",
        name: "missing-index",
        family: Family::Orm,
        scope: Scope::Stack,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

const FILTERS: [&str; 4] = ["filter", "get", "get_or_create", "update_or_create"];
const EQUALITY: [&str; 2] = ["exact", "in"];
const RANGE: [&str; 5] = ["gt", "gte", "lt", "lte", "range"];

/// How a lookup uses a column of the model.
enum Use {
    Equality(String),
    /// A range; `true` for an upper bound alone (`__lt`, `__lte`).
    Range(String, bool),
    /// A lookup across a foreign key landing on a column of another model that no index of
    /// that model starts with (`city__name`): the related model, the column, a range.
    Far(usize, String, bool),
    /// Not a column of this model's table a btree serves (`__icontains`, a reverse join).
    Ignored,
    /// A name stacklint does not know: the query is not judged.
    Unknown,
}

fn lookup_use(graph: &ModelGraph, model: &Model, lookup: &str) -> Use {
    let mut parts = lookup.split("__");
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    if first == "pk" || first == model.pk() {
        return Use::Equality(model.pk().to_owned());
    }
    let field = model.field(first).or_else(|| first.strip_suffix("_id").and_then(|f| model.field(f)).filter(|f| f.def.is_foreign_key() || f.def.is_one_to_one()));
    let Some(field) = field else {
        return if model.reverse.iter().any(|r| r.accessor == first || r.accessor.strip_suffix("_set") == Some(first)) { Use::Ignored } else { Use::Unknown };
    };
    if field.on_parent {
        return Use::Unknown;
    }
    let name = field.def.name.clone();
    if field.def.is_many_to_many() {
        return Use::Ignored;
    }
    match rest.first() {
        None => Use::Equality(name),
        Some(op) if EQUALITY.contains(op) => Use::Equality(name),
        Some(op) if RANGE.contains(op) && rest.len() == 1 => Use::Range(name, matches!(*op, "lt" | "lte")),
        // `room__slug`: the join runs through this model's `room` column; the column the
        // last hop lands on decides whether the related rows are found by an index.
        Some(_) if (field.def.is_foreign_key() || field.def.is_one_to_one()) && !rest.contains(&"isnull") => far_use(graph, field.target, &rest).unwrap_or(Use::Equality(name)),
        Some(_) => Use::Ignored,
    }
}

/// The far side of `fk__rest`: `Some(Use::Far)` when it lands on a plain column of a
/// project model (complete, concrete) that no index of that model starts with; `None` when
/// it is served (an index, the primary key, a foreign key) or not known.
fn far_use(graph: &ModelGraph, target: Option<Related>, rest: &[&str]) -> Option<Use> {
    let Some(Related::Model(mut at)) = target else { return None };
    let mut i = 0;
    for _ in 0..8 {
        let m = graph.get(at)?;
        let part = *rest.get(i)?;
        if part == "pk" || part == m.pk() || part == "id" {
            return None;
        }
        let f = m.field(part)?;
        let next = rest.get(i + 1).copied();
        if (f.def.is_foreign_key() || f.def.is_one_to_one()) && next.is_some_and(|n| !EQUALITY.contains(&n) && !RANGE.contains(&n)) {
            let Some(Related::Model(j)) = f.target else { return None };
            at = j;
            i += 1;
            continue;
        }
        if !m.complete || m.abstract_ || f.on_parent || f.def.is_many_to_many() || f.def.class.ends_with("BooleanField") || f.def.choices {
            return None;
        }
        let range = match next {
            None => false,
            Some(op) if EQUALITY.contains(&op) && rest.len() == i + 2 => false,
            Some(op) if RANGE.contains(&op) && rest.len() == i + 2 => true,
            Some(_) => return None,
        };
        let covered = m.indexes.iter().any(|ix| ix.fields.first().is_some_and(|x| x.trim_start_matches('-') == f.def.name));
        return (!covered).then(|| Use::Far(at, f.def.name.clone(), range));
    }
    None
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = HashSet::new();
    for q in resolved_queries(project) {
        let Some(query) = q.orm.queries.get(q.index) else { continue };
        if query.refined_later || q.unread {
            continue;
        }
        judge(cx, project, &mut seen, q.file, q.model, &q.calls, &q.via, query.range, None, &format!("`{}`", query_text(q.file, query.range)));
    }
    for q in implied_queries(project).into_iter().filter(|q| !q.unread) {
        let calls: Vec<&QCall> = q.calls.iter().collect();
        judge(cx, project, &mut seen, q.file, q.model, &calls, &q.via, q.at, Some(q.at), &q.what);
    }
}

/// Judge one query's filters against the model's indexes. `via` says, call by call, which
/// come from a manager or a custom method; the finding goes to the first filter the query
/// writes, else the method call standing for a filter, else `whole`; `at` overrides that.
#[allow(clippy::too_many_arguments)]
fn judge(cx: &mut Checker, project: &Project, seen: &mut HashSet<(std::path::PathBuf, TextRange)>, file: &SourceFile, model: &Model, calls: &[&QCall], via: &[Option<Via<'_>>], whole: TextRange, at_override: Option<TextRange>, what: &str) {
    // `**kwargs` or an unread condition (`Q(a=1) | Q(b=2)`, a variable) may filter on an
    // indexed column, or need more than one index.
    if !model.complete || model.abstract_ || calls.iter().any(|c| c.splat || (c.unread_condition && FILTERS.contains(&c.method.as_str()))) {
        return;
    }
    let graph = project.models();
    let (mut eq, mut range, mut far, mut unknown, mut at) = (Vec::new(), Vec::new(), Vec::new(), false, None);
    // Every range an upper bound on a date (`member_until__lte=today`): the query selects
    // the past, usually most of the table, which an index does not make cheaper.
    let mut past_only = true;
    // The lookups a manager or a method adds, by where they come from.
    let mut from: Vec<(Via<'_>, Vec<&str>)> = Vec::new();
    // The query's own calls first: their columns lead the index the fix adds.
    let filters: Vec<(&QCall, Option<Via<'_>>)> = calls.iter().enumerate().filter(|(_, c)| FILTERS.contains(&c.method.as_str())).map(|(i, c)| (*c, via.get(i).copied().flatten())).collect();
    let (own, added): (Vec<_>, Vec<_>) = filters.into_iter().partition(|(_, v)| v.is_none());
    for (c, v) in own.into_iter().chain(added) {
        for l in &c.lookups {
            let used = lookup_use(graph, model, l);
            if let Some(v) = v
                && !matches!(used, Use::Ignored | Use::Unknown)
            {
                match from.iter_mut().find(|(w, _)| w.class == v.class && w.method == v.method) {
                    Some((_, ls)) if !ls.contains(&l.as_str()) => ls.push(l),
                    Some(_) => {}
                    None => from.push((v, vec![l.as_str()])),
                }
            }
            match used {
                Use::Equality(f) => push_new(&mut eq, f),
                Use::Range(f, upper) => {
                    let date = model.field(&f).is_some_and(|x| x.def.class.ends_with("DateField") || x.def.class.ends_with("DateTimeField"));
                    past_only &= upper && date;
                    push_new(&mut range, f);
                }
                Use::Far(m, f, r) => far.push((m, f, r, l.clone())),
                Use::Ignored => continue,
                Use::Unknown => unknown = true,
            }
            // The query's own filters come first: the first lookup places the finding.
            at.get_or_insert(v.map_or(c.range, |v| v.written.unwrap_or(whole)));
        }
    }
    let Some(at) = at_override.or(at) else { return };
    let columns: Vec<&String> = eq.iter().chain(&range).collect();
    let boolean_column = |f: &String| model.field(f).is_some_and(|x| x.def.class.ends_with("BooleanField"));
    // The past alone, or the past of booleans (`is_active=True, pub_date__lte=now`): most
    // of the table matches.
    if unknown || (columns.is_empty() && far.is_empty()) || (eq.iter().all(boolean_column) && !range.is_empty() && past_only) {
        return;
    }
    let covered = model.indexes.iter().any(|ix| ix.fields.first().is_some_and(|f| columns.iter().any(|c| *c == f.trim_start_matches('-'))));
    if covered || !seen.insert((file.path.clone(), at)) {
        return;
    }
    let note = from_note(&from);
    if !far.is_empty() {
        // Only lookups across one relation, all on one related model: its index is then
        // the one the query needs. With columns of this model too, which side the database
        // starts from depends on the data: not judged.
        let Some((target, _, _, _)) = far.first() else { return };
        if !columns.is_empty() || far.iter().any(|(m, _, _, _)| m != target) {
            return;
        }
        let Some(target_model) = graph.get(*target) else { return };
        let (mut feq, mut frange) = (Vec::new(), Vec::new());
        for (_, f, r, _) in &far {
            push_new(if *r { &mut frange } else { &mut feq }, f.clone());
        }
        let mut wanted = feq.clone();
        if let Some(r) = frange.first() {
            push_new(&mut wanted, r.clone());
        }
        let through: Vec<String> = far.iter().map(|(_, _, _, l)| format!("`{l}`")).collect();
        let lead = format!("{what} filters `{}` through {} on `{}`", model.name, through.join(", "), target_model.name);
        report(cx, project, file, at, &lead, &note, target_model, &feq, &frange, &wanted);
        return;
    }
    // A `get` finds one row: an ordering of the queryset it refines serves nothing.
    let one_row = calls.iter().any(|c| matches!(c.method.as_str(), "get" | "get_or_create" | "update_or_create"));
    let order: Vec<String> = calls.iter().rev().filter(|_| !one_row).find(|c| c.method == "order_by").map(|c| c.strings.iter().map(|s| s.trim_start_matches('-').to_owned()).filter(|s| !s.contains("__") && s != "?" && model.field(s).is_some()).collect()).unwrap_or_default();
    // A btree on booleans (or on a column of a few `choices`) alone is one the planner
    // rarely picks (a large part of the table matches): only worth it when it also serves
    // an ordering.
    // A filter a view or the admin offers on such a column is not judged at all.
    let boolean = |f: &String| model.field(f).is_some_and(|x| x.def.class.ends_with("BooleanField") || (at_override.is_some() && x.def.choices));
    if range.is_empty() && (order.is_empty() || at_override.is_some()) && eq.iter().all(boolean) {
        return;
    }
    let mut wanted = eq.clone();
    if let Some(r) = range.first() {
        push_new(&mut wanted, r.clone());
    } else {
        for o in order {
            push_new(&mut wanted, o);
        }
    }
    report(cx, project, file, at, &format!("{what} filters `{}`", model.name), &note, model, &eq, &range, &wanted);
}

/// ` (the filter on `status` comes from `get_queryset` of the manager `PublishedManager`)`,
/// or nothing when the query writes every filter.
fn from_note(from: &[(Via<'_>, Vec<&str>)]) -> String {
    let parts: Vec<String> = from
        .iter()
        .map(|(v, lookups)| {
            let (s, verb) = if lookups.len() == 1 { ("", "comes") } else { ("s", "come") };
            let ls = lookups.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ");
            if v.written.is_none() && v.method == "get_queryset" {
                format!("the filter{s} on {ls} {verb} from `get_queryset` of the manager `{}`", v.class)
            } else {
                format!("the filter{s} on {ls} {verb} from the method `{}` of `{}`", v.method, v.class)
            }
        })
        .collect();
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join("; ")) }
}

fn push_new(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[allow(clippy::too_many_arguments)]
fn report(cx: &mut Checker, project: &Project, file: &SourceFile, at: TextRange, lead: &str, note: &str, model: &Model, eq: &[String], range: &[String], wanted: &[String]) {
    let quoted = |v: &[String]| v.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
    let has: Vec<String> = model.indexes.iter().map(stacklint_project::orm::ModelIndex::describe).collect();
    let filters = match (eq.is_empty(), range.is_empty()) {
        (false, true) => format!("equality on {}", quoted(eq)),
        (true, false) => format!("a range on {}", quoted(range)),
        _ => format!("equality on {} and a range on {}", quoted(eq), quoted(range)),
    };
    let name = index_name(&model.app, &model.name, wanted);
    let fields = wanted.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
    let models_file = place(project, &model.file, 0);
    let models_file = models_file.trim_end_matches(":1");
    let edit = index_edits(project, model, &fields, &name);
    let prefix = edit.as_ref().map_or_else(|| "models.Index".to_owned(), |(prefix, _)| prefix.clone());
    let index_text = format!("{prefix}(fields=[{fields}])");
    let message = format!(
        "{lead} with {filters}{note}, but no index of `{}` starts with any of these columns (it has {}): the database scans the whole `{}` table on every call. Add `{index_text}` to the `Meta.indexes` of `{}` in {models_file}, then run `python manage.py makemigrations`",
        model.name,
        has.join(", "),
        model.name,
        model.name,
    );
    let mut d = cx.diagnostic(&file.path, at, message);
    if let Some((_, edits)) = edit {
        d = d.with_fix(Fix::unsafe_(format!("Add `{prefix}(fields=[{fields}], name=\"{name}\")` to the `Meta.indexes` of `{}` (then run makemigrations)", model.name), edits));
    }
    cx.report(d);
}

/// `<app>_<model>_<fields>_idx`, each part shortened in turn until the name fits the 30
/// characters Django allows (system check models.E034); it must start with a letter.
fn index_name(app: &str, model: &str, fields: &[String]) -> String {
    let mut parts: Vec<String> = [app.to_lowercase(), model.to_lowercase()].into_iter().chain(fields.iter().map(|f| f.to_lowercase())).collect();
    let len = |p: &[String]| p.iter().map(|s| s.len() + 1).sum::<usize>() + 3;
    while len(&parts) > 30 {
        let Some(longest) = parts.iter_mut().max_by_key(|p| p.len()) else { break };
        if longest.len() <= 1 {
            break;
        }
        longest.pop();
        while longest.ends_with('_') && longest.len() > 1 {
            longest.pop();
        }
    }
    let mut name = format!("{}_idx", parts.join("_"));
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'i');
    }
    name.truncate(30);
    name
}

/// The `Index` spelling of models.py (`models.Index`) and the edits that add the entry to
/// `Meta.indexes`, creating `indexes` or `class Meta` in the file's indentation. `None`
/// when models.py names neither `models` nor `Index`, `indexes` is not a list literal, or
/// adding a Meta would drop the one inherited from an abstract base.
fn index_edits(project: &Project, model: &Model, fields: &str, name: &str) -> Option<(String, Vec<Edit>)> {
    let file = project.file(&model.file)?;
    let module = file.python()?;
    let class = module.orm().classes.get(model.class)?;
    let aliases = module.import_aliases();
    let prefix = if let Some((local, _)) = aliases.iter().find(|(_, v)| v.as_str() == "django.db.models.Index") {
        local.clone()
    } else {
        format!("{}.Index", aliases.iter().find(|(_, v)| v.as_str() == "django.db.models")?.0)
    };
    let entry = format!("{prefix}(fields=[{fields}], name=\"{name}\")");
    let inherited = model.indexes.iter().any(|ix| matches!(ix.kind, IndexKind::Meta { own: false, .. }));
    let text = &file.text;
    let unit = if class.body_indent.is_empty() { "    ".to_owned() } else { class.body_indent.clone() };
    let edits = match &class.meta {
        Some(meta) => match &meta.indexes {
            Some(list) if list.literal => {
                let open = list.range.start() + 1;
                let close = list.range.end().saturating_sub(1);
                let inner = text.get(open..close)?;
                let last = inner.trim_end();
                if last.trim().is_empty() {
                    vec![Edit::replace(&model.file, stacklint_diagnostics::TextRange::new(open, close), entry.clone())]
                } else {
                    let last_end = open + last.len();
                    let close_line_start = text.get(..close)?.rfind('\n').map(|i| i + 1);
                    let own_line = close_line_start.is_some_and(|s| text.get(s..close).is_some_and(|t| t.trim().is_empty()) && s > last_end);
                    let comma = if last.ends_with(',') { "" } else { "," };
                    if let Some(s) = close_line_start.filter(|_| own_line) {
                        let line_of_last = text.get(..last_end)?.rfind('\n').map_or(0, |i| i + 1);
                        let indent: String = text.get(line_of_last..)?.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
                        let mut e = vec![Edit::insert(&model.file, s, format!("{indent}{entry},\n"))];
                        if !comma.is_empty() {
                            e.insert(0, Edit::insert(&model.file, last_end, comma));
                        }
                        e
                    } else {
                        vec![Edit::insert(&model.file, last_end, format!("{comma} {entry}"))]
                    }
                }
            }
            Some(_) => return None,
            None if inherited => return None,
            None => {
                let ind = &meta.body_indent;
                vec![Edit::insert(&model.file, meta.body_end, format!("\n{ind}indexes = [\n{ind}{unit}{entry},\n{ind}]"))]
            }
        },
        None if inherited => return None,
        None => {
            let ind = &class.body_indent;
            vec![Edit::insert(&model.file, class.body_end, format!("\n\n{ind}class Meta:\n{ind}{unit}indexes = [\n{ind}{unit}{unit}{entry},\n{ind}{unit}]"))]
        }
    };
    Some((prefix, edits))
}

#[cfg(test)]
mod tests {
    #[test]
    fn index_names_fit_django_limit() {
        let n = super::index_name("notifications", "DeliveryAttempt", &["recipient_address".into(), "created_at".into()]);
        assert!(n.len() <= 30 && n.ends_with("_idx") && n.starts_with("notif"), "{n}");
        assert_eq!(super::index_name("chat", "Room", &["is_private".into(), "name".into()]), "chat_room_is_private_name_idx");
    }
}
