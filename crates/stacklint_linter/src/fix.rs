//! Fix to a fixpoint, as ruff does: lint, apply the fixes that do not conflict, re-parse,
//! re-lint, repeat.
//!
//! - Fixes are taken in order of position; one whose edits overlap or touch an edit taken
//!   already waits for the next pass, where its rule recomputes it against the new text
//!   ([`select_fixes`]); identical edits apply once.
//! - A file that already has parse errors, or is a template, gets no fix: the finding
//!   stays, its fix is withheld, and [`FixOutcome::dropped`] says why.
//! - A fix that would leave a new parse error is dropped and reported; so is a fix after
//!   which its rule asks for the same edit again (it does not fix): the run starts over
//!   without it.
//! - Rules see `\n` line endings and no BOM; each line gets its own ending back.
//! - The loop is bounded; when it stops without converging, [`FixOutcome::oscillating`]
//!   names the rules that kept changing which file.
//!
//! In memory only; the caller writes the changed texts (atomically).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use stacklint_diagnostics::{Applicability, Diagnostic, Fix, apply_edits, line_endings, select_fixes};
use stacklint_project::{FileKind, Project, ProjectOptions, SourceFile, parse, syntax_errors};

use crate::settings::LinterSettings;

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    /// `--fix`: safe fixes only.
    Safe,
    /// `--fix --unsafe-fixes`: safe and unsafe.
    Unsafe,
}

impl FixMode {
    pub fn allows(self, a: Applicability) -> bool {
        match self {
            FixMode::Safe => a == Applicability::Safe,
            FixMode::Unsafe => a >= Applicability::Unsafe,
        }
    }
}

/// Why a fix was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropCause {
    /// Applying it would have left a new parse error.
    NewParseError,
    /// A file it edits already has parse errors: what the rule read may not be what the
    /// program reads.
    ParseErrors,
    /// A file it edits is a template (Jinja, envsubst, ...): the program reads the rendered
    /// file, not this one.
    Template,
    /// A file it edits ends lines with a lone `\r`, which the program does not read as a
    /// line break.
    CrLineEndings,
    /// After it applied, its rule asked for the same edit again: it does not fix what it
    /// claims to (a bug of the rule), so the run starts over without it.
    NotIdempotent,
}

/// A fix that was not applied, and why.
#[derive(Clone, Debug)]
pub struct DroppedFix {
    /// The finding, with the fix it offered.
    pub diagnostic: Diagnostic,
    pub reason: String,
    pub cause: DropCause,
}

/// Rules that kept changing a file until the pass limit (or a file came back to an
/// earlier text): the fixes do not converge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Oscillation {
    pub file: PathBuf,
    /// The codes of the rules whose fixes kept changing it, sorted.
    pub codes: Vec<&'static str>,
    /// The file came back to an earlier text (the fixes undo each other); otherwise it was
    /// still changing at the pass limit.
    pub cycle: bool,
}

impl std::fmt::Display for Oscillation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes: Vec<String> = self.codes.iter().map(|c| format!("`{c}`")).collect();
        let how = if self.cycle { "their fixes undo each other".to_owned() } else { format!("it was still changing after {MAX_PASSES} passes") };
        write!(f, "fixes did not converge in {}: {} kept changing it ({how})", self.file.display(), codes.join(", "))
    }
}

/// What fixing did.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// Every file whose text changed, with its new text.
    pub changed: BTreeMap<PathBuf, String>,
    /// How many fixes were applied, per rule code.
    pub applied: BTreeMap<&'static str, usize>,
    /// Fixes not applied: they would break a file, or a file they edit gets no fixes.
    pub dropped: Vec<DroppedFix>,
    /// The findings left after the last pass.
    pub remaining: Vec<Diagnostic>,
    /// Whether the last pass found nothing more to fix (false: stopped at the pass limit
    /// or on a cycle; see [`oscillating`](Self::oscillating)).
    pub converged: bool,
    /// When not converged: which rules kept changing which file.
    pub oscillating: Vec<Oscillation>,
}

impl FixOutcome {
    pub fn applied_count(&self) -> usize {
        self.applied.values().sum()
    }
}

