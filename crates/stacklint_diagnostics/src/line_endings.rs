//! Line endings and the BOM around fixing: rules see `\n` and no BOM; the fixed file gets
//! back exactly what it had.
//!
//! [`normalize`] strips a UTF-8 BOM and turns `\r\n` and lone `\r` into `\n`.
//! [`LineEndings`] remembers what each `\n` was and follows the edits: a line an edit does
//! not touch keeps its ending; a line break an edit rewrites keeps the ending it had; a
//! line break an edit adds gets the ending of its neighbour (the last one the edit
//! replaced, else the line before an insertion at a line start, else the line it is
//! inserted into).

use std::borrow::Cow;

use crate::{Edit, applicable};

const BOM: char = '\u{feff}';

/// Whether the text has a BOM or a `\r`: anything [`normalize`] changes.
pub fn needs_normalizing(text: &str) -> bool {
    text.starts_with(BOM) || text.contains('\r')
}

/// Whether a `\r` not followed by `\n` occurs (an old Mac file, or a stray one).
pub fn has_lone_cr(text: &str) -> bool {
    text.match_indices('\r').any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
}

/// The text without a BOM, every line ended by `\n`.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if !needs_normalizing(text) {
        return Cow::Borrowed(text);
    }
    let body = text.strip_prefix(BOM).unwrap_or(text);
    Cow::Owned(lines(body).map(|(line, ending)| if ending.is_empty() { line.to_owned() } else { format!("{line}\n") }).collect())
}

/// The BOM and the ending of every `\n` of a [`normalize`]d text, kept up to date as
/// edits apply ([`LineEndings::apply`]) and put back with [`LineEndings::restore`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineEndings {
    bom: bool,
    /// One per `\n` of the normalized text, in order.
    endings: Vec<&'static str>,
    /// The file's most common ending, for a line break with no neighbour.
    dominant: &'static str,
}

impl LineEndings {
    /// What `original` has.
    pub fn of(original: &str) -> Self {
        let bom = original.starts_with(BOM);
        let body = original.strip_prefix(BOM).unwrap_or(original);
        let endings: Vec<&'static str> = lines(body).map(|(_, e)| e).filter(|e| !e.is_empty()).collect();
        let dominant = dominant(&endings);
        Self { bom, endings, dominant }
    }

    /// Apply `edits` to `text` (normalized) as [`apply_edits`](crate::apply_edits) does,
    /// following the line endings.
    pub fn apply<'a>(&mut self, text: &str, edits: impl IntoIterator<Item = &'a Edit>) -> String {
        let (applied, _) = applicable(text, edits);
        // Back to front, so the line numbers before each edit stay valid.
        for edit in applied.iter().rev() {
            let (s, e) = (edit.range.start(), edit.range.end());
            let before = text.get(..s).unwrap_or("");
            let line = before.matches('\n').count();
            let removed = text.get(s..e).unwrap_or("").matches('\n').count();
            let added = edit.content.matches('\n').count();
            let old: Vec<&'static str> = self.endings.get(line..line + removed).map(<[_]>::to_vec).unwrap_or_default();
            // Whole lines inserted before a line sit between it and the line before.
            let at_line_start = (s == 0 || before.ends_with('\n')) && edit.content.ends_with('\n');
            let neighbour = old
                .last()
                .copied()
                .or_else(|| if at_line_start { line.checked_sub(1).and_then(|l| self.endings.get(l)).copied() } else { None })
                .or_else(|| self.endings.get(line).copied())
                .or_else(|| line.checked_sub(1).and_then(|l| self.endings.get(l)).copied())
                .unwrap_or(self.dominant);
            let new: Vec<&'static str> = (0..added).map(|i| old.get(i).copied().unwrap_or(neighbour)).collect();
            let end = (line + removed).min(self.endings.len());
            let start = line.min(end);
            self.endings.splice(start..end, new);
        }
        crate::apply_edits(text, applied).0
    }

    /// `normalized` with the BOM and line endings put back.
    pub fn restore(&self, normalized: &str) -> String {
        let mut out = String::with_capacity(normalized.len() + self.endings.len() + 3);
        if self.bom {
            out.push(BOM);
        }
        let mut endings = self.endings.iter();
        for piece in normalized.split_inclusive('\n') {
            match piece.strip_suffix('\n') {
                Some(line) => {
                    out.push_str(line);
                    out.push_str(endings.next().copied().unwrap_or(self.dominant));
                }
                None => out.push_str(piece),
            }
        }
        out
    }
}

