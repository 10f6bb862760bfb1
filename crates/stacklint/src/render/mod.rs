//! Output formats: turn [`Diagnostic`]s into what a user, an editor or a CI system reads.
//!
//! One entry point, [`render`], writes a whole report in one [`OutputFormat`] to any
//! [`io::Write`]. Renderers never read files and never panic on a failed write: every
//! write returns an [`io::Result`] and the caller decides what a closed pipe means
//! (`stacklint check | head` should end quietly).
//!
//! Rows and columns come from [`LineIndex`]: 1-based rows, 1-based columns counted in
//! Unicode scalar values. Every position is computed in the text of the file it points
//! into — a fix edit in `models.py` is located in `models.py`, not in the file of the
//! finding — so [`RenderContext::sources`] should hold the text of every file named by a
//! diagnostic, its related locations and its fix edits. A position in a file whose text is
//! missing is reported as row 1, column 1 (and the `full` format shows no snippet).
//!
//! Diagnostics are rendered in the order given; sort them first (for example with
//! [`Diagnostic::sort_key`]).
//!
//! ```
//! use std::collections::HashMap;
//! use std::path::{Path, PathBuf};
//! use stacklint::render::{render, OutputFormat, RenderContext};
//! use stacklint_diagnostics::{Diagnostic, Severity, TextRange};
//!
//! let text = "workers = 3\n";
//! let sources = HashMap::from([(PathBuf::from("gunicorn.conf.py"), text.to_owned())]);
//! let diagnostic = Diagnostic {
//!     code: "GUN001",
//!     name: "workers-below-cpu-recommendation",
//!     severity: Severity::Warning,
//!     message: "3 workers on 4 CPUs".to_owned(),
//!     file: PathBuf::from("gunicorn.conf.py"),
//!     range: TextRange::new(10, 11),
//!     help: None,
//!     fix: None,
//!     related: Vec::new(),
//! };
//! let cx = RenderContext::new(Path::new("."), &sources, "0.1.0");
//! let mut out = Vec::new();
//! render(OutputFormat::Concise, &[diagnostic], &cx, &mut out).unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "gunicorn.conf.py:1:11: GUN001 [workers-below-cpu-recommendation] 3 workers on 4 CPUs\nFound 1 warning.\n"
//! );
//! ```

mod concise;
mod full;
mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod statistics;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use stacklint_diagnostics::{Applicability, Diagnostic, Fix, Severity, TextRange};
use stacklint_text::{LineIndex, SourceLocation};

pub use statistics::render_statistics;

/// The `--output-format` choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum OutputFormat {
    /// A graphical report per finding: source snippet, labels, help and fix (miette).
    #[default]
    Full,
    /// One line per finding: `path:row:col: CODE [name] message`.
    Concise,
    /// The stable JSON contract: a pretty-printed list of findings.
    Json,
    /// The same objects as `json`, one compact object per line.
    JsonLines,
    /// SARIF 2.1.0, for code scanning services.
    Sarif,
    /// GitHub Actions workflow commands (`::warning file=...::...`).
    Github,
    /// A GitLab Code Quality report.
    Gitlab,
    /// A JUnit XML report, one test case per finding.
    Junit,
}

impl OutputFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [OutputFormat; 8] = [
        OutputFormat::Full,
        OutputFormat::Concise,
        OutputFormat::Json,
        OutputFormat::JsonLines,
        OutputFormat::Sarif,
        OutputFormat::Github,
        OutputFormat::Gitlab,
        OutputFormat::Junit,
    ];

    /// The name on the command line (`json-lines`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Full => "full",
            OutputFormat::Concise => "concise",
            OutputFormat::Json => "json",
            OutputFormat::JsonLines => "json-lines",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Github => "github",
            OutputFormat::Gitlab => "gitlab",
            OutputFormat::Junit => "junit",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown [`OutputFormat`] name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOutputFormat(pub String);

impl fmt::Display for UnknownOutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.as_str()).collect();
        write!(f, "unknown output format `{}` (expected one of: {})", self.0, names.join(", "))
    }
}

