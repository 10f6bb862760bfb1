use stacklint_diagnostics::Severity;

use crate::{Checker, Family, FixAvailability, Scope, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a file stacklint was asked to lint but could not read or decode: a binary
    /// file, invalid UTF-8, a permission error, or a file too large to lint.
    ///
    /// ## Why is this bad?
    /// Nothing in that file was checked. Every other file is still linted, and the run
    /// exits with code 2 so CI notices.
    ///
    /// The reader reports this finding, not a check over parsed files, so it has no example.
    pub static RULE = {
        code: "SYN004",
        name: "unreadable-file",
        family: Family::Syntax,
        scope: Scope::File,
        severity: Severity::Error,
        fix: FixAvailability::None,
        check: check,
    }
}

/// The file reader reports these (a file that can't be read has no model to check).
fn check(_cx: &mut Checker) {}
