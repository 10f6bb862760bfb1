//! POSIX-ish shell words, for command lines in scripts, Procfiles, compose `command:`
//! strings and Dockerfile shell forms.
//!
//! [`split`] turns text into [`Token`]s: words (with their unquoted value and the byte
//! range of their raw text) and operators (`&&`, `||`, `;`, `|`, `&`, newlines,
//! parentheses, redirections). Quotes and `\` escapes are removed from a word's value;
//! expansions (`$VAR`, `${VAR:-default}`, `$(...)`, `` `...` ``) stay raw in the value and
//! set [`Word::has_expansion`]. Backslash-newline continuations are joined, comments and
//! here-document bodies skipped. Unterminated quotes are errors; the lexer never panics.
//!
//! On top of the tokens: [`simple_commands`] splits them into simple commands and
//! [`find_commands`] finds the invocations of a program, looking through `exec`, `env`,
//! leading `A=b` assignments, common wrappers (`nohup`, `uv run`, `ddtrace-run`, ...),
//! `python -m NAME`, and `sh -c "..."` / `bash -c '...'` (the inner string is parsed
//! again and its word ranges mapped back to the outer text).
//!
//! ```
//! use stacklint_syntax::shell;
//! let src = "GUNICORN_CMD_ARGS='-w 3' exec gunicorn app:app --workers=4 && echo done";
//! let parsed = shell::split(src);
//! assert!(parsed.errors.is_empty());
//! let found = shell::find_commands(&parsed.tree, "gunicorn");
//! let inv = &found[0];
//! assert_eq!(inv.env[0].value, "GUNICORN_CMD_ARGS=-w 3");
//! assert_eq!(inv.args.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(), ["app:app", "--workers=4"]);
//! // the `4` of `--workers=4`, as a range of the source text
//! let four = inv.args[1].raw_range_of(10..11).unwrap();
//! assert_eq!(four.slice(src), "4");
//! ```

use stacklint_text::TextRange;

use crate::{ParseError, Parsed};

/// A shell word: its value with quotes and escapes removed, and where its raw text is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The unquoted value; expansions (`$X`, `${X:-d}`, `$(..)`) are kept as written.
    pub value: String,
    /// The raw text of the word in the source, quotes included.
    pub range: TextRange,
    /// The word contains a parameter, command or arithmetic expansion (or a template).
    pub has_expansion: bool,
    /// Some part of the word was quoted or escaped.
    pub quoted: bool,
    /// For each byte of `value`, the source offset it was read from.
    map: OffsetMap,
}

/// Where each byte of a word's value was read from. Most words are written as they are
/// (no quote or escape), so their map is one run; a table only when it is not.
#[derive(Clone, Debug, PartialEq, Eq)]
enum OffsetMap {
    /// Byte `i` was read at `start + i`.
    Run(u32),
    /// Byte `i` was read at `table[i]`.
    Table(Vec<u32>),
}

impl OffsetMap {
    /// The map of a value read at `offsets`, as a run when they are contiguous.
    fn from_offsets(offsets: Vec<u32>) -> Self {
        let contiguous = offsets.windows(2).all(|w| matches!(w, [a, b] if a.checked_add(1) == Some(*b)));
        match offsets.first() {
            None => OffsetMap::Run(0),
            Some(&start) if contiguous => OffsetMap::Run(start),
            Some(_) => OffsetMap::Table(offsets),
        }
    }

    /// The offset of byte `i` of a value of `len` bytes.
    fn get(&self, i: usize, len: usize) -> Option<u32> {
        match self {
            OffsetMap::Run(start) => (i < len).then(|| start.saturating_add(clamp(i))),
            OffsetMap::Table(t) => t.get(i).copied(),
        }
    }
}

impl Word {
    /// A word whose value is exactly its raw text starting at `start` (no quotes).
    pub fn verbatim(value: impl Into<String>, start: usize) -> Self {
        let value = value.into();
        let map = OffsetMap::Run(if value.is_empty() { 0 } else { clamp(start) });
        let range = TextRange::new(start, start + value.len());
        Self { value, range, has_expansion: false, quoted: false, map }
    }

    /// A word read from a quoted string whose content (no escapes inside) starts at
    /// `content_start`, e.g. a JSON array element `"--workers"`: `range` covers the
    /// quotes, the value maps byte for byte from `content_start`.
    pub fn quoted_verbatim(value: impl Into<String>, range: TextRange, content_start: usize) -> Self {
        let value = value.into();
        let map = OffsetMap::Run(if value.is_empty() { 0 } else { clamp(content_start) });
        Self { value, range, has_expansion: false, quoted: true, map }
    }

