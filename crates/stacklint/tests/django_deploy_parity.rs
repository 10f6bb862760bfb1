//! Parity with Django's own deploy checklist: every settings fixture in
//! `tests/django_parity/<case>/settings.py` is checked by `python -m django check --deploy`
//! and by stacklint; the `security.W*` ids Django reports must be exactly those of
//! stacklint's DJS1NN findings (and DJS003 for W018), which name the id in their message.
//!
//! The Python comes from `STACKLINT_DJANGO_PYTHON` (CI makes a venv with `django==5.2.8`),
//! else `python3` when it can import Django; without Django the test is skipped loudly
//! (and fails when `STACKLINT_REQUIRE_ORACLES=1`).

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_workspace::{RunRequest, run};

/// Django ids stacklint does not model, ignored on both sides.
const NOT_MODELED: &[&str] = &[
    // SECURE_REFERRER_POLICY / SECURE_CROSS_ORIGIN_OPENER_POLICY values outside the allowed
    // set, and SECURE_CSP of the wrong type: errors about typos, not deployment choices.
    "security.E023",
    "security.E024",
    "security.E026",
];

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/django_parity")
}

/// The `security.*` ids in `check --deploy` output (`?: (security.W004) ...`), sorted.
fn security_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in text.lines() {
        let Some(start) = line.find("(security.") else { continue };
        let rest = &line[start + 1..];
        let Some(end) = rest.find(')') else { continue };
        ids.push(rest[..end].to_string());
    }
    ids.retain(|id| !NOT_MODELED.contains(&id.as_str()));
    ids.sort();
    ids
}

fn django_ids(python: &Path, case: &Path) -> Vec<String> {
    // A clean environment: the settings read their fallbacks, as stacklint assumes.
    let mut cmd = Command::new(python);
    cmd.args(["-m", "django", "check", "--deploy"]).env_clear().env("PYTHONPATH", case).env("DJANGO_SETTINGS_MODULE", "settings").env("PYTHONDONTWRITEBYTECODE", "1").current_dir(case);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let out = cmd.output().expect("runs python");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("System check identified"), "{}: django check did not run:\n{text}", case.display());
    security_ids(&text)
}

fn stacklint_ids(case: &Path) -> (Vec<String>, Vec<String>) {
    let outcome = run(&RunRequest { paths: vec![case.to_path_buf()], ..RunRequest::default() }).expect("stacklint runs");
    let mut ids = Vec::new();
    let mut lines = Vec::new();
    for d in &outcome.diagnostics {
        if !(d.code.starts_with("DJS1") || d.code == "DJS003") {
            continue;
        }
        lines.push(format!("{} {}: {}", d.code, d.file.display(), d.message));
        ids.extend(security_ids(&format!("({})", d.message.split("Django's `").nth(1).and_then(|s| s.split('`').next()).unwrap_or("?"))));
    }
    ids.sort();
    (ids, lines)
}

#[test]
fn deploy_checks_match_django() {
    let Some(python) = common::oracles::django_python() else { return };
    let version = Command::new(&python).args(["-c", "import django; print(django.get_version())"]).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir()).unwrap().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("settings.py").is_file()).collect();
    cases.sort();
    assert!(cases.len() >= 12, "only {} parity cases", cases.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let django = django_ids(&python, case);
        let (ours, lines) = stacklint_ids(case);
        for id in &django {
            *seen.entry(id.clone()).or_default() += 1;
        }
        println!("{name}: Django {version}: {django:?}");
        if django != ours {
            failures.push(format!("{name}:\n  Django:    {django:?}\n  stacklint: {ours:?}\n    {}", lines.join("\n    ")));
        }
    }
    println!("warnings seen across the cases: {seen:?}");
    // Every modelled warning must appear in at least one case (and, by the hardened case, be
    // absent in another).
    for id in ["W001", "W002", "W003", "W004", "W005", "W006", "W008", "W009", "W010", "W011", "W012", "W013", "W014", "W015", "W016", "W018", "W019", "W020", "W021", "W022", "W025"] {
        if !seen.contains_key(&format!("security.{id}")) {
            failures.push(format!("no case makes Django report security.{id}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
