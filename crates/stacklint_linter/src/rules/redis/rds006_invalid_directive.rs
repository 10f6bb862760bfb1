use stacklint_diagnostics::{Edit, Fix, Severity, TextRange};
use stacklint_project::redis::{TABLE_VERSION, check_value, closest_directive, directive, is_newer_directive};

use super::{Seen, editable, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a directive Redis does not know (with the closest known name), a wrong
    /// number of arguments, or a value Redis refuses or misreads: a size it cannot read
    /// (`1.5gb`, `1t`), a size past 2^64 bytes (Redis 7.0 wraps it around), a number with a
    /// unit, a boolean other than `yes`/`no`, an enum value it does not have.
    ///
    /// Sizes are digits and a unit: `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g`, `gb`; past
    /// 2^64 bytes Redis 7.0 wraps the value around instead of refusing it.
    ///
    /// ## Why is this bad?
    /// `redis-server` stops at the first bad line of its configuration (`FATAL CONFIG FILE
    /// ERROR ... Bad directive or wrong number of arguments`): the container restarts in a
    /// loop and nothing runs (a `#` after a directive is no comment: `redis-server` reads it
    /// as more arguments). Directives are checked against the table read off Redis
    /// 7.0.15 (`scripts/gen-redis-config`); for a newer or unknown deployed version only
    /// near-misses of known names are reported, as the name may be new. The fix renames a
    /// near-miss to the known name, which is a guess to review.
    ///
    /// ## Example
    /// ```conf path=redis/redis.conf
    /// maxmemory 256mb
    /// maxmemory-polcy allkeys-lru
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=redis/redis.conf
    /// maxmemory 256mb
    /// maxmemory-policy allkeys-lru
    /// ```
    ///
    /// ## References
    /// - [Redis configuration](https://redis.io/docs/latest/operate/oss_and_stack/management/config/)
    /// - [Self-documented redis.conf for Redis 7.0](https://raw.githubusercontent.com/redis/redis/7.0/redis.conf)
    pub static RULE = {
        code: "RDS006",
        name: "invalid-directive",
        family: Family::Redis,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

/// Whether an image tag is a Redis the table knows all directives of (7.0 or older).
fn table_covers(tag: Option<&str>) -> bool {
    let Some(tag) = tag else { return false };
    let mut parts = tag.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) <= (7, 0),
        (Some(major), None) => major < 7,
        _ => false,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project) {
        let strict = table_covers(server.image_tag.as_deref());
        let version = match &server.image_tag {
            Some(tag) if strict => format!("Redis {TABLE_VERSION}'s directives, for the deployed redis:{tag}"),
            Some(tag) => format!("Redis {TABLE_VERSION}'s directives; the deployed redis:{tag} is newer, so only near-misses are reported"),
            None => format!("Redis {TABLE_VERSION}'s directives; the deployed version is unknown, so only near-misses are reported"),
        };
        for s in &server.settings {
            let d = &s.directive;
            if d.broken || s.variable || d.name.value.is_empty() || !seen.first(&s.file, d.range) {
                continue;
            }
            let name = d.name.value.as_str();
            if directive(name).is_none() {
                if is_newer_directive(name) && !strict {
                    continue;
                }
                let close = closest_directive(name);
                if close.is_none() && !strict {
                    continue;
                }
                let hint = close.map_or_else(String::new, |c| format!("; did you mean `{c}`?"));
                let mut diag = cx.diagnostic(&s.file, d.name.range, format!("unknown directive `{name}`: `redis-server` refuses to start (\"Bad directive or wrong number of arguments\"){hint} (checked against {version})"));
                if let Some(c) = close
                    && !s.command_line
                    && s.exact
                    && editable(project, &s.file)
                {
                    diag = diag.with_fix(Fix::unsafe_(format!("Rename to `{c}`"), vec![Edit::replace(s.file.clone(), d.name.range, c)]));
                }
                cx.report(diag);
                continue;
            }
            // `maxmemory 256mb # cache`: redis.conf has no trailing comments.
            if let Some(i) = d.args.iter().position(|a| !a.quoted && a.value.starts_with('#')) {
                let (Some(hash), Some(last)) = (d.args.get(i), d.args.last()) else { continue };
                let comment = TextRange::new(hash.range.start(), last.range.end());
                let before = i.checked_sub(1).and_then(|j| d.args.get(j)).map_or(d.name.range.end(), |a| a.range.end());
                let mut diag = cx.diagnostic(
                    &s.file,
                    comment,
                    format!("a `#` after `{name}` is not a comment in redis.conf: Redis reads `#` and the words after it as more arguments and refuses the file (\"wrong number of arguments\") or takes them as values; put the comment on its own line"),
                );
                if !s.command_line
                    && editable(project, &s.file)
                    && let Some(f) = project.file(&s.file)
                {
                    let line_start = f.line_index.line_start(f.line_index.line_of(d.range.start()));
                    let indent = f.text.get(line_start..d.range.start()).unwrap_or_default();
                    let text = comment.slice(&f.text);
                    let nl = stacklint_text::line_ending(&f.text);
                    diag = diag.with_fix(Fix::unsafe_(
                        "Move the comment to its own line",
                        vec![Edit::insert(s.file.clone(), line_start, format!("{indent}{text}{nl}")), Edit::delete(s.file.clone(), TextRange::new(before, comment.end()))],
                    ));
                }
                cx.report(diag);
                continue;
            }
            if let Some(problem) = check_value(d) {
                let range = problem.arg.and_then(|i| d.args.get(i)).map_or(d.range, |a| a.range);
                cx.report(cx.diagnostic(&s.file, range, problem.message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_the_table_covers() {
        assert!(super::table_covers(Some("7.0.15")));
        assert!(super::table_covers(Some("6.2-alpine")));
        assert!(super::table_covers(Some("6")));
        assert!(!super::table_covers(Some("7.4")));
        assert!(!super::table_covers(Some("7")));
        assert!(!super::table_covers(Some("latest")));
        assert!(!super::table_covers(None));
    }
}
