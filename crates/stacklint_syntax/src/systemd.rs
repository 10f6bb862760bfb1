//! systemd unit files (`*.service`, `*.socket`): `[Service]` sections, `Key=Value` entries
//! (repeatable: an empty assignment resets a list), `#` and `;` comment lines, values
//! continued with a trailing `\`.
//!
//! ```
//! use stacklint_syntax::systemd;
//! let src = "[Service]\nExecStart=/venv/bin/gunicorn app.wsgi \\\n    --workers 3\n";
//! let parsed = systemd::parse(src);
//! assert!(parsed.errors.is_empty());
//! let exec = systemd::exec_start(&parsed.tree);
//! assert_eq!(exec[0].value, "/venv/bin/gunicorn app.wsgi      --workers 3");
//! assert_eq!(exec[0].value_range.slice(src), "/venv/bin/gunicorn app.wsgi \\\n    --workers 3");
//! ```

use crate::Parsed;
use crate::ini::{self, Continuation, Dialect, Entry, IniFile};

/// systemd's unit file syntax (systemd.syntax(7)).
pub const DIALECT: Dialect = Dialect { comments: &['#', ';'], inline_comments: &[], separators: &['='], continuation: Continuation::Backslash };

/// Parse a unit file. Total.
pub fn parse(text: &str) -> Parsed<IniFile> {
    ini::parse(text, &DIALECT)
}

/// The values of a list setting `key` of the sections named `section`, as systemd reads
/// them: each assignment adds one, an empty assignment drops those before it.
pub fn list<'a>(file: &'a IniFile, section: &str, key: &str) -> Vec<&'a Entry> {
    let mut out = Vec::new();
    for e in file.sections.iter().filter(|s| s.name == section).flat_map(|s| s.entries.iter().filter(|e| e.key == key)) {
        if e.value.is_empty() {
            out.clear();
        } else {
            out.push(e);
        }
    }
    out
}

/// The `ExecStart=` commands of `[Service]`.
pub fn exec_start(file: &IniFile) -> Vec<&Entry> {
    list(file, "Service", "ExecStart")
}

/// Whether a section name is one of a unit file's.
pub fn is_unit_section(name: &str) -> bool {
    matches!(name, "Unit" | "Install" | "Service" | "Socket" | "Timer" | "Mount" | "Path" | "Slice" | "Scope" | "Automount" | "Swap")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_resets() {
        let src = "[Unit]\nDescription=web\n\n[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\nExecStart=/bin/c\nEnvironment=A=1 B=2\n";
        let p = parse(src);
        assert!(p.errors.is_empty());
        let exec: Vec<&str> = exec_start(&p.tree).iter().map(|e| e.value.as_str()).collect();
        assert_eq!(exec, ["/bin/b", "/bin/c"]);
        assert_eq!(list(&p.tree, "Service", "Environment")[0].value, "A=1 B=2");
    }

    #[test]
    fn continuation_skips_comment_lines() {
        let src = "[Service]\nExecStart=/bin/gunicorn \\\n# a comment\n  --workers 3\nUser=www\n";
        let p = parse(src);
        let e = &p.tree.sections[0].entries;
        assert_eq!(e[0].value, "/bin/gunicorn    --workers 3");
        assert!(e[0].interrupted);
        assert_eq!(e[1].key, "User");
    }

    #[test]
    fn bad_lines_are_reported() {
        let src = "[Service]\nno equals sign\nUser = www \n";
        let p = parse(src);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].range.slice(src), "no equals sign");
        assert_eq!(p.tree.sections[0].entries[0].value_range.slice(src), "www");
        assert_eq!(p.tree.sections[0].entries[0].key_range.slice(src), "User");
    }

    #[test]
    fn continuation_at_the_end_of_the_file() {
        let src = "[Service]\nExecStart=/bin/x \\";
        let p = parse(src);
        assert_eq!(p.tree.sections[0].entries[0].value, "/bin/x");
    }
}
