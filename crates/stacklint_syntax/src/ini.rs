//! The INI core shared by [`crate::supervisord`] and [`crate::systemd`]: `[section]` headers,
//! `key=value` entries, comment lines, continuation lines; each format is a [`Dialect`].
//!
//! Total: any text gives a tree plus errors. Every entry keeps the byte ranges of its key
//! and of its raw value (continuation lines included), so a fix edits exact bytes.
//!
//! ```
//! use stacklint_syntax::ini::{self, Continuation, Dialect};
//! let dialect = Dialect { comments: &['#'], inline_comments: &[], separators: &['='], continuation: Continuation::Backslash };
//! let src = "[a]\nk = one \\\n  two\n";
//! let parsed = ini::parse(src, &dialect);
//! let entry = &parsed.tree.sections[0].entries[0];
//! assert_eq!(entry.key, "k");
//! assert_eq!(entry.value, "one    two");
//! assert_eq!(entry.value_range.slice(src), "one \\\n  two");
//! ```

use stacklint_text::TextRange;

use crate::{ParseError, Parsed};

/// How a value goes on past its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continuation {
    /// Python's `configparser` (supervisord): a following line indented deeper than the key
    /// continues the value; the lines are joined with `\n`, blank lines inside are kept.
    Indented,
    /// systemd: a line ending in `\` goes on with the next one, the `\` read as a space;
    /// comment lines inside are skipped.
    Backslash,
}

/// What differs between INI formats.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// Characters that start a comment line (after leading whitespace).
    pub comments: &'static [char],
    /// Characters that start a comment at the start of a value or after whitespace in it.
    pub inline_comments: &'static [char],
    /// What separates a key from its value (the first one on the line wins).
    pub separators: &'static [char],
    pub continuation: Continuation,
}

/// A parsed INI file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniFile {
    pub sections: Vec<Section>,
}

/// `[name]` and the entries under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The text between the brackets, as written.
    pub name: String,
    pub name_range: TextRange,
    /// The header line, brackets included.
    pub header_range: TextRange,
    pub entries: Vec<Entry>,
}

/// `key = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key, whitespace trimmed, case kept.
    pub key: String,
    pub key_range: TextRange,
    /// The value as the program reads it: trimmed, inline comments removed, continuation
    /// lines joined.
    pub value: String,
    /// The raw value, from its first to its last character, continuation lines included
    /// (empty at the end of the separator when the value is empty).
    pub value_range: TextRange,
    /// Comment or blank lines sit inside the value's range (between continuation lines).
    pub interrupted: bool,
    /// From the key to the end of the value.
    pub range: TextRange,
}

impl IniFile {
    /// The sections named `name` (a name may repeat), in order.
    pub fn sections_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| s.name == name)
    }

    /// Every range of the tree (for invariants).
    pub fn ranges(&self) -> Vec<TextRange> {
        let mut out = Vec::new();
        for s in &self.sections {
            out.extend([s.name_range, s.header_range]);
            for e in &s.entries {
                out.extend([e.key_range, e.value_range, e.range]);
            }
        }
        out
    }
}

impl Section {
    /// The entries whose key is `key` (case-sensitive), in order.
    pub fn entries_named<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.key == key)
    }
}

/// One line: its start offset and text without the line break.
struct Line<'t> {
    start: usize,
    text: &'t str,
}

impl Line<'_> {
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start().len()
    }

    fn end(&self) -> usize {
        self.start + self.text.len()
    }

    fn trimmed_end(&self) -> usize {
        self.start + self.text.trim_end().len()
    }

    fn range(&self) -> TextRange {
        TextRange::new(self.start, self.end())
    }
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        out.push(Line { start: offset, text: raw.trim_end_matches('\n').trim_end_matches('\r') });
        offset += raw.len();
    }
    out
}

/// The value part of `s` before an inline comment (a prefix at its start or after whitespace).
fn strip_inline_comment<'s>(s: &'s str, dialect: &Dialect) -> &'s str {
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        if prev_space && dialect.inline_comments.contains(&c) {
            return s.get(..i).unwrap_or(s);
        }
        prev_space = c.is_whitespace();
    }
    s
}

/// Parse `text` as INI of `dialect`. Total: lines that are neither a header, an entry, a
/// comment nor a continuation are reported and skipped, as are entries before any header.
pub fn parse(text: &str, dialect: &Dialect) -> Parsed<IniFile> {
    let lines = lines(text);
    let mut file = IniFile::default();
    let mut errors = Vec::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        i += 1;
        let trimmed = line.text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(dialect.comments) {
            continue;
        }
        let start = line.start + line.indent();
        if trimmed.starts_with('[') {
            let content = strip_inline_comment(trimmed, dialect).trim_end();
            match content.rfind(']') {
                Some(close) if close > 1 => {
                    let name = content.get(1..close).unwrap_or("");
                    file.sections.push(Section {
                        name: name.to_owned(),
                        name_range: TextRange::new(start + 1, start + close),
                        header_range: TextRange::new(start, start + close + 1),
                        entries: Vec::new(),
                    });
                    let junk = content.get(close + 1..).unwrap_or("");
                    if !junk.is_empty() {
                        let junk_start = start + content.len() - junk.trim_start().len();
                        errors.push(ParseError::new(TextRange::new(junk_start, start + content.len()), "unexpected text after the section header"));
                    }
                }
                _ => errors.push(ParseError::new(TextRange::new(start, line.trimmed_end()), "expected a section header `[name]`")),
            }
            continue;
        }
        let Some(sep) = trimmed.find(dialect.separators) else {
            errors.push(ParseError::new(TextRange::new(start, line.trimmed_end()), format!("expected `key{}value`", dialect.separators.first().copied().unwrap_or('='))));
            continue;
        };
        let key_text = trimmed.get(..sep).unwrap_or("");
        let key = key_text.trim_end();
        if key.is_empty() {
            errors.push(ParseError::new(TextRange::new(start, line.trimmed_end()), "an entry without a key"));
            continue;
        }
        let key_range = TextRange::new(start, start + key.len());
        let after = trimmed.get(sep + 1..).unwrap_or("");
        let lead = after.len() - after.trim_start().len();
        let value_start = start + sep + 1 + lead;
        let (value, value_end, interrupted, next) = match dialect.continuation {
            Continuation::Indented => indented_value(&lines, i, line, value_start, dialect),
            Continuation::Backslash => backslash_value(&lines, i, line, value_start, dialect),
        };
        i = next;
        let entry = Entry { key: key.to_owned(), key_range, value, value_range: TextRange::new(value_start, value_end.max(value_start)), interrupted, range: TextRange::new(start, value_end.max(value_start)) };
        match file.sections.last_mut() {
            Some(section) => section.entries.push(entry),
            None => errors.push(ParseError::new(line.range(), format!("`{key}` is outside any section: expected a `[section]` header before it"))),
        }
    }
    Parsed { tree: file, errors }
}

