//! [`ShellText`]: text joined from pieces of the source, with the way back.

use std::fmt;

use stacklint_text::TextRange;

/// Text assembled from one or more pieces of the source: an instruction's lines joined
/// with their line continuations, inner comment lines and blank lines removed, the way
/// BuildKit joins them. Offsets into [`ShellText::as_str`] are *logical* offsets;
/// [`ShellText::source_range`] maps them back to bytes of the original file.
///
/// ```
/// use stacklint_syntax::dockerfile::parse;
/// use stacklint_text::TextRange;
///
/// let src = "RUN apt-get update \\\n    # refresh first\n && apt-get install -y curl\n";
/// let df = parse(src).tree;
/// let sh = df.instructions[0].shell_text().unwrap();
/// assert_eq!(sh.as_str(), "apt-get update  && apt-get install -y curl");
/// let at = sh.as_str().find("curl").unwrap();
/// let range = sh.source_range(TextRange::new(at, at + 4));
/// assert_eq!(range.slice(src), "curl");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ShellText {
    text: String,
    pieces: Vec<Piece>,
    /// Where an empty text sits in the source.
    anchor: usize,
}

/// `len` bytes at logical offset `logical` come from source offset `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    logical: usize,
    source: usize,
    len: usize,
}

impl ShellText {
    /// An empty text anchored at source offset `anchor`.
    pub(crate) fn new(anchor: usize) -> Self {
        Self { text: String::new(), pieces: Vec::new(), anchor }
    }

    /// Appends `piece`, which is the source text at `source_start`.
    pub(crate) fn push(&mut self, piece: &str, source_start: usize) {
        if piece.is_empty() {
            return;
        }
        self.pieces.push(Piece { logical: self.text.len(), source: source_start, len: piece.len() });
        self.text.push_str(piece);
    }

    /// The logical text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The source range from the first to the last byte of this text (continuation
    /// lines and inner comments included); an empty range at its anchor when empty.
    pub fn range(&self) -> TextRange {
        match (self.pieces.first(), self.pieces.last()) {
            (Some(first), Some(last)) => TextRange::new(first.source, last.source + last.len),
            _ => TextRange::empty(self.anchor),
        }
    }

    /// The source ranges the text was copied from, in order: editing inside one of them
    /// never touches a continuation or a comment line.
    pub fn source_pieces(&self) -> impl Iterator<Item = TextRange> + '_ {
        self.pieces.iter().map(|p| TextRange::new(p.source, p.source + p.len))
    }

    /// The source offset of logical offset `logical` (a position before a character;
    /// at a piece boundary, the start of the next piece).
    pub fn source_offset(&self, logical: usize) -> usize {
        let idx = self.pieces.partition_point(|p| p.logical <= logical);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(p) => p.source + (logical - p.logical).min(p.len),
            None => self.anchor,
        }
    }

    /// The source offset where a logical range ending at `logical` ends (at a piece
    /// boundary, the end of the previous piece).
    fn source_end(&self, logical: usize) -> usize {
        let idx = self.pieces.partition_point(|p| p.logical < logical);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(p) => p.source + (logical - p.logical).min(p.len),
            None => self.source_offset(logical),
        }
    }

    /// The source byte range of the logical range `logical`. A range that crosses a
    /// continuation covers the continuation too; an empty range stays empty.
    pub fn source_range(&self, logical: TextRange) -> TextRange {
        let start = self.source_offset(logical.start());
        if logical.is_empty() {
            return TextRange::empty(start);
        }
        TextRange::new(start, self.source_end(logical.end()).max(start))
    }

    /// The logical range `start..end` as a text of its own (offsets rebased to 0).
    pub(crate) fn slice(&self, start: usize, end: usize) -> ShellText {
        let end = end.min(self.text.len());
        let start = start.min(end);
        let mut out = ShellText::new(self.source_offset(start));
        self.text.get(start..end).unwrap_or("").clone_into(&mut out.text);
        let first = self.pieces.partition_point(|p| p.logical + p.len <= start);
        for p in self.pieces.iter().skip(first) {
            if p.logical >= end {
                break;
            }
            let s = p.logical.max(start);
            let e = (p.logical + p.len).min(end);
            if e > s {
                out.pieces.push(Piece { logical: s - start, source: p.source + (s - p.logical), len: e - s });
            }
        }
        out
    }
}

impl fmt::Debug for ShellText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} @ {:?}", self.text, self.range())
    }
}

impl fmt::Display for ShellText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_across_pieces() {
        // "ab\\\n  cd" -> pieces "ab" @0 and "  cd" @4
        let mut t = ShellText::new(0);
        t.push("ab", 0);
        t.push("  cd", 4);
        assert_eq!(t.as_str(), "ab  cd");
        assert_eq!(t.source_range(TextRange::new(0, 2)), TextRange::new(0, 2));
        assert_eq!(t.source_range(TextRange::new(2, 6)), TextRange::new(4, 8));
        assert_eq!(t.source_range(TextRange::new(1, 3)), TextRange::new(1, 5));
        assert_eq!(t.source_range(TextRange::empty(2)), TextRange::empty(4));
        let s = t.slice(1, 5);
        assert_eq!(s.as_str(), "b  c");
        assert_eq!(s.range(), TextRange::new(1, 7));
        assert_eq!(s.source_range(TextRange::new(3, 4)), TextRange::new(6, 7));
        assert_eq!(t.slice(6, 6).range(), TextRange::empty(8));
    }
}
