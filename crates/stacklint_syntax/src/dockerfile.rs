//! The Dockerfile parser.
//!
//! [`parse`] follows BuildKit's parser (`frontend/dockerfile/parser`) line by line so
//! that what stacklint sees is what `docker build` sees: parser directives at the top
//! (`# syntax=`, `# escape=`, `# check=`), instructions joined across line
//! continuations (the escape token at the end of a line, trailing blanks allowed), with
//! comment lines and blank lines inside a continued instruction dropped, heredocs read
//! after their instruction, exec (JSON) form with BuildKit's fallback to the shell form
//! when the JSON is not valid, flags, `key=value` pairs and `FROM` image references.
//!
//! The parser is total: it never fails and never gives up. Each instruction is
//! independent, so an error (unknown instruction, `ENV` without a value, an exec form
//! with a non-string element, a heredoc without its end marker ...) is recorded in
//! [`Parsed::errors`] and parsing goes on with the next instruction.
//!
//! Every node keeps its byte range in the original text. An instruction's arguments
//! may span continuation lines, so their text is a [`ShellText`]: the *logical* text
//! plus a map from logical offsets back to source bytes, which lets a fix replace one
//! shell word of a multi-line `RUN`.
//!
//! ```
//! use stacklint_syntax::dockerfile::{parse, Keyword};
//!
//! let src = "FROM python:3.12-slim AS app\nRUN --mount=type=cache,target=/root/.cache \\\n    pip install -r requirements.txt\nCMD [\"gunicorn\", \"app:app\"]\n";
//! let parsed = parse(src);
//! assert!(parsed.errors.is_empty());
//! let df = parsed.tree;
//! let from = df.instructions[0].from_args().unwrap();
//! assert_eq!(from.image.as_ref().unwrap().tag.as_ref().unwrap().raw, "3.12-slim");
//! assert_eq!(from.stage_name.as_ref().unwrap().raw, "app");
//! let run = df.instructions_of(&Keyword::Run).next().unwrap();
//! assert_eq!(run.flag("mount").unwrap().value.as_deref(), Some("type=cache,target=/root/.cache"));
//! assert_eq!(run.shell_text().unwrap().as_str(), "pip install -r requirements.txt");
//! let cmd = df.instructions.last().unwrap().exec().unwrap();
//! assert_eq!(cmd.elements[1].value, "app:app");
//! assert_eq!(cmd.elements[1].range.slice(src), "\"app:app\"");
//! ```

use std::fmt;

use stacklint_text::TextRange;

use crate::Parsed;

mod json;
mod parser;
mod text;
mod words;

pub use text::ShellText;

/// Parses a Dockerfile. Never fails: errors are recovered from and returned next to
/// the tree.
pub fn parse(text: &str) -> Parsed<Dockerfile> {
    parser::parse(text)
}

/// A parsed Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct Dockerfile {
    /// The parser directives at the top of the file, in order.
    pub directives: Vec<Directive>,
    /// The escape token: `\` unless an `# escape=` directive says `` ` ``.
    pub escape: char,
    /// The instructions, in order.
    pub instructions: Vec<Instruction>,
    /// Every full-line comment (outside heredoc bodies), in order, including the ones
    /// inside a continued instruction; directives are not repeated here.
    pub comments: Vec<Comment>,
}

/// A parser directive such as `# syntax=docker/dockerfile:1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The name, lowercased: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    /// The whole line, from `#`.
    pub range: TextRange,
    pub name_range: TextRange,
    pub value_range: TextRange,
}

/// A full-line comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From `#` to the end of the line (line terminator excluded).
    pub range: TextRange,
    /// The text after `#`, trimmed.
    pub text: String,
}

/// An instruction keyword. Matching is case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    Stopsignal,
    Healthcheck,
    Shell,
    /// Not an instruction BuildKit knows, as written.
    Other(String),
}

