//! Fixes accepted by PostgreSQL: for every postgresql.conf of the scenarios, the corpus
//! and the PGS/SYN002 rule fixtures that the real server accepts
//! (`postgres -D SCRATCH --config-file=FILE -C shared_buffers` after `initdb` of a scratch
//! data directory, as a non-root user), apply `--fix --unsafe-fixes` to a copy, check the
//! server still accepts it, and that a second `--fix` changes nothing. Before and after
//! fixing, the values the model reads for the sizing settings must be those `postgres -C`
//! prints, and a syntax error postgres reports must be one the parser reports. The ragstack
//! scenario's file is refused before (`checkpoint_segments`, removed in 9.5) and must be
//! accepted after the unsafe fixes.
//!
//! The server: `STACKLINT_POSTGRES`, else the newest `/usr/lib/postgresql/*/bin/postgres`,
//! else `postgres` on the PATH. Skipped loudly when absent, unless `STACKLINT_REQUIRE_ORACLES=1`.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_linter::FixMode;
use stacklint_workspace::{Overrides, RunRequest, run};

fn postgres_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("STACKLINT_POSTGRES") {
        return Some(PathBuf::from(p));
    }
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql").into_iter().flatten().filter_map(Result::ok).map(|e| e.path().join("bin/postgres")).filter(|p| p.is_file()).collect();
    installed.sort_by_key(|p| p.parent().and_then(Path::parent).and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0));
    installed.pop().or_else(|| Command::new("postgres").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| PathBuf::from("postgres")))
}

/// A command run as a non-root user: postgres refuses to run as root.
fn as_user(program: &Path) -> Command {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let user = if Command::new("id").arg("postgres").output().is_ok_and(|o| o.status.success()) { "postgres" } else { "nobody" };
        let mut c = Command::new("runuser");
        c.args(["-u", user, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Readable by the non-root user that runs postgres.
fn open_up(dir: &Path) {
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777));
    for f in common::files_under(dir) {
        let _ = std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644));
        let mut d = f.parent();
        while let Some(p) = d.filter(|p| p.starts_with(dir)) {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
            d = p.parent();
        }
    }
}

struct Server {
    bin: PathBuf,
    data: PathBuf,
}

impl Server {
    fn init(bin: PathBuf, scratch: &Path) -> Server {
        let data = scratch.join("data");
        std::fs::create_dir_all(scratch).unwrap();
        std::fs::set_permissions(scratch, std::fs::Permissions::from_mode(0o777)).unwrap();
        let initdb = bin.with_file_name("initdb");
        let out = as_user(&initdb).arg("-D").arg(&data).args(["-A", "trust", "--no-sync"]).output().expect("initdb runs");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        Server { bin, data }
    }

    /// `Err(message)` when postgres refuses the configuration.
    fn check(&self, conf: &Path) -> Result<(), String> {
        self.show(conf, "shared_buffers").map(|_| ())
    }

    /// `postgres -C name`: the value in effect, in the setting's base unit (`16384` for
    /// 128MB of 8kB pages).
    fn show(&self, conf: &Path, name: &str) -> Result<String, String> {
        let out = as_user(&self.bin).arg("-D").arg(&self.data).arg(format!("--config-file={}", conf.display())).args(["-C", name]).output().map_err(|e| e.to_string())?;
        if out.status.success() { Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()) } else { Err(String::from_utf8_lossy(&out.stderr).lines().take(3).collect::<Vec<_>>().join(" | ")) }
    }
}

struct Case {
    name: String,
    /// A project folder whose `postgres/postgresql.conf` (or `main`) is the file postgres reads.
    files: Vec<(PathBuf, Vec<u8>)>,
    main: PathBuf,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let scenarios_dir = common::require_dir(common::scenarios_dir(), "the scenarios");
    let mut scenarios: Vec<PathBuf> = scenarios_dir.iter().filter_map(|d| std::fs::read_dir(d).ok()).flatten().filter_map(Result::ok).map(|e| e.path()).collect();
    scenarios.sort();
    for dir in scenarios {
        let conf = dir.join("postgres/postgresql.conf");
        if let Ok(text) = std::fs::read(&conf) {
            out.push(Case { name: format!("scenario {}", dir.file_name().unwrap().to_string_lossy()), files: vec![(PathBuf::from("postgres/postgresql.conf"), text)], main: PathBuf::from("postgres/postgresql.conf") });
        }
    }
    let corpus = common::require_dir(common::corpus_dir(), "the corpus");
    for (corpus, sub) in corpus.iter().flat_map(|c| ["postgres", "peer-suites/postgres"].map(|sub| (c, sub))) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join(sub)).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "conf" || x == "sample")).collect();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read(&f) else { continue };
            out.push(Case { name: format!("corpus {sub}/{}", f.file_name().unwrap().to_string_lossy()), files: vec![(PathBuf::from("postgres/postgresql.conf"), text)], main: PathBuf::from("postgres/postgresql.conf") });
        }
    }
    // The rule fixtures with a postgresql.conf: whole folders, includes and all.
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("PGS") || e.file_name() == "SYN002")
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().filter_map(Result::ok).map(|c| c.path()))
        .filter(|d| d.join("postgres/postgresql.conf").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let files = common::files_under(&dir).into_iter().filter(|f| f.file_name().is_some_and(|n| n != "stacklint.toml")).filter_map(|f| Some((common::rel(&f, &dir), std::fs::read(&f).ok()?))).collect();
        out.push(Case { name: format!("fixture {}", common::rel(&dir, &fixtures).display()), files, main: PathBuf::from("postgres/postgresql.conf") });
    }
    out
}

/// Settings whose value in effect the model must read as postgres does (units, rounding,
/// includes, later lines winning).
const COMPARED: &[&str] = &["shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_connections", "log_min_duration_statement", "random_page_cost", "effective_io_concurrency"];

