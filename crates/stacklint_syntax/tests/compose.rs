//! The compose parser on tricky YAML, the scenario files (snapshot), and the corpus.

use std::fmt::Write as _;
use std::path::PathBuf;

use stacklint_syntax::compose::{CommandForm, ComposeFile, NodeKind, ScalarStyle, Service, VolumeKind, parse};

/// Parse and check the invariants: every range inside the text and on char boundaries.
fn check(src: &str) -> (ComposeFile, Vec<String>) {
    let parsed = parse(src);
    for r in parsed.tree.ranges().into_iter().chain(parsed.errors.iter().map(|e| e.range)) {
        assert!(r.start() <= r.end() && r.end() <= src.len(), "range {r:?} out of text ({} bytes)", src.len());
        assert!(src.is_char_boundary(r.start()) && src.is_char_boundary(r.end()), "range {r:?} splits a char");
    }
    (parsed.tree, parsed.errors.into_iter().map(|e| e.message).collect())
}

fn ok(src: &str) -> ComposeFile {
    let (file, errors) = check(src);
    assert!(errors.is_empty(), "unexpected errors: {errors:?}");
    file
}

fn words(s: &Service) -> Vec<&str> {
    s.command.as_ref().map(|c| c.words().map(|w| w.value.as_str()).collect()).unwrap_or_default()
}

/// Replace `range` of `src` with `with`.
fn edit(src: &str, range: stacklint_text::TextRange, with: &str) -> String {
    format!("{}{with}{}", &src[..range.start()], &src[range.end()..])
}

#[test]
fn folded_command_words_map_to_source() {
    let src = "services:\n  backend:\n    build: ./backend\n    command: >\n      gunicorn app.main:app\n      --worker-class uvicorn.workers.UvicornWorker\n      --workers 1\n      --bind 0.0.0.0:8000\n    environment:\n      X: \"1\"\n";
    let file = ok(src);
    let web = file.service("backend").unwrap();
    let cmd = web.command.as_ref().unwrap();
    assert!(matches!(&cmd.form, CommandForm::String(s) if s.style == ScalarStyle::Folded));
    assert_eq!(words(web), ["gunicorn", "app.main:app", "--worker-class", "uvicorn.workers.UvicornWorker", "--workers", "1", "--bind", "0.0.0.0:8000"]);
    for w in cmd.words() {
        assert_eq!(w.value_range().map(|r| r.slice(src)), Some(w.value.as_str()), "word {w:?}");
    }
    let one = cmd.words().nth(5).unwrap().value_range().unwrap();
    let fixed = edit(src, one, "2");
    assert!(fixed.contains("      --workers 2\n"));
    let again = ok(&fixed);
    assert_eq!(words(again.service("backend").unwrap())[5], "2");
    assert_eq!(web.build.as_ref().unwrap().dockerfile_path(), "backend/Dockerfile");
}