impl Keyword {
    const KNOWN: [Keyword; 18] = [
        Keyword::From,
        Keyword::Run,
        Keyword::Cmd,
        Keyword::Label,
        Keyword::Maintainer,
        Keyword::Expose,
        Keyword::Env,
        Keyword::Add,
        Keyword::Copy,
        Keyword::Entrypoint,
        Keyword::Volume,
        Keyword::User,
        Keyword::Workdir,
        Keyword::Arg,
        Keyword::Onbuild,
        Keyword::Stopsignal,
        Keyword::Healthcheck,
        Keyword::Shell,
    ];

    /// The keyword for `word`, in any case.
    pub fn parse(word: &str) -> Keyword {
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(word))
            .unwrap_or_else(|| Keyword::Other(word.to_owned()))
    }

    /// The keyword in upper case (an unknown one as written).
    pub fn as_str(&self) -> &str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Expose => "EXPOSE",
            Keyword::Env => "ENV",
            Keyword::Add => "ADD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Volume => "VOLUME",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Arg => "ARG",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Shell => "SHELL",
            Keyword::Other(s) => s,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Keyword::Other(_))
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One instruction.
#[derive(Clone, Debug)]
pub struct Instruction {
    pub keyword: Keyword,
    pub keyword_range: TextRange,
    /// From the keyword to the end of its last line, continuation lines, inner comments
    /// and heredoc bodies (up to their end marker) included; line terminator excluded.
    pub range: TextRange,
    /// The `--flags` before the arguments.
    pub flags: Vec<Flag>,
    /// The arguments, parsed according to the keyword.
    pub args: Arguments,
    /// The arguments as one logical text (after keyword and flags, trimmed), whatever
    /// the keyword.
    pub args_text: ShellText,
    /// Heredocs opened on this instruction's line, with their bodies (for `ONBUILD`,
    /// the heredocs of the trigger are here too).
    pub heredocs: Vec<Heredoc>,
    /// Shell words, split on first use and kept: several rules read every RUN.
    pub(crate) shell_cache: ShellCache,
}

/// The shell tokens of an instruction's shell form and of its first heredoc body.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShellCache {
    shell: std::sync::OnceLock<Vec<crate::shell::Token>>,
    heredoc: std::sync::OnceLock<Vec<crate::shell::Token>>,
}

/// A `--name[=value]` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The name without the leading `--`, e.g. `mount`.
    pub name: String,
    /// The value after the first `=`, quotes removed; `None` for `--link`.
    pub value: Option<String>,
    /// The flag as BuildKit sees it, e.g. `--mount=type=cache,target=/x`.
    pub text: String,
    /// The flag in the source, from `--`.
    pub range: TextRange,
    pub name_range: TextRange,
    /// The raw value after `=` in the source (quotes included).
    pub value_range: Option<TextRange>,
}

/// The arguments of an instruction.
#[derive(Clone, Debug)]
pub enum Arguments {
    /// No arguments, or an instruction whose arguments are not parsed (unknown keyword).
    None,
    /// Exec form `["a", "b"]` (RUN, CMD, ENTRYPOINT, SHELL, ADD, COPY, VOLUME).
    Exec(ExecForm),
    /// Shell form of RUN, CMD, ENTRYPOINT, SHELL.
    Shell(ShellText),
    /// A single string: MAINTAINER, USER, WORKDIR, STOPSIGNAL.
    Text(ShellText),
    /// Whitespace-separated words: EXPOSE; ADD, COPY, VOLUME in shell form.
    Words(Vec<Word>),
    /// ENV, LABEL, ARG.
    KeyValues(Vec<KeyValue>),
    From(Box<FromArgs>),
    Healthcheck(Healthcheck),
    /// The trigger instruction of ONBUILD.
    Onbuild(Box<Instruction>),
}

/// A JSON array of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecForm {
    pub elements: Vec<JsonString>,
    /// From `[` to `]`.
    pub range: TextRange,
}

/// A string of an exec form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonString {
    /// The decoded value.
    pub value: String,
    /// The whole literal in the source, quotes included (replace it with another JSON
    /// string literal to keep the array valid).
    pub range: TextRange,
}

