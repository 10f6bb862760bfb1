//! The binary end to end, on what makes a linter trusted (issue 6): fixed files are written
//! where they belong and only when unchanged; standard input lints the buffer alone; exit
//! codes and messages are honest about selectors, configurations, folders and special files.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;

/// Run the binary in `dir` with `stdin` piped in; a run that takes over 60 s is killed and
/// fails the test (a FIFO read would hang forever).
fn run_with(dir: &Path, args: &[&str], stdin: &[u8], setup: impl FnOnce(&mut Command)) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("stacklint").unwrap();
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    setup(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    // Read the output while waiting (a full pipe would block the child).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        panic!("stacklint {args:?} hung");
    };
    let out = out.unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn stacklint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run_with(dir, args, b"", |_| {})
}

fn stacklint_stdin(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    run_with(dir, args, stdin.as_bytes(), |_| {})
}

/// The text of a stale suppression, which SYN003 fixes (safely) by removing the comment.
const STALE: &str = "bind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]\n";
const CLEAN: &str = "bind = \"0.0.0.0:8000\"\n";

/// Messages with the temporary folder's path replaced, for snapshots.
fn redact(text: &str, dir: &Path) -> String {
    let canonical = fs::canonicalize(dir).unwrap();
    text.replace(&*canonical.to_string_lossy(), "[TMP]").replace(&*dir.to_string_lossy(), "[TMP]")
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo").arg(path).status().is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------------------
// 2. Writing files

#[test]
fn fix_writes_through_a_symlink_inside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n"), ("deploy/gunicorn.conf.py", STALE)]);
    std::os::unix::fs::symlink("deploy/gunicorn.conf.py", dir.path().join("gunicorn.conf.py")).unwrap();
    let (code, _, err) = stacklint(dir.path(), &["check", "gunicorn.conf.py", "--fix"]);
    assert_eq!(code, 0, "{err}");
    let link = dir.path().join("gunicorn.conf.py");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced by a file");
    assert_eq!(fs::read_to_string(dir.path().join("deploy/gunicorn.conf.py")).unwrap(), CLEAN);
    assert!(err.contains("Fixed 1 finding in 1 file."), "{err}");
}

#[test]
fn a_symlink_leading_outside_the_project_is_neither_read_nor_written() {
    let outside = tempfile::tempdir().unwrap();
    common::write_files(outside.path(), &[("gunicorn.conf.py", STALE)]);
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n"), ("manage.py", "import os\n")]);
    std::os::unix::fs::symlink(outside.path().join("gunicorn.conf.py"), dir.path().join("gunicorn.conf.py")).unwrap();
    for args in [&["check", ".", "--output-format", "concise"][..], &["check", ".", "--fix"], &["check", "gunicorn.conf.py", "--fix"]] {
        let (code, out, err) = stacklint(dir.path(), args);
        assert_eq!(code, 0, "{args:?}: a skipped link is a warning\n{out}{err}");
        assert!(!out.contains("SYN003"), "{args:?}: the outside file was read: {out}");
        assert!(err.contains("stacklint: warning: ") && err.contains("gunicorn.conf.py: symbolic link to ") && err.contains("outside the project"), "{args:?}: {err}");
        assert!(!err.contains("Fixed"), "{args:?}: {err}");
        assert_eq!(fs::read_to_string(outside.path().join("gunicorn.conf.py")).unwrap(), STALE);
    }
}

/// A file named through `..` (a sibling project, no link on the way) is linted, not taken
/// for a link leading outside the project.
#[test]
fn a_file_named_through_dot_dot_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("here/manage.py", "import os\n"), ("there/gunicorn.conf.py", STALE)]);
    // No configuration: the project is the current folder, `here/`, which `there/` is not under.
    let (code, _, err) = stacklint(&dir.path().join("here"), &["check", "../there/gunicorn.conf.py", "--select", "SYN", "--fix"]);
    assert!(!err.contains("outside the project"), "{err}");
    assert_eq!((code, err.as_str()), (0, "Fixed 1 finding in 1 file.\n"));
    assert_eq!(fs::read_to_string(dir.path().join("there/gunicorn.conf.py")).unwrap(), CLEAN);
}

