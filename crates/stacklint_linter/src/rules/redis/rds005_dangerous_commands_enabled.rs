use stacklint_diagnostics::{Fix, Severity};

use stacklint_project::redis::binds_loopback_only;

use super::{Seen, append_lines, first_line, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

/// Commands that wipe or reconfigure the server.
const DANGEROUS: &[&str] = &["FLUSHALL", "FLUSHDB", "CONFIG"];

declare_rule! {
    /// ## What it does
    /// Reports a Redis configuration file that leaves `FLUSHALL`, `FLUSHDB` and `CONFIG`
    /// (and `DEBUG` when `enable-debug-command yes`) to every client: no `rename-command`
    /// for them and no ACL (`user`, `aclfile`), on a Redis that other machines can reach: a
    /// TCP port, bound to more than loopback (Redis 7's default binds every interface), and
    /// a `requirepass` or `protected-mode no` (with neither, protected mode turns remote
    /// clients away).
    ///
    /// ## Why is this bad?
    /// Any client that connects (a compromised app container, a script pointed at the
    /// wrong host) can wipe every database with one command, or rewrite the configuration
    /// at run time (`CONFIG SET dir` + `SAVE` writes files where Redis can). ACL users that
    /// deny `@dangerous` are the modern answer; `rename-command NAME ""` disables a command
    /// for everyone. The fix disables them, and needs a review: Django's `cache.clear()`
    /// sends `FLUSHDB`, and some tools read `CONFIG GET`.
    ///
    /// ## Example
    /// ```conf path=redis/redis.conf
    /// bind 0.0.0.0
    /// requirepass "a-long-random-secret"
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=redis/redis.conf
    /// bind 0.0.0.0
    /// requirepass "a-long-random-secret"
    /// rename-command FLUSHALL ""
    /// rename-command FLUSHDB ""
    /// rename-command CONFIG ""
    /// ```
    ///
    /// ## References
    /// - [Redis security: disabling specific commands](https://redis.io/docs/latest/operate/oss_and_stack/management/security/#disallowing-specific-commands)
    /// - [Redis ACL: command categories](https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/#command-categories)
    pub static RULE = {
        code: "RDS005",
        name: "dangerous-commands-enabled",
        family: Family::Redis,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Unsafe,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project) {
        // The file is where hardening goes; an unread part may hold it.
        let Some(file) = server.config_file.clone() else { continue };
        if server.command_unknown || !server.unresolved.is_empty() || server.last("aclfile").is_some() || server.all("user").next().is_some() {
            continue;
        }
        // Only local processes reach a Redis on loopback or on no TCP port (a unix socket),
        // and protected mode (the default) turns away remote clients when there is no
        // password: then the only clients are the application's own processes.
        let arg0 = |name: &str| server.last(name).and_then(|s| s.arg(0).map(str::to_owned));
        let local_only = arg0("port").is_some_and(|p| p == "0")
            || server.last("bind").is_some_and(|b| !b.variable && binds_loopback_only(&b.directive.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>()));
        let password = server.last("requirepass").is_some_and(|p| p.variable || p.arg(0).is_some_and(|v| !v.is_empty()));
        let protected = !arg0("protected-mode").is_some_and(|v| v.eq_ignore_ascii_case("no"));
        if local_only || (protected && !password) {
            continue;
        }
        let renamed = |cmd: &str| server.all("rename-command").any(|r| r.arg(0).is_some_and(|c| c.eq_ignore_ascii_case(cmd)));
        let mut open: Vec<&str> = DANGEROUS.iter().copied().filter(|c| !renamed(c)).collect();
        if server.last("enable-debug-command").and_then(|s| s.arg(0)).is_some_and(|v| v.eq_ignore_ascii_case("yes")) && !renamed("DEBUG") {
            open.push("DEBUG");
        }
        let range = first_line(project, &file);
        if open.is_empty() || !seen.first(&file, range) {
            continue;
        }
        let list = open.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
        let mut d = cx.diagnostic(
            &file,
            range,
            format!("{list} {} open to every client (no `rename-command` for them, no ACL user): one command wipes every database or rewrites the configuration at run time; disable them with `rename-command NAME \"\"` or ACL users without `@dangerous`", if open.len() == 1 { "is" } else { "are" }),
        );
        let lines: Vec<String> = open.iter().map(|c| format!("rename-command {c} \"\"")).collect();
        if let Some(edit) = append_lines(project, &file, &lines) {
            d = d.with_fix(Fix::unsafe_("Disable them with `rename-command NAME \"\"` (Django's `cache.clear()` uses `FLUSHDB`)", vec![edit]));
        }
        cx.report(d);
    }
}