/// A word of the arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// As written (logical text: continuations removed).
    pub raw: String,
    /// Shell quoting removed (escape token, `'...'`, `"..."`); variables not expanded.
    pub value: String,
    pub range: TextRange,
}

/// A `key=value` pair of ENV, LABEL or ARG, or a legacy `ENV key value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// The key as written.
    pub key: Word,
    /// `None` for `ARG name` (and for a malformed pair, which is reported).
    pub value: Option<Word>,
    /// `ENV key value` / `LABEL key value` without `=`.
    pub legacy: bool,
    /// The whole pair.
    pub range: TextRange,
}

/// The arguments of FROM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FromArgs {
    pub image: Option<ImageRef>,
    /// The `AS` keyword.
    pub as_keyword: Option<Word>,
    /// The stage name after `AS`.
    pub stage_name: Option<Word>,
    /// All the words, as BuildKit splits them.
    pub words: Vec<Word>,
}

/// `name[:tag][@digest]`; the parts keep their ranges (variables stay unexpanded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub word: Word,
    pub name: Word,
    pub tag: Option<Word>,
    pub digest: Option<Word>,
}

/// The arguments of HEALTHCHECK.
#[derive(Clone, Debug)]
pub struct Healthcheck {
    /// `CMD`, `NONE`, or whatever was written there; `None` for a bare HEALTHCHECK.
    pub kind: Option<Word>,
    /// The command after `CMD`: [`Arguments::Exec`] or [`Arguments::Shell`].
    pub command: Option<Box<Arguments>>,
}

impl Healthcheck {
    /// `HEALTHCHECK NONE`.
    pub fn is_none(&self) -> bool {
        self.kind.as_ref().is_some_and(|k| k.raw.eq_ignore_ascii_case("NONE"))
    }
}

/// A heredoc (`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF` ...) and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The end marker, quotes removed.
    pub name: String,
    /// The file descriptor before `<<`, if any.
    pub fd: Option<u32>,
    /// `<<-`: leading tabs are stripped from the body and the end marker.
    pub chomp: bool,
    /// The marker is unquoted, so variables in the body are expanded.
    pub expand: bool,
    /// The `<<EOF` word in the instruction.
    pub marker_range: TextRange,
    /// The body lines in the source, line terminators included, end marker excluded.
    pub content_range: TextRange,
    /// The body as BuildKit uses it (leading tabs stripped for `<<-`).
    pub content: String,
    /// The end marker line; `None` when the body runs to the end of the file.
    pub terminator_range: Option<TextRange>,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Clone, Copy, Debug)]
pub struct Stage<'a> {
    /// 0-based position among the stages.
    pub index: usize,
    /// The FROM, first of [`Stage::instructions`].
    pub from: &'a Instruction,
    pub instructions: &'a [Instruction],
}

impl Stage<'_> {
    /// The `AS` name.
    pub fn name(&self) -> Option<&str> {
        self.from.from_args()?.stage_name.as_ref().map(|w| w.raw.as_str())
    }

    pub fn image(&self) -> Option<&ImageRef> {
        self.from.from_args()?.image.as_ref()
    }
}

/// The stage each stage builds on (`FROM builder`), in one pass: a map from stage
/// names (lowercased) to the latest stage so named. `parents[i] < i`.
pub fn stage_parents(stages: &[Stage<'_>]) -> Vec<Option<usize>> {
    let mut named: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        out.push(stage.image().and_then(|image| named.get(&image.word.raw.to_ascii_lowercase()).copied()));
        if let Some(name) = stage.name() {
            named.insert(name.to_ascii_lowercase(), i);
        }
    }
    out
}