    /// A word with an explicit offset map: `map[i]` is the source offset of value byte `i`.
    /// A map of the wrong length is replaced by "every byte at `range.start()`".
    pub fn with_map(value: impl Into<String>, range: TextRange, map: Vec<usize>) -> Self {
        let value = value.into();
        let map = OffsetMap::from_offsets(if map.len() == value.len() { map.into_iter().map(clamp).collect() } else { vec![clamp(range.start()); value.len()] });
        Self { value, range, has_expansion: false, quoted: false, map }
    }

    /// The raw text of the word in `source`.
    pub fn raw<'s>(&self, source: &'s str) -> &'s str {
        self.range.slice(source)
    }

    /// Whether the value is exactly the raw text (no quotes, escapes or joined lines).
    pub fn is_verbatim(&self) -> bool {
        self.value.len() == self.range.len() && self.map.get(0, self.value.len()).is_none_or(|s| s as usize == self.range.start()) && self.contiguous(0, self.value.len())
    }

    /// The source offset of value byte `i`.
    pub fn source_offset(&self, i: usize) -> Option<usize> {
        self.map.get(i, self.value.len()).map(|o| o as usize)
    }

    fn contiguous(&self, a: usize, b: usize) -> bool {
        if b <= a {
            return true;
        }
        let len = self.value.len();
        match (self.map.get(a, len), self.map.get(b - 1, len)) {
            (Some(s), Some(e)) => (e as usize).checked_sub(s as usize) == Some(b - 1 - a),
            _ => false,
        }
    }

    /// The source range of the value bytes `sub` (e.g. the `3` of `--workers=3`), when
    /// they were written contiguously (no quote or escape in between): replacing that
    /// range replaces exactly those value bytes. An empty `sub` gives the insertion
    /// point before value byte `sub.start` (or after the last byte).
    pub fn raw_range_of(&self, sub: std::ops::Range<usize>) -> Option<TextRange> {
        if sub.start > sub.end || sub.end > self.value.len() {
            return None;
        }
        if sub.is_empty() {
            let at = if sub.start < self.value.len() { self.source_offset(sub.start)? } else { self.source_offset(sub.start.checked_sub(1)?)? + 1 };
            return Some(TextRange::empty(at));
        }
        if !self.contiguous(sub.start, sub.end) {
            return None;
        }
        let start = self.source_offset(sub.start)?;
        Some(TextRange::new(start, start + (sub.end - sub.start)))
    }

    /// The source range of the whole value (see [`Word::raw_range_of`]).
    pub fn value_range(&self) -> Option<TextRange> {
        self.raw_range_of(0..self.value.len())
    }

    /// The source offset just after the value's last byte (inside closing quotes), or
    /// the end of the word when the value is empty.
    pub fn value_end(&self) -> usize {
        match self.value.len().checked_sub(1).and_then(|i| self.source_offset(i)) {
            Some(o) => o + 1,
            None => self.range.end(),
        }
    }

    /// Split part of this word's value (from value byte `from`) as shell words, with
    /// ranges mapped back to the source: `GUNICORN_CMD_ARGS="--workers 3"` holds words too.
    pub fn split_value(&self, from: usize) -> Parsed<Vec<Token>> {
        let inner = self.value.get(from..).unwrap_or("");
        let parsed = split(inner);
        let tree = parsed.tree.into_iter().map(|t| self.remap_token(t, from)).collect();
        let errors = parsed.errors.into_iter().map(|e| ParseError { range: self.map_range(e.range, from), message: e.message }).collect();
        Parsed { tree, errors }
    }

    /// A token read from this word's value (from value byte `from`), with source ranges.
    fn remap_token(&self, t: Token, from: usize) -> Token {
        match t {
            Token::Word(mut w) => {
                let len = w.value.len();
                w.map = OffsetMap::from_offsets((0..len).filter_map(|i| w.map.get(i, len)).map(|o| self.map_offset(o as usize + from)).collect());
                w.range = self.map_range(w.range, from);
                Token::Word(w)
            }
            Token::Op(mut op) => {
                op.range = self.map_range(op.range, from);
                Token::Op(op)
            }
        }
    }

    fn map_offset(&self, o: usize) -> u32 {
        self.map.get(o, self.value.len()).unwrap_or_else(|| clamp(self.value_end()))
    }

    /// A range of a text parsed from this word's value (shifted by `from`), in the source.
    fn map_range(&self, r: TextRange, from: usize) -> TextRange {
        let start = self.map_offset(r.start() + from) as usize;
        match r.end().checked_sub(1) {
            Some(last) if r.end() > r.start() => TextRange::new(start, (self.map_offset(last + from) as usize + 1).max(start)),
            _ => TextRange::empty(start),
        }
    }

    /// Whether the word is an assignment `NAME=value` (unquoted name).
    pub fn is_assignment(&self) -> bool {
        assignment_name(&self.value).is_some() && self.contiguous(0, self.value.find('=').unwrap_or(0))
    }

    /// `NAME` and `value` of an assignment word.
    pub fn assignment(&self) -> Option<(&str, &str)> {
        if !self.is_assignment() {
            return None;
        }
        self.value.split_once('=')
    }
}