/// The most passes one fix run makes. Conflicting fixes go one per pass (several
/// settings inserted at one place take a pass each), so this is well above what a real
/// file needs; a cycle stops the loop earlier.
pub const MAX_PASSES: usize = 32;

type Key = (String, PathBuf, String);

/// A fix by what it does: rule, file, title and the texts it writes (not where).
type FixKey = (&'static str, PathBuf, String, Vec<String>);

fn fix_key(d: &Diagnostic) -> FixKey {
    let (title, texts) = d.fix.as_ref().map(|f| (f.title.clone(), f.edits.iter().map(|e| e.content.clone()).collect())).unwrap_or_default();
    (d.code, d.file.clone(), title, texts)
}

/// How often the loop starts over without a fix that does not resolve its finding.
const MAX_RESTARTS: usize = 4;

/// One pass's lint: the findings, and the fixes withheld from them.
type LintFn<'a> = dyn Fn(&Project) -> (Vec<Diagnostic>, Vec<DroppedFix>) + 'a;

/// Fix a project given as files; the options are those the project was built with.
pub fn fix_project(options: &ProjectOptions, files: Vec<(PathBuf, FileKind, String)>, settings: &LinterSettings, mode: FixMode) -> FixOutcome {
    fix_with(options, files, mode, &|project| crate::lint_with_withheld(project, settings))
}

/// The loop of [`fix_project`], with the lint it runs each pass.
fn fix_with(options: &ProjectOptions, files: Vec<(PathBuf, FileKind, String)>, mode: FixMode, lint: &LintFn) -> FixOutcome {
    let originals: BTreeMap<PathBuf, String> = files.iter().map(|(p, _, t)| (p.clone(), t.clone())).collect();
    let kinds: BTreeMap<PathBuf, FileKind> = files.iter().map(|(p, k, _)| (p.clone(), *k)).collect();
    // Rules see `\n` line endings and no BOM; the fixed files get theirs back. A lone `\r`
    // is a line break for Python and YAML only: elsewhere the file gets no fix.
    let mut cr_blocked: HashSet<PathBuf> = HashSet::new();
    let normalized: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|(p, k, t)| {
            if line_endings::has_lone_cr(t) && !lone_cr_is_a_line_break(*k) {
                cr_blocked.insert(p.clone());
                (p.clone(), t.clone())
            } else {
                (p.clone(), line_endings::normalize(t).into_owned())
            }
        })
        .collect();
    let mut outcome = FixOutcome::default();
    let mut refused: HashSet<Key> = HashSet::new();
    let mut withheld: HashSet<Key> = HashSet::new();
    let build = |texts: &BTreeMap<PathBuf, String>| {
        let files = texts.iter().map(|(p, t)| (p.clone(), kinds.get(p).copied().unwrap_or(FileKind::Python), t.clone())).collect();
        Project::build(options.clone(), files)
    };
    let mut restarts = 0;
    let (current, endings, project) = 'attempt: loop {
        let mut endings: BTreeMap<PathBuf, line_endings::LineEndings> = files.iter().filter(|(p, ..)| !cr_blocked.contains(p)).map(|(p, _, t)| (p.clone(), line_endings::LineEndings::of(t))).collect();
        let mut current = normalized.clone();
        let mut project = build(&current);
        outcome.applied.clear();
        outcome.converged = false;
        // The texts seen before each pass (by hash), and what each pass changed.
        let mut seen: HashMap<u64, usize> = HashMap::new();
        let mut changed_by: Vec<BTreeMap<PathBuf, BTreeSet<&'static str>>> = Vec::new();
        // Per fix (rule, file, title, edit texts): how many were offered and applied last pass.
        let mut last_pass: HashMap<FixKey, (usize, usize)> = HashMap::new();
        let mut cycle_from: Option<usize> = None;
        seen.insert(state_hash(&current), 0);
        for pass in 0..MAX_PASSES {
            let (diagnostics, held) = lint(&project);
            for d in held {
                if withheld.insert(key(&d.diagnostic)) && d.diagnostic.fix.as_ref().is_some_and(|f| mode.allows(f.applicability)) {
                    outcome.dropped.push(d);
                }
            }
            let mut fixable: Vec<&Diagnostic> = diagnostics
                .iter()
                .filter(|d| d.fix.as_ref().is_some_and(|f| mode.allows(f.applicability) && !f.edits.is_empty() && f.edits.iter().all(|e| current.contains_key(&e.file))))
                .filter(|d| !refused.contains(&key(d)))
                .collect();
            // Two fixes editing one point go in rule order (the selection's sort is stable), so
            // one `--fix` run writes what fixing rule by rule would.
            fixable.sort_by_key(|d| d.code);
            // A fix that applied and is offered again as often as before did not fix its
            // finding (it edits the wrong place): start over without it.
            let mut offered: HashMap<FixKey, usize> = HashMap::new();
            for d in &fixable {
                *offered.entry(fix_key(d)).or_default() += 1;
            }
            if restarts < MAX_RESTARTS
                && let Some(d) = fixable.iter().find(|d| {
                    let k = fix_key(d);
                    last_pass.get(&k).is_some_and(|&(before, applied)| applied > 0 && offered.get(&k).copied().unwrap_or(0) + applied > before)
                })
            {
                refused.insert(key(d));
                outcome.dropped.push(DroppedFix {
                    diagnostic: (*d).clone(),
                    reason: "the fix does not resolve its finding (after it, the rule asks for the same edit again): not applied, the other fixes are made without it".to_owned(),
                    cause: DropCause::NotIdempotent,
                });
                restarts += 1;
                continue 'attempt;
            }
            if fixable.is_empty() {
                outcome.remaining = diagnostics;
                outcome.converged = true;
                break;
            }
            let fixes: Vec<&Fix> = fixable.iter().filter_map(|d| d.fix.as_ref()).collect();
            let selection = select_fixes(&fixes);
            let taken: Vec<&Diagnostic> = selection.taken.iter().map(|&i| fixable[i]).collect();
            let accepted = accept_fixes(&taken, &current, &kinds, &mut outcome, &mut refused);
            let mut changed: BTreeMap<PathBuf, BTreeSet<&'static str>> = BTreeMap::new();
            last_pass = offered.into_iter().map(|(k, n)| (k, (n, 0))).collect();
            if !accepted.is_empty() {
                let accepted_fixes: Vec<&Fix> = accepted.iter().filter_map(|d| d.fix.as_ref()).collect();
                let edits = select_fixes(&accepted_fixes).edits;
                for d in &accepted {
                    *outcome.applied.entry(d.code).or_default() += 1;
                    if let Some(entry) = last_pass.get_mut(&fix_key(d)) {
                        entry.1 += 1;
                    }
                    for file in d.fix.iter().flat_map(Fix::files) {
                        changed.entry(file.to_path_buf()).or_default().insert(d.code);
                    }
                }
                // A fix whose edits another fix makes too is done once that one applies.
                for &i in &selection.duplicates {
                    let d = fixable[i];
                    if d.fix.iter().flat_map(|f| &f.edits).all(|e| edits.get(&e.file).is_some_and(|es| es.contains(e))) {
                        *outcome.applied.entry(d.code).or_default() += 1;
                        if let Some(entry) = last_pass.get_mut(&fix_key(d)) {
                            entry.1 += 1;
                        }
                    }
                }
                for (path, edits) in &edits {
                    if let Some(text) = current.get_mut(path) {
                        *text = match endings.get_mut(path) {
                            Some(e) => e.apply(text, edits),
                            None => apply_edits(text, edits).0,
                        };
                    }
                }
                project = build(&current);
            }
            changed_by.push(changed);
            if !accepted.is_empty()
                && let Some(first) = seen.insert(state_hash(&current), pass + 1)
            {
                // Back to a text seen before: the fixes since then undo each other.
                cycle_from = Some(first);
                break;
            }
        }
        if !outcome.converged {
            // The rules that changed files in the cycle, or else in the last passes.
            let from = cycle_from.unwrap_or(changed_by.len().saturating_sub(2));
            let mut by_file: BTreeMap<PathBuf, BTreeSet<&'static str>> = BTreeMap::new();
            for pass in changed_by.iter().skip(from) {
                for (file, codes) in pass {
                    by_file.entry(file.clone()).or_default().extend(codes);
                }
            }
            outcome.oscillating = by_file.into_iter().map(|(file, codes)| Oscillation { file, codes: codes.into_iter().collect(), cycle: cycle_from.is_some() }).collect();
        }
        break (current, endings, project);
    };
    if !outcome.converged {
        outcome.remaining = lint(&project).0;
    }
    let changed: BTreeMap<PathBuf, String> = current
        .iter()
        .filter(|(p, t)| normalized.get(*p) != Some(*t))
        .map(|(p, t)| {
            let text = endings.get(p).map_or_else(|| t.clone(), |e| e.restore(t));
            (p.clone(), text)
        })
        .collect();
    if normalized != originals {
        // The findings left, at the offsets of the texts as written.
        let mut texts = originals.clone();
        texts.extend(changed.clone());
        outcome.remaining = lint(&build(&texts)).0;
    }
    outcome.changed = changed;
    outcome
}

