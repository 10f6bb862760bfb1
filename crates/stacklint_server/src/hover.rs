//! Hover: a rule's page on its code (in a suppression comment, or anywhere in a finding's
//! range), and what a setting or directive is — type, default, unit, range — from the
//! tables in `stacklint_project` (PostgreSQL's `pg_settings`, Redis's `CONFIG GET`,
//! gunicorn's `KNOWN_SETTINGS`).

use std::fmt::Write as _;

use stacklint_diagnostics::{Diagnostic, TextRange};
use stacklint_linter::{Rule, parse_suppressions, rule_by_code_or_name};
use stacklint_project::FileKind;
use stacklint_project::postgres::{self, BaseUnit, SettingDef};
use stacklint_project::{gunicorn, redis};

/// What to show at `offset` of `text` (a file of `kind`, with these findings), as
/// markdown, with the range it describes.
pub fn hover(
    text: &str,
    kind: Option<FileKind>,
    findings: &[Diagnostic],
    offset: usize,
) -> Option<(String, TextRange)> {
    if let Some(kind) = kind {
        for s in parse_suppressions(text, kind.comments()) {
            for (code, range) in &s.codes {
                if range.start() <= offset && offset <= range.end() {
                    return rule_by_code_or_name(code).map(|r| (r.markdown(), *range));
                }
            }
        }
    }
    let (word, range) = word_at(text, offset)?;
    if let Some(page) = kind.and_then(|k| setting(k, word)) {
        return Some((page, range));
    }
    // Inside findings: their rules' pages (several findings may overlap).
    let mut rules: Vec<&Rule> = Vec::new();
    let mut covered: Option<TextRange> = None;
    for d in findings.iter().filter(|d| d.range.start() <= offset && offset < d.range.end().max(d.range.start() + 1)) {
        if let Some(r) = rule_by_code_or_name(d.code).filter(|r| !rules.iter().any(|x| x.code == r.code)) {
            rules.push(r);
            covered = Some(covered.map_or(d.range, |c| c.cover(d.range)));
        }
    }
    let pages: Vec<String> = rules.iter().map(|r| r.markdown()).collect();
    (!pages.is_empty()).then(|| (pages.join("\n---\n\n"), covered.unwrap_or(range)))
}

/// The name under the cursor: letters, digits, `_`, `-`, `.` (`shared_buffers`,
/// `maxmemory-policy`, `--max-requests`).
fn word_at(text: &str, offset: usize) -> Option<(&str, TextRange)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let offset = stacklint_text::floor_char_boundary(text, offset);
    let before = text.get(..offset)?;
    let start = before.rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let after = text.get(offset..)?;
    let end = offset + after.find(|c: char| !is_word(c)).unwrap_or(after.len());
    let word = text.get(start..end)?.trim_end_matches('.');
    (!word.is_empty()).then(|| (word, TextRange::new(start, start + word.len())))
}

/// The page of a setting a file of `kind` can name.
fn setting(kind: FileKind, word: &str) -> Option<String> {
    match kind {
        FileKind::Postgres => postgres::table(None).get(word).map(postgres_page),
        FileKind::Redis => redis::directive(word).map(redis_page),
        FileKind::GunicornConfig => gunicorn::table().get(word).map(gunicorn_page),
        // Command lines (`CMD`, `command:`, Procfile, scripts): gunicorn's flags.
        FileKind::Dockerfile | FileKind::Compose | FileKind::Procfile | FileKind::Shell | FileKind::Supervisord | FileKind::Systemd => {
            word.starts_with('-').then(|| gunicorn::table().by_flag(word)).flatten().map(gunicorn_page)
        }
        _ => None,
    }
}