fn clamp(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn assignment_name(value: &str) -> Option<&str> {
    let (name, _) = value.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    if (first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') { Some(name) } else { None }
}

/// The operators between words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;`
    Semi,
    /// `;;` (case arms)
    DoubleSemi,
    /// `|`
    Pipe,
    /// `|&`
    PipeAmp,
    /// `&`
    Amp,
    /// An unescaped line break.
    Newline,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `>`, `>>`, `<`, `&>`, `<<EOF`, ...: the next word is its target.
    Redirect,
    /// `2>&1`, `>&2`, `<&-`: a descriptor duplication, no target word.
    DupRedirect,
}

impl OpKind {
    /// Whether the operator ends a simple command.
    pub fn ends_command(self) -> bool {
        !matches!(self, OpKind::Redirect | OpKind::DupRedirect)
    }
}

/// An operator token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    pub range: TextRange,
}

/// A word or an operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Op(Op),
}

impl Token {
    pub fn range(&self) -> TextRange {
        match self {
            Token::Word(w) => w.range,
            Token::Op(o) => o.range,
        }
    }

    pub fn as_word(&self) -> Option<&Word> {
        match self {
            Token::Word(w) => Some(w),
            Token::Op(_) => None,
        }
    }
}

/// Split a whole text into tokens.
pub fn split(text: &str) -> Parsed<Vec<Token>> {
    split_range(text, TextRange::new(0, text.len()))
}

/// Split the part `range` of `text` (e.g. the command of a Procfile entry); ranges stay
/// absolute offsets into `text`. A range that does not fit `text` yields nothing.
pub fn split_range(text: &str, range: TextRange) -> Parsed<Vec<Token>> {
    let src = text.get(range.start()..range.end()).unwrap_or("");
    let mut lexer = Lexer { src, base: range.start(), pos: 0, tokens: Vec::new(), errors: Vec::new(), heredocs: Vec::new(), expect_heredoc_word: None };
    lexer.run();
    Parsed { tree: lexer.tokens, errors: lexer.errors }
}

struct Lexer<'s> {
    src: &'s str,
    base: usize,
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<ParseError>,
    /// Pending here-documents: delimiter and whether leading tabs are stripped (`<<-`).
    heredocs: Vec<(String, bool)>,
    expect_heredoc_word: Option<bool>,
}

#[derive(Default)]
struct WordBuf {
    value: String,
    /// Where the value's first byte was read; the value is contiguous from there until
    /// `table` holds the offsets (only words with quotes or escapes need it).
    start: u32,
    table: Option<Vec<u32>>,
    has_expansion: bool,
    quoted: bool,
}

impl WordBuf {
    fn push(&mut self, c: char, at: usize) {
        let before = self.value.len();
        let at = clamp(at);
        if before == 0 {
            self.start = at;
        } else if self.table.is_none() && self.start.checked_add(clamp(before)) != Some(at) {
            self.table = Some((0..before).map(|i| self.start.saturating_add(clamp(i))).collect());
        }
        self.value.push(c);
        if let Some(table) = &mut self.table {
            table.extend((0..c.len_utf8()).map(|k| at.saturating_add(clamp(k))));
        }
    }

    fn map(&mut self) -> OffsetMap {
        match self.table.take() {
            Some(table) => OffsetMap::Table(table),
            None => OffsetMap::Run(self.start),
        }
    }

    fn push_str(&mut self, s: &str, at: usize) {
        for (i, c) in s.char_indices() {
            self.push(c, at + i);
        }
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn peek_at(&self, off: usize) -> Option<char> {
        self.src.get(self.pos + off..).and_then(|s| s.chars().next())
    }

    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn abs(&self, p: usize) -> usize {
        self.base + p
    }

    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>) {
        self.errors.push(ParseError::new(TextRange::new(self.abs(start), self.abs(end)), msg));
    }

    fn op(&mut self, kind: OpKind, len: usize) {
        let start = self.pos;
        self.pos += len;
        self.tokens.push(Token::Op(Op { kind, range: TextRange::new(self.abs(start), self.abs(self.pos)) }));
        if kind == OpKind::Newline {
            self.skip_heredoc_bodies();
        }
    }

    /// Length of a line break at the current position (`\n` or `\r\n`), 0 if none.
    fn newline_len(&self) -> usize {
        let r = self.rest();
        if r.starts_with('\n') {
            1
        } else if r.starts_with("\r\n") {
            2
        } else {
            0
        }
    }

