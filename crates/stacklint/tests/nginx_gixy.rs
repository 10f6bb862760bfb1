//! NGX010 agrees with gixy's `add_header_redefinition` suite
//! (`peer-suites/gixy/simply/add_header_redefinition/`, dvershinin/gixy's convention: every
//! `.conf` must produce a finding, every `*_fp.conf` none — the fork reports dropped
//! headers whether or not they are security headers).

#[path = "../../../tests/common/mod.rs"]
mod common;

use stacklint_linter::{LinterSettings, lint, rule_by_code};
use stacklint_project::{Project, ProjectOptions};

#[test]
fn ngx010_agrees_with_gixy_add_header_redefinition() {
    let Some(dir) = common::require_dir(common::corpus_dir().join("peer-suites/gixy/simply/add_header_redefinition"), "the corpus (gixy add_header_redefinition)") else {
        eprintln!("SKIPPED: corpus not found");
        return;
    };
    let rule = rule_by_code("NGX010").expect("NGX010 is registered");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "conf")).collect();
    files.sort();
    assert!(!files.is_empty(), "no gixy case in {}", dir.display());
    let (mut agree, mut failures) = (0, Vec::new());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        // gixy reads each file as the configuration; here it is a site file under nginx/.
        let rel = format!("nginx/conf.d/{name}");
        let project = Project::from_sources(ProjectOptions::default(), &[(rel.as_str(), text.as_str())]);
        let findings = lint(&project, &LinterSettings::only(&[rule])).into_iter().filter(|d| d.code == "NGX010").count();
        let must_report = !name.ends_with("_fp.conf");
        if must_report == (findings > 0) {
            agree += 1;
        } else {
            failures.push(format!("{name}: gixy expects {}, NGX010 found {findings}", if must_report { "a finding" } else { "none" }));
        }
    }
    println!("gixy add_header_redefinition: NGX010 agrees on {agree}/{} files", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
