//! What the DKR rules share: stage ancestry (`FROM stage`), image names, and the shell
//! words of a `RUN`/`CMD` with the way back to source bytes.

use std::fmt::Write as _;

use stacklint_syntax::dockerfile::{Dockerfile, ImageRef, Instruction, Keyword, ShellText, Stage};
use stacklint_syntax::shell::Token;
use stacklint_text::TextRange;

pub(crate) use stacklint_syntax::dockerfile::{stage_chain as chain, stage_parents as parents};

/// The external image at the root of `stages[index]`'s ancestry.
pub(crate) fn root_image<'a>(stages: &[Stage<'a>], index: usize) -> Option<&'a ImageRef> {
    let root = *chain(stages, index).first()?;
    stages.get(root)?.from.from_args()?.image.as_ref()
}

/// The image name without registry `docker.io` and namespace `library/`, lowercased:
/// `docker.io/library/python` → `python`.
pub(crate) fn short_image_name(image: &ImageRef) -> String {
    let name = image.name.raw.to_ascii_lowercase();
    let name = name.strip_prefix("index.docker.io/").or_else(|| name.strip_prefix("docker.io/")).unwrap_or(&name);
    name.strip_prefix("library/").unwrap_or(name).to_owned()
}

/// Whether a word is unrendered: a variable or a template placeholder.
pub(crate) fn is_unrendered(raw: &str) -> bool {
    raw.contains('$') || raw.contains("{{") || raw.contains("}}") || raw.contains("{%") || raw.contains("%%")
}

/// The instructions of the stages in `chain`, in build order.
pub(crate) fn chain_instructions<'a>(stages: &[Stage<'a>], chain: &[usize]) -> Vec<&'a Instruction> {
    chain.iter().filter_map(|&i| stages.get(i)).flat_map(|s| s.instructions.iter()).collect()
}

/// Shell words of a command with a map back to the source.
pub(crate) struct Script<'a> {
    pub tokens: &'a [Token],
    /// How ranges of `tokens` become source ranges.
    map: Map<'a>,
}

enum Map<'a> {
    /// Offsets into an instruction's logical text.
    Logical(&'a ShellText),
    /// Offsets into a heredoc body that sits verbatim at this source offset.
    Shifted(usize),
    /// A heredoc body that differs from its source (`<<-` stripped tabs): no way back.
    Lost,
}

impl Script<'_> {
    /// The source range of a range of [`Script::tokens`].
    pub(crate) fn source_range(&self, r: TextRange) -> Option<TextRange> {
        match self.map {
            Map::Logical(t) => Some(t.source_range(r)),
            Map::Shifted(base) => Some(TextRange::new(r.start() + base, r.end() + base)),
            Map::Lost => None,
        }
    }

    /// The source offset where a token range ending at `end` ends (before a line
    /// continuation, not after it).
    pub(crate) fn source_end(&self, start: usize, end: usize) -> Option<usize> {
        self.source_range(TextRange::new(start, end)).map(TextRange::end)
    }
}

/// The shell scripts of a shell-form instruction (RUN, CMD, ENTRYPOINT): its arguments,
/// and the bodies of heredocs it runs (`RUN <<EOF`).
pub(crate) fn scripts<'a>(inst: &'a Instruction, source: &str) -> Vec<Script<'a>> {
    let mut out = Vec::new();
    let (Some(text), Some(tokens)) = (inst.shell_text(), inst.shell_tokens()) else { return out };
    out.push(Script { tokens, map: Map::Logical(text) });
    // `RUN <<EOF` (no command before the marker) runs the body as a script.
    let runs_body = text.as_str().trim_start().starts_with("<<");
    if runs_body && let (Some(h), Some(tokens)) = (inst.heredocs.first(), inst.heredoc_tokens()) {
        let map = if h.content_range.slice(source) == h.content { Map::Shifted(h.content_range.start()) } else { Map::Lost };
        out.push(Script { tokens, map });
    }
    out
}

/// The CMD and ENTRYPOINT instructions of a stage.
pub(crate) fn commands<'a>(stage: &Stage<'a>) -> impl Iterator<Item = &'a Instruction> {
    stage.instructions.iter().filter(|i| matches!(i.keyword, Keyword::Cmd | Keyword::Entrypoint))
}

/// The line terminator and indentation of the line holding `offset`, and where the next
/// line starts (`None` at the end of the file without a final newline).
pub(crate) fn line_after(source: &str, end: usize) -> (Option<usize>, &'static str) {
    let rest = source.get(end..).unwrap_or("");
    if rest.starts_with("\r\n") {
        (Some(end + 2), "\r\n")
    } else if rest.starts_with('\n') {
        (Some(end + 1), "\n")
    } else {
        (None, if source.contains("\r\n") { "\r\n" } else { "\n" })
    }
}

/// The blanks before `offset` on its line.
pub(crate) fn indent_at(source: &str, offset: usize) -> &str {
    let start = source.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let line = source.get(start..offset).unwrap_or("");
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    line.get(..n).unwrap_or("")
}

/// Whether the Dockerfile has full-line comments inside `range` (a replacement of the
/// whole range would delete them).
pub(crate) fn has_comment_inside(df: &Dockerfile, range: TextRange) -> bool {
    df.comments.iter().any(|c| range.contains_range(c.range))
}

/// A JSON string literal for `value`.
pub(crate) fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape() {
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("x\u{1}"), "\"x\\u0001\"");
        assert_eq!(json_string("é"), "\"é\"");
    }

    #[test]
    fn ancestry() {
        let df = stacklint_syntax::dockerfile::parse("FROM python:3.12 AS Base\nFROM base AS app\nFROM alpine\nFROM APP\n").tree;
        let stages = df.stages();
        assert_eq!(chain(&stages, 3), [0, 1, 3]);
        assert_eq!(root_image(&stages, 3).map(short_image_name).as_deref(), Some("python"));
        assert_eq!(parents(&stages), [None, Some(0), None, Some(1)]);
    }

    #[test]
    fn line_endings() {
        assert_eq!(line_after("FROM a\r\nRUN b\r\n", 6), (Some(8), "\r\n"));
        assert_eq!(line_after("FROM a\nRUN b\n", 6), (Some(7), "\n"));
        assert_eq!(line_after("FROM a", 6), (None, "\n"));
        assert_eq!(indent_at("  FROM a", 2), "  ");
    }
}
