//! Fixes accepted by the real Redis: for every scenario, corpus and rule-fixture redis.conf
//! that `redis-server` accepts before, apply `--fix --unsafe-fixes` (RDS and SYN rules) to
//! a copy and check that `redis-server` still accepts it, and that a second fix pass
//! changes nothing.
//!
//! The check is `redis-server FILE --port 0 --unixsocket '' --daemonize no --logfile ''`
//! in a scratch folder: it exits at once, printing "Configured to not listen anywhere"
//! for a good file and `FATAL CONFIG FILE ERROR` for a bad one. A file that would listen
//! anyway (a `tls-port`) is stopped after a few seconds and skipped.
//!
//! Skipped loudly when `redis-server` is not installed (`apt-get install redis-server`),
//! failed when `STACKLINT_REQUIRE_ORACLES=1`.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stacklint_linter::FixMode;
use stacklint_workspace::{Overrides, RunRequest, run};

fn redis_server() -> Option<PathBuf> {
    let out = Command::new("redis-server").arg("--version").output().ok()?;
    out.status.success().then(|| PathBuf::from("redis-server"))
}

enum Verdict {
    Accepted,
    Rejected(String),
    /// It did not exit (it listens on something) or could not run.
    Unknown(String),
}

/// What `redis-server` says of a config file (run in a scratch folder, its `dir`).
fn check(file: &Path, scratch: &Path) -> Verdict {
    let child = Command::new("redis-server")
        .arg(file)
        .args(["--port", "0", "--unixsocket", "", "--daemonize", "no", "--logfile", ""])
        .current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Verdict::Unknown(e.to_string()),
    };
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < Duration::from_secs(5) => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Verdict::Unknown("did not exit within 5 s".into());
            }
        }
    }
    let mut text = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut text);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    if text.contains("FATAL CONFIG FILE ERROR") {
        Verdict::Rejected(text.lines().rev().take(3).collect::<Vec<_>>().join(" | "))
    } else if text.contains("Configured to not listen anywhere") {
        Verdict::Accepted
    } else {
        Verdict::Unknown(text.lines().last().unwrap_or_default().to_owned())
    }
}

/// (case name, config text) for every redis.conf the test knows.
fn cases() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let scenarios = common::require_dir(common::scenarios_dir(), "the scenarios").unwrap_or_default();
    for f in common::files_under(&scenarios) {
        if f.extension().is_some_and(|e| e == "conf") && f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("redis")) {
            out.push((format!("scenario {}", common::rel(&f, &scenarios).display()), std::fs::read(&f).unwrap()));
        }
    }
    if let Some(corpus) = common::require_dir(common::corpus_dir(), "the corpus") {
        for dir in ["redis", "peer-suites/redis"] {
            for f in common::files_under(&corpus.join(dir)) {
                if f.extension().is_some_and(|e| e == "conf") {
                    out.push((format!("corpus {}", common::rel(&f, &corpus).display()), std::fs::read(&f).unwrap()));
                }
            }
        }
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures");
    for f in common::files_under(&fixtures) {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with("redis") && f.extension().is_some_and(|e| e == "conf") {
            out.push((format!("fixture {}", common::rel(&f, &fixtures).display()), std::fs::read(&f).unwrap()));
        }
    }
    out
}

