use stacklint_diagnostics::{Edit, Fix, Severity, TextRange};
use stacklint_project::orm::IndexKind;

use super::place;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an entry of `Meta.indexes` whose fields equal, or are the leading fields of,
    /// another index of the same model: the primary key, a `unique=True`, `db_index=True`,
    /// foreign key or `SlugField` column, another `Meta.indexes` entry,
    /// `unique_together`, `index_together` or a `UniqueConstraint`. Partial
    /// (`condition=`), expression, descending and non-btree indexes are not compared.
    ///
    /// ## Why is this bad?
    /// Every index is updated on every insert and on updates of its columns, and takes
    /// disk and memory; one whose fields lead another index serves no query the other does
    /// not. The fix removes the entry; it is unsafe because it needs a migration
    /// (`python manage.py makemigrations`) that drops the index.
    ///
    /// ## Example
    /// ```python path=blog/models.py
    /// from django.db import models
    ///
    /// class Post(models.Model):
    ///     slug = models.SlugField(unique=True)
    ///
    ///     class Meta:
    ///         indexes = [models.Index(fields=["slug"])]
    /// ```
    ///
    /// ## Use instead
    /// ```python path=blog/models.py
    /// from django.db import models
    ///
    /// class Post(models.Model):
    ///     slug = models.SlugField(unique=True)
    /// ```
    ///
    /// ## References
    /// - [Django: Model index reference](https://docs.djangoproject.com/en/stable/ref/models/indexes/)
    /// - [PostgreSQL: Multicolumn indexes](https://www.postgresql.org/docs/current/indexes-multicolumn.html)
    pub static RULE = {
        code: "ORM003",
        name: "redundant-index",
        family: Family::Orm,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    for model in &project.models().models {
        let Some(file) = project.file(&model.file) else { continue };
        let Some(class) = file.python().and_then(|m| m.orm().classes.get(model.class)) else { continue };
        let Some(list) = class.meta.as_ref().and_then(|m| m.indexes.as_ref()) else { continue };
        for (item, ix) in list.items.iter().enumerate() {
            let me = IndexKind::Meta { own: true, item };
            let Some(mine) = model.indexes.iter().find(|x| x.kind == me).filter(|x| x.plain && !x.fields.is_empty()) else { continue };
            // Of two equal entries the later one goes.
            let other = model.indexes.iter().find(|o| {
                o.kind != me && o.plain && o.fields.len() >= mine.fields.len() && o.fields.starts_with(&mine.fields) && !matches!(o.kind, IndexKind::Meta { own: true, item: j } if j > item && o.fields == mine.fields)
            });
            let Some(other) = other else { continue };
            let source = other_place(project, model, class, other);
            let what = if other.fields == mine.fields { "duplicates" } else { "is the leading part of" };
            let message = format!(
                "`{}` on `{}` {what} {}{source}: every write updates both and a query that can use this index can use that one. Remove it, then run `python manage.py makemigrations`",
                ix.range.slice(&file.text).split_whitespace().collect::<Vec<_>>().join(" "),
                model.name,
                other.describe(),
            );
            let d = cx.diagnostic(&file.path, ix.range, message).with_fix(Fix::unsafe_("Remove the redundant index (then run makemigrations)", vec![Edit::delete(&file.path, entry_range(&file.text, ix.range))]));
            cx.report(d);
        }
    }
}

/// ` (app/models.py:12)` for an index written at a field or entry of this model's class.
fn other_place(project: &stacklint_project::Project, model: &stacklint_project::orm::Model, class: &stacklint_python::orm::ClassDef, other: &stacklint_project::orm::ModelIndex) -> String {
    let at = match &other.kind {
        IndexKind::Meta { own: true, item } => class.meta.as_ref().and_then(|m| m.indexes.as_ref()).and_then(|l| l.items.get(*item)).map(|i| i.range.start()),
        IndexKind::PrimaryKey | IndexKind::Unique | IndexKind::DbIndex | IndexKind::ForeignKey | IndexKind::SlugField => other.fields.first().and_then(|f| class.fields.iter().find(|x| &x.name == f)).map(|f| f.range.start()),
        _ => None,
    };
    at.map_or_else(String::new, |o| format!(" ({})", place(project, &model.file, o)))
}

/// The entry with its comma, and its whole line when it stands alone on it.
fn entry_range(text: &str, r: TextRange) -> TextRange {
    let bytes = text.as_bytes();
    let mut end = r.end();
    while bytes.get(end).is_some_and(|b| *b == b' ' || *b == b'\t') {
        end += 1;
    }
    let comma_after = bytes.get(end) == Some(&b',');
    if comma_after {
        end += 1;
    }
    let line_start = text.get(..r.start()).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let line_end = text.get(end..).and_then(|t| t.find('\n')).map_or(text.len(), |i| end + i);
    let alone = text.get(line_start..r.start()).is_some_and(|t| t.trim().is_empty()) && text.get(end..line_end).is_some_and(|t| t.trim().is_empty());
    if alone {
        return TextRange::new(line_start, (line_end + 1).min(text.len()));
    }
    if comma_after {
        while bytes.get(end).is_some_and(|b| *b == b' ') {
            end += 1;
        }
        return TextRange::new(r.start(), end);
    }
    // The last entry of a one-line list: take the comma before it.
    let before = text.get(..r.start()).unwrap_or("").trim_end();
    match before.strip_suffix(',') {
        Some(b) => TextRange::new(b.len(), r.end()),
        None => r,
    }
}
