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

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_linter::FixMode;
use stacklint_project::{Project, ProjectOptions};
use stacklint_workspace::{Overrides, RunRequest, run};

fn nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.is_file())
}

/// `nginx -t` on `dir/nginx/nginx.conf`: `Err(message)` when it refuses.
fn nginx_t(nginx: &Path, dir: &Path) -> Result<(), String> {
    let prefix = dir.join("nginx");
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(format!("{}/", prefix.display()))
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-g")
        .arg(format!("pid {}/nginx.pid;", dir.display()))
        .output()
        .expect("nginx runs");
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_string()) }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// A copy of `project` for nginx: hostnames of `proxy_pass` and upstream `server`s become
/// 127.0.0.1, `user`/`pid` lines are blanked. Done with stacklint's own parser.
fn checkable_copy(project: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for file in files_under(project) {
        let rel = file.strip_prefix(project).unwrap();
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let Ok(text) = std::fs::read_to_string(&file) else {
            std::fs::copy(&file, &target).unwrap();
            continue;
        };
        std::fs::write(target, rewrite(&text)).unwrap();
    }
}

fn rewrite(text: &str) -> String {
    let project = Project::from_sources(ProjectOptions::default(), &[("nginx/x.conf", text)]);
    let Some(config) = project.files.first().and_then(|f| f.nginx()) else { return text.to_string() };
    let upstreams: Vec<String> = config.find_all("upstream").filter_map(|d| d.arg(0).map(str::to_string)).collect();
    // (start, end, replacement), applied from the end.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for d in config.walk() {
        let in_upstream = d.parent().is_some_and(|p| p.is("upstream"));
        if d.is("user") || d.is("pid") {
            edits.push((d.range.start(), d.range.end(), String::new()));
        } else if d.is("proxy_pass") || (d.is("server") && in_upstream) {
            let Some(arg) = d.args.first() else { continue };
            if arg.has_variable() {
                continue;
            }
            let value = arg.value.as_str();
            let (scheme, rest) = match value.split_once("://") {
                Some((s, r)) => (format!("{s}://"), r),
                None if in_upstream => (String::new(), value),
                None => continue,
            };
            let hostport = rest.split('/').next().unwrap_or(rest);
            let path = &rest[hostport.len()..];
            let (host, port) = match hostport.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, format!(":{p}")),
                _ => (hostport, String::new()),
            };
            if host.starts_with("unix") || upstreams.iter().any(|u| u == host) {
                continue;
            }
            edits.push((arg.range.start(), arg.range.end(), format!("{scheme}127.0.0.1{port}{path}")));
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, r) in edits {
        out.replace_range(s..e, &r);
    }
    out
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
    for scenario in ["wingman", "ragstack"] {
        let path = common::shared_dir().join("scenarios").join(scenario).join("nginx/nginx.conf");
        if let Ok(text) = std::fs::read(&path) {
            out.push(Case { name: format!("scenario {scenario}"), files: vec![(PathBuf::from("nginx/nginx.conf"), text)] });
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
        let files = files_under(&dir).into_iter().filter_map(|f| Some((Path::new("nginx").join(f.strip_prefix(&dir).ok()?), std::fs::read(&f).ok()?))).collect();
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
    let Some(nginx) = nginx() else {
        assert!(!common::oracles_required(), "nginx not installed and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: nginx not installed");
        return;
    };
    let corpus = common::require_dir(common::corpus_dir(), "the corpus");
    let cases = cases(corpus.as_deref());
    assert!(!cases.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let (mut rejected_before, mut checked, mut fixed_files, mut fixes_applied) = (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let work = tmp.path().join(format!("p{i}"));
        for (rel, bytes) in &case.files {
            let target = work.join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, bytes).unwrap();
        }
        std::fs::write(work.join("stacklint.toml"), "[versions]\nnginx = \"1.24\"\n").unwrap();
        let check = tmp.path().join(format!("c{i}"));
        checkable_copy(&work, &check);
        if nginx_t(&nginx, &check).is_err() {
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
        checkable_copy(&work, &check);
        if let Err(message) = nginx_t(&nginx, &check) {
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
