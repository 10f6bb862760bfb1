//! Every rule over the third-party corpus (`../shared/corpus`, read in place; fixes are made
//! in a temporary copy): no panic, every finding and fix edit inside its file, fixes that
//! converge (a second `--fix` changes nothing), drop nothing, and leave Python that still
//! compiles.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_linter::FixMode;
use stacklint_workspace::{RunOutcome, RunRequest, run};

const FOLDERS: &[&str] = &["django", "gunicorn", "peer-suites/django", "peer-suites/gunicorn", "dockerfile", "nginx", "compose", "models"];

const KINDS: &str = r#"
[files]
"**/dockerfile/*" = "dockerfile"
"**/compose/*" = "compose"
"**/nginx/*" = "nginx"
"**/gunicorn/*.cmdline" = "shell"
"**/gunicorn/*.py" = "gunicorn"
"**/corpus/django/*.py" = "django-settings"
"#;

fn check_ranges(outcome: &RunOutcome, failures: &mut Vec<String>) {
    for d in &outcome.diagnostics {
        let Some(text) = outcome.sources.get(&d.file) else {
            if d.code != "SYN004" {
                failures.push(format!("{}: {} points into a file that was not linted", d.file.display(), d.code));
            }
            continue;
        };
        let in_bounds = |r: stacklint_text::TextRange, t: &str| r.end() <= t.len() && t.is_char_boundary(r.start()) && t.is_char_boundary(r.end());
        if !in_bounds(d.range, text) {
            failures.push(format!("{}: {} range {:?} outside the file ({} bytes)", d.file.display(), d.code, d.range, text.len()));
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            match outcome.sources.get(&e.file) {
                Some(t) if in_bounds(e.range, t) => {}
                _ => failures.push(format!("{}: {} fix edit {:?} outside {}", d.file.display(), d.code, e.range, e.file.display())),
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().filter_map(Result::ok) {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn python_compiles(path: &Path) -> Result<(), String> {
    let out = Command::new("python3").args(["-m", "py_compile"]).arg(path).output().map_err(|e| e.to_string())?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

#[test]
fn corpus_sweep() {
    let Some(corpus) = common::require_dir(common::corpus_dir(), "the corpus") else { return };
    let has_python = Command::new("python3").arg("--version").output().is_ok();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    // The corpus flattens paths into names (`owner__repo__Dockerfile-alpine.template`), so tell
    // stacklint each folder's kind, as a user would with `[files]`.
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("stacklint.toml");
    std::fs::write(&config, KINDS).unwrap();
    for folder in FOLDERS {
        let dir = corpus.join(folder);
        if !dir.is_dir() {
            failures.push(format!("missing corpus folder {}", dir.display()));
            continue;
        }
        let request = |paths: Vec<PathBuf>, fix: Option<FixMode>| RunRequest { paths, fix, config: Some(config.clone()), ..RunRequest::default() };
        let outcome = run(&request(vec![dir.clone()], None)).expect("the corpus lints");
        check_ranges(&outcome, &mut failures);
        for d in &outcome.diagnostics {
            *counts.entry(d.code).or_default() += 1;
        }

        // Fix a copy with every fix, then again: the second pass must change nothing.
        let tmp = tempfile::tempdir().unwrap();
        let work: PathBuf = tmp.path().join(folder);
        copy_dir(&dir, &work);
        let fixed = run(&request(vec![work.clone()], Some(FixMode::Unsafe))).unwrap();
        check_ranges(&fixed, &mut failures);
        for d in &fixed.dropped {
            // A fix that would break a file is dropped: that is the engine working, but a rule
            // that proposes such fixes on real files needs a look.
            println!("dropped fix: {} [{}] in {}: {}", d.diagnostic.code, d.diagnostic.name, d.diagnostic.file.display(), d.reason);
        }
        if has_python {
            for f in fixed.fixed.iter().filter(|f| f.path.extension().is_some_and(|e| e == "py")) {
                let was_ok = python_compiles(&dir.join(f.path.strip_prefix(&work).unwrap())).is_ok();
                if let (true, Err(e)) = (was_ok, python_compiles(&f.path)) {
                    failures.push(format!("fixed {} no longer compiles: {e}", f.path.display()));
                }
            }
        }
        let again = run(&request(vec![work.clone()], Some(FixMode::Unsafe))).unwrap();
        for f in &again.fixed {
            failures.push(format!("second --fix changed {}:\n{}", f.path.display(), f.diff(&work)));
        }
        println!("{folder}: {} files, {} findings, {} fixes applied in {} files", outcome.files.len(), outcome.diagnostics.len(), fixed.fixes_applied, fixed.fixed.len());
    }
    println!("findings per rule: {counts:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
