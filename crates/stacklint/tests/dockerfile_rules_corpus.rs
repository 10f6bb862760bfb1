//! Every DKR rule over every Dockerfile of the shared corpus (`corpus/dockerfile`):
//!
//! - no panic, every finding's range inside its file and on char boundaries;
//! - the safe fixes converge (a second `--fix` changes nothing), none is dropped for
//!   leaving a new parse error, and the fixed file has no more parse errors than before;
//! - the exec form written by `shell-form-cmd` is a JSON array of strings that the
//!   Dockerfile parser reads back as the exec form of that instruction.
//!
//! Prints the count per rule and every finding to eyeball false positives
//! (`--nocapture`). The findings of a file whose parse has more than
//! [`MAX_PARSE_ERRORS`] errors (unrendered templates) are not counted, and said so; the
//! invariants hold for it too.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use stacklint_diagnostics::Diagnostic;
use stacklint_linter::{DropCause, Family, FixMode, LinterSettings, RULES, Rule, fix_project, lint};
use stacklint_project::{FileKind, Project, ProjectOptions, SourceFile, parse, syntax_errors};

const MAX_PARSE_ERRORS: usize = 5;

fn dkr_rules() -> Vec<&'static Rule> {
    RULES.iter().copied().filter(|r| r.family == Family::Dockerfile).collect()
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = common::require_dir(common::corpus_dir().join("dockerfile"), "Dockerfile corpus")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    Some(files)
}

fn parse_errors(text: &str) -> usize {
    syntax_errors(&parse(FileKind::Dockerfile, text)).len()
}

/// Problems with one file's findings and fixes.
fn check_file(name: &str, text: &str, settings: &LinterSettings) -> (Vec<Diagnostic>, Vec<String>) {
    let mut problems = Vec::new();
    let path = PathBuf::from("Dockerfile");
    let project = Project::build(ProjectOptions::default(), vec![(path.clone(), FileKind::Dockerfile, text.to_owned())]);
    let diagnostics = lint(&project, settings);
    for d in &diagnostics {
        let r = d.range;
        if r.end() > text.len() || !text.is_char_boundary(r.start()) || !text.is_char_boundary(r.end()) {
            problems.push(format!("{name}: {} range {r:?} outside the file or not on a char boundary", d.code));
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            if e.range.end() > text.len() || !text.is_char_boundary(e.range.start()) || !text.is_char_boundary(e.range.end()) {
                problems.push(format!("{name}: {} edit range {:?} outside the file", d.code, e.range));
            }
        }
        if d.code == "DKR002"
            && let Some(fix) = &d.fix
        {
            check_exec_form(name, text, d, fix, &mut problems);
        }
    }

    // Fix to a fixpoint, then once more: nothing may change the second time.
    let files = vec![(path.clone(), FileKind::Dockerfile, text.to_owned())];
    let outcome = fix_project(&ProjectOptions::default(), files, settings, FixMode::Safe);
    if !outcome.converged {
        problems.push(format!("{name}: fixes did not converge"));
    }
    // Fixes withheld from templates and files with parse errors are by design.
    for dropped in outcome.dropped.iter().filter(|d| d.cause == DropCause::NewParseError) {
        problems.push(format!("{name}: {} fix dropped: {}", dropped.diagnostic.code, dropped.reason));
    }
    if let Some(fixed) = outcome.changed.get(&path) {
        if parse_errors(fixed) > parse_errors(text) {
            problems.push(format!("{name}: the fixed file has new parse errors"));
        }
        let again = fix_project(&ProjectOptions::default(), vec![(path.clone(), FileKind::Dockerfile, fixed.clone())], settings, FixMode::Safe);
        if !again.changed.is_empty() {
            problems.push(format!("{name}: a second --fix changed the file again"));
        }
    }
    (diagnostics, problems)
}

/// The replacement of `shell-form-cmd` is a JSON array of strings, and the instruction
/// reads back as that exec form.
fn check_exec_form(name: &str, text: &str, d: &Diagnostic, fix: &stacklint_diagnostics::Fix, problems: &mut Vec<String>) {
    let [edit] = fix.edits.as_slice() else {
        problems.push(format!("{name}: DKR002 fix has {} edits", fix.edits.len()));
        return;
    };
    let Ok(values) = serde_json::from_str::<Vec<String>>(&edit.content) else {
        problems.push(format!("{name}: DKR002 wrote invalid JSON: {}", edit.content));
        return;
    };
    let (fixed, _) = stacklint_diagnostics::apply_edits(text, [edit]);
    let file = SourceFile::new(PathBuf::from("Dockerfile"), FileKind::Dockerfile, fixed);
    let reread = file.dockerfile().and_then(|df| df.instructions.iter().find(|i| i.range.start() == d.range.start())).and_then(|i| i.exec()).map(|e| e.elements.iter().map(|s| s.value.clone()).collect::<Vec<_>>());
    if reread.as_ref() != Some(&values) {
        problems.push(format!("{name}: DKR002 exec form {} reads back as {reread:?}", edit.content));
    }
}

#[test]
fn dockerfile_rules_over_the_corpus() {
    let Some(files) = corpus_files() else { return };
    let rules = dkr_rules();
    assert_eq!(rules.len(), 7, "DKR001-DKR007");
    let settings = LinterSettings::only(&rules);
    let mut counts: BTreeMap<&'static str, usize> = rules.iter().map(|r| (r.code, 0)).collect();
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    let mut sample = Vec::new();
    for path in &files {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        // Every file must pass the invariants, but the findings of a file the parser
        // mostly rejects (an unrendered template) are not counted nor shown.
        let result = catch_unwind(AssertUnwindSafe(|| check_file(&name, &text, &settings)));
        let Ok((diagnostics, file_problems)) = result else {
            problems.push(format!("{name}: panicked"));
            continue;
        };
        problems.extend(file_problems);
        let errors = parse_errors(&text);
        if errors > MAX_PARSE_ERRORS {
            skipped.push(format!("{name} ({errors} parse errors, {} findings)", diagnostics.len()));
            continue;
        }
        let index = stacklint_text::LineIndex::new(&text);
        for d in &diagnostics {
            *counts.entry(d.code).or_default() += 1;
            let row = index.line_of(d.range.start()) + 1;
            let line = text.lines().nth(row - 1).unwrap_or("").trim();
            let line: String = line.chars().take(90).collect();
            sample.push(format!("{} {name}:{row}: {line}{}", d.code, if d.fix.is_some() { "  [fix]" } else { "" }));
        }
    }
    println!("{} Dockerfiles, findings of {} not counted", files.len(), skipped.len());
    for s in &skipped {
        println!("  not counted: {s}");
    }
    for (code, n) in &counts {
        println!("{code}: {n}");
    }
    sample.sort();
    for s in &sample {
        println!("  {s}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(files.len() >= 20, "the corpus should hold the Dockerfiles: {}", Path::new(&common::corpus_dir()).display());
}
