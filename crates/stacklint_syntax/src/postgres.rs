//! PostgreSQL configuration files (`postgresql.conf`, `postgresql.auto.conf`, files of an
//! `include_dir`), read as PostgreSQL's own lexer (`src/backend/utils/misc/guc-file.l`)
//! reads them: one setting per line, `name = value` or `name value`, a value that is an
//! identifier, a number (`128MB`, `-1`, `0.9`, `0x10`), an unquoted string (`en_US.UTF-8`
//! needs no quotes... but `pg_catalog.english` does: it lexes as a qualified name) or a
//! single-quoted string with `''` and backslash escapes; `#` comments to the end of a line;
//! `include`, `include_if_exists` and `include_dir` lines.
//!
//! Every line is kept (blank, comment, entry, or one PostgreSQL refuses) with its byte
//! range, so fixes can replace a value or add a line in the file's own style.
//!
//! ```
//! use stacklint_syntax::postgres::{self, EntryKind};
//! let src = "shared_buffers = 128MB  # min 128kB\nsearch_path '\"$user\", public'\ninclude_dir 'conf.d'\n";
//! let parsed = postgres::parse(src);
//! assert!(parsed.errors.is_empty());
//! let entries: Vec<_> = parsed.tree.entries().collect();
//! assert_eq!((entries[0].name.as_str(), entries[0].value.as_str()), ("shared_buffers", "128MB"));
//! assert_eq!(entries[0].value_range.slice(src), "128MB");
//! assert_eq!(entries[1].value, "\"$user\", public");
//! assert_eq!(entries[2].kind, EntryKind::IncludeDir);
//! ```

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit0, digit1, none_of, one_of, satisfy};
use nom::combinator::opt;
use nom::multi::fold_many0;
use nom::{IResult, Parser};
use stacklint_text::TextRange;

use crate::{ParseError, Parsed};

/// A configuration file: every line in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PgConf {
    pub lines: Vec<Line>,
}

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The line without its line break (a `\r` before `\n` is part of it).
    pub range: TextRange,
    pub kind: LineKind,
    /// The `#` comment on the line, from `#` to the end of the line.
    pub comment: Option<TextRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Only blanks and maybe a comment.
    Blank,
    Entry(Entry),
    /// A line PostgreSQL refuses (a syntax error, reported in [`Parsed::errors`]).
    Invalid,
}

/// What an entry line does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Setting,
    /// `include 'file'`: the file must exist.
    Include,
    /// `include_if_exists 'file'`
    IncludeIfExists,
    /// `include_dir 'dir'`: its `*.conf` files, by name.
    IncludeDir,
}

/// `name = value` (or an include).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// The whole line, without its line break.
    pub line_range: TextRange,
    /// As written (PostgreSQL compares names case-insensitively).
    pub name: String,
    pub name_range: TextRange,
    /// The value as PostgreSQL reads it: quotes removed, escapes resolved.
    pub value: String,
    /// The value as written, with its quotes.
    pub value_range: TextRange,
    pub quoted: bool,
    /// Whether the line has `=` between name and value.
    pub equals: bool,
}

impl PgConf {
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.lines.iter().filter_map(|l| match &l.kind {
            LineKind::Entry(e) => Some(e),
            _ => None,
        })
    }

    /// The settings (not includes), in order.
    pub fn settings(&self) -> impl Iterator<Item = &Entry> {
        self.entries().filter(|e| e.kind == EntryKind::Setting)
    }

    /// The last entry that sets `name` (case-insensitive): the one PostgreSQL keeps.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.settings().filter(|e| e.name.eq_ignore_ascii_case(name)).last()
    }
}

/// Parse a PostgreSQL configuration file. Total: a line PostgreSQL refuses becomes a
/// [`LineKind::Invalid`] line and an error; the other lines are read.
pub fn parse(text: &str) -> Parsed<PgConf> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let mut errors = Vec::new();
    let mut start = 0;
    loop {
        let rest = text.get(start..).unwrap_or("");
        if let Some(at) = rest.find('\n') {
            lines.push(parse_line(rest.get(..at).unwrap_or(""), start, &mut errors));
            start += at + 1;
            if start >= text.len() {
                break;
            }
        } else {
            lines.push(parse_line(rest, start, &mut errors));
            break;
        }
    }
    Parsed { tree: PgConf { lines }, errors }
}

/// What guc-file.l returns for a stretch of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Id,
    QualifiedId,
    String,
    UnquotedString,
    Integer,
    Real,
    Equals,
    /// A character no token starts with, or an unterminated string.
    Error,
    /// A comment or the end of the line.
    End,
}

