//! Template files: a config with template tags is not what the program reads; its rendering is.
//!
//! A Jinja template (`{% if %}`, `{{ var }}`, `{# #}`) is linted as its *skeleton*: statement
//! and comment tags become spaces, an expression becomes a variable of the same length
//! (`$____`: what nginx, shells, Dockerfiles and compose read as a value known only at run
//! time, which rules already treat as unknown; a Python name outside Python strings), so
//! every byte keeps its offset (ranges into the original text stay right) and the file
//! parses as the kind it renders to. Every branch of an `{% if %}` is kept, so a directive that any branch
//! sets counts as set. Parse errors are not reported for templates (the rendered file is
//! what the program parses), values that come from an expression are unknown to the rules,
//! and fixes are not applied to them.

use std::path::Path;

use crate::kind::FileKind;

/// The template language of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemplateSyntax {
    /// Jinja2 (Ansible, cookiecutter, Flask/Frappe generators, Salt).
    Jinja,
}

/// Jinja statements that open or continue a `{% ... %}` tag.
const JINJA_STATEMENTS: &[&str] = &[
    "if", "elif", "else", "endif", "for", "endfor", "set", "endset", "block", "endblock", "include", "import", "from", "macro",
    "endmacro", "extends", "raw", "endraw", "with", "endwith", "filter", "endfilter", "call", "endcall", "autoescape", "endautoescape",
];

/// Name suffixes that say a file is a Jinja template.
const JINJA_SUFFIXES: &[&str] = &[".j2", ".jinja", ".jinja2"];

