//! Sweeps over the real-world corpus (`STACKLINT_CORPUS`, default `../shared/corpus`):
//! no panic, every range inside its file and on char boundaries, star-import chains.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::corpus;
use rayon::prelude::*;
use stacklint_python::{Expr, ImportSpec, ModuleLoader, Outcome, PyModule, Settings, Value};
use stacklint_text::TextRange;

fn py_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn check_range(text: &str, r: TextRange, what: &str, path: &Path) {
    assert!(
        r.end() <= text.len(),
        "{what} {r:?} past the end of {}",
        path.display()
    );
    assert!(
        text.is_char_boundary(r.start()) && text.is_char_boundary(r.end()),
        "{what} {r:?} not on char boundaries in {}",
        path.display()
    );
}

fn check_expr(text: &str, e: &Expr, path: &Path, own_file: &Path) {
    if &*e.file == own_file {
        check_range(text, e.range, "expr", path);
    }
    let mut kids: Vec<&Expr> = Vec::new();
    match &e.value {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) | Value::Concat(xs) => kids.extend(xs),
        Value::Dict(d) => {
            for en in &d.entries {
                check_range(text, en.range, "dict entry", path);
                kids.extend(en.key.iter());
                kids.push(&en.value);
            }
            check_range(text, d.insert.container, "insert container", path);
            check_range(
                text,
                TextRange::empty(d.insert.offset),
                "insert offset",
                path,
            );
        }
        Value::Env(env) => {
            kids.extend(env.default.iter());
            check_range(text, env.var_range, "env var", path);
        }
        Value::Call(c) => {
            check_range(text, c.args_range, "args", path);
            check_range(
                text,
                TextRange::empty(c.insert.offset),
                "kwarg insert",
                path,
            );
            kids.extend(c.args.iter());
            kids.extend(c.kwargs.iter().map(|k| &k.value));
        }
        Value::BinOp(b) => kids.extend([&b.left, &b.right]),
        _ => {}
    }
    for k in kids {
        check_expr(text, k, path, own_file);
    }
}

fn sweep(dir: &Path) -> usize {
    let files = py_files(dir);
    files.par_iter().for_each(|path| {
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let m = PyModule::parse(&text);
        for (r, msg) in m.syntax_errors() {
            check_range(&text, r, "syntax error", path);
            assert!(!msg.is_empty());
        }
        if let Some(d) = m.docstring_range() {
            check_range(&text, d, "docstring", path);
        }
        for c in m.cpu_count_calls() {
            check_range(&text, c.range, "call", path);
        }
        let _ = m.settings_module_default();
        let _ = m.imports();
        let s = Settings::evaluate(path, &m);
        for b in s.all() {
            check_range(&text, b.statement_range, "statement", path);
            check_range(&text, b.target_range, "target", path);
            for c in &b.conditions {
                check_range(&text, c.range, "condition", path);
            }
            for k in &b.keys {
                check_range(&text, k.range, "key", path);
            }
            check_expr(&text, &b.value, path, path);
        }
        for name in ["DATABASES", "CACHES"] {
            for o in s.resolve(&[name, "default", "CONN_MAX_AGE"]).outcomes {
                if let Outcome::Missing {
                    insert: Some(at), ..
                } = o
                {
                    for (r, _) in at.add_entry("\"X\": 1") {
                        check_range(&text, r, "fix edit", path);
                    }
                }
            }
        }
        let _ = s.list("MIDDLEWARE");
        let _ = s.list("INSTALLED_APPS");
    });
    files.len()
}

#[test]
fn corpus_django_and_gunicorn_sweep() {
    let Some(root) = corpus() else { return };
    let n = sweep(&root.join("django")) + sweep(&root.join("gunicorn"));
    assert!(n > 40, "only {n} files");
}

#[test]
fn corpus_all_python_sweep() {
    let Some(root) = corpus() else { return };
    assert!(sweep(&root) > 40);
}

/// Resolves imports between flattened corpus files
/// (`owner__repo__pkg__settings__base.py`).
struct FlatLoader {
    modules: HashMap<PathBuf, PyModule>,
}

impl FlatLoader {
    fn new(dir: &Path, prefix: &str) -> Self {
        let mut modules = HashMap::new();
        for p in py_files(dir) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(prefix) {
                let text = std::fs::read_to_string(&p).unwrap();
                modules.insert(p, PyModule::parse(&text));
            }
        }
        Self { modules }
    }
}

impl ModuleLoader for FlatLoader {
    fn load(&self, importer: &Path, spec: &ImportSpec) -> Option<(PathBuf, &PyModule)> {
        let dir = importer.parent()?;
        let name = importer.file_stem()?.to_string_lossy().into_owned();
        let mut segs: Vec<&str> = name.split("__").collect();
        let candidate = if spec.level > 0 {
            for _ in 0..spec.level {
                segs.pop();
            }
            let mut parts: Vec<String> = segs.iter().map(|s| (*s).to_owned()).collect();
            parts.extend(spec.module.iter().cloned());
            parts.join("__")
        } else {
            // owner__repo__ + the dotted module.
            let mut parts: Vec<String> = segs.iter().take(2).map(|s| (*s).to_owned()).collect();
            parts.extend(spec.module.iter().cloned());
            parts.join("__")
        };
        let path = dir.join(format!("{candidate}.py"));
        self.modules.get(&path).map(|m| (path, m))
    }
}