/// Whether the program that reads a kind of file ends a line at a lone `\r`: Python's
/// tokenizer and YAML do; Docker, nginx (where it is blank, and a comment runs on to
/// the `\n`), shells and Procfile readers do not.
fn lone_cr_is_a_line_break(kind: FileKind) -> bool {
    matches!(kind, FileKind::DjangoSettings | FileKind::GunicornConfig | FileKind::Python | FileKind::Compose)
}

fn program(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Dockerfile => "Docker",
        FileKind::Nginx => "nginx",
        FileKind::Shell => "the shell",
        _ => "the program that reads it",
    }
}

fn state_hash(texts: &BTreeMap<PathBuf, String>) -> u64 {
    let mut h = DefaultHasher::new();
    texts.hash(&mut h);
    h.finish()
}

fn key(d: &Diagnostic) -> Key {
    (d.code.to_string(), d.file.clone(), d.fix.as_ref().map(|f| f.title.clone()).unwrap_or_default())
}

/// Keep the fixes that leave no new parse error; a file whose fixes together break it is
/// retried fix by fix, so one bad fix doesn't block the others.
fn accept_fixes<'d>(
    taken: &[&'d Diagnostic],
    current: &BTreeMap<PathBuf, String>,
    kinds: &BTreeMap<PathBuf, FileKind>,
    outcome: &mut FixOutcome,
    refused: &mut HashSet<Key>,
) -> Vec<&'d Diagnostic> {
    let breaks = |fixes: &[&Diagnostic]| -> Option<PathBuf> {
        let all: Vec<&Fix> = fixes.iter().filter_map(|d| d.fix.as_ref()).collect();
        for (path, edits) in select_fixes(&all).edits {
            let (Some(text), Some(kind)) = (current.get(&path), kinds.get(&path)) else { continue };
            let before = syntax_errors(&parse(*kind, text)).len();
            let after = syntax_errors(&parse(*kind, &apply_edits(text, &edits).0)).len();
            if after > before {
                return Some(path);
            }
        }
        None
    };
    if breaks(taken).is_none() {
        return taken.to_vec();
    }
    let mut accepted: Vec<&Diagnostic> = Vec::new();
    for d in taken {
        let mut trial = accepted.clone();
        trial.push(d);
        match breaks(&trial) {
            None => accepted = trial,
            Some(path) => {
                refused.insert(key(d));
                outcome.dropped.push(DroppedFix {
                    diagnostic: (*d).clone(),
                    reason: format!("the fix would leave a parse error in {}", path.display()),
                    cause: DropCause::NewParseError,
                });
            }
        }
    }
    accepted
}

