//! One test per construct of the value model and the settings evaluation; ranges are
//! checked by slicing the source.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::slice;
use stacklint_python::{
    BindingKind, ConditionKind, EnvOp, EnvSource, MemoryLoader, Outcome, PyModule, Settings, Unset,
    UrlConfigKind, Value, parse,
};

fn eval(src: &str) -> Settings {
    Settings::evaluate(Path::new("settings.py"), &parse(src))
}

fn unset(s: &Settings, name: &str) -> Option<Value> {
    s.value(name).and_then(stacklint_python::Expr::unset_value)
}

fn string(s: &str) -> Value {
    Value::Str(s.to_owned())
}

#[test]
fn literals() {
    let src = "A = 'x'\nB = 0x10\nC = 1_000\nD = 1.5\nE = None\nF = True\nG = -3\nH = r'\\d'\nI = 'a\\tb'\nJ = b'by'\nK = ('a' 'b')\nL = {1, 2}\n";
    let s = eval(src);
    assert_eq!(unset(&s, "A"), Some(string("x")));
    assert_eq!(unset(&s, "B"), Some(Value::Int(16)));
    assert_eq!(unset(&s, "C"), Some(Value::Int(1000)));
    assert_eq!(unset(&s, "D"), Some(Value::Float(1.5)));
    assert_eq!(unset(&s, "E"), Some(Value::None));
    assert_eq!(unset(&s, "F"), Some(Value::Bool(true)));
    assert_eq!(unset(&s, "G"), Some(Value::Int(-3)));
    assert_eq!(unset(&s, "H"), Some(string("\\d")));
    assert_eq!(unset(&s, "I"), Some(string("a\tb")));
    assert_eq!(unset(&s, "J"), Some(string("by")));
    assert_eq!(unset(&s, "K"), Some(string("ab")));
    assert!(matches!(s.value("L").unwrap().value, Value::Set(ref xs) if xs.len() == 2));
    let b = s.get("A").unwrap();
    assert_eq!(slice(src, b.statement_range), "A = 'x'");
    assert_eq!(slice(src, b.target_range), "A");
    assert_eq!(slice(src, b.value.range), "'x'");
}

#[test]
fn os_environ_forms() {
    let src = r#"import os
from os import environ, getenv as ge
A = os.environ.get("A", "a")
B = os.getenv("B")
C = os.environ["C"]
D = environ.get("D", "d")
E = ge("E", "e")
F = os.environ.get("F") or "fallback"
G = os.environ.setdefault("G", "g")
"#;
    let s = eval(src);
    let a = s.value("A").unwrap().env().unwrap();
    assert_eq!(a.source, EnvSource::OsEnvironGet);
    assert_eq!(slice(src, a.var_range), "\"A\"");
    assert_eq!(slice(src, a.default.as_ref().unwrap().range), "\"a\"");
    assert_eq!(
        s.value("B").unwrap().env().unwrap().unset_value(),
        Unset::Value(Value::None)
    );
    let c = s.value("C").unwrap().env().unwrap();
    assert!(c.required);
    assert_eq!(c.source, EnvSource::OsEnvironIndex);
    assert_eq!(c.unset_value(), Unset::Raises);
    assert_eq!(unset(&s, "D"), Some(string("d")));
    assert_eq!(unset(&s, "E"), Some(string("e")));
    assert_eq!(unset(&s, "F"), Some(string("fallback")));
    assert_eq!(unset(&s, "G"), Some(string("g")));
}

