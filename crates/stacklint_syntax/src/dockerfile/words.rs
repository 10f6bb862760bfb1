//! Word-level scanners over an instruction's logical text, each a port of the matching
//! BuildKit routine so that the split points agree: `parseWords` (ARG/ENV/LABEL),
//! `extractBuilderFlags` (flags), the whitespace split (FROM/EXPOSE/COPY...), the shell
//! word split used to find heredoc markers, and shell unquoting.
//!
//! All functions return byte offsets into their input; none of them index.

/// BuildKit's `reWhitespace`/`tokenWhitespace`: `[\t\v\f\r ]`.
pub(crate) fn is_token_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Words separated by runs of [`is_token_space`], as `start..end` pairs.
pub(crate) fn whitespace_words(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (is_token_space(c), start) {
            (true, Some(st)) => {
                out.push((st, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// BuildKit's `parseWords`: whitespace-separated words where quotes and escaped
/// characters group; quotes and escapes stay in the word. Returns raw word spans (an
/// escape token at the very end is not part of its word, as BuildKit drops it).
pub(crate) fn parse_words(s: &str, escape: char) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut start = 0;
    let mut content_end = 0;
    let mut it = s.char_indices().peekable();
    while let Some((pos, ch)) = it.next() {
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
            start = pos;
            content_end = pos;
        }
        let at_end = it.peek().is_none();
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || content_end > start {
                    words.push((start, content_end));
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if at_end {
                    continue;
                }
                it.next();
            }
            content_end = it.peek().map_or(s.len(), |&(i, _)| i);
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if at_end {
                phase = Phase::Word;
                continue;
            }
            it.next();
        }
        content_end = it.peek().map_or(s.len(), |&(i, _)| i);
    }
    if phase != Phase::Spaces && (blank_ok || content_end > start) {
        words.push((start, content_end));
    }
    words
}

/// A flag found by [`extract_flags`]: its raw span and the word BuildKit sees (quotes
/// removed, `\` escapes applied), e.g. `--mount=type=cache,target=/root/.cache`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawFlag {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// BuildKit's `extractBuilderFlags`: leading `--words`, up to the first word that does
/// not start with `--` or a lone `--`. Returns where the arguments start and the flags.
/// (BuildKit scans bytes; this scans chars, which only differs for non-ASCII flags.)
pub(crate) fn extract_flags(s: &str) -> (usize, Vec<RawFlag>) {
    let mut flags = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((pos, ch)) = it.next() {
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            let next_is_dash = it.peek().is_some_and(|&(_, c)| c == '-');
            if ch != '-' || !next_is_dash {
                return (pos, flags);
            }
            phase = Phase::Word;
            start = pos;
        }
        let at_end = it.peek().is_none();
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if word == "--" {
                    return (pos, flags);
                }
                if blank_ok || !word.is_empty() {
                    flags.push(RawFlag { start, end: pos, text: std::mem::take(&mut word) });
                }
                word.clear();
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                continue;
            }
            let mut ch = ch;
            if ch == '\\' {
                if at_end {
                    continue;
                }
                if let Some((_, next)) = it.next() {
                    ch = next;
                }
            }
            word.push(ch);
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            continue;
        }
        let mut ch = ch;
        if ch == '\\' {
            if at_end {
                phase = Phase::Word;
                continue;
            }
            if let Some((_, next)) = it.next() {
                ch = next;
            }
        }
        word.push(ch);
    }
    if phase != Phase::Spaces && word != "--" && (blank_ok || !word.is_empty()) {
        flags.push(RawFlag { start, end: s.len(), text: word });
    }
    (s.len(), flags)
}

/// Shell words with quotes and escapes kept, as BuildKit's lexer splits a line in raw
/// mode to look for heredoc markers. `None` when a quote is not closed.
pub(crate) fn raw_shell_words(s: &str) -> Option<Vec<(usize, usize)>> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut it = s.char_indices().peekable();
    while let Some((pos, ch)) = it.next() {
        if ch.is_whitespace() {
            if let Some(st) = start.take() {
                words.push((st, pos));
            }
            continue;
        }
        if start.is_none() {
            start = Some(pos);
        }
        match ch {
            '\\' => {
                it.next();
            }
            '\'' => loop {
                match it.next() {
                    Some((_, '\'')) => break,
                    Some(_) => {}
                    None => return None,
                }
            },
            '"' => loop {
                match it.next() {
                    Some((_, '"')) => break,
                    Some((_, '\\')) => {
                        it.next();
                    }
                    Some(_) => {}
                    None => return None,
                }
            },
            '$' if it.peek().is_some_and(|&(_, c)| c == '{') => {
                let mut depth = 0usize;
                for (_, c) in it.by_ref() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        words.push((st, s.len()));
    }
    Some(words)
}

/// A word that opens a heredoc: `[fd]<<[-]NAME`, NAME possibly quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawHeredoc {
    pub start: usize,
    pub end: usize,
    pub name: String,
    pub fd: Option<u32>,
    pub chomp: bool,
    pub expand: bool,
}

