//! Code actions, all built from the engine's data: a quick fix per fixable finding (its
//! `Fix`, every file in one `WorkspaceEdit`), "ignore on this line" / "in this file"
//! (the suppression comment the file's format allows), and `source.fixAll.stacklint`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Applicability, Diagnostic, Edit, Fix, TextRange};
use stacklint_linter::{Suppression, SuppressionScope, parse_suppressions};
use stacklint_project::FileKind;
use stacklint_text::PositionEncoding;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier,
    TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use crate::convert::path_to_uri;
use crate::diagnostics::to_lsp;
use crate::lint::Source;

/// `source.fixAll.stacklint`: every safe fix of one file, as one edit.
pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.stacklint")
}

/// Whether a request's `only` asks for actions of `kind` (a prefix asks for its children:
/// `source` asks for `source.fixAll.stacklint`). No `only` asks for everything.
pub fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|o| {
            let (o, k) = (o.as_str(), kind.as_str());
            k == o || k.strip_prefix(o).is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

/// What the actions need of the last run.
pub struct Context<'a> {
    pub sources: &'a HashMap<PathBuf, Source>,
    pub kinds: &'a HashMap<PathBuf, FileKind>,
    /// Open documents' versions, for versioned edits.
    pub versions: &'a HashMap<PathBuf, i32>,
    pub encoding: PositionEncoding,
    /// The client takes `documentChanges` (versioned edits); else `changes`.
    pub document_changes: bool,
}

impl Context<'_> {
    /// Edits of possibly several files as one `WorkspaceEdit`; `None` when a file's text is
    /// not at hand (an edit cannot be placed).
    pub fn workspace_edit(&self, edits: &[Edit]) -> Option<WorkspaceEdit> {
        let mut by_file: BTreeMap<&Path, Vec<TextEdit>> = BTreeMap::new();
        for e in edits {
            let source = self.sources.get(&e.file)?;
            let range = source.at(self.encoding).range(e.range);
            by_file.entry(&e.file).or_default().push(TextEdit { range, new_text: e.content.clone() });
        }
        let mut files = Vec::with_capacity(by_file.len());
        for (path, edits) in by_file {
            files.push((path_to_uri(path)?, self.versions.get(path).copied(), edits));
        }
        Some(if self.document_changes {
            let edits = files
                .into_iter()
                .map(|(uri, version, edits)| TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                })
                .collect();
            WorkspaceEdit { document_changes: Some(DocumentChanges::Edits(edits)), ..WorkspaceEdit::default() }
        } else {
            let changes: HashMap<Uri, Vec<TextEdit>> = files.into_iter().map(|(uri, _, edits)| (uri, edits)).collect();
            WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
        })
    }

    /// The quick fixes and ignore actions for the findings of `path` that touch `range`.
    pub fn quick_fixes(&self, path: &Path, findings: &[Diagnostic], range: TextRange) -> Vec<CodeAction> {
        let touching: Vec<&Diagnostic> = findings
            .iter()
            .filter(|d| d.range.start() <= range.end() && range.start() <= d.range.end())
            .collect();
        let mut actions = Vec::new();
        for d in &touching {
            if let Some(fix) = d.fix.as_ref().filter(|f| f.applicability != Applicability::DisplayOnly) {
                actions.extend(self.fix_action(d, fix));
            }
        }
        let Some(source) = self.sources.get(path) else { return actions };
        let Some(kind) = self.kinds.get(path).copied() else { return actions };
        let suppressions = parse_suppressions(&source.text, kind.comments());
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for d in &touching {
            let row = source.index().line_of(d.range.start());
            if seen.contains(&(d.code, row)) {
                continue;
            }
            seen.push((d.code, row));
            if let Some(edit) = ignore_line(&source.text, source, kind, &suppressions, d) {
                actions.extend(self.action(format!("Ignore {} on this line", d.code), d, vec![edit], false));
            }
        }
        let mut codes: Vec<&Diagnostic> = Vec::new();
        for d in touching {
            if !codes.iter().any(|c| c.code == d.code) {
                codes.push(d);
            }
        }
        for d in codes {
            if let Some(edit) = ignore_file(&source.text, kind, &suppressions, d) {
                actions.extend(self.action(format!("Ignore {} in this file", d.code), d, vec![edit], false));
            }
        }
        actions
    }

    fn fix_action(&self, d: &Diagnostic, fix: &Fix) -> Option<CodeAction> {
        let safe = fix.applicability == Applicability::Safe;
        let title = if safe { fix.title.clone() } else { format!("{} (unsafe fix: review it)", fix.title) };
        self.action(title, d, fix.edits.clone(), safe)
    }

    fn action(&self, title: String, d: &Diagnostic, edits: Vec<Edit>, preferred: bool) -> Option<CodeAction> {
        Some(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![to_lsp(d, self.sources, self.encoding)]),
            edit: Some(self.workspace_edit(&edits)?),
            is_preferred: Some(preferred),
            ..CodeAction::default()
        })
    }

    /// `source.fixAll.stacklint`: the file's text turned into `fixed`, as one edit.
    pub fn fix_all(&self, path: &Path, fixed: &str) -> Option<CodeAction> {
        let old = &self.sources.get(path)?.text;
        let edit = minimal_edit(path, old, fixed)?;
        Some(CodeAction {
            title: "Fix all stacklint findings with safe fixes".to_owned(),
            kind: Some(fix_all_kind()),
            edit: Some(self.workspace_edit(&[edit])?),
            ..CodeAction::default()
        })
    }
}

