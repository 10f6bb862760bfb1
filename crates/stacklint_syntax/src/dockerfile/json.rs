//! The exec form: a JSON array of strings, checked the way Go's `encoding/json` does.
//!
//! The whole text must be valid JSON (else BuildKit falls back to the shell form); a
//! valid array with a non-string element is an error. Iterative, so deep nesting
//! cannot overflow the stack; Go's nesting limit (10000) is kept.

/// One top-level string element: its byte span in the input (quotes included) and
/// its decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawJsonString {
    pub start: usize,
    pub end: usize,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not valid JSON: the instruction is in shell form.
    Syntax,
    /// Valid JSON, but an element is not a string: BuildKit rejects the instruction.
    NotStringArray,
}

const MAX_DEPTH: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Array,
    Object,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// After `[`: a value or `]`.
    FirstValue,
    Value,
    /// After `{`: a key or `}`.
    FirstKey,
    Key,
    AfterValue,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Parses `s` (which starts with `[` after whitespace) as a JSON array of strings.
pub(crate) fn parse_string_array(s: &str) -> Result<Vec<RawJsonString>, JsonError> {
    let b = s.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return Err(JsonError::Syntax);
    }
    i += 1;
    let mut stack = vec![Container::Array];
    let mut state = State::FirstValue;
    let mut strings = Vec::new();
    let mut non_string = false;
    loop {
        i = skip_ws(b, i);
        let c = b.get(i).copied();
        match state {
            State::FirstValue | State::Value => {
                if state == State::FirstValue && c == Some(b']') {
                    stack.pop();
                    i += 1;
                    state = State::AfterValue;
                    continue;
                }
                let top_level = stack.len() == 1;
                match c {
                    Some(b'"') => {
                        let (end, value) = parse_string(s, i)?;
                        if top_level {
                            strings.push(RawJsonString { start: i, end, value });
                        }
                        i = end;
                        state = State::AfterValue;
                    }
                    Some(open @ (b'[' | b'{')) => {
                        non_string |= top_level;
                        if stack.len() >= MAX_DEPTH {
                            return Err(JsonError::Syntax);
                        }
                        let (kind, next) = if open == b'[' {
                            (Container::Array, State::FirstValue)
                        } else {
                            (Container::Object, State::FirstKey)
                        };
                        stack.push(kind);
                        i += 1;
                        state = next;
                    }
                    Some(_) => {
                        i = scalar(b, i)?;
                        non_string |= top_level;
                        state = State::AfterValue;
                    }
                    None => return Err(JsonError::Syntax),
                }
            }
            State::FirstKey | State::Key => {
                if state == State::FirstKey && c == Some(b'}') {
                    stack.pop();
                    i += 1;
                    state = State::AfterValue;
                    continue;
                }
                if c != Some(b'"') {
                    return Err(JsonError::Syntax);
                }
                let (end, _) = parse_string(s, i)?;
                i = skip_ws(b, end);
                if b.get(i) != Some(&b':') {
                    return Err(JsonError::Syntax);
                }
                i += 1;
                state = State::Value;
            }
            State::AfterValue => {
                let Some(&top) = stack.last() else {
                    if c.is_some() {
                        return Err(JsonError::Syntax);
                    }
                    return if non_string { Err(JsonError::NotStringArray) } else { Ok(strings) };
                };
                match (top, c) {
                    (Container::Array, Some(b',')) => state = State::Value,
                    (Container::Object, Some(b',')) => state = State::Key,
                    (Container::Array, Some(b']')) | (Container::Object, Some(b'}')) => {
                        stack.pop();
                    }
                    _ => return Err(JsonError::Syntax),
                }
                i += 1;
            }
        }
    }
}

/// A number or `true`/`false`/`null` at `start`; returns its end.
fn scalar(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let rest = b.get(start..).unwrap_or(&[]);
    for lit in [&b"true"[..], b"false", b"null"] {
        if rest.starts_with(lit) {
            return Ok(start + lit.len());
        }
    }
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    let mut j = start;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    let digits = |from: usize| {
        let mut end = from;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        (end, end - from)
    };
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j).0,
        _ => return Err(JsonError::Syntax),
    }
    if b.get(j) == Some(&b'.') {
        let (end, count) = digits(j + 1);
        if count == 0 {
            return Err(JsonError::Syntax);
        }
        j = end;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (end, count) = digits(j);
        if count == 0 {
            return Err(JsonError::Syntax);
        }
        j = end;
    }
    Ok(j)
}

fn hex4(s: &str, at: usize) -> Option<u32> {
    let h = s.get(at..at + 4)?;
    if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(h, 16).ok()
}

/// The string literal starting with the `"` at `start`: its end (after the closing
/// quote) and decoded value. Lone surrogates decode to U+FFFD as in Go.
fn parse_string(s: &str, start: usize) -> Result<(usize, String), JsonError> {
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let c = s.get(i..).and_then(|r| r.chars().next()).ok_or(JsonError::Syntax)?;
        match c {
            '"' => return Ok((i + 1, out)),
            '\\' => {
                let e = s.as_bytes().get(i + 1).copied().ok_or(JsonError::Syntax)?;
                i += 2;
                match e {
                    b'"' => out.push('"'),
                    b'\\' => out.push('\\'),
                    b'/' => out.push('/'),
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let cp = hex4(s, i).ok_or(JsonError::Syntax)?;
                        i += 4;
                        if (0xD800..0xDC00).contains(&cp)
                            && s.get(i..i + 2) == Some("\\u")
                            && let Some(lo) = hex4(s, i + 2).filter(|lo| (0xDC00..0xE000).contains(lo))
                        {
                            let combined = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            out.push(char::from_u32(combined).unwrap_or('\u{FFFD}'));
                            i += 6;
                        } else {
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                    }
                    _ => return Err(JsonError::Syntax),
                }
            }
            c if u32::from(c) < 0x20 => return Err(JsonError::Syntax),
            c => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(s: &str) -> Result<Vec<String>, JsonError> {
        parse_string_array(s).map(|v| v.into_iter().map(|x| x.value).collect())
    }

    #[test]
    fn arrays() {
        assert_eq!(values("[]"), Ok(vec![]));
        assert_eq!(values(r#"[ "a", "b" ] "#), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(values(r#"["\" \\ \/ \b \f \n \r \t \u0000 \ud83d\ude00 \ud800"]"#), Ok(vec![
            "\" \\ / \u{8} \u{c} \n \r \t \u{0} 😀 \u{FFFD}".into()
        ]));
        assert_eq!(values(r#"["a", ["b"]]"#), Err(JsonError::NotStringArray));
        assert_eq!(values(r#"["a", 1.5e3, {"k": [true, null]}]"#), Err(JsonError::NotStringArray));
        assert_eq!(values(r#"["a", ["b"]"#), Err(JsonError::Syntax));
        assert_eq!(values(r"['a']"), Err(JsonError::Syntax));
        assert_eq!(values(r#"["a"] x"#), Err(JsonError::Syntax));
        assert_eq!(values(r#"["a",]"#), Err(JsonError::Syntax));
        assert_eq!(values("[01]"), Err(JsonError::Syntax));
        assert_eq!(values("[\"\t\"]"), Err(JsonError::Syntax));
        assert_eq!(values(&"[".repeat(200_000)), Err(JsonError::Syntax));
        let deep = format!("[{}{}]", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(values(&deep), Err(JsonError::NotStringArray));
    }
}
