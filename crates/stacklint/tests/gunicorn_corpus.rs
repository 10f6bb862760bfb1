//! The GUN rules' safe fixes on the real gunicorn files of the corpus
//! (`$STACKLINT_CORPUS/gunicorn`): applied until nothing is left to fix, they converge in a
//! few rounds, never touch a file twice the same way, and leave Python that still compiles
//! (`python3 -m py_compile`, when python3 is installed).

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_diagnostics::{Applicability, apply_edits, select_non_overlapping};
use stacklint_linter::{LinterSettings, RULES, Rule, lint};
use stacklint_project::{FileKind, Project, ProjectOptions};

/// Insertions at the same place (flags appended to one command line) are applied one per
/// round, so a file missing several settings needs a few rounds.
const ROUNDS: usize = 6;

fn gun_rules() -> Vec<&'static Rule> {
    RULES.iter().copied().filter(|r| r.code.starts_with("GUN")).collect()
}

/// A small project around one corpus file: the file itself, and a Dockerfile that runs
/// it (`-c` for a config file) so the container rules apply too.
fn project_files(name: &str, text: &str) -> Vec<(PathBuf, FileKind, String)> {
    let is_python = Path::new(name).extension().is_some_and(|e| e == "py");
    let kind = if is_python { FileKind::GunicornConfig } else { FileKind::Shell };
    let dockerfile = if is_python { format!("FROM python:3.12-slim\nCMD [\"gunicorn\", \"-c\", \"{name}\", \"app.wsgi\"]\n") } else { "FROM python:3.12-slim\n".to_owned() };
    vec![(PathBuf::from(name), kind, text.to_owned()), (PathBuf::from("Dockerfile"), FileKind::Dockerfile, dockerfile)]
}

/// Apply the safe GUN fixes until none is left; the fixed files, and how many rounds it took.
fn fix_until_stable(files: Vec<(PathBuf, FileKind, String)>) -> (Vec<(PathBuf, FileKind, String)>, usize) {
    let rules = gun_rules();
    let settings = LinterSettings::only(&rules);
    let mut files = files;
    for round in 0..=ROUNDS {
        let project = Project::build(ProjectOptions::default(), files.clone());
        let diagnostics = lint(&project, &settings);
        let fixes: Vec<_> = diagnostics.iter().filter_map(|d| d.fix.as_ref()).filter(|f| f.applicability == Applicability::Safe).collect();
        if fixes.is_empty() {
            return (files, round);
        }
        let (_, by_file): (_, BTreeMap<PathBuf, _>) = select_non_overlapping(fixes);
        for (path, _, text) in &mut files {
            if let Some(edits) = by_file.get(path.as_path()) {
                let (fixed, skipped) = apply_edits(text, edits);
                assert!(skipped.is_empty(), "{}: overlapping edits in round {round}", path.display());
                *text = fixed;
            }
        }
    }
    panic!("safe GUN fixes did not converge in {ROUNDS} rounds: {:?}", files.iter().map(|(p, _, _)| p).collect::<Vec<_>>());
}

fn python3() -> bool {
    Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// `python3 -m py_compile` on `text` (written to a temporary file).
fn py_compiles(name: &str, text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join(name.replace(['/', '\\'], "_"));
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let out = Command::new("python3").arg("-m").arg("py_compile").arg(&path).output().map_err(|e| e.to_string())?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

#[test]
fn safe_fixes_converge_on_the_corpus() {
    let Some(dir) = common::require_dir(common::corpus_dir().join("gunicorn"), "gunicorn corpus") else { return };
    let have_python = python3();
    if !have_python {
        assert!(!common::oracles_required(), "python3 not found and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: python3 not found: fixed Python is not compiled");
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir).expect("corpus dir").filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    entries.sort();
    assert!(!entries.is_empty(), "empty corpus at {}", dir.display());
    let mut failures = Vec::new();
    let mut fixed_files = 0usize;
    for path in &entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let (fixed, rounds) = fix_until_stable(project_files(&name, &text));
        eprintln!("{name}: stable after {rounds} round(s)");
        let Some((_, _, after)) = fixed.iter().find(|(p, _, _)| p == Path::new(&name)) else { continue };
        if *after != text {
            fixed_files += 1;
        }
        let was_valid = !Project::build(ProjectOptions::default(), project_files(&name, &text)).files.iter().any(|f| !f.syntax_errors().is_empty());
        let project = Project::build(ProjectOptions::default(), fixed.clone());
        let broken: Vec<String> = project.files.iter().flat_map(|f| f.syntax_errors().into_iter().map(move |e| format!("{}: {}", f.path.display(), e.message))).collect();
        if was_valid && !broken.is_empty() {
            failures.push(format!("{name}: the fixes broke the syntax: {broken:?}"));
        }
        let is_python = Path::new(&name).extension().is_some_and(|e| e == "py");
        let templated = text.contains("{{") || text.contains("{%");
        if is_python && have_python && !templated && py_compiles(&name, &text).is_ok()
            && let Err(e) = py_compiles(&name, after)
        {
            failures.push(format!("{name}: fixed file does not compile: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(fixed_files > 0, "no corpus file got a safe GUN fix: the test checks nothing");
}