#[test]
fn casts_and_comparisons() {
    let src = r#"import os
DEBUG = os.environ.get("DEBUG", "False") == "True"
D2 = os.environ.get("D2", "0").lower() in ("1", "true", "yes")
D3 = bool(os.environ.get("D3", "False"))
D4 = int(os.environ.get("D4", "3"))
D5 = os.environ.get("D5", "a, b").split(",")
D6 = not os.environ.get("D6")
D7 = os.environ.get("D7", "x") != "x"
D8 = bool(os.environ.get("D8"))
D9 = os.getenv("D9", "on").lower() not in ("0", "false")
"#;
    let s = eval(src);
    assert_eq!(unset(&s, "DEBUG"), Some(Value::Bool(false)));
    assert!(s.value("DEBUG").unwrap().can_be(&Value::Bool(true)));
    assert!(!s.value("DEBUG").unwrap().can_be(&string("True")));
    assert_eq!(unset(&s, "D2"), Some(Value::Bool(false)));
    let d2 = s.value("D2").unwrap();
    assert_eq!(d2.env().unwrap().ops.len(), 2);
    assert_eq!(
        slice(src, d2.range),
        "os.environ.get(\"D2\", \"0\").lower() in (\"1\", \"true\", \"yes\")"
    );
    // Python's bool("False") is True.
    assert_eq!(unset(&s, "D3"), Some(Value::Bool(true)));
    assert_eq!(unset(&s, "D4"), Some(Value::Int(3)));
    let Some(Value::List(items)) = unset(&s, "D5") else {
        panic!()
    };
    assert_eq!(
        items.iter().map(|i| i.value.clone()).collect::<Vec<_>>(),
        vec![string("a"), string(" b")]
    );
    assert_eq!(unset(&s, "D6"), Some(Value::Bool(true)));
    assert_eq!(unset(&s, "D7"), Some(Value::Bool(false)));
    assert_eq!(unset(&s, "D8"), Some(Value::Bool(false)));
    assert_eq!(unset(&s, "D9"), Some(Value::Bool(true)));
}

#[test]
fn django_environ() {
    let src = r#"import environ
env = environ.Env(DEBUG=(bool, False), WORKERS=(int, 2), HOSTS=(list, []))
DEBUG = env("DEBUG")
WORKERS = env("WORKERS")
SECRET_KEY = env("SECRET_KEY")
SSL = env.bool("SSL", default=True)
PORT = env.int("PORT", 8000)
HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
RATE = env.float("RATE", default=0.5)
CFG = env.json("CFG", default={})
NAME = env.str("NAME", default="x")
DATABASES = {"default": env.db("DATABASE_URL", default="postgres:///app")}
CACHES = {"default": env.cache_url("CACHE_URL", default="redis://localhost:6379/0")}
"#;
    let s = eval(src);
    assert_eq!(unset(&s, "DEBUG"), Some(Value::Bool(false)));
    assert!(s.value("DEBUG").unwrap().can_be(&Value::Bool(true)));
    assert_eq!(unset(&s, "WORKERS"), Some(Value::Int(2)));
    assert_eq!(
        s.value("SECRET_KEY").unwrap().env().unwrap().unset_value(),
        Unset::Raises
    );
    let ssl = s.value("SSL").unwrap().env().unwrap();
    assert_eq!(ssl.source, EnvSource::DjangoEnviron);
    assert_eq!(ssl.ops, vec![EnvOp::ParseBool]);
    assert_eq!(unset(&s, "SSL"), Some(Value::Bool(true)));
    assert_eq!(unset(&s, "PORT"), Some(Value::Int(8000)));
    let Some(Value::List(h)) = unset(&s, "HOSTS") else {
        panic!()
    };
    assert_eq!(h[0].value, string("*"));
    assert_eq!(slice(src, h[0].range), "\"*\"");
    assert_eq!(unset(&s, "RATE"), Some(Value::Float(0.5)));
    assert!(matches!(unset(&s, "CFG"), Some(Value::Dict(_))));
    assert_eq!(unset(&s, "NAME"), Some(string("x")));
    let engine = s.resolve(&["DATABASES", "default", "ENGINE"]);
    let Some(Outcome::Derived { value, .. }) = engine.last() else {
        panic!("{engine:?}")
    };
    assert_eq!(value, &string("django.db.backends.postgresql"));
    let Some(Outcome::Derived { value, at, .. }) =
        s.resolve(&["CACHES", "default", "ENGINE"]).last().cloned()
    else {
        panic!()
    };
    assert_eq!(value, string("django_redis.cache.RedisCache"));
    let Value::UrlConfig(u) = &at.value else {
        panic!()
    };
    assert_eq!(u.kind, UrlConfigKind::EnvironCache);
    let conn = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    assert!(matches!(
        conn.last(),
        Some(Outcome::Missing { insert: None, .. })
    ));
}