/// The stages `stages[index]` is built on, root first, `index` last. Linear in the
/// number of stages.
pub fn stage_chain(stages: &[Stage<'_>], index: usize) -> Vec<usize> {
    let parents = stage_parents(stages);
    let mut out = vec![index];
    let mut at = index;
    // Parents come strictly before their stage: the walk ends.
    while let Some(p) = parents.get(at).copied().flatten().filter(|&p| p < at) {
        out.push(p);
        at = p;
    }
    out.reverse();
    out
}

impl Dockerfile {
    /// The instructions with `keyword` (ONBUILD triggers not included).
    pub fn instructions_of<'a>(&'a self, keyword: &'a Keyword) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions.iter().filter(move |i| &i.keyword == keyword)
    }

    /// The build stages, split at each FROM.
    pub fn stages(&self) -> Vec<Stage<'_>> {
        let starts: Vec<usize> = self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == Keyword::From)
            .map(|(n, _)| n)
            .collect();
        let mut stages = Vec::with_capacity(starts.len());
        for (index, &start) in starts.iter().enumerate() {
            let end = starts.get(index + 1).copied().unwrap_or(self.instructions.len());
            if let (Some(from), Some(instructions)) = (self.instructions.get(start), self.instructions.get(start..end)) {
                stages.push(Stage { index, from, instructions });
            }
        }
        stages
    }

    /// The instructions before the first FROM (global `ARG`s).
    pub fn global_instructions(&self) -> &[Instruction] {
        let end = self.instructions.iter().position(|i| i.keyword == Keyword::From).unwrap_or(self.instructions.len());
        self.instructions.get(..end).unwrap_or(&[])
    }

    /// The directive named `name` (lowercase).
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }

    /// The comment lines right above `instruction` (no blank line in between), nearest
    /// last; where `# stacklint: ignore[...]` and `# hadolint ignore=...` live.
    pub fn comments_above(&self, instruction: &Instruction, text: &str) -> &[Comment] {
        let mut start = self.comments.partition_point(|c| c.range.end() <= instruction.range.start());
        let end = start;
        let mut line_start = line_start_before(text, instruction.range.start());
        while let Some(prev) = start.checked_sub(1).and_then(|i| self.comments.get(i)) {
            if self.inside_instruction(prev.range) {
                break;
            }
            // The comment must end on the line just before `line_start`.
            let between = text.get(prev.range.end()..line_start).unwrap_or("");
            if between.trim_end_matches('\r') != "\n" {
                break;
            }
            start -= 1;
            line_start = line_start_before(text, prev.range.start());
        }
        self.comments.get(start..end).unwrap_or(&[])
    }

    /// Whether `range` lies inside an instruction (a comment line of a continuation).
    fn inside_instruction(&self, range: TextRange) -> bool {
        let idx = self.instructions.partition_point(|i| i.range.end() < range.end());
        self.instructions.get(idx).is_some_and(|i| i.range.contains_range(range))
    }

    /// Every range in the tree, for invariant checks (inside the text, on char
    /// boundaries).
    pub fn ranges(&self) -> Vec<TextRange> {
        let mut out = Vec::new();
        for d in &self.directives {
            out.extend([d.range, d.name_range, d.value_range]);
        }
        out.extend(self.comments.iter().map(|c| c.range));
        for i in &self.instructions {
            i.collect_ranges(&mut out);
        }
        out
    }
}

fn line_start_before(text: &str, offset: usize) -> usize {
    text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1)
}

impl Instruction {
    /// The shell-form command of RUN, CMD, ENTRYPOINT, SHELL or `HEALTHCHECK CMD`.
    /// The shell tokens of [`Instruction::shell_text`] (split once, then kept; logical
    /// offsets into the shell text).
    pub fn shell_tokens(&self) -> Option<&[crate::shell::Token]> {
        let text = self.shell_text()?;
        Some(self.shell_cache.shell.get_or_init(|| crate::shell::split(text.as_str()).tree))
    }

    /// The shell tokens of the first heredoc's body (offsets into [`Heredoc::content`]).
    pub fn heredoc_tokens(&self) -> Option<&[crate::shell::Token]> {
        let h = self.heredocs.first()?;
        Some(self.shell_cache.heredoc.get_or_init(|| crate::shell::split(&h.content).tree))
    }

