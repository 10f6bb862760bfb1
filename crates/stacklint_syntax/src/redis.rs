//! Redis configuration (`redis.conf`) and `redis-server` command lines, read as Redis 7
//! reads them (`loadServerConfigFromString`, `sdssplitargs`).
//!
//! A file is split on `\n`; each line is trimmed of spaces, tabs and `\r`; an empty line or
//! one starting with `#` is skipped; anything else is split into arguments: bare words end
//! at whitespace, `"..."` understands `\n \r \t \b \a \xHH` and `\c` (= `c`), `'...'` only
//! `\'`, and a closing quote must be followed by whitespace (else Redis refuses the line).
//! The first argument names the directive (case-insensitive). A `#` after a directive is
//! not a comment: it is an argument, as Redis reads it.
//!
//! A command line `redis-server [FILE] --name value ...` is parsed by [`parse_argv`]: each
//! `--name` starts a directive, the words after it are its arguments, and every argument
//! keeps the range of the word it came from (a compose `command:` or a Dockerfile `CMD`).
//!
//! ```
//! use stacklint_syntax::redis;
//! let src = "# cache\nmaxmemory 256mb\nsave 900 1\nrename-command CONFIG \"\"\n";
//! let parsed = redis::parse(src);
//! assert!(parsed.errors.is_empty());
//! let d = parsed.tree.last("maxmemory").unwrap();
//! assert_eq!(d.args[0].range.slice(src), "256mb");
//! let rename = parsed.tree.last("rename-command").unwrap();
//! assert_eq!((rename.args[1].value.as_str(), rename.args[1].range.slice(src)), ("", "\"\""));
//! ```

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1, take_while_m_n};
use nom::character::complete::{anychar, char};
use nom::combinator::{map, map_opt, value};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use std::sync::Arc;

use stacklint_text::TextRange;

use crate::{ParseError, Parsed};

/// A parsed configuration: every line, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedisConfig {
    pub lines: Vec<Line>,
}

/// One line of the file (without its line break).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The whole line, leading whitespace included, line break excluded (a `\r` before it
    /// included).
    pub range: TextRange,
    pub kind: LineKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    /// A `#` line; the range is the comment's text from `#`.
    Comment(TextRange),
    Directive(Directive),
}

/// A directive: its name and arguments, each with its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// From the name to the end of the last argument.
    pub range: TextRange,
    pub name: Arg,
    pub args: Vec<Arg>,
    /// The line did not split (unbalanced quotes): Redis refuses the whole file; the
    /// arguments are those read before the error.
    pub broken: bool,
}

/// One argument as Redis sees it (quotes and escapes resolved) and the bytes it was
/// written with (quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub value: ArgText,
    pub range: TextRange,
    /// Written with quotes (in whole or in part).
    pub quoted: bool,
}

/// The text of an argument: a range of the parsed file's text, shared by every argument
/// of the file (no allocation per argument), or its own string when quotes or escapes
/// make it differ from the bytes written. Reads as a `&str`.
#[derive(Clone)]
pub struct ArgText(Repr);

#[derive(Clone)]
enum Repr {
    /// Short arguments (most of them) are copied in place: no allocation, no shared count.
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared { src: Arc<String>, start: u32, end: u32 },
    Owned(Box<str>),
}

/// The longest argument kept in place (an [`ArgText`] is 24 bytes, whatever it holds).
const INLINE: usize = 22;

impl ArgText {
    /// `src[range]`, shared; its own copy when the range does not fit in `u32` offsets.
    fn shared(src: &Arc<String>, range: TextRange) -> ArgText {
        if let Some(text) = src.get(range.start()..range.end())
            && let Some(inline) = ArgText::inline(text)
        {
            return inline;
        }
        match (u32::try_from(range.start()), u32::try_from(range.end())) {
            (Ok(start), Ok(end)) if src.get(range.start()..range.end()).is_some() => ArgText(Repr::Shared { src: Arc::clone(src), start, end }),
            _ => ArgText::from(src.get(range.start()..range.end()).unwrap_or("")),
        }
    }

    fn inline(text: &str) -> Option<ArgText> {
        let len = u8::try_from(text.len()).ok().filter(|l| usize::from(*l) <= INLINE)?;
        let mut bytes = [0u8; INLINE];
        bytes.get_mut(..text.len())?.copy_from_slice(text.as_bytes());
        Some(ArgText(Repr::Inline { len, bytes }))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => bytes.get(..usize::from(*len)).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or(""),
            Repr::Shared { src, start, end } => src.get(*start as usize..*end as usize).unwrap_or(""),
            Repr::Owned(s) => s,
        }
    }
}