/// Take the fix off every finding whose fix edits a file that gets no fixes (parse
/// errors, a template); the finding stays, its help says why ("...; not fixed: ..."). Returns the fixes taken off.
pub(crate) fn withhold_fixes(project: &Project, diagnostics: &mut [Diagnostic]) -> Vec<DroppedFix> {
    let mut reasons: HashMap<PathBuf, Option<(DropCause, String)>> = HashMap::new();
    let mut dropped = Vec::new();
    for d in diagnostics.iter_mut() {
        let Some(fix) = &d.fix else { continue };
        let why = fix.files().into_iter().find_map(|path| {
            reasons.entry(path.to_path_buf()).or_insert_with(|| project.file(path).and_then(|f| no_fix_reason(project, f))).clone()
        });
        let Some((cause, reason)) = why else { continue };
        let Some(fix) = d.fix.take() else { continue };
        let help = d.help.take().unwrap_or_else(|| fix.title.clone());
        d.help = Some(format!("{help}; not fixed: {reason}"));
        let mut original = d.clone();
        original.fix = Some(fix);
        dropped.push(DroppedFix { diagnostic: original, reason: format!("{reason}: no fix is applied to it"), cause });
    }
    dropped
}

/// Why a file gets no fixes, if it does not.
fn no_fix_reason(project: &Project, file: &SourceFile) -> Option<(DropCause, String)> {
    let shown = file.path.strip_prefix(&project.root).unwrap_or(&file.path).display().to_string();
    if let Some(what) = template_kind(file) {
        return Some((DropCause::Template, format!("`{shown}` is {what}")));
    }
    if line_endings::has_lone_cr(&file.text) && !lone_cr_is_a_line_break(file.kind) {
        return Some((DropCause::CrLineEndings, format!("`{shown}` ends lines with a lone `\\r`, which {} does not read as a line break", program(file.kind))));
    }
    if !file.syntax_errors().is_empty() {
        return Some((DropCause::ParseErrors, format!("`{shown}` has parse errors")));
    }
    None
}

