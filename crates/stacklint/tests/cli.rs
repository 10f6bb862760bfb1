//! The binary end to end: exit codes, output formats, `--fix`/`--diff`, standard input, and
//! bad input (binary, invalid UTF-8, huge, unreadable, templated files).

use std::fs;
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn stacklint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("stacklint").unwrap().args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A small project: one syntax error (SYN001) and one stale suppression (SYN003, safe fix).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("stacklint.toml"), "select = [\"SYN\"]\n[target]\ncpus = 2\n").unwrap();
    fs::write(dir.path().join("gunicorn.conf.py"), "bind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]\n").unwrap();
    fs::write(dir.path().join("manage.py"), "import os\nx = (1 +\n").unwrap();
    dir
}

#[test]
fn exit_codes() {
    let dir = project();
    let (code, out, _) = stacklint(dir.path(), &["check", ".", "--output-format", "concise"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("manage.py:2:"), "{out}");
    assert!(out.contains("SYN003"), "{out}");
    let (code, _, _) = stacklint(dir.path(), &["check", ".", "--exit-zero"]);
    assert_eq!(code, 0);
    let (code, _, err) = stacklint(dir.path(), &["check", ".", "--select", "NOPE"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule selector `NOPE`"), "{err}");
    let clean = tempfile::tempdir().unwrap();
    fs::write(clean.path().join("gunicorn.conf.py"), "bind = \"0.0.0.0:8000\"\n").unwrap();
    let (code, out, _) = stacklint(clean.path(), &["check", ".", "--select", "SYN"]);
    assert_eq!((code, out.trim()), (0, "All checks passed!"));
}

#[test]
fn config_errors_name_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("stacklint.toml"), "select = [\"SYN\"]\nselct = []\n").unwrap();
    fs::write(dir.path().join("gunicorn.conf.py"), "workers = 3\n").unwrap();
    let (code, _, err) = stacklint(dir.path(), &["check", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown key `selct` in") && err.contains("stacklint.toml:2:1; did you mean `select`?"), "{err}");
    let (code, _, err) = stacklint(dir.path(), &["check", ".", "--target", "cpu=4", "--config", "/nonexistent/stacklint.toml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn every_output_format() {
    let dir = project();
    for format in ["full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit"] {
        let (code, out, err) = stacklint(dir.path(), &["check", ".", "--output-format", format]);
        assert_eq!(code, 1, "{format}: {err}");
        assert!(out.contains("SYN001"), "{format}: {out}");
        match format {
            "json" | "sarif" | "gitlab" => {
                serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{format}: {e}\n{out}"));
            }
            "json-lines" => {
                for line in out.lines() {
                    serde_json::from_str::<serde_json::Value>(line).unwrap();
                }
            }
            _ => {}
        }
    }
    let (_, out, _) = stacklint(dir.path(), &["check", ".", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &v[0];
    assert_eq!(first["filename"], "gunicorn.conf.py");
    assert_eq!(first["code"], "SYN003");
    assert_eq!(first["fix"]["applicability"], "safe");
    assert_eq!(first["fix"]["edits"][0]["filename"], "gunicorn.conf.py");
}

#[test]
fn full_output_snapshot() {
    let dir = project();
    let (_, out, _) = stacklint(dir.path(), &["check", "."]);
    insta::assert_snapshot!(out);
}

#[test]
fn diff_writes_nothing_and_fix_converges() {
    let dir = project();
    let conf = dir.path().join("gunicorn.conf.py");
    let before = fs::read_to_string(&conf).unwrap();
    let (code, out, err) = stacklint(dir.path(), &["check", ".", "--diff"]);
    assert_eq!(code, 1, "pending fixes exit 1: {err}");
    assert!(out.contains("--- a/gunicorn.conf.py") && out.contains("-bind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]"), "{out}");
    assert!(err.contains("Would fix 1 finding"), "{err}");
    assert_eq!(fs::read_to_string(&conf).unwrap(), before, "--diff wrote the file");

    let (code, _, err) = stacklint(dir.path(), &["check", ".", "--fix"]);
    assert_eq!(code, 1, "the syntax error remains: {err}");
    assert_eq!(fs::read_to_string(&conf).unwrap(), "bind = \"0.0.0.0:8000\"\n");
    let (_, out, _) = stacklint(dir.path(), &["check", ".", "--output-format", "concise"]);
    assert!(!out.contains("SYN003"), "fixed finding still reported: {out}");
    let (_, out, err) = stacklint(dir.path(), &["check", ".", "--diff"]);
    assert!(out.is_empty() && err.contains("No fixes available"), "second fix would change something: {out}");
}

/// A file that gets no fix (a template, parse errors) is named once, with the rules it kept
/// from fixing, not once per finding.
#[test]
fn files_without_fixes_are_named_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "{% if cookiecutter.slim %}\nFROM python:3.12-slim\n{% else %}\nFROM python:3.12\n{% endif %}\nCMD [\"gunicorn\", \"app.wsgi\"]\n").unwrap();
    fs::write(dir.path().join("gunicorn.conf.py"), "A = (1\nbind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]\n").unwrap();
    let (_, _, err) = stacklint(dir.path(), &["check", ".", "--fix"]);
    insta::assert_snapshot!(err);
}

/// `--diff` of a file whose lines end with a lone `\r` shows its lines; `--fix` writes the
/// file with its own line breaks.
#[test]
fn cr_only_files_diff_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("stacklint.toml"), "select = [\"SYN\"]\n").unwrap();
    let conf = dir.path().join("gunicorn.conf.py");
    fs::write(&conf, "workers = 2\rbind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]\rtimeout = 30\r").unwrap();
    let (code, out, err) = stacklint(dir.path(), &["check", ".", "--diff"]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(out);
    stacklint(dir.path(), &["check", ".", "--fix"]);
    assert_eq!(fs::read(&conf).unwrap(), b"workers = 2\rbind = \"0.0.0.0:8000\"\rtimeout = 30\r");
}

#[test]
fn stdin_filename() {
    let dir = project();
    let mut child = Command::cargo_bin("stacklint")
        .unwrap()
        .args(["check", "--stdin-filename", "manage.py", "--output-format", "concise"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"import os\nprint(os.getcwd()\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.lines().all(|l| l.starts_with("manage.py:") || l.starts_with("Found") || l.is_empty() || l.starts_with("No fixes")), "{text}");
    assert!(text.contains("manage.py:2:"), "the stdin text, not the file on disk: {text}");
}

#[test]
fn bad_input_is_reported_and_the_rest_is_linted() {
    let dir = project();
    fs::write(dir.path().join("settings.py"), b"DEBUG = True\n\xff\xfe\n").unwrap();
    fs::write(dir.path().join("Dockerfile"), b"FROM python\x00\x01\x02").unwrap();
    std::os::unix::fs::symlink(dir.path().join("missing.conf"), dir.path().join("nginx.conf")).unwrap();
    let big = "X = 1\n".repeat(9 * 1024 * 1024);
    fs::write(dir.path().join("huge_settings.py"), big).unwrap();
    fs::write(dir.path().join("templated_settings.py"), "{% if cookiecutter.use_sentry %}\nimport sentry_sdk\n{% endif %}\nDEBUG = {{ debug }}\n").unwrap();
    let (code, out, err) = stacklint(dir.path(), &["check", ".", "--output-format", "concise", "--ignore", "SYN003"]);
    assert_eq!(code, 2, "unreadable files exit 2\n{out}\n{err}");
    assert!(out.contains("settings.py:1:1: SYN004 [unreadable-file] Cannot read the file: invalid UTF-8 at line 2, column 1"), "{out}");
    assert!(out.contains("Dockerfile:1:1: SYN004 [unreadable-file] Cannot read the file: binary file"), "{out}");
    assert!(out.contains("huge_settings.py:1:1: SYN004 [unreadable-file] Cannot read the file: file is 54.0 MiB"), "{out}");
    assert!(out.contains("manage.py:2:"), "other files are still linted: {out}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn broken_pipe_is_quiet() {
    let dir = project();
    let bin = assert_cmd::cargo::cargo_bin("stacklint");
    let out = Command::new("sh").arg("-c").arg(format!("'{}' check . --output-format concise | head -c 1", bin.display())).current_dir(dir.path()).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rule_command() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = stacklint(dir.path(), &["rule", "parse-error"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# parse-error (SYN001)"), "{out}");
    let (code, out, _) = stacklint(dir.path(), &["rule", "--all"]);
    assert_eq!(code, 0);
    assert!(out.contains("| SYN003 |"), "{out}");
    let (code, _, err) = stacklint(dir.path(), &["rule", "parse-eror"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `parse-error`?"), "{err}");
}
