//! Findings as LSP diagnostics, and which files to publish after a run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Diagnostic, Severity};
use stacklint_linter::rule_by_code;
use stacklint_text::PositionEncoding;
use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, Location, NumberOrString, Uri,
};

use crate::convert::path_to_uri;
use crate::lint::Source;

/// The `source` of every diagnostic.
pub const SOURCE: &str = "stacklint";

/// One finding as the client shows it: code and the rule's page, severity, the message
/// (with the help line, when there is one), the places that explain it, and the rule's
/// name in `data` (`{"rule": "workers-below-cpu-recommendation"}`).
#[allow(clippy::implicit_hasher)] // the run's own map; no other hasher is ever passed
pub fn to_lsp(
    d: &Diagnostic,
    sources: &HashMap<PathBuf, Source>,
    encoding: PositionEncoding,
) -> lsp::Diagnostic {
    let range = sources
        .get(&d.file)
        .map(|s| s.at(encoding).range(d.range))
        .unwrap_or_default();
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: location(&r.file, r.range, sources, encoding)?,
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range,
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.to_owned())),
        code_description: rule_by_code(d.code)
            .and_then(|r| r.url().parse::<Uri>().ok())
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: Some(serde_json::json!({ "rule": d.name })),
    }
}

fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// A place in a linted file; the file's start when its text is not at hand.
fn location(
    file: &Path,
    range: stacklint_text::TextRange,
    sources: &HashMap<PathBuf, Source>,
    encoding: PositionEncoding,
) -> Option<Location> {
    let uri = path_to_uri(file)?;
    let range = sources
        .get(file)
        .map(|s| s.at(encoding).range(range))
        .unwrap_or_default();
    Some(Location { uri, range })
}

/// Which files to push diagnostics for after a run, given the findings before and after.
///
/// - An open file: always (its text changed, or its context did) — unless the client pulls
///   diagnostics for open files.
/// - A closed file already published: when its findings changed (an empty list clears it).
/// - Another closed file: when its findings changed since the previous run, which means an
///   edit elsewhere implicated it (a cross-file rule: gunicorn workers against PostgreSQL's
///   `max_connections`). Nothing is pushed for closed files after the first run: their
///   findings are what `stacklint check` shows, not news.
pub struct Publication<'a> {
    pub before: &'a HashMap<PathBuf, Vec<Diagnostic>>,
    pub after: &'a HashMap<PathBuf, Vec<Diagnostic>>,
    pub first_run: bool,
    pub pull: bool,
}

impl Publication<'_> {
    pub fn should_publish(&self, path: &Path, open: bool, published: bool) -> bool {
        let none: &[Diagnostic] = &[];
        let before = self.before.get(path).map_or(none, Vec::as_slice);
        let after = self.after.get(path).map_or(none, Vec::as_slice);
        let changed = before != after;
        if open {
            !self.pull
        } else if published {
            changed
        } else {
            changed && !self.first_run && !after.is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_files_are_published_when_a_change_implicates_them() {
        let d = Diagnostic {
            code: "PGS008",
            name: "max-connections-below-app-demand",
            severity: Severity::Warning,
            message: "too many".into(),
            file: PathBuf::from("/p/postgresql.conf"),
            range: stacklint_text::TextRange::new(0, 3),
            help: None,
            fix: None,
            related: Vec::new(),
        };
        let path = d.file.clone();
        let empty = HashMap::new();
        let found = HashMap::from([(path.clone(), vec![d])]);
        let p = Publication { before: &empty, after: &found, first_run: false, pull: false };
        assert!(p.should_publish(&path, false, false));
        let first = Publication { first_run: true, ..p };
        assert!(!first.should_publish(&path, false, false), "the first run shows the disk's state");
        let gone = Publication { before: &found, after: &empty, first_run: false, pull: false };
        assert!(gone.should_publish(&path, false, true), "cleared once published");
        assert!(!gone.should_publish(&path, false, false), "never published: nothing to clear");
        let pull = Publication { pull: true, ..gone };
        assert!(!pull.should_publish(&path, true, false), "the client pulls open files");
    }
}
