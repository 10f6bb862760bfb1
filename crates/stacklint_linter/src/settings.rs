//! Which rules run, at which severity, where they are ignored.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use globset::{Glob, GlobMatcher};
use stacklint_diagnostics::Severity;

use crate::registry::{RULES, select_rules};
use crate::rule::Rule;

/// A selector (code, name or prefix) that matches no rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    pub selector: String,
    pub suggestion: Option<&'static str>,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown rule selector `{}`", self.selector)?;
        match self.suggestion {
            Some(s) => write!(f, "; did you mean `{s}`?"),
            None => write!(f, "; a selector is a rule code (`GUN001`), name (`missing-max-requests`), code prefix (`GUN`, `NGX0`) or `ALL` (`stacklint rule --all` lists the rules)"),
        }
    }
}

impl std::error::Error for SelectorError {}

/// `per-file-ignores`: a glob (relative to the project root) and the rules it ignores.
#[derive(Clone, Debug)]
pub struct PerFileIgnore {
    pub glob: GlobMatcher,
    pub codes: Vec<&'static str>,
}

/// Resolved linter settings.
#[derive(Clone, Debug)]
pub struct LinterSettings {
    enabled: Vec<bool>,
    severity: HashMap<&'static str, Severity>,
    per_file_ignores: Vec<PerFileIgnore>,
}

impl Default for LinterSettings {
    /// Every rule, at its default severity.
    fn default() -> Self {
        Self { enabled: vec![true; RULES.len()], severity: HashMap::new(), per_file_ignores: Vec::new() }
    }
}

impl LinterSettings {
    /// `select` replaces the default (all rules); `extend-select` adds; `ignore` removes.
    pub fn from_selectors(select: Option<&[String]>, extend_select: &[String], ignore: &[String]) -> Result<Self, SelectorError> {
        let mut enabled = match select {
            Some(sel) => {
                let mut e = vec![false; RULES.len()];
                for s in sel {
                    mark(&mut e, s, true)?;
                }
                e
            }
            None => vec![true; RULES.len()],
        };
        for s in extend_select {
            mark(&mut enabled, s, true)?;
        }
        for s in ignore {
            mark(&mut enabled, s, false)?;
        }
        Ok(Self { enabled, ..Self::default() })
    }

    /// Only the given rules (tests, fixtures).
    pub fn only(rules: &[&'static Rule]) -> Self {
        let enabled = RULES.iter().map(|r| rules.iter().any(|x| std::ptr::eq(*x, *r))).collect();
        Self { enabled, ..Self::default() }
    }

    pub fn set_severity(&mut self, selector: &str, severity: Severity) -> Result<(), SelectorError> {
        let rules = select_rules(selector).map_err(|suggestion| SelectorError { selector: selector.to_string(), suggestion })?;
        for r in rules {
            self.severity.insert(r.code, severity);
        }
        Ok(())
    }

    pub fn add_per_file_ignore(&mut self, glob: &str, selectors: &[String]) -> Result<(), String> {
        let glob = Glob::new(glob).map_err(|e| format!("invalid glob `{glob}`: {e}"))?.compile_matcher();
        let mut codes = Vec::new();
        for s in selectors {
            let rules = select_rules(s).map_err(|suggestion| SelectorError { selector: s.clone(), suggestion }.to_string())?;
            codes.extend(rules.into_iter().map(|r| r.code));
        }
        self.per_file_ignores.push(PerFileIgnore { glob, codes });
        Ok(())
    }

    pub fn rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        RULES.iter().zip(&self.enabled).filter(|(_, on)| **on).map(|(r, _)| *r)
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        RULES.iter().zip(&self.enabled).any(|(r, on)| *on && r.code == code)
    }

    pub fn severity_override(&self, code: &str) -> Option<Severity> {
        self.severity.get(code).copied()
    }

    pub(crate) fn is_ignored_for_file(&self, code: &str, file: &Path, root: &Path) -> bool {
        if self.per_file_ignores.is_empty() {
            return false;
        }
        let rel = file.strip_prefix(root).unwrap_or(file);
        self.per_file_ignores.iter().any(|p| p.codes.contains(&code) && (p.glob.is_match(rel) || p.glob.is_match(file)))
    }
}

fn mark(enabled: &mut [bool], selector: &str, on: bool) -> Result<(), SelectorError> {
    let rules = select_rules(selector).map_err(|suggestion| SelectorError { selector: selector.to_string(), suggestion })?;
    for (r, e) in RULES.iter().zip(enabled.iter_mut()) {
        if rules.iter().any(|x| std::ptr::eq(*x, *r)) {
            *e = on;
        }
    }
    Ok(())
}