    /// Length of a backslash-newline continuation at the current position, 0 if none.
    fn continuation_len(&self) -> usize {
        let r = self.rest();
        if r.starts_with("\\\n") {
            2
        } else if r.starts_with("\\\r\n") {
            3
        } else {
            0
        }
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let cont = self.continuation_len();
            if cont > 0 {
                self.pos += cont;
                continue;
            }
            let nl = self.newline_len();
            if nl > 0 {
                self.op(OpKind::Newline, nl);
                continue;
            }
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
                '#' => self.skip_comment(),
                '&' | '|' | ';' | '(' | ')' | '<' | '>' => self.operator(),
                _ => self.word(),
            }
        }
        if let Some((delim, _)) = self.heredocs.first() {
            let msg = format!("here-document delimited by `{delim}` never starts: no line break after it");
            let end = self.src.len();
            self.error(end, end, msg);
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' || self.rest().starts_with("\r\n") {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn operator(&mut self) {
        let r = self.rest();
        let (kind, len) = if r.starts_with("&&") {
            (OpKind::And, 2)
        } else if r.starts_with("&>>") {
            (OpKind::Redirect, 3)
        } else if r.starts_with("&>") {
            (OpKind::Redirect, 2)
        } else if r.starts_with('&') {
            (OpKind::Amp, 1)
        } else if r.starts_with("||") {
            (OpKind::Or, 2)
        } else if r.starts_with("|&") {
            (OpKind::PipeAmp, 2)
        } else if r.starts_with('|') {
            (OpKind::Pipe, 1)
        } else if r.starts_with(";;") {
            (OpKind::DoubleSemi, 2)
        } else if r.starts_with(';') {
            (OpKind::Semi, 1)
        } else if r.starts_with('(') {
            (OpKind::LParen, 1)
        } else if r.starts_with(')') {
            (OpKind::RParen, 1)
        } else {
            return self.redirect(0);
        };
        self.op(kind, len);
    }

    /// A redirection operator at `pos + digits` (after an IO number of `digits` bytes).
    fn redirect(&mut self, digits: usize) {
        let r = self.src.get(self.pos + digits..).unwrap_or("");
        let mut len = if r.starts_with("<<<") {
            3
        } else if r.starts_with("<<-") {
            self.expect_heredoc_word = Some(true);
            3
        } else if r.starts_with("<<") {
            self.expect_heredoc_word = Some(false);
            2
        } else if r.starts_with(">>") || r.starts_with(">&") || r.starts_with(">|") || r.starts_with("<&") || r.starts_with("<>") {
            2
        } else {
            1
        };
        // `2>&1`, `>&-`: the descriptor after `&` belongs to the operator.
        let mut kind = OpKind::Redirect;
        if r.get(len - 1..len) == Some("&") {
            let tail = r.get(len..).unwrap_or("");
            let n = tail.bytes().take_while(|b| b.is_ascii_digit() || *b == b'-').count();
            if n > 0 {
                len += n;
                kind = OpKind::DupRedirect;
            }
        }
        self.op(kind, digits + len);
    }

    fn word(&mut self) {
        let start = self.pos;
        let mut buf = WordBuf::default();
        while let Some(c) = self.peek() {
            let cont = self.continuation_len();
            if cont > 0 {
                self.pos += cont;
                continue;
            }
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' => break,
                '\r' if self.rest().starts_with("\r\n") => break,
                '<' | '>' => {
                    // `2>file`: an all-digit word right before a redirection is its descriptor.
                    if !buf.quoted && !buf.value.is_empty() && buf.value.bytes().all(|b| b.is_ascii_digit()) && self.pos - start == buf.value.len() {
                        self.pos = start;
                        self.redirect(buf.value.len());
                        return;
                    }
                    break;
                }
                '\\' => {
                    buf.quoted = true;
                    if let Some(n) = self.peek_at(1) {
                        buf.push(n, self.abs(self.pos + 1));
                        self.pos += 1 + n.len_utf8();
                    } else {
                        buf.push('\\', self.abs(self.pos));
                        self.pos += 1;
                    }
                }
                '\'' => self.single_quoted(&mut buf),
                '"' => self.double_quoted(&mut buf),
                '$' => self.dollar(&mut buf),
                '`' => self.backtick(&mut buf),
                _ => {
                    buf.push(c, self.abs(self.pos));
                    self.pos += c.len_utf8();
                }
            }
        }
        if self.pos == start {
            // Defensive: never loop without progress.
            self.pos += self.peek().map_or(1, char::len_utf8);
            return;
        }
        let map = buf.map();
        let word = Word { value: buf.value, range: TextRange::new(self.abs(start), self.abs(self.pos)), has_expansion: buf.has_expansion, quoted: buf.quoted, map };
        if let Some(strip) = self.expect_heredoc_word.take() {
            self.heredocs.push((word.value.clone(), strip));
        }
        self.tokens.push(Token::Word(word));
    }

    fn single_quoted(&mut self, buf: &mut WordBuf) {
        let open = self.pos;
        buf.quoted = true;
        self.pos += 1;
        while let Some(c) = self.peek() {
            if c == '\'' {
                self.pos += 1;
                return;
            }
            buf.push(c, self.abs(self.pos));
            self.pos += c.len_utf8();
        }
        let end = self.src.len();
        self.error(open, end, "unterminated single-quoted string: expected a closing `'`");
    }

    fn double_quoted(&mut self, buf: &mut WordBuf) {
        let open = self.pos;
        buf.quoted = true;
        self.pos += 1;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => match self.peek_at(1) {
                    Some('\n') => self.pos += 2,
                    Some('\r') if self.rest().starts_with("\\\r\n") => self.pos += 3,
                    Some(n @ ('$' | '`' | '"' | '\\')) => {
                        buf.push(n, self.abs(self.pos + 1));
                        self.pos += 2;
                    }
                    _ => {
                        buf.push('\\', self.abs(self.pos));
                        self.pos += 1;
                    }
                },
                '$' => self.dollar(buf),
                '`' => self.backtick(buf),
                _ => {
                    buf.push(c, self.abs(self.pos));
                    self.pos += c.len_utf8();
                }
            }
        }
        let end = self.src.len();
        self.error(open, end, "unterminated double-quoted string: expected a closing `\"`");
    }

    /// `$NAME`, `${...}`, `$(...)`, `$((...))`, `$'...'`, special parameters; kept raw.
    fn dollar(&mut self, buf: &mut WordBuf) {
        let start = self.pos;
        let next = self.peek_at(1);
        let end = match next {
            Some('{') => scan_balanced(self.src, self.pos + 1, '{', '}').unwrap_or_else(|| {
                let end = self.src.len();
                self.error(start, end, "unterminated `${`: expected a closing `}`");
                end
            }),
            Some('(') => scan_balanced(self.src, self.pos + 1, '(', ')').unwrap_or_else(|| {
                let end = self.src.len();
                self.error(start, end, "unterminated `$(`: expected a closing `)`");
                end
            }),
            Some('\'') => {
                // ANSI-C quoting: kept raw (escapes not decoded), but quoted.
                buf.quoted = true;
                let mut i = self.pos + 2;
                let bytes = self.src.as_bytes();
                loop {
                    match bytes.get(i) {
                        None => {
                            let end = self.src.len();
                            self.error(start, end, "unterminated `$'` string: expected a closing `'`");
                            break end;
                        }
                        Some(b'\\') => i += 2,
                        Some(b'\'') => break i + 1,
                        Some(_) => i += 1,
                    }
                }
                .min(self.src.len())
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let tail = self.src.get(self.pos + 1..).unwrap_or("");
                self.pos + 1 + tail.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count()
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => self.pos + 2,
            _ => {
                // A lone `$` is literal.
                buf.push('$', self.abs(self.pos));
                self.pos += 1;
                return;
            }
        };
        let raw = self.src.get(start..end).unwrap_or("");
        buf.push_str(raw, self.abs(start));
        buf.has_expansion = true;
        self.pos = end.max(start + 1);
    }

    fn backtick(&mut self, buf: &mut WordBuf) {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut i = self.pos + 1;
        let end = loop {
            match bytes.get(i) {
                None => {
                    let end = self.src.len();
                    self.error(start, end, "unterminated command substitution: expected a closing `` ` ``");
                    break end;
                }
                Some(b'\\') => i += 2,
                Some(b'`') => break i + 1,
                Some(_) => i += 1,
            }
        }
        .min(self.src.len());
        let raw = self.src.get(start..end).unwrap_or("");
        buf.push_str(raw, self.abs(start));
        buf.has_expansion = true;
        self.pos = end.max(start + 1);
    }

    /// After a line break: skip the bodies of the here-documents opened on that line.
    fn skip_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.heredocs);
        for (delim, strip_tabs) in pending {
            let body_start = self.pos;
            let mut found = false;
            while self.pos < self.src.len() {
                let rest = self.rest();
                let line_len = rest.find('\n').map_or(rest.len(), |i| i + 1);
                let line = rest.get(..line_len).unwrap_or("");
                let content = line.trim_end_matches('\n').trim_end_matches('\r');
                let content = if strip_tabs { content.trim_start_matches('\t') } else { content };
                let is_end = content == delim;
                self.pos += line_len.max(1);
                if is_end {
                    found = true;
                    break;
                }
            }
            if !found {
                let end = self.src.len();
                self.error(body_start, end, format!("here-document not terminated: expected a line `{delim}`"));
            }
        }
    }
}

