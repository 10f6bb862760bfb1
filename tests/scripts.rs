//! The suites that are shell scripts, run from `cargo test` when asked: the pre-commit
//! hooks end to end (`tests/pre-commit/run.sh`: real pre-commit `try-repo`, a release
//! build) and the pip package (`scripts/build-wheel`: maturin wheel installed in a fresh
//! virtualenv). They take minutes and the network, so they run only under
//! `STACKLINT_E2E_SCRIPTS=1`; otherwise each test says `SKIPPED:` and passes. `.ci/run`
//! runs the scripts itself.

mod common;

use std::process::Command;

fn run_script(rel: &str) {
    if !std::env::var("STACKLINT_E2E_SCRIPTS").is_ok_and(|v| v == "1") {
        common::skipped(&format!("{rel} (set STACKLINT_E2E_SCRIPTS=1 to run it)"));
        return;
    }
    let status = Command::new(common::repo_root().join(rel)).current_dir(common::repo_root()).status().expect("run the script");
    assert!(status.success(), "{rel} failed: {status}");
}

#[test]
fn pre_commit_hooks_run_end_to_end() {
    run_script("tests/pre-commit/run.sh");
}

#[test]
fn the_wheel_builds_installs_and_runs() {
    run_script("scripts/build-wheel");
}
