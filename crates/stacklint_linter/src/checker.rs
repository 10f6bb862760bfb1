//! What a rule's check sees and how it reports.

use std::path::Path;

use stacklint_diagnostics::{Applicability, Diagnostic, TextRange};
use stacklint_project::{Project, SourceFile};

use crate::rule::{FixAvailability, Rule};

/// The context of one rule's run over the project.
pub struct Checker<'a> {
    project: &'a Project,
    rule: &'static Rule,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(project: &'a Project, rule: &'static Rule) -> Self {
        Self { project, rule, diagnostics: Vec::new() }
    }

    pub fn project(&self) -> &'a Project {
        self.project
    }

    pub fn rule(&self) -> &'static Rule {
        self.rule
    }

    /// The project's files, in discovery order.
    pub fn files(&self) -> impl Iterator<Item = &'a SourceFile> + Clone + use<'a> {
        self.project.files.iter().map(AsRef::as_ref)
    }

    /// A new finding of this rule (not yet reported: add a fix or help, then [`Checker::report`]).
    pub fn diagnostic(&self, file: &Path, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: self.rule.code,
            name: self.rule.name,
            severity: self.rule.severity,
            message: house_style(message.into()),
            file: file.to_path_buf(),
            range,
            help: None,
            fix: None,
            related: Vec::new(),
        }
    }

    /// Report a finding. A fix beyond what the rule declares (`fix: FixAvailability::...`)
    /// is downgraded to it (a debug build panics: the rule or its declaration is wrong).
    pub fn report(&mut self, mut diagnostic: Diagnostic) {
        let exceeded = enforce_declared(self.rule, &mut diagnostic);
        debug_assert!(!exceeded, "{}: reported a fix beyond its declared `{}`", self.rule.code, self.rule.fix.as_str());
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// The most a rule declared with `fix` may offer (`None`: no fix at all).
pub fn max_applicability(fix: FixAvailability) -> Option<Applicability> {
    match fix {
        FixAvailability::None => None,
        FixAvailability::Unsafe => Some(Applicability::Unsafe),
        FixAvailability::Safe | FixAvailability::Sometimes => Some(Applicability::Safe),
    }
}

/// Hold a finding's fix to its rule's declaration: a safer fix than declared becomes the
/// declared kind, a fix from a rule declared without one is removed. Returns whether the
/// fix exceeded the declaration.
pub fn enforce_declared(rule: &Rule, diagnostic: &mut Diagnostic) -> bool {
    let Some(fix) = &mut diagnostic.fix else { return false };
    match max_applicability(rule.fix) {
        None => {
            diagnostic.fix = None;
            true
        }
        Some(max) if fix.applicability > max => {
            fix.applicability = max;
            true
        }
        Some(_) => false,
    }
}

/// Messages read the same whatever rule wrote them: a capital first letter, no trailing period.
fn house_style(mut message: String) -> String {
    if let Some(first) = message.chars().next()
        && first.is_ascii_lowercase()
    {
        message.replace_range(..1, &first.to_ascii_uppercase().to_string());
    }
    while message.ends_with('.') && !message.ends_with("..") {
        message.pop();
    }
    message
}

#[cfg(test)]
mod tests {
    use stacklint_diagnostics::{Edit, Fix, Severity};

    use super::*;
    use crate::{Family, Scope};

    fn rule(fix: FixAvailability) -> Rule {
        Rule { code: "SYN997", name: "test", family: Family::Syntax, scope: Scope::File, severity: Severity::Info, fix, doc: "", check: |_| {} }
    }

    fn finding(fix: Fix) -> Diagnostic {
        Diagnostic { code: "SYN997", name: "test", severity: Severity::Info, message: String::new(), file: "f".into(), range: TextRange::empty(0), help: None, fix: Some(fix), related: Vec::new() }
    }

    #[test]
    fn fixes_are_held_to_the_declaration() {
        let safe = || Fix::safe("x", vec![Edit::insert("f", 0, "x")]);
        let mut d = finding(safe());
        assert!(enforce_declared(&rule(FixAvailability::Unsafe), &mut d));
        assert_eq!(d.fix.as_ref().map(|f| f.applicability), Some(Applicability::Unsafe));
        let mut d = finding(safe());
        assert!(enforce_declared(&rule(FixAvailability::None), &mut d));
        assert!(d.fix.is_none());
        for ok in [FixAvailability::Safe, FixAvailability::Sometimes] {
            let mut d = finding(safe());
            assert!(!enforce_declared(&rule(ok), &mut d));
            assert_eq!(d.fix, Some(safe()));
        }
        let mut d = finding(Fix::unsafe_("x", Vec::new()));
        assert!(!enforce_declared(&rule(FixAvailability::Safe), &mut d));
    }

    #[test]
    fn house_style_applies() {
        assert_eq!(super::house_style("no `max_requests`.".into()), "No `max_requests`");
        assert_eq!(super::house_style("`COPY . /app` copies".into()), "`COPY . /app` copies");
        assert_eq!(super::house_style("Wait...".into()), "Wait...");
    }
}
