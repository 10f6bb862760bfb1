//! The kind table: every kind registers a parser with a fuzz target, a name, and comments.

use std::path::Path;

use stacklint_project::{FileKind, Parsed, parse};

/// The `[[bin]]` names of `fuzz/Cargo.toml`.
fn fuzz_targets() -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("fuzz/Cargo.toml");
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    names
}

#[test]
fn every_parsed_kind_has_a_fuzz_target() {
    let targets = fuzz_targets();
    assert!(targets.iter().any(|t| t == "nginx"), "read the [[bin]] names of fuzz/Cargo.toml: {targets:?}");
    for &kind in FileKind::ALL {
        let spec = kind.spec();
        let kept_as_text = matches!(parse(kind, ""), Parsed::Text);
        match spec.fuzz_target {
            Some(target) => {
                assert!(!kept_as_text, "{}: a fuzz target but no parser", spec.name);
                assert!(targets.iter().any(|t| t == target), "{}: fuzz target `{target}` is not a [[bin]] of fuzz/Cargo.toml", spec.name);
                let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fuzz/fuzz_targets/{target}.rs"));
                assert!(source.is_file(), "{}: {} is missing", spec.name, source.display());
            }
            None => assert!(kept_as_text, "{}: parsed but without a fuzz target", spec.name),
        }
    }
}

#[test]
fn names_are_unique_and_round_trip() {
    for &kind in FileKind::ALL {
        assert_eq!(FileKind::from_name(kind.name()), Some(kind));
        assert!(!kind.comments().line.is_empty(), "{}: no comment syntax", kind.name());
    }
}

#[test]
fn every_parser_is_total_on_odd_input() {
    for &kind in FileKind::ALL {
        for text in ["", "\u{0}\u{feff}[", "[program:x\ncommand=\\\n", "{{ a }}\n}{;=\r\r\n"] {
            let _ = stacklint_project::syntax_errors(&parse(kind, text));
        }
    }
}