#[test]
fn decouple() {
    let src = r#"from decouple import config, Csv
DEBUG = config("DEBUG", default=False, cast=bool)
D2 = config("D2", default="yes", cast=bool)
HOSTS = config("ALLOWED_HOSTS", default="a.com, b.com", cast=Csv())
PORT = config("PORT", default="5432", cast=int)
SECRET_KEY = config("SECRET_KEY")
"#;
    let s = eval(src);
    assert_eq!(unset(&s, "DEBUG"), Some(Value::Bool(false)));
    assert_eq!(unset(&s, "D2"), Some(Value::Bool(true)));
    let Some(Value::List(h)) = unset(&s, "HOSTS") else {
        panic!()
    };
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].value, string("b.com"));
    assert_eq!(unset(&s, "PORT"), Some(Value::Int(5432)));
    let sk = s.value("SECRET_KEY").unwrap().env().unwrap();
    assert_eq!(sk.source, EnvSource::Decouple);
    assert!(sk.required);
}

#[test]
fn dj_database_url_kwargs() {
    let src = r#"import dj_database_url
import os
DATABASES = {
    "default": dj_database_url.config(
        default="postgres://u:p@db/app",
        conn_max_age=600,
    )
}
DATABASES["replica"] = dj_database_url.parse(os.environ["REPLICA_URL"], conn_health_checks=True)
DATABASES["other"] = dj_database_url.parse("mysql://x/y")
"#;
    let s = eval(src);
    let r = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let Some(Outcome::Value { expr, .. }) = r.last() else {
        panic!("{r:?}")
    };
    assert_eq!(expr.value, Value::Int(600));
    assert_eq!(slice(src, expr.range), "600");
    let r = s.resolve(&["DATABASES", "default", "CONN_HEALTH_CHECKS"]);
    let Some(Outcome::Missing {
        insert: Some(at),
        kwarg: Some(kw),
        implied,
        ..
    }) = r.last()
    else {
        panic!()
    };
    assert_eq!(*kw, "conn_health_checks");
    assert_eq!(implied, &Some(Value::Bool(false)));
    // Multi-line argument list with a trailing comma: a new line with the same indent.
    let edits = at.add_entry("conn_health_checks=True");
    let mut fixed = src.to_owned();
    for (range, text) in edits.iter().rev() {
        fixed.replace_range(range.as_range(), text);
    }
    assert!(
        fixed.contains("conn_max_age=600,\n        conn_health_checks=True,\n    )"),
        "{fixed}"
    );
    let r = s.resolve(&["DATABASES", "default", "ENGINE"]);
    assert!(
        matches!(r.last(), Some(Outcome::Derived { value: Value::Str(e), .. }) if e == "django.db.backends.postgresql")
    );
    let r = s.resolve(&["DATABASES", "replica", "CONN_MAX_AGE"]);
    let Some(Outcome::Missing {
        implied: Some(Value::Int(0)),
        insert: Some(at),
        ..
    }) = r.last()
    else {
        panic!()
    };
    assert_eq!(at.add_entry("conn_max_age=600")[0].1, ", conn_max_age=600");
    let r = s.resolve(&["DATABASES", "replica", "CONN_HEALTH_CHECKS"]);
    assert!(
        matches!(r.last(), Some(Outcome::Value { expr, .. }) if expr.value == Value::Bool(true))
    );
    let r = s.resolve(&["DATABASES", "other", "ENGINE"]);
    assert!(
        matches!(r.last(), Some(Outcome::Derived { value: Value::Str(e), .. }) if e == "django.db.backends.mysql")
    );
}

#[test]
fn fstrings_concat_and_names() {
    let src = r#"import os
REDIS_URL = os.environ.get("REDIS_URL", "redis://r:6379")
LOCATION = REDIS_URL
A = f"{REDIS_URL}/1"
B = REDIS_URL + "/2"
C = "x" + "y"
D = f"plain {{braces}}"
E = f"{UNKNOWN}/3"
F = f"{REDIS_URL!r}"
"#;
    let s = eval(src);
    assert_eq!(unset(&s, "LOCATION"), Some(string("redis://r:6379")));
    assert_eq!(unset(&s, "A"), Some(string("redis://r:6379/1")));
    assert_eq!(unset(&s, "B"), Some(string("redis://r:6379/2")));
    assert_eq!(unset(&s, "C"), Some(string("xy")));
    assert_eq!(unset(&s, "D"), Some(string("plain {braces}")));
    assert_eq!(unset(&s, "E"), None);
    assert_eq!(unset(&s, "F"), None);
    let Value::Concat(parts) = &s.value("A").unwrap().value else {
        panic!()
    };
    assert_eq!(slice(src, parts[0].range), "REDIS_URL");
    assert_eq!(slice(src, parts[1].range), "/1");
    // The name's target keeps the range of the original definition.
    let Value::Name(n) = &s.value("LOCATION").unwrap().value else {
        panic!()
    };
    assert_eq!(
        slice(src, n.target.as_ref().unwrap().range),
        "os.environ.get(\"REDIS_URL\", \"redis://r:6379\")"
    );
}