/// The index just past the `close` matching the `open` at byte `at` of `src`, skipping
/// quoted strings and escapes; `None` when it is never closed.
fn scan_balanced(src: &str, at: usize, open: char, close: char) -> Option<usize> {
    let bytes = src.as_bytes();
    let (open, close) = (open as u8, close as u8);
    let mut depth = 0usize;
    let mut i = at;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'\'' => {
                i += 1;
                while bytes.get(i).is_some_and(|&c| c != b'\'') {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        break;
                    }
                    i += 1;
                }
            }
            _ if b == open => depth += 1,
            _ if b == close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Join template placeholders split by the shell (`{{ bench_dir }}/bin/gunicorn`,
/// `-w {{ workers }}`) into one word each, marked as an expansion. Jinja and similar
/// templates are common in deployment configs; the shell never sees them unrendered.
pub fn join_template_words(source: &str, tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut open: Option<(usize, TextRange)> = None; // index in `out` of the opening word
    for tok in tokens {
        match (&mut open, tok) {
            (Some((_, range)), Token::Word(w)) => {
                *range = range.cover(w.range);
                if w.value.rfind("}}") > w.value.rfind("{{")
                    && let Some((i, range)) = open.take()
                {
                    out.truncate(i);
                    out.push(Token::Word(template_word(source, range)));
                }
            }
            (Some(_), tok @ Token::Op(_)) => {
                open = None;
                out.push(tok);
            }
            (None, Token::Word(w)) => {
                let unclosed = w.value.rfind("{{").is_some_and(|o| w.value.get(o..).is_some_and(|t| !t.contains("}}")));
                if unclosed {
                    open = Some((out.len(), w.range));
                }
                out.push(Token::Word(w));
            }
            (None, tok) => out.push(tok),
        }
    }
    out
}

fn template_word(source: &str, range: TextRange) -> Word {
    let mut w = Word::verbatim(range.slice(source), range.start());
    w.has_expansion = true;
    w
}

/// A redirection and its target word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub op: Op,
    pub target: Option<Word>,
}