fn is_letter(c: char) -> bool {
    // `[A-Za-z_\200-\377]`: every byte of a multi-byte UTF-8 character is >= 0x80.
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_letter_or_digit(c: char) -> bool {
    is_letter(c) || c.is_ascii_digit()
}

/// The text a parser consumed. (nom 8.0.0's `recognize` measures by pointer offsets and
/// returns a short slice when a sub-parser ends at the end of input with an empty match.)
fn recognize<'a, O>(mut p: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>) -> impl FnMut(&'a str) -> IResult<&'a str, &'a str> {
    move |i: &'a str| {
        let (rest, _) = p.parse(i)?;
        Ok((rest, i.get(..i.len() - rest.len()).unwrap_or("")))
    }
}

fn blanks(i: &str) -> IResult<&str, &str> {
    take_while(|c| matches!(c, ' ' | '\t' | '\r')).parse(i)
}

fn ident(i: &str) -> IResult<&str, &str> {
    recognize((satisfy(is_letter), take_while(is_letter_or_digit)))(i)
}

fn qualified(i: &str) -> IResult<&str, &str> {
    recognize((ident, char('.'), ident))(i)
}

fn unquoted(i: &str) -> IResult<&str, &str> {
    recognize((satisfy(is_letter), take_while(|c| is_letter_or_digit(c) || matches!(c, '-' | '.' | ':' | '/'))))(i)
}

/// `\'([^'\\\n]|\\.|\'\')*\'`
fn quoted(i: &str) -> IResult<&str, &str> {
    let piece = alt((take_while1(|c| !matches!(c, '\'' | '\\' | '\n')), recognize((char('\\'), none_of("\n"))), tag("''")));
    recognize((char('\''), fold_many0(piece, || (), |(), _| ()), char('\'')))(i)
}

fn sign(i: &str) -> IResult<&str, Option<char>> {
    opt(one_of("+-")).parse(i)
}

/// `{SIGN}?({DIGIT}+|0x{HEXDIGIT}+){UNIT_LETTER}*`
fn integer(i: &str) -> IResult<&str, &str> {
    let hex = recognize((tag("0x"), take_while1(|c: char| c.is_ascii_hexdigit())));
    recognize((sign, alt((hex, digit1)), take_while(|c: char| c.is_ascii_alphabetic())))(i)
}

/// `{SIGN}?{DIGIT}*"."{DIGIT}*{EXPONENT}?`
fn real(i: &str) -> IResult<&str, &str> {
    recognize((sign, digit0, char('.'), digit0, opt((one_of("eE"), sign, digit1))))(i)
}

/// The next token of a line (blanks skipped) and its length; flex takes the longest
/// match, the earlier rule on a tie.
fn token(i: &str) -> (Token, usize) {
    let Some(first) = i.chars().next() else { return (Token::End, 0) };
    let len = |r: IResult<&str, &str>| r.map_or(0, |(_, t)| t.len());
    match first {
        '#' => (Token::End, 0),
        '=' => (Token::Equals, 1),
        '\'' => match quoted(i) {
            Ok((_, t)) => (Token::String, t.len()),
            Err(_) => (Token::Error, 1),
        },
        c if is_letter(c) => {
            let (id, q, u) = (len(ident(i)), len(qualified(i)), len(unquoted(i)));
            if id >= q && id >= u {
                (Token::Id, id)
            } else if q >= u {
                (Token::QualifiedId, q)
            } else {
                (Token::UnquotedString, u)
            }
        }
        _ => {
            let (n, r) = (len(integer(i)), len(real(i)));
            match (n, r) {
                (0, 0) => (Token::Error, first.len_utf8()),
                (n, r) if n >= r => (Token::Integer, n),
                (_, r) => (Token::Real, r),
            }
        }
    }
}

/// A lexer over one line that keeps absolute offsets.
struct Lexer<'a> {
    line: &'a str,
    base: usize,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// The next token and its absolute range.
    fn next(&mut self) -> (Token, TextRange, &'a str) {
        let rest = self.line.get(self.pos..).unwrap_or("");
        let skipped = blanks(rest).map_or(0, |(r, _)| rest.len() - r.len());
        self.pos += skipped;
        let rest = self.line.get(self.pos..).unwrap_or("");
        let (tok, len) = token(rest);
        let start = self.pos;
        self.pos += len;
        (tok, TextRange::new(self.base + start, self.base + self.pos), rest.get(..len).unwrap_or(""))
    }

    /// Where a comment starts at the current position (blanks skipped), if one does.
    fn comment(&self) -> Option<TextRange> {
        let rest = self.line.get(self.pos..).unwrap_or("");
        let at = rest.find(|c: char| !matches!(c, ' ' | '\t' | '\r'))?;
        rest.get(at..).filter(|r| r.starts_with('#')).map(|_| TextRange::new(self.base + self.pos + at, self.base + self.line.trim_end_matches('\r').len()))
    }
}

