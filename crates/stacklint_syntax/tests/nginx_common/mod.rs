//! Shared helpers of the nginx conformance tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Whether missing oracles (corpus, nginx) must fail the test instead of skipping it.
pub fn require_oracles() -> bool {
    std::env::var("STACKLINT_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

#[path = "../../../../tests/shared_inputs.rs"]
mod shared_inputs;

/// The corpus folder (`STACKLINT_CORPUS`, default `<workspace>/../shared/corpus`), or
/// `None` after saying loudly that the test is skipped.
pub fn corpus() -> Option<PathBuf> {
    shared_inputs::require(shared_inputs::corpus_dir(), "the corpus")
}

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A file's text, invalid UTF-8 replaced.
pub fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}