impl Default for ArgText {
    fn default() -> Self {
        ArgText(Repr::Inline { len: 0, bytes: [0; INLINE] })
    }
}

impl std::ops::Deref for ArgText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ArgText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<std::path::Path> for ArgText {
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(self.as_str())
    }
}

impl AsRef<std::ffi::OsStr> for ArgText {
    fn as_ref(&self) -> &std::ffi::OsStr {
        std::ffi::OsStr::new(self.as_str())
    }
}

impl std::borrow::Borrow<str> for ArgText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for ArgText {
    fn from(s: String) -> Self {
        ArgText::inline(&s).unwrap_or_else(|| ArgText(Repr::Owned(s.into_boxed_str())))
    }
}

impl From<&str> for ArgText {
    fn from(s: &str) -> Self {
        ArgText::inline(s).unwrap_or_else(|| ArgText(Repr::Owned(Box::from(s))))
    }
}

impl From<ArgText> for String {
    fn from(a: ArgText) -> Self {
        a.as_str().to_owned()
    }
}

impl PartialEq for ArgText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ArgText {}

impl std::hash::Hash for ArgText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for ArgText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ArgText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ArgText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<ArgText> for str {
    fn eq(&self, other: &ArgText) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ArgText> for &str {
    fn eq(&self, other: &ArgText) -> bool {
        *self == other.as_str()
    }
}

const _: () = assert!(std::mem::size_of::<ArgText>() == 24);

impl std::fmt::Debug for ArgText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for ArgText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Directive {
    /// Whether the directive is `name` (Redis lowercases names).
    pub fn is(&self, name: &str) -> bool {
        self.name.value.eq_ignore_ascii_case(name)
    }

    /// The name, lowercased as Redis looks it up.
    pub fn name_lower(&self) -> String {
        self.name.value.to_ascii_lowercase()
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|a| a.value.as_str())
    }
}

impl RedisConfig {
    /// Every directive, in order.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.lines.iter().filter_map(|l| match &l.kind {
            LineKind::Directive(d) => Some(d),
            _ => None,
        })
    }

    /// Every directive called `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Directive> + 'a {
        self.directives().filter(move |d| d.is(name))
    }

    /// The last directive called `name`: the one in effect for single-valued settings.
    pub fn last(&self, name: &str) -> Option<&Directive> {
        self.directives().filter(|d| d.is(name)).last()
    }
}

/// Parse a configuration file. Total: any text gives a tree and the lines Redis would refuse.
pub fn parse(text: &str) -> Parsed<RedisConfig> {
    // One allocation for the lines (counting is far cheaper than regrowing big nodes).
    let mut lines = Vec::with_capacity(text.bytes().filter(|b| *b == b'\n').count() + 1);
    let mut errors = Vec::new();
    // The arguments share one copy of the text (a range each, no allocation per argument).
    let src: Arc<String> = Arc::new(text.to_owned());
    // The arguments of the line being read (reused: each directive then gets its exact size).
    let mut scratch: Vec<Arg> = Vec::new();
    let mut start = 0;
    while start <= text.len() {
        let rest = text.get(start..).unwrap_or("");
        let (line, next) = match rest.find('\n') {
            Some(i) => (rest.get(..i).unwrap_or(""), start + i + 1),
            None => (rest, text.len() + 1),
        };
        if line.is_empty() && next > text.len() {
            break;
        }
        lines.push(parse_line(&src, &mut scratch, line, start, &mut errors));
        start = next;
    }
    Parsed { tree: RedisConfig { lines }, errors }
}

