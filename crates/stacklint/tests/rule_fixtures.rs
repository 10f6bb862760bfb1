//! Every rule's fixtures (`rules/fixtures/CODE/CASE/`, each a small project) and the examples
//! in every rule's documentation.
//!
//! - a case named `pass*` must produce no finding of its rule, `fail*` at least one;
//! - the findings and the fixes (as a diff) are snapshots beside the cases;
//! - `--fix --unsafe-fixes` leaves no fixable finding of the rule, breaks no file, and a
//!   second `--fix` changes nothing;
//! - a doc comment's "Example" triggers its rule and its "Use instead" does not.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_linter::{DropCause, FixMode, LinterSettings, RULES, Rule, lint};
use stacklint_project::{Project, ProjectOptions};
use stacklint::render::{OutputFormat, RenderContext, render};
use stacklint_workspace::{Overrides, RunOutcome, RunRequest, run};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures")
}

fn cases() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for code_dir in std::fs::read_dir(fixtures_dir()).into_iter().flatten().filter_map(Result::ok) {
        let code = code_dir.file_name().to_string_lossy().to_string();
        for case in std::fs::read_dir(code_dir.path()).into_iter().flatten().filter_map(Result::ok) {
            if case.path().is_dir() && case.file_name() != "snapshots" {
                out.push((code.clone(), case.path()));
            }
        }
    }
    out.sort();
    out
}

