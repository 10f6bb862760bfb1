//! Real Django judges the ORM fixes, on the small project in `tests/orm_django/`
//! (SQLite, one app, an initial migration made by `makemigrations`):
//!
//! - ORM001: before the fixes `makemigrations --check` sees no change; after
//!   `stacklint check --select ORM --fix --unsafe-fixes` it sees exactly one `AddIndex` per
//!   index the fixes wrote (same name, same fields) and nothing else, and `manage.py check`
//!   still loads the models;
//! - ORM002: `count_queries.py` counts each list view's queries for 5 and 20 authors with
//!   `CaptureQueriesContext`: before the fixes the count grows with the rows, after them it
//!   does not.
//!
//! And on `tests/orm_django_views/` (an admin, a DRF viewset, a lookup across a relation):
//!
//! - ORM001: the fixes of the retrieve by `lookup_field` and of `supplier__name` (an index
//!   on the related model) are exactly the `AddIndex` operations Django then wants;
//! - ORM002: the admin changelist (`Client` as a superuser) and the DRF list
//!   (`APIRequestFactory`, when djangorestframework is installed) run a number of queries
//!   that grows with the rows before `list_select_related` / `select_related` +
//!   `prefetch_related` are added, and a constant one after.
//!
//! The Python comes from `STACKLINT_DJANGO_PYTHON` (see `common::oracles::django_python`).

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_workspace::{Overrides, RunRequest, run};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/orm_django")
}

fn views_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/orm_django_views")
}

