//! Every conversion between LSP positions and the engine's byte offsets, and between URIs
//! and paths. Positions count UTF-8 bytes or UTF-16 units, as negotiated; anything out of
//! range clamps to the nearest valid place, never panics.

use std::path::{Path, PathBuf};

use stacklint_text::{LineIndex, LspPosition, PositionEncoding, TextRange};
use tower_lsp_server::ls_types::{
    InitializeParams, Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent, Uri,
};

/// UTF-8 when the client offers it (LSP 3.17 `general.positionEncodings`), else UTF-16,
/// which every client must support.
pub fn negotiate(params: &InitializeParams) -> PositionEncoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_deref())
        .unwrap_or_default();
    if offered.contains(&PositionEncodingKind::UTF8) {
        PositionEncoding::Utf8
    } else {
        PositionEncoding::Utf16
    }
}

/// The encoding's name in `ServerCapabilities::position_encoding`.
pub fn encoding_kind(encoding: PositionEncoding) -> PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
    }
}

/// A text with its line index, for conversions in both directions.
#[derive(Clone, Copy)]
pub struct Text<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub encoding: PositionEncoding,
}

impl Text<'_> {
    pub fn position(&self, offset: usize) -> Position {
        let p = self.index.lsp_position(offset, self.text, self.encoding);
        Position::new(p.line, p.character)
    }

    pub fn range(&self, range: TextRange) -> Range {
        Range::new(self.position(range.start()), self.position(range.end()))
    }

    /// The byte offset of `position`: a column past the end of its line is the line's end,
    /// a line past the end of the text is the text's end.
    pub fn offset(&self, position: Position) -> usize {
        let p = LspPosition { line: position.line, character: position.character };
        self.index.lsp_offset(p, self.text, self.encoding)
    }

    pub fn text_range(&self, range: Range) -> TextRange {
        TextRange::new(self.offset(range.start), self.offset(range.end))
    }
}

/// Apply one `didChange` content change: a range replaced, or the whole text when the
/// change has no range. A reversed range is normalised, out-of-range ends clamp.
pub fn apply_change(
    text: &mut String,
    change: TextDocumentContentChangeEvent,
    encoding: PositionEncoding,
) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let index = LineIndex::new(text);
    let r = Text { text, index: &index, encoding }.text_range(range);
    text.replace_range(r.as_range(), &change.text);
}

/// The file a `file:` URI names; `None` for other schemes (`untitled:`, `git:`).
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let is_file = uri.scheme().as_str().eq_ignore_ascii_case("file");
    if !is_file {
        return None;
    }
    let path = uri.to_file_path()?.into_owned();
    path.is_absolute().then_some(path)
}

pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_clamp_and_count_units() {
        let s = "name = 'é😀'\nx\n";
        let index = LineIndex::new(s);
        let utf16 = Text { text: s, index: &index, encoding: PositionEncoding::Utf16 };
        let utf8 = Text { text: s, index: &index, encoding: PositionEncoding::Utf8 };
        let end_quote = s.rfind('\'').unwrap_or_default();
        assert_eq!(utf16.position(end_quote), Position::new(0, 11));
        assert_eq!(utf8.position(end_quote), Position::new(0, 14));
        assert_eq!(utf16.offset(Position::new(0, 11)), end_quote);
        // Past the line's end: the line's end; past the last line: the text's end.
        assert_eq!(utf16.offset(Position::new(0, 999)), s.find('\n').unwrap_or_default());
        assert_eq!(utf16.offset(Position::new(99, 0)), s.len());
        // Inside a surrogate pair: past the character, never a broken boundary.
        assert_eq!(utf16.offset(Position::new(0, 10)), end_quote);
    }

    #[test]
    fn incremental_changes_apply_and_clamp() {
        let mut text = "workers = 3\n".to_owned();
        let change = |line, from, to, new: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(line, from), Position::new(line, to))),
            range_length: None,
            text: new.to_owned(),
        };
        apply_change(&mut text, change(0, 10, 11, "9"), PositionEncoding::Utf16);
        assert_eq!(text, "workers = 9\n");
        apply_change(&mut text, change(7, 50, 60, "threads = 2\n"), PositionEncoding::Utf16);
        assert_eq!(text, "workers = 9\nthreads = 2\n");
        let reversed = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(0, 11), Position::new(0, 10))),
            range_length: None,
            text: "4".to_owned(),
        };
        apply_change(&mut text, reversed, PositionEncoding::Utf8);
        assert_eq!(text, "workers = 4\nthreads = 2\n");
    }
}
