use std::fmt::Write as _;

use stacklint_diagnostics::{Edit, Fix, Severity, TextRange};
use stacklint_project::Project;
use stacklint_python::{Binding, Value};

use super::common::{Module, checked, django_version, entry_edits};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `STATICFILES_STORAGE` and `DEFAULT_FILE_STORAGE`: deprecated in Django 4.2 in
    /// favour of `STORAGES`, removed in 5.1. The Django version comes from the project's
    /// requirements or `[versions]`; unknown, the newest release is assumed.
    ///
    /// ## Why is this bad?
    /// Django 5.1 and later silently ignore both settings: static files fall back to
    /// `StaticFilesStorage` (no hashed names, no compression: WhiteNoise's
    /// `CompressedManifestStaticFilesStorage` is lost) and uploads go to the local disk
    /// instead of S3 or Cloudinary. The fix moves the backends into `STORAGES`, keeping
    /// Django's default for the other alias. It is unsafe when the Django version is
    /// unknown (`STORAGES` needs 4.2) or when something still reads the old name (a later
    /// setting, a star-importer, `settings.DEFAULT_FILE_STORAGE` in app code): deleting it
    /// would raise `NameError` or `AttributeError` at start-up.
    ///
    /// ## Example
    /// ```python path=settings.py
    /// STATICFILES_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    /// ```
    ///
    /// ```text path=requirements.txt
    /// Django==5.2.8
    /// ```
    ///
    /// ## Use instead
    /// ```python path=settings.py
    /// STORAGES = {
    ///     "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    ///     "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    /// }
    /// ```
    ///
    /// ```text path=requirements.txt
    /// Django==5.2.8
    /// ```
    ///
    /// ## References
    /// - [Django: STORAGES](https://docs.djangoproject.com/en/5.2/ref/settings/#storages)
    /// - [Django 5.1 release notes: features removed](https://docs.djangoproject.com/en/5.2/releases/5.1/#features-removed-in-5-1)
    pub static RULE = {
        code: "DJS008",
        name: "removed-storage-setting",
        family: Family::DjangoSettings,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
        check: check,
    }
}

/// The removed setting, its `STORAGES` alias, and Django's default backend for that alias.
const MOVED: &[(&str, &str, &str)] = &[
    ("DEFAULT_FILE_STORAGE", "default", "django.core.files.storage.FileSystemStorage"),
    ("STATICFILES_STORAGE", "staticfiles", "django.contrib.staticfiles.storage.StaticFilesStorage"),
];

fn check(cx: &mut Checker) {
    let project = cx.project();
    let (version, assumed) = django_version(project);
    if !version.at_least(&[4, 2]) {
        return;
    }
    let removed = version.at_least(&[5, 1]);
    for m in checked(project) {
        for (name, alias, _) in MOVED {
            let Some(b) = m.settings.get(name) else { continue };
            let effect = if removed {
                let what = if *alias == "staticfiles" { "static files fall back to `StaticFilesStorage` (no hashed or compressed files)" } else { "uploads fall back to `FileSystemStorage` on the local disk" };
                format!("removed in Django 5.1 and silently ignored by Django {version}: {what}")
            } else {
                format!("deprecated since Django 4.2 and removed in 5.1 (Django {version} still reads it)")
            };
            let note = assumed.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            let message = format!("`{name}` is {effect}; configure `STORAGES[\"{alias}\"]` instead{note}");
            let mut d = cx.diagnostic(&b.file, b.target_range, message);
            if let Some(edits) = move_into_storages(&m) {
                let title = "Move the storage backends into `STORAGES`";
                // Deleting a name something still reads is a `NameError` (or an
                // `AttributeError` on `settings`); `STORAGES` before Django 4.2 is ignored.
                let mut unsafe_because = deleted_names_read(project, &edits);
                if assumed.is_some() {
                    unsafe_because.push(format!("assumes Django {version} (the version is unknown: pin `Django` in requirements or declare `[versions]`), and `STORAGES` needs 4.2"));
                }
                d = d.with_fix(if unsafe_because.is_empty() { Fix::safe(title, edits) } else { Fix::unsafe_(format!("{title}: {}", unsafe_because.join("; ")), edits) });
            }
            cx.report(d);
        }
    }
}

/// The line(s) of a top-level statement, newline included.
fn statement_lines(text: &str, b: &Binding) -> Option<TextRange> {
    let start = text.get(..b.statement_range.start())?.rfind('\n').map_or(0, |i| i + 1);
    if !text.get(start..b.statement_range.start())?.trim().is_empty() {
        return None;
    }
    let end = text.get(b.statement_range.end()..)?.find('\n').map_or(text.len(), |i| b.statement_range.end() + i + 1);
    let tail = text.get(b.statement_range.end()..end)?.trim();
    (tail.is_empty() || tail.starts_with('#')).then(|| TextRange::new(start, end))
}