/// One simple command: leading assignments, words, redirections, and what ended it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Leading `NAME=value` words.
    pub assignments: Vec<Word>,
    /// The program and its arguments (redirections removed).
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    /// From the first to the last token of the command.
    pub range: TextRange,
    /// The operator that ended the command (`&&`, `;`, newline...), if any.
    pub terminator: Option<Op>,
}

/// Split tokens into simple commands (pipelines and lists are cut at their operators;
/// parentheses end commands too). Empty commands are dropped.
pub fn simple_commands(tokens: &[Token]) -> Vec<SimpleCommand> {
    commands_of(tokens)
        .into_iter()
        .map(|c| SimpleCommand {
            assignments: c.assignments.into_iter().cloned().collect(),
            words: c.words.into_iter().cloned().collect(),
            redirects: c.redirects,
            range: c.range,
            terminator: c.terminator.cloned(),
        })
        .collect()
}

/// A [`SimpleCommand`] borrowing its words from the tokens (what the searches use: they
/// look at every command and keep few).
struct CommandRef<'t> {
    assignments: Vec<&'t Word>,
    words: Vec<&'t Word>,
    redirects: Vec<Redirect>,
    range: TextRange,
    terminator: Option<&'t Op>,
}

fn commands_of(tokens: &[Token]) -> Vec<CommandRef<'_>> {
    let empty = || CommandRef { assignments: Vec::new(), words: Vec::new(), redirects: Vec::new(), range: TextRange::default(), terminator: None };
    let mut out = Vec::new();
    let mut cur = empty();
    let mut first: Option<TextRange> = None;
    let mut iter = tokens.iter().peekable();
    while let Some(tok) = iter.next() {
        match tok {
            Token::Op(op) if !op.kind.ends_command() => {
                let target = match iter.peek() {
                    Some(Token::Word(w)) if op.kind == OpKind::Redirect => {
                        let w = w.clone();
                        iter.next();
                        Some(w)
                    }
                    _ => None,
                };
                let end = target.as_ref().map_or(op.range, |t| t.range);
                first = Some(first.map_or(op.range.cover(end), |f| f.cover(end)));
                cur.redirects.push(Redirect { op: op.clone(), target });
            }
            Token::Op(op) => {
                if let Some(r) = first.take() {
                    cur.range = r;
                    cur.terminator = Some(op);
                    out.push(std::mem::replace(&mut cur, empty()));
                }
            }
            Token::Word(w) => {
                first = Some(first.map_or(w.range, |f| f.cover(w.range)));
                if cur.words.is_empty() && w.is_assignment() {
                    cur.assignments.push(w);
                } else {
                    cur.words.push(w);
                }
            }
        }
    }
    if let Some(r) = first {
        cur.range = r;
        out.push(cur);
    }
    out
}

