//! The deterministic variant generator: from one small project (a rule fixture or a corpus
//! file placed in a project), the same project with its line endings, Dockerfile forms,
//! quoting, comments, compose anchors or template markers changed.
//!
//! Every transform is a pure function of the files and a seed, so a failure names its
//! variant and reproduces with the same seed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::TextRange;
use stacklint_project::{FileKind, Parsed, parse, syntax_errors};

/// splitmix64: small, seedable, good enough to pick positions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { usize::try_from(self.next_u64() % n as u64).unwrap_or(0) }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }
}

/// FNV-1a, to derive a per-case seed from its name (independent of the order of cases).
pub fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transform {
    Base,
    Crlf,
    Cr,
    Mixed,
    Comments,
    ExecForm,
    ShellForm,
    Continuation,
    Quoting,
    Jinja,
    Envsubst,
    Anchors,
    SyntaxError,
}

impl Transform {
    pub const ALL: &'static [Transform] = &[
        Transform::Base,
        Transform::Crlf,
        Transform::Cr,
        Transform::Mixed,
        Transform::Comments,
        Transform::ExecForm,
        Transform::ShellForm,
        Transform::Continuation,
        Transform::Quoting,
        Transform::Jinja,
        Transform::Envsubst,
        Transform::Anchors,
        Transform::SyntaxError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Transform::Base => "base",
            Transform::Crlf => "crlf",
            Transform::Cr => "cr-only",
            Transform::Mixed => "mixed-eol",
            Transform::Comments => "comments",
            Transform::ExecForm => "exec-form",
            Transform::ShellForm => "shell-form",
            Transform::Continuation => "continuation",
            Transform::Quoting => "quoting",
            Transform::Jinja => "jinja",
            Transform::Envsubst => "envsubst",
            Transform::Anchors => "yaml-anchors",
            Transform::SyntaxError => "syntax-error",
        }
    }

    pub fn by_name(name: &str) -> Option<Transform> {
        Transform::ALL.iter().copied().find(|t| t.name() == name)
    }
}

/// A file of the original project, with the kind stacklint gave it (None: not linted).
#[derive(Clone, Debug)]
pub struct File {
    pub path: PathBuf,
    pub kind: Option<FileKind>,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Variant {
    pub transform: Transform,
    /// The transform and the file it changed, e.g. `jinja(nginx/nginx.conf)`.
    pub label: String,
    pub files: Vec<(PathBuf, String)>,
    /// Files the fixer must leave as they are, and why (a template; a file that does not parse).
    pub untouched: Vec<(PathBuf, &'static str)>,
}

fn is_python(kind: Option<FileKind>) -> bool {
    matches!(kind, Some(FileKind::DjangoSettings | FileKind::GunicornConfig | FileKind::Python))
}

/// Kinds whose line endings and comments the variants change (not TOML, requirements).
fn is_config(kind: Option<FileKind>) -> bool {
    is_python(kind) || matches!(kind, Some(FileKind::Dockerfile | FileKind::Nginx | FileKind::Compose | FileKind::Shell | FileKind::Procfile))
}

/// Lines with their terminators (`"\n"`, `"\r\n"`, `"\r"` or `""` at the end).
pub fn split_lines(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push((&text[start..i], "\n"));
                i += 1;
                start = i;
            }
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.push((&text[start..i], "\r\n"));
                i += 2;
                start = i;
            }
            b'\r' => {
                out.push((&text[start..i], "\r"));
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < text.len() {
        out.push((&text[start..], ""));
    }
    out
}

fn with_eol(text: &str, mut eol: impl FnMut() -> &'static str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (line, end) in split_lines(text) {
        out.push_str(line);
        if !end.is_empty() {
            out.push_str(eol());
        }
    }
    out
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// The project's files, with `f` applied to the one at `index`.
fn replace_one(files: &[File], index: usize, text: String) -> Vec<(PathBuf, String)> {
    files.iter().enumerate().map(|(i, f)| (f.path.clone(), if i == index { text.clone() } else { f.text.clone() })).collect()
}

fn unchanged(files: &[File]) -> Vec<(PathBuf, String)> {
    files.iter().map(|f| (f.path.clone(), f.text.clone())).collect()
}

/// Apply `(range, replacement)` edits (non-overlapping) to `text`.
fn apply(text: &str, mut edits: Vec<(TextRange, String)>) -> String {
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start()));
    let mut out = text.to_owned();
    for (r, s) in edits {
        out.replace_range(r.start()..r.end(), &s);
    }
    out
}