/// `python manage.py <args>` in `dir`: (success, stdout + stderr).
fn manage(python: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(python).arg("manage.py").args(args).env("PYTHONDONTWRITEBYTECODE", "1").current_dir(dir).output().expect("runs python");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Queries per view and row count, from `count_queries.py` on a fresh database.
fn query_counts(python: &Path, dir: &Path, db: &str) -> Counts {
    let out = Command::new(python).arg("count_queries.py").arg(dir.join(db)).env("PYTHONDONTWRITEBYTECODE", "1").current_dir(dir).output().expect("runs python");
    assert!(out.status.success(), "count_queries.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("count_queries.py prints JSON")
}

/// `Index(fields=["a", "b"], name="x")` → (`x`, [`a`, `b`]), quotes of either kind.
fn indexes_in(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for piece in text.split("Index(fields=[").skip(1) {
        let Some((fields, rest)) = piece.split_once(']') else { continue };
        let fields = fields.split(',').map(|f| f.trim().trim_matches(['"', '\'']).to_owned()).filter(|f| !f.is_empty()).collect();
        let Some(name) = rest.split("name=").nth(1).and_then(|n| n.get(1..)).and_then(|n| n.split(['"', '\'']).next()) else { continue };
        out.push((name.to_owned(), fields));
    }
    out.sort();
    out
}

/// The operations of the migration files `makemigrations -v 3 --dry-run` prints.
fn operations(text: &str) -> Vec<String> {
    text.split("migrations.").skip(1).filter_map(|p| p.split_once('(').map(|(op, _)| op.to_owned())).filter(|op| op != "Migration" && !op.contains(|c: char| !c.is_ascii_alphanumeric())).collect()
}

/// Queries counted per view and row count (`{"catalogue": {"5": 11, "20": 41}}`).
type Counts = BTreeMap<String, BTreeMap<String, u64>>;

/// `fixture` copied into a temporary folder, checked to need no migration yet: the folder,
/// the queries its views make before any fix, and what the ORM rules find there.
fn set_up(python: &Path, fixture: &Path) -> (tempfile::TempDir, Counts, Vec<stacklint_diagnostics::Diagnostic>) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let files: Vec<(PathBuf, Vec<u8>)> = common::files_under(fixture).into_iter().map(|p| (common::rel(&p, fixture), std::fs::read(&p).expect("read the fixture"))).collect();
    common::write_files(dir, &files);
    let (ok, before) = manage(python, dir, &["makemigrations", "--check", "--dry-run"]);
    assert!(ok && before.contains("No changes detected"), "the fixture's models and migrations differ before any fix:\n{before}");
    let counts = query_counts(python, dir, "before.sqlite3");
    let request = RunRequest { paths: vec![dir.to_path_buf()], overrides: Overrides { select: Some(vec!["ORM".into()]), ..Overrides::default() }, ..RunRequest::default() };
    let found = run(&request).expect("stacklint runs").diagnostics;
    (tmp, counts, found)
}

/// Apply every ORM fix with `stacklint check --fix`; Django must then want exactly the
/// `expected` indexes as its only migration operations, and its checks must pass.
fn fix_and_let_django_judge(python: &Path, dir: &Path, expected: &[(String, Vec<String>)]) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = ["stacklint", "check", "--select", "ORM", "--fix", "--unsafe-fixes", &dir.display().to_string()].map(String::from);
    let code = stacklint::main_with_args(args, &mut out, &mut err);
    assert_eq!(code, 0, "findings left after fixing:\n{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    let (ok, after) = manage(python, dir, &["makemigrations", "--dry-run", "-v", "3"]);
    assert!(ok, "makemigrations failed after the fixes:\n{after}");
    println!("{after}");
    assert_eq!(operations(&after), ["AddIndex", "AddIndex"], "Django wants other operations than the indexes:\n{after}");
    assert_eq!(indexes_in(&after), expected, "Django's AddIndex operations differ from the fixes':\n{after}");
    let (ok, check) = manage(python, dir, &["check"]);
    assert!(ok && check.contains("no issues"), "manage.py check after the fixes:\n{check}");
}

#[test]
fn django_sees_exactly_the_indexes_and_the_queries_stop_growing() {
    let Some(python) = common::oracles::django_python() else { return };
    let (tmp, counts_before, found) = set_up(&python, &fixture());
    let dir = tmp.path();

    // The indexes the ORM001 fixes will write, read from their edits.
    let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
    assert_eq!(codes.iter().filter(|c| **c == "ORM001").count(), 2, "{found:#?}");
    assert_eq!(codes.iter().filter(|c| **c == "ORM002").count(), 3, "{found:#?}");
    // The publisher is two hops away: the fix joins `author__publisher`.
    assert!(found.iter().any(|d| d.code == "ORM002" && d.message.contains("`b.author.publisher.name`") && d.fix.iter().flat_map(|f| &f.edits).any(|e| e.content == ".select_related(\"author__publisher\")")), "{found:#?}");
    let written: String = found.iter().filter(|d| d.code == "ORM001").flat_map(|d| d.fix.iter().flat_map(|f| f.edits.iter().map(|e| e.content.clone()))).collect();
    let expected = indexes_in(&written);
    assert_eq!(expected, vec![("library_book_isbn_idx".to_owned(), vec!["isbn".to_owned()]), ("library_book_status_publis_idx".to_owned(), vec!["status".to_owned(), "published".to_owned()])]);

    fix_and_let_django_judge(&python, dir, &expected);

    let counts_after = query_counts(&python, dir, "after.sqlite3");
    println!("queries per view for 5 and 20 authors: before {counts_before:?}, after {counts_after:?}");
    for view in ["catalogue", "authors", "imprints"] {
        let n = |c: &BTreeMap<String, BTreeMap<String, u64>>, rows: &str| c.get(view).and_then(|v| v.get(rows)).copied().unwrap_or_default();
        assert!(n(&counts_before, "20") > n(&counts_before, "5"), "{view}: the N+1 the fixture shows did not happen: {counts_before:?}");
        assert_eq!(n(&counts_after, "20"), n(&counts_after, "5"), "{view}: the query count still grows with the rows after the fix: {counts_after:?}");
        assert!(n(&counts_after, "5") > 0, "{view}: no queries counted");
    }
}

#[test]
fn django_sees_the_view_and_admin_fixes() {
    let Some(python) = common::oracles::django_python() else { return };
    let drf = Command::new(&python).args(["-c", "import rest_framework"]).output().is_ok_and(|o| o.status.success());
    if !drf {
        // Loud, and a failure where the oracles are required (.ci/run installs DRF).
        common::oracles::skip("the DRF list is not counted: djangorestframework is not installed");
    }
    let (tmp, counts_before, found) = set_up(&python, &views_fixture());
    let dir = tmp.path();

    let mut codes: Vec<(&str, String)> = found.iter().map(|d| (d.code, d.file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default())).collect();
    codes.sort();
    assert_eq!(codes, [("ORM001", "api.py".to_owned()), ("ORM001", "views.py".to_owned()), ("ORM002", "admin.py".to_owned()), ("ORM002", "api.py".to_owned())], "{found:#?}");
    let written: String = found.iter().filter(|d| d.code == "ORM001").flat_map(|d| d.fix.iter().flat_map(|f| f.edits.iter().map(|e| e.content.clone()))).collect();
    let expected = indexes_in(&written);
    assert_eq!(expected, vec![("shop_product_code_idx".to_owned(), vec!["code".to_owned()]), ("shop_supplier_name_idx".to_owned(), vec!["name".to_owned()])]);

    fix_and_let_django_judge(&python, dir, &expected);

    let counts_after = query_counts(&python, dir, "after.sqlite3");
    println!("queries per page for 5 and 20 products: before {counts_before:?}, after {counts_after:?}");
    let pages: &[&str] = if drf { &["admin", "api"] } else { &["admin"] };
    for page in pages {
        let n = |c: &BTreeMap<String, BTreeMap<String, u64>>, rows: &str| c.get(*page).and_then(|v| v.get(rows)).copied().unwrap_or_default();
        assert!(n(&counts_before, "20") > n(&counts_before, "5"), "{page}: the N+1 the fixture shows did not happen: {counts_before:?}");
        assert_eq!(n(&counts_after, "20"), n(&counts_after, "5"), "{page}: the query count still grows with the rows after the fix: {counts_after:?}");
        assert!(n(&counts_after, "5") > 0, "{page}: no queries counted");
    }
}
