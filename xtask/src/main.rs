//! `cargo xtask docs [--check]`: write `rules/*.md` from the rules' doc comments, or (with
//! `--check`, in CI) fail when the checked-in pages are stale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("docs") {
        docs(args.iter().any(|a| a == "--check"))
    } else {
        eprintln!("usage: cargo xtask docs [--check]");
        ExitCode::from(2)
    }
}

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

/// Every generated page: file name → content.
fn pages() -> BTreeMap<String, String> {
    let mut pages = BTreeMap::new();
    pages.insert("README.md".to_string(), stacklint::rules_index_markdown());
    for rule in stacklint_linter::RULES.iter() {
        pages.insert(format!("{}.md", rule.code), stacklint::rule_markdown(rule));
    }
    pages
}

fn docs(check: bool) -> ExitCode {
    let dir = rules_dir();
    let pages = pages();
    let existing: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).filter_map(|e| e.file_name().into_string().ok()).filter(|n| Path::new(n).extension().is_some_and(|x| x == "md")).collect())
        .unwrap_or_default();
    let mut stale = Vec::new();
    for (name, content) in &pages {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(content.as_str()) {
            stale.push(name.clone());
        }
    }
    let extra: Vec<&String> = existing.iter().filter(|n| !pages.contains_key(*n)).collect();
    if check {
        if stale.is_empty() && extra.is_empty() {
            println!("rules/ is up to date ({} pages)", pages.len());
            return ExitCode::SUCCESS;
        }
        for n in &stale {
            eprintln!("stale: rules/{n}");
        }
        for n in &extra {
            eprintln!("no such rule: rules/{n}");
        }
        eprintln!("rules/ is out of date: run `cargo xtask docs`");
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for name in &stale {
        if let Err(e) = std::fs::write(dir.join(name), &pages[name]) {
            eprintln!("cannot write rules/{name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    for name in extra {
        let _ = std::fs::remove_file(dir.join(name));
    }
    println!("wrote {} of {} pages", stale.len(), pages.len());
    ExitCode::SUCCESS
}
