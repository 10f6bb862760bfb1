//! What a rule produces: [`Diagnostic`]s with optional [`Fix`]es made of [`Edit`]s.
//!
//! No IO here: applying edits turns texts into texts, and diffs are strings.

pub mod line_endings;

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

/// Apply edits to one text, in order of position. Edits that touch (an insertion at the
/// end or start of a replaced range, several insertions at one point) apply in the order
/// given; an edit identical to the one before it applies once; an edit that overlaps one
/// already applied (or does not fit the text) is skipped and returned, so nothing is
/// half-applied.
pub fn apply_edits<'a>(text: &str, edits: impl IntoIterator<Item = &'a Edit>) -> (String, Vec<&'a Edit>) {
    let (applied, skipped) = applicable(text, edits);
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    for edit in applied {
        out.push_str(text.get(last..edit.range.start()).unwrap_or(""));
        out.push_str(&edit.content);
        last = edit.range.end();
    }
    out.push_str(text.get(last..).unwrap_or(""));
    (out, skipped)
}

/// The edits [`apply_edits`] applies, in order, and those it skips.
pub(crate) fn applicable<'a>(text: &str, edits: impl IntoIterator<Item = &'a Edit>) -> (Vec<&'a Edit>, Vec<&'a Edit>) {
    let mut sorted: Vec<&Edit> = edits.into_iter().collect();
    // Stable: insertions at one point keep their order.
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut applied: Vec<&Edit> = Vec::new();
    let mut skipped = Vec::new();
    let mut last = 0usize;
    for edit in sorted {
        if applied.last().is_some_and(|p| p.range == edit.range && p.content == edit.content) {
            continue;
        }
        let (s, e) = (edit.range.start(), edit.range.end());
        if s < last || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            skipped.push(edit);
            continue;
        }
        last = e;
        applied.push(edit);
    }
    (applied, skipped)
}

/// Whether two edits of one file conflict when they come from different fixes: they
/// overlap or touch (an insertion at either end of a replaced range, two insertions at one
/// point), as ruff has it. Identical edits do not conflict: they apply once.
pub fn edits_conflict(a: &Edit, b: &Edit) -> bool {
    a.file == b.file && a != b && a.range.start() <= b.range.end() && b.range.start() <= a.range.end()
}

/// What one pass of the fixer does with a list of fixes ([`select_fixes`]).
#[derive(Debug, Default)]
pub struct FixSelection {
    /// The fixes applied this pass (indices into the list given), in position order.
    pub taken: Vec<usize>,
    /// Fixes whose edits conflict with a taken fix: they wait for the next pass, when the
    /// rule recomputes its edit against the new text.
    pub deferred: Vec<usize>,
    /// Fixes whose edits are all identical to edits already taken: done by those.
    pub duplicates: Vec<usize>,
    /// Fixes whose own edits overlap each other: never applicable.
    pub invalid: Vec<usize>,
    /// The edits to apply, per file, each once, in the order [`apply_edits`] needs.
    pub edits: BTreeMap<PathBuf, Vec<Edit>>,
}

/// Choose the fixes one pass applies. Fixes are considered in order of position (their
/// first edit; the order given breaks ties); a fix is taken whole or not at all; it waits
/// for the next pass when one of its edits conflicts with an edit taken already
/// ([`edits_conflict`]); an edit identical to one taken applies once. The edits of one
/// fix may touch each other (two insertions at one point apply in the fix's order) but
/// not overlap.
pub fn select_fixes(fixes: &[&Fix]) -> FixSelection {
    let first = |f: &Fix| f.edits.iter().map(|e| (e.file.clone(), e.range.start(), e.range.end())).min();
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|&i| first(fixes[i]));
    let mut selection = FixSelection::default();
    'fixes: for i in order {
        let fix = fixes[i];
        if !edits_are_consistent(&fix.edits) {
            selection.invalid.push(i);
            continue;
        }
        let mut fresh: Vec<&Edit> = Vec::new();
        for edit in &fix.edits {
            let taken = selection.edits.get(&edit.file).map_or(&[][..], Vec::as_slice);
            if taken.contains(edit) || fresh.contains(&edit) {
                continue;
            }
            if taken.iter().any(|t| edits_conflict(t, edit)) {
                selection.deferred.push(i);
                continue 'fixes;
            }
            fresh.push(edit);
        }
        if fresh.is_empty() && !fix.edits.is_empty() {
            selection.duplicates.push(i);
            continue;
        }
        for edit in fresh {
            selection.edits.entry(edit.file.clone()).or_default().push(edit.clone());
        }
        selection.taken.push(i);
    }
    for edits in selection.edits.values_mut() {
        edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    }
    selection
}

/// Whether a fix's own edits can apply together: none overlaps another (touching is fine).
fn edits_are_consistent(edits: &[Edit]) -> bool {
    edits.iter().enumerate().all(|(i, a)| {
        edits.iter().skip(i + 1).all(|b| a.file != b.file || a == b || a.range.end() <= b.range.start() || b.range.end() <= a.range.start())
    })
}

/// Pick fixes that do not conflict ([`select_fixes`]), in position order, and group their
/// edits by file. A fix is taken whole or not at all.
pub fn select_non_overlapping<'a>(fixes: impl IntoIterator<Item = &'a Fix>) -> (Vec<&'a Fix>, BTreeMap<PathBuf, Vec<Edit>>) {
    let fixes: Vec<&Fix> = fixes.into_iter().collect();
    let selection = select_fixes(&fixes);
    (selection.taken.iter().map(|&i| fixes[i]).collect(), selection.edits)
}

