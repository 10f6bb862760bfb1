//! YAML scalars: the value with quotes, escapes, indentation and line folding removed,
//! and for every byte of the value the source offset it was read from — so a fix can
//! replace one word of a folded `command: >` without touching the rest.

use std::fmt;

use stacklint_text::TextRange;

use crate::shell::{self, Token, Word};
use crate::{ParseError, Parsed};

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` block scalar.
    Literal,
    /// `>` block scalar.
    Folded,
}

/// A scalar value and where each of its bytes came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The value as YAML reads it (a string; `8000`, `true` and `~` stay text).
    pub value: String,
    /// The whole scalar in the source: quotes and block header included.
    pub range: TextRange,
    pub style: ScalarStyle,
    /// For each byte of `value`, the source offset it was read from.
    map: Vec<u32>,
    /// Value byte ranges that were not copied verbatim (escapes, `''`, folded line breaks).
    cooked: Vec<(u32, u32)>,
    /// A `\` escape of a double-quoted scalar was decoded.
    escaped: bool,
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{:?}", self.value, self.range)
    }
}

impl Scalar {
    /// A scalar whose value is exactly its source text `range` of `text` (plain, one line).
    pub fn verbatim(text: &str, range: TextRange) -> Scalar {
        let value = range.slice(text).to_string();
        let map = (0..value.len()).map(|i| clamp(range.start() + i)).collect();
        Scalar { value, range, style: ScalarStyle::Plain, map, cooked: Vec::new(), escaped: false }
    }

    /// Whether this is a plain null (`~`, `null`, or nothing).
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    /// The source offset of value byte `i`.
    pub fn source_offset(&self, i: usize) -> Option<usize> {
        self.map.get(i).map(|&o| o as usize)
    }

    /// The source range of the value bytes `sub`, when they were written verbatim and
    /// contiguously: replacing that range replaces exactly those value bytes. An empty
    /// `sub` gives the insertion point before value byte `sub.start` (or after the last).
    pub fn raw_range_of(&self, sub: std::ops::Range<usize>) -> Option<TextRange> {
        if sub.start > sub.end || sub.end > self.value.len() || !self.value.is_char_boundary(sub.start) || !self.value.is_char_boundary(sub.end) {
            return None;
        }
        if sub.is_empty() {
            if self.value.is_empty() {
                return self.empty_value_offset().map(TextRange::empty);
            }
            let at = if sub.start < self.value.len() { self.source_offset(sub.start)? } else { self.source_offset(sub.start.checked_sub(1)?)? + 1 };
            return Some(TextRange::empty(at));
        }
        if self.cooked.iter().any(|&(a, b)| (a as usize) < sub.end && sub.start < b as usize) {
            return None;
        }
        let start = self.source_offset(sub.start)?;
        let last = self.source_offset(sub.end - 1)?;
        (last.checked_sub(start) == Some(sub.end - 1 - sub.start)).then(|| TextRange::new(start, last + 1))
    }

    /// The source range of the whole value (see [`Scalar::raw_range_of`]): for `"1.5"`
    /// the `1.5` inside the quotes. `None` when the value was not written verbatim.
    pub fn value_range(&self) -> Option<TextRange> {
        self.raw_range_of(0..self.value.len())
    }

    /// Where an empty value would be written (inside the quotes of `""`).
    fn empty_value_offset(&self) -> Option<usize> {
        match self.style {
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if self.range.len() >= 2 => Some(self.range.start() + 1),
            ScalarStyle::Plain => Some(self.range.start()),
            _ => None,
        }
    }

    /// The part `sub` of the value as a scalar of its own (an image tag, the value of
    /// `KEY=value`); its range is the exact source of that part when it was written
    /// verbatim, else the source span it was read from.
    #[must_use]
    pub fn sub(&self, sub: std::ops::Range<usize>) -> Scalar {
        let value = self.value.get(sub.clone()).unwrap_or("").to_string();
        let map: Vec<u32> = self.map.get(sub.clone()).map(<[u32]>::to_vec).unwrap_or_default();
        let range = match self.raw_range_of(sub.clone()) {
            Some(r) => r,
            None => match (map.iter().min(), map.iter().max()) {
                (Some(&a), Some(&b)) => TextRange::new(a as usize, b as usize + 1),
                _ => TextRange::empty(self.range.start()),
            },
        };
        let (s, e) = (clamp(sub.start), clamp(sub.end));
        let cooked = self.cooked.iter().filter(|&&(a, b)| a < e && s < b).map(|&(a, b)| (a.max(s) - s, b.min(e) - s)).collect();
        Scalar { value, range, style: self.style, map, cooked, escaped: self.escaped }
    }

    /// Whether a `\` escape of a double-quoted scalar was decoded. The shell words of
    /// such a value map an escaped character to the escape's first byte, so their
    /// [`Word::value_range`] may not hold the value there.
    pub fn has_escapes(&self) -> bool {
        self.escaped
    }

    /// The value as one shell word (an element of an exec-form list), mapped to the source.
    pub fn word(&self) -> Word {
        let mut w = Word::with_map(self.value.clone(), self.range, self.map.iter().map(|&o| o as usize).collect());
        w.quoted = self.style != ScalarStyle::Plain;
        w
    }

    /// The value split as a shell command line, with each word's range mapped back to
    /// the source (through quotes, escapes and folded lines).
    pub fn shell_words(&self) -> Parsed<Vec<Token>> {
        let parsed = Word::with_map(self.value.clone(), self.range, self.map.iter().map(|&o| o as usize).collect()).split_value(0);
        Parsed { tree: shell::join_template_words(&self.value, parsed.tree), errors: parsed.errors }
    }
}

fn clamp(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Builds a value and its map.
#[derive(Default)]
struct Out {
    value: String,
    map: Vec<u32>,
    cooked: Vec<(u32, u32)>,
    escaped: bool,
}

impl Out {
    /// A character copied from source offset `at`.
    fn copy(&mut self, c: char, at: usize) {
        for i in 0..c.len_utf8() {
            self.map.push(clamp(at + i));
        }
        self.value.push(c);
    }

    /// A character produced by an escape, a fold or an indicator at `at`.
    fn cook(&mut self, c: char, at: usize) {
        let start = self.value.len();
        for _ in 0..c.len_utf8() {
            self.map.push(clamp(at));
        }
        self.value.push(c);
        self.cooked.push((clamp(start), clamp(self.value.len())));
    }

    fn finish(self, range: TextRange, style: ScalarStyle) -> Scalar {
        Scalar { value: self.value, range, style, map: self.map, cooked: self.cooked, escaped: self.escaped }
    }
}

/// A plain or quoted (flow) scalar. `range` is the whole scalar, quotes included.
pub(crate) fn flow(text: &str, range: TextRange, style: ScalarStyle, errors: &mut Vec<ParseError>) -> Scalar {
    let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
    let content = if quoted {
        let raw = range.slice(text);
        let q = if style == ScalarStyle::SingleQuoted { '\'' } else { '"' };
        let end = if raw.len() >= 2 && raw.ends_with(q) { range.end() - 1 } else { range.end() };
        TextRange::new((range.start() + 1).min(end), end)
    } else {
        range
    };
    let base = content.start();
    let s = content.slice(text);
    let mut out = Out::default();
    let mut pending: Vec<(char, usize)> = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = base + i;
        match c {
            '\r' | '\n' => {
                if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                    chars.next();
                }
                pending.clear();
                let breaks = skip_blank_lines(&mut chars, base);
                if breaks.is_empty() {
                    out.cook(' ', at);
                } else {
                    for b in breaks {
                        out.cook('\n', b);
                    }
                }
            }
            ' ' | '\t' => pending.push((c, at)),
            '\'' if style == ScalarStyle::SingleQuoted && chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                flush(&mut out, &mut pending);
                chars.next();
                out.cook('\'', at);
            }
            '\\' if style == ScalarStyle::DoubleQuoted => {
                flush(&mut out, &mut pending);
                out.escaped = true;
                escape(&mut out, &mut chars, at, base, errors);
            }
            _ => {
                flush(&mut out, &mut pending);
                out.copy(c, at);
            }
        }
    }
    flush(&mut out, &mut pending);
    out.finish(range, style)
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn flush(out: &mut Out, pending: &mut Vec<(char, usize)>) {
    for (c, at) in pending.drain(..) {
        out.copy(c, at);
    }
}

/// After a line break: skip the next line's leading white space and every blank line,
/// returning the offsets of the blank lines' breaks (each one is a `\n` of the value).
fn skip_blank_lines(chars: &mut Chars<'_>, base: usize) -> Vec<usize> {
    let mut breaks = Vec::new();
    loop {
        while chars.peek().is_some_and(|&(_, c)| c == ' ' || c == '\t') {
            chars.next();
        }
        match chars.peek().copied() {
            Some((i, '\r' | '\n')) => {
                if let Some((_, '\r')) = chars.next()
                    && chars.peek().is_some_and(|&(_, n)| n == '\n')
                {
                    chars.next();
                }
                breaks.push(base + i);
            }
            _ => return breaks,
        }
    }
}

/// A `\` escape of a double-quoted scalar (the backslash at `at` is consumed).
fn escape(out: &mut Out, chars: &mut Chars<'_>, at: usize, base: usize, errors: &mut Vec<ParseError>) {
    let Some((_, e)) = chars.next() else {
        out.copy('\\', at);
        return;
    };
    let simple = match e {
        '0' => Some('\0'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\u{b}'),
        'f' => Some('\u{c}'),
        'r' => Some('\r'),
        'e' => Some('\u{1b}'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(c) = simple {
        out.cook(c, at);
        return;
    }
    match e {
        '\r' | '\n' => {
            if e == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                chars.next();
            }
            // An escaped line break joins the lines; blank lines after it still count.
            for b in skip_blank_lines(chars, base) {
                out.cook('\n', b);
            }
        }
        'x' | 'u' | 'U' => {
            let len = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let mut code = 0u32;
            let mut ok = true;
            for _ in 0..len {
                let Some(d) = chars.peek().and_then(|&(_, c)| c.to_digit(16)) else {
                    ok = false;
                    break;
                };
                chars.next();
                code = code.saturating_mul(16).saturating_add(d);
            }
            if let Some(c) = char::from_u32(code).filter(|_| ok) {
                out.cook(c, at);
            } else {
                errors.push(ParseError::new(TextRange::new(at, at + 2), format!("invalid escape `\\{e}` in a double-quoted string: expected {len} hex digits")));
                out.cook('\u{fffd}', at);
            }
        }
        _ => {
            errors.push(ParseError::new(TextRange::new(at, at + 1 + e.len_utf8()), format!("invalid escape `\\{e}` in a double-quoted string")));
            out.copy('\\', at);
            out.copy(e, at + 1);
        }
    }
}

/// One line of a block scalar's body.
struct Line<'a> {
    start: usize,
    /// The line without its line break.
    text: &'a str,
    /// Where its line break is (`None` on the last line of the file).
    brk: Option<usize>,
}

fn lines_of(text: &str, from: usize, to: usize) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let body = text.get(from..to).unwrap_or("");
    let mut offset = from;
    for raw in body.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let (line, brk) = match raw.strip_suffix('\n') {
            Some(l) => match l.strip_suffix('\r') {
                Some(l2) => (l2, Some(start + l2.len())),
                None => (l, Some(start + l.len())),
            },
            None => (raw.strip_suffix('\r').unwrap_or(raw), None),
        };
        lines.push(Line { start, text: line, brk });
    }
    lines
}

/// A `|` or `>` block scalar at `range` (header to last content character); `parent_indent`
/// is the indentation of the node that holds it (for an explicit indentation indicator).
pub(crate) fn block(text: &str, range: TextRange, parent_indent: usize, errors: &mut Vec<ParseError>) -> Scalar {
    let raw = range.slice(text);
    let header_len = raw.find(['\n', '\r']).unwrap_or(raw.len());
    let header = raw.get(..header_len).unwrap_or("");
    let style = if header.starts_with('>') { ScalarStyle::Folded } else { ScalarStyle::Literal };
    let mut chomp = Chomp::Clip;
    let mut explicit: Option<usize> = None;
    for c in header.chars().skip(1) {
        match c {
            '-' => chomp = Chomp::Strip,
            '+' => chomp = Chomp::Keep,
            '1'..='9' => explicit = c.to_digit(10).map(|d| d as usize),
            ' ' | '\t' | '#' => break,
            _ => {
                errors.push(ParseError::new(TextRange::new(range.start(), range.start() + header.len()), format!("invalid block scalar header `{header}`: expected `|` or `>` with optional `-`, `+` or an indentation digit")));
                break;
            }
        }
    }
    // The body runs to the end of the last content line, its line break, and (to keep
    // trailing blank lines with `+`) the blank lines after it.
    let body_start = range.start() + header_len;
    let mut body_end = range.end();
    let rest = text.get(body_end..).unwrap_or("");
    if rest.starts_with("\r\n") {
        body_end += 2;
    } else if rest.starts_with('\n') {
        body_end += 1;
    }
    if chomp == Chomp::Keep {
        for l in text.get(body_end..).unwrap_or("").split_inclusive('\n') {
            if l.trim_matches([' ', '\r', '\n']).is_empty() && l.ends_with('\n') {
                body_end += l.len();
            } else {
                break;
            }
        }
    }
    // Skip the header's own line break.
    let mut lines = lines_of(text, body_start, body_end);
    if !lines.is_empty() {
        lines.remove(0);
    }
    let indent = explicit.map_or_else(
        || lines.iter().find(|l| !l.text.trim_start_matches(' ').is_empty()).map_or(0, |l| l.text.len() - l.text.trim_start_matches(' ').len()),
        |n| parent_indent + n,
    );
    let mut out = Out::default();
    let mut prev: Option<(bool, Option<usize>)> = None;
    let mut empties: Vec<usize> = Vec::new();
    for line in &lines {
        let spaces = line.text.len() - line.text.trim_start_matches(' ').len();
        if line.text.trim_start_matches(' ').is_empty() && spaces <= indent {
            empties.push(line.brk.unwrap_or(line.start + line.text.len()));
            continue;
        }
        let cut = indent.min(spaces);
        let content = line.text.get(cut..).unwrap_or("");
        let more = content.starts_with([' ', '\t']);
        match prev {
            None => {
                for &e in &empties {
                    out.cook('\n', e);
                }
            }
            Some((prev_more, prev_brk)) => {
                let at = prev_brk.unwrap_or(line.start);
                if style == ScalarStyle::Folded && !prev_more && !more {
                    if empties.is_empty() {
                        out.cook(' ', at);
                    }
                } else {
                    out.cook('\n', at);
                }
                for &e in &empties {
                    out.cook('\n', e);
                }
            }
        }
        let base = line.start + cut;
        for (i, c) in content.char_indices() {
            out.copy(c, base + i);
        }
        prev = Some((more, line.brk));
        empties.clear();
    }
    let last_break = prev.and_then(|(_, b)| b);
    match chomp {
        Chomp::Strip => {}
        Chomp::Clip => {
            if let Some(b) = last_break {
                out.cook('\n', b);
            }
        }
        Chomp::Keep => {
            if let Some(b) = last_break {
                out.cook('\n', b);
            }
            for &e in &empties {
                out.cook('\n', e);
            }
        }
    }
    out.finish(range, style)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow_value(src: &str, style: ScalarStyle) -> (String, Vec<String>) {
        let mut errors = Vec::new();
        let s = flow(src, TextRange::new(0, src.len()), style, &mut errors);
        (s.value, errors.into_iter().map(|e| e.message).collect())
    }

    fn block_value(src: &str) -> String {
        let mut errors = Vec::new();
        let end = src.trim_end_matches(['\n', ' ']).len();
        let s = block(src, TextRange::new(0, end), 0, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        s.value
    }

    #[test]
    fn flow_folding_and_escapes() {
        assert_eq!(flow_value("a b\n  c\n\n  d", ScalarStyle::Plain).0, "a b c\nd");
        assert_eq!(flow_value("'it''s \n x'", ScalarStyle::SingleQuoted).0, "it's x");
        assert_eq!(flow_value(r#""a\tb\x41\u00e9\"\\ c\
   d""#, ScalarStyle::DoubleQuoted).0, "a\tbAé\"\\ cd");
        let (v, errors) = flow_value(r#""bad \q""#, ScalarStyle::DoubleQuoted);
        assert_eq!(v, "bad \\q");
        assert_eq!(errors.len(), 1);
        assert_eq!(flow_value("\"  keep  \"", ScalarStyle::DoubleQuoted).0, "  keep  ");
        assert_eq!(flow_value("\"\"", ScalarStyle::DoubleQuoted).0, "");
        assert_eq!(flow_value("\"", ScalarStyle::DoubleQuoted).0, "");
    }

    #[test]
    fn block_styles() {
        assert_eq!(block_value(">\n  a\n  b\n\n  c\n"), "a b\nc\n");
        assert_eq!(block_value("|\n  a\n  b\n"), "a\nb\n");
        assert_eq!(block_value("|-\n  a\n"), "a");
        assert_eq!(block_value(">\n  a\n    more\n  b\n"), "a\n  more\nb\n");
        assert_eq!(block_value("|2\n    x\n"), "  x\n");
        assert_eq!(block_value(">\r\n  a\r\n  b\r\n"), "a b\n");
    }

    #[test]
    fn ranges_map_back() {
        let src = "'--workers 1'";
        let mut errors = Vec::new();
        let s = flow(src, TextRange::new(0, src.len()), ScalarStyle::SingleQuoted, &mut errors);
        assert_eq!(s.value_range().map(|r| r.slice(src)), Some("--workers 1"));
        assert_eq!(s.raw_range_of(10..11).map(|r| r.slice(src)), Some("1"));
        let esc = "\"a\\tb\"";
        let e = flow(esc, TextRange::new(0, esc.len()), ScalarStyle::DoubleQuoted, &mut errors);
        assert_eq!(e.raw_range_of(1..2), None);
        assert_eq!(e.raw_range_of(2..3).map(|r| r.slice(esc)), Some("b"));
        assert_eq!(e.sub(2..3).range.slice(esc), "b");
    }
}
