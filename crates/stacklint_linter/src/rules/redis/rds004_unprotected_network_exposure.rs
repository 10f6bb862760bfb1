use stacklint_diagnostics::Severity;
use stacklint_project::redis::binds_all;

use super::{Seen, place, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `protected-mode no` on a Redis that listens on every interface (`bind
    /// 0.0.0.0`, `bind *`, or no `bind`: Redis 7 listens on every interface without one) and asks for no password (`requirepass`) and no
    /// ACL user (`user`, `aclfile`).
    ///
    /// ## Why is this bad?
    /// Protected mode is what makes a password-less Redis answer only local clients. With
    /// it off, anyone who reaches the port reads, changes and deletes every key, and can
    /// turn the server into a file writer (`CONFIG SET dir` + `SAVE`), the classic way
    /// exposed Redis servers are taken over. Bind a private address, or set a password.
    /// Nothing is fixed: the right address or secret is a decision.
    ///
    /// ## Example
    /// ```conf path=redis/redis.conf
    /// bind 0.0.0.0
    /// protected-mode no
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=redis/redis.conf
    /// bind 0.0.0.0
    /// protected-mode no
    /// requirepass "use-a-long-random-secret"
    /// ```
    ///
    /// ## References
    /// - [Redis security: protected mode](https://redis.io/docs/latest/operate/oss_and_stack/management/security/#protected-mode)
    /// - [Redis ACL](https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/)
    pub static RULE = {
        code: "RDS004",
        name: "unprotected-network-exposure",
        family: Family::Redis,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::None,
        check: check,
    }
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project) {
        let Some(pm) = server.last("protected-mode") else { continue };
        if pm.variable || !pm.arg(0).is_some_and(|v| v.eq_ignore_ascii_case("no")) {
            continue;
        }
        // An unread file or command line may set a password.
        if server.missing_config.is_some() || server.command_unknown || !server.unresolved.is_empty() {
            continue;
        }
        let bind = server.last("bind");
        let all = match bind {
            Some(b) if b.variable => continue,
            Some(b) => binds_all(&b.directive.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>()),
            // Redis 7's default is `bind * -::*`.
            None => true,
        };
        let password = server.last("requirepass").is_some_and(|p| p.variable || p.arg(0).is_some_and(|v| !v.is_empty()));
        let acl = server.last("aclfile").is_some() || server.all("user").next().is_some();
        if !all || password || acl || !seen.first(&pm.file, pm.directive.range) {
            continue;
        }
        let bound = match bind {
            Some(b) => format!("`bind {}` at {}", b.directive.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>().join(" "), place(project, b)),
            None => "no `bind` (Redis 7 listens on `* -::*`, every interface)".to_owned(),
        };
        let d = cx.diagnostic(
            &pm.file,
            pm.directive.range,
            format!("`protected-mode no` with {bound} and no `requirepass` or ACL user: anyone who reaches the port reads, changes and deletes every key, and can make Redis write files (CONFIG SET dir, then SAVE); bind a private address or set `requirepass`"),
        );
        cx.report(d);
    }
}