#[test]
fn binding_kinds() {
    let src = r#"MIDDLEWARE = ["a", "b"]
MIDDLEWARE += ["c"]
MIDDLEWARE.append("d")
MIDDLEWARE.insert(0, "gzip")
MIDDLEWARE.extend(["e", "f"])
MIDDLEWARE.remove("b")
DATABASES = {"default": {}}
DATABASES['default']['CONN_MAX_AGE'] = 0
DATABASES["default"].update({"CONN_HEALTH_CHECKS": True})
workers: 4
timeout: int = 30
HOST, PORT = "h", 80
X = Y = 5
"#;
    let s = eval(src);
    let kinds: Vec<_> = s.bindings("MIDDLEWARE").map(|b| b.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            BindingKind::Assign,
            BindingKind::AugAssign { op: "+".to_owned() },
            BindingKind::Append,
            BindingKind::Insert { index: Some(0) },
            BindingKind::Extend,
            BindingKind::Remove,
        ]
    );
    let list = s.list("MIDDLEWARE").unwrap();
    let items: Vec<_> = list
        .items
        .iter()
        .map(|i| i.expr.as_str().unwrap())
        .collect();
    assert_eq!(items, vec!["gzip", "a", "c", "d", "e", "f"]);
    assert!(list.complete);
    assert_eq!(list.items[0].index, 0);
    assert_eq!(slice(src, list.items[0].expr.range), "\"gzip\"");
    let sub = s.bindings("DATABASES").nth(1).unwrap();
    assert_eq!(sub.kind, BindingKind::SubscriptAssign);
    assert_eq!(sub.keys.len(), 2);
    assert_eq!(slice(src, sub.keys[1].range), "'CONN_MAX_AGE'");
    assert_eq!(
        slice(src, sub.statement_range),
        "DATABASES['default']['CONN_MAX_AGE'] = 0"
    );
    let r = s.resolve(&["DATABASES", "default", "CONN_HEALTH_CHECKS"]);
    assert!(
        matches!(r.last(), Some(Outcome::Value { expr, .. }) if expr.value == Value::Bool(true))
    );
    let w = s.bindings("workers").next().unwrap();
    assert_eq!(w.kind, BindingKind::AnnotationOnly);
    assert_eq!(slice(src, w.statement_range), "workers: 4");
    assert!(s.get("workers").is_none());
    assert_eq!(s.annotations_only().count(), 1);
    assert_eq!(unset(&s, "timeout"), Some(Value::Int(30)));
    assert_eq!(
        s.get("PORT").unwrap().kind,
        BindingKind::Unpack { index: 1 }
    );
    assert_eq!(unset(&s, "PORT"), Some(Value::Int(80)));
    assert_eq!(unset(&s, "X"), Some(Value::Int(5)));
    assert_eq!(unset(&s, "Y"), Some(Value::Int(5)));
}