/// A `configparser` value: the rest of the line, then every following line indented deeper
/// than the key's (blank lines between them kept). Returns (value, end of the raw value,
/// interrupted, index of the next line to read).
fn indented_value(lines: &[Line<'_>], mut next: usize, first: &Line<'_>, value_start: usize, dialect: &Dialect) -> (String, usize, bool, usize) {
    let rest = first.text.get(value_start - first.start..).unwrap_or("");
    let first_part = strip_inline_comment(rest, dialect).trim_end();
    let mut parts = vec![first_part.to_owned()];
    let mut end = value_start + first_part.len();
    let mut interrupted = false;
    let key_indent = first.indent();
    let mut pending_blank = 0;
    while let Some(line) = lines.get(next) {
        let trimmed = line.text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(dialect.comments) {
            pending_blank += usize::from(trimmed.is_empty());
            if !trimmed.is_empty() {
                interrupted = true;
            }
            // Only a following continuation line decides whether these belong to the value.
            let continues = lines.iter().skip(next + 1).find(|l| {
                let t = l.text.trim_start();
                !t.is_empty() && !t.starts_with(dialect.comments)
            });
            if continues.is_none_or(|l| l.indent() <= key_indent) {
                break;
            }
            next += 1;
            continue;
        }
        if line.indent() <= key_indent {
            break;
        }
        let part = strip_inline_comment(trimmed, dialect).trim_end();
        interrupted |= pending_blank > 0;
        parts.extend(std::iter::repeat_n(String::new(), pending_blank));
        pending_blank = 0;
        parts.push(part.to_owned());
        end = line.start + line.indent() + part.len();
        next += 1;
    }
    (parts.join("\n").trim().to_owned(), end, interrupted, next)
}

/// A systemd value: lines ending in `\` go on with the next (comment lines in between are
/// skipped); the `\` reads as a space.
fn backslash_value(lines: &[Line<'_>], mut next: usize, first: &Line<'_>, value_start: usize, dialect: &Dialect) -> (String, usize, bool, usize) {
    let mut value = String::new();
    let mut interrupted = false;
    let mut part = first.text.get(value_start - first.start..).unwrap_or("").trim_end();
    let mut end = value_start + part.len();
    loop {
        let Some(body) = part.strip_suffix('\\') else {
            value.push_str(part);
            break;
        };
        value.push_str(body);
        value.push(' ');
        // The next line that is not a comment goes on with the value.
        let mut found = None;
        while let Some(line) = lines.get(next) {
            next += 1;
            if line.text.trim_start().starts_with(dialect.comments) {
                interrupted = true;
                continue;
            }
            found = Some(line);
            break;
        }
        let Some(line) = found else { break };
        part = line.text.trim_end();
        end = line.trimmed_end().max(end);
        if part.trim().is_empty() {
            break;
        }
    }
    (value.trim().to_owned(), end, interrupted, next)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const CONFIGPARSER: Dialect = Dialect { comments: &['#', ';'], inline_comments: &[';', '#'], separators: &['=', ':'], continuation: Continuation::Indented };

    #[test]
    fn headers_entries_and_errors() {
        let src = "[a]\nk=v\nno separator\n[b\n[c] junk\n";
        let p = parse(src, &CONFIGPARSER);
        assert_eq!(p.tree.sections.len(), 2);
        assert_eq!(p.tree.sections[1].name_range.slice(src), "c");
        let messages: Vec<&str> = p.errors.iter().map(|e| e.range.slice(src)).collect();
        assert_eq!(messages, ["no separator", "[b", "junk"]);
    }

    #[test]
    fn entry_before_a_section_is_an_error() {
        let p = parse("k=v\n[a]\n", &CONFIGPARSER);
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.contains("outside any section"));
    }

    #[test]
    fn any_bytes_keep_ranges_in_bounds() {
        for src in ["", "[", "]", "=", "[]\n=\n", "[a]\nk=\\", "[a]\nk=v\n  \n\n  x", "[é]\nk=é ;é\n é", "\r\n[a]\r\nk = v \\\r\n# c\r\n"] {
            for dialect in [CONFIGPARSER, Dialect { continuation: Continuation::Backslash, ..CONFIGPARSER }] {
                let p = parse(src, &dialect);
                for r in p.tree.ranges().into_iter().chain(p.errors.iter().map(|e| e.range)) {
                    assert!(r.end() <= src.len() && src.is_char_boundary(r.start()) && src.is_char_boundary(r.end()), "{src:?}: {r:?}");
                }
            }
        }
    }
}