#[test]
#[allow(clippy::many_single_char_names)]
fn command_forms() {
    let src = r#"services:
  a:
    command: ["gunicorn", "-w", '4', app:app]
  b:
    command:
      - gunicorn
      - "--workers=3"
  c:
    command: "gunicorn -w 2 'app:create_app()'"
  d:
    command: |
      sh -c "python manage.py migrate &&
             gunicorn -w 5 app.wsgi"
  e:
    entrypoint: gunicorn --workers\
      9
"#;
    let file = ok(src);
    let a = file.service("a").unwrap();
    assert_eq!(words(a), ["gunicorn", "-w", "4", "app:app"]);
    assert!(matches!(a.command.as_ref().unwrap().form, CommandForm::List(ref l) if l.len() == 4));
    let four = a.command.as_ref().unwrap().words().nth(2).unwrap().value_range().unwrap();
    assert_eq!(four.slice(src), "4");
    assert_eq!(four.start(), src.find("'4'").unwrap() + 1);
    let b = file.service("b").unwrap();
    assert_eq!(words(b), ["gunicorn", "--workers=3"]);
    let w = b.command.as_ref().unwrap().words().nth(1).unwrap();
    assert_eq!(w.raw_range_of(10..11).map(|r| r.slice(src)), Some("3"));
    let c = file.service("c").unwrap();
    assert_eq!(words(c), ["gunicorn", "-w", "2", "app:create_app()"]);
    assert_eq!(c.command.as_ref().unwrap().words().nth(2).unwrap().value_range().map(|r| r.slice(src)), Some("2"));
    let d = file.service("d").unwrap();
    assert_eq!(words(d), ["sh", "-c", "python manage.py migrate &&\n       gunicorn -w 5 app.wsgi"]);
    let inner = d.command.as_ref().unwrap().words().nth(2).unwrap().split_value(0);
    let five = inner.tree.iter().filter_map(|t| t.as_word()).find(|w| w.value == "5").unwrap();
    assert_eq!(five.value_range().map(|r| r.slice(src)), Some("5"));
    // A plain multi-line scalar folds; the backslash is not special in YAML plain
    // scalars, it becomes a shell line continuation... which the fold already removed.
    let e = file.service("e").unwrap();
    let words_e: Vec<_> = e.entrypoint.as_ref().unwrap().words().map(|w| w.value.as_str()).collect();
    assert_eq!(words_e, ["gunicorn", "--workers 9"]);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let src = "x-common: &common\n  restart: always\n  environment: &env\n    DJANGO_SETTINGS_MODULE: config.settings.production\n  deploy:\n    resources:\n      limits:\n        cpus: '0.5'\n        memory: 512M\nservices:\n  web:\n    <<: *common\n    image: app:1.0\n    restart: \"no\"\n  worker:\n    <<: [*common]\n    environment: *env\n";
    let file = ok(src);
    assert_eq!(file.extensions.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(), ["x-common"]);
    let web = file.service("web").unwrap();
    // own keys win over merged ones
    assert_eq!(web.get("restart").and_then(|n| n.as_str()), Some("no"));
    let env = web.env("DJANGO_SETTINGS_MODULE").unwrap();
    assert_eq!(env.value.as_ref().unwrap().value, "config.settings.production");
    assert!(env.shared);
    // ranges of merged values point at the anchor's definition
    assert_eq!(web.limits.cpus().unwrap().value_range().map(|r| r.slice(src)), Some("0.5"));
    assert_eq!(web.limits.memory().unwrap().value, "512M");
    let merged = web.body.as_ref().unwrap().entry("deploy").unwrap();
    assert_eq!(merged.merged_from.map(|r| r.slice(src)), Some("<<: *common"));
    let worker = file.service("worker").unwrap();
    assert_eq!(worker.environment.len(), 1);
    assert!(worker.get("environment").unwrap().via_alias.is_some());
    assert_eq!(worker.limits.cpus().unwrap().value, "0.5");
}

#[test]
fn unknown_alias_and_alias_bomb() {
    let (file, errors) = check("services:\n  web:\n    <<: *nope\n    image: x\n");
    assert_eq!(errors, ["unknown anchor `*nope`: no `&nope` before it"]);
    assert_eq!(file.service("web").unwrap().image.as_ref().unwrap().name.value, "x");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = (b'a' + i - 1) as char;
        let c = (b'a' + i) as char;
        let _ = writeln!(bomb, "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]");
    }
    let (_, errors) = check(&bomb);
    assert!(errors.iter().any(|e| e.contains("not expanded")), "{errors:?}");
}

#[test]
fn quoted_keys_flow_mappings_and_null_values() {
    let src = "\"services\":\n  'web':\n    \"image\": 'nginx:1.27-alpine'\n    environment: {A: 1, \"B\": \"two\", C}\n    healthcheck:\n    ports: [80, \"127.0.0.1:8080:80\"]\n";
    let file = ok(src);
    let web = file.service("web").unwrap();
    let image = web.image.as_ref().unwrap();
    assert_eq!((image.name.value.as_str(), image.tag.as_ref().unwrap().value.as_str()), ("nginx", "1.27-alpine"));
    assert_eq!(image.tag.as_ref().unwrap().range.slice(src), "1.27-alpine");
    let env: Vec<_> = web.environment.iter().map(|e| (e.name.value.as_str(), e.value.as_ref().map(|v| v.value.as_str()))).collect();
    assert_eq!(env, [("A", Some("1")), ("B", Some("two")), ("C", None)]);
    assert!(web.healthcheck.is_none());
    assert_eq!(web.ports.len(), 2);
    assert!(web.ports[0].published.is_none());
    assert!(!web.ports[1].on_all_interfaces());
    // a flow-style service has no insertion point for new keys; block ones do
    assert!(web.insert.is_some());
}

