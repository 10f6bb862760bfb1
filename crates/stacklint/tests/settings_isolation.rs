//! The property of item 5 (issue 7): the findings on a Django settings module are the same
//! whether it is linted with only the files it imports or with its whole project, unless
//! the project shows the module is not what production runs (development or test
//! settings, or a part another module imports) — and then the model says why.
//!
//! Every settings module of the scenarios (`../shared/scenarios`) and the ecosystem
//! projects (`../shared/ecosystem`), read in place: the module and the files its settings
//! come from are copied at their paths into a temporary folder and linted there; the
//! findings on the module are compared, by rule and line, with those of the whole project.
//! Rules whose finding rests on another file of the deployment (an nginx that redirects
//! to HTTPS, the ASGI server that serves the app) may differ, and are listed.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use stacklint_workspace::{Overrides, RunOutcome, RunRequest, build_models, run};

/// Rules whose finding on a settings module depends on other files of the deployment by
/// design: `(rule, what it reads besides the module)`.
const CROSS_FILE: &[(&str, &str)] = &[
    ("DJS001", "the server that serves the app (ASGI closes connections per request)"),
    ("DJS002", "the server that serves the app (under ASGI, DJS001 reports instead)"),
    ("DJS007", "the gunicorn process that runs the module (its `threads` or `worker_connections`)"),
    ("DJS009", "the project's own middleware modules, read for whether they use the body"),
    ("DJS012", "the nginx location that proxies to the gunicorn running the module"),
    ("DJS108", "whether an nginx server of the project redirects HTTP to HTTPS"),
];

/// `(rule, line)` of the findings on `module` in a run, the cross-file rules left out.
fn findings_on(outcome: &RunOutcome, module: &Path) -> BTreeSet<(String, usize)> {
    let line = |d: &stacklint_diagnostics::Diagnostic| outcome.sources.get(&d.file).and_then(|t| t.get(..d.range.start())).map_or(0, |s| s.matches('\n').count() + 1);
    outcome.diagnostics.iter().filter(|d| d.file == module && !CROSS_FILE.iter().any(|(c, _)| d.code == *c)).map(|d| (d.code.to_string(), line(d))).collect()
}

fn projects() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for what in ["scenarios", "ecosystem"] {
        let Some(dir) = common::require_dir(common::shared_dir().join(what), what) else { continue };
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        out.extend(dirs);
    }
    out
}

#[test]
fn settings_findings_do_not_depend_on_the_files_beside_them() {
    let mut checked = 0;
    let mut explained = 0;
    let mut failures = Vec::new();
    for project_dir in projects() {
        let models = build_models(std::slice::from_ref(&project_dir), None, &Overrides::default()).expect("model builds").projects;
        let whole = run(&RunRequest { paths: vec![project_dir.clone()], ..RunRequest::default() }).expect("lint runs");
        for model in &models {
            for m in &model.django {
                // The project shows it is not production: the model must say why.
                if m.production.is_none() && (m.development || m.imported) {
                    assert!(!m.development || m.development_reason.is_some(), "{}: development settings without a reason", m.path.display());
                    explained += 1;
                    continue;
                }
                let tmp = tempfile::tempdir().expect("temp dir");
                let mut parts: BTreeSet<PathBuf> = m.settings.all().iter().map(|b| b.file.to_path_buf()).collect();
                parts.insert(m.path.clone());
                for part in &parts {
                    let Ok(rel) = part.strip_prefix(&model.root) else { continue };
                    let to = tmp.path().join(rel);
                    if let Some(parent) = to.parent() {
                        std::fs::create_dir_all(parent).expect("mkdir");
                    }
                    std::fs::copy(part, &to).expect("copy");
                }
                let Ok(rel) = m.path.strip_prefix(&model.root) else { continue };
                let alone_run = run(&RunRequest { paths: vec![tmp.path().to_path_buf()], ..RunRequest::default() }).expect("lint runs");
                let alone = findings_on(&alone_run, &tmp.path().join(rel));
                let with_project = findings_on(&whole, &m.path);
                checked += 1;
                if alone != with_project {
                    let only_alone: Vec<_> = alone.difference(&with_project).collect();
                    let only_project: Vec<_> = with_project.difference(&alone).collect();
                    failures.push(format!("{}: alone only {only_alone:?}; with the project only {only_project:?}", m.path.display()));
                }
            }
        }
    }
    eprintln!("{checked} settings modules compared, {explained} shown not to be production");
    assert!(failures.is_empty(), "{} settings module(s) whose findings change with the files beside them:\n{}", failures.len(), failures.join("\n"));
}
