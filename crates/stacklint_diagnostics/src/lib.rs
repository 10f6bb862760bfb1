//! What a rule produces: [`Diagnostic`]s with optional [`Fix`]es made of [`Edit`]s.
//!
//! No IO here: applying edits turns texts into texts, and diffs are strings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
pub use stacklint_text::TextRange;

/// How serious a finding is; configurable per rule with `[severity]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Whether `--fix` may apply a fix on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Shown, never applied (the edit needs a human decision).
    DisplayOnly,
    /// Needs another change (a package, a migration): applied with `--unsafe-fixes`.
    Unsafe,
    /// The documented recommendation; the file stays valid: applied by `--fix`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// Replace `range` of `file` with `content` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub file: PathBuf,
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn replace(file: impl Into<PathBuf>, range: TextRange, content: impl Into<String>) -> Self {
        Self { file: file.into(), range, content: content.into() }
    }

    pub fn insert(file: impl Into<PathBuf>, offset: usize, content: impl Into<String>) -> Self {
        Self::replace(file, TextRange::empty(offset), content)
    }

    pub fn delete(file: impl Into<PathBuf>, range: TextRange) -> Self {
        Self::replace(file, range, String::new())
    }
}

/// A set of edits that together fix one finding; they may touch several files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub title: String,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self { applicability: Applicability::Safe, title: title.into(), edits }
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self { applicability: Applicability::Unsafe, title: title.into(), edits }
    }

    pub fn display_only(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self { applicability: Applicability::DisplayOnly, title: title.into(), edits }
    }

    /// The files this fix edits, each once.
    pub fn files(&self) -> Vec<&Path> {
        let mut files: Vec<&Path> = self.edits.iter().map(|e| e.file.as_path()).collect();
        files.sort();
        files.dedup();
        files
    }
}

/// A secondary place that explains a finding ("workers are set here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub file: PathBuf,
    pub range: TextRange,
    pub message: String,
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: PathBuf,
    pub range: TextRange,
    /// What to do about it, when the fix title does not say it all.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    #[must_use]
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_related(mut self, file: impl Into<PathBuf>, range: TextRange, message: impl Into<String>) -> Self {
        self.related.push(Related { file: file.into(), range, message: message.into() });
        self
    }

    /// Sort key: file, position, code.
    pub fn sort_key(&self) -> (&Path, usize, usize, &'static str) {
        (self.file.as_path(), self.range.start(), self.range.end(), self.code)
    }
}

/// Apply edits to one text. Edits are applied in order of position; an edit that
/// overlaps one already taken is skipped and returned, so nothing is half-applied.
pub fn apply_edits<'a>(text: &str, edits: impl IntoIterator<Item = &'a Edit>) -> (String, Vec<&'a Edit>) {
    let mut sorted: Vec<&Edit> = edits.into_iter().collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut skipped = Vec::new();
    let mut last = 0usize;
    let mut last_insert: Option<usize> = None;
    for edit in sorted {
        let (s, e) = (edit.range.start(), edit.range.end());
        let overlaps = s < last || (edit.range.is_empty() && last_insert == Some(s) && s == last);
        if overlaps || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            skipped.push(edit);
            continue;
        }
        out.push_str(text.get(last..s).unwrap_or(""));
        out.push_str(&edit.content);
        last = e;
        last_insert = edit.range.is_empty().then_some(s);
    }
    out.push_str(text.get(last..).unwrap_or(""));
    (out, skipped)
}

/// Pick fixes that do not overlap each other (per file), in the order given, and group
/// their edits by file. A fix is taken whole or not at all.
pub fn select_non_overlapping<'a>(fixes: impl IntoIterator<Item = &'a Fix>) -> (Vec<&'a Fix>, BTreeMap<PathBuf, Vec<Edit>>) {
    let mut taken: Vec<&Fix> = Vec::new();
    let mut by_file: BTreeMap<PathBuf, Vec<Edit>> = BTreeMap::new();
    'fixes: for fix in fixes {
        for edit in &fix.edits {
            if let Some(existing) = by_file.get(&edit.file)
                && existing.iter().any(|other| other.range.overlaps(edit.range))
            {
                continue 'fixes;
            }
        }
        // Two edits of the same fix must not overlap each other either.
        for (i, a) in fix.edits.iter().enumerate() {
            if fix.edits.iter().skip(i + 1).any(|b| a.file == b.file && a.range.overlaps(b.range)) {
                continue 'fixes;
            }
        }
        for edit in &fix.edits {
            by_file.entry(edit.file.clone()).or_default().push(edit.clone());
        }
        taken.push(fix);
    }
    (taken, by_file)
}

/// A unified diff between two versions of `path` (empty when they are equal).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_position_order_and_overlaps_are_skipped() {
        let text = "workers = 3\nthreads = 4\n";
        let a = Edit::replace("f", TextRange::new(10, 11), "9");
        let b = Edit::insert("f", text.len(), "max_requests = 1000\n");
        let c = Edit::replace("f", TextRange::new(10, 12), "5\n");
        let (out, skipped) = apply_edits(text, [&b, &a, &c]);
        assert_eq!(out, "workers = 9\nthreads = 4\nmax_requests = 1000\n");
        assert_eq!(skipped, vec![&c]);
    }

    #[test]
    fn fixes_are_taken_whole() {
        let f1 = Fix::safe("one", vec![Edit::replace("a", TextRange::new(0, 2), "x")]);
        let f2 = Fix::safe("two", vec![Edit::replace("b", TextRange::new(0, 1), "y"), Edit::replace("a", TextRange::new(1, 3), "z")]);
        let f3 = Fix::safe("three", vec![Edit::replace("b", TextRange::new(5, 6), "w")]);
        let (taken, by_file) = select_non_overlapping([&f1, &f2, &f3]);
        assert_eq!(taken.len(), 2);
        assert_eq!(by_file.get(Path::new("b")).map(Vec::len), Some(1));
    }

    #[test]
    fn diff_has_headers() {
        let d = unified_diff("x.conf", "a\nb\n", "a\nc\n");
        assert!(d.starts_with("--- a/x.conf\n+++ b/x.conf\n"), "{d}");
        assert!(d.contains("-b\n+c\n"));
        assert_eq!(unified_diff("x", "same", "same"), "");
    }
}
