//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_python::{Binding, BindingKind, Settings};
use stacklint_text::{LineIndex, TextRange};

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

#[allow(unused_imports)] // each test binary uses some of them
pub use shared_inputs::{require, scenarios_dir};

/// The corpus folder (`STACKLINT_CORPUS`, else `../shared/corpus`), or `None` after saying
/// loudly that the test is skipped.
pub fn corpus() -> Option<PathBuf> {
    require(shared_inputs::corpus_dir(), "the corpus")
}

pub fn slice(text: &str, r: TextRange) -> &str {
    text.get(r.as_range())
        .expect("range on char boundaries inside the text")
}

/// One line per binding: `line name kind [conditions] = value`.
pub fn dump(settings: &Settings, text_of: impl Fn(&Path) -> String) -> String {
    let mut out = String::new();
    for b in settings.all() {
        let text = text_of(&b.file);
        let idx = LineIndex::new(&text);
        let line = idx.line_of(b.statement_range.start()) + 1;
        let file = b
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = write!(
            out,
            "{file}:{line:<4} {}{} {} {}",
            b.name,
            keys(b),
            kind(&b.kind),
            b.value
        );
        for c in &b.conditions {
            let _ = write!(
                out,
                "  [{:?}{} {}]",
                c.kind,
                if c.negated { " not" } else { "" },
                c.text
            );
        }
        out.push('\n');
    }
    out
}

fn keys(b: &Binding) -> String {
    b.keys.iter().fold(String::new(), |mut s, k| {
        let _ = write!(s, "[{}]", k.key);
        s
    })
}

fn kind(k: &BindingKind) -> String {
    match k {
        BindingKind::Assign => "=".to_owned(),
        BindingKind::AugAssign { op } => format!("{op}="),
        BindingKind::SubscriptAssign => "[]=".to_owned(),
        BindingKind::AnnotationOnly => ":".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}
