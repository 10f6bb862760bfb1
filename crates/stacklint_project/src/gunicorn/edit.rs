//! Where settings can be added, and how values are written in each syntax.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::Edit;

use super::table::{ValueKind, table};

/// A place where missing settings can be added to a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Site {
    /// A Python config file: new `name = value` lines at its end.
    ConfFile(ConfSite),
    /// A command line: new flags after its last gunicorn word.
    Argv { file: PathBuf, style: ArgvStyle },
}

/// The end of a config file and its line-ending style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfSite {
    pub file: PathBuf,
    /// Where new lines go (the end of the file).
    pub offset: usize,
    /// `"\n"` or `"\r\n"`, as the file writes them.
    pub newline: &'static str,
    /// The file does not end with a line break: start with one.
    pub needs_leading_newline: bool,
}

/// How an argv is written, which decides how flags are added to it. A new front end
/// with its own syntax (a compose YAML list...) adds a variant here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgvStyle {
    /// Shell words: ` --max-requests 1000` at `offset` (after the last gunicorn word,
    /// before redirections and `&&`/`;`); with `continuation_indent`, each flag goes on
    /// its own `\`-continued line with that indentation.
    Shell { offset: usize, continuation_indent: Option<String> },
    /// A JSON array (Dockerfile exec form): `, "--max-requests", "1000"` at `offset`
    /// (just before the `]`).
    JsonArray { offset: usize },
    /// A YAML block list (a compose `command:`): `- "--max-requests"` items at `offset`
    /// (the start of the line after the last item), indented like it.
    YamlBlockList { offset: usize, indent: String, newline: &'static str, leading_newline: bool },
}

impl Site {
    pub fn file(&self) -> &Path {
        match self {
            Site::ConfFile(c) => &c.file,
            Site::Argv { file, .. } => file,
        }
    }

    /// Edits that add `settings` (canonical names, plain values: `("max_requests", "1000")`,
    /// `("worker_tmp_dir", "/dev/shm")`, `("preload_app", "true")`). Names gunicorn does not
    /// know, and on a command line settings without a flag, are left out.
    pub fn insert_settings(&self, settings: &[(&str, &str)]) -> Vec<Edit> {
        match self {
            Site::ConfFile(c) => {
                let mut text = String::new();
                if c.needs_leading_newline {
                    text.push_str(c.newline);
                }
                for (name, value) in settings {
                    let Some(info) = table().get(name) else { continue };
                    let _ = write!(text, "{} = {}{}", info.name, python_value(info.value_kind(), value, ""), c.newline);
                }
                if text.trim().is_empty() {
                    return Vec::new();
                }
                vec![Edit::insert(c.file.clone(), c.offset, text)]
            }
            Site::Argv { file, style } => {
                let args: Vec<Vec<String>> = settings.iter().filter_map(|(name, value)| flag_args(name, value)).collect();
                if args.is_empty() {
                    return Vec::new();
                }
                let mut text = String::new();
                for a in &args {
                    let words = a.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ");
                    let _ = match style {
                        ArgvStyle::Shell { continuation_indent: None, .. } => write!(text, " {words}"),
                        ArgvStyle::Shell { continuation_indent: Some(indent), .. } => write!(text, " \\\n{indent}{words}"),
                        ArgvStyle::JsonArray { .. } => a.iter().try_for_each(|w| write!(text, ", \"{}\"", json_string_content(w))),
                        ArgvStyle::YamlBlockList { indent, newline, leading_newline, .. } => a.iter().try_for_each(|w| {
                            let lead = if *leading_newline && text.is_empty() { *newline } else { "" };
                            write!(text, "{lead}{indent}- \"{}\"{newline}", json_string_content(w))
                        }),
                    };
                }
                let offset = match style {
                    ArgvStyle::Shell { offset, .. } | ArgvStyle::JsonArray { offset } | ArgvStyle::YamlBlockList { offset, .. } => *offset,
                };
                vec![Edit::insert(file.clone(), offset, text)]
            }
        }
    }
}

/// The argv words for one setting: `["--max-requests", "1000"]`, `["--preload"]`.
fn flag_args(name: &str, value: &str) -> Option<Vec<String>> {
    let info = table().get(name)?;
    let flag = info.long_flag().or_else(|| info.flags.first().copied())?;
    if info.takes_value() {
        Some(vec![flag.to_owned(), value.to_owned()])
    } else if is_truthy(value) == (info.action != "store_const" || info.constant != "False") {
        // a switch: `--preload` for true; `--no-sendfile` for sendfile = false
        Some(vec![flag.to_owned()])
    } else {
        None
    }
}

fn is_truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
}

/// A plain value as a Python expression for a setting of `kind`; strings keep the quote
/// style of `old_raw` when it was a string literal.
pub(crate) fn python_value(kind: ValueKind, value: &str, old_raw: &str) -> String {
    match kind {
        ValueKind::Int if super::parse_int(value).is_some() => value.to_owned(),
        ValueKind::Bool => if is_truthy(value) { "True".to_owned() } else { "False".to_owned() },
        _ => {
            let quote = if old_raw.trim_start().starts_with('\'') { '\'' } else { '"' };
            let escaped: String = value.chars().flat_map(|c| if c == quote || c == '\\' { vec!['\\', c] } else { vec![c] }).collect();
            format!("{quote}{escaped}{quote}")
        }
    }
}

/// A plain value as one shell word: as is when nothing in it is special, else single-quoted.
pub(crate) fn shell_word(value: &str) -> String {
    let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain { value.to_owned() } else { format!("'{}'", value.replace('\'', "'\\''")) }
}

/// The content of a JSON string (without the quotes).
pub(crate) fn json_string_content(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_word("1000"), "1000");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(python_value(ValueKind::Int, "9", ""), "9");
        assert_eq!(python_value(ValueKind::Str, "/dev/shm", "'x'"), "'/dev/shm'");
        assert_eq!(python_value(ValueKind::Bool, "true", ""), "True");
        assert_eq!(flag_args("preload_app", "true"), Some(vec!["--preload".to_owned()]));
        assert_eq!(flag_args("sendfile", "false"), Some(vec!["--no-sendfile".to_owned()]));
        assert_eq!(flag_args("sendfile", "true"), None);
        assert_eq!(flag_args("logconfig_dict", "{}"), None);
        let site = Site::Argv { file: "Dockerfile".into(), style: ArgvStyle::JsonArray { offset: 10 } };
        assert_eq!(site.insert_settings(&[("max_requests", "1000")])[0].content, ", \"--max-requests\", \"1000\"");
    }
}
