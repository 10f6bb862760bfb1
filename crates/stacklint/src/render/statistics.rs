//! `--statistics`: how many findings of each rule, most frequent first.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use stacklint_diagnostics::Diagnostic;

use super::{OutputFormat, RenderContext};

#[derive(Serialize)]
struct Statistic {
    code: &'static str,
    name: &'static str,
    count: usize,
    fixable: bool,
}

fn statistics(diagnostics: &[Diagnostic], cx: &RenderContext) -> Vec<Statistic> {
    let mut by_code: BTreeMap<&'static str, Statistic> = BTreeMap::new();
    for diagnostic in diagnostics {
        let entry = by_code.entry(diagnostic.code).or_insert(Statistic { code: diagnostic.code, name: diagnostic.name, count: 0, fixable: false });
        entry.count += 1;
        entry.fixable |= cx.diagnostic_is_fixable(diagnostic);
    }
    let mut stats: Vec<Statistic> = by_code.into_values().collect();
    // Most frequent first; ties by code (the map gave code order, the sort is stable).
    stats.sort_by_key(|s| std::cmp::Reverse(s.count));
    stats
}

/// Write per-rule counts, like ruff's `--statistics`.
///
/// In `json` and `json-lines` the result is a JSON list of
/// `{code, name, count, fixable}`; in every other format it is a tab-separated table,
/// counts right-aligned and codes padded:
///
/// ```text
/// 3   GUN001  [*] workers-below-cpu-recommendation
/// 1   DJG004  [ ] debug-in-production
/// ```
/// `[*]` marks a rule with at least one finding `--fix` fixes; the `[ ]` column is there
/// only when some rule is fixable.
pub fn render_statistics(format: OutputFormat, diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let stats = statistics(diagnostics, cx);
    if matches!(format, OutputFormat::Json | OutputFormat::JsonLines) {
        serde_json::to_writer_pretty(&mut *out, &stats)?;
        return out.write_all(b"\n");
    }
    let count_width = stats.iter().map(|s| s.count.to_string().len()).max().unwrap_or(0);
    let code_width = stats.iter().map(|s| s.code.len()).max().unwrap_or(0);
    let any_fixable = stats.iter().any(|s| s.fixable);
    for stat in &stats {
        let marker = match (any_fixable, stat.fixable) {
            (false, _) => "",
            (true, true) => "[*] ",
            (true, false) => "[ ] ",
        };
        let marker = if marker == "[*] " && cx.color { format!("{} ", super::fix_marker(true)) } else { marker.to_owned() };
        writeln!(out, "{:>count_width$}\t{:<code_width$}\t{marker}{}", stat.count, stat.code, stat.name)?;
    }
    Ok(())
}
