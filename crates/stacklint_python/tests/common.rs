//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_python::{Binding, BindingKind, Settings};
use stacklint_text::{LineIndex, TextRange};

/// The workspace's shared folder (`<workspace>/../shared`).
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The corpus folder, from `STACKLINT_CORPUS` or `<workspace root>/../shared/corpus`.
pub fn corpus() -> Option<PathBuf> {
    let dir =
        std::env::var_os("STACKLINT_CORPUS").map_or_else(|| shared().join("corpus"), PathBuf::from);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("STACKLINT_REQUIRE_ORACLES").as_deref() != Ok("1"),
        "corpus not found at {} and STACKLINT_REQUIRE_ORACLES=1",
        dir.display()
    );
    eprintln!(
        "\n==========\nSKIPPED: corpus not found at {}\n==========\n",
        dir.display()
    );
    None
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
