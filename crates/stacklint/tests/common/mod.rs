//! Shared by the end-to-end tests: where the shared corpus and scenarios are.

#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the checkout (or `STACKLINT_SHARED`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("STACKLINT_SHARED").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"), PathBuf::from)
}

/// The corpus (`STACKLINT_CORPUS`, default `../shared/corpus`).
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("STACKLINT_CORPUS").map_or_else(|| shared_dir().join("corpus"), PathBuf::from)
}

/// Whether missing external inputs (corpus, real programs) must fail instead of skip.
pub fn oracles_required() -> bool {
    std::env::var("STACKLINT_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// `Some(dir)` when it exists; otherwise say loudly that the test is skipped (or fail when
/// oracles are required).
pub fn require_dir(dir: PathBuf, what: &str) -> Option<PathBuf> {
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(!oracles_required(), "{what} not found at {} and STACKLINT_REQUIRE_ORACLES=1", dir.display());
    eprintln!("SKIPPED: {what} not found at {}", dir.display());
    None
}
