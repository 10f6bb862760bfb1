use stacklint_diagnostics::Severity;
use stacklint_project::postgres::{Value, format_memory};

use super::{Change, Seen, report_change, kb_chain, memory_text, servers};
use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `work_mem` left at PostgreSQL's default 4MB when PGTune's value for the
    /// target machine is at least twice or at most half of it, and a `work_mem` whose worst
    /// case (`max_connections` × 3 steps × `work_mem`) is more than twice the memory left
    /// beside `shared_buffers` (counted at least at PGTune's 25% of memory).
    ///
    /// ## Why is this bad?
    /// `work_mem` is the memory of each sort or hash step, and one query can run several at
    /// once in every connection. Too low, sorts spill to temporary files on disk; too high,
    /// a burst of connections asks for more memory than there is and the kernel's OOM
    /// killer ends the server. PGTune's web profile divides what `shared_buffers` leaves by
    /// three steps per connection and by the parallel workers per gather
    /// (min(⌈CPUs / 2⌉, 4)). With `max_connections` at its default 100, 8 GiB and 4 CPUs:
    /// 8 × 1048576 = 8388608kB (1024 kB per MB), a quarter for `shared_buffers`, (8388608kB − 2097152kB) /
    /// (100 × 3) / 2 = 10486kB.
    ///
    /// ## Example
    /// ```conf path=postgres/postgresql.conf
    /// max_connections = 100
    /// shared_buffers = 2GB
    /// work_mem = 64MB
    /// ```
    ///
    /// ## Use instead
    /// ```conf path=postgres/postgresql.conf
    /// max_connections = 100
    /// shared_buffers = 2GB
    /// work_mem = 10485kB
    /// ```
    ///
    /// ## References
    /// - [PostgreSQL: work_mem](https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-WORK-MEM)
    /// - [PGTune](https://pgtune.leopard.in.ua/)
    pub static RULE = {
        code: "PGS003",
        name: "work-mem-unsized",
        family: Family::Postgres,
        scope: Scope::File,
        severity: Severity::Warning,
        fix: FixAvailability::Safe,
        check: check,
    }
}

const DEFAULT: u64 = 4 << 20;

/// `a / b` rounded to the nearest whole number.
fn div_round(a: u64, b: u64) -> u64 {
    (a + b / 2) / b.max(1)
}

fn check(cx: &mut Checker) {
    let project = cx.project();
    let mut seen = Seen::default();
    for server in servers(project, false) {
        let (Some(current), Some(shared), Some(Value::Int(connections))) = (server.bytes("work_mem"), server.bytes("shared_buffers"), server.value("max_connections")) else { continue };
        let memory = server.target.memory;
        let Ok(connections) = u64::try_from(connections) else { continue };
        // What PGTune's own `shared_buffers` (25% of memory) leaves, or what a larger one
        // does: the same base for the limit and the fix, so that fixing `shared_buffers`
        // (PGS001) does not move `work_mem` out of its limit again.
        let quarter = memory / 4;
        if shared.max(quarter) >= memory || connections == 0 {
            continue;
        }
        // The arithmetic in kB, each step shown as PGTune does it (rounded to whole kB).
        let (memory_chain, memory_kb) = kb_chain(memory);
        let (shared_chain, shared_kb) = if shared <= quarter {
            (format!("{memory_kb}kB / 4 = {}kB for `shared_buffers` (a quarter of memory)", memory_kb / 4), memory_kb / 4)
        } else {
            let (c, kb) = kb_chain(shared);
            (format!("`shared_buffers` {c}"), kb)
        };
        let Some(left) = memory_kb.checked_sub(shared_kb).filter(|l| *l > 0) else { continue };
        let steps = connections * 3;
        let per = div_round(left, steps);
        let cpus = server.target.whole_cpus();
        let per_gather = u64::from(cpus.div_ceil(2).clamp(1, 4));
        let want_kb = div_round(per, per_gather).max(64);
        let want = want_kb * 1024;
        let gather = if cpus.div_ceil(2) > 4 { format!("{per_gather} parallel workers per gather (at most 4)") } else { format!("{cpus} / 2 = {per_gather} parallel workers per gather") };
        let base = format!("{memory_chain}; {shared_chain}; {memory_kb}kB − {shared_kb}kB = {left}kB; `max_connections` {connections} × 3 = {steps} sorts or hashes at once (PGTune's estimate)");
        let pgtune = format!("{left}kB / {steps} = {per}kB; {gather}; {per}kB / {per_gather} = {want_kb}kB");
        let (current_chain, current_kb) = kb_chain(current);
        // Every connection running three sort or hash steps at once is a worst case that
        // rarely happens: report only a demand beyond twice the memory there is.
        let demand = current_kb.saturating_mul(steps);
        let why = if demand > left.saturating_mul(2) {
            format!("its worst case is more than twice the memory left beside `shared_buffers` on {}: {base}; {current_chain}; {steps} × {current_kb}kB = {demand}kB, above 2 × {left}kB = {}kB; PGTune's web profile gives {pgtune}", memory_text(&server.target), left * 2)
        } else if current == DEFAULT && (want >= 2 * DEFAULT || want * 2 <= DEFAULT) {
            format!("sized for no machine in particular; PGTune's web profile for {}: {base}; {pgtune}", memory_text(&server.target))
        } else {
            continue;
        };
        let change = Change { name: "work_mem", why, value: format_memory(want), title: format!("Set `work_mem = {}` (PGTune, web)", format_memory(want)) };
        report_change(cx, &mut seen, server, false, change);
    }
}
