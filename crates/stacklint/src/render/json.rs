//! `json` and `json-lines`: the stable contract of DESIGN.md §1.
//!
//! ```json
//! {"code": "GUN001", "rule": "...", "severity": "warning", "message": "...",
//!  "filename": "Dockerfile", "location": {"row": 16, "column": 1},
//!  "end_location": {"row": 16, "column": 131},
//!  "fix": {"applicability": "safe", "message": "...",
//!          "edits": [{"filename": "Dockerfile", "content": "4",
//!                     "location": {...}, "end_location": {...}}]},
//!  "url": null}
//! ```
//! Keys keep this order (structs, not maps). `json` is one pretty-printed list;
//! `json-lines` is one compact object per line and nothing for a clean run.

use std::io;

use serde::Serialize;
use stacklint_diagnostics::Diagnostic;
use stacklint_text::SourceLocation;

use super::{Files, RenderContext};

#[derive(Serialize)]
pub(super) struct JsonDiagnostic {
    code: &'static str,
    rule: &'static str,
    severity: &'static str,
    message: String,
    filename: String,
    location: JsonLocation,
    end_location: JsonLocation,
    fix: Option<JsonFix>,
    url: Option<String>,
}

#[derive(Serialize)]
struct JsonFix {
    applicability: &'static str,
    message: String,
    edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
struct JsonEdit {
    filename: String,
    content: String,
    location: JsonLocation,
    end_location: JsonLocation,
}

#[derive(Serialize)]
struct JsonLocation {
    row: usize,
    column: usize,
}

impl From<SourceLocation> for JsonLocation {
    fn from(loc: SourceLocation) -> Self {
        Self { row: loc.row, column: loc.column }
    }
}

fn to_json(diagnostic: &Diagnostic, files: &mut Files, cx: &RenderContext) -> JsonDiagnostic {
    let span = files.span(&diagnostic.file, diagnostic.range);
    let fix = diagnostic.fix.as_ref().map(|fix| JsonFix {
        applicability: fix.applicability.as_str(),
        message: fix.title.clone(),
        edits: fix
            .edits
            .iter()
            .map(|edit| {
                let span = files.span(&edit.file, edit.range);
                JsonEdit { filename: cx.display_path(&edit.file), content: edit.content.clone(), location: span.start.into(), end_location: span.end.into() }
            })
            .collect(),
    });
    JsonDiagnostic {
        code: diagnostic.code,
        rule: diagnostic.name,
        severity: diagnostic.severity.as_str(),
        message: diagnostic.message.clone(),
        filename: cx.display_path(&diagnostic.file),
        location: span.start.into(),
        end_location: span.end.into(),
        fix,
        url: (cx.rule_url)(diagnostic.code),
    }
}

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write, lines: bool) -> io::Result<()> {
    let mut files = Files::new(cx.sources);
    let values: Vec<JsonDiagnostic> = diagnostics.iter().map(|d| to_json(d, &mut files, cx)).collect();
    if lines {
        for value in &values {
            serde_json::to_writer(&mut *out, value)?;
            out.write_all(b"\n")?;
        }
    } else {
        serde_json::to_writer_pretty(&mut *out, &values)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
