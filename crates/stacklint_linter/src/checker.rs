//! What a rule's check sees and how it reports.

use std::path::Path;

use stacklint_diagnostics::{Diagnostic, TextRange};
use stacklint_project::{Project, SourceFile};

use crate::rule::Rule;

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
    pub fn files(&self) -> std::slice::Iter<'a, SourceFile> {
        self.project.files.iter()
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

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        self.diagnostics
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
    #[test]
    fn house_style() {
        assert_eq!(super::house_style("no `max_requests`.".into()), "No `max_requests`");
        assert_eq!(super::house_style("`COPY . /app` copies".into()), "`COPY . /app` copies");
        assert_eq!(super::house_style("Wait...".into()), "Wait...");
    }
}