#[test]
fn environment_list_form_and_env_files() {
    let src = "services:\n  web:\n    environment:\n      - GUNICORN_CMD_ARGS=--workers 3 --threads=2\n      - \"WEB_CONCURRENCY=4\"\n      - PASSTHROUGH\n    env_file:\n      - .env\n      - path: ./prod.env\n        required: false\n";
    let file = ok(src);
    let web = file.service("web").unwrap();
    let args = web.env("GUNICORN_CMD_ARGS").unwrap();
    assert!(args.list_form);
    let value = args.value.as_ref().unwrap();
    assert_eq!(value.range.slice(src), "--workers 3 --threads=2");
    let parsed = value.shell_words();
    let three = parsed.tree.iter().filter_map(|t| t.as_word()).nth(1).unwrap();
    assert_eq!((three.value.as_str(), three.value_range().map(|r| r.slice(src))), ("3", Some("3")));
    assert_eq!(web.env("WEB_CONCURRENCY").unwrap().value.as_ref().unwrap().range.slice(src), "4");
    assert!(web.env("PASSTHROUGH").unwrap().value.is_none());
    assert_eq!(web.env_file.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(), [".env", "./prod.env"]);
}

#[test]
fn ports_short_and_long_syntax() {
    let src = "services:\n  db:\n    ports:\n      - 5432:5432\n      - \"127.0.0.1:6379:6379/tcp\"\n      - \"[::1]:8000:8000\"\n      - 9000-9010:9000-9010\n      - \"0.0.0.0:80:80\"\n      - target: 80\n        published: \"8080\"\n        host_ip: 127.0.0.1\n        protocol: tcp\n      - 3000\n";
    let file = ok(src);
    let p = &file.service("db").unwrap().ports;
    let show: Vec<_> = p
        .iter()
        .map(|p| {
            let v = |s: &Option<stacklint_syntax::compose::Scalar>| s.as_ref().map_or(String::new(), |s| s.value.clone());
            format!("{}|{}|{}|{}|{}", v(&p.host_ip), v(&p.published), v(&p.target), v(&p.protocol), p.on_all_interfaces())
        })
        .collect();
    assert_eq!(show, ["|5432|5432||true", "127.0.0.1|6379|6379|tcp|false", "::1|8000|8000||false", "|9000-9010|9000-9010||true", "0.0.0.0|80|80||true", "127.0.0.1|8080|80|tcp|false", "||3000||false"]);
    // a fix binding to 127.0.0.1 inserts before the published port
    let first = &p[0];
    let at = first.published.as_ref().unwrap().raw_range_of(0..0).unwrap();
    assert_eq!(at.start(), src.find("5432:5432").unwrap());
}

#[test]
fn volumes_and_depends_on_and_healthcheck() {
    let src = "services:\n  redis:\n    image: redis:7.4\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro\n      - redis_data:/data\n      - /var/cache\n      - type: bind\n        source: ./nginx.conf\n        target: /etc/nginx/nginx.conf\n        read_only: true\n    healthcheck:\n      test: [\"CMD\", \"redis-cli\", \"ping\"]\n      interval: 5s\n  web:\n    depends_on:\n      redis:\n        condition: service_healthy\n      db:\n        condition: service_started\n  worker:\n    depends_on: [redis]\n";
    let file = ok(src);
    let redis = file.service("redis").unwrap();
    let v = &redis.volumes;
    assert_eq!(v.iter().map(|v| v.kind).collect::<Vec<_>>(), [VolumeKind::Bind, VolumeKind::Volume, VolumeKind::Anonymous, VolumeKind::Bind]);
    assert_eq!(v[0].source.as_ref().unwrap().range.slice(src), "./redis/redis.conf");
    assert_eq!(v[0].target.as_ref().unwrap().value, "/usr/local/etc/redis/redis.conf");
    assert!(v[0].read_only && !v[1].read_only && v[3].read_only);
    let hc = redis.healthcheck.as_ref().unwrap();
    assert_eq!(hc.test.as_ref().unwrap().words().map(|w| w.value.as_str()).collect::<Vec<_>>(), ["CMD", "redis-cli", "ping"]);
    assert_eq!(hc.interval.as_ref().unwrap().value, "5s");
    let web = file.service("web").unwrap();
    let deps: Vec<_> = web.depends_on.iter().map(|d| (d.service.value.as_str(), d.condition.as_ref().map(|c| c.value.as_str()))).collect();
    assert_eq!(deps, [("redis", Some("service_healthy")), ("db", Some("service_started"))]);
    assert_eq!(file.service("worker").unwrap().depends_on[0].service.value, "redis");
}