fn describe(tok: Token, text: &str) -> String {
    match tok {
        Token::End => "the end of the line".to_owned(),
        Token::Error if text.starts_with('\'') => "an unterminated quoted string".to_owned(),
        _ => format!("`{text}`"),
    }
}

fn parse_line(line: &str, base: usize, errors: &mut Vec<ParseError>) -> Line {
    let range = TextRange::new(base, base + line.len());
    let mut lx = Lexer { line, base, pos: 0 };
    let comment_at_start = lx.comment();
    let (tok, name_range, name) = lx.next();
    // Like PostgreSQL, give up on the line and go on with the next one.
    let invalid = |errors: &mut Vec<ParseError>, at: TextRange, message: String| {
        errors.push(ParseError::new(at, message));
        Line { range, kind: LineKind::Invalid, comment: None }
    };
    match tok {
        Token::End => return Line { range, kind: LineKind::Blank, comment: comment_at_start },
        Token::Id | Token::QualifiedId => {}
        _ => return invalid(errors, name_range, format!("expected a setting name, found {}", describe(tok, name)))
    }
    let (mut tok, mut value_range, mut value) = lx.next();
    let equals = tok == Token::Equals;
    if equals {
        (tok, value_range, value) = lx.next();
    }
    if !matches!(tok, Token::Id | Token::String | Token::Integer | Token::Real | Token::UnquotedString) {
        let why = if tok == Token::QualifiedId { " (a dotted value must be quoted)" } else { "" };
        let at = if tok == Token::End { TextRange::empty(name_range.end()) } else { value_range };
        return invalid(errors, at, format!("expected a value for `{name}`, found {}{why}", describe(tok, value)));
    }
    let comment = lx.comment();
    let (end, end_range, end_text) = lx.next();
    if end != Token::End {
        return invalid(errors, end_range, format!("expected the end of the line after the value of `{name}`, found {}", describe(end, end_text)));
    }
    let quoted = tok == Token::String;
    let kind = match name.to_ascii_lowercase().as_str() {
        "include" => EntryKind::Include,
        "include_if_exists" => EntryKind::IncludeIfExists,
        "include_dir" => EntryKind::IncludeDir,
        _ => EntryKind::Setting,
    };
    let entry = Entry {
        kind,
        line_range: range,
        name: name.to_owned(),
        name_range,
        value: if quoted { unescape(value) } else { value.to_owned() },
        value_range,
        quoted,
        equals,
    };
    Line { range, kind: LineKind::Entry(entry), comment }
}

