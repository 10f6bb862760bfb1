//! `concise`: one line per finding, like ruff's.
//!
//! ```text
//! Dockerfile:16:1: GUN001 [workers-below-cpu-recommendation] [*] 3 workers on 4 CPUs
//! ```
//! `[*]` marks a finding that `--fix` fixes (with `--unsafe-fixes`, unsafe fixes too).

use std::io;

use stacklint_diagnostics::Diagnostic;

use super::{BOLD, CYAN, Files, RenderContext, fix_marker, paint, severity_color, write_summary};

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let mut files = Files::new(cx.sources);
    for diagnostic in diagnostics {
        let start = files.location(&diagnostic.file, diagnostic.range.start());
        let sep = paint(":", CYAN, cx.color);
        write!(
            out,
            "{path}{sep}{row}{sep}{column}{sep} {code} [{name}] ",
            path = paint(&cx.display_path(&diagnostic.file), BOLD, cx.color),
            row = start.row,
            column = start.column,
            code = paint(diagnostic.code, severity_color(diagnostic.severity), cx.color),
            name = diagnostic.name,
        )?;
        if cx.diagnostic_is_fixable(diagnostic) {
            write!(out, "{} ", fix_marker(cx.color))?;
        }
        writeln!(out, "{}", one_line(&diagnostic.message))?;
    }
    write_summary(diagnostics, cx, out)
}

/// A message on one line: line breaks become spaces.
fn one_line(message: &str) -> String {
    message.split(['\r', '\n']).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}
