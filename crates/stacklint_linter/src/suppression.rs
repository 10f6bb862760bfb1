//! `# stacklint: ignore[CODE, name] -- reason` and `# stacklint: ignore-file[...]`.
//!
//! One syntax for every format, in the format's own comments (its [`CommentSyntax`]: `#`,
//! or `;` in supervisord and systemd files). A line suppression sits at the end of a line
//! of the finding (where the format has trailing comments), or alone on the line(s) above
//! it. A suppression that suppresses nothing is reported as `unused-suppression`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Diagnostic, Edit, Fix, TextRange};
use stacklint_project::{CommentSyntax, Project, SourceFile};

use crate::registry::rule_by_code_or_name;
use crate::rules::syntax::syn003_unused_suppression;
use crate::settings::LinterSettings;

/// Where a suppression applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuppressionScope {
    /// Findings that start on (or span) this 1-based row.
    Line(usize),
    File,
}

/// One suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub scope: SuppressionScope,
    /// The whole comment, from its `#` (or `;`) to the end of the line.
    pub comment: TextRange,
    /// What to delete to remove the comment (its line when it stands alone).
    pub removal: TextRange,
    /// Each code or name listed, with its range.
    pub codes: Vec<(String, TextRange)>,
}

/// Every suppression comment in `text`, written in `comments`. Where the format has no
/// trailing comments (Dockerfile, redis.conf, systemd), only whole-line comments count —
/// a `#` after a Dockerfile instruction is part of its arguments.
pub fn parse_suppressions(text: &str, comments: CommentSyntax) -> Vec<Suppression> {
    let mut out = Vec::new();
    let lines: Vec<(usize, &str)> = line_spans(text);
    let is_comment_line = |l: &str| l.trim_start().starts_with(comments.line);
    for (i, &(start, line)) in lines.iter().enumerate() {
        let Some(hash) = find_directive(line, comments) else { continue };
        let after = line[hash..].trim_start_matches(comments.line).trim_start();
        let Some(rest) = after.strip_prefix("stacklint:") else { continue };
        let rest_trim = rest.trim_start();
        let (file_scope, list) = if let Some(r) = rest_trim.strip_prefix("ignore-file") {
            (true, r)
        } else if let Some(r) = rest_trim.strip_prefix("ignore") {
            (false, r)
        } else {
            continue;
        };
        let list_offset = start + line.len() - list.len();
        let mut codes = Vec::new();
        if let Some(inner) = list.strip_prefix('[') {
            let close = inner.find(']').unwrap_or(inner.len());
            let mut pos = list_offset + 1;
            for piece in inner[..close].split(',') {
                let trimmed = piece.trim();
                if !trimmed.is_empty() {
                    let lead = piece.len() - piece.trim_start().len();
                    codes.push((trimmed.to_string(), TextRange::new(pos + lead, pos + lead + trimmed.len())));
                }
                pos += piece.len() + 1;
            }
        }
        let code_before = line[..hash].trim();
        let marker = line[hash..].chars().next().unwrap_or('#');
        if !code_before.is_empty() && !comments.trailing.contains(&marker) {
            continue;
        }
        let comment = TextRange::new(start + hash, start + line.trim_end().len());
        let (scope, removal) = if code_before.is_empty() {
            // Alone on its line: it covers the next line that is not a comment.
            let next = lines.iter().enumerate().skip(i + 1).find(|(_, (_, l))| !is_comment_line(l)).map_or(i + 2, |(j, _)| j + 1);
            let line_end = lines.get(i + 1).map_or(text.len(), |(s, _)| *s);
            (if file_scope { SuppressionScope::File } else { SuppressionScope::Line(next) }, TextRange::new(start, line_end))
        } else {
            let ws = line[..hash].len() - line[..hash].trim_end().len();
            (if file_scope { SuppressionScope::File } else { SuppressionScope::Line(i + 1) }, TextRange::new(start + hash - ws, start + line.trim_end().len()))
        };
        out.push(Suppression { scope, comment, removal, codes });
    }
    out
}

