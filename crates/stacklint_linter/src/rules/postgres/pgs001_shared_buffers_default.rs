use stacklint_diagnostics::Severity;
use stacklint_project::postgres::format_memory;

use super::{MIB, Change, Seen, report_change, memory_mb, memory_text, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a PostgreSQL server whose `shared_buffers` is the default 128MB, or less
    /// than 1/8 of the target machine's memory.
    ///
    /// ## Why is this bad?
    /// `shared_buffers` is PostgreSQL's own page cache. The default, 128MB, is sized to
    /// start anywhere (128 MB), not to serve: on a machine with gigabytes of memory every page past
    /// it is read through the kernel again, with a copy and a system call each time. The
    /// PostgreSQL documentation advises 25% of memory on a dedicated server, which is
    /// what PGTune sets (memory / 4, in MB: 8 GiB is 8 × 1024 = 8192MB). The fix writes 25% of the target's memory (`[target]`, or the
    /// compose limits of the service that runs PostgreSQL); a server that runs an image's
    /// defaults is reported at its `image:` without an edit.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// max_connections = 100
    /// shared_buffers = 128MB
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// max_connections = 100
    /// shared_buffers = 2GB
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: shared_buffers](https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-SHARED-BUFFERS)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS001",
        name: "shared-buffers-default",
        family: Family::Postgres,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

const DEFAULT: u64 = 128 << 20;

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project, true) {
        let Some(current) = server.bytes("shared_buffers") else { continue };
        let (chain, memory_mb) = memory_mb(&server.target);
        let want = memory_mb / 4 * MIB;
        let low = current < server.target.memory / 8;
        if !(low || current == DEFAULT && want > DEFAULT) {
            continue;
        }
        let what = match (server.get("shared_buffers").is_some(), current == DEFAULT) {
            (true, true) => "PostgreSQL's default, ",
            (false, true) => "",
            (_, false) => "below an eighth of memory, ",
        };
        let change = Change {
            name: "shared_buffers",
            why: format!("{what}on a machine with {}; PGTune's web profile gives a quarter of memory: {chain} / 4 = {}MB", memory_text(&server.target), memory_mb / 4),
            value: format_memory(want),
            title: format!("Set `shared_buffers = {}` (25% of memory)", format_memory(want)),
        };
        report_change(cx, &mut seen, server, true, change);
    }
}
