//! The fix property test: every safe fix, on variants of the rule fixtures and the corpus.
//!
//! Each rule fixture (`rules/fixtures/CODE/CASE/`) and each corpus file (read in place from
//! `$STACKLINT_CORPUS`, placed in a small project) is varied deterministically (see
//! `fixprop/variants.rs`): line endings (CRLF, CR-only, mixed), comments between lines,
//! Dockerfile exec/shell form and continuations, quoting, compose anchors and `<<` merges,
//! Jinja and envsubst markers, a line that does not parse. Then `--fix` runs through the
//! library (`stacklint_workspace::run`, diff mode) and these properties must hold:
//!
//! - **untouched**: a file that does not parse, or is a (Jinja) template, gets no fix;
//! - **parse**: no fixed file has more parse errors (SYN001) than before;
//! - **eol**: a file with one kind of line ending keeps only that kind, and lines the fix
//!   left alone keep theirs (CRLF, CR-only, mixed);
//! - **shape**: the same Dockerfile instructions in order, nginx directives and blocks, and
//!   Python top-level names, except what the applied rules document adding;
//! - **exec-json**: every Dockerfile exec form the fix wrote is a JSON array of strings;
//! - **oracle**: the real program still accepts a file it accepted before (`nginx -t`,
//!   `py_compile`, a PyYAML load with the same services and keys, `bash -n`);
//! - **one-at-a-time**: fixing one rule per run until nothing is left gives the same texts
//!   as one `--fix` run;
//! - **idempotent**: a second `--fix` changes nothing.
//!
//! Any broken property fails the test (the failures are also written to
//! `target/tmp/fix-properties-report.txt`); `STACKLINT_FIX_PROPERTIES=report` only prints
//! them, for exploring a change, and then only a panic fails it. Other knobs: `STACKLINT_FIX_PROPERTIES_SEED` (default 6),
//! `STACKLINT_FIX_PROPERTIES_VARIANTS` (variants per case besides the original, default 3;
//! `all`), `STACKLINT_FIX_PROPERTIES_CASE` (only cases whose name contains it),
//! `STACKLINT_FIX_PROPERTIES_TRANSFORMS` (comma-separated transform names),
//! `STACKLINT_FIX_PROPERTIES_THREADS` (workers, default 2).

#[path = "../../../tests/common/mod.rs"]
mod common;
mod fixprop;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::oracles::{self, NginxJob, Verdict};
use fixprop::structure;
use fixprop::variants::{self, File, Transform, Variant};
use stacklint_diagnostics::{Applicability, unified_diff};
use stacklint_linter::FixMode;
use stacklint_project::FileKind;
use stacklint_workspace::{Overrides, RunOutcome, RunRequest, run};

/// One-at-a-time runs before giving up (a rule that keeps fixing does not converge).
const MAX_STEPS: usize = 25;

struct Case {
    name: String,
    files: Vec<(PathBuf, String)>,
}

struct Settings {
    strict: bool,
    seed: u64,
    per_case: Option<usize>,
    case_filter: Option<String>,
    transforms: Option<Vec<Transform>>,
    threads: usize,
}