#[test]
fn conditions() {
    let src = r#"import os
DEBUG = False
if os.environ.get("DEV"):
    DEBUG = True
elif os.environ.get("STAGING"):
    DEBUG = "staging"
else:
    DEBUG = None
try:
    from .local import *
    LOCAL = True
except ImportError:
    LOCAL = False
for x in range(3):
    LOOP = x
"#;
    let s = eval(src);
    let all: Vec<_> = s.bindings("DEBUG").collect();
    assert_eq!(all.len(), 4);
    assert!(all[1].conditions[0].kind == ConditionKind::If && !all[1].conditions[0].negated);
    assert_eq!(
        slice(src, all[1].conditions[0].range),
        "os.environ.get(\"DEV\")"
    );
    let c2: Vec<_> = all[2]
        .conditions
        .iter()
        .map(|c| (c.kind, c.negated))
        .collect();
    assert_eq!(
        c2,
        vec![(ConditionKind::If, true), (ConditionKind::Elif, false)]
    );
    let c3: Vec<_> = all[3]
        .conditions
        .iter()
        .map(|c| (c.kind, c.negated))
        .collect();
    assert_eq!(
        c3,
        vec![(ConditionKind::If, true), (ConditionKind::Elif, true)]
    );
    assert_eq!(
        all[1].conditions[0].statement,
        all[3].conditions[0].statement
    );
    // get(): the last unconditional binding.
    assert_eq!(s.value("DEBUG").unwrap().value, Value::Bool(false));
    let local: Vec<_> = s.bindings("LOCAL").collect();
    assert_eq!(local[0].conditions[0].kind, ConditionKind::Try);
    assert!(!local[0].is_conditional());
    assert_eq!(local[1].conditions[0].kind, ConditionKind::Except);
    assert_eq!(local[1].conditions[0].text, "ImportError");
    assert_eq!(s.value("LOCAL").unwrap().value, Value::Bool(true));
    assert_eq!(
        s.get("LOOP").unwrap().conditions[0].kind,
        ConditionKind::Loop
    );
    assert_eq!(s.unresolved_imports().len(), 1);
}

fn loader(files: &[(&str, &str)]) -> MemoryLoader {
    let mut l = MemoryLoader::new(Some(PathBuf::from("/p")));
    for (p, src) in files {
        l.add(*p, src);
    }
    l
}

#[test]
fn star_import_chain() {
    let base = r#"import environ
env = environ.Env()
DEBUG = True
REDIS_URL = env("REDIS_URL", default="redis://base")
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
MIDDLEWARE = ["a"]
_private = 1
"#;
    let common = "from .base import *\nMIDDLEWARE.append('common')\n";
    let prod = r#"from .common import *
from .base import DATABASES, REDIS_URL as R
from myproj.settings.extra import EXTRA
DEBUG = env.bool("DEBUG", default=False)
CACHE_LOCATION = f"{R}/1"
"#;
    let l = loader(&[
        ("/p/myproj/settings/base.py", base),
        ("/p/myproj/settings/common.py", common),
        ("/p/myproj/settings/extra.py", "EXTRA = 1\n"),
    ]);
    let path = Path::new("/p/myproj/settings/production.py");
    let m = parse(prod);
    let s = Settings::evaluate_with(path, &m, &l);
    assert!(
        s.unresolved_imports().is_empty(),
        "{:?}",
        s.unresolved_imports()
    );
    let debug: Vec<_> = s.bindings("DEBUG").collect();
    assert_eq!(debug.len(), 2);
    assert_eq!(&*debug[0].file, Path::new("/p/myproj/settings/base.py"));
    assert_eq!(slice(base, debug[0].statement_range), "DEBUG = True");
    assert_eq!(debug[0].imported_via.len(), 2);
    assert_eq!(&*debug[1].file, path);
    // env from base is known in production (an environ.Env instance).
    assert_eq!(unset(&s, "DEBUG"), Some(Value::Bool(false)));
    assert_eq!(unset(&s, "CACHE_LOCATION"), Some(string("redis://base/1")));
    assert_eq!(unset(&s, "EXTRA"), Some(Value::Int(1)));
    assert!(!s.contains("_private"));
    // The subscript assignment in base.py, found through both imports.
    let r = s.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
    let Some(Outcome::Value { binding, expr }) = r.last() else {
        panic!("{r:?}")
    };
    assert_eq!(&*binding.file, Path::new("/p/myproj/settings/base.py"));
    assert_eq!(
        slice(base, expr.range),
        "env.int(\"CONN_MAX_AGE\", default=60)"
    );
    assert_eq!(expr.unset_value(), Some(Value::Int(60)));
    let mw = s.list("MIDDLEWARE").unwrap();
    assert_eq!(mw.items.len(), 2);
    assert_eq!(
        &*mw.items[1].binding.file,
        Path::new("/p/myproj/settings/common.py")
    );
}

