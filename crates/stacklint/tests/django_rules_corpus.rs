//! The DJS rules over the real settings modules of the corpus (`STACKLINT_CORPUS`, default
//! `../shared/corpus`): each repository's flattened files (`owner__repo__pkg__settings__base.py`)
//! are rebuilt as a project, then: no panic, every range and edit inside its file and on
//! char boundaries, safe fixes converge (a second `--fix` changes nothing), and every fixed
//! Python file that compiled before still compiles (`python3 -m py_compile`). The findings
//! per rule are printed for review.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_linter::FixMode;
use stacklint_workspace::{Overrides, RunOutcome, RunRequest, run};

/// `owner__repo__a__b____init__.py` → (`owner__repo`, `a/b/__init__.py`).
fn split_flat(name: &str) -> Option<(String, PathBuf)> {
    let mut parts = name.splitn(3, "__");
    let owner = parts.next()?;
    let repo = parts.next()?;
    let rest = parts.next()?;
    let rest = rest.replace("____init__", "/__init__");
    let path: PathBuf = rest.split("__").filter(|s| !s.is_empty()).map(|s| s.trim_start_matches('/')).collect::<Vec<_>>().join("/").replace("//", "/").into();
    Some((format!("{owner}__{repo}"), path))
}

fn compiles(path: &Path) -> bool {
    Command::new("python3").args(["-m", "py_compile"]).arg(path).env("PYTHONDONTWRITEBYTECODE", "1").output().is_ok_and(|o| o.status.success())
}

fn lint(dir: &Path, fix: Option<FixMode>) -> RunOutcome {
    let overrides = Overrides { select: Some(vec!["DJS".to_string()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix, ..RunRequest::default() }).expect("runs")
}

fn check_ranges(outcome: &RunOutcome, failures: &mut Vec<String>) {
    for d in &outcome.diagnostics {
        let text = outcome.sources.get(&d.file).map_or("", String::as_str);
        if d.range.end() > text.len() || !text.is_char_boundary(d.range.start()) || !text.is_char_boundary(d.range.end()) {
            failures.push(format!("{}: {} range {:?} outside the file", d.file.display(), d.code, d.range));
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            let t = outcome.sources.get(&e.file).map_or("", String::as_str);
            if e.range.end() > t.len() || !t.is_char_boundary(e.range.start()) || !t.is_char_boundary(e.range.end()) {
                failures.push(format!("{}: {} edit {:?} outside {}", d.file.display(), d.code, e.range, e.file.display()));
            }
        }
    }
}

#[test]
fn djs_rules_over_the_corpus() {
    let Some(corpus) = common::require_dir(common::corpus_dir(), "the corpus") else { return };
    let dir = corpus.join("django");
    let mut repos: BTreeMap<String, Vec<(PathBuf, PathBuf)>> = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().to_string();
        if std::path::Path::new(&name).extension().is_none_or(|x| x != "py") {
            continue;
        }
        if let Some((repo, rel)) = split_flat(&name) {
            repos.entry(repo).or_default().push((e.path(), rel));
        }
    }
    assert!(repos.len() >= 10, "only {} repositories in {}", repos.len(), dir.display());
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    for (repo, files) in &repos {
        let root = tmp.path().join(repo);
        for (src, rel) in files {
            let to = root.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(src, &to).unwrap();
        }
        let outcome = lint(&root, None);
        check_ranges(&outcome, &mut failures);
        for d in &outcome.diagnostics {
            *counts.entry(d.code).or_default() += 1;
            let rel = d.file.strip_prefix(&root).unwrap_or(&d.file);
            let text = outcome.sources.get(&d.file).map_or("", String::as_str);
            let row = stacklint_text::LineIndex::new(text).location(d.range.start(), text).row;
            println!("{repo}/{}:{row}: {} {}", rel.display(), d.code, d.message);
        }
        let compiled_before: Vec<PathBuf> = files.iter().map(|(_, rel)| root.join(rel)).filter(|p| compiles(p)).collect();
        let fixed = lint(&root, Some(FixMode::Safe));
        // Fixes withheld from templates and files with parse errors are by design.
        let broke: Vec<_> = fixed.dropped.iter().filter(|d| d.cause == stacklint_linter::DropCause::NewParseError).map(|d| (&d.diagnostic.code, &d.reason)).collect();
        if !broke.is_empty() {
            failures.push(format!("{repo}: fixes dropped: {broke:?}"));
        }
        for f in &fixed.fixed {
            println!("{repo}: fixed {}", f.path.strip_prefix(&root).unwrap_or(&f.path).display());
            if compiled_before.contains(&f.path) && !compiles(&f.path) {
                failures.push(format!("{repo}: {} no longer compiles after --fix", f.path.display()));
            }
        }
        let again = lint(&root, Some(FixMode::Safe));
        if !again.fixed.is_empty() {
            failures.push(format!("{repo}: a second --fix changed {:?}", again.fixed.iter().map(|f| &f.path).collect::<Vec<_>>()));
        }
        check_ranges(&again, &mut failures);
    }
    println!("DJS findings per rule over {} repositories: {counts:?}", repos.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
