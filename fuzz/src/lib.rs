//! The invariants every parser must keep on any input, shared by the fuzz targets
//! (`cargo fuzz run dockerfile --features libfuzzer`) and the regression test that replays
//! what the fuzzers found (`fuzz/regressions/<target>/*`).
//!
//! Any bytes in → a tree plus errors out: no panic, every range inside the text and on
//! character boundaries.

use stacklint_text::TextRange;

/// A fuzz target: any bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("dockerfile", dockerfile),
    ("nginx", nginx),
    ("python", python),
    ("shell", shell),
    ("procfile", procfile),
    ("compose", compose),
    ("lint", lint),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn assert_in_bounds(text: &str, range: TextRange, what: &str) {
    assert!(range.end() <= text.len(), "{what}: range {range:?} past the end ({})", text.len());
    assert!(text.is_char_boundary(range.start()) && text.is_char_boundary(range.end()), "{what}: range {range:?} splits a character");
}

fn errors_in_bounds(text: &str, errors: &[stacklint_syntax::ParseError]) {
    for e in errors {
        assert_in_bounds(text, e.range, "error");
        assert!(!e.message.is_empty(), "an error without a message");
    }
}

pub fn dockerfile(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::dockerfile::parse(&text);
    for r in parsed.tree.ranges() {
        assert_in_bounds(&text, r, "dockerfile node");
    }
    errors_in_bounds(&text, &parsed.errors);
}

pub fn nginx(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::nginx::parse(&text);
    for d in parsed.tree.walk() {
        assert_in_bounds(&text, d.range, "nginx directive");
        for a in &d.args {
            assert_in_bounds(&text, a.range, "nginx argument");
        }
    }
    errors_in_bounds(&text, &parsed.errors);
    for section in stacklint_syntax::nginx::split_dump(&text) {
        assert!(section.offset <= text.len());
    }
}

pub fn python(data: &[u8]) {
    let text = text(data);
    let module = stacklint_python::parse(&text);
    for (r, _) in module.syntax_errors() {
        assert_in_bounds(&text, r, "python error");
    }
    let settings = stacklint_python::Settings::evaluate(std::path::Path::new("settings.py"), &module);
    for b in settings.all() {
        assert_in_bounds(&text, b.statement_range, "binding");
    }
}

pub fn shell(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::shell::split(&text);
    for t in &parsed.tree {
        assert_in_bounds(&text, t.range(), "shell token");
    }
    errors_in_bounds(&text, &parsed.errors);
}

pub fn procfile(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::procfile::parse(&text);
    for e in &parsed.tree {
        assert_in_bounds(&text, e.range, "procfile entry");
    }
    errors_in_bounds(&text, &parsed.errors);
}

pub fn compose(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::compose::parse(&text);
    for r in parsed.tree.ranges() {
        assert_in_bounds(&text, r, "compose node");
    }
    errors_in_bounds(&text, &parsed.errors);
    for s in &parsed.tree.services {
        let commands = s.command.iter().chain(&s.entrypoint).filter(|c| c.scalars().iter().all(|s| !s.has_escapes()));
        for w in commands.flat_map(stacklint_syntax::compose::Command::words) {
            if let Some(r) = w.value_range() {
                assert_eq!(r.slice(&text), w.value, "a word's value range holds its value");
            }
        }
    }
}

/// The whole engine on one file whose kind the first byte picks: every rule runs, every
/// finding and fix edit stays inside the file.
pub fn lint(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let names = ["Dockerfile", "nginx.conf", "settings.py", "gunicorn.conf.py", "Procfile", "entrypoint.sh", "requirements.txt", "docker-compose.yml"];
    let name = names.get(usize::from(selector) % names.len()).copied().unwrap_or("Dockerfile");
    let text = text(rest);
    let project = stacklint_project::Project::from_sources(stacklint_project::ProjectOptions::default(), &[(name, &text)]);
    for d in stacklint_linter::lint(&project, &stacklint_linter::LinterSettings::default()) {
        assert_in_bounds(&text, d.range, d.code);
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            assert_in_bounds(&text, e.range, d.code);
        }
    }
}