fn values_agree(server: &Server, work: &Path, case: &Case, conf: &Path, failures: &mut Vec<String>, compared: &mut usize) {
    // The files as they are in `work` now (before or after fixing).
    let texts: Vec<(String, String)> = common::files_under(work).into_iter().filter(|f| f.extension().is_some_and(|e| e == "conf")).filter_map(|f| Some((common::rel(&f, work).display().to_string(), std::fs::read_to_string(&f).ok()?))).collect();
    let sources: Vec<(&str, &str)> = texts.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let project = stacklint_project::Project::from_sources(stacklint_project::ProjectOptions::default(), &sources);
    let servers = stacklint_project::postgres::servers(&project);
    let Some(model) = servers.iter().find(|s| s.main.as_deref() == Some(case.main.as_path())) else {
        failures.push(format!("{}: the model has no server reading {}", case.name, case.main.display()));
        return;
    };
    // postgres reads `postgresql.auto.conf` from its data directory (here the scratch one),
    // the model from beside the configuration (where a data directory's copy sits).
    if work.join(&case.main).with_file_name("postgresql.auto.conf").is_file() {
        return;
    }
    for name in COMPARED {
        let Ok(shown) = server.show(conf, name) else { continue };
        let ours = model.value(name).and_then(|v| v.number());
        let theirs: Option<f64> = shown.parse().ok();
        *compared += 1;
        if ours.zip(theirs).is_none_or(|(a, b)| (a - b).abs() > 1e-9) {
            failures.push(format!("{}: `{name}` is {shown} for postgres, {ours:?} for the model", case.name));
        }
    }
}

/// `syntax error in file "FILE" line N` in postgres's log.
fn syntax_error_at(message: &str) -> Option<(PathBuf, usize)> {
    let rest = message.split("syntax error in file \"").nth(1)?;
    let (file, rest) = rest.split_once('"')?;
    let line = rest.trim_start().strip_prefix("line ")?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some((PathBuf::from(file), line))
}

fn fix(dir: &Path) -> stacklint_workspace::RunOutcome {
    let overrides = Overrides { select: Some(vec!["PGS".to_string(), "SYN".to_string()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix: Some(FixMode::Unsafe), ..RunRequest::default() }).expect("stacklint runs")
}

#[test]
fn fixes_keep_postgres_configs_valid() {
    let Some(bin) = postgres_binary() else {
        assert!(!common::oracles_required(), "postgres not installed and STACKLINT_REQUIRE_ORACLES=1");
        eprintln!("SKIPPED: postgres not installed (apt-get install postgresql)");
        return;
    };
    let cases = cases();
    assert!(!cases.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server::init(bin, &tmp.path().join("pg"));
    let (mut rejected_before, mut checked, mut fixes_applied, mut repaired, mut values_compared) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let work = tmp.path().join(format!("p{i}"));
        common::write_files(&work, &case.files);
        open_up(&work);
        let conf = work.join(&case.main);
        let before = server.check(&conf);
        // What postgres reads without a syntax error, the parser reads without one too, and
        // the model reads the values postgres has in effect.
        if before.is_ok() {
            values_agree(&server, &work, case, &conf, &mut failures, &mut values_compared);
            for (path, text) in &case.files {
                let parsed = stacklint_syntax::postgres::parse(&String::from_utf8_lossy(text));
                if path.extension().is_some_and(|e| e == "conf") && !parsed.errors.is_empty() {
                    failures.push(format!("{} {}: postgres accepts it, the parser reports {:?}", case.name, path.display(), parsed.errors));
                }
            }
        } else if let Err(message) = &before
            && let Some((file, line)) = syntax_error_at(message)
        {
            // A syntax error postgres reports, the parser reports on the same line.
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let parsed = stacklint_syntax::postgres::parse(&text);
            let lines: Vec<usize> = parsed.errors.iter().map(|e| text.get(..e.range.start()).map_or(0, |t| t.matches('\n').count()) + 1).collect();
            if !lines.contains(&line) {
                failures.push(format!("{}: postgres reports a syntax error on line {line}, the parser on lines {lines:?}", case.name));
            }
        }
        let outcome = fix(&work);
        fixes_applied += outcome.fixes_applied;
        open_up(&work);
        let after = server.check(&conf);
        match (&before, &after) {
            (Ok(()), Err(message)) => {
                let diff: String = outcome.fixed.iter().map(|f| f.diff(&work)).collect();
                failures.push(format!("{}: postgres refuses the fixed config: {message}\n{diff}", case.name));
            }
            (Err(_), Ok(())) => repaired += 1,
            _ => {}
        }
        // The fixed values read as postgres reads them.
        if after.is_ok() {
            values_agree(&server, &work, case, &conf, &mut failures, &mut values_compared);
        }
        if before.is_err() {
            rejected_before += 1;
            // The scenario's only error is `checkpoint_segments`: PGS007's unsafe fix repairs it.
            if case.name == "scenario ragstack"
                && let Err(message) = &after
            {
                failures.push(format!("{}: still refused after --unsafe-fixes: {message}", case.name));
            }
        } else {
            checked += 1;
        }
        let again = fix(&work);
        if !again.fixed.is_empty() {
            failures.push(format!("{}: a second fix pass changed {:?}", case.name, again.fixed.iter().map(|f| f.diff(&work)).collect::<Vec<_>>()));
        }
    }
    println!("postgres -C: {checked} configs accepted before fixing, all accepted after ({rejected_before} refused before, {repaired} of them accepted after); {values_compared} values compared with the model; {fixes_applied} fixes applied; {} failures", failures.len());
    assert!(checked > 0, "no configuration was accepted before fixing: is the scratch cluster usable?");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