/// The heredoc markers in a logical line (BuildKit's `heredocsFromLine`).
pub(crate) fn heredoc_markers(line: &str) -> Vec<RawHeredoc> {
    if !line.contains("<<") {
        return Vec::new();
    }
    let Some(words) = raw_shell_words(line) else { return Vec::new() };
    words
        .into_iter()
        .filter_map(|(start, end)| {
            let word = line.get(start..end)?;
            let digits = word.find(|c: char| !c.is_ascii_digit()).unwrap_or(word.len());
            let rest = word.get(digits..)?.strip_prefix("<<")?;
            let (chomp, rest) = match rest.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            if rest.is_empty() || rest.contains('<') {
                return None;
            }
            let fd = if digits == 0 { None } else { word.get(..digits)?.parse().ok() };
            let u = unquote(rest, '\\');
            if u.unterminated || u.value.is_empty() {
                return None;
            }
            Some(RawHeredoc { start, end, name: u.value, fd, chomp, expand: !u.quoted })
        })
        .collect()
}

/// The result of [`unquote`].
pub(crate) struct Unquoted {
    pub value: String,
    /// Some quote was removed.
    pub quoted: bool,
    /// A quote was still open at the end.
    pub unterminated: bool,
}

/// Removes shell quoting the way BuildKit's word lexer does (no variable expansion):
/// outside quotes the escape token escapes any character; inside `'...'` nothing is
/// special; inside `"..."` it escapes only `"`, `$` and itself.
pub(crate) fn unquote(raw: &str, escape: char) -> Unquoted {
    let mut value = String::with_capacity(raw.len());
    let mut quoted = false;
    let mut it = raw.chars().peekable();
    while let Some(ch) = it.next() {
        match ch {
            '\'' => {
                quoted = true;
                loop {
                    match it.next() {
                        Some('\'') => break,
                        Some(c) => value.push(c),
                        None => return Unquoted { value, quoted, unterminated: true },
                    }
                }
            }
            '"' => {
                quoted = true;
                loop {
                    match it.next() {
                        Some('"') => break,
                        Some(c) if c == escape => match it.peek() {
                            Some(&n) if n == '"' || n == '$' || n == escape => {
                                value.push(n);
                                it.next();
                            }
                            Some(_) => value.push(c),
                            None => {}
                        },
                        Some(c) => value.push(c),
                        None => return Unquoted { value, quoted, unterminated: true },
                    }
                }
            }
            c if c == escape => {
                if let Some(n) = it.next() {
                    value.push(n);
                }
            }
            c => value.push(c),
        }
    }
    Unquoted { value, quoted, unterminated: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(s: &'a str, spans: &[(usize, usize)]) -> Vec<&'a str> {
        spans.iter().map(|&(a, b)| s.get(a..b).unwrap_or("<bad>")).collect()
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        let s = r#"abc="123 456" def a\ b 'x y'z"#;
        assert_eq!(texts(s, &parse_words(s, '\\')), ["abc=\"123 456\"", "def", "a\\ b", "'x y'z"]);
        let s = "a b\\";
        assert_eq!(texts(s, &parse_words(s, '\\')), ["a", "b"]);
        let s = "k=\"\"";
        assert_eq!(texts(s, &parse_words(s, '\\')), ["k=\"\""]);
    }

    #[test]
    fn flags_stop_at_first_argument_or_double_dash() {
        let (at, f) = extract_flags("--from=build --chown=\"a b\" src dst");
        assert_eq!(at, 27);
        assert_eq!(f.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), ["--from=build", "--chown=a b"]);
        assert_eq!(f.get(1).map(|f| (f.start, f.end)), Some((13, 26)));
        let (at, f) = extract_flags("--doit=true -- foo");
        assert_eq!((at, f.len()), (14, 1));
        let (at, f) = extract_flags("--link");
        assert_eq!((at, f.len()), (6, 1));
        assert_eq!(extract_flags("-x --y").0, 0);
    }

    #[test]
    fn heredoc_markers_found() {
        let m = heredoc_markers("COPY <<a 2<<-\"b c\" /dest/ '<<no'");
        let got: Vec<_> = m.iter().map(|m| (m.name.as_str(), m.expand, m.chomp, m.fd)).collect();
        assert_eq!(got, [("a", true, false, None), ("b c", false, true, Some(2))]);
        assert!(heredoc_markers("RUN cat<<EOF").is_empty());
        assert!(heredoc_markers("RUN echo \"<<EOF").is_empty());
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote(r#""a\"b" 'c\d' e\ f"#, '\\').value, r#"a"b c\d e f"#);
        assert_eq!(unquote(r#""a\nb""#, '\\').value, r"a\nb");
        assert!(unquote("\"abc", '\\').unterminated);
        assert_eq!(unquote("a`b", '`').value, "ab");
    }
}
