//! The nginx tokenizer: a byte-level port of `ngx_conf_read_token`'s rules.
//!
//! Words end at whitespace, `;` and `{` (a `}` inside a word is part of it, as in nginx);
//! `#` starts a comment only where a word could start; quotes are only special at the
//! start of a word; a backslash keeps the next byte in the word; `${` does not end a word.

use stacklint_text::TextRange;

use super::{Quote, Word};
use crate::ParseError;

#[derive(Clone, Debug)]
pub(crate) enum Token {
    Word(Word),
    Semicolon(TextRange),
    Open(TextRange),
    Close(TextRange),
    Comment(TextRange),
    /// After an unterminated quote: end the directive in progress here (the error is
    /// already reported).
    Recover,
}

pub(crate) struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    recover: bool,
    pub(crate) errors: Vec<ParseError>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            recover: false,
            errors: Vec::new(),
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        self.errors
            .push(ParseError::new(TextRange::new(start, end), message));
    }

    /// The next token, or `None` at the end of the text.
    pub(crate) fn next_token(&mut self) -> Option<Token> {
        if std::mem::take(&mut self.recover) {
            return Some(Token::Recover);
        }
        while let Some(b) = self.byte(self.pos) {
            if is_space(b) {
                self.pos += 1;
                continue;
            }
            let start = self.pos;
            return Some(match b {
                b';' => {
                    self.pos += 1;
                    Token::Semicolon(TextRange::new(start, start + 1))
                }
                b'{' => {
                    self.pos += 1;
                    Token::Open(TextRange::new(start, start + 1))
                }
                b'}' => {
                    self.pos += 1;
                    Token::Close(TextRange::new(start, start + 1))
                }
                b'#' => {
                    let end = self.line_end(start);
                    self.pos = end;
                    Token::Comment(TextRange::new(start, end))
                }
                b'"' | b'\'' => Token::Word(self.quoted_word(start, b)),
                _ => Token::Word(self.bare_word(start)),
            });
        }
        None
    }

    /// The offset of the next `\n` at or after `from` (or the end of the text).
    fn line_end(&self, from: usize) -> usize {
        self.bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.bytes.len(), |i| from + i)
    }

    fn quoted_word(&mut self, start: usize, quote: u8) -> Word {
        let mut i = start + 1;
        let mut close = None;
        while let Some(b) = self.byte(i) {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == quote {
                close = Some(i);
                break;
            }
            i += 1;
        }
        let kind = if quote == b'"' {
            Quote::Double
        } else {
            Quote::Single
        };
        let Some(close) = close else {
            // Unterminated: nginx reads to the end of the file. Recover at the end of the
            // line the quote opened on, so the rest of the file still parses.
            let end = self.line_end(start);
            self.error(
                start,
                end,
                format!("unterminated {} string", kind.describe()),
            );
            self.pos = end;
            self.recover = true;
            let inner = self.slice((start + 1).min(end), end);
            return Word::new(
                TextRange::new(start, end),
                self.slice(start, end),
                unescape(inner),
                Some(kind),
            );
        };
        let end = close + 1;
        self.pos = end;
        // nginx wants a space, `;`, `{` or `)` right after the closing quote.
        match self.byte(end) {
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b')') => {}
            Some(b) => {
                let shown = self
                    .text
                    .get(end..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or(char::from(b));
                let len = shown.len_utf8();
                self.error(
                    end,
                    end + len,
                    format!("unexpected `{shown}` after a quoted string: nginx needs a space"),
                );
            }
        }
        Word::new(
            TextRange::new(start, end),
            self.slice(start, end),
            unescape(self.slice(start + 1, close)),
            Some(kind),
        )
    }

    fn bare_word(&mut self, start: usize) -> Word {
        let mut i = start;
        let mut warned = false;
        while let Some(b) = self.byte(i) {
            match b {
                b'\\' => {
                    i = (i + 2).min(self.bytes.len());
                }
                b'$' if self.byte(i + 1) == Some(b'{') => {
                    i += 2;
                }
                b'{' if i > start => {
                    if let Some(len) = self.quantifier_len(i) {
                        if !warned {
                            warned = true;
                            self.error(
                                i,
                                i + len,
                                "nginx ends a word at `{`: quote a regex that has `{n,m}` in it",
                            );
                        }
                        i += len;
                        continue;
                    }
                    break;
                }
                _ if is_space(b) || b == b';' || b == b'{' => break,
                _ => i += 1,
            }
        }
        // Never split a multi-byte character: a backslash before one keeps it whole.
        while i < self.bytes.len() && !self.text.is_char_boundary(i) {
            i += 1;
        }
        self.pos = i;
        let raw = self.slice(start, i);
        Word::new(TextRange::new(start, i), raw, unescape(raw), None)
    }

    /// The length of a regex quantifier `{n}`, `{n,}`, `{n,m}` starting at `at`, if any.
    fn quantifier_len(&self, at: usize) -> Option<usize> {
        let rest = self.bytes.get(at + 1..)?;
        let mut digits = 0;
        let mut comma = false;
        for (k, &b) in rest.iter().enumerate().take(24) {
            match b {
                b'0'..=b'9' => digits += 1,
                b',' if !comma && digits > 0 => comma = true,
                b'}' if digits > 0 => return Some(k + 2),
                _ => return None,
            }
        }
        None
    }

    /// Reads an opaque `*_by_lua_block` body after its `{`: Lua code with balanced
    /// braces, where braces in strings and comments do not count. Returns the body range
    /// and the closing brace range (`None` when the text ends first).
    pub(crate) fn lua_body(&mut self, open: TextRange) -> (TextRange, Option<TextRange>) {
        let body_start = open.end();
        let mut i = body_start;
        let mut depth = 1usize;
        while let Some(b) = self.byte(i) {
            match b {
                b'{' => {
                    depth += 1;
                    i += 1;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return (
                            TextRange::new(body_start, i),
                            Some(TextRange::new(i, i + 1)),
                        );
                    }
                    i += 1;
                }
                b'"' | b'\'' => {
                    i += 1;
                    while let Some(c) = self.byte(i) {
                        i += 1;
                        if c == b'\\' {
                            i += 1;
                        } else if c == b || c == b'\n' {
                            break;
                        }
                    }
                }
                b'-' if self.byte(i + 1) == Some(b'-') => {
                    i += 2;
                    if let Some(end) = self.long_bracket_end(i) {
                        i = end;
                    } else {
                        i = self.line_end(i);
                    }
                }
                b'[' => {
                    if let Some(end) = self.long_bracket_end(i) {
                        i = end;
                    } else {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        let end = self.bytes.len().min(i);
        self.pos = end;
        self.error(
            open.start(),
            open.end(),
            "unexpected end of file in a Lua block, expecting `}`",
        );
        (TextRange::new(body_start, end), None)
    }

    /// When a Lua long bracket `[[`, `[==[` opens at `at`, the offset after its closing
    /// bracket (or the end of the text).
    fn long_bracket_end(&self, at: usize) -> Option<usize> {
        if self.byte(at) != Some(b'[') {
            return None;
        }
        let mut level = 0;
        let mut k = at + 1;
        while self.byte(k) == Some(b'=') {
            level += 1;
            k += 1;
        }
        if self.byte(k) != Some(b'[') {
            return None;
        }
        let mut close = Vec::with_capacity(level + 2);
        close.push(b']');
        close.extend(std::iter::repeat_n(b'=', level));
        close.push(b']');
        let body = self.bytes.get(k + 1..)?;
        Some(
            body.windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(self.bytes.len(), |p| k + 1 + p + close.len()),
        )
    }
}

/// nginx's unescaping of a word: `\"`, `\'` and `\\` lose the backslash, `\t`, `\r`,
/// `\n` become control characters, any other backslash stays.
pub(crate) fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some(q @ ('"' | '\'' | '\\')) => {
                chars.next();
                out.push(q);
            }
            Some('t') => {
                chars.next();
                out.push('\t');
            }
            Some('r') => {
                chars.next();
                out.push('\r');
            }
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            _ => out.push('\\'),
        }
    }
    out
}
