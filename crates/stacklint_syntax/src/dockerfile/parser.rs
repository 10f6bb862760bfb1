//! The line scanner and the per-instruction parsers (BuildKit's `Parse` loop and its
//! dispatch table).

use stacklint_text::TextRange;

use super::json::{self, JsonError};
use super::text::ShellText;
use super::words::{self, is_token_space};
use super::{
    Arguments, Comment, Directive, Dockerfile, ExecForm, Flag, FromArgs, Healthcheck, Heredoc, ImageRef,
    Instruction, JsonString, KeyValue, Keyword, Word,
};
use crate::{ParseError, Parsed};

/// ONBUILD triggers nest at most this deep (BuildKit rejects any nesting; the limit
/// only keeps recursion bounded on hostile input).
const MAX_ONBUILD_DEPTH: usize = 4;

pub(crate) fn parse(text: &str) -> Parsed<Dockerfile> {
    let mut p = Parser { text, escape: '\\', errors: Vec::new(), directives: Vec::new(), comments: Vec::new() };
    let instructions = p.run();
    if instructions.is_empty() {
        p.error(TextRange::empty(0), "file with no instructions");
    }
    let tree = Dockerfile { directives: p.directives, escape: p.escape, instructions, comments: p.comments };
    Parsed { tree, errors: p.errors }
}

/// `text[start..end]`, or `""` when that is not a valid slice.
fn sub(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// One physical line: `start..end` is its content without the terminator (trailing
/// `\r`s dropped, as BuildKit's `trimNewline`), `next` the start of the next line.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

fn line_at(text: &str, start: usize) -> Line {
    let rest = text.get(start..).unwrap_or("");
    let (len, next) = match rest.find('\n') {
        Some(i) => (i, start + i + 1),
        None => (rest.len(), text.len()),
    };
    let content = rest.get(..len).unwrap_or("");
    Line { start, end: start + content.trim_end_matches('\r').len(), next }
}

/// BuildKit's line-continuation regex `([^E])E[ \t]*$|^E[ \t]*$` (E the escape token):
/// how many bytes of `line` to keep, and whether the instruction continues.
fn trim_continuation(line: &str, escape: char) -> (usize, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(before) if before.is_empty() || !before.ends_with(escape) => (before.len(), true),
        _ => (line.len(), false),
    }
}

/// Go's regexp `\s`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

struct Parser<'a> {
    text: &'a str,
    escape: char,
    errors: Vec<ParseError>,
    directives: Vec<Directive>,
    comments: Vec<Comment>,
}

