//! What a rule is: its metadata, declared once next to its check.

use stacklint_diagnostics::Severity;

use crate::checker::Checker;

/// The rule families, one per code prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Syntax,
    Gunicorn,
    DjangoSettings,
    Orm,
    Dockerfile,
    Nginx,
    Postgres,
    Redis,
    Compose,
}

impl Family {
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Syntax => "SYN",
            Family::Gunicorn => "GUN",
            Family::DjangoSettings => "DJS",
            Family::Orm => "ORM",
            Family::Dockerfile => "DKR",
            Family::Nginx => "NGX",
            Family::Postgres => "PGS",
            Family::Redis => "RDS",
            Family::Compose => "CMP",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::Syntax => "Syntax",
            Family::Gunicorn => "Gunicorn",
            Family::DjangoSettings => "Django settings",
            Family::Orm => "Django models and queries",
            Family::Dockerfile => "Dockerfile",
            Family::Nginx => "nginx",
            Family::Postgres => "PostgreSQL",
            Family::Redis => "Redis",
            Family::Compose => "Docker Compose",
        }
    }
}

/// Whether one file is enough (`File`) or the rule needs several (`Stack`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    File,
    /// A file rule that fires only on the production settings module and what it imports.
    FileProduction,
    Stack,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::File => "file",
            Scope::FileProduction => "file (production settings)",
            Scope::Stack => "stack",
        }
    }
}

/// Which fixes a rule can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Safe,
    Unsafe,
    /// Safe in some cases, unsafe in others (the message says which).
    Sometimes,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Safe => "safe",
            FixAvailability::Unsafe => "unsafe",
            FixAvailability::Sometimes => "safe or unsafe, depending on the case",
        }
    }
}

/// A rule: metadata plus its check. Declared with [`declare_rule!`](crate::declare_rule).
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub family: Family,
    pub scope: Scope,
    pub severity: Severity,
    pub fix: FixAvailability,
    /// The doc comment: "## What it does / ## Why is this bad? / ## Example / ## Use instead".
    pub doc: &'static str,
    pub check: fn(&mut Checker),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.code, self.name)
    }
}

impl Rule {
    /// The doc comment with the one leading space of each `///` line removed.
    pub fn documentation(&self) -> String {
        let mut out = String::new();
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The rule's page as markdown: title, metadata, then its doc comment. What
    /// `stacklint rule CODE` prints, what `rules/CODE.md` holds and what an editor shows on
    /// hover.
    pub fn markdown(&self) -> String {
        format!(
            "# {} ({})\n\nFamily: {} · Scope: {} · Default severity: {} · Fix: {}\n\n{}\n",
            self.name,
            self.code,
            self.family.title(),
            self.scope.as_str(),
            self.severity.as_str(),
            self.fix.as_str(),
            self.documentation().trim_end()
        )
    }

    /// Where the rule's page is published: `rules/CODE.md` in the repository.
    pub fn url(&self) -> String {
        format!("{}/blob/main/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), self.code)
    }

    /// The first sentence of "What it does": the rule's one-line summary.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let body = doc.split("## What it does").nth(1).unwrap_or(&doc);
        let para: Vec<&str> = body.lines().map(str::trim).skip_while(|l| l.is_empty()).take_while(|l| !l.is_empty() && !l.starts_with('#')).collect();
        let text = para.join(" ");
        match text.find(". ") {
            Some(i) => text[..=i].trim_end_matches('.').to_string(),
            None => text.trim_end_matches('.').to_string(),
        }
    }
}

/// Declare a rule: the doc comment becomes its documentation (and `rules/CODE.md`),
/// the fields its metadata.
///
/// ```
/// use stacklint_diagnostics::{Severity, TextRange};
/// use stacklint_linter::{Checker, Family, FixAvailability, LinterSettings, Scope, declare_rule};
///
/// declare_rule! {
///     /// ## What it does
///     /// Reports every Procfile. The first sentence is the summary.
///     ///
///     /// ## Why is this bad?
///     /// It is only an example.
///     pub static RULE = {
///         code: "SYN999", name: "every-procfile", family: Family::Syntax,
///         scope: Scope::File, severity: Severity::Info, fix: FixAvailability::None,
///         check: check,
///     }
/// }
///
/// fn check(cx: &mut Checker) {
///     for file in cx.files().filter(|f| f.path.ends_with("Procfile")) {
///         let d = cx.diagnostic(&file.path, TextRange::empty(0), "a Procfile");
///         cx.report(d);
///     }
/// }
///
/// assert_eq!(RULE.summary(), "Reports every Procfile");
/// assert!(RULE.documentation().starts_with("## What it does\nReports every Procfile."));
/// // A rule runs once it is listed in its family's `RULES` (the registry).
/// ```
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = { $($field:ident : $value:expr),* $(,)? }) => {
        $vis static $id: $crate::Rule = $crate::Rule { doc: concat!($($doc, "\n"),*), $($field: $value),* };
    };
}