#[test]
fn limits_deploy_and_legacy_with_insert_points() {
    let src = "services:\n  a:\n    image: x\n    deploy:\n      resources:\n        limits:\n          cpus: \"1.5\"\n          memory: 1G\n  b:\n    image: y\n    cpus: 0.25\n    mem_limit: 256m\n  c:\n    image: z\n    # a trailing comment belongs to the next service\n  d: {image: w}\n";
    let file = ok(src);
    let a = file.service("a").unwrap();
    assert_eq!(a.limits.cpus().unwrap().value_range().map(|r| r.slice(src)), Some("1.5"));
    assert_eq!(a.limits.memory().unwrap().range.slice(src), "1G");
    let li = a.limits.insert.as_ref().unwrap();
    assert_eq!((li.indent.as_str(), li.offset), ("          ", src.find("  b:").unwrap()));
    let b = file.service("b").unwrap();
    assert_eq!((b.limits.cpus().unwrap().value.as_str(), b.limits.memory().unwrap().value.as_str()), ("0.25", "256m"));
    let c = file.service("c").unwrap();
    let ins = c.insert.as_ref().unwrap();
    assert_eq!(ins.indent, "    ");
    assert_eq!(&src[ins.offset..ins.offset + 7], "    # a");
    assert!(file.service("d").unwrap().insert.is_none());
}

#[test]
fn crlf_files() {
    let src = "services:\r\n  web:\r\n    command: >\r\n      gunicorn app\r\n      --workers 2\r\n    image: \"app:1\"\r\n";
    let file = ok(src);
    let web = file.service("web").unwrap();
    assert_eq!(words(web), ["gunicorn", "app", "--workers", "2"]);
    assert_eq!(web.command.as_ref().unwrap().words().nth(3).unwrap().value_range().map(|r| r.slice(src)), Some("2"));
    assert_eq!(web.image.as_ref().unwrap().tag.as_ref().unwrap().range.slice(src), "1");
    let ins = web.insert.as_ref().unwrap();
    assert_eq!(ins.offset, src.len());
}

#[test]
fn tabs_are_errors() {
    let (_, errors) = check("services:\n\tweb:\n\t\timage: x\n");
    assert!(errors.iter().any(|e| e.contains("tab in the indentation")), "{errors:?}");
}

/// `k0:` / ` k1:` / `  k2:` ... nested `levels` deep.
fn nested_keys(levels: usize) -> String {
    let mut out = String::new();
    for i in 0..levels {
        let _ = writeln!(out, "{}k{i}:", " ".repeat(i));
    }
    out
}

#[test]
fn garbage_and_templates_do_not_panic() {
    for src in [
        "",
        "\n\n",
        "# only a comment\n",
        "---\n",
        "- a\n- b\n",
        "just a string",
        "\u{0}\u{1}\u{2}\u{fffd}\u{7f}garbage: [\u{0}",
        "services: [",
        "services:\n  web:\n    command: \"unterminated\n",
        "{% if x %}\nservices:\n  web:\n    image: {{ image }}\n{% endif %}\n",
        "services:\n  web:\n    image: {{ image }}\n",
        "a: &a\n  b: *a\n",
        "services:\n  web:\n    command: >9\n x\n",
        "services:\n  web: !!binary |\n    R0lG\n",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "services:\n  web:\n    ports:\n      - \"[::1\"\n      - \":\"\n      - \"/\"\n    volumes:\n      - \":\"\n      - \"C:\\\\x:/y\"\n",
        "services:\n  \"wéb\":\n    command: 'héllo wörld'\n    image: ünïcode:täg\n",
    ] {
        let _ = check(src);
    }
    let (_, errors) = check("{% if x %}\nservices:\n  web:\n    image: x\n{% endif %}\n");
    assert!(errors.iter().any(|e| e.contains("template")), "{errors:?}");
    let deep = "[".repeat(5000);
    let _ = check(&deep);
    // tree-sitter-yaml's scanner overflows its state buffer past ~250 levels and
    // tree-sitter aborts: such files are refused before the scanner sees them.
    let deep_block = nested_keys(400);
    let (_, errors) = check(&deep_block);
    assert!(errors.iter().any(|e| e.contains("indentation levels")), "{errors:?}");
    let _ = check(&format!("{}x\n", "- ".repeat(300)));
    let _ = check(&format!("{}x\n", "? ".repeat(300)));
    let shallow = nested_keys(90);
    assert!(check(&shallow).1.is_empty());
}