#[test]
fn import_cycles_terminate() {
    let l = loader(&[
        ("/p/s/a.py", "from .b import *\nA = 1\n"),
        ("/p/s/b.py", "from .a import *\nB = 2\n"),
    ]);
    let m = parse("from .a import *\nC = 3\n");
    let s = Settings::evaluate_with(Path::new("/p/s/c.py"), &m, &l);
    assert_eq!(unset(&s, "A"), Some(Value::Int(1)));
    assert_eq!(unset(&s, "B"), Some(Value::Int(2)));
    let m = parse("from .a import *\n");
    let s = Settings::evaluate_with(Path::new("/p/s/a.py"), &m, &l);
    assert!(!s.unresolved_imports().is_empty());
}

#[test]
fn insert_points() {
    let src = "A = {\"x\": 1}\nB = {}\nC = {\n    \"x\": 1\n}\nD = {\"x\": 1,}\n";
    let s = eval(src);
    let add = |name: &str| {
        let r = s.resolve(&[name, "NEW"]);
        let Some(Outcome::Missing {
            insert: Some(at), ..
        }) = r.last()
        else {
            panic!()
        };
        let mut t = src.to_owned();
        for (range, text) in at.add_entry("\"NEW\": 2").iter().rev() {
            t.replace_range(range.as_range(), text);
        }
        t
    };
    assert!(add("A").contains("A = {\"x\": 1, \"NEW\": 2}"));
    assert!(add("B").contains("B = {\"NEW\": 2}"));
    assert!(
        add("C").contains("C = {\n    \"x\": 1,\n    \"NEW\": 2,\n}"),
        "{}",
        add("C")
    );
    assert!(add("D").contains("D = {\"x\": 1, \"NEW\": 2}"));
}

#[test]
fn syntax_errors_and_hostile_input() {
    let m = parse("DEBUG = True\ndef broken(:\n    pass\nX = [1, 2\n");
    let errs = m.syntax_errors();
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|(_, msg)| msg.starts_with("unexpected `") || msg.starts_with("missing `")),
        "{errs:?}"
    );
    let m = parse("x = foo(1, 2\n");
    assert!(
        m.syntax_errors().iter().any(|(_, msg)| msg.contains(')')),
        "{:?}",
        m.syntax_errors()
    );

    let jinja =
        "{% if cookiecutter.use_celery == 'y' %}\nCELERY = True\n{% endif %}\nDEBUG = False\n";
    let m = parse(jinja);
    assert!(m.is_template());
    assert!(m.syntax_errors().is_empty(), "{:?}", m.syntax_errors());
    let s = Settings::evaluate(Path::new("x.py"), &m);
    assert!(s.value("DEBUG").is_some());
    assert_eq!(
        slice(jinja, s.get("CELERY").unwrap().statement_range),
        "CELERY = True"
    );
    let m = parse("x = foo(1, 2\n");
    assert_eq!(m.syntax_errors()[0].1, "missing `)` to close this `(`");

    for src in [
        "\0\0\0 = \0",
        "x = '\0'",
        "é = 'ü\u{1F600}'\n\0",
        "((((((((((",
        "\"\"\"unterminated",
        "class",
        "f'{",
        "x: = 1",
        "from . import *",
        "from .... import *",
    ] {
        let m = parse(src);
        let _ = m.syntax_errors();
        let s = Settings::evaluate(Path::new("/a/b.py"), &m);
        for b in s.all() {
            slice(src, b.statement_range);
        }
    }

    // Deep nesting and long chains: no stack overflow.
    let deep = format!("X = {}1{}\n", "[".repeat(5000), "]".repeat(5000));
    let s = Settings::evaluate(Path::new("x.py"), &parse(&deep));
    assert!(s.value("X").is_some());
    let chain = format!("X = 1{}\n", " + 1".repeat(20000));
    let s = Settings::evaluate(Path::new("x.py"), &parse(&chain));
    assert!(s.value("X").is_some());
    let mut names = String::from("A0 = [1]\n");
    for i in 1..3000 {
        let _ = writeln!(names, "A{i} = [A{}, A{}]", i - 1, i - 1);
    }
    let s = Settings::evaluate(Path::new("x.py"), &parse(&names));
    assert!(s.value("A2999").is_some());
    let mut ifs = String::new();
    for i in 0..200 {
        ifs.push_str(&" ".repeat(i));
        ifs.push_str("if x:\n");
    }
    ifs.push_str(&" ".repeat(200));
    ifs.push_str("Y = 1\n");
    let _ = Settings::evaluate(Path::new("x.py"), &parse(&ifs));
}

