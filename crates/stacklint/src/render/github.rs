//! `github`: GitHub Actions workflow commands, one annotation per finding.
//!
//! ```text
//! ::warning title=stacklint (GUN001),file=Dockerfile,line=3,col=1,endLine=3,endColumn=9::GUN001 [name] message
//! ```
//! `error` → `::error`, `warning` → `::warning`, `info` → `::notice`. Escaping follows the
//! Actions toolkit: in the message `%`, `\r`, `\n` are percent-encoded; in properties `:`
//! and `,` are too. Paths are relative to the current folder (run at the repository root).

use std::io;

use stacklint_diagnostics::{Diagnostic, Severity};

use super::{Files, RenderContext, headline};

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escape the message part of a workflow command.
pub(super) fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
pub(super) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let mut files = Files::new(cx.sources);
    for diagnostic in diagnostics {
        let span = files.span(&diagnostic.file, diagnostic.range);
        writeln!(
            out,
            "::{command} title={title},file={file},line={line},col={col},endLine={end_line},endColumn={end_col}::{message}",
            command = command(diagnostic.severity),
            title = escape_property(&format!("stacklint ({})", diagnostic.code)),
            file = escape_property(&cx.display_path(&diagnostic.file)),
            line = span.start.row,
            col = span.start.column,
            end_line = span.end.row,
            end_col = span.end.column,
            message = escape_data(&headline(diagnostic)),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_actions_toolkit() {
        assert_eq!(escape_data("50% of\r\nCPUs: 4, ok"), "50%25 of%0D%0ACPUs: 4, ok");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