/// Whether a file is a template the program never reads as is: "a Jinja template", ...
pub fn template_kind(file: &SourceFile) -> Option<String> {
    let name = file.path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    for (ext, what) in [(".j2", "a Jinja template"), (".jinja", "a Jinja template"), (".jinja2", "a Jinja template"), (".tmpl", "a `.tmpl` template"), (".tpl", "a `.tpl` template"), (".template", "a `.template` template"), (".erb", "an ERB template"), (".mustache", "a Mustache template")] {
        if name.ends_with(ext) {
            return Some(what.to_owned());
        }
    }
    let jinja = || Some("a Jinja template".to_owned());
    // The model parsed a template's skeleton (tags blanked): the file on disk is not Python.
    if file.template.is_some() {
        return jinja();
    }
    if let Some(module) = file.python() {
        return if module.is_template() { jinja() } else { None };
    }
    let text = file.text.as_str();
    if has_pair(text, "{%", "%}") {
        return jinja();
    }
    let jinja_expr = text.lines().any(|line| {
        // `{{ ... }}` outside single quotes (a Dockerfile's `docker inspect -f '{{.Id}}'`).
        let mut quoted = false;
        let mut prev = ' ';
        for (i, c) in line.char_indices() {
            if c == '\'' {
                quoted = !quoted;
            } else if !quoted && prev == '{' && c == '{' && line.get(i + 1..).is_some_and(|rest| rest.contains("}}")) {
                return true;
            }
            prev = c;
        }
        false
    });
    if jinja_expr {
        return jinja();
    }
    // envsubst: nginx has no upper-case variables of its own.
    if file.kind == FileKind::Nginx
        && let Some(var) = envsubst_var(text)
    {
        return Some(format!("an envsubst template (`${{{var}}}` is not an nginx variable)"));
    }
    None
}

fn has_pair(text: &str, open: &str, close: &str) -> bool {
    text.find(open).is_some_and(|i| text.get(i + open.len()..).is_some_and(|rest| rest.contains(close)))
}

