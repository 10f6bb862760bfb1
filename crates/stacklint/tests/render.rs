//! Every output format, rendered from hand-built diagnostics on small realistic files.
//!
//! Snapshots live in `tests/snapshots/render__*.snap`; the SARIF output is also checked
//! against the official SARIF 2.1.0 JSON schema (`tests/data/`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use stacklint::render::{OutputFormat, RenderContext, render, render_statistics};
use stacklint_diagnostics::{Diagnostic, Edit, Fix, Severity, TextRange};

const CWD: &str = "/srv/app";

const DOCKERFILE: &str = "\
FROM python:3.12-slim
ENV GUNICORN_CMD_ARGS=\"--threads 1\"
WORKDIR /app
COPY . .
CMD [\"gunicorn\", \"shop.wsgi\", \"-w\", \"3\", \"--bind\", \"0.0.0.0:8000\"]
";

const SETTINGS: &str = "\
# Réglages de production
DEBUG = True
DATABASES = {\"default\": {\"NAME\": \"café_prod\", \"CONN_MAX_AGE\": 0}}
";

const VIEWS: &str = "\
from shop.models import Customer


def lookup(request, email):
    return Customer.objects.filter(email=email).first()
";

const MODELS: &str = "\
from django.db import models


class Customer(models.Model):
    email = models.EmailField()
";

fn path(rel: &str) -> PathBuf {
    Path::new(CWD).join(rel)
}

/// The byte range of the `nth` (0-based) occurrence of `needle` in `text`.
fn find(text: &str, needle: &str, nth: usize) -> TextRange {
    let start = text.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle in text");
    TextRange::new(start, start + needle.len())
}

fn sources() -> HashMap<PathBuf, String> {
    HashMap::from([
        (path("Dockerfile"), DOCKERFILE.to_owned()),
        (path("shop/settings.py"), SETTINGS.to_owned()),
        (path("shop/views.py"), VIEWS.to_owned()),
        (path("shop/models.py"), MODELS.to_owned()),
    ])
}

fn diagnostic(code: &'static str, name: &'static str, severity: Severity, message: &str, file: &str, range: TextRange) -> Diagnostic {
    Diagnostic { code, name, severity, message: message.to_owned(), file: path(file), range, help: None, fix: None, related: Vec::new() }
}

fn diagnostics() -> Vec<Diagnostic> {
    let cmd_line = find(DOCKERFILE, "CMD [", 0).cover(find(DOCKERFILE, "8000\"]", 0));
    let workers = find(DOCKERFILE, "3", 1); // the one in `"-w", "3"`, after `python:3.12`
    let gunicorn = diagnostic(
        "GUN001",
        "workers-below-cpu-recommendation",
        Severity::Warning,
        "3 gunicorn workers on 4 CPUs (assumed: declare `[target]`); the recommendation is 2 × CPUs + 1 = 9, capped at 4 for memory",
        "Dockerfile",
        cmd_line,
    )
    .with_related(path("Dockerfile"), workers, "3 workers set here")
    .with_related(path("Dockerfile"), find(DOCKERFILE, "--threads 1", 0), "1 thread per worker")
    .with_fix(Fix::safe("Set `-w` to 4", vec![Edit::replace(path("Dockerfile"), workers, "4")]));

    let debug_value = find(SETTINGS, "True", 0);
    let debug = diagnostic("DJG001", "debug-in-production", Severity::Error, "`DEBUG = True` in the production settings module", "shop/settings.py", debug_value)
        .with_help("Django shows tracebacks with settings to anyone who triggers an error")
        .with_fix(Fix::unsafe_(
            "Read `DEBUG` from the environment",
            vec![Edit::replace(path("shop/settings.py"), debug_value, "os.environ.get(\"DJANGO_DEBUG\") == \"1\""), Edit::insert(path("shop/settings.py"), SETTINGS.find('\n').unwrap() + 1, "import os\n")],
        ));

    // Non-ASCII before the range on the same line: `é` is two bytes, one column.
    let zero = find(SETTINGS, "0}", 0).start();
    let conn = diagnostic(
        "DJG010",
        "persistent-connections-disabled",
        Severity::Info,
        "`CONN_MAX_AGE: 0`: every request opens a new database connection, so 100% of requests pay the handshake",
        "shop/settings.py",
        TextRange::new(zero, zero + 1),
    )
    .with_help("Set `CONN_MAX_AGE` to 60, or use a connection pooler");

    let filter = find(VIEWS, "filter(email=email)", 0);
    let field = find(MODELS, "email = models.EmailField()", 0);
    let index = diagnostic(
        "DJG020",
        "lookup-without-index",
        Severity::Warning,
        "`Customer.objects.filter(email=...)` runs on every request, but `Customer.email` has no index",
        "shop/views.py",
        filter,
    )
    .with_related(path("shop/models.py"), field, "`email` is declared here without `db_index`")
    .with_fix(Fix::unsafe_("Add `db_index=True` to `Customer.email` (needs a migration)", vec![Edit::replace(path("shop/models.py"), find(MODELS, "EmailField()", 0), "EmailField(db_index=True)")]));

    vec![gunicorn, debug, conn, index]
}

fn rule_url(code: &str) -> Option<String> {
    (code != "DJG020").then(|| format!("https://stacklint.invalid/rules/{code}"))
}

fn rule_summary(code: &str) -> Option<String> {
    match code {
        "GUN001" => Some("Fewer gunicorn workers than the machine can run".to_owned()),
        "DJG001" => Some("`DEBUG` is on in production".to_owned()),
        _ => None,
    }
}

fn render_to_string(format: OutputFormat, diagnostics: &[Diagnostic]) -> String {
    let sources = sources();
    let mut cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    cx.rule_url = &rule_url;
    cx.rule_summary = &rule_summary;
    let mut out = Vec::new();
    render(format, diagnostics, &cx, &mut out).expect("writing to a Vec succeeds");
    String::from_utf8(out).expect("UTF-8 output")
}

#[test]
fn full() {
    insta::assert_snapshot!("full", render_to_string(OutputFormat::Full, &diagnostics()));
}

#[test]
fn concise() {
    insta::assert_snapshot!("concise", render_to_string(OutputFormat::Concise, &diagnostics()));
}

#[test]
fn json() {
    insta::assert_snapshot!("json", render_to_string(OutputFormat::Json, &diagnostics()));
}

#[test]
fn json_lines() {
    insta::assert_snapshot!("json_lines", render_to_string(OutputFormat::JsonLines, &diagnostics()));
}

#[test]
fn sarif() {
    insta::assert_snapshot!("sarif", render_to_string(OutputFormat::Sarif, &diagnostics()));
}

#[test]
fn github() {
    insta::assert_snapshot!("github", render_to_string(OutputFormat::Github, &diagnostics()));
}

#[test]
fn gitlab() {
    insta::assert_snapshot!("gitlab", render_to_string(OutputFormat::Gitlab, &diagnostics()));
}

#[test]
fn junit() {
    insta::assert_snapshot!("junit", render_to_string(OutputFormat::Junit, &diagnostics()));
}

#[test]
fn clean_run_in_every_format() {
    let mut all = String::new();
    for format in OutputFormat::ALL {
        all.push_str("----- ");
        all.push_str(format.as_str());
        all.push('\n');
        all.push_str(&render_to_string(format, &[]));
    }
    insta::assert_snapshot!("clean_run", all);
}

#[test]
fn statistics() {
    let sources = sources();
    let cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    let mut many = diagnostics();
    many.push(many[2].clone());
    many.push(many[2].clone());
    many.push(many[1].clone());
    let mut out = Vec::new();
    render_statistics(OutputFormat::Concise, &many, &cx, &mut out).unwrap();
    out.extend_from_slice(b"----- json\n");
    render_statistics(OutputFormat::Json, &many, &cx, &mut out).unwrap();
    insta::assert_snapshot!("statistics", String::from_utf8(out).unwrap());
}

#[test]
fn unsafe_fixes_count_as_fixable_when_enabled() {
    let sources = sources();
    let mut cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    cx.unsafe_fixes = true;
    let mut out = Vec::new();
    render(OutputFormat::Concise, &diagnostics(), &cx, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("[*]").count(), 4, "{text}");
    assert!(text.ends_with("[*] 3 fixable with `--fix`.\n"), "{text}");
}

#[test]
fn json_has_exactly_the_contract_keys() {
    let value: serde_json::Value = serde_json::from_str(&render_to_string(OutputFormat::Json, &diagnostics())).unwrap();
    let list = value.as_array().expect("a list");
    assert_eq!(list.len(), 4);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    };
    let sorted = |ks: &[&str]| -> Vec<String> {
        let mut ks: Vec<String> = ks.iter().map(|k| (*k).to_owned()).collect();
        ks.sort();
        ks
    };
    for item in list {
        assert_eq!(keys(item), sorted(&["code", "rule", "severity", "message", "filename", "location", "end_location", "fix", "url"]));
        assert_eq!(keys(&item["location"]), sorted(&["row", "column"]));
        assert_eq!(keys(&item["end_location"]), sorted(&["row", "column"]));
        if !item["fix"].is_null() {
            assert_eq!(keys(&item["fix"]), sorted(&["applicability", "message", "edits"]));
            for edit in item["fix"]["edits"].as_array().unwrap() {
                assert_eq!(keys(edit), sorted(&["filename", "content", "location", "end_location"]));
            }
        }
    }

    // Columns count characters: `é` before the range is one column, not two bytes.
    let conn = &list[2];
    assert_eq!(conn["filename"], "shop/settings.py");
    let line = SETTINGS.lines().nth(2).unwrap();
    let column = line.chars().take_while(|&c| c != '0').count() + 1;
    assert_eq!(conn["location"], serde_json::json!({"row": 3, "column": column}));
    assert_ne!(column, line.find('0').unwrap() + 1, "the test needs a multi-byte char before the range");

    // A fix edit in another file is located in that file's text.
    let index = &list[3];
    assert_eq!(index["filename"], "shop/views.py");
    let edit = &index["fix"]["edits"][0];
    assert_eq!(edit["filename"], "shop/models.py");
    assert_eq!(edit["location"], serde_json::json!({"row": 5, "column": 20}));
    assert_eq!(edit["end_location"], serde_json::json!({"row": 5, "column": 32}));
    assert_eq!(index["url"], serde_json::Value::Null);
    assert_eq!(list[0]["fix"]["applicability"], "safe");
    assert_eq!(list[1]["fix"]["applicability"], "unsafe");
}

#[test]
fn json_lines_is_one_object_per_line() {
    let text = render_to_string(OutputFormat::JsonLines, &diagnostics());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    let pretty: serde_json::Value = serde_json::from_str(&render_to_string(OutputFormat::Json, &diagnostics())).unwrap();
    for (line, expected) in lines.iter().zip(pretty.as_array().unwrap()) {
        assert_eq!(&serde_json::from_str::<serde_json::Value>(line).unwrap(), expected);
    }
}

fn sarif_validator() -> jsonschema::Validator {
    // The schema's own language-tag pattern (`run.language`, `toolComponent.language`) has
    // a stray `]` (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which the draft-04
    // meta-schema check (`format: regex`) rejects. The committed file stays as published;
    // here that pattern is replaced by a balanced one. stacklint writes no `language`, so
    // nothing the test checks depends on it.
    let text = include_str!("data/sarif-2.1.0-rtm.5.json");
    let broken = r#""pattern": "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(broken).count(), 2, "the known schema bug moved");
    let text = text.replace(broken, r#""pattern": "^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).expect("the SARIF schema compiles")
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let validator = sarif_validator();
    for diagnostics in [diagnostics(), Vec::new()] {
        let log: serde_json::Value = serde_json::from_str(&render_to_string(OutputFormat::Sarif, &diagnostics)).unwrap();
        let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // The validator is not vacuous: a broken log fails.
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal", "message": {}}]}]});
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_uses_relative_uris_and_rule_metadata() {
    let log: serde_json::Value = serde_json::from_str(&render_to_string(OutputFormat::Sarif, &diagnostics())).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file:///srv/app/");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rules, ["DJG001", "DJG010", "DJG020", "GUN001"]);
    let result = &run["results"][3];
    assert_eq!(result["ruleId"], "DJG020");
    assert_eq!(run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize]["id"], "DJG020");
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "shop/views.py");
    assert_eq!(result["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"], "shop/models.py");
    assert_eq!(run["results"][2]["level"], "note");
}

#[test]
fn color_is_off_unless_asked() {
    let plain = render_to_string(OutputFormat::Concise, &diagnostics());
    assert!(!plain.contains('\u{1b}'));
    let sources = sources();
    let mut cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    cx.color = true;
    for format in [OutputFormat::Concise, OutputFormat::Full] {
        let mut out = Vec::new();
        render(format, &diagnostics(), &cx, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\u{1b}["), "{format}");
    }
}

#[test]
fn missing_sources_do_not_panic() {
    let cx = RenderContext::new(Path::new(CWD), &(), "0.1.0");
    for format in OutputFormat::ALL {
        let mut out = Vec::new();
        render(format, &diagnostics(), &cx, &mut out).unwrap();
        assert!(!out.is_empty(), "{format}");
    }
    let mut out = Vec::new();
    render(OutputFormat::Concise, &diagnostics()[..1], &cx, &mut out).unwrap();
    assert!(String::from_utf8(out).unwrap().starts_with("Dockerfile:1:1: GUN001"));
}

/// A pipe whose reader went away after `budget` bytes.
struct ClosedPipe {
    budget: usize,
}

impl io::Write for ClosedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        let n = buf.len().min(self.budget);
        self.budget -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_pipe_is_an_error_not_a_panic() {
    let sources = sources();
    let cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    for format in OutputFormat::ALL {
        for budget in [0, 10, 200] {
            let err = render(format, &diagnostics(), &cx, &mut ClosedPipe { budget }).expect_err("the pipe is closed");
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{format} after {budget} bytes");
        }
    }
    let err = render_statistics(OutputFormat::Concise, &diagnostics(), &cx, &mut ClosedPipe { budget: 5 }).expect_err("closed");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

/// Renders `full` for findings in one file of given text.
fn render_full_in(file: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let sources = HashMap::from([(path(file), text.to_owned())]);
    let mut cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    cx.rule_url = &rule_url;
    let mut out = Vec::new();
    render(OutputFormat::Full, diagnostics, &cx, &mut out).expect("writing to a Vec succeeds");
    String::from_utf8(out).expect("UTF-8 output")
}

/// A one-line 36 KB nginx.conf: each finding shows a window of its line around the
/// finding (with `…` where it is cut), not the whole line.
#[test]
fn full_clips_long_lines_around_the_finding() {
    let mut text = String::from("events {} http { ");
    for i in 0..1500 {
        let _ = write!(text, "server {{ listen {}; }} ", 8000 + i);
    }
    text.push_str("}\n");
    assert!(text.len() > 30_000);
    let listen = find(&text, "listen 8500;", 0);
    let findings: Vec<Diagnostic> = (0..50).map(|_| diagnostic("NGX999", "a-finding", Severity::Warning, "a finding in a long line", "nginx.conf", listen)).collect();
    let out = render_full_in("nginx.conf", &text, &findings);
    // 50 findings of a few hundred bytes each, not 50 copies of the 36 KB line.
    assert!(out.len() < 50 * 1500, "{} bytes", out.len());
    let one = render_full_in("nginx.conf", &text, &findings[..1]);
    insta::assert_snapshot!("full_long_line", one);
}

/// A finding past column 65,535 (miette panics on those) renders, with its real row
/// and column in the header.
#[test]
fn full_renders_a_finding_at_column_70000() {
    let mut text = "x".repeat(69_999);
    text.push_str("gzip off;\n");
    let at = find(&text, "gzip off;", 0);
    let out = render_full_in("nginx.conf", &text, &[diagnostic("NGX001", "gzip-disabled", Severity::Warning, "`gzip off`", "nginx.conf", at)]);
    assert!(out.contains("nginx.conf:1:70000"), "{out}");
    insta::assert_snapshot!("full_column_70000", out);
}

/// A label spanning thousands of lines shows a bounded window of them.
#[test]
fn full_bounds_the_lines_of_a_snippet() {
    let text: String = (0..5000).fold(String::new(), |mut t, i| {
        let _ = writeln!(t, "line {i}");
        t
    });
    let all = TextRange::new(0, text.len());
    let out = render_full_in("nginx.conf", &text, &[diagnostic("SYN001", "parse-error", Severity::Error, "a long range", "nginx.conf", all)]);
    assert!(out.lines().count() < 80, "{} lines", out.lines().count());
}

/// Columns far into one long line (counted from checkpoints, not from the line start per
/// finding) are the columns `LineIndex` gives, multi-byte characters included.
#[test]
fn columns_on_a_long_line_match_the_line_index() {
    let mut text = String::new();
    for i in 0..3000 {
        let _ = write!(text, "é{i} ");
    }
    text.push('\n');
    let index = stacklint_text::LineIndex::new(&text);
    let mut findings = Vec::new();
    let mut expected = Vec::new();
    for (i, (at, _)) in text.match_indices(' ').enumerate().filter(|(i, _)| i % 97 == 0) {
        let range = TextRange::new(at - 2, at);
        findings.push(diagnostic("NGX999", "a-finding", Severity::Warning, &format!("f{i}"), "nginx.conf", range));
        let s = index.location(range.start(), &text);
        expected.push(format!("nginx.conf:{}:{}: NGX999", s.row, s.column));
    }
    let sources = HashMap::from([(path("nginx.conf"), text.clone())]);
    let cx = RenderContext::new(Path::new(CWD), &sources, "0.1.0");
    let mut out = Vec::new();
    render(OutputFormat::Concise, &findings, &cx, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let got: Vec<String> = out.lines().filter(|l| l.contains("NGX999")).map(|l| l.split(" [").next().unwrap().to_owned()).collect();
    assert_eq!(got, expected);
    let mut json = Vec::new();
    render(OutputFormat::Json, &findings, &cx, &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    for (d, f) in json.as_array().unwrap().iter().zip(&findings) {
        let e = index.location(f.range.end(), &text);
        assert_eq!(d["end_location"]["column"].as_u64(), Some(e.column as u64));
    }
}
