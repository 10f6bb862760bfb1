//! The scenario projects in `../shared/scenarios`.

mod common;

use std::path::Path;

use common::{dump, require, scenarios_dir, slice};
use stacklint_python::{BindingKind, Outcome, PyModule, Settings, Unset, Value};
use stacklint_text::LineIndex;

fn load(rel: &str) -> Option<(std::path::PathBuf, String)> {
    let path = require(scenarios_dir(), "the scenarios")?.join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some((path, text))
}

fn line_of(text: &str, offset: usize) -> usize {
    LineIndex::new(text).line_of(offset) + 1
}

#[test]
fn wingman_settings() {
    let Some((path, text)) = load("wingman/wingman/settings.py") else {
        return;
    };
    let module = PyModule::parse(&text);
    assert!(module.syntax_errors().is_empty());
    let s = Settings::evaluate(&path, &module);

    // CONN_MAX_AGE: the subscript assignment at line 74 wins over both alternatives.
    let res = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let [Outcome::Value { binding, expr }] = res.outcomes.as_slice() else {
        panic!("{res:?}")
    };
    assert_eq!(expr.value, Value::Int(0));
    assert_eq!(line_of(&text, binding.statement_range.start()), 74);
    assert_eq!(slice(&text, expr.range), "0");
    assert_eq!(
        slice(&text, binding.target_range),
        "DATABASES['default']['CONN_MAX_AGE']"
    );
    assert_eq!(binding.kind, BindingKind::SubscriptAssign);

    // CONN_HEALTH_CHECKS: missing in the literal dict, and in the dj_database_url call
    // under the `if` (dj-database-url's default: False).
    let res = s.resolve(&["DATABASES", "default", "CONN_HEALTH_CHECKS"]);
    assert_eq!(res.outcomes.len(), 2, "{res:?}");
    let Outcome::Missing {
        insert: Some(at),
        kwarg: None,
        ..
    } = &res.outcomes[0]
    else {
        panic!()
    };
    assert_eq!(line_of(&text, at.container.start()), 61);
    assert_eq!(at.indent.as_deref(), Some("        "));
    let Outcome::Missing {
        insert: Some(at),
        kwarg: Some("conn_health_checks"),
        implied,
        binding,
        ..
    } = &res.outcomes[1]
    else {
        panic!()
    };
    assert_eq!(implied, &Some(Value::Bool(false)));
    assert_eq!(slice(&text, at.container), "()");
    assert!(binding.is_conditional());
    assert_eq!(
        binding.conditions[0].text,
        "os.environ.get(\"DATABASE_URL\")"
    );

    // SECRET_KEY line 11: env default `django-insecure-...`.
    let sk = s.get("SECRET_KEY").unwrap();
    assert_eq!(line_of(&text, sk.statement_range.start()), 11);
    let env = sk.value.env().unwrap();
    assert_eq!(env.var.as_deref(), Some("SECRET_KEY"));
    let default = env.default.as_ref().unwrap();
    assert!(default.as_str().unwrap().starts_with("django-insecure-"));
    assert_eq!(
        slice(&text, default.range),
        "\"django-insecure-3x#p!k2v9w@l0q$8m&z1r^t7y\""
    );

    // DEBUG line 13: False when unset, can be True.
    let debug = s.value("DEBUG").unwrap();
    assert_eq!(debug.unset_value(), Some(Value::Bool(false)));
    assert!(debug.can_be(&Value::Bool(true)));

    // ALLOWED_HOSTS line 15: default "*".
    let hosts = s.get("ALLOWED_HOSTS").unwrap();
    assert_eq!(line_of(&text, hosts.statement_range.start()), 15);
    let env = hosts.value.env().unwrap();
    assert_eq!(env.default.as_ref().and_then(|d| d.as_str()), Some("*"));
    let Unset::Value(Value::List(items)) = env.unset_value() else {
        panic!()
    };
    assert_eq!(items[0].value, Value::Str("*".to_owned()));

    // Middleware list with ranges.
    let mw = s.list("MIDDLEWARE").unwrap();
    assert!(mw.complete);
    assert_eq!(mw.items.len(), 7);
    assert_eq!(
        slice(&text, mw.items[6].expr.range),
        "\"django.middleware.clickjacking.XFrameOptionsMiddleware\""
    );

    // f-string with a name reference to an env lookup.
    let loc = s.resolve(&["CACHES", "default", "LOCATION"]);
    let (_, e) = loc.values().last().unwrap();
    assert_eq!(
        e.unset_value(),
        Some(Value::Str("redis://redis:6379/1".to_owned()))
    );
    let pool = s.resolve(&[
        "CACHES",
        "default",
        "OPTIONS",
        "CONNECTION_POOL_KWARGS",
        "max_connections",
    ]);
    assert_eq!(pool.values().last().unwrap().1.value, Value::Int(100));

    let dumped = dump(&s, |_| text.clone());
    insta::assert_snapshot!("wingman_settings", dumped);
}

