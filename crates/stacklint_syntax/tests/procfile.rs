//! Procfile entries: names, commands, comments, blank lines, CRLF, bad lines.

use stacklint_syntax::procfile;

#[test]
fn entries_with_ranges() {
    let src = "# a comment\r\n\r\nweb: gunicorn app:app -w 3   \r\n  worker:celery -A app worker\nrelease: python manage.py migrate";
    let parsed = procfile::parse(src);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let names: Vec<&str> = parsed.tree.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["web", "worker", "release"]);
    for e in &parsed.tree {
        assert_eq!(e.name_range.slice(src), e.name);
        assert_eq!(e.command_range.slice(src), e.command);
        assert!(!e.range.slice(src).contains('\n') && !e.range.slice(src).ends_with('\r'));
    }
    assert_eq!(parsed.tree[0].command, "gunicorn app:app -w 3");
    assert_eq!(parsed.tree[1].command, "celery -A app worker");
    assert_eq!(parsed.tree[2].command, "python manage.py migrate");
}

#[test]
fn bad_lines_are_errors() {
    let src = "web gunicorn app\nbad name: x\nempty:\nok: run\n";
    let parsed = procfile::parse(src);
    assert_eq!(parsed.errors.len(), 3, "{:?}", parsed.errors);
    assert_eq!(parsed.tree.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["empty", "ok"]);
    for e in &parsed.errors {
        assert!(e.range.end() <= src.len());
    }
}