fn is_trim(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `isspace` as `sdssplitargs` uses it between arguments.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

fn parse_line(src: &Arc<String>, scratch: &mut Vec<Arg>, line: &str, start: usize, errors: &mut Vec<ParseError>) -> Line {
    let range = TextRange::new(start, start + line.len());
    let body = line.trim_start_matches(is_trim);
    let body_start = start + (line.len() - body.len());
    let body = body.trim_end_matches(is_trim);
    if body.is_empty() {
        return Line { range, kind: LineKind::Blank };
    }
    if body.starts_with('#') {
        return Line { range, kind: LineKind::Comment(TextRange::new(body_start, body_start + body.len())) };
    }
    let error = split_args_into(body, body_start, Some(src), scratch);
    let broken = error.is_some();
    errors.extend(error);
    // The arguments after the name, in a vector of their exact size.
    let mut parts = scratch.drain(..);
    let first = parts.next();
    let args: Vec<Arg> = parts.collect();
    let Some(name) = first else {
        // Only a broken first argument: keep the line as a directive with an empty name.
        return Line { range, kind: LineKind::Directive(Directive { range: TextRange::new(body_start, body_start + body.len()), name: Arg { value: ArgText::default(), range: TextRange::empty(body_start), quoted: false }, args, broken: true }) };
    };
    let end = if broken { body_start + body.len() } else { args.last().map_or(name.range.end(), |a| a.range.end()) };
    Line { range, kind: LineKind::Directive(Directive { range: TextRange::new(name.range.start(), end), name, args, broken }) }
}

/// One piece of an argument: text to append, or a whitespace boundary.
#[derive(Clone)]
enum Piece<'a> {
    Text(&'a str),
    Char(char),
}

/// An escape inside double quotes: `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a`, `\c`.
fn dq_escape(input: &str) -> IResult<&str, char> {
    preceded(
        char('\\'),
        alt((
            // Bytes above 0x7f are kept as the Latin-1 character of that byte.
            map_opt(preceded(char('x'), take_while_m_n(2, 2, |c: char| c.is_ascii_hexdigit())), |h: &str| u8::from_str_radix(h, 16).ok().map(char::from)),
            value('\n', char('n')),
            value('\r', char('r')),
            value('\t', char('t')),
            value('\x08', char('b')),
            value('\x07', char('a')),
            anychar,
        )),
    )
    .parse(input)
}

fn dq_piece(input: &str) -> IResult<&str, Piece<'_>> {
    alt((map(dq_escape, Piece::Char), map(take_till1(|c| c == '\\' || c == '"'), Piece::Text))).parse(input)
}

fn sq_piece(input: &str) -> IResult<&str, Piece<'_>> {
    alt((value(Piece::Char('\''), tag("\\'")), map(tag("\\"), Piece::Text), map(take_till1(|c| c == '\\' || c == '\''), Piece::Text))).parse(input)
}

fn bare(input: &str) -> IResult<&str, &str> {
    take_till1(|c| is_space(c) || c == '"' || c == '\'').parse(input)
}

/// Split a trimmed line like `sdssplitargs`; the arguments read and the error that stopped it.
/// With `src` (the whole text `body` is a part of, at `base`), an argument written as it
/// reads is a range of it; otherwise (and for quotes or escapes) it gets its own string.
fn split_args(body: &str, base: usize, src: Option<&Arc<String>>) -> (Vec<Arg>, Option<ParseError>) {
    let mut args = Vec::new();
    let error = split_args_into(body, base, src, &mut args);
    (args, error)
}

/// [`split_args`] into `args` (cleared first).
fn split_args_into(body: &str, base: usize, src: Option<&Arc<String>>, args: &mut Vec<Arg>) -> Option<ParseError> {
    args.clear();
    let mut rest = body;
    let at = |rest: &str| base + (body.len() - rest.len());
    loop {
        rest = rest.trim_start_matches(is_space);
        if rest.is_empty() {
            return None;
        }
        let arg_start = at(rest);
        // The common case: a bare word that ends at whitespace (a range of the text).
        if let Ok((r, text)) = bare(rest)
            && r.chars().next().is_none_or(is_space)
        {
            let range = TextRange::new(arg_start, at(r));
            let value = match src {
                Some(src) => ArgText::shared(src, range),
                None => ArgText::from(text),
            };
            args.push(Arg { value, range, quoted: false });
            rest = r;
            continue;
        }
        let mut value = String::new();
        let mut quoted = false;
        loop {
            if let Ok((r, text)) = bare(rest) {
                value.push_str(text);
                rest = r;
                continue;
            }
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
            quoted = true;
            let open = at(rest);
            rest = rest.get(1..).unwrap_or("");
            let piece = if quote == '"' { dq_piece } else { sq_piece };
            loop {
                match piece(rest) {
                    Ok((r, Piece::Text(t))) => {
                        value.push_str(t);
                        rest = r;
                    }
                    Ok((r, Piece::Char(c))) => {
                        value.push(c);
                        rest = r;
                    }
                    Err(_) => break,
                }
            }
            if !rest.starts_with(quote) {
                let e = ParseError::new(TextRange::new(open, base + body.len()), format!("unbalanced quotes: the `{quote}` opened here is not closed on this line"));
                return Some(e);
            }
            rest = rest.get(1..).unwrap_or("");
            if let Some(c) = rest.chars().next().filter(|c| !is_space(*c)) {
                let after = at(rest);
                let e = ParseError::new(TextRange::new(after, after + c.len_utf8()), format!("a closing `{quote}` must be followed by a space, or the line is refused as unbalanced quotes"));
                return Some(e);
            }
            break;
        }
        args.push(Arg { value: ArgText::from(value), range: TextRange::new(arg_start, at(rest)), quoted });
    }
}

