use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_python::orm::Root;

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
    /// ## Why is this bad?
    /// Each such read runs one more query per row: 1 + N queries for N rows instead of 1
    /// (or 2 with a prefetch). The page gets slower in proportion to the rows shown.
    ///
    /// The fix adds `.select_related(...)` / `.prefetch_related(...)` right after
    /// `Model.objects` where the queryset is built. It is unsafe: it changes the SQL (a
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

fn check(cx: &mut Checker) {
    let project = cx.project();
    let queries = resolved_queries(project);
    for q in &queries {
        for lp in q.orm.loops.iter().filter(|l| l.query == q.index) {
            if q.calls.last().is_some_and(|c| NOT_ROWS.contains(&c.method.as_str())) || q.calls.iter().any(|c| matches!(c.method.as_str(), "values" | "values_list")) {
                continue;
            }
            let (select, _, select_all) = call_strings(&q.calls, "select_related");
            let (prefetch, prefetch_objects, _) = call_strings(&q.calls, "prefetch_related");
            let annotated = q.calls.iter().any(|c| c.method == "annotate");
            if prefetch_objects {
                continue;
            }
            // (relation, what is read, fixable by the call, the call)
            let mut found: Vec<(String, String, Option<&str>)> = Vec::new();
            for (path, _) in &lp.reads {
                let Some(first) = path.first() else { continue };
                let next = path.get(1).map(String::as_str);
                let shown = format!("{}.{}", lp.var, path.join("."));
                if found.iter().any(|(r, _, _)| r == first) {
                    continue;
                }
                if let Some(f) = q.model.field(first) {
                    if f.def.is_foreign_key() || f.def.is_one_to_one() {
                        if !select_all && !covers(&select, first) && !covers(&prefetch, first) {
                            found.push((first.clone(), shown, Some("select_related")));
                        }
                    } else if f.def.is_many_to_many() && next.is_some() && !covers(&prefetch, first) && !(annotated && next == Some("count")) {
                        found.push((first.clone(), format!("{shown}()"), next.filter(|m| CACHED.contains(m)).map(|_| "prefetch_related")));
                    }
                } else if let Some(r) = q.model.reverse(first) {
                    if !r.many {
                        if !select_all && !covers(&select, first) && !covers(&prefetch, first) {
                            found.push((first.clone(), shown, Some("select_related")));
                        }
                    } else if next.is_some() && !covers(&prefetch, first) && !(annotated && next == Some("count")) {
                        found.push((first.clone(), format!("{shown}()"), next.filter(|m| CACHED.contains(m)).map(|_| "prefetch_related")));
                    }
                }
            }
            if found.is_empty() {
                continue;
            }
            let Some(query) = q.orm.queries.get(q.index) else { continue };
            let reads = found.iter().map(|(_, s, _)| format!("`{s}`")).collect::<Vec<_>>().join(", ");
            let per_row = found.len();
            let calls_for = |method: &str| {
                let names: Vec<String> = found.iter().filter(|(_, _, m)| *m == Some(method)).map(|(r, _, _)| format!("\"{r}\"")).collect();
                (!names.is_empty()).then(|| format!(".{method}({})", names.join(", ")))
            };
            let added: String = [calls_for("select_related"), calls_for("prefetch_related")].into_iter().flatten().collect();
            let count_hint = if found.iter().any(|(_, s, _)| s.ends_with(".count()")) { "; for a count alone, `.annotate(Count(...))` loads no rows" } else { "" };
            let message = format!(
                "The loop over `{}` reads {reads} on each `{}` row: {per_row} more {} per row, 1 + {per_row} × N queries for N rows{}{count_hint}",
                query_text(q.file, query.range),
                q.model.name,
                if per_row == 1 { "query" } else { "queries" },
                if added.is_empty() { String::new() } else { format!("; `{added}` loads them with the rows") },
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
}