/// The lines of `text`, each with its ending (`"\r\n"`, `"\r"`, `"\n"`, or `""` for an
/// unterminated last line).
fn lines(text: &str) -> impl Iterator<Item = (&str, &'static str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(i) = rest.find(['\r', '\n']) else {
            let line = rest;
            rest = "";
            return Some((line, ""));
        };
        let (line, tail) = rest.split_at(i);
        let ending = if tail.starts_with("\r\n") {
            "\r\n"
        } else if tail.starts_with('\r') {
            "\r"
        } else {
            "\n"
        };
        rest = tail.get(ending.len()..).unwrap_or("");
        Some((line, ending))
    })
}

/// The most common line ending (`\n` on a tie or with none).
fn dominant(endings: &[&'static str]) -> &'static str {
    let count = |e: &str| endings.iter().filter(|x| **x == e).count();
    let (crlf, cr, lf) = (count("\r\n"), count("\r"), count("\n"));
    if crlf > lf && crlf >= cr {
        "\r\n"
    } else if cr > lf && cr > crlf {
        "\r"
    } else {
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TextRange;

    /// Fix `text` the way the fixer does: normalize, apply edits made against the
    /// normalized text (found by `find`), restore.
    fn fix(text: &str, edits: &[(&str, &str)]) -> String {
        let normal = normalize(text).into_owned();
        let mut endings = LineEndings::of(text);
        let edits: Vec<Edit> = edits
            .iter()
            .map(|(find, with)| {
                let (needle, insert) = find.strip_prefix('^').map_or((*find, false), |n| (n, true));
                let at = normal.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {normal:?}"));
                let range = if insert { TextRange::empty(at) } else { TextRange::new(at, at + needle.len()) };
                Edit::replace("f", range, *with)
            })
            .collect();
        let fixed = endings.apply(&normal, &edits);
        endings.restore(&fixed)
    }

    #[test]
    fn crlf_lines_keep_crlf_and_added_lines_get_it() {
        let out = fix("workers = 3\r\nbind = \"x\"\r\n", &[("3", "9"), ("^bind", "max_requests = 1000\n")]);
        assert_eq!(out, "workers = 9\r\nmax_requests = 1000\r\nbind = \"x\"\r\n");
    }

    #[test]
    fn cr_only_files_lose_no_line() {
        let text = "import os\rworkers = 2\rbind = \"0.0.0.0:8000\"\rmax_requests = 1000\r";
        assert_eq!(normalize(text), "import os\nworkers = 2\nbind = \"0.0.0.0:8000\"\nmax_requests = 1000\n");
        let out = fix(text, &[("workers = 2\n", ""), ("max_requests = 1000\n", "max_requests = 1000\nmax_requests_jitter = 50\n")]);
        assert_eq!(out, "import os\rbind = \"0.0.0.0:8000\"\rmax_requests = 1000\rmax_requests_jitter = 50\r");
    }

    #[test]
    fn mixed_files_keep_each_line_ending() {
        let text = "FROM python:3.12\r\nRUN pip install x\nCMD gunicorn app.wsgi\r\n";
        let out = fix(text, &[("^RUN", "ENV PYTHONUNBUFFERED=1\n"), ("install x", "install --no-cache-dir x"), ("gunicorn app.wsgi", "[\"gunicorn\", \"app.wsgi\"]")]);
        assert_eq!(out, "FROM python:3.12\r\nENV PYTHONUNBUFFERED=1\r\nRUN pip install --no-cache-dir x\nCMD [\"gunicorn\", \"app.wsgi\"]\r\n");
        // Joining two lines keeps the first's break; an insertion inside a line takes its ending.
        assert_eq!(fix("a\r\nb\nc\r\n", &[("a\nb", "ab")]), "ab\nc\r\n");
        assert_eq!(fix("a\r\nb\nc\r\n", &[("c", "c\nd")]), "a\r\nb\nc\r\nd\r\n");
        assert_eq!(fix("a\r\nb\nc\r\n", &[("b", "b\nx")]), "a\r\nb\nx\nc\r\n");
    }

    #[test]
    fn a_bom_is_kept_and_shifts_nothing() {
        let text = "\u{feff}workers = 2\nmax_requests = 1000\n";
        assert_eq!(normalize(text).find('2'), Some(10), "offsets as if there were no BOM");
        assert_eq!(fix(text, &[("2", "9")]), "\u{feff}workers = 9\nmax_requests = 1000\n");
        // No final newline stays none; a file of `\n` is untouched.
        assert_eq!(fix("a\r\nb", &[("b", "B")]), "a\r\nB");
        assert_eq!(fix("plain\n", &[("plain\n", "plain\nx\n")]), "plain\nx\n");
        assert_eq!(fix("a\r\n", &[("a\n", "a\nb")]), "a\r\nb");
    }
}