/// One edit that turns `old` into `new`: the part between their common prefix and suffix.
fn minimal_edit(path: &Path, old: &str, new: &str) -> Option<Edit> {
    if old == new {
        return None;
    }
    let mut prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old.bytes().rev().zip(new.bytes().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let content = new.get(prefix..new.len() - suffix)?;
    Some(Edit::replace(path, TextRange::new(prefix, old.len() - suffix), content))
}

/// The comment marker the format uses (`#`, or `;` in supervisord and systemd files).
fn marker(kind: FileKind) -> char {
    kind.comments().line.first().copied().unwrap_or('#')
}

/// Add `code` to an existing suppression's list: after its last code.
fn extend_list(path: &Path, s: &Suppression, code: &str) -> Option<Edit> {
    let last = s.codes.last()?;
    Some(Edit::insert(path, last.1.end(), format!(", {code}")))
}

/// `# stacklint: ignore[CODE]` for the finding's first line: added to a suppression that
/// covers the line already, else at the line's end where the format has trailing comments,
/// else alone on the line above with the line's indentation.
fn ignore_line(text: &str, source: &Source, kind: FileKind, suppressions: &[Suppression], d: &Diagnostic) -> Option<Edit> {
    let index = source.index();
    let line = index.line_of(d.range.start());
    if let Some(s) = suppressions.iter().find(|s| s.scope == SuppressionScope::Line(line + 1) && !s.codes.is_empty()) {
        return extend_list(&d.file, s, d.code);
    }
    let comment = format!("{} stacklint: ignore[{}]", marker(kind), d.code);
    let line_range = index.line_range(line, text);
    let content = line_range.slice(text);
    let continued = content.trim_end().ends_with('\\');
    if !kind.comments().trailing.is_empty() && !continued && !content.trim().is_empty() {
        return Some(Edit::insert(&d.file, line_range.end(), format!("  {comment}")));
    }
    let indent = stacklint_text::indentation_at(text, line_range.start());
    let eol = stacklint_text::line_ending(text);
    Some(Edit::insert(&d.file, line_range.start(), format!("{indent}{comment}{eol}")))
}

/// `# stacklint: ignore-file[CODE]`: added to the file's existing one, else on a line of
/// its own at the top — after a shebang, Dockerfile parser directives (`# syntax=`, which
/// only count before any other comment) and a Python coding line.
fn ignore_file(text: &str, kind: FileKind, suppressions: &[Suppression], d: &Diagnostic) -> Option<Edit> {
    if let Some(s) = suppressions.iter().find(|s| s.scope == SuppressionScope::File && !s.codes.is_empty()) {
        return extend_list(&d.file, s, d.code);
    }
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let directive = kind == FileKind::Dockerfile
            && t.strip_prefix('#').is_some_and(|rest| {
                let rest = rest.trim_start();
                let key_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
                key_len > 0 && rest.get(key_len..).is_some_and(|r| r.trim_start().starts_with('='))
            });
        let preamble = t.starts_with("#!") || directive || (kind.is_python() && t.starts_with('#') && t.contains("coding"));
        if !preamble {
            break;
        }
        at += line.len();
    }
    let eol = stacklint_text::line_ending(text);
    let newline = if at > 0 && !text.get(..at).is_some_and(|t| t.ends_with('\n')) { eol } else { "" };
    Some(Edit::insert(&d.file, at, format!("{newline}{} stacklint: ignore-file[{}]{eol}", marker(kind), d.code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edits_keep_common_ends() {
        let e = minimal_edit(Path::new("f"), "workers = 3\nx = 1\n", "workers = 12\nx = 1\n");
        assert_eq!(e.map(|e| (e.range, e.content)), Some((TextRange::new(10, 11), "12".to_owned())));
        let e = minimal_edit(Path::new("f"), "é", "è");
        assert_eq!(e.map(|e| e.content), Some("è".to_owned()));
        assert!(minimal_edit(Path::new("f"), "same", "same").is_none());
    }

    #[test]
    fn kinds_asked_for() {
        let fix_all = fix_all_kind();
        assert!(wanted(None, &fix_all));
        assert!(wanted(Some(&[CodeActionKind::SOURCE]), &fix_all));
        assert!(wanted(Some(&[CodeActionKind::SOURCE_FIX_ALL]), &fix_all));
        assert!(!wanted(Some(&[CodeActionKind::QUICKFIX]), &fix_all));
        assert!(!wanted(Some(&[CodeActionKind::new("source.fix")]), &fix_all));
    }
}
