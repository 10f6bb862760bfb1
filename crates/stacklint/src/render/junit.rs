//! `junit`: a JUnit XML report.
//!
//! One `testsuite` named `stacklint`; one failing `testcase` per finding, named
//! `CODE path:row:col` with the path as `classname`, its `failure` typed by the code and
//! described by the message. A clean run is one passing test case, so CI dashboards show
//! a green run rather than an empty one.

use std::io;

use stacklint_diagnostics::Diagnostic;

use super::{Files, RenderContext, applicability_note, headline};

/// Escape text for XML 1.0 content and attribute values. Characters XML 1.0 cannot carry
/// at all (most C0 controls) become U+FFFD; line breaks and tabs are written as
/// character references so attribute values keep them.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let mut files = Files::new(cx.sources);
    let tests = diagnostics.len().max(1);
    let failures = diagnostics.len();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="stacklint" tests="{tests}" failures="{failures}" errors="0">"#)?;
    writeln!(out, r#"  <testsuite name="stacklint" tests="{tests}" failures="{failures}" errors="0" skipped="0">"#)?;
    if diagnostics.is_empty() {
        writeln!(out, r#"    <testcase name="stacklint" classname="stacklint"/>"#)?;
    }
    for diagnostic in diagnostics {
        let path = cx.display_path(&diagnostic.file);
        let start = files.location(&diagnostic.file, diagnostic.range.start());
        let location = format!("{path}:{}:{}", start.row, start.column);
        writeln!(out, r#"    <testcase name="{}" classname="{}">"#, escape(&format!("{} {location}", diagnostic.code)), escape(&path))?;
        let mut body = format!("{location}: {}", headline(diagnostic));
        if let Some(help) = &diagnostic.help {
            body.push_str("\nhelp: ");
            body.push_str(help);
        }
        if let Some(fix) = &diagnostic.fix {
            body.push_str("\nfix: ");
            body.push_str(&fix.title);
            body.push_str(" (");
            body.push_str(applicability_note(fix.applicability));
            body.push(')');
        }
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            escape(&diagnostic.message),
            escape(diagnostic.code),
            escape(&body)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
        assert_eq!(escape("a\nb\u{1b}c"), "a&#10;b\u{fffd}c");
    }
}