#[test]
fn djangoproject_settings_chain() {
    let Some(root) = corpus() else { return };
    let dir = root.join("django");
    let loader = FlatLoader::new(&dir, "django__djangoproject.com__djangoproject__settings__");
    let docker = dir.join("django__djangoproject.com__djangoproject__settings__docker.py");
    let prod = dir.join("django__djangoproject.com__djangoproject__settings__prod.py");
    let common = dir.join("django__djangoproject.com__djangoproject__settings__common.py");
    let dev = dir.join("django__djangoproject.com__djangoproject__settings__dev.py");

    // prod.py: `from .common import *`, then DEBUG from the environment.
    let s = Settings::evaluate_with(&prod, loader.modules.get(&prod).unwrap(), &loader);
    assert!(
        s.unresolved_imports().is_empty(),
        "{:?}",
        s.unresolved_imports()
    );
    let debug = s.get("DEBUG").unwrap();
    assert_eq!(&*debug.file, prod.as_path());
    assert_eq!(debug.value.unset_value(), Some(Value::Bool(false)));
    assert!(debug.value.can_be(&Value::Bool(true)));
    // DATABASES comes from common.py, with an env default for NAME.
    let r = s.resolve(&["DATABASES", "default", "NAME"]);
    let Some(Outcome::Value { binding, expr }) = r.last() else {
        panic!("{r:?}")
    };
    assert_eq!(&*binding.file, common.as_path());
    assert_eq!(
        expr.unset_value(),
        Some(Value::Str("djangoproject".to_owned()))
    );
    let common_text = std::fs::read_to_string(&common).unwrap();
    assert_eq!(
        common_text.get(expr.range.as_range()),
        Some("os.getenv(\"DJANGO_DB_NAME\", \"djangoproject\")")
    );
    // CONN_MAX_AGE is missing: the insertion point is common.py's "default" dict.
    let r = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let Some(Outcome::Missing {
        binding,
        insert: Some(at),
        ..
    }) = r.last()
    else {
        panic!("{r:?}")
    };
    assert_eq!(&*binding.file, common.as_path());
    assert!(
        common_text
            .get(at.container.as_range())
            .unwrap()
            .starts_with("{\n        \"ENGINE\"")
    );
    // MIDDLEWARE in prod prepends to common's list: all elements with their files.
    let mw = s.list("MIDDLEWARE").unwrap();
    assert!(mw.items.len() > 5);
    assert!(mw.items.iter().any(|i| &*i.expr.file == common.as_path()));

    // docker.py → dev.py → common.py: three levels, DATABASES replaced in docker.py.
    let s = Settings::evaluate_with(&docker, loader.modules.get(&docker).unwrap(), &loader);
    assert!(s.unresolved_imports().is_empty());
    let files: std::collections::HashSet<_> =
        s.all().iter().map(|b| b.file.to_path_buf()).collect();
    assert!(files.contains(&common) && files.contains(&dev) && files.contains(&docker));
    assert_eq!(s.value("DEBUG").unwrap().value, Value::Bool(true));
    let trac = s.resolve(&["DATABASES", "trac"]);
    assert_eq!(&*trac.last().unwrap().binding().file, docker.as_path());
}

#[test]
fn cookiecutter_settings_chain() {
    let Some(root) = corpus() else { return };
    let dir = root.join("django");
    let loader = FlatLoader::new(
        &dir,
        "cookiecutter__cookiecutter-django__cookiecutter.project_slug__config__settings__",
    );
    let prod = dir.join("cookiecutter__cookiecutter-django__cookiecutter.project_slug__config__settings__production.py");
    let base = dir.join(
        "cookiecutter__cookiecutter-django__cookiecutter.project_slug__config__settings__base.py",
    );
    let m = loader.modules.get(&prod).unwrap();
    assert!(m.is_template());
    let s = Settings::evaluate_with(&prod, m, &loader);
    assert!(
        s.unresolved_imports().is_empty(),
        "{:?}",
        s.unresolved_imports()
    );
    // base.py: DEBUG = env.bool("DJANGO_DEBUG", False)
    let debug = s.get("DEBUG").unwrap();
    assert_eq!(&*debug.file, base.as_path());
    assert_eq!(debug.value.unset_value(), Some(Value::Bool(false)));
    // production.py: DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    let r = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let Some(Outcome::Value { binding, expr }) = r.last() else {
        panic!("{r:?}")
    };
    assert_eq!(&*binding.file, prod.as_path());
    assert_eq!(expr.unset_value(), Some(Value::Int(60)));
    // SECRET_KEY = env("DJANGO_SECRET_KEY"): required.
    let sk = s.value("SECRET_KEY").unwrap().env().unwrap();
    assert!(sk.required);
}