impl Settings {
    fn from_env() -> Settings {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let per_case = match var("STACKLINT_FIX_PROPERTIES_VARIANTS").as_deref() {
            Some("all") => None,
            Some(n) => Some(n.parse().expect("STACKLINT_FIX_PROPERTIES_VARIANTS: a number or `all`")),
            None => Some(3),
        };
        let transforms = var("STACKLINT_FIX_PROPERTIES_TRANSFORMS").map(|v| {
            v.split(',').map(|t| Transform::by_name(t.trim()).unwrap_or_else(|| panic!("unknown transform `{t}`; one of {:?}", Transform::ALL.iter().map(|t| t.name()).collect::<Vec<_>>()))).collect()
        });
        Settings {
            strict: var("STACKLINT_FIX_PROPERTIES").as_deref() != Some("report"),
            seed: var("STACKLINT_FIX_PROPERTIES_SEED").map_or(6, |s| s.parse().expect("STACKLINT_FIX_PROPERTIES_SEED: a number")),
            per_case,
            case_filter: var("STACKLINT_FIX_PROPERTIES_CASE"),
            transforms,
            threads: var("STACKLINT_FIX_PROPERTIES_THREADS").map_or(2, |s| s.parse().expect("STACKLINT_FIX_PROPERTIES_THREADS: a number")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// cases

fn fixture_cases() -> Vec<Case> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures");
    let mut out = Vec::new();
    for code in std::fs::read_dir(&root).into_iter().flatten().filter_map(Result::ok) {
        for case in std::fs::read_dir(code.path()).into_iter().flatten().filter_map(Result::ok) {
            if !case.path().is_dir() || case.file_name() == "snapshots" {
                continue;
            }
            let files = common::files_under(&case.path())
                .into_iter()
                .filter_map(|f| Some((f.strip_prefix(case.path()).ok()?.to_path_buf(), std::fs::read_to_string(&f).ok()?)))
                .collect();
            out.push(Case { name: format!("fixture {}/{}", code.file_name().to_string_lossy(), case.file_name().to_string_lossy()), files });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Each corpus file in a small project that runs it, at the path stacklint expects.
fn corpus_cases(corpus: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let listing = |kind: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(corpus.join(kind)).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
        v.sort();
        v
    };
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let name = |kind: &str, p: &Path| format!("corpus {kind}/{}", p.file_name().unwrap_or_default().to_string_lossy());
    let requirements = "Django==5.2.8\ngunicorn==23.0.0\n".to_owned();
    for p in listing("dockerfile") {
        let Some(text) = read(&p) else { continue };
        out.push(Case { name: name("dockerfile", &p), files: vec![(PathBuf::from("Dockerfile"), text), (PathBuf::from("requirements.txt"), requirements.clone())] });
    }
    for p in listing("nginx") {
        let Some(text) = read(&p) else { continue };
        let at = if oracles::is_main_nginx(&text) { "nginx/nginx.conf" } else { "nginx/conf.d/site.conf" };
        out.push(Case { name: name("nginx", &p), files: vec![(PathBuf::from(at), text)] });
    }
    let wsgi = "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n\napplication = get_wsgi_application()\n";
    for p in listing("django") {
        let Some(text) = read(&p) else { continue };
        out.push(Case {
            name: name("django", &p),
            files: vec![(PathBuf::from("proj/settings.py"), text), (PathBuf::from("proj/wsgi.py"), wsgi.to_owned()), (PathBuf::from("requirements.txt"), requirements.clone())],
        });
    }
    for p in listing("gunicorn") {
        let Some(text) = read(&p) else { continue };
        let files = if p.extension().is_some_and(|e| e == "py") {
            vec![(PathBuf::from("gunicorn.conf.py"), text), (PathBuf::from("Dockerfile"), "FROM python:3.12-slim\nCMD [\"gunicorn\", \"-c\", \"gunicorn.conf.py\", \"app.wsgi\"]\n".to_owned())]
        } else {
            vec![
                (PathBuf::from("entrypoint.sh"), format!("#!/bin/sh\n{text}")),
                (PathBuf::from("Dockerfile"), "FROM python:3.12-slim\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n".to_owned()),
            ]
        };
        out.push(Case { name: name("gunicorn", &p), files });
    }
    for p in listing("compose") {
        let Some(text) = read(&p) else { continue };
        out.push(Case { name: name("compose", &p), files: vec![(PathBuf::from("docker-compose.yml"), text), (PathBuf::from("requirements.txt"), requirements.clone())] });
    }
    out
}

// ---------------------------------------------------------------------------------------
// running stacklint

fn run_dir(dir: &Path, select: Option<&str>, fix: bool, diff: bool) -> RunOutcome {
    let overrides = Overrides { select: select.map(|c| vec![c.to_owned()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix: fix.then_some(FixMode::Safe), diff, ..RunRequest::default() }).expect("stacklint runs")
}

/// `dir` emptied and holding only `files`.
fn fresh_files(dir: &Path, files: &[(PathBuf, String)]) {
    let _ = std::fs::remove_dir_all(dir);
    common::write_files(dir, files);
}

/// The texts a run would write, by path relative to `dir`.
fn fixed_texts(outcome: &RunOutcome, dir: &Path) -> BTreeMap<PathBuf, String> {
    outcome.fixed.iter().map(|f| (common::rel(&f.path, dir), f.new.clone())).collect()
}

/// Safe-fixable findings: code → the files their edits touch.
fn safe_fixes(outcome: &RunOutcome, dir: &Path) -> BTreeMap<String, BTreeSet<PathBuf>> {
    let mut out: BTreeMap<String, BTreeSet<PathBuf>> = BTreeMap::new();
    for d in &outcome.diagnostics {
        if let Some(fix) = d.fix.as_ref().filter(|f| f.applicability == Applicability::Safe) {
            out.entry(d.code.to_owned()).or_default().extend(fix.edits.iter().map(|e| common::rel(&e.file, dir)));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// failures

#[derive(Clone, Debug)]
struct Failure {
    property: &'static str,
    case: String,
    variant: String,
    transform: Transform,
    file: String,
    detail: String,
    diff: String,
    /// Which rules break it: `GUN001 alone`, `only together: …`, a one-at-a-time sequence.
    rules: String,
}

/// Line endings made visible, so a diff shows what changed in them.
fn visible(text: &str) -> String {
    text.replace("\r\n", "␍\n").replace('\r', "␍(CR)\n")
}

fn diff(path: &str, old: &str, new: &str) -> String {
    let d = unified_diff(path, &visible(old), &visible(new));
    let clip = |l: &str| if l.chars().count() > 240 { format!("{}… ({} more characters)", l.chars().take(240).collect::<String>(), l.chars().count() - 240) } else { l.to_owned() };
    let lines: Vec<String> = d.lines().map(clip).collect();
    if lines.len() > 80 { format!("{}\n… ({} more diff lines)\n", lines[..80].join("\n"), lines.len() - 80) } else { lines.join("\n") + "\n" }
}

/// `A → B ×24`: a sequence of codes with repeats counted.
fn runs(codes: &[String]) -> String {
    let mut out: Vec<(String, usize)> = Vec::new();
    for c in codes {
        match out.last_mut() {
            Some((last, n)) if last == c => *n += 1,
            _ => out.push((c.clone(), 1)),
        }
    }
    out.iter().map(|(c, n)| if *n > 1 { format!("{c} ×{n}") } else { c.clone() }).collect::<Vec<_>>().join(" → ")
}

/// One variant as processed: what the deferred oracle checks and attribution need.
struct Record {
    case: String,
    label: String,
    transform: Transform,
    files: Vec<(PathBuf, String)>,
    kinds: BTreeMap<PathBuf, FileKind>,
    codes: BTreeMap<String, BTreeSet<PathBuf>>,
    fixed: BTreeMap<PathBuf, String>,
}

impl Record {
    fn before(&self, path: &Path) -> &str {
        self.files.iter().find(|(p, _)| p == path).map_or("", |(_, t)| t.as_str())
    }
    fn failure(&self, property: &'static str, file: &Path, detail: String, diff_text: String, rules: String) -> Failure {
        Failure { property, case: self.case.clone(), variant: self.label.clone(), transform: self.transform, file: variants::show(file), detail, diff: diff_text, rules }
    }
}

/// Fix with one rule at a time, to name the rules behind a broken property: the result of
/// each safe-fixing rule alone (on the variant's original texts, written to `dir`).
fn isolated(dir: &Path, record: &Record) -> BTreeMap<String, BTreeMap<PathBuf, String>> {
    fresh_files(dir, &record.files);
    record.codes.keys().map(|code| (code.clone(), fixed_texts(&run_dir(dir, Some(code), true, true), dir))).collect()
}

/// "CODE alone" for each rule that breaks `check` by itself, else "only together: …".
fn attribute(record: &Record, alone: &BTreeMap<String, BTreeMap<PathBuf, String>>, file: &Path, check: &dyn Fn(&str) -> bool) -> String {
    let breaking: Vec<&str> = alone.iter().filter(|(_, texts)| texts.get(file).is_some_and(|t| check(t))).map(|(c, _)| c.as_str()).collect();
    if breaking.is_empty() {
        format!("only together: {}", record.codes.keys().cloned().collect::<Vec<_>>().join("+"))
    } else {
        breaking.iter().map(|c| format!("{c} alone")).collect::<Vec<_>>().join(", ")
    }
}

// ---------------------------------------------------------------------------------------
// the in-process properties of one variant

/// Deferred oracle checks: (record, file, before id, after id, kind).
struct OracleCheck {
    record: usize,
    file: PathBuf,
    kind: &'static str,
}

#[derive(Default)]
struct Run {
    records: Vec<Record>,
    failures: Vec<Failure>,
    checks: Vec<OracleCheck>,
    dropped: Vec<String>,
    variants: usize,
    with_fixes: usize,
    fixes_applied: usize,
    by_transform: BTreeMap<&'static str, usize>,
    /// Per program: (accepted before the fix, so checked after; rejected before; skipped).
    oracle_stats: BTreeMap<&'static str, (usize, usize, usize)>,
    /// Seconds spent on the variants, and on the real programs.
    times: (f64, f64),
}

impl Run {
    /// Add a worker's results (its oracle checks point at its records: shift them).
    fn merge(&mut self, other: Run) {
        let offset = self.records.len();
        self.records.extend(other.records);
        self.checks.extend(other.checks.into_iter().map(|c| OracleCheck { record: c.record + offset, ..c }));
        self.failures.extend(other.failures);
        self.dropped.extend(other.dropped);
        self.variants += other.variants;
        self.with_fixes += other.with_fixes;
        self.fixes_applied += other.fixes_applied;
        for (k, v) in other.by_transform {
            *self.by_transform.entry(k).or_default() += v;
        }
    }
}

fn in_process_checks(kind: FileKind, before: &str, after: &str, codes: &[&str], untouched: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let errors_before = structure::parse_errors(kind, before);
    if let Some(why) = untouched {
        out.push(("untouched", format!("fixed although {why}")));
    } else if !errors_before.is_empty() {
        out.push(("untouched", format!("fixed although it does not parse before fixing ({})", errors_before[0])));
    } else if variants::is_jinja(before) {
        out.push(("untouched", "fixed although it is a template (Jinja markers)".to_owned()));
    }
    let errors_after = structure::parse_errors(kind, after);
    if errors_after.len() > errors_before.len() {
        let new: Vec<&String> = errors_after.iter().filter(|e| !errors_before.contains(e)).collect();
        out.push(("parse", format!("{} → {} parse errors: {new:?}", errors_before.len(), errors_after.len())));
    }
    if let Some(problem) = eol_problems(before, after) {
        out.push(("eol", problem));
    }
    if let Some(problem) = structure::compare(&structure::shape(kind, before), &structure::shape(kind, after), codes) {
        out.push(("shape", problem));
    }
    if kind == FileKind::Dockerfile {
        let bad_before = structure::bad_exec_arrays(before);
        let new: Vec<String> = structure::bad_exec_arrays(after).into_iter().filter(|b| !bad_before.contains(b)).collect();
        if !new.is_empty() {
            out.push(("exec-json", format!("exec form that is not JSON (Docker runs it with `/bin/sh -c`): {}", new.join("; "))));
        }
    }
    out
}

fn eol_name(eol: &str) -> &'static str {
    match eol {
        "\r\n" => "CRLF",
        "\r" => "CR",
        _ => "LF",
    }
}

/// Line endings: a file with one kind of line ending keeps only that kind (added lines
/// take it), and a line the fix left alone keeps its own (judged on lines whose text is
/// unique in the file before and after and that follow the same line in both: a line a fix
/// moved, as DJS009 moves `GZipMiddleware`, is an added line and takes its new neighbour's).
fn eol_problems(before: &str, after: &str) -> Option<String> {
    let (b, a) = (variants::split_lines(before), variants::split_lines(after));
    let kinds = |lines: &[(&str, &str)]| lines.iter().map(|(_, e)| *e).filter(|e| !e.is_empty()).map(eol_name).collect::<BTreeSet<_>>();
    let (kb, ka) = (kinds(&b), kinds(&a));
    let mut problems = Vec::new();
    if kb.len() == 1 && ka != kb {
        problems.push(format!("the line endings were all {}, now {}", kb.iter().next().unwrap_or(&""), ka.iter().copied().collect::<Vec<_>>().join("+")));
    }
    let index = |lines: &[(&str, &str)]| {
        let mut m: BTreeMap<String, (usize, &'static str, String)> = BTreeMap::new();
        let mut prev = String::new();
        for (l, e) in lines {
            let entry = m.entry((*l).to_owned()).or_insert((0, "", String::new()));
            entry.0 += 1;
            entry.1 = if e.is_empty() { "" } else { eol_name(e) };
            entry.2 = std::mem::replace(&mut prev, (*l).to_owned());
        }
        m
    };
    let (ib, ia) = (index(&b), index(&a));
    let changed: Vec<String> = ib
        .iter()
        .filter(|(l, (n, e, p))| *n == 1 && !e.is_empty() && !l.trim().is_empty() && ia.get(*l).is_some_and(|(m, f, q)| *m == 1 && !f.is_empty() && f != e && p == q))
        .map(|(l, (_, e, _))| format!("`{}` {e} → {}", l.trim(), ia[l].1))
        .collect();
    if !changed.is_empty() {
        problems.push(format!("{} untouched line(s) changed their line ending: {}", changed.len(), changed.iter().take(3).cloned().collect::<Vec<_>>().join(", ")));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn check_variant(state: &mut Run, case: &str, variant: &Variant, dir: &Path) {
    state.variants += 1;
    *state.by_transform.entry(variant.transform.name()).or_default() += 1;
    fresh_files(dir, &variant.files);
    let lint = run_dir(dir, None, false, false);
    let kinds: BTreeMap<PathBuf, FileKind> = lint.files.iter().map(|(p, k)| (common::rel(p, dir), *k)).collect();
    let codes = safe_fixes(&lint, dir);
    if codes.is_empty() {
        return;
    }
    state.with_fixes += 1;
    let all = run_dir(dir, None, true, true);
    state.fixes_applied += all.fixes_applied;
    for d in &all.dropped {
        state.dropped.push(format!("{case} [{}]: {} dropped: {}", variant.label, d.diagnostic.code, d.reason));
    }
    let record = Record {
        case: case.to_owned(),
        label: variant.label.clone(),
        transform: variant.transform,
        files: variant.files.clone(),
        kinds,
        codes,
        fixed: fixed_texts(&all, dir),
    };
    let code_list: Vec<&str> = record.codes.keys().map(String::as_str).collect();

    // untouched, parse, shape, exec-json: per changed file.
    let mut alone: Option<BTreeMap<String, BTreeMap<PathBuf, String>>> = None;
    for (path, after) in &record.fixed {
        let before = record.before(path);
        let Some(&kind) = record.kinds.get(path) else { continue };
        let untouched = variant.untouched.iter().find(|(p, _)| p == path).map(|(_, why)| *why);
        let found = in_process_checks(kind, before, after, &code_list, untouched);
        if found.is_empty() {
            continue;
        }
        let alone = alone.get_or_insert_with(|| isolated(dir, &record));
        for (property, detail) in found {
            let check = |t: &str| in_process_checks(kind, before, t, &code_list, untouched).iter().any(|(p, _)| *p == property);
            let rules = attribute(&record, alone, path, &check);
            state.failures.push(record.failure(property, path, detail, diff(&variants::show(path), before, after), rules));
        }
    }

    // Deferred: the real programs, before and after.
    let index = state.records.len();
    for path in record.fixed.keys() {
        let kind = match record.kinds.get(path) {
            Some(FileKind::DjangoSettings | FileKind::GunicornConfig | FileKind::Python) => "py",
            Some(FileKind::Compose) => "yaml",
            Some(FileKind::Shell) => "bash",
            Some(FileKind::Nginx) => "nginx",
            _ => continue,
        };
        if kind == "nginx" && state.checks.iter().any(|c| c.record == index && c.kind == "nginx") {
            continue;
        }
        state.checks.push(OracleCheck { record: index, file: path.clone(), kind });
    }

    // A second --fix changes nothing.
    let fixed_files: Vec<(PathBuf, String)> = record.files.iter().map(|(p, t)| (p.clone(), record.fixed.get(p).cloned().unwrap_or_else(|| t.clone()))).collect();
    fresh_files(dir, &fixed_files);
    let again = run_dir(dir, None, true, true);
    if !again.fixed.is_empty() {
        let still: Vec<String> = safe_fixes(&run_dir(dir, None, false, false), dir).keys().cloned().collect();
        for f in &again.fixed {
            let path = common::rel(&f.path, dir);
            state.failures.push(record.failure("idempotent", &path, "a second `--fix` changed the file".to_owned(), diff(&variants::show(&path), &f.old, &f.new), format!("fixable again: {}", still.join("+"))));
        }
    }

    // One rule per run, to a fixpoint, gives the same texts.
    fresh_files(dir, &record.files);
    let mut sequence: Vec<String> = Vec::new();
    let mut exhausted: BTreeSet<String> = BTreeSet::new();
    let mut settled = false;
    for _ in 0..MAX_STEPS {
        let lint = run_dir(dir, None, false, false);
        let fixable = safe_fixes(&lint, dir);
        // SYN003 (unused suppression) judges suppressions by the rules that run: it goes
        // last, in a run with every rule, once nothing else is fixable.
        let Some(code) = fixable.keys().find(|c| !exhausted.contains(*c) && *c != "SYN003").or_else(|| fixable.keys().find(|c| !exhausted.contains(*c))).cloned() else {
            settled = true;
            break;
        };
        let select = (code != "SYN003").then_some(code.as_str());
        let step = run_dir(dir, select, true, false);
        if step.fixed.is_empty() {
            exhausted.insert(code);
        } else {
            sequence.push(code);
            exhausted.clear();
        }
    }
    let seq = format!("one rule per run: {}", if sequence.is_empty() { "(none applied)".to_owned() } else { runs(&sequence) });
    if !settled {
        state.failures.push(record.failure("one-at-a-time", Path::new("*"), format!("one rule per run did not settle in {MAX_STEPS} runs"), String::new(), seq.clone()));
    }
    for (path, before) in &record.files {
        let one = std::fs::read_to_string(dir.join(path)).unwrap_or_default();
        let all = record.fixed.get(path).unwrap_or(before);
        if one != *all {
            let d = diff(&format!("{} (all at once → one rule per run)", variants::show(path)), all, &one);
            let mut lines_one: Vec<&str> = variants::split_lines(&one).into_iter().map(|(l, _)| l).collect();
            let mut lines_all: Vec<&str> = variants::split_lines(all).into_iter().map(|(l, _)| l).collect();
            let detail = if variants::split_lines(&one).iter().map(|(l, _)| *l).eq(variants::split_lines(all).iter().map(|(l, _)| *l)) {
                "one `--fix` run and one rule per run give different texts: the same lines with other line endings"
            } else {
                lines_one.sort_unstable();
                lines_all.sort_unstable();
                if lines_one == lines_all { "one `--fix` run and one rule per run give different texts: the same lines in another order" } else { "one `--fix` run and one rule per run give different texts" }
            };
            state.failures.push(record.failure("one-at-a-time", path, detail.to_owned(), d, seq.clone()));
        }
    }
    state.records.push(record);
}

// ---------------------------------------------------------------------------------------
// the real programs, batched

/// The nginx project of a record: its nginx files with these texts, and its main config.
fn nginx_job(id: String, record: &Record, texts: &BTreeMap<PathBuf, String>) -> NginxJob {
    let files: Vec<(PathBuf, String)> = record
        .files
        .iter()
        .filter(|(p, _)| record.kinds.get(p) == Some(&FileKind::Nginx))
        .map(|(p, t)| (p.clone(), texts.get(p).cloned().unwrap_or_else(|| t.clone())))
        .collect();
    let mut mains: Vec<&PathBuf> = files.iter().filter(|(_, t)| oracles::is_main_nginx(t)).map(|(p, _)| p).collect();
    mains.sort_by_key(|p| (!p.ends_with("nginx.conf"), p.components().count()));
    let main = mains.first().map(|p| (*p).clone());
    NginxJob { id, files, main }
}

/// An oracle run: (id, kind, record, file, the texts to check instead of the record's originals).
type OracleJob = (String, &'static str, usize, PathBuf, BTreeMap<PathBuf, String>);

/// Run every oracle job for these (record, texts) pairs; verdicts by id.
fn run_oracles(jobs: &[OracleJob], records: &[Record]) -> BTreeMap<String, (Verdict, oracles::Services)> {
    let mut python = Vec::new();
    let mut bash = Vec::new();
    let mut nginx = Vec::new();
    for (id, kind, r, path, texts) in jobs {
        let record = &records[*r];
        let text = texts.get(path).cloned().unwrap_or_else(|| record.before(path).to_owned());
        match *kind {
            "py" => python.push((id.clone(), "py", text)),
            "yaml" => python.push((id.clone(), "yaml", text)),
            "bash" => bash.push((id.clone(), text)),
            _ => nginx.push(nginx_job(id.clone(), record, texts)),
        }
    }
    let mut out = oracles::python_batch(&python);
    out.extend(oracles::bash_n(&bash).into_iter().map(|(k, v)| (k, (v, None))));
    out.extend(oracles::nginx_t(&nginx).into_iter().map(|(k, v)| (k, (v, None))));
    out
}

fn oracle_properties(state: &mut Run, dir: &Path) {
    let mut jobs = Vec::new();
    for (n, c) in state.checks.iter().enumerate() {
        let record = &state.records[c.record];
        jobs.push((format!("{n}:before"), c.kind, c.record, c.file.clone(), BTreeMap::new()));
        jobs.push((format!("{n}:after"), c.kind, c.record, c.file.clone(), record.fixed.clone()));
    }
    let verdicts = run_oracles(&jobs, &state.records);
    let program = |kind: &str| match kind {
        "py" => "py_compile",
        "yaml" => "PyYAML",
        "bash" => "bash -n",
        _ => "nginx -t",
    };
    // (check, problem) pairs, then attribution in a second batch.
    let mut broken: Vec<(usize, String, Option<oracles::Services>)> = Vec::new();
    for (n, c) in state.checks.iter().enumerate() {
        let (Some((before, sb)), Some((after, sa))) = (verdicts.get(&format!("{n}:before")), verdicts.get(&format!("{n}:after"))) else { continue };
        let stat = state.oracle_stats.entry(program(c.kind)).or_default();
        match before {
            Verdict::Accepted => stat.0 += 1,
            Verdict::Rejected(_) => stat.1 += 1,
            Verdict::Skipped => stat.2 += 1,
        }
        if !before.accepted() {
            continue;
        }
        match after {
            Verdict::Rejected(e) => broken.push((n, format!("{} accepted it before the fix and rejects it after: {e}", program(c.kind)), None)),
            Verdict::Accepted if c.kind == "yaml" && sb != sa => broken.push((n, format!("PyYAML loads other services or keys: before {sb:?}, after {sa:?}"), Some(sb.clone()))),
            _ => {}
        }
    }
    let mut alone_by_record: BTreeMap<usize, BTreeMap<String, BTreeMap<PathBuf, String>>> = BTreeMap::new();
    let mut jobs2 = Vec::new();
    for (n, _, _) in &broken {
        let c = &state.checks[*n];
        let alone = alone_by_record.entry(c.record).or_insert_with(|| isolated(dir, &state.records[c.record]));
        for (code, texts) in alone.iter() {
            if texts.contains_key(&c.file) || (c.kind == "nginx" && !texts.is_empty()) {
                jobs2.push((format!("{n}:{code}"), c.kind, c.record, c.file.clone(), texts.clone()));
            }
        }
    }
    let verdicts2 = run_oracles(&jobs2, &state.records);
    for (n, problem, services) in broken {
        let c = &state.checks[n];
        let record = &state.records[c.record];
        let bad = |v: &(Verdict, oracles::Services)| match &services {
            None => matches!(v.0, Verdict::Rejected(_)),
            Some(sb) => v.0.accepted() && v.1 != *sb,
        };
        let breaking: Vec<String> = record.codes.keys().filter(|code| verdicts2.get(&format!("{n}:{code}")).is_some_and(bad)).map(|code| format!("{code} alone")).collect();
        let rules = if breaking.is_empty() { format!("only together: {}", record.codes.keys().cloned().collect::<Vec<_>>().join("+")) } else { breaking.join(", ") };
        let diffs: String = if c.kind == "nginx" {
            record.fixed.iter().filter(|(p, _)| record.kinds.get(*p) == Some(&FileKind::Nginx)).map(|(p, t)| diff(&variants::show(p), record.before(p), t)).collect()
        } else {
            diff(&variants::show(&c.file), record.before(&c.file), record.fixed.get(&c.file).map_or("", String::as_str))
        };
        let failure = record.failure("oracle", &c.file, problem, diffs, rules);
        state.failures.push(failure);
    }
}

// ---------------------------------------------------------------------------------------
// the report

fn report(state: &Run, settings: &Settings, elapsed: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "fix properties: {} variants ({} with safe fixes, {} fixes applied by `--fix`), {} oracle checks, seed {}, {:.1} s", state.variants, state.with_fixes, state.fixes_applied, state.checks.len(), settings.seed, elapsed);
    let _ = writeln!(out, "variants by transform: {:?}", state.by_transform);
    let _ = writeln!(out, "real programs (accepted before the fix, so checked after / rejected before / skipped): {:?}", state.oracle_stats);
    let _ = writeln!(out, "time: {:.1} s fixing variants, {:.1} s in the real programs", state.times.0, state.times.1);
    // Group: property, rules, transform.
    let mut groups: BTreeMap<(&str, String, &str), Vec<&Failure>> = BTreeMap::new();
    for f in &state.failures {
        groups.entry((f.property, f.rules.clone(), f.transform.name())).or_default().push(f);
    }
    let _ = writeln!(out, "\n{} failures in {} groups (property | rules | transform):", state.failures.len(), groups.len());
    for ((property, rules, transform), fs) in &groups {
        let _ = writeln!(out, "  {:>4} × {property} | {rules} | {transform}: {}", fs.len(), fs[0].detail.lines().next().unwrap_or(""));
    }
    for ((property, rules, transform), fs) in &groups {
        let _ = writeln!(out, "\n==== {property} | {rules} | {transform} ({} failures)", fs.len());
        for (i, f) in fs.iter().enumerate() {
            if i < 2 {
                let _ = writeln!(out, "--- {} [{}] {}: {}\n{}", f.case, f.variant, f.file, f.detail, f.diff);
            } else {
                let _ = writeln!(out, "--- {} [{}] {}: {}", f.case, f.variant, f.file, f.detail.lines().next().unwrap_or(""));
            }
        }
    }
    if !state.dropped.is_empty() {
        let _ = writeln!(out, "\nfixes the fixer dropped (they would have left a parse error): {}", state.dropped.len());
        for d in state.dropped.iter().take(40) {
            let _ = writeln!(out, "  {d}");
        }
    }
    out
}

/// The variants of one case, each checked (a panic is recorded, not propagated).
fn check_case(state: &mut Run, panics: &mut Vec<String>, settings: &Settings, case: &Case, dir: &Path) {
    // The kinds stacklint gives the files, and the files the safe fixes edit.
    fresh_files(dir, &case.files);
    let base = run_dir(dir, None, false, false);
    let kinds: BTreeMap<PathBuf, FileKind> = base.files.iter().map(|(p, k)| (common::rel(p, dir), *k)).collect();
    let targets: Vec<PathBuf> = safe_fixes(&base, dir).into_values().flatten().collect();
    let files: Vec<File> = case.files.iter().map(|(p, t)| File { path: p.clone(), kind: kinds.get(p).copied(), text: t.clone() }).collect();
    let seed = settings.seed ^ variants::hash(&case.name);
    let wanted = |t: &Transform| settings.transforms.as_ref().is_none_or(|ts| ts.contains(t));
    let mut chosen: Vec<Variant> = Transform::ALL.iter().filter(|t| **t != Transform::Base && wanted(t)).filter_map(|t| variants::make(*t, &files, &targets, seed)).collect();
    if !chosen.is_empty() {
        let k = usize::try_from(seed % chosen.len() as u64).unwrap_or(0);
        chosen.rotate_left(k);
    }
    if let Some(n) = settings.per_case {
        chosen.truncate(n);
    }
    if wanted(&Transform::Base) {
        chosen.insert(0, variants::make(Transform::Base, &files, &targets, seed).expect("the base variant"));
    }
    for variant in &chosen {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| check_variant(state, &case.name, variant, dir)));
        if let Err(e) = result {
            let message = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned())).unwrap_or_default();
            panics.push(format!("{} [{}]: panic: {message}", case.name, variant.label));
        }
    }
}

#[test]
fn safe_fixes_keep_every_property() {
    let settings = Settings::from_env();
    let started = Instant::now();
    let mut cases = fixture_cases();
    if let Some(corpus) = common::require_dir(common::corpus_dir(), "the corpus") {
        cases.extend(corpus_cases(&corpus));
    }
    if let Some(f) = &settings.case_filter {
        cases.retain(|c| c.name.contains(f.as_str()));
    }
    assert!(!cases.is_empty(), "no cases");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    // Cases are independent: a few workers, each with its own folder, merged in order.
    let threads = settings.threads.max(1);
    let parts: Vec<(Run, Vec<String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (cases, settings, dir) = (&cases, &settings, tmp.path().join(format!("w{t}")));
                s.spawn(move || {
                    let mut state = Run::default();
                    let mut panics = Vec::new();
                    for case in cases.iter().skip(t).step_by(threads) {
                        check_case(&mut state, &mut panics, settings, case, &dir);
                    }
                    (state, panics)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a worker finishes")).collect()
    });
    let mut state = Run::default();
    let mut panics = Vec::new();
    for (part, p) in parts {
        state.merge(part);
        panics.extend(p);
    }
    state.failures.sort_by(|a, b| (&a.case, &a.variant, &a.file, a.property).cmp(&(&b.case, &b.variant, &b.file, b.property)));
    state.dropped.sort();
    state.times.0 = started.elapsed().as_secs_f64();
    oracle_properties(&mut state, &dir);
    state.times.1 = started.elapsed().as_secs_f64() - state.times.0;
    let text = report(&state, &settings, started.elapsed().as_secs_f64());
    println!("{text}");
    let report_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fix-properties-report.txt");
    if std::fs::write(&report_path, &text).is_ok() {
        println!("report written to {}", report_path.display());
    }
    assert!(panics.is_empty(), "stacklint panicked:\n{}", panics.join("\n"));
    if settings.strict {
        assert!(state.failures.is_empty(), "{} fix property failures (see above)", state.failures.len());
    } else if !state.failures.is_empty() {
        println!("{} fix property failures: not failing the test (set STACKLINT_FIX_PROPERTIES=strict to make them fail)", state.failures.len());
    }
}

/// The harness itself: each check catches the breakage it is for, allows what the rules
/// document, and the variants are deterministic and do what they say.
#[test]
fn the_checks_catch_known_breakage() {
    let props = |kind, before: &str, after: &str, codes: &[&str]| in_process_checks(kind, before, after, codes, None).into_iter().map(|(p, _)| p).collect::<Vec<_>>();
    let docker = FileKind::Dockerfile;
    // The issue's example: flags appended after an exec form.
    assert_eq!(props(docker, "FROM a\nCMD gunicorn app.wsgi\n", "FROM a\nCMD [\"gunicorn\", \"app.wsgi\"] --workers 9\n", &["DKR002", "GUN001"]), ["exec-json"]);
    assert!(props(docker, "FROM a\nCMD gunicorn app.wsgi\n", "FROM a\nCMD [\"gunicorn\", \"app.wsgi\", \"--workers\", \"9\"]\n", &["DKR002"]).is_empty());
    // Instructions: an `ENV` only where DKR004 adds it, nothing lost.
    assert!(props(docker, "FROM a\nCMD x\n", "FROM a\nENV PYTHONUNBUFFERED=1\nCMD x\n", &["DKR004"]).is_empty());
    assert_eq!(props(docker, "FROM a\nCMD x\n", "FROM a\nENV PYTHONUNBUFFERED=1\nCMD x\n", &["GUN001"]), ["shape"]);
    assert_eq!(props(docker, "FROM a\nENV A=1\nCMD x\n", "FROM a\nCMD x\n", &["DKR004"]), ["shape"]);
    // nginx: directives and blocks by context.
    let nginx = FileKind::Nginx;
    let conf = "events {}\nhttp {\n    server {\n        listen 80;\n    }\n}\n";
    assert!(props(nginx, conf, &conf.replace("http {\n", "http {\n    gzip on;\n"), &["NGX001"]).is_empty());
    assert_eq!(props(nginx, conf, &conf.replace("http {\n", "http {\n    gzip on;\n"), &["NGX008"]), ["shape"]);
    assert_eq!(props(nginx, conf, &conf.replace("        listen 80;\n", ""), &["NGX001"]), ["shape"]);
    assert_eq!(props(nginx, conf, &conf[..conf.len() - 2], &["NGX001"]), ["parse"]);
    // Python: top-level names.
    let py = FileKind::DjangoSettings;
    assert_eq!(props(py, "A = 1\nB = 2\n", "A = 1\n", &[]), ["shape"]);
    assert!(props(py, "DEFAULT_FILE_STORAGE = \"x\"\n", "STORAGES = {\"default\": {\"BACKEND\": \"x\"}}\n", &["DJS008"]).is_empty());
    assert_eq!(props(py, "A = 1\n", "A = (1\n", &[]), ["parse", "shape"]);
    // No fix on a template or a file that does not parse.
    assert_eq!(props(py, "A = {{ a }}\n", "A = {{ a }}\nB = 1\n", &[]).first(), Some(&"untouched"));
    assert_eq!(props(nginx, "http {\n", "http {\ngzip on;\n", &["NGX001"]).first(), Some(&"untouched"));
    // Line endings.
    assert_eq!(props(py, "A = 1\r\nB = 2\r\n", "A = 1\r\nB = 2\r\nC = 3\n", &[]), ["eol", "shape"]);
    assert!(eol_problems("A = 1\rB = 2\r", "A = 1\rB = 2\rC = 3\r").is_none());
    assert!(eol_problems("a\nb\r\nc\n", "a\r\nb\r\nc\r\nd\r\n").is_some_and(|p| p.contains("untouched line")));
    assert!(eol_problems("a\nb\r\nc\n", "a\nb\r\nc\nd\n").is_none());

    // The variants: deterministic, and each changes what it names.
    let files = vec![
        File { path: PathBuf::from("Dockerfile"), kind: Some(docker), text: "FROM python:3.12\nRUN pip install -r requirements.txt\nCMD gunicorn app.wsgi --bind 0.0.0.0:8000\n".to_owned() },
        File { path: PathBuf::from("gunicorn.conf.py"), kind: Some(FileKind::GunicornConfig), text: "bind = \"0.0.0.0:8000\"\nworkers = 2\n".to_owned() },
    ];
    let targets = vec![PathBuf::from("Dockerfile")];
    for t in Transform::ALL {
        let a = variants::make(*t, &files, &targets, 6).map(|v| v.files);
        let b = variants::make(*t, &files, &targets, 6).map(|v| v.files);
        assert_eq!(a, b, "{} is deterministic", t.name());
    }
    let text = |t: Transform| variants::make(t, &files, &targets, 6).unwrap().files[0].1.clone();
    assert!(text(Transform::ExecForm).contains("CMD [\"gunicorn\", \"app.wsgi\", \"--bind\", \"0.0.0.0:8000\"]"));
    assert!(text(Transform::Continuation).contains(" \\\n    "));
    assert!(text(Transform::Crlf).ends_with("\r\n") && !text(Transform::Crlf).contains("8000\n"));
    assert!(!text(Transform::Cr).contains('\n'));
    assert!(text(Transform::Jinja).contains("{{ python_version }}"));
    assert!(text(Transform::Envsubst).contains("${BASE_TAG}") && text(Transform::Envsubst).contains("${PORT:-8000}"));
    let broken = variants::make(Transform::SyntaxError, &files, &targets, 6).unwrap();
    assert_eq!(broken.untouched.len(), 1);
    assert!(!structure::parse_errors(docker, &broken.files[0].1).is_empty());
    let compose = vec![File { path: PathBuf::from("docker-compose.yml"), kind: Some(FileKind::Compose), text: "services:\n  web:\n    image: app\n    command: gunicorn app.wsgi\n  db:\n    image: postgres\n".to_owned() }];
    let anchored = variants::make(Transform::Anchors, &compose, &[], 6).unwrap().files[0].1.clone();
    assert_eq!(anchored, "services:\n  web: &svc_web\n    image: app\n    command: gunicorn app.wsgi\n  web_small:\n    <<: *svc_web\n    deploy:\n      resources:\n        limits:\n          cpus: \"1\"\n  db:\n    image: postgres\n");
}

/// The real programs as the harness calls them: they accept what is valid (CR-only Python,
/// compose merges, a site proxying to a hostname) and reject the issue's broken fixes.
#[test]
fn the_oracles_reject_known_breakage() {
    let jobs = vec![
        ("ok".to_owned(), "py", "A = 1\rB = 2\r".to_owned()),
        ("bad".to_owned(), "py", "A = (1\n".to_owned()),
        ("merge".to_owned(), "yaml", "services:\n  web: &w\n    image: a\n  small:\n    <<: *w\n    cpus: 1\n".to_owned()),
        ("badyaml".to_owned(), "yaml", "services:\n  web: [\n".to_owned()),
    ];
    let v = oracles::python_batch(&jobs);
    if v.values().all(|(v, _)| *v == Verdict::Skipped) {
        return;
    }
    assert_eq!(v["ok"].0, Verdict::Accepted);
    assert!(matches!(v["bad"].0, Verdict::Rejected(_)));
    if v["merge"].0 != Verdict::Skipped {
        assert_eq!(v["merge"].0, Verdict::Accepted);
        assert_eq!(v["merge"].1.as_ref().and_then(|s| s.get("small")).cloned(), Some(vec!["cpus".to_owned(), "image".to_owned()]));
        assert!(matches!(v["badyaml"].0, Verdict::Rejected(_)));
    }
    let b = oracles::bash_n(&[("ok".to_owned(), "exec gunicorn app.wsgi\n".to_owned()), ("bad".to_owned(), "if then\n".to_owned())]);
    if b["ok"] != Verdict::Skipped {
        assert_eq!(b["ok"], Verdict::Accepted);
        assert!(matches!(b["bad"], Verdict::Rejected(_)));
    }
    let site = |text: &str| NginxJob { id: text.to_owned(), files: vec![(PathBuf::from("nginx/conf.d/site.conf"), text.to_owned())], main: None };
    let good = "server {\n    listen 8080;\n    location / {\n        proxy_pass http://backend:8000;\n    }\n}\n";
    let bad = "upstream app_ { server ; }\nserver {\n    listen 8080;\n}\n";
    let n = oracles::nginx_t(&[site(good), site(bad)]);
    if n[good] != Verdict::Skipped {
        assert_eq!(n[good], Verdict::Accepted);
        assert!(matches!(n[bad], Verdict::Rejected(_)), "{:?}", n[bad]);
    }
}