fn run_case(dir: &Path, code: &str, fix: Option<FixMode>, diff: bool) -> RunOutcome {
    let overrides = Overrides { select: Some(vec![code.to_string()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix, diff, ..RunRequest::default() }).expect("fixture runs")
}

fn run_selected(dir: &Path, select: Option<&str>, fix: Option<FixMode>) -> RunOutcome {
    let overrides = Overrides { select: select.map(|c| vec![c.to_string()]), ..Overrides::default() };
    run(&RunRequest { paths: vec![dir.to_path_buf()], overrides, fix, ..RunRequest::default() }).expect("fixture runs")
}

/// The N of "[*] N fixable with `--fix`" in the rendered summary (0 when absent).
fn fixable_in_summary(outcome: &RunOutcome, dir: &Path) -> usize {
    let cx = RenderContext::new(dir, &outcome.sources, "test");
    let mut out = Vec::new();
    render(OutputFormat::Concise, &outcome.diagnostics, &cx, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    text.lines().find_map(|l| l.strip_prefix("[*] ")?.split_once(" fixable with `--fix`")?.0.parse().ok()).unwrap_or(0)
}

fn describe(outcome: &RunOutcome, dir: &Path) -> String {
    let mut out = String::new();
    for d in &outcome.diagnostics {
        let text = outcome.sources.get(&d.file).map_or("", String::as_str);
        let loc = stacklint_text::LineIndex::new(text).location(d.range.start(), text);
        let rel = d.file.strip_prefix(dir).unwrap_or(&d.file).display().to_string();
        let _ = writeln!(out, "{rel}:{}:{}: {} [{}] {}", loc.row, loc.column, d.code, d.name, d.message);
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  help: {help}");
        }
        if let Some(fix) = &d.fix {
            let _ = writeln!(out, "  fix ({}): {}", fix.applicability.as_str(), fix.title);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().filter_map(Result::ok) {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn rule_fixtures() {
    let cases = cases();
    let mut failures = Vec::new();
    for (code, dir) in &cases {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let Some(rule) = stacklint_linter::rule_by_code(code) else {
            failures.push(format!("rules/fixtures/{code}: no such rule"));
            continue;
        };
        let outcome = run_case(dir, code, None, false);
        let own: Vec<_> = outcome.diagnostics.iter().filter(|d| d.code == rule.code).collect();
        if case.starts_with("pass") && !own.is_empty() {
            failures.push(format!("{code}/{case}: expected no finding, got:\n{}", describe(&outcome, dir)));
        }
        if case.starts_with("fail") && own.is_empty() {
            failures.push(format!("{code}/{case}: expected a finding, got none"));
        }

        // Fix in a copy: nothing fixable left, nothing dropped, and a second pass is a no-op.
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join(&case);
        copy_dir(dir, &work);
        let fixed = run_case(&work, code, Some(FixMode::Unsafe), false);
        let mut diff = String::new();
        for f in &fixed.fixed {
            diff.push_str(&f.diff(&work));
        }
        // Fixes withheld from a file with parse errors or a template are by design; a fix
        // that would break a file is a bug of its rule.
        let broke: Vec<_> = fixed.dropped.iter().filter(|d| matches!(d.cause, DropCause::NewParseError | DropCause::NotIdempotent)).map(|d| &d.reason).collect();
        if !broke.is_empty() {
            failures.push(format!("{code}/{case}: fixes dropped: {broke:?}"));
        }
        if !fixed.oscillating.is_empty() {
            failures.push(format!("{code}/{case}: fixes did not converge: {:?}", fixed.oscillating));
        }
        let still: Vec<_> = fixed.diagnostics.iter().filter(|d| d.code == rule.code && d.fix.is_some()).collect();
        if !still.is_empty() {
            failures.push(format!("{code}/{case}: still fixable after --fix:\n{}", describe(&fixed, &work)));
        }
        // Every fix is within what the rule declares.
        for d in outcome.diagnostics.iter().chain(&fixed.diagnostics).filter(|d| d.code == rule.code) {
            let declared = stacklint_linter::max_applicability(rule.fix);
            if let Some(fix) = &d.fix
                && declared.is_none_or(|max| fix.applicability > max)
            {
                failures.push(format!("{code}/{case}: a {} fix from a rule declared `{}`", fix.applicability.as_str(), rule.fix.as_str()));
            }
            // The docs say what kind of fix a rule offers: "safe" must mean always safe.
            if let Some(fix) = &d.fix
                && rule.fix == stacklint_linter::FixAvailability::Safe
                && fix.applicability != stacklint_diagnostics::Applicability::Safe
            {
                failures.push(format!("{code}/{case}: a {} fix from a rule declared `safe` (declare `Sometimes`)", fix.applicability.as_str()));
            }
        }
        // "N fixable with `--fix`" is what `--fix` applies, with the rule alone. With every
        // rule (fixes of several rules meet on one line), `--fix` applies at least that
        // many (a fix may bring a finding another fix resolves), breaks nothing, converges
        // and leaves nothing fixable.
        for select in [Some(code.as_str()), None] {
            let safe_copy = tmp.path().join(format!("safe-{}", select.unwrap_or("all")));
            copy_dir(dir, &safe_copy);
            let shown = fixable_in_summary(&run_selected(&safe_copy, select, None), &safe_copy);
            let fixed = run_selected(&safe_copy, select, Some(FixMode::Safe));
            let applied = fixed.fixes_applied;
            let what = select.unwrap_or("all rules");
            if (select.is_some() && shown != applied) || applied < shown {
                failures.push(format!("{code}/{case} ({what}): the summary says {shown} fixable with `--fix`, but `--fix` applied {applied}"));
            }
            let left = fixed.diagnostics.iter().filter(|d| stacklint::is_fixable(d, false)).count();
            if left > 0 {
                failures.push(format!("{code}/{case} ({what}): {left} still fixable after `--fix`:\n{}", describe(&fixed, &safe_copy)));
            }
            let broke: Vec<_> = fixed.dropped.iter().filter(|d| matches!(d.cause, DropCause::NewParseError | DropCause::NotIdempotent)).map(|d| format!("{}: {}", d.diagnostic.code, d.reason)).collect();
            if !broke.is_empty() || !fixed.oscillating.is_empty() {
                failures.push(format!("{code}/{case} ({what}): {broke:?} {:?}", fixed.oscillating));
            }
        }
        let again = run_case(&work, code, Some(FixMode::Unsafe), false);
        if !again.fixed.is_empty() {
            failures.push(format!("{code}/{case}: a second --fix changed {:?}", again.fixed.iter().map(|f| &f.path).collect::<Vec<_>>()));
        }

        let snapshot = format!("{}\n--- after `--fix --unsafe-fixes` ---\n{}", describe(&outcome, dir), if diff.is_empty() { "(no change)\n".to_string() } else { diff });
        let snapshots = dir.parent().unwrap().join("snapshots");
        insta::with_settings!({ snapshot_path => snapshots, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(case.clone(), snapshot);
        });
    }
    println!("{} fixture cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Fenced blocks of a doc section, each `(path, code)` from a ```` ```lang path=NAME ```` fence.
fn section_files(doc: &str, section: &str) -> Vec<(String, String)> {
    let Some(start) = doc.find(section) else { return Vec::new() };
    let body = &doc[start + section.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut files = Vec::new();
    let mut lines = body.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim().strip_prefix("```") else { continue };
        let path = info.split_whitespace().find_map(|w| w.strip_prefix("path=")).unwrap_or("").to_string();
        let mut code = String::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        files.push((path, code));
    }
    files
}

fn lint_example(rule: &'static Rule, files: &[(String, String)]) -> usize {
    let sources: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let project = Project::from_sources(ProjectOptions::default(), &sources);
    lint(&project, &LinterSettings::only(&[rule])).iter().filter(|d| d.code == rule.code).count()
}

#[test]
fn documentation_examples() {
    let mut failures = Vec::new();
    for rule in RULES.iter() {
        let doc = rule.documentation();
        let example = section_files(&doc, "## Example");
        let instead = section_files(&doc, "## Use instead");
        if example.is_empty() {
            // Only rules that no file content can trigger may lack an example.
            if rule.code != "SYN004" {
                failures.push(format!("{}: the doc has no example", rule.code));
            }
            continue;
        }
        for (path, _) in example.iter().chain(&instead) {
            if path.is_empty() {
                failures.push(format!("{}: a code fence lacks `path=`", rule.code));
            }
        }
        if lint_example(rule, &example) == 0 {
            failures.push(format!("{}: the \"Example\" does not trigger the rule", rule.code));
        }
        if instead.is_empty() {
            failures.push(format!("{}: the doc has no \"Use instead\"", rule.code));
        } else if lint_example(rule, &instead) != 0 {
            failures.push(format!("{}: the \"Use instead\" triggers the rule", rule.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixture_codes_are_rules() {
    for (code, _) in cases() {
        assert!(stacklint_linter::rule_by_code(&code).is_some(), "rules/fixtures/{code} names no rule");
    }
}

/// Every file of `dir` rewritten by `f` (text files only), into `to`.
fn copy_dir_with(from: &Path, to: &Path, f: &dyn Fn(&str) -> String) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().filter_map(Result::ok) {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir_with(&e.path(), &target, f);
        } else if let Ok(text) = std::fs::read_to_string(e.path()) {
            std::fs::write(target, f(&text)).unwrap();
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A way to write a fixture's files: its name, the rewrite, which files it applies to.
type Variant<'a> = (&'a str, &'a dyn Fn(&str) -> String, fn(&Path) -> bool);

/// Line endings and a BOM change nothing a fix does: each fixture, written with CRLF
/// endings (and, for Python, old-Mac CR endings) or a BOM, fixes to the `\n` result
/// written the same way.
#[test]
fn fixes_keep_line_endings_and_bom() {
    let crlf = |t: &str| t.replace("\r\n", "\n").replace('\n', "\r\n");
    let cr = |t: &str| t.replace("\r\n", "\n").replace('\n', "\r");
    let bom = |t: &str| format!("\u{feff}{t}");
    let variants: [Variant; 3] = [
        ("CRLF", &crlf, |_| true),
        ("CR", &cr, |p| p.extension().is_some_and(|e| e == "py")),
        ("BOM", &bom, |p| p.extension().is_some_and(|e| e == "py" || e == "conf")),
    ];
    let mut failures = Vec::new();
    for (code, dir) in cases() {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("plain");
        copy_dir(&dir, &plain);
        let base = run_case(&plain, &code, Some(FixMode::Unsafe), false);
        let normal = |t: &str| t.replace("\r\n", "\n");
        for (name, convert, applies) in &variants {
            let work = tmp.path().join(name);
            copy_dir_with(&dir, &work, &|t| t.to_string());
            let mut converted = Vec::new();
            for f in walk(&dir) {
                let rel = f.strip_prefix(&dir).unwrap().to_path_buf();
                // (A file without a line break has no ending to keep.)
                if applies(&rel) && let Ok(text) = std::fs::read_to_string(&f) && convert(&text) != text {
                    std::fs::write(work.join(&rel), convert(&text)).unwrap();
                    converted.push(rel);
                }
            }
            if converted.is_empty() {
                continue;
            }
            let fixed = run_case(&work, &code, Some(FixMode::Unsafe), false);
            if fixed.fixes_applied != base.fixes_applied {
                failures.push(format!("{code}/{case} ({name}): {} fixes applied, {} without", fixed.fixes_applied, base.fixes_applied));
            }
            for rel in &converted {
                let want = base.fixed.iter().find(|f| f.path.ends_with(rel)).map_or_else(|| std::fs::read_to_string(dir.join(rel)).unwrap(), |f| f.new.clone());
                let got = std::fs::read_to_string(work.join(rel)).unwrap();
                if got != convert(&normal(&want)) {
                    failures.push(format!("{code}/{case} ({name}) {}:\n  want {:?}\n  got  {:?}", rel.display(), convert(&normal(&want)), got));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