fn postgres_page(def: &SettingDef) -> String {
    let table = postgres::table(None);
    let mut out = format!("### `{}`\n\nPostgreSQL {} setting\n\n", def.name, table.version);
    let vartype = match def.vartype {
        postgres::VarType::Bool => "boolean",
        postgres::VarType::Integer => "integer",
        postgres::VarType::Real => "real",
        postgres::VarType::Enum => "enum",
        postgres::VarType::String => "string",
    };
    if def.unit_text.is_empty() {
        let _ = writeln!(out, "- Type: {vartype}");
    } else {
        let _ = writeln!(out, "- Type: {vartype}, unit `{}` (a bare number counts in it)", def.unit_text);
    }
    let default = if def.boot.is_empty() { "empty".to_owned() } else { format!("`{}`", def.boot) };
    let in_bytes = match (def.unit, def.boot.parse::<u64>()) {
        (Some(BaseUnit::Bytes(per)), Ok(n)) => Some(format!(" = {}", postgres::format_memory(n.saturating_mul(per)))),
        _ => None,
    };
    let _ = writeln!(out, "- Default: {default}{}", in_bytes.unwrap_or_default());
    if let (Some(min), Some(max)) = (def.min, def.max) {
        let _ = writeln!(out, "- Range: {min} to {max}");
    }
    if !def.enumvals.is_empty() {
        let values: Vec<String> = def.enumvals.iter().map(|v| format!("`{v}`")).collect();
        let _ = writeln!(out, "- Values: {}", values.join(", "));
    }
    let when = match def.context.as_str() {
        "postmaster" => "a server restart",
        "sighup" => "a reload (`pg_ctl reload`, `SELECT pg_reload_conf()`)",
        "internal" => "never: it is fixed when PostgreSQL is built or initialised",
        "backend" | "superuser-backend" => "new connections",
        _ => "at once, per session (`SET`)",
    };
    let _ = writeln!(out, "- Takes effect: {when} (context `{}`)", def.context);
    out
}

fn redis_page(info: &redis::DirectiveInfo) -> String {
    let mut out = format!("### `{}`\n\nRedis {} directive\n\n", info.name, redis::TABLE_VERSION);
    let kind = match info.kind {
        redis::ValueKind::Bool => "`yes` or `no`",
        redis::ValueKind::Enum => "one of a list",
        redis::ValueKind::Memory => "a size in bytes: `100`, `1k` (1000), `1kb` (1024), `mb`, `gb`",
        redis::ValueKind::Number => "an integer",
        redis::ValueKind::String => "a string",
        redis::ValueKind::Special => "read by the config file loader itself",
    };
    let _ = writeln!(out, "- Value: {kind}");
    let default = if info.default.is_empty() { "empty".to_owned() } else { format!("`{}`", info.default) };
    let _ = writeln!(out, "- Default: {default}");
    if !info.values.is_empty() {
        let values: Vec<String> = info.values.iter().map(|v| format!("`{v}`")).collect();
        let _ = writeln!(out, "- Values: {}", values.join(", "));
    }
    let arity = match info.arity {
        redis::Arity::Exactly(1) => "one".to_owned(),
        redis::Arity::Exactly(n) => n.to_string(),
        redis::Arity::List => "a list (any number)".to_owned(),
        redis::Arity::Special => "as the loader reads them".to_owned(),
    };
    let _ = writeln!(out, "- Arguments: {arity}");
    out
}

fn gunicorn_page(info: &gunicorn::SettingInfo) -> String {
    let table = gunicorn::table();
    let mut out = format!("### `{}`\n\ngunicorn {} setting ({})\n\n", info.name, table.version(), info.section);
    let short = info.short.replace("``", "`");
    if !short.is_empty() {
        let _ = writeln!(out, "{short}\n");
    }
    let _ = writeln!(out, "- Default: `{}`", info.default);
    if info.flags.is_empty() {
        let _ = writeln!(out, "- Command line: none (config file only)");
    } else {
        let flags: Vec<String> = info.flags.iter().map(|f| format!("`{f}`")).collect();
        let _ = writeln!(out, "- Command line: {}", flags.join(", "));
    }
    if !info.in_baseline {
        let _ = writeln!(out, "- New since gunicorn {}", table.baseline_version());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_under_the_cursor() {
        let text = "shared_buffers = 1GB\nCMD [\"gunicorn\", \"--max-requests\", \"1000\"]\n";
        assert_eq!(word_at(text, 3).map(|w| w.0), Some("shared_buffers"));
        let at = text.find("max-req").unwrap_or_default();
        assert_eq!(word_at(text, at).map(|w| w.0), Some("--max-requests"));
        assert_eq!(word_at(text, text.len()), None);
        assert!(setting(FileKind::Dockerfile, "--max-requests").is_some());
        assert!(setting(FileKind::Dockerfile, "workers").is_none());
        assert!(setting(FileKind::Redis, "maxmemory-policy").is_some_and(|p| p.contains("`allkeys-lru`")));
    }
}