#[test]
fn eventmate_settings_production() {
    let Some((path, text)) = load("eventmate/finaleventmate/settings_production.py") else {
        return;
    };
    let module = PyModule::parse(&text);
    let s = Settings::evaluate(&path, &module);
    let res = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let [Outcome::Value { expr, .. }] = res.outcomes.as_slice() else {
        panic!("{res:?}")
    };
    assert_eq!(expr.value, Value::Int(600));
    assert_eq!(line_of(&text, expr.range.start()), 48);
    let res = s.resolve(&["DATABASES", "default", "CONN_HEALTH_CHECKS"]);
    let [
        Outcome::Missing {
            insert: Some(at), ..
        },
    ] = res.outcomes.as_slice()
    else {
        panic!()
    };
    assert!(at.trailing_comma);
    let storage = s.get("STATICFILES_STORAGE").unwrap();
    assert_eq!(line_of(&text, storage.statement_range.start()), 75);
    assert_eq!(slice(&text, storage.target_range), "STATICFILES_STORAGE");
    let sk = s.value("SECRET_KEY").unwrap().env().unwrap();
    assert!(sk.required);
    assert_eq!(sk.unset_value(), Unset::Raises);
    let mw = s.list("MIDDLEWARE").unwrap();
    let gzip = mw
        .items
        .iter()
        .find(|i| i.expr.as_str() == Some("django.middleware.gzip.GZipMiddleware"))
        .unwrap();
    assert_eq!(gzip.index, 11);
    assert_eq!(line_of(&text, gzip.expr.range.start()), 34);
    assert_eq!(s.value("DEBUG").unwrap().value, Value::Bool(false));
}

#[test]
fn eventmate_wsgi_and_gunicorn() {
    let Some((_, wsgi)) = load("eventmate/finaleventmate/wsgi.py") else {
        return;
    };
    let m = PyModule::parse(&wsgi);
    let dsm = m.settings_module_default().unwrap();
    assert_eq!(dsm.value, "finaleventmate.settings_production");
    assert_eq!(
        slice(&wsgi, dsm.value_range),
        "\"finaleventmate.settings_production\""
    );

    let Some((path, conf)) = load("eventmate/gunicorn_config.py") else {
        return;
    };
    let m = PyModule::parse(&conf);
    let calls = m.cpu_count_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(slice(&conf, calls[0].range), "multiprocessing.cpu_count()");
    let s = Settings::evaluate(&path, &m);
    assert_eq!(s.value("threads").unwrap().value, Value::Int(4));
    assert_eq!(s.value("worker_class").unwrap().as_str(), Some("gevent"));
    assert!(matches!(s.value("workers").unwrap().value, Value::BinOp(_)));
    let (offset, needs_nl) = m.end_insertion();
    assert_eq!(offset, conf.len());
    assert_eq!(needs_nl, !conf.ends_with('\n'));
}

#[test]
fn scenario_python_files_parse_without_panics() {
    let Some(dir) = require(scenarios_dir(), "the scenarios") else { return };
    let entries = std::fs::read_dir(&dir).expect("the scenarios folder");
    let mut stack: Vec<std::path::PathBuf> = entries.flatten().map(|e| e.path()).collect();
    let mut n = 0;
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(
                std::fs::read_dir(&p)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if p.extension().is_some_and(|e| e == "py") {
            let text = std::fs::read_to_string(&p).unwrap();
            let m = PyModule::parse(&text);
            let s = Settings::evaluate(Path::new(&p), &m);
            for b in s.all() {
                slice(&text, b.statement_range);
            }
            n += 1;
        }
    }
    assert!(n > 5);
}
