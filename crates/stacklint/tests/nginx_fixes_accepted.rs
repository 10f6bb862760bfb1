//! Fixes accepted by nginx: for the scenario nginx configs and every corpus config that
//! `nginx -t` accepts before, apply every safe fix and check that `nginx -t` still accepts
//! the result, and that a second fix pass changes nothing.
//!
//! nginx is checked on a copy made for it: upstream hostnames become `127.0.0.1` (nginx
//! resolves them at startup), `user` and `pid` lines are blanked (the check runs with its
//! own pid file and user). The same rewrite is applied before and after fixing. Site files
//! (a `server` at the top) are linted and checked inside a small main config that
//! includes them from `conf.d/`. The project declares nginx 1.24, so the version-aware
//! rules (NGX003, NGX009) fix as much as they can.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::oracles::{self, NginxJob, Verdict};
use stacklint_linter::FixMode;
use stacklint_workspace::{Overrides, RunRequest, run};

/// `nginx -t` on `dir/nginx/nginx.conf` and the nginx files beside it: `Err(message)` when
/// it refuses.
fn nginx_t(dir: &Path) -> Result<(), String> {
    let files = common::files_under(&dir.join("nginx")).into_iter().filter_map(|f| Some((common::rel(&f, dir), std::fs::read_to_string(&f).ok()?))).collect();
    let job = NginxJob { id: String::new(), files, main: Some(PathBuf::from("nginx/nginx.conf")) };
    match oracles::nginx_t(&[job]).into_values().next() {
        Some(Verdict::Rejected(message)) => Err(message),
        _ => Ok(()),
    }
}

struct Case {
    name: String,
    /// Files of the project, relative to its root.
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn site_case(name: String, text: Vec<u8>) -> Case {
    let main = b"events {}\nhttp {\n    include /etc/nginx/mime.types;\n    include conf.d/*.conf;\n}\n".to_vec();
    Case { name, files: vec![(PathBuf::from("nginx/nginx.conf"), main), (PathBuf::from("nginx/conf.d/site.conf"), text)] }
}

fn cases(corpus: Option<&Path>) -> Vec<Case> {
    let mut out = Vec::new();
    let scenarios = common::require_dir(common::scenarios_dir(), "the scenarios");
    for scenario in scenarios.iter().flat_map(|dir| ["wingman", "ragstack"].map(|name| dir.join(name))) {
        let path = scenario.join("nginx/nginx.conf");
        let scenario = scenario.file_name().unwrap().to_string_lossy();
        if let Ok(text) = std::fs::read(&path) {
            out.push(Case { name: format!("scenario {scenario}"), files: vec![(PathBuf::from("nginx/nginx.conf"), text)] });
        }
    }
    // In the repository, so a clone standing alone checks something: the examples' and the
    // NGX rule fixtures' nginx folders, includes and all.
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for top in ["examples", "rules/fixtures"] {
        let mut mains: Vec<PathBuf> = common::files_under(&repo.join(top)).into_iter().filter(|f| f.ends_with("nginx/nginx.conf")).collect();
        mains.sort();
        for main in mains {
            let dir = main.parent().unwrap();
            let files = common::files_under(dir).into_iter().filter_map(|f| Some((Path::new("nginx").join(f.strip_prefix(dir).ok()?), std::fs::read(&f).ok()?))).collect();
            out.push(Case { name: format!("repo {}", common::rel(dir, &repo).display()), files });
        }
    }
    let Some(corpus) = corpus else { return out };
    let mut flat: Vec<PathBuf> = std::fs::read_dir(corpus.join("nginx")).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).collect();
    flat.sort();
    for path in flat {
        let Ok(text) = std::fs::read(&path) else { continue };
        let name = format!("corpus nginx/{}", path.file_name().unwrap().to_string_lossy());
        let s = String::from_utf8_lossy(&text);
        let main = s.lines().map(str::trim_start).any(|l| l.starts_with("events") || l.starts_with("http ") || l.starts_with("http{"));
        if main {
            out.push(Case { name, files: vec![(PathBuf::from("nginx/nginx.conf"), text)] });
        } else {
            out.push(site_case(name, text));
        }
    }
    // crossplane's cases are folders with a main nginx.conf and its includes.
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus.join("peer-suites/crossplane/configs")).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("nginx.conf").is_file()).collect();
    dirs.sort();
    for dir in dirs {
        let files = common::files_under(&dir).into_iter().filter_map(|f| Some((Path::new("nginx").join(f.strip_prefix(&dir).ok()?), std::fs::read(&f).ok()?))).collect();
        out.push(Case { name: format!("corpus crossplane/{}", dir.file_name().unwrap().to_string_lossy()), files });
    }
    out
}

fn fix(dir: &Path) -> stacklint_workspace::RunOutcome {
    let overrides = Overrides { select: Some(vec!["NGX".to_string(), "SYN".to_string()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix: Some(FixMode::Safe), ..RunRequest::default() }).expect("stacklint runs")
}

#[test]
fn safe_fixes_keep_nginx_configs_valid() {
    if oracles::nginx_binary().is_none() {
        assert!(!common::oracles_required(), "nginx not installed and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: nginx not installed");
        return;
    }
    let corpus = common::require_dir(common::corpus_dir(), "the corpus");
    let cases = cases(corpus.as_deref());
    assert!(!cases.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let (mut rejected_before, mut checked, mut fixed_files, mut fixes_applied) = (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let work = tmp.path().join(format!("p{i}"));
        common::write_files(&work, &case.files);
        std::fs::write(work.join("stacklint.toml"), "[versions]\nnginx = \"1.24\"\n").unwrap();
        if nginx_t(&work).is_err() {
            rejected_before += 1;
            continue;
        }
        checked += 1;
        let outcome = fix(&work);
        fixed_files += outcome.fixed.len();
        fixes_applied += outcome.fixes_applied;
        let broke: Vec<_> = outcome.dropped.iter().filter(|d| d.cause == stacklint_linter::DropCause::NewParseError).map(|d| &d.reason).collect();
        if !broke.is_empty() {
            failures.push(format!("{}: fixes dropped: {broke:?}", case.name));
        }
        if let Err(message) = nginx_t(&work) {
            let diff: String = outcome.fixed.iter().map(|f| f.diff(&work)).collect();
            failures.push(format!("{}: nginx -t rejects the fixed config: {message}\n{diff}", case.name));
        }
        let again = fix(&work);
        if !again.fixed.is_empty() {
            failures.push(format!("{}: a second fix pass changed {:?}", case.name, again.fixed.iter().map(|f| f.diff(&work)).collect::<Vec<_>>()));
        }
    }
    println!("nginx -t: {checked} configs accepted before fixing ({rejected_before} rejected before, skipped); {fixes_applied} safe fixes applied in {fixed_files} files, all accepted after; {} failures", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