/// The first `${UPPER_CASE}` name in the text.
fn envsubst_var(text: &str) -> Option<&str> {
    text.match_indices("${").find_map(|(i, _)| {
        let rest = text.get(i + 2..)?;
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let name = rest.get(..len)?;
        let upper = name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        (upper && rest.get(len..)?.starts_with('}')).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use stacklint_diagnostics::{Edit, Severity, TextRange};

    use super::*;
    use crate::rules::{docker, gunicorn};
    use crate::{Checker, Family, FixAvailability, Rule, Scope, declare_rule};

    fn fix(files: &[(&str, &str)], rules: &[&'static Rule], mode: FixMode) -> FixOutcome {
        let files = files.iter().map(|(p, t)| (PathBuf::from(p), FileKind::from_path(Path::new(p)).unwrap_or(FileKind::Python), (*t).to_string())).collect();
        fix_project(&ProjectOptions::default(), files, &LinterSettings::only(rules), mode)
    }

    const CMD_RULES: &[&Rule] = &[
        &docker::dkr002_shell_form_cmd::RULE,
        &gunicorn::gun001_workers_below_cpu_recommendation::RULE,
        &gunicorn::gun002_missing_max_requests::RULE,
        &gunicorn::gun007_worker_tmp_dir_on_disk::RULE,
    ];

    /// DKR002 rewrites `CMD gunicorn app.wsgi` to exec form while the gunicorn rules insert
    /// flags at its end: the insertions touch the rewrite, so they wait a pass and are
    /// recomputed inside the JSON array.
    #[test]
    fn touching_fixes_wait_for_the_next_pass() {
        let out = fix(&[("Dockerfile", "FROM python:3.12\nCMD gunicorn app.wsgi\n")], CMD_RULES, FixMode::Unsafe);
        assert!(out.converged, "{:?}", out.oscillating);
        let text = &out.changed[Path::new("Dockerfile")];
        let cmd = text.lines().find_map(|l| l.strip_prefix("CMD ")).unwrap();
        assert!(cmd.starts_with('[') && cmd.ends_with(']'), "{text}");
        for word in ["\"gunicorn\"", "\"app.wsgi\"", "\"--max-requests\"", "\"--worker-tmp-dir\"", "\"/dev/shm\""] {
            assert!(cmd.contains(word), "{word} missing from {cmd}");
        }
        assert_eq!(out.applied.values().sum::<usize>(), 4, "{:?}", out.applied);
        // Applying the result again changes nothing.
        let again = fix(&[("Dockerfile", text)], CMD_RULES, FixMode::Unsafe);
        assert!(again.changed.is_empty(), "{:?}", again.changed);
    }

    #[test]
    fn no_fix_on_a_file_with_parse_errors() {
        let text = "FROM python:3.12\nCMD gunicorn app.wsgi\nRUN <<EOF\n";
        let out = fix(&[("Dockerfile", text)], CMD_RULES, FixMode::Unsafe);
        assert!(out.changed.is_empty(), "{:?}", out.changed);
        assert!(out.dropped.iter().any(|d| d.cause == DropCause::ParseErrors && d.reason.contains("`Dockerfile` has parse errors")), "{:?}", out.dropped);
        // The findings stay, without a fix, and say why.
        let gun001 = out.remaining.iter().find(|d| d.code == "GUN001").unwrap();
        assert!(gun001.fix.is_none());
        assert!(gun001.help.as_deref().unwrap().ends_with("; not fixed: `Dockerfile` has parse errors"), "{:?}", gun001.help);
    }

    #[test]
    fn no_fix_on_a_template() {
        let jinja = "FROM python:3.12\nCMD gunicorn {{ app }}.wsgi\n";
        let out = fix(&[("Dockerfile", jinja)], CMD_RULES, FixMode::Unsafe);
        assert!(out.changed.is_empty(), "{:?}", out.changed);
        assert!(out.dropped.iter().all(|d| d.cause == DropCause::Template), "{:?}", out.dropped);
        let nginx = "events {}\nhttp { upstream app { server ${APP_HOST}:8000; } server { listen 80; location / { proxy_pass http://app; } } }\n";
        let rules: Vec<&'static Rule> = crate::RULES.iter().copied().filter(|r| r.family == Family::Nginx).collect();
        let out = fix(&[("nginx.conf", nginx)], &rules, FixMode::Unsafe);
        assert!(out.changed.is_empty(), "{:?}", out.changed);
        assert!(out.dropped.iter().any(|d| d.reason.contains("is an envsubst template (`${APP_HOST}` is not an nginx variable)")), "{:?}", out.dropped);
        let jinja = "events {}\nhttp {\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://{{ app_host }}:{{ app_port }};\n        }\n    }\n}\n";
        let out = fix(&[("nginx.conf", jinja)], &rules, FixMode::Unsafe);
        assert!(out.changed.is_empty(), "{:?}", out.changed);
        assert!(out.dropped.iter().any(|d| d.reason == "`nginx.conf` is a Jinja template: no fix is applied to it"), "{:?}", out.dropped);
        // Go templates quoted in a shell command are not a template of the Dockerfile.
        let inspect = "FROM python:3.12\nRUN docker inspect -f '{{.Id}}' x\nCMD gunicorn app.wsgi\n";
        assert!(!fix(&[("Dockerfile", inspect)], CMD_RULES, FixMode::Unsafe).changed.is_empty());
    }

    const CONF_RULES: &[&Rule] = &[&gunicorn::gun002_missing_max_requests::RULE, &gunicorn::gun003_max_requests_without_jitter::RULE];

    /// Untouched lines keep their endings, added ones take their neighbour's; a BOM stays
    /// and shifts no edit; a CR-only Python file loses no line.
    #[test]
    fn line_endings_are_exact() {
        let crlf = fix(&[("gunicorn.conf.py", "workers = 9\r\nmax_requests = 1000\r\n")], CONF_RULES, FixMode::Safe);
        assert_eq!(crlf.changed[Path::new("gunicorn.conf.py")], "workers = 9\r\nmax_requests = 1000\r\nmax_requests_jitter = 50\r\n");
        let cr = fix(&[("gunicorn.conf.py", "import os\rworkers = 9\rbind = \"0.0.0.0:8000\"\rmax_requests = 1000\r")], CONF_RULES, FixMode::Safe);
        assert_eq!(cr.changed[Path::new("gunicorn.conf.py")], "import os\rworkers = 9\rbind = \"0.0.0.0:8000\"\rmax_requests = 1000\rmax_requests_jitter = 50\r");
        let mixed = "FROM python:3.12\r\nRUN pip install x\nCMD gunicorn app.wsgi\r\n";
        let out = fix(&[("Dockerfile", mixed)], &[&docker::dkr002_shell_form_cmd::RULE, &docker::dkr004_python_output_buffered::RULE], FixMode::Safe);
        assert_eq!(out.changed[Path::new("Dockerfile")], "FROM python:3.12\r\nENV PYTHONUNBUFFERED=1\r\nRUN pip install x\nCMD [\"gunicorn\", \"app.wsgi\"]\r\n");
        let bom = fix(&[("gunicorn.conf.py", "\u{feff}workers = 9\nmax_requests = 1000\n")], CONF_RULES, FixMode::Safe);
        assert_eq!(bom.changed[Path::new("gunicorn.conf.py")], "\u{feff}workers = 9\nmax_requests = 1000\nmax_requests_jitter = 50\n");
        // The findings left point into the text as written.
        let left = fix(&[("Dockerfile", "FROM python:3.12\r\nCMD gunicorn app.wsgi\r\n")], &[&docker::dkr003_runs_as_root::RULE], FixMode::Safe);
        assert!(left.remaining.iter().all(|d| d.range.end() <= "FROM python:3.12\r\nCMD gunicorn app.wsgi\r\n".len()));
    }

    /// Docker and nginx do not end a line at a lone `\r`: such a file gets no fix.
    #[test]
    fn cr_only_dockerfile_and_nginx_get_no_fix() {
        let out = fix(&[("Dockerfile", "FROM python:3.12\rCMD gunicorn app.wsgi\r")], CMD_RULES, FixMode::Unsafe);
        assert!(out.changed.is_empty(), "{:?}", out.changed);
        let nginx = "events {}\rhttp { server { listen 80; location / { proxy_pass http://127.0.0.1:8000; } } }\r";
        let rules: Vec<&'static Rule> = crate::RULES.iter().copied().filter(|r| r.family == Family::Nginx).collect();
        let out = fix(&[("nginx.conf", nginx)], &rules, FixMode::Unsafe);
        assert!(out.changed.is_empty(), "{:?}", out.changed);
        assert!(out.dropped.iter().any(|d| d.cause == DropCause::CrLineEndings && d.reason.contains("which nginx does not read as a line break")), "{:?}", out.dropped);
    }

    declare_rule! {
        /// ## What it does
        /// Flips `a` to `b` and `b` to `a`, forever.
        ///
        /// ## Why is this bad?
        /// It never converges.
        static FLIP = {
            code: "SYN998", name: "flip", family: Family::Syntax, scope: Scope::File,
            severity: Severity::Info, fix: FixAvailability::Safe, check: flip,
        }
    }

    fn flip(cx: &mut Checker) {
        for file in cx.files() {
            let (from, to) = if file.text.starts_with('a') { ("a", "b") } else { ("b", "a") };
            let d = cx.diagnostic(&file.path, TextRange::new(0, 1), format!("`{from}`"));
            let d = d.with_fix(Fix::safe(format!("Write `{to}`"), vec![Edit::replace(file.path.clone(), TextRange::new(0, 1), to)]));
            cx.report(d);
        }
    }

    #[test]
    fn non_convergence_names_the_rule_and_file() {
        let files = vec![(PathBuf::from("app.py"), FileKind::Python, "a\n".to_string())];
        let out = fix_with(&ProjectOptions::default(), files, FixMode::Safe, &|project| {
            let mut cx = Checker::new(project, &FLIP);
            flip(&mut cx);
            (cx.finish(), Vec::new())
        });
        assert!(!out.converged, "{:?} {:?} {:?}", out.applied, out.remaining, out.dropped);
        assert_eq!(out.oscillating, vec![Oscillation { file: PathBuf::from("app.py"), codes: vec!["SYN998"], cycle: true }]);
        assert_eq!(out.oscillating[0].to_string(), "fixes did not converge in app.py: `SYN998` kept changing it (their fixes undo each other)");
    }

    declare_rule! {
        /// ## What it does
        /// Asks for `# done` at the end of every file, and never sees it.
        ///
        /// ## Why is this bad?
        /// Its fix does not fix.
        static NEVER = {
            code: "SYN996", name: "never", family: Family::Syntax, scope: Scope::File,
            severity: Severity::Info, fix: FixAvailability::Safe, check: never,
        }
    }

    fn never(cx: &mut Checker) {
        for file in cx.files() {
            let d = cx.diagnostic(&file.path, TextRange::empty(0), "no `# done`");
            let d = d.with_fix(Fix::safe("Add `# done`", vec![Edit::insert(file.path.clone(), file.text.len(), "# done\n")]));
            cx.report(d);
        }
    }

    /// A fix after which its rule asks for the same edit again is a bug: the run starts
    /// over without it (the file is not grown 32 times) and says so; other fixes still apply.
    #[test]
    fn a_fix_that_does_not_fix_is_dropped() {
        let files = vec![(PathBuf::from("Dockerfile"), FileKind::Dockerfile, "FROM python:3.12\nCMD gunicorn app.wsgi\n".to_string())];
        let out = fix_with(&ProjectOptions::default(), files, FixMode::Safe, &|project| {
            let mut cx = Checker::new(project, &NEVER);
            never(&mut cx);
            let mut diagnostics = cx.finish();
            let mut cx = Checker::new(project, &docker::dkr002_shell_form_cmd::RULE);
            (docker::dkr002_shell_form_cmd::RULE.check)(&mut cx);
            diagnostics.extend(cx.finish());
            (diagnostics, Vec::new())
        });
        assert!(out.converged);
        assert_eq!(out.changed[Path::new("Dockerfile")], "FROM python:3.12\nCMD [\"gunicorn\", \"app.wsgi\"]\n");
        assert_eq!(out.applied, BTreeMap::from([("DKR002", 1)]));
        assert!(out.dropped.iter().any(|d| d.cause == DropCause::NotIdempotent && d.diagnostic.code == "SYN996"), "{:?}", out.dropped);
    }

    fn grow(cx: &mut Checker) {
        for file in cx.files() {
            let d = cx.diagnostic(&file.path, TextRange::empty(0), "too short");
            let line = format!("# {}\n", file.text.len());
            let d = d.with_fix(Fix::safe("Grow", vec![Edit::insert(file.path.clone(), file.text.len(), line)]));
            cx.report(d);
        }
    }

    #[test]
    fn the_pass_limit_is_reported() {
        let files = vec![(PathBuf::from("app.py"), FileKind::Python, String::new())];
        let out = fix_with(&ProjectOptions::default(), files, FixMode::Safe, &|project| {
            let mut cx = Checker::new(project, &FLIP);
            grow(&mut cx);
            (cx.finish(), Vec::new())
        });
        assert!(!out.converged);
        assert_eq!(out.applied_count(), MAX_PASSES);
        assert_eq!(out.oscillating[0].to_string(), format!("fixes did not converge in app.py: `SYN998` kept changing it (it was still changing after {MAX_PASSES} passes)"));
    }
}