/// One word of a command line: its value and where it was written.
#[derive(Clone, Copy, Debug)]
pub struct ArgvWord<'a> {
    pub value: &'a str,
    pub range: TextRange,
}

/// A `redis-server` command line, after the program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// The configuration file (`redis-server /etc/redis/redis.conf`), when the first
    /// argument is not an option.
    pub config_file: Option<Arg>,
    /// `--name value ...`, in order; they apply after the file (later wins).
    pub directives: Vec<Directive>,
}

/// Parse the arguments of `redis-server` (the words after the program) as Redis 7 does:
/// the first one is the configuration file unless it starts with `-`; `--name` starts a
/// directive; the words after it are its arguments (a word starting with `--` right after
/// a name with no value is that value, `--save` excepted); `--name value` in one word is
/// split like a config line. A lone `-` (read stdin) is skipped.
pub fn parse_argv(words: &[ArgvWord<'_>]) -> Parsed<CommandLine> {
    let mut out = CommandLine::default();
    let mut errors = Vec::new();
    let mut iter = words.iter().peekable();
    if let Some(first) = words.first()
        && !first.value.starts_with('-')
    {
        out.config_file = Some(Arg { value: ArgText::from(first.value), range: first.range, quoted: false });
        iter.next();
    }
    // Whether the current directive has a value yet (`handled_last_config_arg`).
    let mut has_value = true;
    let mut current: Option<Directive> = None;
    for w in iter {
        if w.value == "-" {
            continue;
        }
        if let Some(option) = w.value.strip_prefix("--").filter(|_| has_value || current.as_ref().is_some_and(|d| d.is("save") && d.args.is_empty())) {
            if let Some(d) = current.take() {
                out.directives.push(d);
            }
            let (mut parts, error) = split_args(option, 0, None);
            if let Some(e) = error {
                errors.push(ParseError::new(w.range, e.message));
            }
            // The pieces of `"--port 6380"` share the word's range.
            for p in &mut parts {
                p.range = w.range;
            }
            let mut parts = parts.into_iter();
            let name = parts.next().unwrap_or(Arg { value: ArgText::default(), range: w.range, quoted: false });
            let args: Vec<Arg> = parts.collect();
            has_value = !args.is_empty();
            current = Some(Directive { range: w.range, name, args, broken: false });
        } else if let Some(d) = current.as_mut() {
            d.args.push(Arg { value: ArgText::from(w.value), range: w.range, quoted: false });
            d.range = d.range.cover(w.range);
            has_value = true;
        } else {
            errors.push(ParseError::new(w.range, format!("`{}` is not an option: `redis-server` options start with `--`", w.value)));
        }
    }
    out.directives.extend(current);
    Parsed { tree: out, errors }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {

    #[test]
    fn arguments_read_as_written_whatever_their_length() {
        let long = "/var/lib/redis/a-rather-long-directory-name/dump.rdb";
        let src = format!("dir {long}\nrequirepass \"a\\tb\"\nport 6379\n");
        let p = parse(&src);
        let ds: Vec<&Directive> = p.tree.directives().collect();
        assert_eq!(ds[0].args[0].value, long);
        assert_eq!(ds[0].args[0].value.as_str(), ds[0].args[0].range.slice(&src));
        assert_eq!(ds[1].args[0].value, "a\tb");
        assert!(ds[1].args[0].quoted);
        assert_eq!(ds[2].name.value, "port");
        assert_eq!(ds[2].arg(0), Some("6379"));
        // Clones and owned copies compare by text.
        let copy = ds[0].args[0].value.clone();
        drop(p);
        assert_eq!(copy.to_string(), long);
        assert_eq!(ArgText::from(long), copy);
    }

    use super::*;

    fn values(d: &Directive) -> Vec<&str> {
        d.args.iter().map(|a| a.value.as_str()).collect()
    }

    #[test]
    fn lines_comments_and_multi_argument_directives() {
        let src = "# Redis\n\n  bind 127.0.0.1 -::1  \r\nsave 900 1\nsave \"\"\nclient-output-buffer-limit pubsub 32mb 8mb 60\nrename-command CONFIG \"\"\ninclude /etc/redis/local.conf\n   # indented comment\nMAXMEMORY 1gb";
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.tree.lines.len(), 10);
        assert!(matches!(p.tree.lines[1].kind, LineKind::Blank));
        assert!(matches!(p.tree.lines[8].kind, LineKind::Comment(r) if r.slice(src) == "# indented comment"));
        let ds: Vec<&Directive> = p.tree.directives().collect();
        assert_eq!(ds.len(), 7);
        assert_eq!(ds[0].name.range.slice(src), "bind");
        assert_eq!(values(ds[0]), ["127.0.0.1", "-::1"]);
        assert_eq!(ds[0].range.slice(src), "bind 127.0.0.1 -::1");
        assert_eq!(values(ds[1]), ["900", "1"]);
        assert_eq!(values(ds[2]), [""]);
        assert_eq!(values(ds[3]), ["pubsub", "32mb", "8mb", "60"]);
        assert_eq!(ds[4].args[1].range.slice(src), "\"\"");
        assert!(ds[4].args[1].quoted);
        assert!(p.tree.last("maxmemory").is_some_and(|d| d.args[0].range.slice(src) == "1gb"));
        assert_eq!(p.tree.named("save").count(), 2);
    }

    #[test]
    fn quotes_and_escapes_as_sdssplitargs() {
        let src = "requirepass \"a\\x41\\n\\\"b\" 'it\\'s' mi\"x ed\"\n";
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let d = p.tree.directives().next().unwrap();
        assert_eq!(values(d), ["aA\n\"b", "it's", "mix ed"]);
        assert_eq!(d.args[2].range.slice(src), "mi\"x ed\"");
    }

    #[test]
    fn bad_quotes_are_errors_and_the_line_is_kept() {
        let p = parse("requirepass \"abc\nmaxmemory 1gb\n");
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.contains("unbalanced"), "{}", p.errors[0].message);
        let ds: Vec<&Directive> = p.tree.directives().collect();
        assert!(ds[0].broken);
        assert!(!ds[1].broken);
        let p = parse("requirepass \"abc\"def\n");
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.contains("followed by a space"));
        assert_eq!(p.errors[0].range, TextRange::new(17, 18));
        let p = parse("\"unclosed");
        assert_eq!(p.errors.len(), 1);
    }

    #[test]
    fn hash_after_a_directive_is_an_argument() {
        let p = parse("maxmemory 30mb # small\n");
        assert_eq!(values(p.tree.directives().next().unwrap()), ["30mb", "#", "small"]);
    }

    #[test]
    fn total_on_odd_input() {
        for src in ["", "\n", "\"", "'", "\\", "a \"\\", "a \"\\x4", "é 'ü\\'", "\r\n\r\n", "x\"\"y", "\u{0}"] {
            let p = parse(src);
            for e in &p.errors {
                assert!(e.range.end() <= src.len());
            }
        }
        assert_eq!(parse("a\nb").tree.lines.len(), 2);
        assert_eq!(parse("a\nb\n").tree.lines.len(), 2);
    }

    fn words(src: &str) -> Vec<ArgvWord<'_>> {
        let mut out = Vec::new();
        let mut at = 0;
        for w in src.split(' ') {
            out.push(ArgvWord { value: w, range: TextRange::new(at, at + w.len()) });
            at += w.len() + 1;
        }
        out
    }

    #[test]
    fn command_lines() {
        let src = "/etc/redis.conf --maxmemory 30mb --save 900 1 --save --appendonly yes";
        let p = parse_argv(&words(src));
        assert!(p.errors.is_empty());
        assert_eq!(p.tree.config_file.as_ref().unwrap().value, "/etc/redis.conf");
        let ds = &p.tree.directives;
        assert_eq!(ds.iter().map(|d| d.name.value.as_str()).collect::<Vec<_>>(), ["maxmemory", "save", "save", "appendonly"]);
        assert_eq!(ds[0].args[0].range.slice(src), "30mb");
        assert_eq!(values(&ds[1]), ["900", "1"]);
        assert!(ds[2].args.is_empty());
        let p = parse_argv(&words("--requirepass --weird --port 1"));
        assert_eq!(values(&p.tree.directives[0]), ["--weird"]);
        assert!(p.tree.config_file.is_none());
        assert_eq!(p.tree.directives.len(), 2);
        let p = parse_argv(&[ArgvWord { value: "--port 6380", range: TextRange::new(0, 11) }]);
        assert_eq!(values(&p.tree.directives[0]), ["6380"]);
    }
}