/// `--config` kept in another folder does not make the linted files "outside the project".
#[test]
fn fix_with_a_config_kept_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("ci/lint.toml", "select = [\"SYN\"]\n"), ("deploy/gunicorn.conf.py", STALE)]);
    std::os::unix::fs::symlink("deploy/gunicorn.conf.py", dir.path().join("gunicorn.conf.py")).unwrap();
    let (code, _, err) = stacklint(dir.path(), &["check", "gunicorn.conf.py", "--config", "ci/lint.toml", "--fix"]);
    assert_eq!((code, err.as_str()), (0, "Fixed 1 finding in 1 file.\n"));
    assert_eq!(fs::read_to_string(dir.path().join("deploy/gunicorn.conf.py")).unwrap(), CLEAN);
}

#[test]
fn hard_links_keep_sharing_the_fixed_text() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n"), ("gunicorn.conf.py", STALE)]);
    fs::hard_link(dir.path().join("gunicorn.conf.py"), dir.path().join("gunicorn.conf.py.orig")).unwrap();
    let (code, _, err) = stacklint(dir.path(), &["check", ".", "--fix"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(dir.path().join("gunicorn.conf.py.orig")).unwrap(), CLEAN, "the other link kept the old text");
    assert_eq!(fs::metadata(dir.path().join("gunicorn.conf.py")).unwrap().nlink(), 2);
}

#[test]
fn ownership_is_kept_when_running_as_root() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n"), ("gunicorn.conf.py", STALE)]);
    let conf = dir.path().join("gunicorn.conf.py");
    if std::os::unix::fs::chown(&conf, Some(65534), Some(65534)).is_err() {
        eprintln!("SKIPPED: not root, cannot give the file another owner");
        return;
    }
    let (code, _, err) = stacklint(dir.path(), &["check", ".", "--fix"]);
    assert_eq!(code, 0, "{err}");
    let meta = fs::metadata(&conf).unwrap();
    assert_eq!(fs::read_to_string(&conf).unwrap(), CLEAN);
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "the fixed file changed owner");
}

// ---------------------------------------------------------------------------------------
// 5. Standard input

/// A project whose Dockerfile has fixes too (the old `--fix` printed it instead of the buffer).
fn stdin_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\", \"DKR\"]\n"), ("Dockerfile", "FROM python:3.12\nCMD gunicorn app.wsgi\n"), ("gunicorn.conf.py", STALE)]);
    dir
}

#[test]
fn stdin_fix_prints_exactly_the_fixed_buffer() {
    let dir = stdin_project();
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "settings.py", "--fix"], "DEBUG = False  # stacklint: ignore[SYN001]\n");
    assert_eq!(out, "DEBUG = False\n", "{err}");
    assert_eq!(code, 0, "{err}");
    // Nothing to fix: the buffer as given, byte for byte.
    let (_, out, _) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "settings.py", "--fix"], "DEBUG = False\r\n");
    assert_eq!(out, "DEBUG = False\r\n");
    // The siblings are untouched on disk.
    assert_eq!(fs::read_to_string(dir.path().join("Dockerfile")).unwrap(), "FROM python:3.12\nCMD gunicorn app.wsgi\n");
    assert_eq!(fs::read_to_string(dir.path().join("gunicorn.conf.py")).unwrap(), STALE);
}

#[test]
fn stdin_reports_only_the_buffer() {
    let dir = stdin_project();
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "settings.py", "--output-format", "concise"], "DEBUG = False\n");
    assert_eq!((code, out.trim()), (0, "All checks passed!"), "{err}");
    let (_, out, _) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "settings.py", "--show-files"], "DEBUG = False\n");
    assert_eq!(out, "settings.py (python)\n");
}

