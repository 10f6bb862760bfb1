//! Look-alikes: files that resemble the formats stacklint parses (INI, `key = value`,
//! brace blocks, templates) but are something else. Each gets its right kind or none: no
//! parse error, no finding from the parser of another format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lookalikes")
}

fn stacklint(args: &[&str]) -> String {
    let out = Command::cargo_bin("stacklint").unwrap().args(args).current_dir(folder()).env("NO_COLOR", "1").output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file of the folder and the kind it must get (`None`: not linted).
const EXPECTED: &[(&str, Option<&str>)] = &[
    ("apache/conf/httpd.conf", None),
    ("apache/sites-available/shop.conf", None),
    ("app/settings.py.example", None),
    ("config/config.py.production.example", None),
    ("deploy/logrotate.d/shop", None),
    ("deploy/supervisor/conf.d/worker.conf", Some("supervisord")),
    ("deploy/systemd/shop-worker.service", Some("systemd")),
    ("docker/Dockerfile.j2", Some("dockerfile")),
    ("docker/php/conf.d/zz-docker.conf", None),
    ("haproxy/haproxy.cfg", None),
    ("mysql/conf.d/tuning.cnf", None),
    ("mysql/my.cnf", None),
    ("pgbouncer/pgbouncer.ini", None),
    ("php/pool.d/www.conf", None),
    ("postgres/conf.d/10-tuning.conf", Some("postgres")),
    ("redis/conf.d/limits.conf", Some("redis")),
    ("redis/redis.conf", Some("redis")),
    ("templates/nginx.conf.j2", None),
    ("uwsgi/shop.ini", None),
];

fn files_on_disk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            files_on_disk(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

#[test]
fn every_lookalike_gets_its_own_kind_or_none() {
    let mut on_disk = Vec::new();
    files_on_disk(&folder(), "", &mut on_disk);
    on_disk.sort();
    let expected_files: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    assert_eq!(on_disk, expected_files, "every file of the folder is listed in EXPECTED");

    let listed = stacklint(&["check", "--show-files", "."]);
    let kinds: BTreeMap<String, String> = listed
        .lines()
        .filter_map(|l| {
            let (path, kind) = l.rsplit_once(" (")?;
            Some((path.trim_start_matches("./").to_owned(), kind.trim_end_matches(')').to_owned()))
        })
        .collect();
    for (file, want) in EXPECTED {
        assert_eq!(kinds.get(*file).map(String::as_str), *want, "{file}: kind\n{listed}");
    }
}

#[test]
fn no_parse_error_and_no_finding() {
    let out = stacklint(&["check", ".", "--output-format", "json"]);
    let findings: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let summary: Vec<String> = findings.iter().map(|f| format!("{} {} {}", f["filename"].as_str().unwrap_or(""), f["code"].as_str().unwrap_or(""), f["message"].as_str().unwrap_or(""))).collect();
    assert!(!summary.iter().any(|s| s.contains(" SYN001 ")), "parse errors: {summary:#?}");
    insta::assert_snapshot!(summary.join("\n"), @"");
}