#[test]
fn module_helpers() {
    let src = "\"\"\"Gunicorn config.\"\"\"\nimport multiprocessing as mp\nimport os\nfrom os import cpu_count\n\nworkers = mp.cpu_count() * 2 + 1\nthreads = os.cpu_count()\nx = cpu_count()\n";
    let m = parse(src);
    assert_eq!(
        slice(src, m.docstring_range().unwrap()),
        "\"\"\"Gunicorn config.\"\"\""
    );
    let calls = m.cpu_count_calls();
    let texts: Vec<_> = calls.iter().map(|c| slice(src, c.range)).collect();
    assert_eq!(
        texts,
        vec!["mp.cpu_count()", "os.cpu_count()", "cpu_count()"]
    );
    assert_eq!(calls[0].callee, "multiprocessing.cpu_count");
    let imports = m.imports();
    assert_eq!(imports.len(), 3);
    assert_eq!(imports[0].alias.as_deref(), Some("mp"));
    assert_eq!(imports[2].names[0].name, "cpu_count");
    assert_eq!(m.after_imports_offset(), src.find("\nworkers").unwrap());
    assert_eq!(m.end_insertion(), (src.len(), false));
    assert_eq!(parse("x = 1").end_insertion(), (5, true));

    let manage = "import os\nimport sys\n\ndef main():\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.prod')\n";
    let d = parse(manage).settings_module_default().unwrap();
    assert_eq!(d.value, "proj.settings.prod");
    assert_eq!(slice(manage, d.value_range), "'proj.settings.prod'");
    let asgi = "import os\nos.environ[\"DJANGO_SETTINGS_MODULE\"] = \"a.b\"\n";
    assert_eq!(parse(asgi).settings_module_default().unwrap().value, "a.b");
}

#[test]
fn send_sync() {
    fn check<T: Send + Sync>() {}
    check::<PyModule>();
    check::<Settings>();
}

#[test]
fn split_settings_include_of_unreadable_files_makes_earlier_bindings_unknown() {
    // AWX's production.py: the deployment's /etc file may replace any setting.
    let src = r"from split_settings.tools import include, optional
DEBUG = False
ALLOWED_HOSTS = []
SECRET_KEY = None
try:
    include(optional('/etc/tower/settings.py'), scope=locals())
except IOError:
    SECRET_KEY = 'permission-denied'
LATER = 1
";
    let s = eval(src);
    for name in ["DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"] {
        assert_eq!(unset(&s, name), None, "{name} may come from the included file");
    }
    assert!(s.list("ALLOWED_HOSTS").is_some_and(|l| l.items.is_empty() && !l.complete));
    assert_eq!(unset(&s, "LATER"), Some(Value::Int(1)));
    let [inc] = s.unknown_includes() else { panic!("{:?}", s.unknown_includes()) };
    assert_eq!(slice(src, inc.range), "include(optional('/etc/tower/settings.py'), scope=locals())");
    // The handler's key stays conditional: an alternative, never the certain value.
    let last = s.bindings("SECRET_KEY").last().unwrap();
    assert!(last.is_conditional());
    assert_eq!(last.conditions.first().map(|c| c.kind), Some(ConditionKind::Except));
}

#[test]
fn split_settings_include_globs_and_computed_paths_are_unknown() {
    for call in [
        "include('components/*.py')",
        "include(os.path.join(settings_dir, '*.py'))",
        "include(*files)",
        "include(f'environments/{ENV}.py')",
        "include('../outside.py')",
        "include('missing.py')",
    ] {
        let src = format!("import os\nfrom split_settings.tools import include\nDEBUG = False\n{call}\n");
        let s = eval(&src);
        assert_eq!(unset(&s, "DEBUG"), None, "{call}");
        assert_eq!(s.unknown_includes().len(), 1, "{call}");
    }
    // Not split_settings' include: nothing happens.
    let s = eval("from django.urls import include\nDEBUG = False\ninclude('x.py')\n");
    assert_eq!(unset(&s, "DEBUG"), Some(Value::Bool(false)));
    assert!(s.unknown_includes().is_empty());
}

