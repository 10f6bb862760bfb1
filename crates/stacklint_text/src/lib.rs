//! Byte ranges and positions.
//!
//! The core of stacklint works in byte offsets; rows and columns exist only here, in
//! the [`LineIndex`]. Rows are 1-based, columns are 1-based and count Unicode scalar
//! values (what users and the JSON output see); UTF-16 columns exist for the LSP.

use std::fmt;
use std::ops::Range;

/// A half-open byte range `start..end` into one file's text.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextRange {
    start: u32,
    end: u32,
}

impl TextRange {
    /// A range from `start` to `end`; a reversed pair is normalised rather than rejected.
    pub fn new(start: usize, end: usize) -> Self {
        let (s, e) = if start <= end { (start, end) } else { (end, start) };
        Self { start: clamp_u32(s), end: clamp_u32(e) }
    }

    /// The empty range at `offset`, where an insertion goes.
    pub fn empty(offset: usize) -> Self {
        Self::new(offset, offset)
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest range that covers both.
    #[must_use]
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start() <= offset && offset < self.end()
    }

    /// Whether the two ranges share at least one byte (or are the same insertion point).
    pub fn overlaps(self, other: TextRange) -> bool {
        if self.is_empty() || other.is_empty() {
            return self.start < other.end && other.start < self.end || self == other;
        }
        self.start < other.end && other.start < self.end
    }

    /// The range moved forward by `by` bytes (a range of a sub-slice made absolute).
    #[must_use]
    pub fn shift(self, by: usize) -> TextRange {
        TextRange::new(self.start() + by, self.end() + by)
    }

    /// The text this range covers, or `""` when it does not fit `text`.
    pub fn slice(self, text: &str) -> &str {
        text.get(self.start()..self.end()).unwrap_or("")
    }

    pub fn as_range(self) -> Range<usize> {
        self.start()..self.end()
    }
}

fn clamp_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<Range<usize>> for TextRange {
    fn from(r: Range<usize>) -> Self {
        TextRange::new(r.start, r.end)
    }
}

/// A 1-based row and column, the column counted in Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceLocation {
    pub row: usize,
    pub column: usize,
}

/// A 0-based line and UTF-16 (or UTF-8) column, as the LSP counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LspPosition {
    pub line: u32,
    pub character: u32,
}

/// How the LSP client counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    Utf16,
}

/// Where each line starts, for offset ↔ row/column conversions.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // `\n`, `\r\n` and a lone `\r` end a line (as editors and the LSP count).
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                line_starts.push(i + 1);
            }
        }
        Self { line_starts, len: text.len() }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line that holds `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// The byte offset where 0-based `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte range of 0-based `line`, without its line terminator.
    pub fn line_range(&self, line: usize, text: &str) -> TextRange {
        let start = self.line_start(line);
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        TextRange::new(start, end)
    }

    /// Row and column (1-based, columns in chars) of `offset` in `text`.
    pub fn location(&self, offset: usize, text: &str) -> SourceLocation {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count());
        SourceLocation { row: line + 1, column: column + 1 }
    }

    /// The byte offset of a 1-based row and char column, clamped to the text.
    pub fn offset(&self, loc: SourceLocation, text: &str) -> usize {
        let line = loc.row.saturating_sub(1);
        let start = self.line_start(line);
        let end = self.line_range(line, text).end();
        let line_text = text.get(start..end).unwrap_or("");
        let col = loc.column.saturating_sub(1);
        start + line_text.char_indices().nth(col).map_or(line_text.len(), |(i, _)| i)
    }

    /// The LSP position of `offset` in the given encoding.
    pub fn lsp_position(&self, offset: usize, text: &str, enc: PositionEncoding) -> LspPosition {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let prefix = text.get(start..offset).unwrap_or("");
        let character = match enc {
            PositionEncoding::Utf8 => prefix.len(),
            PositionEncoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        LspPosition { line: clamp_u32(line), character: clamp_u32(character) }
    }

    /// The byte offset of an LSP position, clamped to its line.
    pub fn lsp_offset(&self, pos: LspPosition, text: &str, enc: PositionEncoding) -> usize {
        let line = pos.line as usize;
        if line >= self.line_count() {
            return text.len();
        }
        let range = self.line_range(line, text);
        let line_text = range.slice(text);
        let want = pos.character as usize;
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units >= want {
                return range.start() + i;
            }
            units += match enc {
                PositionEncoding::Utf8 => c.len_utf8(),
                PositionEncoding::Utf16 => c.len_utf16(),
            };
        }
        range.end()
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while o > 0 && !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// The indentation (leading spaces and tabs) of the line holding `offset`.
pub fn indentation_at(text: &str, offset: usize) -> &str {
    let offset = floor_char_boundary(text, offset);
    let start = text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let rest = text.get(start..).unwrap_or("");
    let end = rest.find(|c: char| c != ' ' && c != '\t').unwrap_or(rest.len());
    rest.get(..end).unwrap_or("")
}

/// The line ending a file uses (`"\r\n"` when its first line ends that way).
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
        _ => "\n",
    }
}