/// A quoted value as PostgreSQL's `DeescapeQuotedString` reads it: quotes stripped, `''`
/// is `'`, `\b \f \n \r \t`, `\` and up to three octal digits, `\x` is `x`.
pub fn unescape(quoted: &str) -> String {
    let inner = quoted.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(d @ '0'..='7') => {
                    let mut n = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|c| c.to_digit(8)) {
                            Some(v) => {
                                n = n * 8 + v;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    // PostgreSQL stores the byte; a byte above 0x7f alone is not UTF-8.
                    out.push(char::from_u32(n & 0xff).filter(char::is_ascii).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '\'' => {
                // `''` inside a string is one quote.
                if chars.peek() == Some(&'\'') {
                    chars.next();
                }
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out
}

/// `value` written as a PostgreSQL single-quoted string.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Whether `value` can be written unquoted and reads back as itself (a number with a unit,
/// an identifier, an unquoted string).
pub fn is_bare_value(value: &str) -> bool {
    let (tok, len) = token(value);
    len == value.len() && matches!(tok, Token::Id | Token::Integer | Token::Real | Token::UnquotedString)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn entry(src: &str) -> Entry {
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        p.tree.entries().next().cloned().unwrap()
    }

    fn error(src: &str) -> String {
        let p = parse(src);
        assert_eq!(p.errors.len(), 1, "{src}: {:?}", p.errors);
        p.errors[0].message.clone()
    }

    #[test]
    fn values_of_every_token_kind() {
        for (src, value) in [
            ("shared_buffers = 128MB", "128MB"),
            ("log_min_duration_statement = -1", "-1"),
            ("checkpoint_completion_target = 0.9", "0.9"),
            ("random_page_cost 4.0", "4.0"),
            ("seq_page_cost = .5", ".5"),
            ("work_mem = 0x100", "0x100"),
            ("cpu_tuple_cost = 1.5e-2", "1.5e-2"),
            ("fsync = on", "on"),
            ("lc_messages = en_US.UTF-8", "en_US.UTF-8"),
            ("stats_temp_directory = pg_stat_tmp/x:y", "pg_stat_tmp/x:y"),
            ("timezone = 'Europe/Paris'", "Europe/Paris"),
            ("log_line_prefix = '%m [%p] ''%q'' \\t'", "%m [%p] '%q' \t"),
            ("archive_command = 'test ! -f /a/%f && cp %p /a/%f' # archive", "test ! -f /a/%f && cp %p /a/%f"),
            ("x = '\\101\\\\'", "A\\"),
        ] {
            let e = entry(src);
            assert_eq!(e.value, value, "{src}");
        }
    }

    #[test]
    fn unquoted_path_needs_a_letter_first() {
        // `/var/...` starts with `/`: no token starts there.
        assert!(error("data_directory = /var/lib/pg").contains("found `/`"));
    }

    #[test]
    fn ranges_and_comments() {
        let src = "# head\n\n  work_mem   =  '4MB'   # per sort\r\nmax_connections 100\n";
        let p = parse(src);
        assert!(p.errors.is_empty());
        let lines = &p.tree.lines;
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].kind, LineKind::Blank);
        assert_eq!(lines[0].comment.unwrap().slice(src), "# head");
        let LineKind::Entry(e) = &lines[2].kind else { panic!() };
        assert_eq!(e.name_range.slice(src), "work_mem");
        assert_eq!(e.value_range.slice(src), "'4MB'");
        assert_eq!(e.line_range.slice(src), "  work_mem   =  '4MB'   # per sort\r");
        assert_eq!(lines[2].comment.unwrap().slice(src), "# per sort");
        assert!(e.quoted && e.equals);
        let LineKind::Entry(e) = &lines[3].kind else { panic!() };
        assert!(!e.equals);
        assert_eq!(p.tree.get("MAX_CONNECTIONS").unwrap().value, "100");
    }

    #[test]
    fn includes_are_entries_of_their_own_kind() {
        let p = parse("include 'a.conf'\ninclude_if_exists = 'b.conf'\nINCLUDE_DIR 'conf.d'\n");
        let kinds: Vec<_> = p.tree.entries().map(|e| (e.kind, e.value.as_str())).collect();
        assert_eq!(kinds, [(EntryKind::Include, "a.conf"), (EntryKind::IncludeIfExists, "b.conf"), (EntryKind::IncludeDir, "conf.d")]);
        assert_eq!(p.tree.settings().count(), 0);
    }

    #[test]
    fn lines_postgres_refuses() {
        assert!(error("shared_buffers = 128 MB").contains("end of the line"));
        assert!(error("shared_buffers =").contains("expected a value"));
        assert!(error("search_path = 'a").contains("unterminated"));
        assert!(error("default_text_search_config = pg_catalog.english").contains("must be quoted"));
        assert!(error("= 3").contains("expected a setting name"));
        assert!(error("work_mem = 1.5GB").contains("`GB`"));
        assert!(error("a = 1e5").contains("`5`"));
        // `b.conf` lexes as a qualified name (PostgreSQL: syntax error near token "b.conf").
        assert!(error("include = b.conf").contains("must be quoted"));
        // The rest of the file is still read.
        let p = parse("a = = 1\nwork_mem = 8MB\n");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.tree.lines[0].kind, LineKind::Invalid);
        assert_eq!(p.tree.get("work_mem").unwrap().value, "8MB");
    }

    #[test]
    fn qualified_names_are_settings() {
        let e = entry("pg_stat_statements.max = 10000");
        assert_eq!((e.name.as_str(), e.kind), ("pg_stat_statements.max", EntryKind::Setting));
    }

    #[test]
    fn total_on_odd_input() {
        for src in ["", "\n", "'", "\\", "é = ü", "a = '\\", "x\0 = 1", "a 'b\nc'", "#", "a = 1#c", "\r\n\r\n", "-", "0x", "+.e"] {
            let p = parse(src);
            for e in &p.errors {
                assert!(e.range.end() <= src.len(), "{src:?}");
            }
        }
        assert_eq!(parse("a = 1\n").tree.lines.len(), 1);
        assert_eq!(parse("a = 1").tree.lines.len(), 1);
        assert_eq!(parse("").tree.lines.len(), 1);
    }

    #[test]
    fn quoting_round_trips() {
        for v in ["it's", "a\\b", "plain", "$user, public"] {
            assert_eq!(unescape(&quote(v)), v);
        }
        assert!(is_bare_value("256MB") && is_bare_value("on") && is_bare_value("0.9") && !is_bare_value("a b") && !is_bare_value("pg_catalog.english"));
    }
}
