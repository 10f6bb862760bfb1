//! Compose variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?error}`, `${VAR:+alt}`, `$VAR` and the `$$` escape, with the values of the
//! `.env` file beside the compose file.
//!
//! A variable the `.env` file does not set and that has no default is unknown: the shell
//! running compose may set it, so the value is never guessed (the result is `None`).
//!
//! ```
//! use stacklint_project::interpolation::{DotEnv, interpolate};
//! let env = DotEnv::parse(None, "TAG=1.25\nEMPTY=\n");
//! assert_eq!(interpolate("nginx:${TAG}", &env).as_deref(), Some("nginx:1.25"));
//! assert_eq!(interpolate("${CPUS:-0.5}", &env).as_deref(), Some("0.5"));
//! assert_eq!(interpolate("${EMPTY:-x}/${EMPTY-y}", &env).as_deref(), Some("x/"));
//! assert_eq!(interpolate("$$HOME", &env).as_deref(), Some("$HOME"));
//! assert_eq!(interpolate("${UNSET}", &env), None);
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use stacklint_text::TextRange;

/// The variables of a `.env` file (compose's project environment file).
#[derive(Clone, Debug, Default)]
pub struct DotEnv {
    /// The `.env` file, when there is one.
    pub file: Option<PathBuf>,
    vars: HashMap<String, (String, TextRange)>,
}

impl DotEnv {
    /// The variables of `text` (read from `file`).
    pub fn parse(file: Option<PathBuf>, text: &str) -> DotEnv {
        let vars = env_file_entries(text).into_iter().map(|(k, v, r)| (k, (v, r))).collect();
        DotEnv { file, vars }
    }

    /// A variable's value and the range of its line in the file.
    pub fn get(&self, name: &str) -> Option<(&str, TextRange)> {
        self.vars.get(name).map(|(v, r)| (v.as_str(), *r))
    }
}

/// `KEY=value` lines of an env file (comments, blank lines and `export` skipped; quotes
/// removed): name, value, and the range of the entry.
pub fn env_file_entries(text: &str) -> Vec<(String, String, TextRange)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let t = t.strip_prefix("export ").unwrap_or(t);
        let Some((k, v)) = t.split_once('=') else { continue };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\''))).unwrap_or(v);
        let lead = line.len() - line.trim_start().len();
        out.push((k.to_owned(), v.to_owned(), TextRange::new(start + lead, start + line.trim_end().len())));
    }
    out
}

/// Nested `${A:-${B:-x}}` deeper than this is left unknown.
const MAX_DEPTH: u8 = 8;

/// `text` with every variable replaced; `None` when a variable is unknown (unset without a
/// default), a `:?` error would stop compose, or the syntax is broken.
pub fn interpolate(text: &str, env: &DotEnv) -> Option<String> {
    expand(text, env, 0)
}

/// Whether `text` uses a variable (an escaped `$$` does not).
pub fn has_variables(text: &str) -> bool {
    text.replace("$$", "").contains('$')
}

fn expand(text: &str, env: &DotEnv, depth: u8) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i)?);
        let after = rest.get(i + 1..)?;
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let close = matching_brace(body)?;
            out.push_str(&braced(body.get(..close)?, env, depth)?);
            rest = body.get(close + 1..)?;
        } else {
            let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            if len == 0 {
                // A lone `$` is kept as written.
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(env.get(after.get(..len)?)?.0);
            rest = after.get(len..)?;
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The offset of the `}` closing a `${` whose body starts `body`.
fn matching_brace(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The value of `NAME`, `NAME:-default`, `NAME-default`, `NAME:?err`, `NAME:+alt`, ...
fn braced(inner: &str, env: &DotEnv, depth: u8) -> Option<String> {
    let name_len = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
    let name = inner.get(..name_len)?;
    if name.is_empty() {
        return None;
    }
    let op = inner.get(name_len..)?;
    let value = env.get(name).map(|(v, _)| v);
    let (colon, op) = match op.strip_prefix(':') {
        Some(o) => (true, o),
        None => (false, op),
    };
    // With a colon, an empty value counts as unset.
    let set = value.filter(|v| !colon || !v.is_empty());
    let mut chars = op.chars();
    let Some(kind) = chars.next() else {
        return if colon { None } else { value.map(str::to_owned) };
    };
    let word = chars.as_str();
    match kind {
        '-' => match set {
            Some(v) => Some(v.to_owned()),
            None => expand(word, env, depth + 1),
        },
        // compose stops with the error when the variable is unset: nothing to know.
        '?' => set.map(str::to_owned),
        '+' => match set {
            Some(_) => expand(word, env, depth + 1),
            None if value.is_some() || colon => Some(String::new()),
            // Unset, or set in the shell: unknown.
            None => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> DotEnv {
        DotEnv::parse(None, "A=1\nEMPTY=\nB=\"two words\"\n# C=3\nexport D=4\n")
    }

    #[test]
    fn forms() {
        let e = env();
        let i = |s: &str| interpolate(s, &e);
        assert_eq!(i("${A}").as_deref(), Some("1"));
        assert_eq!(i("$A-$B").as_deref(), Some("1-two words"));
        assert_eq!(i("${C}"), None);
        assert_eq!(i("${C:-3}").as_deref(), Some("3"));
        assert_eq!(i("${C-3}").as_deref(), Some("3"));
        assert_eq!(i("${EMPTY:-x}").as_deref(), Some("x"));
        assert_eq!(i("${EMPTY-x}").as_deref(), Some(""));
        assert_eq!(i("${A:?need A}").as_deref(), Some("1"));
        assert_eq!(i("${C:?need C}"), None);
        assert_eq!(i("${A:+yes}").as_deref(), Some("yes"));
        assert_eq!(i("${D}").as_deref(), Some("4"));
        assert_eq!(i("${C:-${A}}").as_deref(), Some("1"));
        assert_eq!(i("a$$b$$$$").as_deref(), Some("a$b$$"));
        assert_eq!(i("cost $ 5").as_deref(), Some("cost $ 5"));
        // broken syntax: unknown, never a guess
        assert_eq!(i("${A"), None);
        assert_eq!(i("${}"), None);
        assert_eq!(i("${A!}"), None);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{}x{}", "${A:-".repeat(10_000), "}".repeat(10_000));
        let _ = interpolate(&deep, &DotEnv::default());
        let unknown = format!("{}x{}", "${Z:-".repeat(20), "}".repeat(20));
        assert_eq!(interpolate(&unknown, &DotEnv::default()), None);
    }

    /// Every string of up to 5 characters over the syntax's alphabet (and a multi-byte
    /// one): no panic, and a string without `$` comes back unchanged.
    #[test]
    fn total_on_small_inputs() {
        let alphabet = ['$', '{', '}', ':', '-', '?', '+', 'A', 'é'];
        let env = env();
        let mut stack: Vec<String> = vec![String::new()];
        while let Some(s) = stack.pop() {
            let out = interpolate(&s, &env);
            if !s.contains('$') {
                assert_eq!(out.as_deref(), Some(s.as_str()));
            }
            if s.chars().count() < 5 {
                stack.extend(alphabet.iter().map(|c| format!("{s}{c}")));
            }
        }
    }

    #[test]
    fn variables_detected() {
        assert!(has_variables("${A}"));
        assert!(!has_variables("a$$b"));
    }
}
