//! `nginx -T` dumps: the concatenated files, each after a `# configuration file PATH:`
//! line. Split a dump into its files to parse and lint each on its own.

use stacklint_text::TextRange;

const HEADER: &str = "# configuration file ";

/// One file of an `nginx -T` dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpSection<'a> {
    /// The path nginx printed.
    pub path: &'a str,
    /// The `# configuration file PATH:` line (without its newline).
    pub header: TextRange,
    /// The file's text: from the line after the header to the next header.
    pub text: &'a str,
    /// Where `text` starts in the dump: add it to ranges parsed from `text`.
    pub offset: usize,
}

impl DumpSection<'_> {
    /// The section's text range in the dump.
    pub fn range(&self) -> TextRange {
        TextRange::new(self.offset, self.offset + self.text.len())
    }
}

/// Whether `text` looks like `nginx -T` output (has at least one file header).
pub fn is_dump(text: &str) -> bool {
    lines(text).any(|(_, line)| header_path(line).is_some())
}

/// Splits an `nginx -T` dump into its files, in order. Text before the first header
/// (nginx's "syntax is ok" lines) belongs to no section; a text with no header gives
/// no sections.
pub fn split_dump(text: &str) -> Vec<DumpSection<'_>> {
    let mut headers: Vec<(usize, usize, &str)> = Vec::new(); // line start, line end, path
    for (start, line) in lines(text) {
        if let Some(path) = header_path(line) {
            headers.push((start, start + line.len(), path));
        }
    }
    let mut sections = Vec::with_capacity(headers.len());
    for (i, &(start, end, path)) in headers.iter().enumerate() {
        let body_start = if text.as_bytes().get(end) == Some(&b'\n') {
            end + 1
        } else {
            end
        };
        let body_end = headers
            .get(i + 1)
            .map_or(text.len(), |h| h.0)
            .max(body_start);
        sections.push(DumpSection {
            path,
            header: TextRange::new(start, end),
            text: text.get(body_start..body_end).unwrap_or(""),
            offset: body_start,
        });
    }
    sections
}

/// Each line with its start offset, without the `\n` (a trailing `\r` is kept).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split('\n').map(move |line| {
        let start = offset;
        offset += line.len() + 1;
        (start, line)
    })
}

fn header_path(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let path = line.strip_prefix(HEADER)?.strip_suffix(':')?;
    (!path.is_empty()).then_some(path)
}
