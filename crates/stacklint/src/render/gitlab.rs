//! `gitlab`: a GitLab Code Quality report (a JSON list of issues).
//!
//! Severity: `error` → `major`, `warning` → `minor`, `info` → `info` (GitLab's scale is
//! info, minor, major, critical, blocker; nothing stacklint finds stops a service by
//! itself, so `critical` and `blocker` are not used).
//!
//! The fingerprint is a 128-bit FNV-1a hash (hex) of code, path and message — not of the
//! line, so a finding keeps its identity when lines move above it. Findings with the same
//! code, path and message get the occurrence number mixed in, in report order, so every
//! fingerprint in one report is unique.

use std::collections::HashSet;
use std::io;

use serde::Serialize;
use stacklint_diagnostics::{Diagnostic, Severity};

use super::{Files, RenderContext, headline};

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// FNV-1a, 64 bits, from a given offset basis.
fn fnv1a(basis: u64, parts: &[&[u8]]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = basis;
    for part in parts {
        for &byte in *part {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// A stable fingerprint of code, path, message and occurrence number.
pub(super) fn fingerprint(code: &str, path: &str, message: &str, occurrence: usize) -> String {
    let occurrence = occurrence.to_string();
    let parts: [&[u8]; 4] = [code.as_bytes(), path.as_bytes(), message.as_bytes(), occurrence.as_bytes()];
    let high = fnv1a(0xcbf2_9ce4_8422_2325, &parts);
    let low = fnv1a(0x6c62_272e_07bb_0142, &parts);
    format!("{high:016x}{low:016x}")
}

pub(super) fn render(diagnostics: &[Diagnostic], cx: &RenderContext, out: &mut dyn io::Write) -> io::Result<()> {
    let mut files = Files::new(cx.sources);
    let mut seen = HashSet::new();
    let issues: Vec<Issue> = diagnostics
        .iter()
        .map(|diagnostic| {
            let path = cx.display_path(&diagnostic.file);
            let mut occurrence = 0;
            let mut print = fingerprint(diagnostic.code, &path, &diagnostic.message, occurrence);
            while !seen.insert(print.clone()) {
                occurrence += 1;
                print = fingerprint(diagnostic.code, &path, &diagnostic.message, occurrence);
            }
            let span = files.span(&diagnostic.file, diagnostic.range);
            Issue {
                description: headline(diagnostic),
                check_name: diagnostic.code,
                fingerprint: print,
                severity: severity(diagnostic.severity),
                location: Location {
                    path,
                    positions: Positions {
                        begin: Position { line: span.start.row, column: span.start.column },
                        end: Position { line: span.end.row, column: span.end.column },
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_separate_parts() {
        // Pinned: a change here changes every fingerprint users' GitLab has stored.
        assert_eq!(fingerprint("GUN001", "Dockerfile", "m", 0), fingerprint("GUN001", "Dockerfile", "m", 0));
        assert_ne!(fingerprint("GUN001", "Dockerfile", "m", 0), fingerprint("GUN001", "Dockerfile", "m", 1));
        assert_ne!(fingerprint("ab", "c", "m", 0), fingerprint("a", "bc", "m", 0));
        assert_eq!(fingerprint("GUN001", "Dockerfile", "m", 0).len(), 32);
    }
}