/// A program invocation found by [`find_commands`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Environment given to the program: leading `NAME=value` words and those after `env`.
    pub env: Vec<Word>,
    /// The word naming the program (`gunicorn`, `/venv/bin/gunicorn`, or the `gunicorn`
    /// of `python -m gunicorn`).
    pub program: Word,
    /// The arguments after the program word.
    pub args: Vec<Word>,
    /// The whole simple command.
    pub command_range: TextRange,
    /// Words before the program that were looked through (`exec`, `env`, `nohup`,
    /// `python -m`...), by value.
    pub prefix: Vec<String>,
    /// Nesting depth: 0 at top level, 1 inside `sh -c "..."`, ...
    pub depth: u8,
    /// The operator that ends the command, if any.
    pub terminator: Option<Op>,
}

impl Invocation {
    /// Where to append arguments: just after the last argument (or the program), before
    /// redirections and a trailing `&&`/`;`. Inside `sh -c "..."` it is inside the script's
    /// quotes, and after the last word's own closing quote (`--bind "0.0.0.0:$PORT"`): a
    /// nested word's range maps its raw text, quotes included, back to the source.
    pub fn append_offset(&self) -> usize {
        let last = self.args.last().unwrap_or(&self.program);
        last.range.end()
    }

    /// When the command spreads over lines joined with `\`, the indentation of the line
    /// that holds its last argument (to add `" \\\n" + indent + "--flag value"`).
    pub fn continuation_indent(&self, source: &str) -> Option<String> {
        if self.depth > 0 {
            return None;
        }
        let last = self.args.last().unwrap_or(&self.program);
        let span = source.get(self.program.range.start()..last.range.end())?;
        if !span.contains("\\\n") && !span.contains("\\\r\n") {
            return None;
        }
        let line_start = source.get(..last.range.start())?.rfind('\n').map_or(0, |i| i + 1);
        let line = source.get(line_start..last.range.start())?;
        let indent: String = line.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        Some(indent)
    }
}

/// Reserved words and wrappers looked through when finding the program of a command.
const KEYWORDS: &[&str] = &["then", "do", "else", "elif", "if", "while", "until", "!", "{", "time"];
const PLAIN_WRAPPERS: &[&str] = &["exec", "nohup", "command", "builtin", "ddtrace-run", "opentelemetry-instrument", "dumb-init", "setsid", "chpst", "catchsegv"];
/// Wrappers whose second word is a sub-command: `uv run gunicorn`.
const RUN_WRAPPERS: &[(&str, &str)] = &[("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"), ("rye", "run"), ("newrelic-admin", "run-program"), ("doppler", "run")];
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh", "ksh"];

/// The last path component of a program word: `/venv/bin/gunicorn` → `gunicorn`.
pub fn basename(value: &str) -> &str {
    value.rsplit('/').next().unwrap_or(value)
}

