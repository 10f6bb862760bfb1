//! The mission scenarios (`../shared/scenarios/*/expected.toml`): every `[[expect]]` whose rule
//! exists must be reported, no `[[forbid]]` may be. Expectations of rules not written yet are
//! printed as pending; they bind the day the rule lands.

mod common;

use std::path::{Path, PathBuf};

use stacklint_linter::rule_by_code_or_name;
use stacklint_workspace::{RunRequest, run};

struct Finding {
    rule: String,
    code: String,
    file: PathBuf,
    row: usize,
}

fn findings(dir: &Path) -> Vec<Finding> {
    let outcome = run(&RunRequest { paths: vec![dir.to_path_buf()], ..RunRequest::default() }).expect("scenario runs");
    outcome
        .diagnostics
        .iter()
        .map(|d| {
            let text = outcome.sources.get(&d.file).map_or("", String::as_str);
            let row = stacklint_text::LineIndex::new(text).location(d.range.start(), text).row;
            Finding { rule: d.name.to_string(), code: d.code.to_string(), file: d.file.strip_prefix(dir).unwrap_or(&d.file).to_path_buf(), row }
        })
        .collect()
}

fn matches(entry: &toml::Table, f: &Finding) -> bool {
    let rule = entry.get("rule").and_then(|v| v.as_str()).unwrap_or_default();
    let file = entry.get("file").and_then(|v| v.as_str()).unwrap_or_default();
    let line = entry.get("line").and_then(toml::Value::as_integer);
    (rule == f.rule || rule == f.code) && Path::new(file) == f.file && line.is_none_or(|l| usize::try_from(l).ok() == Some(f.row))
}

#[test]
fn scenarios_meet_their_expectations() {
    let Some(root) = common::require_dir(common::shared_dir().join("scenarios"), "the scenarios") else { return };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("expected.toml").is_file()).collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenario in {}", root.display());
    let (mut met, mut binding, mut pending, mut failures) = (0, 0, 0, Vec::new());
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let spec: toml::Table = std::fs::read_to_string(dir.join("expected.toml")).unwrap().parse().unwrap();
        let found = findings(dir);
        let entries = |key: &str| spec.get(key).and_then(|v| v.as_array()).cloned().unwrap_or_default();
        for e in entries("expect") {
            let e = e.as_table().unwrap();
            let rule = e.get("rule").and_then(|v| v.as_str()).unwrap_or_default();
            let place = format!("{name}: {rule} in {}{}", e["file"].as_str().unwrap_or_default(), e.get("line").map(|l| format!(":{l}")).unwrap_or_default());
            if rule_by_code_or_name(rule).is_none() {
                pending += 1;
                println!("pending (rule not written yet): {place}");
                continue;
            }
            binding += 1;
            if found.iter().any(|f| matches(e, f)) {
                met += 1;
            } else {
                failures.push(format!("missed: {place}"));
            }
        }
        for e in entries("forbid") {
            let e = e.as_table().unwrap();
            if let Some(f) = found.iter().find(|f| matches(e, f)) {
                failures.push(format!("FORBIDDEN: {name}: {} reported in {}:{}", f.rule, f.file.display(), f.row));
            }
        }
    }
    println!("scenarios: {met}/{binding} expectations met, {pending} pending, {} failures", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
