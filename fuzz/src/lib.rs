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
    ("supervisord", supervisord),
    ("systemd", systemd),
    ("postgres", postgres),
    ("redis", redis),
    ("lint", lint),
    ("fix", fix),
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

/// An INI tree (supervisord, systemd): every range in bounds, a key's range holds the key.
fn ini(text: &str, parsed: &stacklint_syntax::Parsed<stacklint_syntax::ini::IniFile>) {
    for r in parsed.tree.ranges() {
        assert_in_bounds(text, r, "ini node");
    }
    for e in parsed.tree.sections.iter().flat_map(|s| &s.entries) {
        assert_eq!(e.key_range.slice(text), e.key, "a key's range holds the key");
        assert!(e.key_range.end() <= e.value_range.start() && e.value_range.end() <= e.range.end(), "key, value and entry ranges in order");
    }
    errors_in_bounds(text, &parsed.errors);
}

pub fn supervisord(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::supervisord::parse(&text);
    ini(&text, &parsed);
    for p in stacklint_syntax::supervisord::programs(&parsed.tree) {
        assert_in_bounds(&text, p.name_range, "program name");
    }
}

pub fn systemd(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::systemd::parse(&text);
    ini(&text, &parsed);
    for e in stacklint_syntax::systemd::exec_start(&parsed.tree) {
        assert!(!e.value.is_empty());
    }
}

pub fn postgres(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::postgres::parse(&text);
    errors_in_bounds(&text, &parsed.errors);
    for line in &parsed.tree.lines {
        assert_in_bounds(&text, line.range, "postgres line");
        if let Some(c) = line.comment {
            assert_in_bounds(&text, c, "postgres comment");
            assert!(line.range.contains_range(c), "comment {c:?} outside its line");
        }
    }
    for e in parsed.tree.entries() {
        for r in [e.line_range, e.name_range, e.value_range] {
            assert_in_bounds(&text, r, "postgres entry");
        }
        assert_eq!(e.name_range.slice(&text), e.name);
        // The value reads back: a quoted value re-quoted parses to the same value.
        if e.quoted {
            assert_eq!(stacklint_syntax::postgres::unescape(e.value_range.slice(&text)), e.value);
        } else {
            assert_eq!(e.value_range.slice(&text), e.value);
        }
    }
}

/// A redis.conf: every range in bounds, an argument's range holds it when unquoted; the
/// same bytes as a command line (split on spaces) keep their ranges too.
pub fn redis(data: &[u8]) {
    let text = text(data);
    let parsed = stacklint_syntax::redis::parse(&text);
    errors_in_bounds(&text, &parsed.errors);
    for line in &parsed.tree.lines {
        assert_in_bounds(&text, line.range, "redis line");
    }
    for d in parsed.tree.directives() {
        assert_in_bounds(&text, d.range, "redis directive");
        for a in std::iter::once(&d.name).chain(&d.args) {
            assert_in_bounds(&text, a.range, "redis argument");
            if !a.quoted {
                assert_eq!(a.range.slice(&text), a.value, "an unquoted argument's range holds its value");
            }
        }
    }
    let mut words = Vec::new();
    let mut at = 0;
    for w in text.split(' ') {
        words.push(stacklint_syntax::redis::ArgvWord { value: w, range: TextRange::new(at, at + w.len()) });
        at += w.len() + 1;
    }
    let argv = stacklint_syntax::redis::parse_argv(&words);
    for d in &argv.tree.directives {
        for a in &d.args {
            assert_in_bounds(&text, a.range, "redis argv argument");
        }
    }
}

/// The whole engine on one file whose kind the first byte picks: every rule runs, every
/// finding and fix edit stays inside the file.
pub fn lint(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let names = ["Dockerfile", "nginx.conf", "settings.py", "gunicorn.conf.py", "Procfile", "entrypoint.sh", "requirements.txt", "docker-compose.yml", "supervisord.conf", "web.service"];
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

/// Whether the fix properties are asserted: always, unless `STACKLINT_FIX_PROPERTIES=report`
/// (then the `fix` target only requires that fixing never panics, for exploring a change).
fn fix_properties_strict() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| std::env::var("STACKLINT_FIX_PROPERTIES").map_or(true, |v| v != "report"))
}

/// Jinja markers (`{{ }}`, `{% %}`, `{# #}`): a template, whatever the file's kind.
fn is_template(text: &str) -> bool {
    (text.contains("{{") && text.contains("}}")) || (text.contains("{%") && text.contains("%}")) || (text.contains("{#") && text.contains("#}"))
}

/// The file kinds the `fix` target picks from with its first byte: (path, kind, context
/// files that make the project run it).
type ProjectFile = (&'static str, stacklint_project::FileKind, &'static str);