fn is_python(value: &str) -> bool {
    let b = basename(value);
    b.strip_prefix("python").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Find every invocation of `program` (by basename, or `python -m program`) in the
/// commands of `tokens`, looking through wrappers and into `sh -c` strings (up to three
/// levels).
pub fn find_commands(tokens: &[Token], program: &str) -> Vec<Invocation> {
    find_any(tokens, &[program])
}

/// Every invocation of any of `programs`, in one pass, in the order they appear (the
/// matched name is the basename of [`Invocation::program`]).
pub fn find_any(tokens: &[Token], programs: &[&str]) -> Vec<Invocation> {
    let mut out = Vec::new();
    find_in(tokens, programs, 0, &mut out);
    out
}

#[allow(clippy::many_single_char_names)]
fn find_in(tokens: &[Token], programs: &[&str], depth: u8, out: &mut Vec<Invocation>) {
    for cmd in commands_of(tokens) {
        let mut env: Vec<Word> = Vec::new();
        let mut prefix = Vec::new();
        let mut i = 0usize;
        let words = &cmd.words;
        let found = loop {
            let Some(w) = words.get(i) else { break None };
            let v = w.value.as_str();
            let base = basename(v);
            if !w.value.is_empty() && programs.contains(&base) {
                break Some(i);
            }
            if KEYWORDS.contains(&v) || PLAIN_WRAPPERS.contains(&base) {
                prefix.push(w.value.clone());
                i += 1;
                // `exec -a name`, `time -p`: options of the wrapper.
                while let Some(opt) = words.get(i).filter(|o| o.value.starts_with('-') && o.value.len() > 1) {
                    prefix.push(opt.value.clone());
                    i += 1;
                    if (base == "exec" && opt.value == "-a") || (base == "chpst" && opt.value.len() == 2) {
                        i += 1;
                    }
                    if base == "dumb-init" && opt.value == "--" {
                        break;
                    }
                }
                continue;
            }
            if base == "tini" {
                prefix.push(w.value.clone());
                i += 1;
                while let Some(opt) = words.get(i).filter(|o| o.value.starts_with('-')) {
                    i += 1;
                    if opt.value == "--" {
                        break;
                    }
                }
                continue;
            }
            if matches!(base, "gosu" | "su-exec") {
                prefix.push(w.value.clone());
                i += 2; // the user
                continue;
            }
            if base == "nice" {
                prefix.push(w.value.clone());
                i += 1;
                if words.get(i).is_some_and(|o| o.value == "-n") {
                    i += 2;
                } else if words.get(i).is_some_and(|o| o.value.starts_with('-')) {
                    i += 1;
                }
                continue;
            }
            if base == "env" {
                prefix.push(w.value.clone());
                i += 1;
                while let Some(o) = words.get(i) {
                    if o.is_assignment() {
                        env.push((*o).clone());
                        i += 1;
                    } else if o.value == "-u" || o.value == "--unset" || o.value == "-C" || o.value == "-S" {
                        i += 2;
                    } else if o.value.starts_with('-') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                continue;
            }
            if let Some((_, sub)) = RUN_WRAPPERS.iter().find(|(name, _)| *name == base) {
                if words.get(i + 1).is_some_and(|s| s.value == *sub) {
                    prefix.push(w.value.clone());
                    i += 2;
                    // `uv run --with x gunicorn`: skip options up to the program.
                    while let Some(o) = words.get(i).filter(|o| o.value.starts_with('-')) {
                        i += if o.value.contains('=') || o.value == "--" { 1 } else { 2 };
                    }
                    continue;
                }
                break None;
            }
            if is_python(v) {
                // `python [-u -O ...] -m program`
                let mut j = i + 1;
                while let Some(o) = words.get(j).filter(|o| o.value.starts_with('-') && o.value != "-m" && o.value != "-c") {
                    j += if matches!(o.value.as_str(), "-W" | "-X") { 2 } else { 1 };
                    let _ = o;
                }
                if words.get(j).is_some_and(|o| o.value == "-m") && words.get(j + 1).is_some_and(|o| programs.contains(&o.value.as_str())) {
                    prefix.push(w.value.clone());
                    prefix.push("-m".to_owned());
                    i = j + 1;
                    continue;
                }
                break None;
            }
            if SHELLS.contains(&base) && depth < 3 {
                // `sh -c "script"` / `bash -ec '...'`
                let mut j = i + 1;
                let mut script = None;
                while let Some(o) = words.get(j) {
                    if o.value.starts_with('-') && !o.value.starts_with("--") && o.value.contains('c') {
                        script = words.get(j + 1);
                        break;
                    }
                    if o.value.starts_with('-') || o.value.starts_with('+') {
                        j += 1;
                        continue;
                    }
                    break;
                }
                if let Some(script) = script {
                    let mapped = script.split_value(0).tree;
                    let before = out.len();
                    find_in(&mapped, programs, depth + 1, out);
                    for inv in out.iter_mut().skip(before) {
                        let mut e: Vec<Word> = cmd.assignments.iter().map(|w| (*w).clone()).chain(env.iter().cloned()).collect();
                        e.append(&mut inv.env);
                        inv.env = e;
                    }
                }
                break None;
            }
            break None;
        };
        if let Some(i) = found {
            let Some(prog) = words.get(i) else { continue };
            out.push(Invocation {
                env: cmd.assignments.iter().map(|w| (*w).clone()).chain(env).collect(),
                program: (*prog).clone(),
                args: words.iter().skip(i + 1).map(|w| (*w).clone()).collect(),
                command_range: cmd.range,
                prefix,
                depth,
                terminator: cmd.terminator.cloned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        split(text).tree.iter().map(|t| match t {
            Token::Word(w) => w.value.clone(),
            Token::Op(o) => format!("<{:?}>", o.kind),
        }).collect()
    }

    #[test]
    fn words_and_operators() {
        assert_eq!(values("a 'b c' \"d $E\" f\\ g && h;i|j"), ["a", "b c", "d $E", "f g", "<And>", "h", "<Semi>", "i", "<Pipe>", "j"]);
        assert_eq!(values("cmd >out 2>&1 <in"), ["cmd", "<Redirect>", "out", "<DupRedirect>", "<Redirect>", "in"]);
        assert_eq!(values("a \\\n  b # c\nd"), ["a", "b", "<Newline>", "d"]);
    }
}