    pub fn shell_text(&self) -> Option<&ShellText> {
        match &self.args {
            Arguments::Shell(s) => Some(s),
            Arguments::Healthcheck(Healthcheck { command: Some(c), .. }) => match c.as_ref() {
                Arguments::Shell(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// The exec form (also the one of `HEALTHCHECK CMD [...]`).
    pub fn exec(&self) -> Option<&ExecForm> {
        match &self.args {
            Arguments::Exec(e) => Some(e),
            Arguments::Healthcheck(Healthcheck { command: Some(c), .. }) => match c.as_ref() {
                Arguments::Exec(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn is_exec_form(&self) -> bool {
        self.exec().is_some()
    }

    /// The flag named `name` (without `--`); the last one when repeated.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// The pairs of ENV, LABEL, ARG; empty otherwise.
    pub fn key_values(&self) -> &[KeyValue] {
        match &self.args {
            Arguments::KeyValues(kv) => kv,
            _ => &[],
        }
    }

    /// The words of EXPOSE and shell-form ADD, COPY, VOLUME; empty otherwise.
    pub fn words(&self) -> &[Word] {
        match &self.args {
            Arguments::Words(w) => w,
            Arguments::From(f) => &f.words,
            _ => &[],
        }
    }

    pub fn from_args(&self) -> Option<&FromArgs> {
        match &self.args {
            Arguments::From(f) => Some(f),
            _ => None,
        }
    }

    pub fn healthcheck(&self) -> Option<&Healthcheck> {
        match &self.args {
            Arguments::Healthcheck(h) => Some(h),
            _ => None,
        }
    }

    /// The trigger of an ONBUILD.
    pub fn onbuild_trigger(&self) -> Option<&Instruction> {
        match &self.args {
            Arguments::Onbuild(i) => Some(i),
            _ => None,
        }
    }

    /// The text of MAINTAINER, USER, WORKDIR, STOPSIGNAL.
    pub fn text(&self) -> Option<&ShellText> {
        match &self.args {
            Arguments::Text(t) => Some(t),
            _ => None,
        }
    }

    fn collect_ranges(&self, out: &mut Vec<TextRange>) {
        out.extend([self.range, self.keyword_range, self.args_text.range()]);
        out.extend(self.args_text.source_pieces());
        for f in &self.flags {
            out.extend([f.range, f.name_range]);
            out.extend(f.value_range);
        }
        for h in &self.heredocs {
            out.extend([h.marker_range, h.content_range]);
            out.extend(h.terminator_range);
        }
        collect_args_ranges(&self.args, out);
    }
}

fn collect_args_ranges(args: &Arguments, out: &mut Vec<TextRange>) {
    match args {
        Arguments::None => {}
        Arguments::Exec(e) => {
            out.push(e.range);
            out.extend(e.elements.iter().map(|s| s.range));
        }
        Arguments::Shell(s) | Arguments::Text(s) => out.extend(s.source_pieces().chain([s.range()])),
        Arguments::Words(w) => out.extend(w.iter().map(|w| w.range)),
        Arguments::KeyValues(kvs) => {
            for kv in kvs {
                out.extend([kv.range, kv.key.range]);
                out.extend(kv.value.as_ref().map(|v| v.range));
            }
        }
        Arguments::From(f) => {
            out.extend(f.words.iter().map(|w| w.range));
            if let Some(img) = &f.image {
                out.extend([img.word.range, img.name.range]);
                out.extend(img.tag.as_ref().map(|w| w.range));
                out.extend(img.digest.as_ref().map(|w| w.range));
            }
        }
        Arguments::Healthcheck(h) => {
            out.extend(h.kind.as_ref().map(|w| w.range));
            if let Some(c) = &h.command {
                collect_args_ranges(c, out);
            }
        }
        Arguments::Onbuild(i) => i.collect_ranges(out),
    }
}