/// A unified diff between two versions of `path` (empty when they are equal).
///
/// Lines end at `\n`: a file whose lines end with a lone `\r` (old Mac) would be one line
/// changed whole. Its lines are shown ended by `\n`, as [`line_endings::normalize`] makes
/// them, after a first line saying so (text before `---` is not part of the patch); the
/// file itself keeps its bytes.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let lone_cr = line_endings::has_lone_cr(old) || line_endings::has_lone_cr(new);
    let (shown_old, shown_new) = (line_endings::normalize(old), line_endings::normalize(new));
    let (old, new, note) = if lone_cr && shown_old != shown_new {
        (shown_old.as_ref(), shown_new.as_ref(), format!("# {path} ends lines with a lone CR (\\r): shown as line breaks\n"))
    } else {
        (old, new, String::new())
    };
    let diff = similar::TextDiff::from_lines(old, new).unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")).to_string();
    format!("{note}{diff}")
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

    /// A CR-only file's diff shows its lines, not one line changed whole.
    #[test]
    fn diffs_of_cr_only_files_show_lines() {
        let old = "A = 1\rB = 2  # stacklint: ignore[SYN001]\rC = 3\r";
        let new = "A = 1\rB = 2\rC = 3\r";
        assert_eq!(
            unified_diff("s.py", old, new),
            "# s.py ends lines with a lone CR (\\r): shown as line breaks\n--- a/s.py\n+++ b/s.py\n@@ -1,3 +1,3 @@\n A = 1\n-B = 2  # stacklint: ignore[SYN001]\n+B = 2\n C = 3\n"
        );
        assert_eq!(unified_diff("s.py", "A\r\nB\r\n", "A\r\nC\r\n"), "--- a/s.py\n+++ b/s.py\n@@ -1,2 +1,2 @@\n A\r\n-B\r\n+C\r\n");
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

    /// `CMD gunicorn app.wsgi`: one rule rewrites the words, others insert a flag at their
    /// end. Touching edits conflict, so the insertions wait for the next pass.
    #[test]
    fn touching_edits_conflict() {
        let text = "CMD gunicorn app.wsgi\n";
        let exec = Fix::safe("exec", vec![Edit::replace("D", TextRange::new(4, 21), r#"["gunicorn", "app.wsgi"]"#)]);
        let workers = Fix::safe("workers", vec![Edit::insert("D", 21, " --workers 9")]);
        let tmp = Fix::safe("tmp", vec![Edit::insert("D", 21, " --worker-tmp-dir /dev/shm")]);
        let before = Fix::safe("before", vec![Edit::insert("D", 4, "exec ")]);
        let s = select_fixes(&[&workers, &exec, &tmp]);
        assert_eq!(s.taken, vec![1]);
        assert_eq!(s.deferred, vec![0, 2]);
        let out = apply_edits(text, &s.edits[Path::new("D")]).0;
        assert_eq!(out, "CMD [\"gunicorn\", \"app.wsgi\"]\n");
        // An insertion at the start of a replaced range conflicts too; so do two insertions
        // at one point from different fixes.
        assert_eq!(select_fixes(&[&exec, &before]).deferred, vec![0]);
        assert_eq!(select_fixes(&[&workers, &tmp]).taken, vec![0]);
        // Apart, they all apply.
        let far = Fix::safe("far", vec![Edit::insert("D", 22, "ENV A=1\n")]);
        assert_eq!(select_fixes(&[&exec, &far]).taken.len(), 2);
    }

    #[test]
    fn identical_edits_apply_once() {
        let text = "workers = 3\n";
        let a = Fix::safe("a", vec![Edit::insert("f", 12, "max_requests = 1000\n")]);
        let b = Fix::safe("b", vec![Edit::insert("f", 12, "max_requests = 1000\n"), Edit::replace("f", TextRange::new(10, 11), "9")]);
        let s = select_fixes(&[&a, &b]);
        assert_eq!((&s.taken, &s.duplicates), (&vec![1], &vec![0]));
        assert_eq!(apply_edits(text, &s.edits[Path::new("f")]).0, "workers = 9\nmax_requests = 1000\n");
        let s = select_fixes(&[&a, &a.clone()]);
        assert_eq!((s.taken, s.duplicates), (vec![0], vec![1]));
    }

    /// DJS001: two insertions at one point from the same fix apply in the fix's order.
    #[test]
    fn a_fix_may_insert_twice_at_one_point() {
        let text = "DATABASES = {'default': {'ENGINE': 'x'}}\n";
        let at = text.find('}').unwrap();
        let fix = Fix::safe("age", vec![Edit::insert("s", at, ", 'CONN_MAX_AGE': 60"), Edit::insert("s", at, ", 'CONN_HEALTH_CHECKS': True")]);
        let s = select_fixes(&[&fix]);
        assert_eq!(s.taken, vec![0]);
        assert_eq!(apply_edits(text, &s.edits[Path::new("s")]).0, "DATABASES = {'default': {'ENGINE': 'x', 'CONN_MAX_AGE': 60, 'CONN_HEALTH_CHECKS': True}}\n");
        // A fix whose own edits overlap is never applicable.
        let bad = Fix::safe("bad", vec![Edit::replace("s", TextRange::new(0, 5), "a"), Edit::replace("s", TextRange::new(3, 7), "b")]);
        assert_eq!(select_fixes(&[&bad]).invalid, vec![0]);
    }

    #[test]
    fn diff_has_headers() {
        let d = unified_diff("x.conf", "a\nb\n", "a\nc\n");
        assert!(d.starts_with("--- a/x.conf\n+++ b/x.conf\n"), "{d}");
        assert!(d.contains("-b\n+c\n"));
        assert_eq!(unified_diff("x", "same", "same"), "");
    }
}
