//! The linter: rules, their registry, suppression comments, linting a project and fixing
//! it to a fixpoint. No IO: the caller reads files and writes the fixed texts.
//!
//! ```
//! use stacklint_linter::{LinterSettings, lint_sources};
//!
//! let diagnostics = lint_sources(&[("gunicorn.conf.py", "workers = (2 *\n")], &LinterSettings::default());
//! assert!(diagnostics.iter().any(|d| d.name == "parse-error"));
//! ```

mod checker;
mod fix;
mod registry;
mod rule;
pub mod rules;
mod settings;
mod suppression;

pub use checker::{Checker, enforce_declared, max_applicability};
pub use fix::{DropCause, DroppedFix, FixMode, FixOutcome, MAX_PASSES, Oscillation, fix_project, template_kind};
pub use registry::{RULES, rule_by_code, rule_by_code_or_name, select_rules};
pub use rule::{Family, FixAvailability, Rule, Scope};
pub use settings::{LinterSettings, PerFileIgnore, SelectorError};
pub use suppression::{Suppression, SuppressionScope, parse_suppressions};

use std::path::Path;

use rayon::prelude::*;
use stacklint_diagnostics::Diagnostic;
use stacklint_project::{Project, ProjectOptions};

/// Lint a whole project: every selected rule, then suppression comments, per-file ignores
/// and severity overrides. Sorted by file and position. A finding whose fix edits a file
/// that gets no fixes (parse errors, a template) keeps no fix; its help says why.
pub fn lint(project: &Project, settings: &LinterSettings) -> Vec<Diagnostic> {
    lint_with_withheld(project, settings).0
}

/// [`lint`], and the fixes it withheld.
pub(crate) fn lint_with_withheld(project: &Project, settings: &LinterSettings) -> (Vec<Diagnostic>, Vec<DroppedFix>) {
    let rules: Vec<&'static Rule> = settings.rules().collect();
    let mut diagnostics: Vec<Diagnostic> = rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut checker = Checker::new(project, rule);
            (rule.check)(&mut checker);
            checker.finish()
        })
        .collect();
    diagnostics.retain(|d| !settings.is_ignored_for_file(d.code, &d.file, &project.root));
    let mut diagnostics = suppression::apply(project, diagnostics, settings);
    for d in &mut diagnostics {
        if let Some(sev) = settings.severity_override(d.code) {
            d.severity = sev;
        }
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| a.code == b.code && a.file == b.file && a.range == b.range && a.message == b.message);
    let withheld = fix::withhold_fixes(project, &mut diagnostics);
    (diagnostics, withheld)
}

/// Lint in-memory files (kinds guessed from their paths) with default options.
pub fn lint_sources(sources: &[(&str, &str)], settings: &LinterSettings) -> Vec<Diagnostic> {
    let project = Project::from_sources(ProjectOptions::default(), sources);
    lint(&project, settings)
}

/// Only the diagnostics of one file.
pub fn diagnostics_for<'a>(diagnostics: &'a [Diagnostic], file: &'a Path) -> impl Iterator<Item = &'a Diagnostic> + 'a {
    diagnostics.iter().filter(move |d| d.file == file)
}