#[test]
fn version_one_files_and_non_mappings() {
    let file = ok("web:\n  image: app:1\n  command: gunicorn app\nredis:\n  image: redis\n");
    assert_eq!(file.services.iter().map(|s| s.name.value.as_str()).collect::<Vec<_>>(), ["web", "redis"]);
    let (_, errors) = check("- a\n- b\n");
    assert_eq!(errors.len(), 1);
}

// ---------------------------------------------------------------------------------------
// Snapshot of the scenario compose files' model.

fn render(src: &str, file: &ComposeFile) -> String {
    let index = stacklint_text::LineIndex::new(src);
    let at = |r: stacklint_text::TextRange| {
        let l = index.location(r.start(), src);
        format!("{}:{}", l.row, l.column)
    };
    let sc = |s: &stacklint_syntax::compose::Scalar| format!("{:?}@{}", s.value, at(s.range));
    let mut out = String::new();
    for s in &file.services {
        let _ = writeln!(out, "service {}", sc(&s.name));
        if let Some(i) = &s.image {
            let _ = writeln!(out, "  image {} tag {}", sc(&i.name), i.tag.as_ref().map_or("-".into(), sc));
        }
        if let Some(b) = &s.build {
            let _ = writeln!(out, "  build context {} dockerfile {}", b.context.as_ref().map_or("-".into(), sc), b.dockerfile_path());
        }
        for (what, c) in [("command", &s.command), ("entrypoint", &s.entrypoint)] {
            if let Some(c) = c {
                let ws: Vec<_> = c.words().map(|w| format!("{:?}@{}", w.value, w.value_range().map_or("?".into(), at))).collect();
                let _ = writeln!(out, "  {what} {}", ws.join(" "));
            }
        }
        for e in &s.environment {
            let _ = writeln!(out, "  env {} = {}", sc(&e.name), e.value.as_ref().map_or("-".into(), sc));
        }
        for f in &s.env_file {
            let _ = writeln!(out, "  env_file {}", sc(f));
        }
        for p in &s.ports {
            let o = |x: &Option<stacklint_syntax::compose::Scalar>| x.as_ref().map_or("-".into(), sc);
            let _ = writeln!(out, "  port ip {} published {} target {} all-interfaces {}", o(&p.host_ip), o(&p.published), o(&p.target), p.on_all_interfaces());
        }
        for v in &s.volumes {
            let o = |x: &Option<stacklint_syntax::compose::Scalar>| x.as_ref().map_or("-".into(), sc);
            let _ = writeln!(out, "  volume {:?} {} -> {} ro {}", v.kind, o(&v.source), o(&v.target), v.read_only);
        }
        for d in &s.depends_on {
            let _ = writeln!(out, "  depends_on {} {}", sc(&d.service), d.condition.as_ref().map_or("-".into(), sc));
        }
        if let Some(c) = s.limits.cpus() {
            let _ = writeln!(out, "  limit cpus {}", sc(c));
        }
        if let Some(m) = s.limits.memory() {
            let _ = writeln!(out, "  limit memory {}", sc(m));
        }
        if let Some(i) = &s.insert {
            let _ = writeln!(out, "  insert at {} indent {}", at(stacklint_text::TextRange::empty(i.offset)), i.indent.len());
        }
    }
    out
}

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

