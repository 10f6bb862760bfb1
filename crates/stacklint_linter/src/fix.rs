//! Fix to a fixpoint: lint, apply non-overlapping fixes, re-parse, re-lint, repeat.
//!
//! In memory only; the caller writes the changed texts (atomically).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use stacklint_diagnostics::{Applicability, Diagnostic, Edit, Fix, apply_edits, select_non_overlapping};
use stacklint_project::{FileKind, Project, ProjectOptions, parse, syntax_errors};

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

/// A fix that was not applied because it would have left a new parse error.
#[derive(Clone, Debug)]
pub struct DroppedFix {
    pub diagnostic: Diagnostic,
    pub reason: String,
}

/// What fixing did.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// Every file whose text changed, with its new text.
    pub changed: BTreeMap<PathBuf, String>,
    /// How many fixes were applied, per rule code.
    pub applied: BTreeMap<&'static str, usize>,
    pub dropped: Vec<DroppedFix>,
    /// The findings left after the last pass.
    pub remaining: Vec<Diagnostic>,
    /// Whether the last pass found nothing more to fix (false: stopped at the pass limit).
    pub converged: bool,
}

impl FixOutcome {
    pub fn applied_count(&self) -> usize {
        self.applied.values().sum()
    }
}

const MAX_PASSES: usize = 10;

/// Fix a project given as files; the options are those the project was built with.
pub fn fix_project(options: &ProjectOptions, files: Vec<(PathBuf, FileKind, String)>, settings: &LinterSettings, mode: FixMode) -> FixOutcome {
    let originals: BTreeMap<PathBuf, String> = files.iter().map(|(p, _, t)| (p.clone(), t.clone())).collect();
    let kinds: BTreeMap<PathBuf, FileKind> = files.iter().map(|(p, k, _)| (p.clone(), *k)).collect();
    let mut current = originals.clone();
    let mut outcome = FixOutcome::default();
    let mut refused: HashSet<(String, PathBuf, String)> = HashSet::new();
    let build = |texts: &BTreeMap<PathBuf, String>| {
        let files = texts.iter().map(|(p, t)| (p.clone(), kinds.get(p).copied().unwrap_or(FileKind::Python), t.clone())).collect();
        Project::build(options.clone(), files)
    };
    let mut project = build(&current);
    for _ in 0..MAX_PASSES {
        let diagnostics = crate::lint(&project, settings);
        let fixable: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.fix.as_ref().is_some_and(|f| mode.allows(f.applicability) && f.edits.iter().all(|e| current.contains_key(&e.file))))
            .filter(|d| !refused.contains(&key(d)))
            .collect();
        if fixable.is_empty() {
            outcome.remaining = diagnostics;
            outcome.converged = true;
            break;
        }
        let fixes: Vec<&Fix> = fixable.iter().filter_map(|d| d.fix.as_ref()).collect();
        let (taken, _) = select_non_overlapping(fixes.iter().copied());
        let taken: Vec<&Diagnostic> = fixable.into_iter().filter(|d| d.fix.as_ref().is_some_and(|f| taken.iter().any(|t| std::ptr::eq(*t, f)))).collect();
        let accepted = accept_fixes(&taken, &current, &kinds, &mut outcome, &mut refused);
        if accepted.is_empty() {
            outcome.remaining = diagnostics;
            outcome.converged = true;
            break;
        }
        let mut by_file: BTreeMap<PathBuf, Vec<&Edit>> = BTreeMap::new();
        for d in &accepted {
            for e in d.fix.iter().flat_map(|f| &f.edits) {
                by_file.entry(e.file.clone()).or_default().push(e);
            }
            *outcome.applied.entry(d.code).or_default() += 1;
        }
        for (path, edits) in by_file {
            if let Some(text) = current.get_mut(&path) {
                *text = apply_edits(text, edits).0;
            }
        }
        project = build(&current);
    }
    if !outcome.converged {
        outcome.remaining = crate::lint(&project, settings);
    }
    outcome.changed = current.into_iter().filter(|(p, t)| originals.get(p) != Some(t)).collect();
    outcome
}

fn key(d: &Diagnostic) -> (String, PathBuf, String) {
    (d.code.to_string(), d.file.clone(), d.fix.as_ref().map(|f| f.title.clone()).unwrap_or_default())
}

/// Keep the fixes that leave no new parse error; a file whose fixes together break it is
/// retried fix by fix, so one bad fix doesn't block the others.
fn accept_fixes<'d>(
    taken: &[&'d Diagnostic],
    current: &BTreeMap<PathBuf, String>,
    kinds: &BTreeMap<PathBuf, FileKind>,
    outcome: &mut FixOutcome,
    refused: &mut HashSet<(String, PathBuf, String)>,
) -> Vec<&'d Diagnostic> {
    let breaks = |fixes: &[&Diagnostic]| -> Option<PathBuf> {
        let mut by_file: BTreeMap<&PathBuf, Vec<&Edit>> = BTreeMap::new();
        for d in fixes {
            for e in d.fix.iter().flat_map(|f| &f.edits) {
                by_file.entry(&e.file).or_default().push(e);
            }
        }
        for (path, edits) in by_file {
            let (Some(text), Some(kind)) = (current.get(path), kinds.get(path)) else { continue };
            let before = syntax_errors(&parse(*kind, text)).len();
            let after = syntax_errors(&parse(*kind, &apply_edits(text, edits).0)).len();
            if after > before {
                return Some(path.clone());
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
                });
            }
        }
    }
    accepted
}
