//! ORM: Django models and queries.
//!
//! The rules read the model graph ([`stacklint_project::orm`]) and each file's querysets
//! ([`stacklint_python::orm`]). A query is judged only when its model is one of the
//! project's models with every base known: an unresolved name or a third-party base
//! gives no finding.

use std::path::Path;

use stacklint_project::orm::{Model, ModelGraph};
use stacklint_project::{Project, SourceFile};
use stacklint_python::orm::{OrmFile, QCall};

use crate::Rule;

pub mod orm001_missing_index;
pub mod orm002_n_plus_one_query;
pub mod orm003_redundant_index;

pub static RULES: &[&Rule] = &[&orm001_missing_index::RULE, &orm002_n_plus_one_query::RULE, &orm003_redundant_index::RULE];

/// Files whose queries run in production: not tests, migrations or fixtures scripts.
/// `path` is relative to the project root: the folders above it say nothing.
fn production_code(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let test_file = name.starts_with("test_") || name.ends_with("_test.py") || name == "tests.py" || name == "conftest.py";
    !test_file && !path.components().any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "test" | "migrations" | "management")))
}

/// One query of a production Python file whose model the graph knows.
pub(crate) struct ResolvedQuery<'a> {
    pub file: &'a SourceFile,
    pub orm: &'a OrmFile,
    pub index: usize,
    pub model: &'a Model,
    pub calls: Vec<&'a QCall>,
}

/// Every query of the project resolved to a model; `each` also gets loops through the
/// same resolution.
pub(crate) fn resolved_queries(project: &Project) -> Vec<ResolvedQuery<'_>> {
    let graph = project.models();
    let mut out = Vec::new();
    for file in project.files.iter().filter(|f| f.kind.is_python() && production_code(f.path.strip_prefix(&project.root).unwrap_or(&f.path))) {
        let Some(module) = file.python() else { continue };
        let orm = module.orm();
        for index in 0..orm.queries.len() {
            if let Some(model) = resolve(project, graph, file, index) {
                out.push(ResolvedQuery { file, orm, index, model, calls: orm.effective_calls(index) });
            }
        }
    }
    out
}

fn resolve<'a>(project: &Project, graph: &'a ModelGraph, file: &SourceFile, q: usize) -> Option<&'a Model> {
    graph.get(graph.query_model(project, file, q)?)
}

/// The strings of every call named `method` (`select_related("a", "b")`), and whether one
/// of them has an argument that is not a plain string (`Prefetch(...)`) or none at all.
pub(crate) fn call_strings<'a>(calls: &[&'a QCall], method: &str) -> (Vec<&'a str>, bool, bool) {
    let mut names = Vec::new();
    let (mut other, mut bare) = (false, false);
    for c in calls.iter().filter(|c| c.method == method) {
        names.extend(c.strings.iter().map(String::as_str));
        other |= c.other_args;
        bare |= c.strings.is_empty() && !c.other_args;
    }
    (names, other, bare)
}

/// A query's source, one line, clipped for a message.
pub(crate) fn query_text(file: &SourceFile, range: stacklint_diagnostics::TextRange) -> String {
    let text: String = range.slice(&file.text).split_whitespace().collect::<Vec<_>>().join(" ").replace("( ", "(").replace(" )", ")").replace(" .", ".");
    if text.chars().count() > 90 { format!("{}…", text.chars().take(89).collect::<String>()) } else { text }
}

/// `path:line` of a range, relative to the project root when under it.
pub(crate) fn place(project: &Project, path: &Path, offset: usize) -> String {
    let row = project.file(path).map_or(1, |f| f.row(offset));
    format!("{}:{row}", path.strip_prefix(&project.root).unwrap_or(path).display())
}