fn fix(dir: &Path) -> stacklint_workspace::RunOutcome {
    let overrides = Overrides { select: Some(vec!["RDS".to_string(), "SYN".to_string()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix: Some(FixMode::Unsafe), ..RunRequest::default() }).expect("stacklint runs")
}

#[test]
fn fixes_keep_redis_configs_valid() {
    if redis_server().is_none() {
        assert!(!common::oracles_required(), "redis-server not installed and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: redis-server not installed (apt-get install redis-server)");
        return;
    }
    let cases = cases();
    assert!(!cases.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let (mut skipped, mut checked, mut fixes_applied) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for (i, (name, text)) in cases.iter().enumerate() {
        let work = tmp.path().join(format!("p{i}"));
        let scratch = tmp.path().join(format!("s{i}"));
        std::fs::create_dir_all(&scratch).unwrap();
        common::write_files(&work, &[(PathBuf::from("redis/redis.conf"), text.clone())]);
        let conf = work.join("redis/redis.conf");
        match check(&conf, &scratch) {
            Verdict::Accepted => {}
            Verdict::Rejected(_) | Verdict::Unknown(_) => {
                skipped += 1;
                continue;
            }
        }
        checked += 1;
        // A file the server accepts has no line our checks say it refuses.
        let stacklint_project::Parsed::Redis(parsed) = stacklint_project::parse(stacklint_project::FileKind::Redis, &String::from_utf8_lossy(text)) else { panic!("redis.conf parses as Redis") };
        for d in parsed.tree.directives() {
            if stacklint_project::redis::directive(&d.name.value).is_none() {
                failures.push(format!("{name}: redis-server accepts `{}`, which the table does not know", d.name.value));
            }
            if let Some(p) = stacklint_project::redis::check_value(d).filter(|p| p.refused) {
                failures.push(format!("{name}: redis-server accepts what we say it refuses: {}", p.message));
            }
        }
        let outcome = fix(&work);
        fixes_applied += outcome.fixes_applied;
        let broke: Vec<_> = outcome.dropped.iter().filter(|d| d.cause == stacklint_linter::DropCause::NewParseError).map(|d| &d.reason).collect();
        if !broke.is_empty() {
            failures.push(format!("{name}: fixes dropped: {broke:?}"));
        }
        match check(&conf, &scratch) {
            Verdict::Accepted => {}
            Verdict::Rejected(m) | Verdict::Unknown(m) => {
                let diff: String = outcome.fixed.iter().map(|f| f.diff(&work)).collect();
                failures.push(format!("{name}: redis-server refuses the fixed file: {m}\n{diff}"));
            }
        }
        let again = fix(&work);
        if !again.fixed.is_empty() {
            failures.push(format!("{name}: a second fix pass changed {:?}", again.fixed.iter().map(|f| f.diff(&work)).collect::<Vec<_>>()));
        }
    }
    println!("redis-server: {checked} configs accepted before fixing ({skipped} refused or listening, skipped); {fixes_applied} fixes applied, all accepted after; {} failures", failures.len());
    assert!(checked > 0, "no redis.conf was accepted before fixing: is the check right?");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The parser and the value checks agree with the real server on which lines it refuses.
#[test]
fn refused_lines_match_redis() {
    if redis_server().is_none() {
        assert!(!common::oracles_required(), "redis-server not installed and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: redis-server not installed (apt-get install redis-server)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lines = [
        "requirepass \"abc\"",
        "requirepass \"abc",
        "requirepass \"abc\"def",
        "requirepass 'it\\'s'",
        "requirepass 'abc'x",
        "requirepass \"a\\x41\\n\"",
        "requirepass a\"b c\"",
        "save \"\"",
        "rename-command CONFIG \"\"",
        "   maxmemory   1gb   ",
        "maxmemory 1gb # comment",
        // Arity, as the table read it off the server.
        "replicaof 127.0.0.1 6380",
        "replicaof no",
        "latency-tracking-info-percentiles 50 99 99.9",
        "bind",
        "save",
        "requirepass",
        "proc-title-template {title} {listen-addr}",
        "client-output-buffer-limit normal 0 0",
        "client-output-buffer-limit normal 0 0 0 pubsub 32mb 8mb 60",
        "maxmemory-policy ALLKEYS-LRU",
        "maxmemory 99999999999gb",
    ];
    let mut failures = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let file = tmp.path().join(format!("q{i}.conf"));
        std::fs::write(&file, format!("{line}\n")).unwrap();
        let stacklint_project::Parsed::Redis(ours) = stacklint_project::parse(stacklint_project::FileKind::Redis, line) else { panic!("redis.conf parses as Redis") };
        let parse_ok = ours.errors.is_empty();
        let redis_ok = matches!(check(&file, tmp.path()), Verdict::Accepted);
        // A line our parser splits may still be refused for its value (RDS006's job); a
        // value Redis accepts but misreads (an overflowing size) is a finding, not a refusal.
        let value_ok = ours.tree.directives().all(|d| stacklint_project::redis::check_value(d).is_none_or(|p| !p.refused));
        if parse_ok && value_ok != redis_ok || !parse_ok && redis_ok {
            failures.push(format!("`{line}`: parser ok {parse_ok}, value ok {value_ok}, redis-server accepts {redis_ok}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Redis's own, newer redis.conf (every directive documented upstream): with the deployed
/// version unknown, nothing in it is called unknown or invalid.
#[test]
fn newer_upstream_config_is_clean() {
    let Some(corpus) = common::require_dir(common::corpus_dir(), "the corpus") else { return };
    let Ok(text) = std::fs::read(corpus.join("peer-suites/redis/redis.conf")) else {
        assert!(!common::oracles_required(), "peer-suites/redis/redis.conf missing and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: peer-suites/redis/redis.conf not in the corpus");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    common::write_files(tmp.path(), &[(PathBuf::from("redis/redis.conf"), text)]);
    let overrides = Overrides { select: Some(vec!["RDS006".to_string(), "SYN".to_string()]), ..Overrides::default() };
    let outcome = run(&RunRequest { paths: vec![tmp.path().to_path_buf()], overrides, ..RunRequest::default() }).expect("stacklint runs");
    let found: Vec<String> = outcome.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    assert!(found.is_empty(), "{found:#?}");
}