impl TemplateSyntax {
    /// Whether `text` (at `path`) is a template, and in which language.
    ///
    /// By name (`*.j2`, `*.jinja`, `*.jinja2`), or by content: a `{% stmt ... %}` tag whose
    /// statement is a Jinja keyword, or a `{{ expr }}` on one line whose expression is a
    /// name, attribute or filter chain. In Python, where `{{x}}` is an f-string's escaped
    /// brace, an expression counts only padded with spaces or naming `cookiecutter`.
    pub fn detect(path: &Path, text: &str) -> Option<TemplateSyntax> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        if JINJA_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            return Some(TemplateSyntax::Jinja);
        }
        let python = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("py"));
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(off) = text.get(i..).and_then(|t| t.find('{')) {
            let at = i + off;
            i = at + 1;
            let Some(&next) = bytes.get(at + 1) else { break };
            let rest_of_line = text.get(at + 2..).unwrap_or("").split('\n').next().unwrap_or("");
            match next {
                b'%' => {
                    let inner = rest_of_line.split("%}").next().unwrap_or("");
                    if rest_of_line.contains("%}") {
                        let word = inner.trim_start_matches(['-', '+']).split_whitespace().next().unwrap_or("");
                        if JINJA_STATEMENTS.contains(&word) {
                            return Some(TemplateSyntax::Jinja);
                        }
                    }
                }
                b'{' => {
                    let Some(end) = rest_of_line.find("}}") else { continue };
                    let inner = rest_of_line.get(..end).unwrap_or("");
                    if is_jinja_expression(inner, python) {
                        return Some(TemplateSyntax::Jinja);
                    }
                    i = at + 2;
                }
                _ => {}
            }
        }
        None
    }

    /// The text of a file of `kind` with its tags blanked, byte for byte the same length,
    /// newlines kept.
    pub fn mask(self, text: &str, kind: FileKind) -> String {
        let bytes = text.as_bytes();
        let mut out = bytes.to_vec();
        let mut i = 0;
        let mut line_start = 0;
        while i + 1 < bytes.len() {
            let (close, fill) = match (bytes.get(i), bytes.get(i + 1)) {
                (Some(b'\n'), _) => {
                    line_start = i + 1;
                    i += 1;
                    continue;
                }
                (Some(b'{'), Some(b'%')) => ("%}", b' '),
                (Some(b'{'), Some(b'#')) if i == 0 || bytes.get(i - 1) != Some(&b'$') => ("#}", b' '),
                (Some(b'{'), Some(b'{')) => ("}}", b'_'),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let Some(len) = text.get(i + 2..).and_then(|t| t.find(close)) else {
                i += 2;
                continue;
            };
            let end = i + 2 + len + 2;
            // A Python expression outside a string literal must stay a name.
            let variable = fill == b'_' && (!kind.is_python() || in_python_string(bytes.get(line_start..i).unwrap_or_default()));
            for b in out.get_mut(i..end).into_iter().flatten() {
                if *b != b'\n' && *b != b'\r' {
                    *b = fill;
                }
            }
            if variable && let Some(b) = out.get_mut(i) {
                *b = b'$';
            }
            if let Some(nl) = bytes.get(i..end).and_then(|s| s.iter().rposition(|&b| b == b'\n')) {
                line_start = i + nl + 1;
            }
            i = end;
        }
        // Only ASCII replaced whole UTF-8 sequences (tags are ASCII-delimited, and every byte
        // between the delimiters was replaced), so this is valid UTF-8.
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Whether a line that starts with `before` is inside a string literal at its end (quotes
/// counted, backslash escapes skipped).
fn in_python_string(before: &[u8]) -> bool {
    let mut quote = None;
    let mut escaped = false;
    for &b in before {
        match (quote, b) {
            (_, _) if escaped => escaped = false,
            (Some(_), b'\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'#') => return false,
            _ => {}
        }
    }
    quote.is_some()
}

fn is_jinja_expression(inner: &str, python: bool) -> bool {
    let trimmed = inner.trim();
    if trimmed.is_empty() || trimmed.contains(['{', '}', ';']) {
        return false;
    }
    let first = trimmed.chars().next().unwrap_or(' ');
    if !(first.is_ascii_alphabetic() || first == '_' || first == '"' || first == '\'' || first == '(') {
        return false;
    }
    if python {
        return (inner.starts_with(' ') && inner.ends_with(' ')) || trimmed.starts_with("cookiecutter");
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(path: &str, text: &str) -> Option<TemplateSyntax> {
        TemplateSyntax::detect(Path::new(path), text)
    }

    #[test]
    fn detects_jinja_by_tags_and_name() {
        assert_eq!(detect("nginx.conf", "server {\n\tlisten {{ port }};\n}\n"), Some(TemplateSyntax::Jinja));
        assert_eq!(detect("Procfile", "{% if not ci %}\nwatch: bench watch\n{% endif %}\n"), Some(TemplateSyntax::Jinja));
        assert_eq!(detect("settings.py", "APPS = [\"{{cookiecutter.project_slug}}.users\"]\n"), Some(TemplateSyntax::Jinja));
        assert_eq!(detect("Dockerfile.j2", "FROM python:3.12\n"), Some(TemplateSyntax::Jinja));
    }

    #[test]
    fn look_alikes_are_not_templates() {
        // Shell `${#array[@]}`, f-string braces, nginx regex quantifiers, JSON in Python.
        assert_eq!(detect("entrypoint.sh", "echo ${#ARGS[@]} {x}\n"), None);
        assert_eq!(detect("settings.py", "X = f\"{{x}}\"\nY = {\"a\": {\"b\": 1}}\n"), None);
        assert_eq!(detect("nginx.conf", "location ~ ^/a{2,3}$ { return 404; }\n"), None);
        assert_eq!(detect("nginx.conf", "location / { if ($x) { return 404; } }\n"), None);
    }

    #[test]
    fn masking_keeps_offsets_and_lines() {
        let text = "{% if ssl %}\n\tlisten {{ port }} ssl; {# note #}\n{%- endif %}\nserver_name é{{ x }};\n";
        let masked = TemplateSyntax::Jinja.mask(text, FileKind::Nginx);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, "            \n\tlisten $_________ ssl;           \n            \nserver_name é$______;\n");
        assert_eq!(TemplateSyntax::Jinja.mask("echo ${#A[@]} {{ unclosed", FileKind::Shell), "echo ${#A[@]} {{ unclosed");
        // Python: a name outside strings, a variable inside them.
        let py = "DEBUG = {{ debug }}\nAPPS = [\"{{ slug }}.users\"]  # {{ c }}\n";
        assert_eq!(TemplateSyntax::Jinja.mask(py, FileKind::DjangoSettings), "DEBUG = ___________\nAPPS = [\"$_________.users\"]  # _______\n");
    }
}