impl std::error::Error for UnknownOutputFormat {}

impl FromStr for OutputFormat {
    type Err = UnknownOutputFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutputFormat::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| UnknownOutputFormat(s.to_owned()))
    }
}

/// Where renderers find the text of a file, to compute rows and columns and show snippets.
///
/// Implemented for maps from path to text; the keys must be the paths exactly as the
/// diagnostics and edits name them.
pub trait Sources {
    /// The text of `path`, if known.
    fn source(&self, path: &Path) -> Option<&str>;
}

impl<S: std::hash::BuildHasher> Sources for HashMap<PathBuf, String, S> {
    fn source(&self, path: &Path) -> Option<&str> {
        self.get(path).map(String::as_str)
    }
}

impl Sources for BTreeMap<PathBuf, String> {
    fn source(&self, path: &Path) -> Option<&str> {
        self.get(path).map(String::as_str)
    }
}

/// No texts at all: every position is 1:1 and `full` shows no snippets.
impl Sources for () {
    fn source(&self, _path: &Path) -> Option<&str> {
        None
    }
}

/// Everything a renderer needs besides the diagnostics.
pub struct RenderContext<'a> {
    /// Paths under this folder are shown relative to it.
    pub cwd: &'a Path,
    /// The texts of the files the diagnostics point into.
    pub sources: &'a dyn Sources,
    /// The documentation URL of a rule code, if it has one.
    pub rule_url: &'a dyn Fn(&str) -> Option<String>,
    /// The one-line summary of a rule code (SARIF `shortDescription`); the rule name is
    /// used when there is none.
    pub rule_summary: &'a dyn Fn(&str) -> Option<String>,
    /// ANSI colors in `full`, `concise` and the statistics.
    pub color: bool,
    /// Terminal hyperlinks (OSC 8) on rule codes in `full`; otherwise the URL is printed.
    pub hyperlinks: bool,
    /// The width `full` wraps to.
    pub width: usize,
    /// The stacklint version (SARIF `tool.driver.version`).
    pub tool_version: &'a str,
    /// Whether `--unsafe-fixes` is on: unsafe fixes then count as fixable.
    pub unsafe_fixes: bool,
    /// Whether `full` and `concise` end with the `Found N ...` summary.
    pub summary: bool,
}

impl<'a> RenderContext<'a> {
    /// A context with no rule URLs or summaries, no color, width 80, and a summary line.
    pub fn new(cwd: &'a Path, sources: &'a dyn Sources, tool_version: &'a str) -> Self {
        Self {
            cwd,
            sources,
            rule_url: &|_| None,
            rule_summary: &|_| None,
            color: false,
            hyperlinks: false,
            width: 80,
            tool_version,
            unsafe_fixes: false,
            summary: true,
        }
    }

    /// `path` as users see it: relative to [`cwd`](Self::cwd) when under it, `/` separators.
    pub fn display_path(&self, path: &Path) -> String {
        display_path(path, self.cwd)
    }

    /// Whether `fix` is applied by `--fix` with the current `--unsafe-fixes` setting.
    pub fn is_fixable(&self, fix: &Fix) -> bool {
        match fix.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }

    fn diagnostic_is_fixable(&self, diagnostic: &Diagnostic) -> bool {
        diagnostic.fix.as_ref().is_some_and(|fix| self.is_fixable(fix))
    }
}

/// Write `diagnostics` in `format` to `out`.
///
/// The `full` and `concise` formats end with a summary line when
/// [`RenderContext::summary`] is set; the machine formats never do.
pub fn render(format: OutputFormat, diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    match format {
        OutputFormat::Full => full::render(diagnostics, cx, out),
        OutputFormat::Concise => concise::render(diagnostics, cx, out),
        OutputFormat::Json => json::render(diagnostics, cx, out, false),
        OutputFormat::JsonLines => json::render(diagnostics, cx, out, true),
        OutputFormat::Sarif => sarif::render(diagnostics, cx, out),
        OutputFormat::Github => github::render(diagnostics, cx, out),
        OutputFormat::Gitlab => gitlab::render(diagnostics, cx, out),
        OutputFormat::Junit => junit::render(diagnostics, cx, out),
    }
}

