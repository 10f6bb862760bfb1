//! The README's "A quick tour" is a transcript, and this test replays it: every `$ ` line
//! of its `console` block is run (on a copy of `examples/`, so nothing in the repository
//! changes) and what follows it must be exactly what the command prints, standard output
//! then standard error. The README is the snapshot: when the output changes on purpose,
//! `STACKLINT_UPDATE_README=1 cargo test -p stacklint_e2e --test readme_tour` rewrites the block.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const SECTION: &str = "## A quick tour";

fn root() -> PathBuf {
    common::repo_root()
}

/// The byte range of the tour's `console` block body in the README.
fn tour_block(readme: &str) -> std::ops::Range<usize> {
    let section = readme.find(SECTION).expect("the README has a \"## A quick tour\" section");
    let open = section + readme[section..].find("```console\n").expect("the tour has a ```console block") + "```console\n".len();
    let close = open + readme[open..].find("```\n").expect("the tour's block is closed");
    open..close
}

/// `(command, expected output)` pairs of a transcript.
fn steps(block: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            out.push((command.to_owned(), String::new()));
        } else {
            let (_, expected) = out.last_mut().expect("the block starts with a `$ ` command");
            expected.push_str(line);
            expected.push('\n');
        }
    }
    // A blank line separates one command's output from the next prompt.
    for (_, expected) in &mut out {
        while expected.ends_with("\n\n") {
            expected.pop();
        }
    }
    out
}

/// Runs one transcript line in `cwd` (`cd DIR && ...` moves it): `stacklint` commands only,
/// arguments split at spaces.
fn run(command: &str, cwd: &mut PathBuf) -> String {
    let mut command = command;
    if let Some(rest) = command.strip_prefix("cd ") {
        let (dir, rest) = rest.split_once(" && ").unwrap_or((rest, ""));
        *cwd = cwd.join(dir);
        command = rest;
    }
    if command.is_empty() {
        return String::new();
    }
    let mut words = command.split(' ');
    assert_eq!(words.next(), Some("stacklint"), "the tour runs stacklint only: {command}");
    let args: Vec<&str> = words.collect();
    assert!(!args.iter().any(|a| a.contains(['"', '\'', '|', '>'])), "no quoting or redirection in the tour: {command}");
    let output = Command::new(common::stacklint_bin())
        .args(&args)
        .current_dir(&*cwd)
        .env_remove("FORCE_COLOR")
        .env("NO_COLOR", "1")
        .output()
        .expect("run stacklint");
    let mut text = String::from_utf8(output.stdout).expect("UTF-8 output");
    text.push_str(&String::from_utf8(output.stderr).expect("UTF-8 output"));
    text
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn readme_tour_is_what_stacklint_prints() {
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let range = tour_block(&readme);
    let steps = steps(&readme[range.clone()]);
    assert!(steps.len() >= 2, "the tour shows at least two commands");

    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples"), &tmp.path().join("examples"));
    let mut cwd = tmp.path().to_path_buf();
    let mut actual_block = String::new();
    let mut mismatches = Vec::new();
    for (i, (command, expected)) in steps.iter().enumerate() {
        let actual = run(command, &mut cwd);
        if i > 0 {
            actual_block.push('\n');
        }
        let _ = write!(actual_block, "$ {command}\n{actual}");
        if actual != *expected {
            mismatches.push(format!("$ {command}\n--- README\n{expected}--- stacklint printed\n{actual}"));
        }
    }
    // Nothing the tour ran may have changed the example (the tour must not use --fix).
    for file in ["Dockerfile", "nginx/nginx.conf", "wingman/settings.py"] {
        let original = root().join("examples/wingman-lite").join(file);
        let copy = tmp.path().join("examples/wingman-lite").join(file);
        assert_eq!(std::fs::read(&original).unwrap(), std::fs::read(&copy).unwrap(), "the tour changed {file}");
    }
    if mismatches.is_empty() {
        return;
    }
    if std::env::var("STACKLINT_UPDATE_README").is_ok_and(|v| v == "1") {
        let mut updated = readme.clone();
        updated.replace_range(range, &actual_block);
        std::fs::write(&readme_path, updated).unwrap();
        eprintln!("README.md: the tour was rewritten; review the change");
        return;
    }
    panic!(
        "README.md's tour is not what stacklint prints (STACKLINT_UPDATE_README=1 rewrites it):\n\n{}",
        mismatches.join("\n")
    );
}