#[test]
fn stdin_ignores_an_unrelated_bad_config_and_walks_no_tree() {
    let dir = stdin_project();
    // A broken configuration in a folder that does not govern the buffer, and a FIFO deep
    // in the tree: a walk of the tree would stop on the first or report the second.
    common::write_files(dir.path(), &[("unrelated/stacklint.toml", "selct = [\n"), ("unrelated/deep/Dockerfile", "FROM python\n")]);
    assert!(mkfifo(&dir.path().join("unrelated/deep/nginx.conf")));
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "app/gunicorn.conf.py", "--output-format", "concise"], STALE);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("app/gunicorn.conf.py:1:"), "{out}");
    assert!(out.contains("SYN003"), "{out}");
    assert!(err.is_empty(), "{err}");
    // The configuration that governs the buffer does matter.
    common::write_files(dir.path(), &[("app/stacklint.toml", "select = [\"GUN999\"]\n")]);
    let (code, _, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "app/gunicorn.conf.py"], STALE);
    assert_eq!(code, 2);
    assert!(err.contains("app/stacklint.toml:1:11: unknown rule selector `GUN999`; did you mean `GUN009`?"), "{err}");
}

/// The buffer is linted in its project: the compose file above its folder sets the CPUs
/// its service has, through the Dockerfile that runs it.
#[test]
fn stdin_sees_its_project_context() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(
        dir.path(),
        &[
            ("compose.yaml", "services:\n  web:\n    build: ./app\n    deploy:\n      resources:\n        limits:\n          cpus: \"2\"\n"),
            ("app/Dockerfile", "FROM python:3.12\nCMD [\"gunicorn\", \"-c\", \"gunicorn.conf.py\", \"app.wsgi\"]\n"),
            ("app/gunicorn.conf.py", "workers = 9\n"),
        ],
    );
    let buffer = "workers = 1\nmax_requests = 1000\nmax_requests_jitter = 50\n";
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "app/gunicorn.conf.py", "--select", "GUN001", "--output-format", "concise"], buffer);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("on 2 CPUs (from the compose limits of service `web`)"), "{out}");
    assert!(out.lines().filter(|l| l.contains("GUN001")).all(|l| l.starts_with("app/gunicorn.conf.py:1:")), "{out}");
}

/// `--fix` on standard input writes nothing but the buffer: the gunicorn process the
/// buffer (a Dockerfile) runs reads a config file without `max_requests`, and the finding
/// and its fix are in that file, which is reported with the command line as related and
/// never written.
#[test]
fn stdin_fix_never_writes_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"gunicorn\", \"-c\", \"/app/gunicorn.conf.py\", \"config.wsgi\"]\n";
    common::write_files(dir.path(), &[("Dockerfile", dockerfile), ("gunicorn.conf.py", "workers = 9\n")]);
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "Dockerfile", "--select", "GUN002", "--fix"], dockerfile);
    assert_eq!((code, out.as_str()), (0, dockerfile), "{err}");
    assert_eq!(fs::read_to_string(dir.path().join("gunicorn.conf.py")).unwrap(), "workers = 9\n");
    // Linted as a project, the finding is in the config file, where the fix goes.
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "gunicorn.conf.py", "--select", "GUN002", "--output-format", "concise"], "workers = 9\n");
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("gunicorn.conf.py:1:1: GUN002"), "{out}");
}

#[test]
fn stdin_path_in_a_missing_folder_lints_the_buffer_alone() {
    let dir = stdin_project();
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "not/yet/created/gunicorn.conf.py", "--output-format", "concise"], STALE);
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("not/yet/created/gunicorn.conf.py:1:") && out.contains("SYN003"), "{out}");
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "not/yet/gunicorn.conf.py", "--fix"], STALE);
    assert_eq!((code, out.as_str()), (0, CLEAN), "{err}");
}

#[test]
fn stdin_has_the_file_size_limit() {
    let dir = stdin_project();
    let big = "X = 1\n".repeat(3 * 1024 * 1024);
    let (code, out, err) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "settings.py", "--output-format", "concise"], &big);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("settings.py:1:1: SYN004 [unreadable-file] Cannot read the file: file is 18.0 MiB; stacklint does not lint files over 16 MiB"), "{out}");
    let (code, out, _) = stacklint_stdin(dir.path(), &["check", "--stdin-filename", "settings.py", "--fix"], &big);
    assert_eq!(code, 2);
    assert!(out == big, "--fix must give the buffer back unchanged");
    // And the same decoding: the reason, with its place.
    let (code, out, err) = run_with(dir.path(), &["check", "--stdin-filename", "settings.py"], b"DEBUG = 1\nX = '\xff'\n", |_| {});
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err, "stacklint: error: cannot read standard input (settings.py): invalid UTF-8 at line 2, column 6 (byte offset 15)\n");
}