#[test]
fn split_settings_include_of_project_files_evaluates_them_in_order() {
    // wemake-django-template: components relative to the including file's folder.
    let main = r"from split_settings.tools import include, optional
DEBUG = True
include('components/common.py', optional('components/caches.py'))
";
    let l = loader(&[
        ("/p/server/settings/components/common.py", "DEBUG = False\nALLOWED_HOSTS = ['example.com']\n_PRIVATE = 1\n"),
        ("/p/server/settings/components/caches.py", "ALLOWED_HOSTS += ['www.example.com']\n"),
    ]);
    let path = Path::new("/p/server/settings/__init__.py");
    let module = PyModule::parse(main);
    let s = Settings::evaluate_with(path, &module, &l);
    assert!(s.unknown_includes().is_empty());
    assert_eq!(unset(&s, "DEBUG"), Some(Value::Bool(false)));
    assert_eq!(&*s.get("DEBUG").unwrap().file, Path::new("/p/server/settings/components/common.py"));
    let hosts = s.list("ALLOWED_HOSTS").unwrap();
    let items: Vec<_> = hosts.items.iter().map(|i| i.expr.unset_value()).collect();
    assert_eq!(items, [Some(string("example.com")), Some(string("www.example.com"))]);
    // Files run in the module's globals: underscore names too.
    assert!(s.contains("_PRIVATE"));
}

#[test]
fn star_import_of_a_module_with_an_unknown_include_makes_earlier_bindings_unknown() {
    let base = "from split_settings.tools import include\nMIDDLEWARE = []\ninclude('/etc/app/extra.py')\n";
    let main = "ALLOWED_HOSTS = []\nfrom .base import *\nX = 1\n";
    let l = loader(&[("/p/proj/base.py", base)]);
    let module = PyModule::parse(main);
    let s = Settings::evaluate_with(Path::new("/p/proj/settings.py"), &module, &l);
    assert_eq!(unset(&s, "ALLOWED_HOSTS"), None);
    assert_eq!(unset(&s, "MIDDLEWARE"), None);
    assert_eq!(unset(&s, "X"), Some(Value::Int(1)));
    assert_eq!(s.unknown_includes().len(), 1);
}

#[test]
fn definition_attribute_use_finds_body_reads_in_one_definition() {
    let src = r#"import functools

class HeaderOnly:
    def __call__(self, request):
        response = self.get_response(request)
        response["X-A"] = "1"
        return response

class Sizes:
    def __call__(self, request):
        response = self.get_response(request)
        self.size = len(response.content)
        return response

@functools.wraps
def streamer(get_response):
    def middleware(request):
        r = get_response(request)
        return r.streaming_content
    return middleware
"#;
    let m = parse(src);
    let attrs = &["content", "streaming_content"];
    assert_eq!(m.definition_attribute_use("HeaderOnly", attrs), None);
    let (range, attr) = m.definition_attribute_use("Sizes", attrs).unwrap();
    assert_eq!((slice(src, range), attr.as_str()), ("response.content", "content"));
    let (range, _) = m.definition_attribute_use("streamer", attrs).unwrap();
    assert_eq!(slice(src, range), "r.streaming_content");
    assert_eq!(m.definition_attribute_use("Missing", attrs), None);
}

#[test]
fn gunicorn_config_queries() {
    let src = "\"\"\"Doc.\"\"\"\nworker = 3\n\ndef post_fork(server, worker):\n    server.log.info(worker)\n\nif DEBUG:\n    @hook\n    def on_starting(server):\n        pass\nelse:\n    def when_ready(server):\n        pass\nprint(worker)\n";
    let m = parse(src);
    assert_eq!(slice(src, m.first_statement_range().unwrap()), "worker = 3");
    let defs: Vec<_> = m.function_definitions().into_iter().map(|d| (d.name, d.conditional)).collect();
    assert_eq!(defs, vec![("post_fork".to_owned(), false), ("on_starting".to_owned(), true), ("when_ready".to_owned(), true)]);
    // The parameter `worker` and its use inside `post_fork` are not the module's `worker`.
    let counts = m.identifier_counts();
    assert_eq!(counts.get("worker"), Some(&2));
    assert_eq!(counts.get("server"), None);
    assert_eq!(parse("\"\"\"Only a docstring.\"\"\"\n").first_statement_range().map(stacklint_text::TextRange::start), Some(0));
}