#[test]
fn snapshot_scenario_compose_files() {
    let Some(dir) = shared_inputs::require(shared_inputs::scenarios_dir(), "the scenarios") else { return };
    for name in ["ragstack", "wingman"] {
        let path = dir.join(name).join("docker-compose.yml");
        let src = std::fs::read_to_string(&path).unwrap();
        let file = ok(&src);
        insta::assert_snapshot!(format!("scenario_{name}"), render(&src, &file));
    }
}

// ---------------------------------------------------------------------------------------
// Corpus sweep: no panic, ranges valid, and no parse error on what PyYAML accepts.

fn corpus() -> Option<PathBuf> {
    let corpus = shared_inputs::require(shared_inputs::corpus_dir(), "the corpus")?;
    shared_inputs::require(corpus.join("compose"), "the corpus's compose files").map(|_| corpus)
}

/// What PyYAML says of one file.
struct Verdict {
    /// The loader's error, `None` when the file composes.
    error: Option<String>,
    /// `safe_load`'s services (when it loads): name → key → string or list of strings,
    /// for `image`, `command` and `entrypoint` when they are strings or string lists.
    services: Option<std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>>,
}

/// PyYAML's verdict on each file, or `None` when PyYAML is not available.
fn pyyaml_verdicts(files: &[PathBuf]) -> Option<Vec<Verdict>> {
    const SCRIPT: &str = r#"
import sys, json, yaml
out = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        list(yaml.compose_all(text))
    except Exception as e:
        out.append({"error": (str(e).splitlines() or [type(e).__name__])[0], "services": None})
        continue
    services = None
    try:
        data = yaml.safe_load(text)
        if isinstance(data, dict) and isinstance(data.get("services"), dict):
            services = {}
            for name, svc in data["services"].items():
                if not isinstance(svc, dict):
                    continue
                keep = {}
                for key in ("image", "command", "entrypoint"):
                    v = svc.get(key)
                    if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                        keep[key] = v
                services[str(name)] = keep
    except Exception:
        pass
    out.append({"error": None, "services": services})
print(json.dumps(out))
"#;
    let python = std::env::var("STACKLINT_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = std::process::Command::new(&python).arg("-c").arg(SCRIPT).args(files).output();
    match output {
        Ok(o) if o.status.success() => {
            let all: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).ok()?;
            Some(
                all.into_iter()
                    .map(|v| Verdict {
                        error: v["error"].as_str().map(str::to_string),
                        services: v["services"].as_object().map(|m| {
                            m.iter().map(|(k, v)| (k.clone(), v.as_object().map(|o| o.iter().map(|(a, b)| (a.clone(), b.clone())).collect()).unwrap_or_default())).collect()
                        }),
                    })
                    .collect(),
            )
        }
        _ => {
            assert!(std::env::var("STACKLINT_REQUIRE_ORACLES").as_deref() != Ok("1"), "STACKLINT_REQUIRE_ORACLES=1 but `{python} -c 'import yaml'` fails: pip install pyyaml");
            eprintln!("SKIPPED: PyYAML comparison (`{python} -c 'import yaml'` fails: pip install pyyaml)");
            None
        }
    }
}

/// Our value of `image` / `command` / `entrypoint` as PyYAML shows it.
fn our_value(s: &Service, key: &str) -> Option<serde_json::Value> {
    let command = |c: &stacklint_syntax::compose::Command| match &c.form {
        CommandForm::String(s) => serde_json::Value::from(s.value.clone()),
        CommandForm::List(items) => serde_json::Value::from(items.iter().map(|i| i.value.clone()).collect::<Vec<_>>()),
    };
    match key {
        "image" => s.image.as_ref().map(|i| serde_json::Value::from(i.value.value.clone())),
        "command" => s.command.as_ref().map(command),
        "entrypoint" => s.entrypoint.as_ref().map(command),
        _ => None,
    }
}

