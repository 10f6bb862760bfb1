//! A folder of projects is linted as those projects: `stacklint check parent` reports what
//! `stacklint check parent/a` and `stacklint check parent/b` report, no more, no less, even
//! when no configuration file marks where one project ends.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::Path;

use assert_cmd::Command;

/// The findings of `stacklint check <path> --output-format json` run in `cwd`, each as its
/// JSON text, sorted.
fn findings(cwd: &Path, path: &str) -> Vec<String> {
    run_json(cwd, &["check", path], "")
}

/// The findings of `stacklint <args> --output-format json` run in `cwd` with `stdin`.
fn run_json(cwd: &Path, args: &[&str], stdin: &str) -> Vec<String> {
    let out = Command::cargo_bin("stacklint").unwrap().args(args).args(["--output-format", "json"]).current_dir(cwd).write_stdin(stdin).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut texts: Vec<String> = list.iter().map(ToString::to_string).collect();
    texts.sort();
    texts
}

const SITE: &str = "upstream app {\n    server web:8000;\n}\nserver {\n    location / {\n        proxy_pass http://app;\n    }\n}\n";
const COMPOSE: &str = "services:\n  web:\n    build: ./app\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n";
const SYNC: &str = "FROM python:3.12-slim\nCMD [\"gunicorn\", \"app.wsgi\", \"--bind\", \"0.0.0.0:8000\", \"--workers\", \"9\"]\n";
const GTHREAD: &str = "FROM python:3.12-slim\nCMD [\"gunicorn\", \"app.wsgi\", \"--bind\", \"0.0.0.0:8000\", \"--workers\", \"9\", \"--worker-class\", \"gthread\"]\n";

/// The folders in a temporary folder, with these files; asserts that checking the parent
/// reports exactly what checking each folder does, and returns those findings.
fn parent_equals_union(files: &[(&str, &str)], folders: &[&str]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), files);
    let parent = findings(dir.path(), ".");
    let mut union: Vec<String> = folders.iter().flat_map(|f| findings(dir.path(), f)).collect();
    union.sort();
    assert_eq!(parent, union);
    parent.iter().map(|t| serde_json::from_str(t).unwrap()).collect()
}

/// Two sibling projects, each a compose file with nginx in front of gunicorn: `sync` runs
/// sync workers (its image, in `app/`, a folder with a marker of its own), so its missing
/// upstream keepalive is not reported (NGX003); `gthread` runs threaded workers, so it is.
/// Linted as one project, the sync site lost its exemption to the other's workers, each
/// site counted the other's locations and named the other's compose file, and each fix
/// edited the other project's file too.
#[test]
fn a_folder_of_projects_is_linted_project_by_project() {
    let found = parent_equals_union(
        &[
            ("sync/compose.yaml", COMPOSE),
            ("sync/app/Dockerfile", SYNC),
            ("sync/nginx/conf.d/app.conf", SITE),
            ("gthread/compose.yaml", COMPOSE),
            ("gthread/app/Dockerfile", GTHREAD),
            ("gthread/nginx/conf.d/app.conf", SITE),
        ],
        &["sync", "gthread"],
    );
    let ngx003: Vec<&serde_json::Value> = found.iter().filter(|v| v["code"] == "NGX003").collect();
    assert_eq!(ngx003.len(), 1, "{ngx003:#?}");
    assert_eq!(ngx003[0]["filename"], "gthread/nginx/conf.d/app.conf");
    let message = ngx003[0]["message"].as_str().unwrap();
    assert!(message.contains("1 of 1 proxying location(s)") && message.contains("(nginx 1.27 from compose.yaml;"), "{message}");
}

/// A folder without any marker is not a project: its files are linted apart from the
/// projects beside it.
#[test]
fn loose_files_beside_projects_stay_apart() {
    parent_equals_union(&[("gthread/compose.yaml", COMPOSE), ("gthread/app/Dockerfile", GTHREAD), ("gthread/nginx/conf.d/app.conf", SITE), ("loose/nginx/conf.d/app.conf", SITE)], &["gthread", "loose"]);
}

/// Without a configuration, a buffer (`--stdin-filename`) belongs to the project its file
/// has on disk: `sync/` (a compose project with sync workers), not the current folder
/// with the files lying there (a Procfile running threaded workers), whose workers took
/// the sync site's NGX003 exemption away.
#[test]
fn a_buffer_belongs_to_the_project_of_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("Procfile", "web: gunicorn app.wsgi --workers 9 --worker-class gthread\n"),
        ("sync/compose.yaml", COMPOSE),
        ("sync/app/Dockerfile", SYNC),
        ("sync/nginx/conf.d/app.conf", SITE),
    ];
    common::write_files(dir.path(), &files);
    let site = "sync/nginx/conf.d/app.conf";
    let buffer = run_json(dir.path(), &["check", "--stdin-filename", site], SITE);
    let on_disk: Vec<String> = findings(dir.path(), "sync").into_iter().filter(|f| f.contains(&format!("\"filename\":\"{site}\""))).collect();
    assert_eq!(buffer, on_disk);
    // The sync site keeps its exemption (its gzip finding, from the image's own
    // nginx.conf, is another matter).
    assert!(buffer.iter().all(|f| !f.contains("\"NGX003\"")), "{buffer:?}");
    assert!(buffer.iter().any(|f| f.contains("\"NGX001\"")), "{buffer:?}");
}
