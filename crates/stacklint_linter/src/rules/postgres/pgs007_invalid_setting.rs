use stacklint_diagnostics::{Edit, Fix, Severity};
use stacklint_project::postgres::{PgServer, Source, parse_value, removed};

use super::Seen;
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a setting PostgreSQL refuses: an unknown name (with the closest known one),
    /// a setting removed in an earlier release (with its documented replacement), a unit
    /// the setting does not take, a value out of its range, not a boolean or not one of its
    /// enum values. Names, types, units and ranges come from `pg_settings` of the real
    /// server (the deployed major version's table, or the nearest one, which the message names).
    /// A name no release of the table knows is reported as a typo of the closest known name;
    /// without one, only when the deployed release is the table's own (a newer release may
    /// have added it).
    ///
    /// ## Why is this bad?
    /// PostgreSQL reads the whole file at start and refuses to start on any such line
    /// ("unrecognized configuration parameter", "invalid value for parameter"); on a reload
    /// it keeps the old values and only logs the error. The fix is unsafe: for a misspelt
    /// name it writes the closest known one, for a removed setting its replacement
    /// (`checkpoint_segments = N` becomes `max_wal_size` = 3 × N × 16MB, as the 9.5 release
    /// notes convert it) or comments out a setting that has none; check the result.
    ///
    /// Booleans are `on`, `off`, `true`, `false`, `yes`, `no`, `1`, `0` (and unambiguous
    /// prefixes); memory units `B`, `kB`, `MB`, `GB`, `TB` and time units `us`, `ms`, `s`,
    /// `min`, `h`, `d`, case-sensitive.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// checkpoint_segments = 32
    /// shared_buffer = 2GB
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// max_wal_size = 1536MB
    /// shared_buffers = 2GB
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: Setting parameters](https://www.postgresql.org/docs/current/config-setting.html)
    /// - [PostgreSQL 9.5 release notes: checkpoint_segments replaced](https://www.postgresql.org/docs/9.5/release-9-5.html)
    pub static RULE = {
        code: "PGS007",
        name: "invalid-setting",
        family: Family::Postgres,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    // Every server, a development one too: PostgreSQL refuses these lines wherever they are.
    for server in stacklint_project::postgres::servers(project) {
        for a in &server.assignments {
            // `extension.setting` names are placeholders PostgreSQL accepts for any extension.
            if a.name.contains('.') {
                continue;
            }
            let (file, range, line) = match &a.source {
                Source::File { path, entry } => (path.clone(), entry.name_range.cover(entry.value_range), Some(entry)),
                Source::CommandLine { origin, .. } => (origin.file.clone(), origin.range.unwrap_or_default(), None),
            };
            let Some((message, fix)) = problem(server, &a.name, &a.value, line.map(|e| (file.as_path(), e))) else { continue };
            if !seen.first(&file, range) {
                continue;
            }
            let where_ = match &a.source {
                Source::File { .. } => String::new(),
                Source::CommandLine { arg, .. } => format!(" (`{arg}` on the command line of {})", super::where_(project, server)),
            };
            let mut d = cx.diagnostic(&file, range, format!("{message}{where_}"));
            if let Some(f) = fix {
                d = d.with_fix(f);
            }
            cx.report(d);
        }
    }
}

/// What PostgreSQL says about `name = value`, and the fix when the line can be edited.
fn problem(server: &PgServer, name: &str, value: &str, line: Option<(&std::path::Path, &stacklint_syntax::postgres::Entry)>) -> Option<(String, Option<Fix>)> {
    let table = server.table();
    let version = server.table_note();
    if let Some(def) = table.get(name) {
        let why = parse_value(def, value).err()?;
        let fix = line.and_then(|(file, e)| unit_case_fix(def, value).map(|v| Fix::unsafe_(format!("Write `{name} = {v}`"), vec![Edit::replace(file.to_path_buf(), e.value_range, v)])));
        return Some((format!("`{name} = {value}`: {why}; PostgreSQL refuses to start ({version})"), fix));
    }
    if let Some(r) = removed(name) {
        // Still there in the deployed release (`stats_temp_directory` on PostgreSQL 14).
        let removed_major: u32 = r.removed_in.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
        if server.version.major.is_some_and(|m| m < removed_major) {
            return None;
        }
        let n: Option<u64> = value.trim().parse().ok();
        let (replacement, fix) = match (&r.replacement, r.scale, n) {
            (Some(to), Some(scale), Some(n)) if scale != 1 => {
                let v = format!("{}{}", n.saturating_mul(scale), r.replacement_unit);
                let fix = line.map(|(file, e)| Fix::unsafe_(format!("Replace with `{to} = {v}`"), vec![Edit::replace(file.to_path_buf(), e.name_range, to.clone()), Edit::replace(file.to_path_buf(), e.value_range, v.clone())]));
                (format!("its documented replacement is `{to}`: {}", conversion(r.scale, n, &r.replacement_unit)), fix)
            }
            (Some(to), _, _) => {
                let fix = line.map(|(file, e)| Fix::unsafe_(format!("Rename to `{to}`"), vec![Edit::replace(file.to_path_buf(), e.name_range, to.clone())]));
                (format!("it is now `{to}` ({})", r.note), fix)
            }
            (None, _, _) => {
                let fix = line.map(|(file, e)| Fix::unsafe_(format!("Comment out `{name}`"), vec![Edit::insert(file.to_path_buf(), e.line_range.start(), "# ")]));
                (format!("nothing replaces it ({})", r.note), fix)
            }
        };
        return Some((format!("`{name}` was removed in PostgreSQL {}, so the server refuses to start ({version}); {replacement}", r.removed_in), fix));
    }
    let closest = table.closest(name);
    // A name of another release than the table's (or of a release not declared) may be
    // real there: report it only as a typo of a known one.
    if server.version.major != Some(table.major) && closest.is_none() {
        return None;
    }
    let (hint, fix) = match closest {
        Some(c) => (format!("; did you mean `{c}`?"), line.map(|(file, e)| Fix::unsafe_(format!("Rename to `{c}`"), vec![Edit::replace(file.to_path_buf(), e.name_range, c)]))),
        None => (String::new(), None),
    };
    Some((format!("`{name}` is not a PostgreSQL setting, so the server refuses to start ({version}){hint}"), fix))
}

/// "3 × 32 × 16MB" for `checkpoint_segments` (scale 48 = 3 × 16), "32 × 16MB" otherwise.
fn conversion(scale: Option<u64>, n: u64, unit: &str) -> String {
    match scale {
        Some(48) => format!("3 × {n} = {} segments, {} × 16{unit} = {}{unit}, as the 9.5 release notes convert it", 3 * n, 3 * n, 48 * n),
        Some(s) => format!("{n} segments × {s}{unit} = {}{unit}", s * n),
        None => n.to_string(),
    }
}

/// `4mb` → `4MB`: a memory or time unit in the wrong case, when the corrected value is valid.
fn unit_case_fix(def: &stacklint_project::postgres::SettingDef, value: &str) -> Option<String> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = value.split_at(split);
    let fixed = ["B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d"].into_iter().find(|u| u.eq_ignore_ascii_case(unit.trim()) && *u != unit.trim())?;
    let v = format!("{}{fixed}", num.trim());
    parse_value(def, &v).ok().map(|_| v)
}