impl Parser<'_> {
    fn error(&mut self, range: TextRange, message: impl Into<String>) {
        self.errors.push(ParseError::new(range, message));
    }

    fn run(&mut self) -> Vec<Instruction> {
        let text = self.text;
        let len = text.len();
        let mut instructions = Vec::new();
        let mut pos = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        let mut directives_done = false;
        while pos < len {
            let line = line_at(text, pos);
            pos = line.next;
            let content = sub(text, line.start, line.end);
            let start = line.end - content.trim_start().len();
            let body = sub(text, start, line.end);
            if !directives_done {
                if self.directive(body, start) {
                    continue;
                }
                directives_done = true;
            }
            if body.starts_with('#') {
                self.comment(start, line.end);
                continue;
            }
            let (kept, mut continues) = trim_continuation(body, self.escape);
            if !continues && kept == 0 {
                continue;
            }
            let mut logical = ShellText::new(start);
            logical.push(sub(body, 0, kept), start);
            let mut last_end = line.end;
            while continues && pos < len {
                let l = line_at(text, pos);
                pos = l.next;
                let c = sub(text, l.start, l.end);
                let t = c.trim_start();
                if t.starts_with('#') {
                    self.comment(l.end - t.len(), l.end);
                    last_end = l.end;
                    continue;
                }
                if t.is_empty() {
                    continue;
                }
                let (k, more) = trim_continuation(c, self.escape);
                logical.push(sub(c, 0, k), l.start);
                continues = more;
                last_end = l.end;
            }
            if logical.as_str().trim().is_empty() {
                // Only continuation tokens (`\` alone on its lines): BuildKit makes an
                // empty node that it rejects later; there is nothing to keep.
                continue;
            }
            let mut instr = self.instruction(&logical, 0);
            if can_contain_heredoc(&instr) {
                let (heredocs, end) = self.heredocs(&logical, &mut pos);
                instr.heredocs = heredocs;
                last_end = last_end.max(end);
            }
            instr.range = TextRange::new(start, last_end);
            instructions.push(instr);
        }
        instructions
    }

    fn comment(&mut self, start: usize, end: usize) {
        let body = sub(self.text, start, end);
        let text = body.strip_prefix('#').unwrap_or(body).trim().to_owned();
        self.comments.push(Comment { range: TextRange::new(start, end), text });
    }

    /// A parser directive line (`#name=value` with a known name); false ends the
    /// directives.
    fn directive(&mut self, body: &str, at: usize) -> bool {
        let Some(rest) = body.strip_prefix('#') else { return false };
        let name_start = rest.len() - rest.trim_start_matches(is_re_space).len();
        let after = sub(rest, name_start, rest.len());
        if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return false;
        }
        let name_len = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        let name = sub(after, 0, name_len).to_ascii_lowercase();
        let after_name = sub(after, name_len, after.len()).trim_start_matches(is_re_space);
        let Some(value_part) = after_name.strip_prefix('=') else { return false };
        let value = value_part.trim_start_matches(is_re_space).trim_end_matches(is_re_space);
        if value.is_empty() || !matches!(name.as_str(), "syntax" | "escape" | "check") {
            return false;
        }
        let value_start = at + body.len() - value_part.trim_start_matches(is_re_space).len();
        let name_at = at + 1 + name_start;
        let directive = Directive {
            name,
            value: value.to_owned(),
            range: TextRange::new(at, at + body.len()),
            name_range: TextRange::new(name_at, name_at + name_len),
            value_range: TextRange::new(value_start, value_start + value.len()),
        };
        if self.directives.iter().any(|d| d.name == directive.name) {
            self.error(directive.range, format!("only one `{}` parser directive can be used", directive.name));
            return true;
        }
        if directive.name == "escape" {
            match directive.value.as_str() {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                other => {
                    self.error(
                        directive.value_range,
                        format!("invalid escape token `{other}`: it must be `` ` `` or `\\`"),
                    );
                }
            }
        }
        self.directives.push(directive);
        true
    }

    /// Reads the bodies of the heredocs opened in `logical`, from `*pos` on. Returns
    /// them and where the last line read ends.
    fn heredocs(&mut self, logical: &ShellText, pos: &mut usize) -> (Vec<Heredoc>, usize) {
        let text = self.text;
        let mut out = Vec::new();
        let mut last_end = 0;
        for m in words::heredoc_markers(logical.as_str()) {
            let marker_range = logical.source_range(TextRange::new(m.start, m.end));
            let body_start = *pos;
            let mut terminator = None;
            while *pos < text.len() {
                let l = line_at(text, *pos);
                *pos = l.next;
                last_end = l.end;
                let line = sub(text, l.start, l.end);
                let candidate = if m.chomp { line.trim_start_matches('\t') } else { line };
                if candidate == m.name {
                    terminator = Some(TextRange::new(l.start, l.end));
                    break;
                }
            }
            let content_end = terminator.map_or(*pos, TextRange::start);
            let raw = sub(text, body_start, content_end);
            let content = if m.chomp { strip_leading_tabs(raw) } else { raw.to_owned() };
            let unterminated = terminator.is_none();
            out.push(Heredoc {
                name: m.name,
                fd: m.fd,
                chomp: m.chomp,
                expand: m.expand,
                marker_range,
                content_range: TextRange::new(body_start, content_end),
                content,
                terminator_range: terminator,
            });
            if unterminated {
                let name = out.last().map(|h| h.name.clone()).unwrap_or_default();
                self.error(marker_range, format!("heredoc `{name}` has no end marker: its body runs to the end of the file"));
                break;
            }
        }
        (out, last_end)
    }

    /// Parses one logical instruction line (BuildKit's `newNodeFromLine`).
    fn instruction(&mut self, line: &ShellText, depth: usize) -> Instruction {
        let s = line.as_str();
        let t_start = s.len() - s.trim_start().len();
        let t_end = s.trim_end().len().max(t_start);
        let trimmed = sub(s, t_start, t_end);
        let kw_len = trimmed.find(is_token_space).unwrap_or(trimmed.len());
        let keyword = Keyword::parse(sub(trimmed, 0, kw_len));
        let keyword_range = line.source_range(TextRange::new(t_start, t_start + kw_len));

        let mut flags = Vec::new();
        let (args_start, args_end) = if kw_len < trimmed.len() {
            let after = sub(trimmed, kw_len, trimmed.len());
            let rest_start = t_start + kw_len + (after.len() - after.trim_start_matches(is_token_space).len());
            let rest = sub(s, rest_start, t_end);
            let (at, raw_flags) = words::extract_flags(rest);
            for f in raw_flags {
                flags.push(make_flag(line, rest, rest_start, f));
            }
            let args = sub(rest, at, rest.len());
            let lead = args.len() - args.trim_start().len();
            let keep = args.trim_end().len().max(lead);
            (rest_start + at + lead, rest_start + at + keep)
        } else {
            (t_end, t_end)
        };
        let args_text = line.slice(args_start, args_end);
        let args = self.arguments(&keyword, keyword_range, &args_text, depth);
        if let Keyword::Other(word) = &keyword {
            let shown: String = word.chars().take(40).collect();
            let more = if shown.len() < word.len() { "..." } else { "" };
            self.error(keyword_range, format!("unknown instruction `{shown}{more}`"));
        }
        Instruction { keyword, keyword_range, range: line.range(), flags, args, args_text, heredocs: Vec::new(), shell_cache: super::ShellCache::default() }
    }

    fn arguments(&mut self, keyword: &Keyword, keyword_range: TextRange, args: &ShellText, depth: usize) -> Arguments {
        let s = args.as_str();
        let parsed = match keyword {
            Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell => {
                if s.is_empty() {
                    Arguments::None
                } else {
                    self.exec_form(args).unwrap_or_else(|| Arguments::Shell(args.clone()))
                }
            }
            Keyword::Add | Keyword::Copy | Keyword::Volume => self.exec_form(args).unwrap_or_else(|| {
                let ws = words::whitespace_words(s);
                if ws.is_empty() {
                    Arguments::None
                } else {
                    Arguments::Words(ws.into_iter().map(|(a, b)| self.word(args, a, b)).collect())
                }
            }),
            Keyword::Expose => {
                let ws = words::whitespace_words(s);
                if ws.is_empty() {
                    Arguments::None
                } else {
                    Arguments::Words(ws.into_iter().map(|(a, b)| self.word(args, a, b)).collect())
                }
            }
            Keyword::Env | Keyword::Label => self.name_val(keyword, args),
            Keyword::Arg => {
                let kvs: Vec<KeyValue> = words::parse_words(s, self.escape)
                    .into_iter()
                    .map(|(a, b)| self.key_value(args, a, b).unwrap_or_else(|| self.key_only(args, a, b)))
                    .collect();
                if kvs.is_empty() { Arguments::None } else { Arguments::KeyValues(kvs) }
            }
            Keyword::From => Arguments::From(Box::new(self.from(args))),
            Keyword::Healthcheck => self.healthcheck(args),
            Keyword::Maintainer | Keyword::Stopsignal | Keyword::User | Keyword::Workdir => {
                if s.is_empty() {
                    Arguments::None
                } else {
                    Arguments::Text(args.clone())
                }
            }
            Keyword::Onbuild => self.onbuild(args, depth),
            Keyword::Other(_) => Arguments::None,
        };
        self.check_arity(keyword, keyword_range, args, &parsed);
        parsed
    }

    /// The few argument-count checks BuildKit makes when it turns the tree into
    /// instructions, for the instructions whose rule is simple.
    fn check_arity(&mut self, keyword: &Keyword, keyword_range: TextRange, args: &ShellText, parsed: &Arguments) {
        let at = if args.is_empty() { keyword_range } else { args.range() };
        let count = match parsed {
            Arguments::None => 0,
            Arguments::Exec(e) => e.elements.len(),
            Arguments::Words(w) => w.len(),
            Arguments::KeyValues(kv) => kv.len(),
            _ => 1,
        };
        let message = match keyword {
            Keyword::Env | Keyword::Label | Keyword::Expose | Keyword::Volume | Keyword::Arg | Keyword::Onbuild
                if count == 0 =>
            {
                format!("`{keyword}` requires at least one argument")
            }
            Keyword::Maintainer | Keyword::Stopsignal | Keyword::User | Keyword::Workdir if count == 0 => {
                format!("`{keyword}` requires exactly one argument")
            }
            Keyword::Add | Keyword::Copy if count < 2 => {
                format!("`{keyword}` requires at least two arguments: sources and a destination")
            }
            Keyword::Shell if !matches!(parsed, Arguments::Exec(_)) => {
                "`SHELL` requires the arguments to be in JSON form".to_owned()
            }
            _ => return,
        };
        self.error(at, message);
    }

    /// A [`Word`] from the logical span `a..b` of `args`.
    fn word(&self, args: &ShellText, a: usize, b: usize) -> Word {
        let raw = sub(args.as_str(), a, b).to_owned();
        let value = words::unquote(&raw, self.escape).value;
        Word { raw, value, range: args.source_range(TextRange::new(a, b)) }
    }

    /// The exec form, when `args` is a valid JSON array (BuildKit's `parseJSON`).
    fn exec_form(&mut self, args: &ShellText) -> Option<Arguments> {
        let s = args.as_str();
        if !s.starts_with('[') {
            return None;
        }
        match json::parse_string_array(s) {
            Ok(elements) => Some(Arguments::Exec(ExecForm {
                elements: elements
                    .into_iter()
                    .map(|e| JsonString { value: e.value, range: args.source_range(TextRange::new(e.start, e.end)) })
                    .collect(),
                range: args.range(),
            })),
            Err(JsonError::Syntax) => None,
            Err(JsonError::NotStringArray) => {
                self.error(args.range(), "when using JSON array syntax, arrays must be comprised of strings only");
                None
            }
        }
    }

    /// `key=value` at the span `a..b` (a word that holds `=`).
    fn key_value(&mut self, args: &ShellText, a: usize, b: usize) -> Option<KeyValue> {
        let eq = sub(args.as_str(), a, b).find('=')?;
        let key = self.word(args, a, a + eq);
        let value = self.word(args, a + eq + 1, b);
        self.check_quotes(&key, &value);
        Some(KeyValue { key, value: Some(value), legacy: false, range: args.source_range(TextRange::new(a, b)) })
    }

    fn key_only(&self, args: &ShellText, a: usize, b: usize) -> KeyValue {
        let key = self.word(args, a, b);
        KeyValue { range: key.range, key, value: None, legacy: false }
    }

    fn check_quotes(&mut self, key: &Word, value: &Word) {
        if words::unquote(&value.raw, self.escape).unterminated {
            self.error(value.range, format!("unterminated quote in the value of `{}`", key.raw));
        }
    }

    /// ENV and LABEL (BuildKit's `parseNameVal`): `k=v ...`, or legacy `k v`.
    fn name_val(&mut self, keyword: &Keyword, args: &ShellText) -> Arguments {
        let s = args.as_str();
        let spans = words::parse_words(s, self.escape);
        let Some(&(first_a, first_b)) = spans.first() else { return Arguments::None };
        if !sub(s, first_a, first_b).contains('=') {
            let Some(key_end) = s.find(is_token_space) else {
                let kv = self.key_only(args, 0, s.len());
                let message = format!("`{keyword}` must have two arguments: `{keyword} {} <value>`", kv.key.raw);
                self.error(kv.range, message);
                let mut kv = kv;
                kv.legacy = true;
                return Arguments::KeyValues(vec![kv]);
            };
            let after = sub(s, key_end, s.len());
            let value_start = key_end + (after.len() - after.trim_start_matches(is_token_space).len());
            let key = self.word(args, 0, key_end);
            let value = self.word(args, value_start, s.len());
            self.check_quotes(&key, &value);
            let range = args.range();
            return Arguments::KeyValues(vec![KeyValue { key, value: Some(value), legacy: true, range }]);
        }
        let mut kvs = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            if let Some(kv) = self.key_value(args, a, b) {
                kvs.push(kv);
            } else {
                let kv = self.key_only(args, a, b);
                self.error(kv.range, format!("can't find `=` in `{}`: the form is `name=value`", kv.key.raw));
                kvs.push(kv);
            }
        }
        Arguments::KeyValues(kvs)
    }

    fn from(&mut self, args: &ShellText) -> FromArgs {
        let s = args.as_str();
        let spans = words::whitespace_words(s);
        let words: Vec<Word> = spans.iter().map(|&(a, b)| self.word(args, a, b)).collect();
        let image = spans.first().map(|&(a, b)| image_ref(self, args, a, b));
        let (as_keyword, stage_name) = match words.as_slice() {
            [_, kw, name] if kw.raw.eq_ignore_ascii_case("as") => (Some(kw.clone()), Some(name.clone())),
            _ => (None, None),
        };
        if words.len() != 1 && stage_name.is_none() {
            self.error(args.range(), "`FROM` requires an image and optionally `AS <name>`");
        }
        FromArgs { image, as_keyword, stage_name, words }
    }

    /// HEALTHCHECK (BuildKit's `parseHealthConfig`): a type word, then a command.
    fn healthcheck(&mut self, args: &ShellText) -> Arguments {
        let s = args.as_str();
        if s.is_empty() {
            return Arguments::Healthcheck(Healthcheck { kind: None, command: None });
        }
        let sep = s.find(char::is_whitespace).unwrap_or(s.len());
        let after = sub(s, sep, s.len());
        let next = sep + (after.len() - after.trim_start().len());
        let kind = Some(self.word(args, 0, sep));
        let cmd = args.slice(next, s.len());
        let command = if cmd.is_empty() {
            None
        } else {
            Some(Box::new(self.exec_form(&cmd).unwrap_or(Arguments::Shell(cmd))))
        };
        Arguments::Healthcheck(Healthcheck { kind, command })
    }

    /// ONBUILD (BuildKit's `parseSubCommand`): the rest is an instruction of its own.
    fn onbuild(&mut self, args: &ShellText, depth: usize) -> Arguments {
        if args.is_empty() {
            return Arguments::None;
        }
        if depth >= MAX_ONBUILD_DEPTH {
            self.error(args.range(), "ONBUILD triggers nested too deep");
            return Arguments::Text(args.clone());
        }
        let trigger = self.instruction(args, depth + 1);
        match trigger.keyword {
            Keyword::Onbuild => {
                self.error(trigger.keyword_range, "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            }
            Keyword::From | Keyword::Maintainer => {
                let message = format!("`{}` isn't allowed as an ONBUILD trigger", trigger.keyword);
                self.error(trigger.keyword_range, message);
            }
            _ => {}
        }
        Arguments::Onbuild(Box::new(trigger))
    }
}

/// BuildKit reads heredocs for RUN, COPY, ADD in shell form, also as ONBUILD triggers.
fn can_contain_heredoc(instr: &Instruction) -> bool {
    let instr = instr.onbuild_trigger().unwrap_or(instr);
    matches!(instr.keyword, Keyword::Run | Keyword::Copy | Keyword::Add) && !instr.is_exec_form()
}

fn strip_leading_tabs(s: &str) -> String {
    s.split_inclusive('\n').map(|l| l.trim_start_matches('\t')).collect()
}

fn make_flag(line: &ShellText, rest: &str, rest_start: usize, flag: words::RawFlag) -> Flag {
    let raw = sub(rest, flag.start, flag.end);
    let (start, end) = (rest_start + flag.start, rest_start + flag.end);
    let raw_eq = raw.find('=');
    let body = flag.text.strip_prefix("--").unwrap_or(&flag.text);
    let (name, value) = match body.split_once('=') {
        Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
        None => (body.to_owned(), None),
    };
    let name_end = raw_eq.map_or(end, |eq| start + eq);
    Flag {
        name,
        value,
        text: flag.text,
        range: line.source_range(TextRange::new(start, end)),
        name_range: line.source_range(TextRange::new((start + 2).min(name_end), name_end)),
        value_range: raw_eq.map(|eq| line.source_range(TextRange::new(start + eq + 1, end))),
    }
}

/// Splits an image reference into name, tag and digest; `:` and `@` inside `${...}`
/// do not count.
fn image_ref(p: &Parser<'_>, args: &ShellText, a: usize, b: usize) -> ImageRef {
    let raw = sub(args.as_str(), a, b);
    let mut depth = 0usize;
    let mut prev = '\0';
    let mut last_colon = None;
    let mut at = None;
    for (i, c) in raw.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            '/' if depth == 0 && at.is_none() => last_colon = None,
            ':' if depth == 0 && at.is_none() => last_colon = Some(i),
            '@' if depth == 0 && at.is_none() => at = Some(i),
            _ => {}
        }
        prev = c;
    }
    let name_end = last_colon.or(at).unwrap_or(raw.len());
    let tag_end = at.unwrap_or(raw.len());
    ImageRef {
        word: p.word(args, a, b),
        name: p.word(args, a, a + name_end),
        tag: last_colon.map(|c| p.word(args, a + c + 1, a + tag_end)),
        digest: at.map(|d| p.word(args, a + d + 1, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_regex() {
        assert_eq!(trim_continuation("a \\", '\\'), (2, true));
        assert_eq!(trim_continuation("a\\  \t", '\\'), (1, true));
        assert_eq!(trim_continuation("\\", '\\'), (0, true));
        assert_eq!(trim_continuation("a\\\\", '\\'), (3, false));
        assert_eq!(trim_continuation("a`", '`'), (1, true));
        assert_eq!(trim_continuation("a\\", '`'), (2, false));
    }
}