/// One fix for every removed setting of the module (they are moved together so `STORAGES`
/// is written once): delete their statements and add their backends to `STORAGES`
/// (created where the first one was, or extended when it is a dict literal).
fn move_into_storages(m: &Module<'_>) -> Option<Vec<Edit>> {
    let found: Vec<(&str, &str, &str, &Binding)> = MOVED.iter().filter_map(|(n, a, d)| m.settings.get(n).map(|b| (*n, *a, *d, b))).collect();
    let first = found.first()?.3;
    // Every one must be a plain top-level assignment in the same file.
    if found.iter().any(|(n, .., b)| b.is_conditional() || *b.file != *first.file || m.settings.bindings(n).any(|x| !x.keys.is_empty() || !x.kind.rebinds())) {
        return None;
    }
    let file = m.project.file(&first.file)?;
    let text = file.text.as_str();
    let mut edits = Vec::new();
    let mut lines = Vec::new();
    for (.., b) in &found {
        let r = statement_lines(text, b)?;
        lines.push(r);
    }
    let value_text = |b: &Binding| text.get(b.value.range.as_range()).map(str::to_owned);
    match m.settings.get("STORAGES") {
        None => {
            if m.settings.contains("STORAGES") || m.unresolved_star {
                return None;
            }
            let mut body = String::from("STORAGES = {\n");
            for (name, alias, default) in MOVED {
                let backend = match found.iter().find(|f| f.0 == *name) {
                    Some((.., b)) => value_text(b)?,
                    None => format!("\"{default}\""),
                };
                let _ = writeln!(body, "    \"{alias}\": {{\"BACKEND\": {backend}}},");
            }
            body.push_str("}\n");
            let mut sorted = lines.clone();
            sorted.sort_by_key(|r| r.start());
            for (i, r) in sorted.iter().enumerate() {
                edits.push(Edit::replace(&file.path, *r, if i == 0 { body.clone() } else { String::new() }));
            }
        }
        Some(storages) => {
            let Value::Dict(dict) = &storages.value.value else { return None };
            if storages.is_conditional() || m.settings.bindings("STORAGES").any(|x| !x.keys.is_empty() || !x.kind.rebinds()) {
                return None;
            }
            let mut entries = Vec::new();
            for (_, alias, _, b) in &found {
                let has = dict.entries.iter().any(|e| e.key.as_ref().and_then(|k| k.as_str()) == Some(alias));
                if !has {
                    entries.push(format!("\"{alias}\": {{\"BACKEND\": {}}}", value_text(b)?));
                }
            }
            if !entries.is_empty() {
                edits.extend(entry_edits(&storages.value.file, &dict.insert, &entries));
            }
            for r in lines {
                edits.push(Edit::delete(&file.path, r));
            }
        }
    }
    Some(edits)
}

/// For each moved name whose assignment the edits delete: where else it is read, as
/// "`NAME` is still read at FILE:ROW". Every Python file of the project counts (the module,
/// modules that star-import it, app code reading `settings.NAME` or `getattr(settings,
/// "NAME")`); an occurrence inside a deleted range does not.
fn deleted_names_read(project: &Project, edits: &[Edit]) -> Vec<String> {
    let deleted = |file: &std::path::Path, at: TextRange| edits.iter().any(|e| e.file == file && e.content.is_empty() && e.range.contains_range(at));
    let replaced = |file: &std::path::Path, at: TextRange| edits.iter().any(|e| e.file == file && e.range.contains_range(at));
    let mut out = Vec::new();
    for (name, ..) in MOVED {
        // Only names whose statement the fix removes (deleted, or replaced by `STORAGES`).
        let removes = project.files.iter().any(|f| {
            f.text.match_indices(name).any(|(i, _)| replaced(&f.path, TextRange::new(i, i + name.len())))
        });
        if !removes {
            continue;
        }
        let mut found: Option<String> = None;
        for file in &project.files {
            if found.is_some() || !file.text.contains(name) {
                continue;
            }
            let Some(module) = file.python() else { continue };
            module.each_node(|node| {
                if found.is_some() {
                    return false;
                }
                let at = TextRange::new(node.start_byte(), node.end_byte());
                if matches!(node.kind(), "identifier" | "string_content") && module.node_text(node) == *name && !deleted(&file.path, at) && !replaced(&file.path, at) {
                    let rel = file.path.strip_prefix(&project.root).unwrap_or(&file.path);
                    found = Some(format!("`{name}` is still read at {}:{}", rel.display(), file.row(at.start())));
                }
                found.is_none()
            });
        }
        out.extend(found);
    }
    out
}