/// `path` relative to `cwd` when it lies under it, else as given; `/` separators and no
/// leading `./`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let relative = path.strip_prefix(cwd).ok().filter(|rest| !rest.as_os_str().is_empty()).unwrap_or(path);
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for component in relative.components() {
        match component {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::Prefix(prefix) => parts.push(prefix.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".to_owned()),
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        // `/srv/app` on Unix; `C:/srv/app` when a prefix came first.
        if relative.components().next().is_some_and(|c| matches!(c, Component::Prefix(_))) {
            let (prefix, rest) = joined.split_once('/').unwrap_or((joined.as_str(), ""));
            format!("{prefix}/{rest}")
        } else {
            format!("/{joined}")
        }
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// Line indexes of the files a report touches, built once per file.
struct Files<'a> {
    sources: &'a dyn Sources,
    indexes: HashMap<PathBuf, LineIndex>,
    /// The last positions found far into long lines, per file: a column there is counted
    /// from the nearest one before it, not from the line start (findings come in order,
    /// so a file of one long line costs its length, not its length per finding).
    checkpoints: HashMap<PathBuf, Vec<(usize, SourceLocation)>>,
}

/// Columns this far into a line are counted from a checkpoint.
const CHECKPOINT_AFTER: usize = 4096;
const CHECKPOINTS: usize = 8;

impl<'a> Files<'a> {
    fn new(sources: &'a dyn Sources) -> Self {
        Self { sources, indexes: HashMap::new(), checkpoints: HashMap::new() }
    }

    fn text(&self, path: &Path) -> Option<&'a str> {
        self.sources.source(path)
    }

    /// Row and column of `offset` in `path`; 1:1 when the text is unknown.
    fn location(&mut self, path: &Path, offset: usize) -> SourceLocation {
        let Some(text) = self.sources.source(path) else {
            return SourceLocation { row: 1, column: 1 };
        };
        let index = self.indexes.entry(path.to_path_buf()).or_insert_with(|| LineIndex::new(text));
        let offset = stacklint_text::floor_char_boundary(text, offset.min(text.len()));
        let line = index.line_of(offset);
        let start = index.line_start(line);
        if offset - start < CHECKPOINT_AFTER {
            return index.location(offset, text);
        }
        let checkpoints = self.checkpoints.entry(path.to_path_buf()).or_default();
        let (from, column) = checkpoints
            .iter()
            .filter(|(o, l)| l.row == line + 1 && (start..=offset).contains(o))
            .max_by_key(|(o, _)| *o)
            .map_or((start, 0), |&(o, l)| (o, l.column - 1));
        let column = column + text.get(from..offset).map_or(0, |t| t.chars().count());
        let loc = SourceLocation { row: line + 1, column: column + 1 };
        if checkpoints.len() >= CHECKPOINTS {
            checkpoints.remove(0);
        }
        checkpoints.push((offset, loc));
        loc
    }

    /// The text of `path` with its line index.
    fn indexed(&mut self, path: &Path) -> Option<(&'a str, &LineIndex)> {
        let text = self.sources.source(path)?;
        Some((text, self.indexes.entry(path.to_path_buf()).or_insert_with(|| LineIndex::new(text))))
    }

    /// Start and end of `range` in `path`.
    fn span(&mut self, path: &Path, range: TextRange) -> Span {
        Span { start: self.location(path, range.start()), end: self.location(path, range.end()) }
    }
}

/// The start and end of a range as rows and columns; `end` is the position just past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: SourceLocation,
    end: SourceLocation,
}

/// `CODE [name] message`, the one-line form shared by several formats.
fn headline(diagnostic: &Diagnostic) -> String {
    format!("{} [{}] {}", diagnostic.code, diagnostic.name, diagnostic.message)
}

