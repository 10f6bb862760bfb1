//! `full`, the default: a miette graphical report per finding.
//!
//! ```text
//! GUN001 [workers-below-cpu-recommendation] (https://...)
//!
//!   ⚠ 3 uvicorn workers on 4 CPUs
//!     ╭─[Dockerfile:3:1]
//!   2 │ ...
//!   3 │ CMD ["gunicorn", "-w", "3", ...]
//!     ·                        ─┬─
//!     ·                         ╰── 3 workers
//!     ╰────
//!   help: Set `--workers` to 4 (safe fix)
//! ```
//! A related location in the finding's file is an extra label on the same snippet when
//! it is on lines of its own (miette draws labels that share a line with another range
//! badly); otherwise, and in other files, it follows as a `note:` with its own snippet.
//! The help line carries the diagnostic's help and the fix title with its applicability.
//! A summary closes the report.
//!
//! miette is handed a [`Snippet`], not the file: the lines the labels touch with one line
//! of context (at most [`MAX_SNIPPET_LINES`]), and a line longer than [`LONG_LINE`] bytes
//! clipped to a window around the finding with `…` at the cut ends, as ruff does. A
//! report's size is then bounded whatever the file (a one-line 36 KB nginx.conf printed
//! its whole line per finding), and miette never sees a column past the window (it
//! panics on columns beyond 65,535).

use std::fmt;
use std::io;
use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use stacklint_diagnostics::{Diagnostic, Severity, TextRange};
use stacklint_text::{LineIndex, floor_char_boundary};

use super::{Files, RenderContext, applicability_note, write_summary};

/// One finding (or one of its notes) in the shape miette wants.
#[derive(Debug)]
struct Report {
    header: Option<String>,
    url: Option<String>,
    severity: miette::Severity,
    message: String,
    source: Option<Snippet>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    /// Notes with a snippet of their own, rendered after the finding.
    notes: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.header.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url.as_ref().map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A byte range made safe for miette: inside the text and on char boundaries.
fn span_in(text: &str, range: TextRange) -> SourceSpan {
    let start = floor_char_boundary(text, range.start());
    let end = floor_char_boundary(text, range.end()).max(start);
    SourceSpan::new(start.into(), end - start)
}

/// A line longer than this (in bytes) is clipped around the finding.
pub(super) const LONG_LINE: usize = 200;
/// The part of a long line shown: from [`CLIP_BEFORE`] bytes before the finding's column,
/// this many bytes.
const CLIP_WIDTH: usize = 160;
const CLIP_BEFORE: usize = 40;
/// The most lines one snippet shows (a label spanning more is cut at the window's end).
pub(super) const MAX_SNIPPET_LINES: usize = 40;

/// The part of a file a report shows (see the module docs), with the way from file
/// offsets to offsets in it.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// The 0-based line of the file the snippet starts at.
    first_line: usize,
    /// Pieces of the file copied into `text`: (start in the file, end in the file, start in `text`).
    pieces: Vec<(usize, usize, usize)>,
}

impl Snippet {
    /// The lines `ranges` touch (one line of context around them), long lines clipped to
    /// a window around `focus`.
    fn new(name: String, text: &str, index: &LineIndex, focus: usize, ranges: &[TextRange]) -> Snippet {
        let last_line = index.line_count().saturating_sub(1);
        let lines = ranges.iter().map(|&r| lines_of(text, index, r));
        let lo = lines.clone().map(|l| l.0).min().unwrap_or(0).saturating_sub(1);
        let hi = lines.map(|l| l.1).max().unwrap_or(0).saturating_add(1).min(last_line).min(lo + MAX_SNIPPET_LINES - 1);
        // The byte window of a long line, relative to its start, from the focus's column.
        let focus = floor_char_boundary(text, focus);
        let focus_col = focus - index.line_start(index.line_of(focus));
        let b0 = focus_col.saturating_sub(CLIP_BEFORE);
        let mut out = String::new();
        let mut pieces = Vec::new();
        for line in lo..=hi {
            let r = index.line_range(line, text);
            let next = if line == hi { r.end() } else { index.line_start(line + 1) };
            if r.len() <= LONG_LINE {
                pieces.push((r.start(), next, out.len()));
                out.push_str(text.get(r.start()..next).unwrap_or(""));
                continue;
            }
            let from = floor_char_boundary(text, (r.start() + b0).min(r.end()));
            let to = floor_char_boundary(text, (from + CLIP_WIDTH).min(r.end())).max(from);
            if from > r.start() {
                out.push('…');
            }
            pieces.push((from, to, out.len()));
            out.push_str(text.get(from..to).unwrap_or(""));
            if to < r.end() {
                out.push('…');
            }
            pieces.push((r.end(), next, out.len()));
            out.push_str(text.get(r.end()..next).unwrap_or(""));
        }
        Snippet { name, text: out, first_line: lo, pieces }
    }