const FIX_KINDS: &[(&str, stacklint_project::FileKind, &[ProjectFile])] = {
    use stacklint_project::FileKind as K;
    const RUNS_CONF: &[ProjectFile] = &[("Dockerfile", K::Dockerfile, "FROM python:3.12-slim\nCMD [\"gunicorn\", \"-c\", \"gunicorn.conf.py\", \"app.wsgi\"]\n")];
    const RUNS_SCRIPT: &[ProjectFile] = &[("Dockerfile", K::Dockerfile, "FROM python:3.12-slim\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n")];
    const DJANGO: &[ProjectFile] = &[
        ("proj/wsgi.py", K::Python, "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\napplication = get_wsgi_application()\n"),
        ("requirements.txt", K::Requirements, "Django==5.2.8\ngunicorn==23.0.0\n"),
    ];
    const SITE: &[ProjectFile] = &[("nginx/nginx.conf", K::Nginx, "events {}\nhttp {\n    include conf.d/*.conf;\n}\n")];
    // A Redis in a container with a limit, used as a cache: the stack rules run too.
    const RUNS_REDIS: &[ProjectFile] = &[
        ("docker-compose.yml", K::Compose, "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi\n    environment:\n      DJANGO_SETTINGS_MODULE: proj.settings\n  redis:\n    image: redis:7.4\n    command: redis-server /usr/local/etc/redis/redis.conf\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro\n    deploy:\n      resources:\n        limits:\n          memory: 512M\n"),
        ("proj/settings.py", K::DjangoSettings, "CACHES = {\"default\": {\"BACKEND\": \"django.core.cache.backends.redis.RedisCache\", \"LOCATION\": \"redis://redis:6379/1\"}}\n"),
    ];
    &[
        ("Dockerfile", K::Dockerfile, &[]),
        ("nginx/nginx.conf", K::Nginx, &[]),
        ("proj/settings.py", K::DjangoSettings, DJANGO),
        ("gunicorn.conf.py", K::GunicornConfig, RUNS_CONF),
        ("Procfile", K::Procfile, &[]),
        ("entrypoint.sh", K::Shell, RUNS_SCRIPT),
        ("docker-compose.yml", K::Compose, &[]),
        ("nginx/conf.d/site.conf", K::Nginx, SITE),
        ("deploy/supervisord.conf", K::Supervisord, &[]),
        ("deploy/web.service", K::Systemd, &[]),
        ("postgres/postgresql.conf", K::Postgres, &[]),
        ("redis/redis.conf", K::Redis, RUNS_REDIS),
    ]
};

/// The fixer on one file whose kind the first byte picks (with the files that make a
/// project run it): safe fixes never panic; with `STACKLINT_FIX_PROPERTIES=strict`, also no
/// fixed file has more parse errors than before, a file that does not parse or is a
/// template gets no fix, and a second fix changes nothing.
pub fn fix(data: &[u8]) {
    use std::path::PathBuf;

    use stacklint_linter::{FixMode, LinterSettings, fix_project};
    use stacklint_project::{ProjectOptions, parse, syntax_errors};

    let Some((&selector, rest)) = data.split_first() else { return };
    let (path, kind, context) = FIX_KINDS[usize::from(selector) % FIX_KINDS.len()];
    let text = text(rest);
    let mut files = vec![(PathBuf::from(path), kind, text.clone())];
    files.extend(context.iter().map(|(p, k, t)| (PathBuf::from(p), *k, (*t).to_owned())));
    let options = ProjectOptions::default();
    let settings = LinterSettings::default();
    let first = fix_project(&options, files.clone(), &settings, FixMode::Safe);
    if first.changed.is_empty() || !fix_properties_strict() {
        return;
    }
    for (p, k, before) in &files {
        let Some(after) = first.changed.get(p) else { continue };
        let errors_before = syntax_errors(&parse(*k, before)).len();
        let errors_after = syntax_errors(&parse(*k, after));
        assert!(errors_before == 0, "{}: fixed although it has {errors_before} parse errors\n--- before\n{before:?}\n--- after\n{after:?}", p.display());
        assert!(!is_template(before), "{}: fixed although it is a template\n--- before\n{before:?}\n--- after\n{after:?}", p.display());
        assert!(errors_after.len() <= errors_before, "{}: the fix left parse errors {:?}\n--- before\n{before:?}\n--- after\n{after:?}", p.display(), errors_after.iter().map(|e| &e.message).collect::<Vec<_>>());
    }
    let fixed: Vec<_> = files.iter().map(|(p, k, t)| (p.clone(), *k, first.changed.get(p).cloned().unwrap_or_else(|| t.clone()))).collect();
    let second = fix_project(&options, fixed, &settings, FixMode::Safe);
    assert!(second.changed.is_empty(), "a second fix changed {:?}: {:?}", second.changed.keys().collect::<Vec<_>>(), second.applied);
}
