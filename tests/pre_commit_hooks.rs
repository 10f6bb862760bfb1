//! `.pre-commit-hooks.yaml`: pre-commit accepts it, and its `files:` regex (read as
//! pre-commit reads it: YAML, then Python's `re`) matches every file that
//! `stacklint check --show-files` lists in a project of every kind, and none of the files
//! stacklint does not read. The hooks themselves run end to end in `tests/pre-commit/run.sh`
//! (a release build; `.ci/run` runs it, and so does `tests/scripts.rs` when asked).
//!
//! The oracles: `pre-commit` (`STACKLINT_PRE_COMMIT`, else on the `PATH`) and a Python with
//! PyYAML (`STACKLINT_PYTHON`); without them the tests print `SKIPPED:`, and fail under
//! `STACKLINT_REQUIRE_ORACLES=1`.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn hooks_file() -> PathBuf {
    common::repo_root().join(".pre-commit-hooks.yaml")
}


/// A project with a file of every kind stacklint reads, and a few it does not.
const SAMPLE: &[(&str, &str)] = &[
    ("Dockerfile", "FROM python:3.12-slim\nCOPY docker/entrypoint.sh /entrypoint.sh\nCOPY deploy/nginx/mime.types /etc/nginx/mime.types\nCMD [\"gunicorn\", \"-c\", \"deploy/gunicorn.conf.py\", \"app.wsgi\"]\n"),
    ("Dockerfile.worker", "FROM python:3.12-slim\nCMD [\"celery\", \"-A\", \"app\", \"worker\"]\n"),
    ("web.dockerfile", "FROM nginx:1.27\n"),
    ("docker-compose.yml", "services:\n  web:\n    build: .\n  redis:\n    image: redis:7\n    volumes:\n      - ./deploy/redis.conf:/usr/local/etc/redis/redis.conf\n"),
    ("docker-compose.override.yml", "services:\n  web:\n    environment:\n      DEBUG: \"0\"\n"),
    ("compose.prod.yaml", "services:\n  db:\n    image: postgres:16\n"),
    ("Procfile", "web: gunicorn app.wsgi -w 3\n"),
    ("docker/entrypoint.sh", "#!/bin/sh\nexec gunicorn app.wsgi\n"),
    ("deploy/gunicorn.conf.py", "workers = 3\n"),
    ("app/settings/production.py", "DEBUG = False\n"),
    ("app/models.py", "from django.db import models\n"),
    ("deploy/nginx/nginx.conf", "worker_processes 2;\nevents {}\nhttp { server { listen 80; } }\n"),
    ("deploy/nginx/conf.d/app.conf", "server {\n  listen 80;\n  location / { proxy_pass http://web:8000; }\n}\n"),
    ("deploy/nginx/sites-available/example", "server {\n  listen 80;\n}\n"),
    ("deploy/nginx/mime.types", "types {\n  text/html html;\n}\n"),
    ("deploy/redis.conf", "maxmemory 256mb\nappendonly no\n"),
    ("deploy/postgresql.conf", "shared_buffers = 128MB\nwork_mem = 4MB\n"),
    ("deploy/tuning.pg.conf", "shared_buffers = 1GB\nmax_connections = 200\n"),
    ("deploy/supervisor/web.ini", "[program:web]\ncommand=gunicorn app.wsgi\n"),
    ("deploy/supervisord.conf", "[supervisord]\n[program:worker]\ncommand=celery -A app worker\n"),
    ("deploy/systemd/web.service", "[Unit]\nDescription=web\n[Service]\nExecStart=/usr/bin/gunicorn app.wsgi\n"),
    ("requirements/base.txt", "django==5.2\n"),
    ("requirements.txt", "gunicorn\n"),
    ("pyproject.toml", "[project]\nname = \"app\"\n"),
    ("stacklint.toml", "[target]\ncpus = 4\n"),
    // Not read by stacklint: a commit of these alone must not run the hook.
    ("README.md", "# app\n"),
    ("notes.txt", "notes\n"),
    ("package.json", "{}\n"),
    ("deploy/values.yaml", "x: 1\n"),
];

const CHECK_REGEX: &str = r#"
import json, re, sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
listed, others = json.loads(sys.argv[2]), json.loads(sys.argv[3])
bad = []
for hook in hooks:
    files = re.compile(hook["files"])
    bad += [f"{hook['id']}: {f} is read by stacklint but not matched" for f in listed if not files.search(f)]
    bad += [f"{hook['id']}: {f} is not read by stacklint but matched" for f in others if files.search(f)]
print("\n".join(bad))
"#;

#[test]
fn files_regex_matches_every_file_stacklint_reads() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_files(tmp.path(), SAMPLE);
    let out = Command::new(common::stacklint_bin()).args(["check", ".", "--show-files"]).current_dir(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // `path (kind)` per line.
    let listed: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().filter_map(|l| l.rsplit_once(" (")).map(|(path, _)| path.to_owned()).collect();
    assert!(listed.len() >= 20, "stacklint lists too few of the sample's files: {listed:?}");
    let others: Vec<&str> = SAMPLE.iter().map(|(path, _)| *path).filter(|p| !listed.iter().any(|l| l == p) && *p != "stacklint.toml").collect();
    assert!(others.len() >= 4, "the sample's unread files are read: {others:?}");

    let python = common::oracles::python();
    let run = Command::new(&python)
        .args(["-c", CHECK_REGEX])
        .arg(hooks_file())
        .arg(serde_json::to_string(&listed).unwrap())
        .arg(serde_json::to_string(&others).unwrap())
        .output();
    match run {
        Ok(out) if out.status.success() => {
            let problems = String::from_utf8_lossy(&out.stdout);
            assert!(problems.trim().is_empty(), ".pre-commit-hooks.yaml `files:`:\n{problems}");
        }
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named 'yaml'") => {
            common::oracles::skip(&format!("`{python}` has no PyYAML (pip install pyyaml, or set STACKLINT_PYTHON)"));
        }
        Ok(out) => panic!("{python}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => common::oracles::skip(&format!("`{python}` does not run ({e}); set STACKLINT_PYTHON")),
    }
}

#[test]
fn pre_commit_accepts_the_manifest() {
    let pre_commit = std::env::var_os("STACKLINT_PRE_COMMIT").map_or_else(|| PathBuf::from("pre-commit"), PathBuf::from);
    let Ok(out) = Command::new(&pre_commit).arg("validate-manifest").arg(hooks_file()).output() else {
        common::oracles::skip(&format!("`{}` not found (pip install pre-commit, or set STACKLINT_PRE_COMMIT)", pre_commit.display()));
        return;
    };
    assert!(out.status.success(), "pre-commit validate-manifest:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
