//! Procfiles (Heroku, Dokku, foreman, honcho): one `process_type: command` per line.
//!
//! Blank lines and `#` comments are skipped, `\r\n` line ends are accepted. A line that
//! is not `name: command` is an error and skipped. The command is a shell command line:
//! split it with [`crate::shell::split_range`] over [`ProcfileEntry::command_range`].
//!
//! ```
//! use stacklint_syntax::procfile;
//! let src = "# processes\r\nweb: gunicorn app:app\r\nworker: celery -A app worker\r\n";
//! let parsed = procfile::parse(src);
//! assert!(parsed.errors.is_empty());
//! assert_eq!(parsed.tree[0].name, "web");
//! assert_eq!(parsed.tree[0].command_range.slice(src), "gunicorn app:app");
//! ```

use stacklint_text::TextRange;

use crate::{ParseError, Parsed};

/// One `process_type: command` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcfileEntry {
    /// The process type (`web`, `worker`, `release`, ...).
    pub name: String,
    pub name_range: TextRange,
    /// The command as written (trailing whitespace trimmed).
    pub command: String,
    pub command_range: TextRange,
    /// The whole line without its line break.
    pub range: TextRange,
}

/// Parse a Procfile. Total: never fails, unknown lines are reported and skipped.
pub fn parse(text: &str) -> Parsed<Vec<ProcfileEntry>> {
    let mut tree = Vec::new();
    let mut errors = Vec::new();
    let mut offset = 0usize;
    for raw_line in text.split_inclusive('\n') {
        let start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches('\n').trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let line_range = TextRange::new(start, start + line.len());
        let Some(colon) = trimmed.find(':') else {
            errors.push(ParseError::new(line_range, "expected `process_type: command`"));
            continue;
        };
        let name = trimmed.get(..colon).unwrap_or("");
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            errors.push(ParseError::new(line_range, format!("invalid process type `{name}`: expected letters, digits, `_` or `-` before `:`")));
            continue;
        }
        let after = trimmed.get(colon + 1..).unwrap_or("");
        let command = after.trim();
        let lead = after.len() - after.trim_start().len();
        let cmd_start = start + indent + colon + 1 + lead;
        if command.is_empty() {
            errors.push(ParseError::new(line_range, format!("process type `{name}` has no command")));
        }
        tree.push(ProcfileEntry {
            name: name.to_owned(),
            name_range: TextRange::new(start + indent, start + indent + colon),
            command: command.to_owned(),
            command_range: TextRange::new(cmd_start, cmd_start + command.len()),
            range: line_range,
        });
    }
    Parsed { tree, errors }
}
