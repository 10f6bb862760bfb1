//! supervisord configuration (`supervisord.conf`, `conf.d/*.conf`): INI as Python's
//! `configparser` reads it for supervisor — `[program:web]` sections, `key=value` or
//! `key: value`, `;` and `#` comment lines, inline `;`/`#` comments after whitespace, values
//! continued on lines indented deeper than their key.
//!
//! ```
//! use stacklint_syntax::supervisord;
//! let src = "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=gunicorn app.wsgi -w 3 ; the site\n";
//! let parsed = supervisord::parse(src);
//! assert!(parsed.errors.is_empty());
//! let programs = supervisord::programs(&parsed.tree);
//! assert_eq!(programs[0].name, "web");
//! let command = programs[0].command.unwrap();
//! assert_eq!(command.value_range.slice(src), "gunicorn app.wsgi -w 3");
//! ```

use stacklint_text::TextRange;

use crate::Parsed;
use crate::ini::{self, Continuation, Dialect, Entry, IniFile, Section};

/// supervisor's `configparser` settings (`inline_comment_prefixes=(';', '#')`).
pub const DIALECT: Dialect = Dialect { comments: &[';', '#'], inline_comments: &[';', '#'], separators: &['=', ':'], continuation: Continuation::Indented };

/// Parse a supervisord configuration. Total.
pub fn parse(text: &str) -> Parsed<IniFile> {
    ini::parse(text, &DIALECT)
}

/// A `[program:name]` section.
#[derive(Clone, Copy, Debug)]
pub struct Program<'a> {
    pub name: &'a str,
    pub name_range: TextRange,
    pub section: &'a Section,
    /// `command=`, the last one written (`configparser` keeps the last of repeated keys).
    pub command: Option<&'a Entry>,
}

impl<'a> Program<'a> {
    /// The value of `key` (keys are case-insensitive for `configparser`), the last one written.
    pub fn get(&self, key: &str) -> Option<&'a Entry> {
        self.section.entries.iter().rev().find(|e| e.key.eq_ignore_ascii_case(key))
    }
}

/// Every `[program:name]` section, in order.
pub fn programs(file: &IniFile) -> Vec<Program<'_>> {
    file.sections
        .iter()
        .filter_map(|section| {
            let name = section.name.strip_prefix("program:")?;
            let skipped = section.name.len() - name.len();
            let program = Program { name: name.trim(), name_range: TextRange::new(section.name_range.start() + skipped, section.name_range.end()), section, command: None };
            Some(Program { command: program.get("command"), ..program })
        })
        .collect()
}

/// Whether a section name is one supervisord reads: `[supervisord]`, `[program:x]`,
/// `[group:x]`, `[eventlistener:x]`, ...
pub fn is_supervisord_section(name: &str) -> bool {
    matches!(name, "supervisord" | "supervisorctl" | "unix_http_server" | "inet_http_server" | "include" | "rpcinterface:supervisor")
        || ["program:", "group:", "fcgi-program:", "eventlistener:"].iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn programs_and_their_commands() {
        let src = "; supervisor\n[program:web]\ncommand = /venv/bin/gunicorn app.wsgi\n    --workers 3\nautostart=true\n[program:worker]\nCOMMAND: celery -A app worker # jobs\n[group:all]\nprograms=web,worker\n";
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let programs = programs(&p.tree);
        assert_eq!(programs.iter().map(|p| p.name).collect::<Vec<_>>(), ["web", "worker"]);
        let web = programs[0].command.unwrap();
        assert_eq!(web.value, "/venv/bin/gunicorn app.wsgi\n--workers 3");
        assert_eq!(web.value_range.slice(src), "/venv/bin/gunicorn app.wsgi\n    --workers 3");
        assert_eq!(programs[0].name_range.slice(src), "web");
        assert_eq!(programs[1].command.unwrap().value_range.slice(src), "celery -A app worker");
        assert_eq!(programs[0].get("AUTOSTART").unwrap().value, "true");
    }

    #[test]
    fn comments_need_whitespace_before_them() {
        let src = "[program:a]\ncommand=echo a;b #c\nempty=\n";
        let p = parse(src);
        let entries = &p.tree.sections[0].entries;
        assert_eq!(entries[0].value, "echo a;b");
        assert_eq!(entries[1].value, "");
        assert_eq!(entries[1].value_range.start(), src.find("empty=").unwrap() + 6);
    }

    #[test]
    fn blank_lines_inside_a_value_are_kept_when_it_goes_on() {
        let src = "[program:a]\ncommand=a\n\n  b\nnext=1\n";
        let e = &parse(src).tree.sections[0].entries;
        assert_eq!(e[0].value, "a\n\nb");
        assert!(e[0].interrupted);
        assert_eq!(e[1].key, "next");
    }

    #[test]
    fn known_sections() {
        assert!(is_supervisord_section("program:web"));
        assert!(is_supervisord_section("supervisord"));
        assert!(!is_supervisord_section("www"));
        assert!(!is_supervisord_section("uwsgi"));
    }
}
