//! Finding gunicorn command lines: Procfile entries, shell scripts, supervisord programs,
//! systemd units, `*.cmdline` excerpts (Dockerfiles: [`super::dockerfile`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use stacklint_syntax::ini::{Entry, IniFile};
use stacklint_syntax::{procfile, supervisord, systemd};
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

/// Environment variables through which gunicorn reads settings: a host that may set them
/// where the model cannot see (an env file) leaves the process unknown.
const GUNICORN_ENV: [&str; 2] = ["WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"];

/// The command of each supervisord `[program:x]` that runs gunicorn. A command continued on
/// further lines is left out: supervisord splits it as one line, the shell reader would not.
/// So is a program whose `environment=` sets gunicorn's variables (its quoting is not shell's).
pub(crate) fn from_supervisord(path: &Path, text: &str, tree: Option<&IniFile>) -> Vec<FoundCommand> {
    let tree = tree.map_or_else(|| Cow::Owned(supervisord::parse(text).tree), Cow::Borrowed);
    let mut out = Vec::new();
    for program in supervisord::programs(&tree) {
        let Some(command) = program.command.filter(|c| !c.value.contains('\n') && !c.interrupted) else { continue };
        if program.get("environment").is_some_and(|e| GUNICORN_ENV.iter().any(|v| e.value.contains(v))) {
            continue;
        }
        let (_, found) = invocations(text, command.value_range);
        let source = CommandSource::Supervisord { program: program.name.to_owned() };
        out.extend(found.into_iter().map(|inv| FoundCommand { file: path.to_path_buf(), source: source.clone(), inv, exported: Vec::new(), base_dir: dir_of(path), syntax: ValueSyntax::Shell, style: None, anchor: None }));
    }
    out
}

/// `ExecStart=` of a systemd unit's `[Service]` that runs gunicorn, with the unit's
/// `Environment=` assignments. A unit with an `EnvironmentFile=` (which may set gunicorn's
/// variables), or whose command has comment lines inside its continuation, is left out.
pub(crate) fn from_systemd(path: &Path, text: &str, tree: Option<&IniFile>) -> Vec<FoundCommand> {
    let tree = tree.map_or_else(|| Cow::Owned(systemd::parse(text).tree), Cow::Borrowed);
    if !systemd::list(&tree, "Service", "EnvironmentFile").is_empty() {
        return Vec::new();
    }
    let environment: Vec<Word> = systemd::list(&tree, "Service", "Environment").into_iter().flat_map(|e| entry_words(text, e)).filter(Word::is_assignment).collect();
    let mut out = Vec::new();
    for exec in systemd::exec_start(&tree).into_iter().filter(|e| !e.interrupted) {
        // `ExecStart=-/bin/x`: prefixes that change how systemd runs the command, not its argv.
        let raw = exec.value_range.slice(text);
        let skipped = raw.len() - raw.trim_start_matches(['-', '@', '+', '!', ':', '|']).len();
        let range = TextRange::new(exec.value_range.start() + skipped, exec.value_range.end());
        let (_, found) = invocations(text, range);
        out.extend(found.into_iter().map(|inv| FoundCommand { file: path.to_path_buf(), source: CommandSource::Systemd, inv, exported: environment.clone(), base_dir: dir_of(path), syntax: ValueSyntax::Shell, style: None, anchor: None }));
    }
    out
}

/// The words of an entry's value, split as shell words.
fn entry_words(text: &str, entry: &Entry) -> Vec<Word> {
    shell::split_range(text, entry.value_range).tree.into_iter().filter_map(|t| t.as_word().cloned()).collect()
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