/// `(start offset, line without its terminator)` for every line.
fn line_spans(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        out.push((offset, raw.trim_end_matches(['\n', '\r'])));
        offset += raw.len();
    }
    out
}

/// The byte index of the comment marker (`#`, `;`) that starts a comment holding
/// `stacklint:` (at line start or after whitespace, so `url#frag` is not a comment).
fn find_directive(line: &str, comments: CommentSyntax) -> Option<usize> {
    let idx = line.find("stacklint:")?;
    let marker = line[..idx].rfind(comments.line)?;
    let prev_ok = marker == 0 || line[..marker].ends_with([' ', '\t']);
    (prev_ok && line[marker..idx].chars().all(|c| c == ' ' || comments.line.contains(&c))).then_some(marker)
}

/// Drop suppressed findings and report unused suppressions.
pub(crate) fn apply(project: &Project, diagnostics: Vec<Diagnostic>, settings: &LinterSettings) -> Vec<Diagnostic> {
    // Per file: its suppressions and, per listed code, whether it suppressed something.
    type FileSuppressions<'p> = (&'p SourceFile, Vec<Suppression>, Vec<Vec<bool>>);
    let mut per_file: HashMap<&Path, FileSuppressions> = HashMap::new();
    for file in &project.files {
        if file.text.contains("stacklint:") {
            let sups = parse_suppressions(&file.text, file.kind.comments());
            if !sups.is_empty() {
                let used = sups.iter().map(|s| vec![false; s.codes.len()]).collect();
                per_file.insert(file.path.as_path(), (file, sups, used));
            }
        }
    }
    if per_file.is_empty() {
        return diagnostics;
    }
    let mut kept = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let Some((file, sups, used)) = per_file.get_mut(d.file.as_path()) else {
            kept.push(d);
            continue;
        };
        let first = file.row(d.range.start());
        let last = file.row(d.range.end().max(d.range.start()));
        let mut suppressed = false;
        for (s, used) in sups.iter().zip(used.iter_mut()) {
            let applies = match s.scope {
                SuppressionScope::File => true,
                SuppressionScope::Line(row) => (first..=last).contains(&row),
            };
            if !applies {
                continue;
            }
            for ((code, _), u) in s.codes.iter().zip(used.iter_mut()) {
                if code.eq_ignore_ascii_case(d.code) || code == d.name {
                    *u = true;
                    suppressed = true;
                }
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    if settings.is_enabled(syn003_unused_suppression::RULE.code) {
        let mut files: Vec<_> = per_file.into_values().collect();
        files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        for (file, sups, used) in files {
            for (s, used) in sups.iter().zip(&used) {
                kept.extend(unused_diagnostics(&file.path, s, used, settings));
            }
        }
    }
    kept
}

fn unused_diagnostics(path: &Path, s: &Suppression, used: &[bool], settings: &LinterSettings) -> Vec<Diagnostic> {
    let rule = &syn003_unused_suppression::RULE;
    let make = |range: TextRange, message: String, fix: Fix| Diagnostic {
        code: rule.code,
        name: rule.name,
        severity: rule.severity,
        message,
        file: PathBuf::from(path),
        range,
        help: None,
        fix: Some(fix),
        related: Vec::new(),
    };
    if s.codes.is_empty() {
        let fix = Fix::safe("Remove the suppression comment", vec![Edit::delete(path, s.removal)]);
        return vec![make(s.comment, "Suppression names no rule: write `# stacklint: ignore[CODE]`".to_string(), fix)];
    }
    // Codes that suppressed nothing; rules not enabled can't be judged, unknown ones always can.
    let unused: Vec<(usize, String)> = s
        .codes
        .iter()
        .zip(used)
        .enumerate()
        .filter(|(_, (_, u))| !**u)
        .filter_map(|(i, ((code, _), _))| match rule_by_code_or_name(code) {
            None => Some((i, format!("Suppression names no rule: `{code}` is not a stacklint rule code or name"))),
            Some(r) if settings.is_enabled(r.code) => Some((i, format!("Unused suppression of `{}` ({}): nothing is reported here", r.code, r.name))),
            Some(_) => None,
        })
        .collect();
    if unused.len() == s.codes.len() {
        return unused
            .into_iter()
            .map(|(i, msg)| {
                let fix = Fix::safe("Remove the suppression comment", vec![Edit::delete(path, s.removal)]);
                make(s.codes[i].1, msg, fix)
            })
            .collect();
    }
    unused
        .into_iter()
        .map(|(i, msg)| {
            let range = s.codes[i].1;
            // Delete the code and the separator that joins it to its neighbour.
            let del = if i + 1 < s.codes.len() { TextRange::new(range.start(), s.codes[i + 1].1.start()) } else { TextRange::new(s.codes[i - 1].1.end(), range.end()) };
            make(range, msg, Fix::safe(format!("Remove `{}` from the suppression", s.codes[i].0), vec![Edit::delete(path, del)]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use stacklint_project::FileKind;

    use super::*;

    #[test]
    fn trailing_and_standalone_and_file() {
        let text = "workers = 3  # stacklint: ignore[GUN001, missing-max-requests] -- sized by ops\n# stacklint: ignore[GUN011]\n# another comment\nthreads: 4\n# stacklint: ignore-file[DJS003]\nurl = 'a#stacklint: ignore[X]'\n";
        let s = parse_suppressions(text, FileKind::Python.comments());
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].scope, SuppressionScope::Line(1));
        assert_eq!(s[0].codes.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["GUN001", "missing-max-requests"]);
        assert_eq!(s[0].codes[1].1.slice(text), "missing-max-requests");
        assert_eq!(s[0].removal.slice(text), "  # stacklint: ignore[GUN001, missing-max-requests] -- sized by ops");
        assert_eq!(s[1].scope, SuppressionScope::Line(4));
        assert_eq!(s[1].removal.slice(text), "# stacklint: ignore[GUN011]\n");
        assert_eq!(s[2].scope, SuppressionScope::File);
    }

    #[test]
    fn semicolon_comments_in_ini_formats() {
        let conf = "[program:web]\n; stacklint: ignore[GUN001]\ncommand=gunicorn app.wsgi -w 2 ; stacklint: ignore[GUN002]\nx=a # stacklint: ignore[GUN003]\n";
        let s = parse_suppressions(conf, FileKind::Supervisord.comments());
        assert_eq!(s.iter().map(|s| s.scope.clone()).collect::<Vec<_>>(), [SuppressionScope::Line(3), SuppressionScope::Line(3), SuppressionScope::Line(4)]);
        assert_eq!(s[1].removal.slice(conf), " ; stacklint: ignore[GUN002]");
        // systemd has comment lines only: a `;` after a value is part of it.
        let unit = "[Service]\n# stacklint: ignore[GUN001]\nExecStart=/bin/gunicorn a ; stacklint: ignore[GUN002]\n";
        let s = parse_suppressions(unit, FileKind::Systemd.comments());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].scope, SuppressionScope::Line(3));
        // `;` is no comment in Python.
        assert!(parse_suppressions("x = 1 ; stacklint: ignore[A]\n", FileKind::Python.comments()).is_empty());
    }

    #[test]
    fn hadolint_comments_are_not_ours() {
        let dockerfile = FileKind::Dockerfile.comments();
        assert!(parse_suppressions("# hadolint ignore=DL3008\nRUN apt-get install x\n", dockerfile).is_empty());
        let df = "RUN pip install x # stacklint: ignore[DKR005]\n# stacklint: ignore[DKR005]\nRUN pip install y\n";
        let s = parse_suppressions(df, dockerfile);
        assert_eq!(s.len(), 1, "a trailing `#` in a Dockerfile is part of the instruction");
        assert_eq!(s[0].scope, SuppressionScope::Line(3));
    }
}