/// How a fix is labelled after its title in human output.
fn applicability_note(applicability: Applicability) -> &'static str {
    match applicability {
        Applicability::Safe => "safe fix",
        Applicability::Unsafe => "unsafe fix",
        Applicability::DisplayOnly => "display-only fix",
    }
}

/// The closing lines of `full` and `concise`, like ruff's:
///
/// ```text
/// Found 3 problems (1 error, 2 warnings).
/// [*] 1 fixable with `--fix` (1 hidden fix can be enabled with `--unsafe-fixes`).
/// ```
fn write_summary(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    if !cx.summary {
        return Ok(());
    }
    if diagnostics.is_empty() {
        return writeln!(out, "All checks passed!");
    }
    let count = |severity: Severity| diagnostics.iter().filter(|d| d.severity == severity).count();
    let counts = [(count(Severity::Error), "error", "errors"), (count(Severity::Warning), "warning", "warnings"), (count(Severity::Info), "info", "info")];
    let kinds: Vec<String> = counts.iter().filter(|(n, _, _)| *n > 0).map(|&(n, one, many)| format!("{n} {}", plural(n, one, many))).collect();
    let total = diagnostics.len();
    if kinds.len() == 1 {
        writeln!(out, "Found {}.", kinds.concat())?;
    } else {
        writeln!(out, "Found {total} {} ({}).", plural(total, "problem", "problems"), kinds.join(", "))?;
    }

    let fixable = diagnostics.iter().filter(|d| cx.diagnostic_is_fixable(d)).count();
    let hidden = diagnostics
        .iter()
        .filter(|d| d.fix.as_ref().is_some_and(|fix| fix.applicability == Applicability::Unsafe && !cx.is_fixable(fix)))
        .count();
    let hidden_note = format!("{hidden} hidden {} can be enabled with `--unsafe-fixes`", plural(hidden, "fix", "fixes"));
    match (fixable, hidden) {
        (0, 0) => Ok(()),
        (0, _) => writeln!(out, "No fixes available ({hidden_note})."),
        (_, 0) => writeln!(out, "{} {fixable} fixable with `--fix`.", fix_marker(cx.color)),
        (_, _) => writeln!(out, "{} {fixable} fixable with `--fix` ({hidden_note}).", fix_marker(cx.color)),
    }
}

fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 { one } else { many }
}

/// `[*]`, cyan when colored.
fn fix_marker(color: bool) -> String {
    paint("[*]", CYAN, color)
}

const BOLD: &str = "1";
const CYAN: &str = "36";
const RED_BOLD: &str = "1;31";
const YELLOW_BOLD: &str = "1;33";
const BLUE_BOLD: &str = "1;34";

fn paint(text: &str, sgr: &str, color: bool) -> String {
    if color { format!("\u{1b}[{sgr}m{text}\u{1b}[0m") } else { text.to_owned() }
}

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => RED_BOLD,
        Severity::Warning => YELLOW_BOLD,
        Severity::Info => BLUE_BOLD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_cwd_with_slashes() {
        let cwd = Path::new("/srv/app");
        assert_eq!(display_path(Path::new("/srv/app/deploy/Dockerfile"), cwd), "deploy/Dockerfile");
        assert_eq!(display_path(Path::new("/etc/nginx/nginx.conf"), cwd), "/etc/nginx/nginx.conf");
        assert_eq!(display_path(Path::new("./settings.py"), cwd), "settings.py");
        assert_eq!(display_path(Path::new("../other/x.conf"), cwd), "../other/x.conf");
        assert_eq!(display_path(Path::new("/srv/application/x"), cwd), "/srv/application/x");
    }

    #[test]
    fn format_names_round_trip() {
        for format in OutputFormat::ALL {
            assert_eq!(format.as_str().parse::<OutputFormat>(), Ok(format));
            let value = clap::ValueEnum::to_possible_value(&format).map(|v| v.get_name().to_owned());
            assert_eq!(value.as_deref(), Some(format.as_str()));
        }
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
