//! Shared by the end-to-end suites of this folder and `crates/stacklint/tests` (which
//! include it with `#[path]`): where the repository and the shared corpus and scenarios
//! are, the `stacklint` binary, small projects in temporary folders, and the real programs
//! (`oracles`).

#![allow(dead_code)]

pub mod oracles;

use std::path::{Path, PathBuf};

#[path = "../shared_inputs.rs"]
mod shared_inputs;

#[allow(unused_imports)] // each test binary uses some of them
pub use shared_inputs::{corpus_dir, ecosystem_dir, repo_root, scenarios_dir, shared_dir, skipped};

/// Whether missing real programs (nginx, PostgreSQL, ...) must fail instead of skip.
pub fn oracles_required() -> bool {
    std::env::var("STACKLINT_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// `Some(dir)` when it exists; otherwise say loudly that the test is skipped (or fail when
/// inputs are required): see `tests/shared_inputs.rs`.
pub fn require_dir(dir: PathBuf, what: &str) -> Option<PathBuf> {
    shared_inputs::require(dir, what)
}

/// The `stacklint` binary of this build, built first (once per test binary) so that a
/// suite outside the `stacklint` package never runs a stale one: `cargo build` is a no-op
/// when `cargo test --workspace` built it already.
pub fn stacklint_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        // The profile folder this test binary runs from (`target/debug/deps/e2e-...`).
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "--locked", "--quiet", "-p", "stacklint", "--bin", "stacklint"]).current_dir(repo_root());
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p stacklint failed");
        profile_dir.join(format!("stacklint{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// Every file below `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Files in `dir`, each (path relative to `dir`, contents); folders are made as needed.
pub fn write_files(dir: &Path, files: &[(impl AsRef<Path>, impl AsRef<[u8]>)]) {
    for (rel, bytes) in files {
        let target = dir.join(rel);
        std::fs::create_dir_all(target.parent().expect("a file in a folder")).expect("create a test folder");
        std::fs::write(target, bytes).expect("write a test file");
    }
}

/// `path` relative to `root` (`path` itself when outside it).
pub fn rel(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}
