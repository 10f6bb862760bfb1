//! Finding gunicorn command lines: Procfile entries, shell scripts, `*.cmdline` excerpts
//! (Dockerfiles: [`super::dockerfile`]).

use std::path::{Path, PathBuf};

use stacklint_syntax::procfile;
use stacklint_syntax::shell::{self, Invocation, Token, Word};
use stacklint_text::TextRange;

use super::edit::ArgvStyle;
use super::{CommandSource, ValueSyntax};

/// A gunicorn invocation and the environment exported before it.
#[derive(Clone, Debug)]
pub(crate) struct FoundCommand {
    pub file: PathBuf,
    pub source: CommandSource,
    pub inv: Invocation,
    /// `export NAME=value` lines that run before the command (inline env wins over them).
    pub exported: Vec<Word>,
    /// The folder the command runs in, relative paths resolve against it.
    pub base_dir: PathBuf,
    /// How the argv's values are written (shell words; JSON strings in an exec form).
    pub syntax: ValueSyntax,
    /// How flags are added; `None`: shell words after the last argument.
    pub style: Option<ArgvStyle>,
    /// Where findings about the process go; `None`: the command itself.
    pub anchor: Option<TextRange>,
}

fn dir_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn invocations(text: &str, range: TextRange) -> (Vec<Token>, Vec<Invocation>) {
    let parsed = shell::split_range(text, range);
    let tokens = shell::join_template_words(text, parsed.tree);
    let found = shell::find_commands(&tokens, "gunicorn");
    (tokens, found)
}

/// Procfile entries that run gunicorn.
pub(crate) fn from_procfile(path: &Path, text: &str) -> Vec<FoundCommand> {
    let mut out = Vec::new();
    for entry in procfile::parse(text).tree {
        let (_, found) = invocations(text, entry.command_range);
        for inv in found {
            out.push(FoundCommand { file: path.to_path_buf(), source: CommandSource::Procfile { process_type: entry.name.clone() }, inv, exported: Vec::new(), base_dir: dir_of(path), syntax: ValueSyntax::Shell, style: None, anchor: None });
        }
    }
    out
}

/// `gunicorn ...` in a shell script, with what the script exported before it.
pub(crate) fn from_script(path: &Path, text: &str) -> Vec<FoundCommand> {
    let (tokens, found) = invocations(text, TextRange::new(0, text.len()));
    let exports = exports(&tokens);
    found
        .into_iter()
        .map(|inv| {
            let before: Vec<Word> = exports.iter().filter(|(_, at)| *at <= inv.command_range.start()).map(|(w, _)| w.clone()).collect();
            FoundCommand { file: path.to_path_buf(), source: CommandSource::ShellScript, inv, exported: before, base_dir: dir_of(path), syntax: ValueSyntax::Shell, style: None, anchor: None }
        })
        .collect()
}

/// `export A=b`, `declare -x A=b`, and `A=b; export A`: the exported assignment words
/// with the offset where they take effect.
pub(crate) fn exports(tokens: &[Token]) -> Vec<(Word, usize)> {
    let mut plain: Vec<Word> = Vec::new();
    let mut out = Vec::new();
    for cmd in shell::simple_commands(tokens) {
        let Some(first) = cmd.words.first() else {
            plain.extend(cmd.assignments.iter().cloned());
            continue;
        };
        if !matches!(first.value.as_str(), "export" | "declare" | "typeset") {
            continue;
        }
        let is_export = first.value == "export" || cmd.words.iter().skip(1).any(|w| w.value.starts_with('-') && w.value.contains('x'));
        if !is_export {
            continue;
        }
        for w in cmd.words.iter().skip(1) {
            if w.is_assignment() {
                out.push((w.clone(), cmd.range.end()));
            } else if let Some(prev) = plain.iter().rev().find(|p| p.assignment().is_some_and(|(n, _)| n == w.value)) {
                out.push((prev.clone(), cmd.range.end()));
            }
        }
    }
    out
}

/// A `*.cmdline` excerpt: command lines cut from scripts (`exec gunicorn ...`), Procfiles
/// (`web: gunicorn ...`), supervisor (`command=...`) and systemd units (`ExecStart=...`),
/// `#` comment lines between them, `\` continuations kept.
pub(crate) fn from_excerpt(path: &Path, text: &str) -> Vec<FoundCommand> {
    let mut out = Vec::new();
    for line in logical_lines(text) {
        let raw = line.slice(text);
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut start = line.start() + (raw.len() - trimmed.len());
        let mut source = CommandSource::Excerpt;
        if let Some((key, _)) = trimmed.split_once('=').filter(|(k, _)| matches!(*k, "command" | "ExecStart" | "ExecStartPre" | "ExecReload" | "ExecStartPost")) {
            start += key.len() + 1;
            // systemd prefixes: `-`, `@`, `+`, `!`, `:`
            let rest = text.get(start..line.end()).unwrap_or("");
            start += rest.len() - rest.trim_start_matches(['-', '@', '+', '!', ':']).len();
        } else if let Some((name, _)) = trimmed.split_once(':').filter(|(n, rest)| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && rest.starts_with([' ', '\t'])) {
            start += name.len() + 1;
            source = CommandSource::Procfile { process_type: name.to_owned() };
        }
        let (_, found) = invocations(text, TextRange::new(start, line.end()));
        for inv in found {
            out.push(FoundCommand { file: path.to_path_buf(), source: source.clone(), inv, exported: Vec::new(), base_dir: dir_of(path), syntax: ValueSyntax::Shell, style: None, anchor: None });
        }
    }
    out
}

/// Lines joined by backslash continuations, without their final line break.
fn logical_lines(text: &str) -> Vec<TextRange> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut offset = 0usize;
    for piece in text.split_inclusive('\n') {
        let body = piece.trim_end_matches('\n').trim_end_matches('\r');
        offset += piece.len();
        if body.ends_with('\\') && piece.ends_with('\n') {
            continue;
        }
        out.push(TextRange::new(start, start + (offset - start) - (piece.len() - body.len())));
        start = offset;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_lines_join_continuations() {
        let t = "a \\\n b\nc\r\nd";
        let lines: Vec<&str> = logical_lines(t).into_iter().map(|r| r.slice(t)).collect();
        assert_eq!(lines, ["a \\\n b", "c", "d"]);
    }
}
