//! Where the test inputs kept outside this repository are, and what a test does when they
//! are missing. `../shared` beside the checkout holds the corpus, the mission scenarios and
//! the ecosystem projects; a clone standing alone has none of them and must still pass
//! `cargo test --workspace --locked`, so a test that reads them skips loudly (`SKIPPED:`)
//! without them, and fails instead under `STACKLINT_REQUIRE_SHARED=1` or
//! `STACKLINT_REQUIRE_ORACLES=1` (CI sets the latter).
//!
//! One file, included by each crate's tests with
//! `#[path = ".../tests/shared_inputs.rs"] mod shared_inputs;`: a crate of its own would be
//! a dependency for five lines of logic.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The checkout: the folder above the including crate that holds `Cargo.lock` (crates
/// live in `crates/<name>`, the end-to-end suites in `tests/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().find(|d| d.join("Cargo.lock").is_file()).unwrap_or(manifest).to_path_buf()
}

/// `../shared` beside the checkout, or `STACKLINT_SHARED`.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("STACKLINT_SHARED").map_or_else(|| repo_root().join("../shared"), PathBuf::from)
}

/// The third-party corpus: `STACKLINT_CORPUS`, else `<shared>/corpus`.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("STACKLINT_CORPUS").map_or_else(|| shared_dir().join("corpus"), PathBuf::from)
}

/// The mission scenarios, `<shared>/scenarios`.
pub fn scenarios_dir() -> PathBuf {
    shared_dir().join("scenarios")
}

/// The ecosystem projects, `<shared>/ecosystem`.
pub fn ecosystem_dir() -> PathBuf {
    shared_dir().join("ecosystem")
}

/// Whether a missing input fails the test instead of skipping it.
pub fn required() -> bool {
    ["STACKLINT_REQUIRE_SHARED", "STACKLINT_REQUIRE_ORACLES"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| v == "1"))
}

/// `Some(dir)` when `dir` is a folder. Otherwise the test is skipped, said on stderr in a
/// way the test harness does not capture, or it fails when inputs are [`required`].
pub fn require(dir: PathBuf, what: &str) -> Option<PathBuf> {
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "{what} not found at {} and STACKLINT_REQUIRE_SHARED=1 or STACKLINT_REQUIRE_ORACLES=1 (put shared/ beside the checkout, or set STACKLINT_SHARED / STACKLINT_CORPUS)",
        dir.display()
    );
    skipped(&format!("{what} not found at {} (../shared is not beside the checkout; set STACKLINT_SHARED or STACKLINT_CORPUS)", dir.display()));
    None
}

/// `SKIPPED: {why}` on stderr, written to the handle itself: `eprintln!` in a passing test is
/// swallowed by the harness, and a skip must be seen.
pub fn skipped(why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// Every file below `dir` that `keep` accepts, with its text, sorted by path (unreadable
/// files are left out).
pub fn files_under(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p)
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                out.push((p, text));
            }
        }
    }
    out.sort();
    out
}

/// Every file below `dir` whose name ends in `.{ext}`, with its text, sorted by path.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<(PathBuf, String)> {
    files_under(dir, |p| p.extension().is_some_and(|x| x == ext))
}