// ---------------------------------------------------------------------------------------
// 6. Honest exits

#[test]
fn unknown_selectors_are_errors_with_a_suggestion() {
    let dir = stdin_project();
    let mut shown = Vec::new();
    for args in [&["--select", "GUN999"][..], &["--ignore", "ORM9"], &["--extend-select", "NGX9"], &["--select", "SYN,missing-max-request"]] {
        let mut all = vec!["check", "."];
        all.extend_from_slice(args);
        let (code, out, err) = stacklint(dir.path(), &all);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.is_empty(), "{args:?}: {out}");
        shown.push(format!("{}\n{err}", args.join(" ")));
    }
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n\n[per-file-ignores]\n\"settings/*.py\" = [\"DJS\", \"DJS999\"]\n")]);
    let (code, _, err) = stacklint(dir.path(), &["check", "."]);
    assert_eq!(code, 2);
    shown.push(format!("per-file-ignores\n{}", redact(&err, dir.path())));
    insta::assert_snapshot!(shown.join("\n"));
}

#[test]
fn a_bad_config_governs_only_its_subtree() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n"), ("gunicorn.conf.py", STALE), ("sub/stacklint.toml", "select = [\"SYN\"]\n[target]\ncpus = \"many\"\n"), ("sub/gunicorn.conf.py", STALE), ("sub/deeper/gunicorn.conf.py", STALE)]);
    let (code, out, err) = stacklint(dir.path(), &["check", ".", "--output-format", "concise"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.starts_with("gunicorn.conf.py:1:") && out.contains("SYN003"), "the rest is still linted: {out}");
    assert!(!out.contains("sub/"), "{out}");
    insta::assert_snapshot!(err);
}

/// A folder that cannot be listed. As root (where permissions do not stop a read) the binary
/// runs as `nobody`.
#[test]
fn an_unreadable_folder_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("gunicorn.conf.py", CLEAN), ("locked/gunicorn.conf.py", CLEAN)]);
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(dir.path().join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let root = fs::metadata(dir.path()).is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    let (code, out, err) = run_with(dir.path(), &["check", ".", "--select", "SYN"], b"", |cmd| {
        if root {
            cmd.uid(65534).gid(65534).env("HOME", "/nonexistent");
        }
    });
    fs::set_permissions(dir.path().join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    if root && err.contains("Permission denied") && !err.contains("locked") {
        eprintln!("SKIPPED: the binary is not reachable as nobody: {err}");
        return;
    }
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("All checks passed!"), "{out}");
    assert_eq!(err, "stacklint: error: locked: cannot read this folder: permission denied; its files were not linted\n");
}

#[test]
fn fifos_are_reported_never_hung_on() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("stacklint.toml", "select = [\"SYN\"]\n"), ("gunicorn.conf.py", CLEAN)]);
    assert!(mkfifo(&dir.path().join("nginx.conf")));
    // Named: reported, an error.
    let (code, out, err) = stacklint(dir.path(), &["check", "nginx.conf", "gunicorn.conf.py"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("stacklint: error: nginx.conf: a FIFO (named pipe), not a regular file; skipped"), "{err}");
    // In the tree: reported, skipped, the run is otherwise complete.
    let (code, out, err) = stacklint(dir.path(), &["check", "."]);
    assert_eq!((code, out.trim()), (0, "All checks passed!"), "{err}");
    assert!(err.contains("stacklint: warning: ") && err.contains("nginx.conf: a FIFO (named pipe), not a regular file; skipped"), "{err}");
    // A device named on the command line is not read either.
    let (code, _, err) = stacklint(dir.path(), &["check", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/dev/zero: a character device, not a regular file; skipped"), "{err}");
}