    /// Where a range of the file is in the snippet (clipped to what it shows).
    fn span(&self, range: TextRange) -> SourceSpan {
        let start = self.map(range.start(), true);
        let end = self.map(range.end(), false).max(start);
        span_in(&self.text, TextRange::new(start, end))
    }

    /// A file offset in the snippet: inside a piece as is; in a cut part, the next piece's
    /// start (`forward`) or the previous piece's end.
    fn map(&self, offset: usize, forward: bool) -> usize {
        if let Some(&(s, _, at)) = self.pieces.iter().find(|&&(s, e, _)| s <= offset && offset <= e) {
            return at + (offset - s);
        }
        let next = self.pieces.iter().find(|&&(s, _, _)| s > offset).map(|&(_, _, at)| at);
        let prev = self.pieces.iter().rev().find(|&&(_, e, _)| e < offset).map(|&(s, e, at)| at + (e - s));
        let fallback = if forward { next.or(prev) } else { prev.or(next) };
        fallback.unwrap_or(0)
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(&'a self, span: &SourceSpan, before: usize, after: usize) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(self.name.clone(), inner.data(), *inner.span(), inner.line() + self.first_line, inner.column(), inner.line_count())))
    }
}

/// How many lines apart a same-file related location may be from the finding and still be
/// a label in its snippet (with one line of context around each, they then touch).
const MAX_GAP: usize = 3;

/// The 0-based lines `range` touches, first and last.
fn lines_of(text: &str, index: &LineIndex, range: TextRange) -> (usize, usize) {
    let start = range.start().min(text.len());
    let mut end = range.end().clamp(start, text.len());
    while end > start && text.as_bytes().get(end - 1) == Some(&b'\n') {
        end -= 1;
    }
    (index.line_of(start), index.line_of(end))
}

/// The name miette shows above a snippet: `path:row:col` with our (character) columns;
/// miette's own counts bytes, so the handler is told not to add its own.
fn snippet_name(files: &mut Files, cx: &RenderContext, file: &Path, offset: usize) -> String {
    let loc = files.location(file, offset);
    format!("{}:{}:{}", cx.display_path(file), loc.row, loc.column)
}

fn note(files: &mut Files, message: &str, name: String, file: &Path, range: TextRange) -> Report {
    let (source, labels) = match files.indexed(file) {
        Some((text, index)) => {
            let snippet = Snippet::new(name, text, index, range.start(), &[range]);
            let labels = vec![LabeledSpan::new_primary_with_span(None, snippet.span(range))];
            (Some(snippet), labels)
        }
        None => (None, Vec::new()),
    };
    Report {
        header: None,
        url: None,
        severity: miette::Severity::Advice,
        message: format!("note: {message}"),
        source,
        labels,
        help: None,
        notes: Vec::new(),
    }
}

fn to_report(diagnostic: &Diagnostic, files: &mut Files, cx: &RenderContext) -> Report {
    let path = cx.display_path(&diagnostic.file);
    let text = files.text(&diagnostic.file);

    // (message, range, primary) of the labels on the finding's own snippet.
    let mut spans: Vec<(Option<String>, TextRange, bool)> = Vec::new();
    let mut notes = Vec::new();
    let mut help = Vec::new();
    let mut taken_lines = Vec::new();
    if let Some((text, index)) = files.indexed(&diagnostic.file) {
        spans.push((None, diagnostic.range, true));
        taken_lines.push(lines_of(text, index, diagnostic.range));
    } else {
        let start = files.location(&diagnostic.file, diagnostic.range.start());
        help.push(format!("in {path}:{}:{}", start.row, start.column));
    }
    for rel in &diagnostic.related {
        let rel_text = files.text(&rel.file);
        match (text, rel_text) {
            (Some(_), Some(_)) if rel.file == diagnostic.file => {
                let lines = files.indexed(&rel.file).map_or((0, 0), |(t, index)| lines_of(t, index, rel.range));
                let shares_a_line = taken_lines.iter().any(|&(a, b)| lines.0 <= b && a <= lines.1);
                // Farther away, miette starts a second snippet under the primary's header.
                let near = taken_lines.iter().any(|&(a, b)| lines.0 <= b + MAX_GAP && a <= lines.1 + MAX_GAP);
                if shares_a_line || !near {
                    let name = snippet_name(files, cx, &rel.file, rel.range.start());
                    notes.push(note(files, &rel.message, name, &rel.file, rel.range));
                } else {
                    spans.push((Some(rel.message.clone()), rel.range, false));
                    taken_lines.push(lines);
                }
            }
            (_, Some(_)) => {
                let name = snippet_name(files, cx, &rel.file, rel.range.start());
                notes.push(note(files, &rel.message, name, &rel.file, rel.range));
            }
            (_, None) => {
                let loc = files.location(&rel.file, rel.range.start());
                help.push(format!("note: {} ({}:{}:{})", rel.message, cx.display_path(&rel.file), loc.row, loc.column));
            }
        }
    }

    if let Some(h) = &diagnostic.help {
        help.push(h.clone());
    }
    if let Some(fix) = &diagnostic.fix {
        let other_files: Vec<String> = fix.files().into_iter().filter(|f| *f != diagnostic.file).map(|f| cx.display_path(f)).collect();
        let also = if other_files.is_empty() { String::new() } else { format!(", edits {}", other_files.join(", ")) };
        help.push(format!("{} ({}{also})", fix.title, applicability_note(fix.applicability)));
    }

    let name = snippet_name(files, cx, &diagnostic.file, diagnostic.range.start());
    let source = files.indexed(&diagnostic.file).map(|(text, index)| {
        let ranges: Vec<TextRange> = spans.iter().map(|s| s.1).collect();
        Snippet::new(name, text, index, diagnostic.range.start(), &ranges)
    });
    let labels = match &source {
        Some(snippet) => spans
            .into_iter()
            .map(|(message, range, primary)| if primary { LabeledSpan::new_primary_with_span(message, snippet.span(range)) } else { LabeledSpan::new_with_span(message, snippet.span(range)) })
            .collect(),
        None => Vec::new(),
    };

    Report {
        header: Some(format!("{} [{}]", diagnostic.code, diagnostic.name)),
        url: (cx.rule_url)(diagnostic.code),
        severity: match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        message: diagnostic.message.clone(),
        source,
        labels,
        help: (!help.is_empty()).then(|| help.join("\n")),
        notes,
    }
}

fn handler(cx: &RenderContext) -> GraphicalReportHandler {
    let theme = if cx.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    GraphicalReportHandler::new_themed(theme)
        .with_width(cx.width)
        .with_links(cx.hyperlinks)
        .with_context_lines(1)
        .without_primary_span_start()
        .without_syntax_highlighting()
}

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let handler = handler(cx);
    let mut files = Files::new(cx.sources);
    for diagnostic in diagnostics {
        let report = to_report(diagnostic, &mut files, cx);
        let mut text = String::new();
        for part in std::iter::once(&report).chain(&report.notes) {
            handler.render_report(&mut text, part).map_err(|_| io::Error::other("failed to format a diagnostic"))?;
        }
        out.write_all(text.as_bytes())?;
        writeln!(out)?;
    }
    write_summary(diagnostics, cx, out)
}