#[test]
fn corpus_sweep() {
    let Some(dir) = corpus() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("compose")).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(!files.is_empty());
    let verdicts = pyyaml_verdicts(&files);
    let (mut accepted, mut rejected, mut services, mut commands, mut compared) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let Ok(src) = std::fs::read_to_string(path) else { continue };
        let (file, errors) = check(&src);
        services += file.services.len();
        commands += file.services.iter().filter(|s| s.command.is_some()).count();
        let Some(verdicts) = &verdicts else { continue };
        let Some(verdict) = verdicts.get(i) else { continue };
        if verdict.error.is_some() {
            rejected += 1;
            continue;
        }
        accepted += 1;
        if !errors.is_empty() {
            failures.push(format!("{}: {errors:?}", path.display()));
        }
        if file.root.as_ref().is_some_and(|r| !matches!(r.kind, NodeKind::Mapping(_))) {
            failures.push(format!("{}: root is not a mapping", path.display()));
        }
        // The decoded values agree with PyYAML's (folding, quotes, escapes, anchors).
        for (name, keys) in verdict.services.iter().flatten() {
            let Some(ours) = file.service(name) else {
                failures.push(format!("{}: service `{name}` missing", path.display()));
                continue;
            };
            for (key, want) in keys {
                compared += 1;
                let got = our_value(ours, key);
                if got.as_ref() != Some(want) {
                    failures.push(format!("{}: `{name}.{key}`: PyYAML {want}, stacklint {got:?}", path.display()));
                }
            }
        }
    }
    println!("compose corpus: {} files, PyYAML accepts {accepted}, rejects {rejected}; {services} services, {commands} commands; {compared} values equal to PyYAML's", files.len());
    assert!(failures.is_empty(), "parse errors on files PyYAML accepts:\n{}", failures.join("\n"));
}

/// A compose file of `services` services (6 lines each) after an `x-` anchor, each
/// merging it; then a block scalar of `notes` lines that look like service keys (no place
/// to cut), then top-level `volumes`.
fn long_compose(services: usize, notes: usize) -> String {
    let mut src = String::from("x-common: &common\n  restart: always\n  environment:\n    - SHARED=1\nservices:\n");
    for i in 0..services {
        let _ = write!(src, "  svc{i}:\n    <<: *common\n    image: \"app:{i}\"\n    command: >\n      gunicorn app.wsgi\n      --workers {}\n", i % 7 + 1);
    }
    src.push_str("x-notes: |\n");
    for i in 0..notes {
        let _ = writeln!(src, "  svc{i}: not a service");
    }
    src.push_str("volumes:\n  data: {}\n");
    src
}

/// tree-sitter-yaml counts rows in 16 bits: a file past 32,767 lines was one ERROR
/// ("invalid YAML at `services:`"). It is parsed in parts now, as if it were one.
#[test]
fn compose_files_longer_than_32767_lines_are_parsed() {
    let src = long_compose(6_000, 15_000);
    assert!(src.lines().count() > 50_000);
    let file = ok(&src);
    assert_eq!(file.services.len(), 6_000);
    for (i, s) in file.services.iter().enumerate() {
        assert_eq!(s.name.value, format!("svc{i}"));
        assert_eq!(s.image.as_ref().map(|im| im.value.range.slice(&src)), Some(format!("\"app:{i}\"").as_str()));
        assert_eq!(words(s), ["gunicorn", "app.wsgi", "--workers", &(i % 7 + 1).to_string()]);
        // The anchor, defined in the first part, merged in every part.
        assert_eq!(s.body.as_ref().and_then(|b| b.get("restart")).and_then(|n| n.as_str()), Some("always"), "svc{i}");
    }
    let last = file.services.last().unwrap();
    assert_eq!(&src[last.range.start()..last.range.start() + 8], "svc5999:");
    assert_eq!(file.named_volumes.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(), ["data"]);
    let notes = file.root_mapping().and_then(|m| m.get("x-notes")).and_then(|n| n.as_str()).unwrap();
    assert_eq!(notes.lines().count(), 15_000);
    let services = file.root_mapping().and_then(|m| m.get("services")).unwrap();
    assert!(services.range.end() > src.find("svc5999").unwrap(), "the services' range covers every part");
}

/// A long file with nowhere to cut (one service's 40,000-line list) says so, and why.
#[test]
fn a_long_compose_file_that_cannot_be_cut_says_why() {
    let mut src = String::from("services:\n  web:\n    image: app\n    environment:\n");
    for i in 0..40_000 {
        let _ = writeln!(src, "      - VAR{i}=1");
    }
    let (_, errors) = check(&src);
    assert_eq!(
        errors,
        ["the file has 40004 lines, more than the 32767 the YAML parser reads at once, and no top-level or service key to cut it at within every 30000 lines: not linted"]
    );
}