/// The files to try a one-file transform on: those the base run's safe fixes edit first,
/// then the others, in a seeded order.
fn candidates(files: &[File], targets: &[PathBuf], rng: &mut Rng) -> Vec<usize> {
    let mut first: Vec<usize> = (0..files.len()).filter(|&i| targets.contains(&files[i].path)).collect();
    let mut rest: Vec<usize> = (0..files.len()).filter(|&i| !targets.contains(&files[i].path)).collect();
    if !first.is_empty() {
        let k = rng.below(first.len());
        first.rotate_left(k);
    }
    if !rest.is_empty() {
        let k = rng.below(rest.len());
        rest.rotate_left(k);
    }
    first.extend(rest);
    first
}

/// The variant of `files` for `transform`, or `None` when it does not apply to them.
/// `targets` are the files the base run's safe fixes edit.
pub fn make(transform: Transform, files: &[File], targets: &[PathBuf], seed: u64) -> Option<Variant> {
    let mut rng = Rng::new(seed ^ hash(transform.name()));
    let all = |f: &dyn Fn(&File, &mut Rng) -> Option<String>, rng: &mut Rng| -> Option<Vec<(PathBuf, String)>> {
        let mut changed = false;
        let out = files
            .iter()
            .map(|file| {
                let text = if is_config(file.kind) { f(file, rng) } else { None };
                changed |= text.as_ref().is_some_and(|t| *t != file.text);
                (file.path.clone(), text.unwrap_or_else(|| file.text.clone()))
            })
            .collect();
        changed.then_some(out)
    };
    let whole = |files: Vec<(PathBuf, String)>| Variant { transform, label: transform.name().to_owned(), files, untouched: Vec::new() };
    match transform {
        Transform::Base => Some(whole(unchanged(files))),
        Transform::Crlf => all(&|f, _| Some(with_eol(&f.text, || "\r\n")), &mut rng).map(whole),
        Transform::Cr => all(&|f, _| Some(with_eol(&f.text, || "\r")), &mut rng).map(whole),
        Transform::Mixed => {
            // Each file starts with LF (so the file's "own" ending is LF) and mixes in CRLF.
            all(&|f, rng| {
                let mut first = true;
                let mut r = Rng::new(rng.next_u64());
                Some(with_eol(&f.text, move || {
                    let eol = if !first && r.chance(1, 2) { "\r\n" } else { "\n" };
                    first = false;
                    eol
                }))
            }, &mut rng)
            .map(whole)
        }
        Transform::Comments => all(&|f, rng| comments(f, &mut Rng::new(rng.next_u64())), &mut rng).map(whole),
        Transform::ExecForm | Transform::ShellForm | Transform::Continuation | Transform::Quoting | Transform::Envsubst | Transform::Anchors => {
            let mut changed = Vec::new();
            let mut out = Vec::new();
            for file in files {
                let mut r = Rng::new(rng.next_u64());
                let new = match transform {
                    Transform::ExecForm => exec_form(file, true),
                    Transform::ShellForm => exec_form(file, false),
                    Transform::Continuation => continuation(file, &mut r),
                    Transform::Quoting => quoting(file, &mut r),
                    Transform::Envsubst => envsubst(file),
                    _ => anchors(file),
                };
                match new {
                    Some(t) if t != file.text => {
                        changed.push(file.path.display().to_string());
                        out.push((file.path.clone(), t));
                    }
                    _ => out.push((file.path.clone(), file.text.clone())),
                }
            }
            if changed.is_empty() {
                return None;
            }
            Some(Variant { transform, label: format!("{}({})", transform.name(), changed.join(",")), files: out, untouched: Vec::new() })
        }
        Transform::Jinja | Transform::SyntaxError => {
            for i in candidates(files, targets, &mut rng) {
                let file = &files[i];
                let new = if transform == Transform::Jinja { jinja(file, &mut rng) } else { syntax_error(file, &mut rng) };
                if let Some(text) = new.filter(|t| *t != file.text) {
                    let why = if transform == Transform::Jinja { "a Jinja template" } else { "it does not parse before fixing" };
                    return Some(Variant {
                        transform,
                        label: format!("{}({})", transform.name(), file.path.display()),
                        files: replace_one(files, i, text),
                        untouched: vec![(file.path.clone(), why)],
                    });
                }
            }
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// comments

fn comments(file: &File, rng: &mut Rng) -> Option<String> {
    let kind = file.kind?;
    if kind == FileKind::Procfile || (kind == FileKind::Nginx && file.text.contains("_by_lua")) {
        return None;
    }
    let lines = split_lines(&file.text);
    // Dockerfile parser directives (`# syntax=`, `# escape=`) must stay first.
    let first_code = lines.iter().position(|(l, _)| !l.trim_start().starts_with('#') && !l.trim().is_empty()).unwrap_or(0);
    let mut out = String::with_capacity(file.text.len() * 2);
    let mut inserted = 0;
    let mut prev = "";
    for (i, (line, eol)) in lines.iter().enumerate() {
        let continued = prev.trim_end().ends_with('\\');
        let allowed = i >= first_code && i > 0 && (kind == FileKind::Dockerfile || !continued);
        if allowed && rng.chance(1, 3) {
            let eol = if eol.is_empty() { lines[i - 1].1 } else { eol };
            let indent = if line.trim().is_empty() { indent_of(prev) } else { indent_of(line) };
            let _ = write!(out, "{indent}# variant: a comment between lines{eol}");
            inserted += 1;
        }
        out.push_str(line);
        out.push_str(eol);
        prev = line;
    }
    (inserted > 0).then_some(out)
}

// ---------------------------------------------------------------------------------------
// Dockerfile forms

fn simple_word(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c))
}


fn eol_after(text: &str, at: usize) -> &'static str {
    let rest = &text.as_bytes()[at.min(text.len())..];
    match rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
        Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => "\r\n",
        Some(i) if rest[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// CMD/ENTRYPOINT/RUN on one line, without flags or heredocs.
fn plain_commands(text: &str) -> Vec<crate::fixprop::structure::Instruction> {
    crate::fixprop::structure::docker_instructions(text)
        .into_iter()
        .filter(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT" | "RUN") && !i.has_flags && !i.heredoc && i.single_line && !i.args.is_empty())
        .collect()
}

/// Shell form → exec form (`to_exec`) or back, where every word is plain.
fn exec_form(file: &File, to_exec: bool) -> Option<String> {
    if file.kind != Some(FileKind::Dockerfile) {
        return None;
    }
    let mut edits = Vec::new();
    for i in plain_commands(&file.text) {
        let exec = i.args.starts_with('[');
        if to_exec && !exec {
            let words: Vec<&str> = i.args.split_whitespace().collect();
            if words.iter().all(|w| simple_word(w)) {
                let array = words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ");
                edits.push((i.args_range, format!("[{array}]")));
            }
        } else if !to_exec && exec {
            let Ok(words) = serde_json::from_str::<Vec<String>>(&i.args) else { continue };
            if !words.is_empty() && words.iter().all(|w| simple_word(w)) {
                edits.push((i.args_range, words.join(" ")));
            }
        }
    }
    (!edits.is_empty()).then(|| apply(&file.text, edits))
}

/// Split a command over two lines with a backslash continuation.
fn continuation(file: &File, rng: &mut Rng) -> Option<String> {
    match file.kind {
        Some(FileKind::Dockerfile) => {
            let mut edits = Vec::new();
            for i in plain_commands(&file.text) {
                let src = &file.text[i.args_range.start()..i.args_range.end()];
                let eol = eol_after(&file.text, i.range.end());
                // Split points: after a comma of an exec form, or a space of a shell form.
                let points: Vec<usize> = if src.starts_with('[') {
                    src.match_indices(',').map(|(p, _)| p + 1).collect()
                } else if !src.contains(['"', '\'']) {
                    src.match_indices(' ').map(|(p, _)| p).filter(|p| *p > 0).collect()
                } else {
                    Vec::new()
                };
                if points.len() < 2 && !src.starts_with('[') {
                    continue;
                }
                if points.is_empty() {
                    continue;
                }
                let at = points[rng.below(points.len())];
                let end = at + src[at..].len() - src[at..].trim_start().len();
                let start = i.args_range.start();
                edits.push((TextRange::new(start + at, start + end), format!(" \\{eol}    ")));
            }
            (!edits.is_empty()).then(|| apply(&file.text, edits))
        }
        Some(FileKind::Shell) => {
            let lines = split_lines(&file.text);
            let mut out = String::new();
            let mut changed = false;
            let mut prev = "";
            for (line, eol) in &lines {
                let words: Vec<(usize, &str)> = line.match_indices(' ').collect();
                let plain = line.contains("gunicorn") && !line.contains(['"', '\'', '#']) && !line.trim_end().ends_with('\\') && !prev.trim_end().ends_with('\\');
                let gaps: Vec<usize> = words.iter().map(|(p, _)| *p).filter(|p| *p > indent_of(line).len() && line[..*p].trim_end().len() == *p).collect();
                if plain && gaps.len() >= 2 && !eol.is_empty() {
                    let at = gaps[1 + rng.below(gaps.len() - 1)];
                    let rest = line[at..].trim_start();
                    out.push_str(&line[..at]);
                    let _ = write!(out, " \\{eol}    {rest}");
                    changed = true;
                } else {
                    out.push_str(line);
                }
                out.push_str(eol);
                prev = line;
            }
            changed.then_some(out)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// quoting

fn plain_value(v: &str) -> bool {
    !v.is_empty()
        && !v.contains(['"', '\'', '\\', '#', '{', '}', ';', '`'])
        && !v.starts_with(['[', '&', '*', '!', '|', '>', '%', '@', '-', '?', ':', ','])
        && !v.ends_with(':')
        && !matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~")
}

/// Swap `"x"` and `'x'` in a Python line (plain strings only).
fn swap_python_quotes(line: &str) -> Option<String> {
    if line.contains(['#', '\\']) || line.contains("\"\"\"") || line.contains("'''") {
        return None;
    }
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let (mut i, mut changed) = (0, false);
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            let other = if c == b'"' { '\'' } else { '"' };
            let close = line[i + 1..].find(char::from(c))?;
            let content = &line[i + 1..i + 1 + close];
            if content.contains(other) || content.contains('{') {
                return None;
            }
            out.push(other);
            out.push_str(content);
            out.push(other);
            i += close + 2;
            changed = true;
            continue;
        }
        let ch = line[i..].chars().next()?;
        out.push(ch);
        i += ch.len_utf8();
    }
    changed.then_some(out)
}

fn quoting(file: &File, rng: &mut Rng) -> Option<String> {
    let q = |rng: &mut Rng| if rng.chance(1, 2) { '"' } else { '\'' };
    match file.kind? {
        FileKind::Nginx => {
            if file.text.contains("_by_lua") {
                return None;
            }
            let Parsed::Nginx(p) = parse(FileKind::Nginx, &file.text) else { return None };
            let mut edits = Vec::new();
            for d in p.tree.walk() {
                let data = d.data();
                if data.block.is_some() || matches!(d.name(), "if" | "map" | "types" | "rewrite" | "return" | "set") {
                    continue;
                }
                for a in &data.args {
                    if a.quote.is_none() && a.raw == a.value && plain_value(&a.raw) && rng.chance(2, 3) {
                        let q = q(rng);
                        edits.push((a.range, format!("{q}{}{q}", a.raw)));
                    }
                }
            }
            (!edits.is_empty()).then(|| apply(&file.text, edits))
        }
        k if is_python(Some(k)) => {
            let mut out = String::new();
            let mut changed = false;
            for (line, eol) in split_lines(&file.text) {
                match swap_python_quotes(line).filter(|_| rng.chance(2, 3)) {
                    Some(l) => {
                        out.push_str(&l);
                        changed = true;
                    }
                    None => out.push_str(line),
                }
                out.push_str(eol);
            }
            changed.then_some(out)
        }
        FileKind::Dockerfile => {
            let mut edits = Vec::new();
            for i in crate::fixprop::structure::docker_instructions(&file.text) {
                if !i.single_line || i.heredoc || i.args.starts_with('[') {
                    continue;
                }
                let start = i.args_range.start();
                let src = &file.text[start..i.args_range.end()];
                match i.keyword.as_str() {
                    "CMD" | "ENTRYPOINT" | "RUN" if !src.contains(['"', '\'', '\\', '$']) => {
                        let mut pos = 0;
                        for w in src.split(' ') {
                            if simple_word(w) && !w.contains('=') && rng.chance(1, 2) {
                                let q = q(rng);
                                edits.push((TextRange::new(start + pos, start + pos + w.len()), format!("{q}{w}{q}")));
                            }
                            pos += w.len() + 1;
                        }
                    }
                    "ENV" if !src.contains(['"', '\'', '\\', ' ']) => {
                        if let Some((k, v)) = src.split_once('=')
                            && simple_word(v)
                        {
                            let q = q(rng);
                            let at = start + k.len() + 1;
                            edits.push((TextRange::new(at, at + v.len()), format!("{q}{v}{q}")));
                        }
                    }
                    _ => {}
                }
            }
            (!edits.is_empty()).then(|| apply(&file.text, edits))
        }
        FileKind::Compose => {
            let mut out = String::new();
            let mut changed = false;
            let mut in_block_scalar: Option<usize> = None;
            for (line, eol) in split_lines(&file.text) {
                let indent = indent_of(line).len();
                if let Some(i) = in_block_scalar {
                    if line.trim().is_empty() || indent > i {
                        out.push_str(line);
                        out.push_str(eol);
                        continue;
                    }
                    in_block_scalar = None;
                }
                let body = &line[indent..];
                let (prefix, rest) = match body.strip_prefix("- ") {
                    Some(r) => (&line[..indent + 2], r),
                    None => (&line[..indent], body),
                };
                let new = match rest.split_once(": ") {
                    Some((key, value)) if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) && plain_value(value.trim_end()) => {
                        let q = q(rng);
                        Some(format!("{prefix}{key}: {q}{}{q}", value.trim_end()))
                    }
                    None if body.starts_with("- ") && plain_value(rest.trim_end()) && !rest.contains(": ") && !rest.ends_with(':') => {
                        let q = q(rng);
                        Some(format!("{prefix}{q}{}{q}", rest.trim_end()))
                    }
                    _ => None,
                };
                if rest.trim_end().ends_with(['|', '>']) || rest.trim_end().ends_with("|-") || rest.trim_end().ends_with(">-") {
                    in_block_scalar = Some(indent);
                }
                match new.filter(|_| rng.chance(2, 3)) {
                    Some(l) => {
                        out.push_str(&l);
                        changed = true;
                    }
                    None => out.push_str(line),
                }
                out.push_str(eol);
            }
            changed.then_some(out)
        }
        FileKind::Shell => {
            let mut out = String::new();
            let mut changed = false;
            for (line, eol) in split_lines(&file.text) {
                if line.contains("gunicorn") && !line.contains(['"', '\'', '#', '$', '\\']) {
                    let indent = indent_of(line);
                    let words: Vec<&str> = line.trim().split(' ').collect();
                    let quoted: Vec<String> = words
                        .iter()
                        .enumerate()
                        .map(|(n, w)| if n > 0 && simple_word(w) && !w.contains('=') && rng.chance(1, 2) { let q = q(rng); format!("{q}{w}{q}") } else { (*w).to_owned() })
                        .collect();
                    let new = format!("{indent}{}", quoted.join(" "));
                    changed |= new != line;
                    out.push_str(&new);
                } else {
                    out.push_str(line);
                }
                out.push_str(eol);
            }
            changed.then_some(out)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// templates

/// Insert `before` and `after` lines around line `n` (which ends with a line terminator).
fn wrap_line(text: &str, n: usize, before: &str, after: &str) -> String {
    let mut out = String::new();
    for (i, (line, eol)) in split_lines(text).into_iter().enumerate() {
        let e = if eol.is_empty() { "\n" } else { eol };
        if i == n {
            let _ = write!(out, "{}{before}{e}", indent_of(line));
        }
        out.push_str(line);
        out.push_str(eol);
        if i == n {
            if eol.is_empty() {
                out.push_str(e);
            }
            let _ = write!(out, "{}{after}{e}", indent_of(line));
        }
    }
    out
}

/// Jinja markers the way real templates carry them (cookiecutter, Ansible, frappe).
fn jinja(file: &File, rng: &mut Rng) -> Option<String> {
    let lines = split_lines(&file.text);
    let pick = |rng: &mut Rng, ok: &dyn Fn(usize, &str) -> bool| -> Option<usize> {
        let c: Vec<usize> = lines.iter().enumerate().filter(|(i, (l, _))| ok(*i, l)).map(|(i, _)| i).collect();
        (!c.is_empty()).then(|| c[rng.below(c.len())])
    };
    match file.kind? {
        k if is_python(Some(k)) => {
            // `{% if %}` around a one-line top-level assignment.
            let n = pick(rng, &|i, l| {
                let next_top = lines.get(i + 1).is_none_or(|(n, _)| !n.starts_with([' ', '\t', ')', ']', '}']));
                l.split_once(" = ").is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) && next_top && !l.ends_with(['\\', '(', '[', '{'])
            })?;
            Some(wrap_line(&file.text, n, "{% if cookiecutter.use_feature == \"y\" %}", "{% endif %}"))
        }
        FileKind::Nginx => {
            let Parsed::Nginx(p) = parse(FileKind::Nginx, &file.text) else { return None };
            // A value from the inventory: the last argument of a simple directive.
            let d = p.tree.walk().find(|d| d.data().block.is_none() && !d.data().args.is_empty() && d.data().depth > 0)?;
            let arg = d.data().args.last()?;
            Some(apply(&file.text, vec![(arg.range, "{{ nginx_value }}".to_owned())]))
        }
        FileKind::Dockerfile => {
            let insts = crate::fixprop::structure::docker_instructions(&file.text);
            let from = insts.iter().find(|i| i.keyword == "FROM")?;
            let src = &file.text[from.args_range.start()..from.args_range.end()];
            let image = src.split_whitespace().next()?;
            let (name, _) = image.split_once(':').unwrap_or((image, ""));
            let at = from.args_range.start();
            Some(apply(&file.text, vec![(TextRange::new(at, at + image.len()), format!("{name}:{{{{ python_version }}}}"))]))
        }
        FileKind::Compose => {
            let n = pick(rng, &|_, l| l.trim_start().starts_with("image: ") || l.trim_start().starts_with("container_name: "))?;
            let (line, _) = lines[n];
            let (key, _) = line.split_once(": ")?;
            let mut out = String::new();
            for (i, (l, eol)) in lines.iter().enumerate() {
                if i == n {
                    let _ = write!(out, "{key}: {{{{ cookiecutter.project_slug }}}}_web");
                } else {
                    out.push_str(l);
                }
                out.push_str(eol);
            }
            Some(out)
        }
        FileKind::Shell => {
            let n = pick(rng, &|_, l| l.contains("gunicorn"))?;
            Some(wrap_line(&file.text, n, "cd {{ bench_dir }}", "# {{ managed_by }}"))
        }
        _ => None,
    }
}

/// envsubst-style `${VAR}` where the file's own syntax takes it (not Python, where it is
/// a syntax error: that is the syntax-error variant).
fn envsubst(file: &File) -> Option<String> {
    match file.kind? {
        FileKind::Nginx => {
            let Parsed::Nginx(p) = parse(FileKind::Nginx, &file.text) else { return None };
            let d = p.tree.walk().find(|d| d.is("listen") || d.is("server_name"))?;
            let arg = d.data().args.first()?;
            let value = if d.is("listen") {
                match arg.raw.rsplit_once(':') {
                    Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => format!("{host}:${{NGINX_PORT}}"),
                    _ if arg.raw.chars().all(|c| c.is_ascii_digit()) => "${NGINX_PORT}".to_owned(),
                    _ => return None,
                }
            } else {
                "${SERVER_NAME}".to_owned()
            };
            Some(apply(&file.text, vec![(arg.range, value)]))
        }
        FileKind::Dockerfile => {
            let insts = crate::fixprop::structure::docker_instructions(&file.text);
            let from = insts.iter().find(|i| i.keyword == "FROM")?;
            let src = &file.text[from.args_range.start()..from.args_range.end()];
            let image = src.split_whitespace().next()?;
            let (name, tag) = image.split_once(':')?;
            if tag.contains('$') || name.contains('$') {
                return None;
            }
            let at = from.args_range.start();
            let eol = eol_after(&file.text, from.range.end());
            let mut edits = vec![(TextRange::new(at, at + image.len()), format!("{name}:${{BASE_TAG}}"))];
            edits.push((TextRange::empty(from.range.start()), format!("ARG BASE_TAG={tag}{eol}")));
            // A port from the build environment in the command, as many images do.
            for i in plain_commands(&file.text) {
                let s = &file.text[i.args_range.start()..i.args_range.end()];
                if let Some(p) = s.find("0.0.0.0:8000") {
                    let a = i.args_range.start() + p + "0.0.0.0:".len();
                    edits.push((TextRange::new(a, a + 4), "${PORT:-8000}".to_owned()));
                }
            }
            Some(apply(&file.text, edits))
        }
        FileKind::Compose => {
            let lines = split_lines(&file.text);
            let mut out = String::new();
            let mut changed = false;
            for (line, eol) in lines {
                let t = line.trim_start();
                if let Some(v) = t.strip_prefix("image: ").filter(|v| plain_value(v.trim()) && !v.contains('$')) {
                    let _ = write!(out, "{}image: ${{IMAGE:-{}}}", indent_of(line), v.trim());
                    changed = true;
                } else if line.contains("0.0.0.0:8000") && !line.contains('$') {
                    out.push_str(&line.replacen("0.0.0.0:8000", "0.0.0.0:${PORT:-8000}", 1));
                    changed = true;
                } else {
                    out.push_str(line);
                }
                out.push_str(eol);
            }
            changed.then_some(out)
        }
        FileKind::Shell => file.text.contains("0.0.0.0:8000").then(|| file.text.replacen("0.0.0.0:8000", "0.0.0.0:${PORT:-8000}", 1)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// compose anchors

/// The first service gets an anchor; a second service reuses it with `<<: *anchor` and a
/// limit of 1 CPU (what one anchor shared by two differently sized services looks like).
fn anchors(file: &File) -> Option<String> {
    if file.kind != Some(FileKind::Compose) {
        return None;
    }
    let lines = split_lines(&file.text);
    let services = lines.iter().position(|(l, _)| l.trim_end() == "services:")?;
    let first = (services + 1..lines.len()).find(|&i| {
        let l = lines[i].0;
        !l.trim().is_empty() && !l.trim_start().starts_with('#')
    })?;
    let (line, eol) = lines[first];
    let indent = indent_of(line);
    let name = line.trim().strip_suffix(':')?;
    if indent.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)) {
        return None;
    }
    let child = (first + 1..lines.len()).map(|i| lines[i].0).find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).map(indent_of)?;
    if child.len() <= indent.len() {
        return None;
    }
    let unit = &child[indent.len()..];
    let end = (first + 1..lines.len())
        .find(|&i| {
            let l = lines[i].0;
            !l.trim().is_empty() && !l.trim_start().starts_with('#') && indent_of(l).len() <= indent.len()
        })
        .unwrap_or(lines.len());
    let eol = if eol.is_empty() { "\n" } else { eol };
    let mut out = String::new();
    for (i, (l, e)) in lines.iter().enumerate() {
        if i == end {
            out.push_str(&alias(indent, unit, name, eol));
        }
        if i == first {
            let _ = write!(out, "{indent}{name}: &svc_{name}");
        } else {
            out.push_str(l);
        }
        out.push_str(e);
        if i + 1 == lines.len() && end == lines.len() {
            if e.is_empty() {
                out.push_str(eol);
            }
            out.push_str(&alias(indent, unit, name, eol));
        }
    }
    Some(out)
}

fn alias(indent: &str, unit: &str, name: &str, eol: &str) -> String {
    let c = format!("{indent}{unit}");
    format!(
        "{indent}{name}_small:{eol}{c}<<: *svc_{name}{eol}{c}deploy:{eol}{c}{unit}resources:{eol}{c}{unit}{unit}limits:{eol}{c}{unit}{unit}{unit}cpus: \"1\"{eol}"
    )
}

// ---------------------------------------------------------------------------------------
// syntax errors

fn error_count(kind: FileKind, text: &str) -> usize {
    syntax_errors(&parse(kind, text)).len()
}

/// A line that stacklint's own parser rejects, inserted where a user might type it.
fn syntax_error(file: &File, rng: &mut Rng) -> Option<String> {
    let kind = file.kind?;
    let lines = split_lines(&file.text);
    let eol = lines.first().map_or("\n", |(_, e)| if e.is_empty() { "\n" } else { e });
    let breakers: &[&str] = match kind {
        k if is_python(Some(k)) => &["def broken(:", "x = (1,", "${DJANGO_SECRET}"],
        FileKind::Nginx => &["}", "location {", "listen 80"],
        FileKind::Dockerfile => &["RUN <<EOF", "FROM", "CMD [\"gunicorn\", \"app.wsgi\""],
        FileKind::Compose => &["x-broken: [unclosed", "  : :"],
        FileKind::Shell => &["echo \"unterminated", "if then"],
        _ => return None,
    };
    let before = error_count(kind, &file.text);
    // Top-level line boundaries (a line starting at column 0), then the end.
    let mut points: Vec<usize> = Vec::new();
    let mut offset = 0;
    for (l, e) in &lines {
        if !l.starts_with([' ', '\t']) && !l.trim().is_empty() {
            points.push(offset);
        }
        offset += l.len() + e.len();
    }
    if !points.is_empty() {
        let k = rng.below(points.len());
        points.rotate_left(k);
    }
    for b in breakers {
        for &at in points.iter().take(3).chain(std::iter::once(&file.text.len())) {
            let mut text = file.text.clone();
            let ins = if at == file.text.len() && !file.text.is_empty() && !file.text.ends_with(['\n', '\r']) { format!("{eol}{b}{eol}") } else { format!("{b}{eol}") };
            text.insert_str(at, &ins);
            if error_count(kind, &text) > before {
                return Some(text);
            }
        }
    }
    None
}

/// Jinja markers in a text (`{{ }}`, `{% %}`, `{# #}`): a template, whatever its kind.
pub fn is_jinja(text: &str) -> bool {
    (text.contains("{{") && text.contains("}}")) || (text.contains("{%") && text.contains("%}")) || (text.contains("{#") && text.contains("#}"))
}

/// A path shown relative to the project.
pub fn show(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}
