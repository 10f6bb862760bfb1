//! Bounded cost in the evaluator: values past a cap are unknown, never guessed, and the
//! memory a value takes stays bounded however the module grows it. Structural checks, no
//! timing (the scaling benchmark, `scripts/scale_bench.py`, measures time).

use std::fmt::Write as _;
use std::path::Path;

use stacklint_python::{Settings, Value, caps, parse};

fn settings(src: &str) -> Settings {
    Settings::evaluate(Path::new("settings.py"), &parse(src))
}

/// `MIDDLEWARE += MIDDLEWARE` doubles the list each time: 2^40 items. Before the caps the
/// unfolding was exponential (1.4 GB at 22 lines); now the list is unknown past the cap.
#[test]
fn self_append_doubling_is_unknown_past_the_cap() {
    let mut src = String::from("MIDDLEWARE = [\"django.middleware.security.SecurityMiddleware\"]\n");
    for _ in 0..40 {
        src.push_str("MIDDLEWARE += MIDDLEWARE\n");
    }
    let s = settings(&src);
    let list = s.list("MIDDLEWARE").unwrap();
    assert!(!list.complete);
    assert!(list.items.is_empty(), "no guessed items: {}", list.items.len());
    assert_eq!(s.value("MIDDLEWARE").unwrap().list_items(), None);
}

/// Below the cap the same construct is still exact.
#[test]
fn self_append_below_the_cap_is_exact() {
    let mut src = String::from("MIDDLEWARE = [\"a\"]\n");
    for _ in 0..5 {
        src.push_str("MIDDLEWARE += MIDDLEWARE\n");
    }
    let s = settings(&src);
    let list = s.list("MIDDLEWARE").unwrap();
    assert!(list.complete);
    assert_eq!(list.items.len(), 32);
}

/// A string that doubles per line: known while short, unknown past the length cap.
#[test]
fn string_doubling_is_unknown_past_the_cap() {
    let mut src = String::from("S = \"ab\"\n");
    for _ in 0..6 {
        src.push_str("S = \"x\" + S + S\n");
    }
    let short = settings(&src).value("S").unwrap().unset_value();
    let Some(Value::Str(short)) = short else { panic!("{short:?}") };
    assert_eq!(short.len(), 191);
    for _ in 0..40 {
        src.push_str("S = \"x\" + S + S\n");
    }
    assert_eq!(settings(&src).value("S").unwrap().unset_value(), None);
}

/// Thousands of inserts at the front: every one shifted the whole list. Past the cap
/// the list is unknown and later operations are skipped.
#[test]
fn list_operations_are_capped() {
    let mut src = String::from("INSTALLED_APPS = []\n");
    for i in 0..(caps::MAX_LIST_ITEMS + 10) {
        let _ = writeln!(src, "INSTALLED_APPS.insert(0, \"app{i}\")");
    }
    let s = settings(&src);
    let list = s.list("INSTALLED_APPS").unwrap();
    assert!(!list.complete);
    assert!(list.items.is_empty());
    // A later unconditional assignment makes it known again.
    src.push_str("INSTALLED_APPS = [\"a\", \"b\"]\n");
    let s = settings(&src);
    let list = s.list("INSTALLED_APPS").unwrap();
    assert!(list.complete);
    assert_eq!(list.items.len(), 2);
}

/// Each `+=` shares the value before it instead of copying it: the value of the last
/// line is not bigger than a constant per line (its depth is capped as well).
#[test]
fn aug_assign_shares_the_previous_value() {
    let mut src = String::from("X = [");
    for i in 0..2000 {
        let _ = write!(src, "\"item{i}\", ");
    }
    src.push_str("]\n");
    for _ in 0..3000 {
        src.push_str("X += [\"y\"]\n");
    }
    let s = settings(&src);
    // Unfolded it is 5000 items, past the cap: unknown; the view says so.
    let list = s.list("X").unwrap();
    assert!(!list.complete);
    assert!(list.items.len() <= caps::MAX_LIST_ITEMS);
}