// --- suggest: "did you mean ...?" -------------------------------------------------

/// The candidate closest to `word`, when it is close enough to be what the user meant.
///
/// Case and `_`/`-` do not count (`extend_select` finds `extend-select`, `Select` finds
/// `select`, `max-requests` finds `max_requests`); otherwise the optimal string alignment
/// distance (a swap of two neighbours counts once) must be at most a third of the
/// candidate's length, and 1 is always allowed. Ties go to the first candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let normalize = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let norm = normalize(word);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = edit_distance(&norm, &normalize(c));
        if d == 0 {
            return Some(c);
        }
        if d <= (c.chars().count() / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for transpositions), previous, current.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let up = prev.get(j + 1).copied().unwrap_or(usize::MAX - 1) + 1;
            let left = cur.get(j).copied().unwrap_or(usize::MAX - 1) + 1;
            let diag = prev.get(j).copied().unwrap_or(usize::MAX - 1) + cost;
            let mut d = up.min(left).min(diag);
            let swapped = i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca);
            if swapped && let Some(t) = prev2.get(j - 1) {
                d = d.min(t + 1);
            }
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = d;
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_chars_not_bytes() {
        let text = "a\nwéb: 1\n";
        let idx = LineIndex::new(text);
        let off = text.find(':').unwrap();
        assert_eq!(idx.location(off, text), SourceLocation { row: 2, column: 4 });
        assert_eq!(idx.offset(SourceLocation { row: 2, column: 4 }, text), off);
    }

    #[test]
    fn utf16_positions_round_trip() {
        let text = "x = '😀'\ny\n";
        let idx = LineIndex::new(text);
        let off = text.find('\'').unwrap() + 1 + '😀'.len_utf8();
        let p = idx.lsp_position(off, text, PositionEncoding::Utf16);
        assert_eq!(p, LspPosition { line: 0, character: 7 });
        assert_eq!(idx.lsp_offset(p, text, PositionEncoding::Utf16), off);
        let p8 = idx.lsp_position(off, text, PositionEncoding::Utf8);
        assert_eq!(p8.character, 9);
    }

    #[test]
    fn a_lone_cr_ends_a_line() {
        let text = "a\rb\r\nc\nd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.location(text.find('b').unwrap(), text), SourceLocation { row: 2, column: 1 });
        assert_eq!(idx.location(text.find('d').unwrap(), text), SourceLocation { row: 4, column: 1 });
        assert_eq!(idx.line_range(0, text).slice(text), "a");
    }

    #[test]
    fn end_of_text_and_crlf() {
        let text = "a\r\nb";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_range(0, text), TextRange::new(0, 1));
        assert_eq!(idx.location(text.len(), text), SourceLocation { row: 2, column: 2 });
        assert_eq!(line_ending(text), "\r\n");
        assert_eq!(indentation_at("x\n    y", 6), "    ");
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("selct", "select"), 1);
        assert_eq!(edit_distance("memroy", "memory"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
        let keys = ["select", "ignore", "extend-select", "exclude", "target"];
        assert_eq!(closest("selct", keys), Some("select"));
        assert_eq!(closest("extend_select", keys), Some("extend-select"));
        assert_eq!(closest("Ignore", keys), Some("ignore"));
        assert_eq!(closest("excludes", keys), Some("exclude"));
        assert_eq!(closest("workers", keys), None);
        assert_eq!(closest("cpu", ["cpus", "memory", "storage"]), Some("cpus"));
        assert_eq!(closest("max-request", ["max_requests", "workers"]), Some("max_requests"));
    }

    #[test]
    fn overlap_rules() {
        let a = TextRange::new(0, 5);
        assert!(a.overlaps(TextRange::new(4, 6)));
        assert!(!a.overlaps(TextRange::new(5, 6)));
        assert!(TextRange::empty(3).overlaps(TextRange::empty(3)));
        assert!(!TextRange::empty(5).overlaps(a));
    }
}
