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

use std::fmt;
use std::io;
use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use stacklint_diagnostics::{Diagnostic, Severity, TextRange};
use stacklint_text::floor_char_boundary;

use super::{Files, RenderContext, applicability_note, write_summary};

/// One finding (or one of its notes) in the shape miette wants.
#[derive(Debug)]
struct Report {
    header: Option<String>,
    url: Option<String>,
    severity: miette::Severity,
    message: String,
    source: Option<NamedSource<String>>,
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
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
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

/// How many lines apart a same-file related location may be from the finding and still be
/// a label in its snippet (with one line of context around each, they then touch).
const MAX_GAP: usize = 3;

/// The 0-based lines `range` touches, first and last.
fn lines_of(text: &str, range: TextRange) -> (usize, usize) {
    let first = text.get(..range.start().min(text.len())).map_or(0, |t| t.matches('\n').count());
    let inner = text.get(range.start()..range.end().min(text.len())).map_or(0, |t| t.trim_end_matches('\n').matches('\n').count());
    (first, first + inner)
}

/// The name miette shows above a snippet: `path:row:col` with our (character) columns;
/// miette's own counts bytes, so the handler is told not to add its own.
fn snippet_name(files: &mut Files, cx: &RenderContext, file: &Path, offset: usize) -> String {
    let loc = files.location(file, offset);
    format!("{}:{}:{}", cx.display_path(file), loc.row, loc.column)
}

fn note(message: &str, name: String, text: &str, range: TextRange) -> Report {
    Report {
        header: None,
        url: None,
        severity: miette::Severity::Advice,
        message: format!("note: {message}"),
        source: Some(NamedSource::new(name, text.to_owned())),
        labels: vec![LabeledSpan::new_primary_with_span(None, span_in(text, range))],
        help: None,
        notes: Vec::new(),
    }
}

fn to_report(diagnostic: &Diagnostic, files: &mut Files, cx: &RenderContext) -> Report {
    let path = cx.display_path(&diagnostic.file);
    let text = files.text(&diagnostic.file);

    let mut labels = Vec::new();
    let mut notes = Vec::new();
    let mut help = Vec::new();
    let mut taken_lines = Vec::new();
    if let Some(text) = text {
        labels.push(LabeledSpan::new_primary_with_span(None, span_in(text, diagnostic.range)));
        taken_lines.push(lines_of(text, diagnostic.range));
    } else {
        let start = files.location(&diagnostic.file, diagnostic.range.start());
        help.push(format!("in {path}:{}:{}", start.row, start.column));
    }
    for rel in &diagnostic.related {
        let rel_text = files.text(&rel.file);
        match (text, rel_text) {
            (Some(text), Some(_)) if rel.file == diagnostic.file => {
                let lines = lines_of(text, rel.range);
                let shares_a_line = taken_lines.iter().any(|&(a, b)| lines.0 <= b && a <= lines.1);
                // Farther away, miette starts a second snippet under the primary's header.
                let near = taken_lines.iter().any(|&(a, b)| lines.0 <= b + MAX_GAP && a <= lines.1 + MAX_GAP);
                if shares_a_line || !near {
                    let name = snippet_name(files, cx, &rel.file, rel.range.start());
                    notes.push(note(&rel.message, name, text, rel.range));
                } else {
                    labels.push(LabeledSpan::new_with_span(Some(rel.message.clone()), span_in(text, rel.range)));
                    taken_lines.push(lines);
                }
            }
            (_, Some(rel_text)) => {
                let name = snippet_name(files, cx, &rel.file, rel.range.start());
                notes.push(note(&rel.message, name, rel_text, rel.range));
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

    Report {
        header: Some(format!("{} [{}]", diagnostic.code, diagnostic.name)),
        url: (cx.rule_url)(diagnostic.code),
        severity: match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        message: diagnostic.message.clone(),
        source: text.map(|t| NamedSource::new(snippet_name(files, cx, &diagnostic.file, diagnostic.range.start()), t.to_owned())),
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
