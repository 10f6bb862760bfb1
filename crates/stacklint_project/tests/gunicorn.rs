//! The gunicorn model on real inputs: the corpus, the eventmate scenario, and fixes
//! applied and re-read for every front end.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stacklint_diagnostics::{Edit, apply_edits};
use stacklint_project::FileKind;
use stacklint_project::gunicorn::{BuildOptions, Frontend, GunicornProcess, Layer, SettingValue, WorkerKind, WorkersSource, Written, build_processes};
use stacklint_text::LineIndex;

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

/// The shared corpus, or `None` (loudly) when it is missing and not required.
fn corpus() -> Option<PathBuf> {
    shared_inputs::require(shared_inputs::corpus_dir(), "the corpus")
}

fn scenarios() -> Option<PathBuf> {
    shared_inputs::require(shared_inputs::scenarios_dir(), "the scenarios")
}

fn kind_of(path: &Path, text: &str) -> FileKind {
    if path.extension().is_some_and(|e| e == "py") {
        return FileKind::GunicornConfig;
    }
    FileKind::detect(path, text).unwrap_or(FileKind::Shell)
}

fn build(files: &[(&str, &str)]) -> Vec<GunicornProcess> {
    let files: Vec<(PathBuf, FileKind, &str)> = files.iter().map(|(p, t)| (PathBuf::from(p), kind_of(Path::new(p), t), *t)).collect();
    build_processes(&files, &BuildOptions::default())
}

fn check_ranges(p: &GunicornProcess, texts: &[(&Path, &str)]) {
    let len = |f: &Path| texts.iter().find(|(p, _)| *p == f).map_or_else(|| panic!("unknown file {}", f.display()), |(_, t)| t.len());
    assert!(p.anchor.range.end() <= len(&p.anchor.file));
    for s in &p.settings {
        let n = len(&s.origin.file);
        assert!(s.origin.range.end() <= n && s.origin.name_range.end() <= n, "{s:?}");
        if let Some(v) = s.origin.value_range {
            assert!(v.end() <= n, "{s:?}");
            assert!(s.origin.range.contains_range(v), "{s:?}");
        }
    }
    for u in &p.unknown {
        assert!(u.span.range.end() <= len(&u.span.file));
    }
}

/// `file:line setting = value [layer]` per setting, unknown names, the app and config.
fn dump(p: &GunicornProcess, texts: &[(&Path, &str)]) -> String {
    let line = |f: &Path, off: usize| texts.iter().find(|(p, _)| *p == f).map_or(0, |(_, t)| LineIndex::new(t).line_of(off) + 1);
    let name = |f: &Path| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(out, "process {:?} at {}:{}", p.frontend, name(&p.anchor.file), line(&p.anchor.file, p.anchor.range.start()));
    if let Some(app) = &p.app {
        let _ = writeln!(out, "  app {}", app.value);
    }
    if let Some(c) = &p.config_file {
        let _ = writeln!(out, "  config {} -> {:?}", c.value.value, c.resolved.as_deref().map(name));
    }
    for s in &p.settings {
        let _ = writeln!(out, "  {}:{} {} = {} [{:?}{}]", name(&s.origin.file), line(&s.origin.file, s.origin.range.start()), s.name, s.value.display(), s.origin.layer, if s.is_effective() { "" } else { ", annotation only" });
    }
    for u in &p.unknown {
        let _ = writeln!(out, "  {}:{} unknown {} (did you mean {:?})", name(&u.span.file), line(&u.span.file, u.span.range.start()), u.name, u.suggestion);
    }
    let _ = writeln!(out, "  worker_class {} workers {:?}", p.worker_class().name(), p.effective_workers().count);
    out
}

#[test]
fn corpus_files() {
    let Some(corpus) = corpus() else { return };
    let mut paths = Vec::new();
    for dir in ["gunicorn", "peer-suites/gunicorn/examples", "peer-suites/gunicorn/tests/config"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(dir)) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "py" || x == "cmdline") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 20, "expected the gunicorn corpus, found {} files", paths.len());
    let mut snapshot = String::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let rel = path.strip_prefix(&corpus).unwrap().to_path_buf();
        let files = [(rel.clone(), kind_of(path, &text), text.as_str())];
        let procs = build_processes(&files, &BuildOptions::default());
        let _ = writeln!(snapshot, "== {}", rel.display());
        assert!(!procs.is_empty(), "{}: no gunicorn process found", rel.display());
        for p in &procs {
            check_ranges(p, &[(rel.as_path(), text.as_str())]);
            snapshot.push_str(&dump(p, &[(rel.as_path(), text.as_str())]));
            // every command line recognises its settings: no flag left unknown
            if matches!(p.frontend, Frontend::CommandLine(_)) {
                assert!(p.unknown.is_empty(), "{}: {:?}", rel.display(), p.unknown);
            }
            // inserting settings keeps the file readable and adds them
            let edits = p.insert_settings(&[("max_requests", "1000"), ("max_requests_jitter", "50")]);
            let (fixed, skipped) = apply_edits(&text, &edits);
            assert!(skipped.is_empty());
            let again = build_processes(&[(rel.clone(), kind_of(path, &fixed), fixed.as_str())], &BuildOptions::default());
            assert_eq!(again.len(), procs.len(), "{}", rel.display());
        }
    }
    insta::assert_snapshot!("corpus", snapshot);
}

#[test]
fn eventmate_scenario() {
    let Some(dir) = scenarios().map(|d| d.join("eventmate")) else { return };
    let procfile = std::fs::read_to_string(dir.join("Procfile")).unwrap();
    let conf = std::fs::read_to_string(dir.join("gunicorn_config.py")).unwrap();
    let files = [(dir.join("Procfile"), FileKind::Procfile, procfile.as_str()), (dir.join("gunicorn_config.py"), FileKind::GunicornConfig, conf.as_str())];
    let procs = build_processes(&files, &BuildOptions { root: dir.clone(), ..BuildOptions::default() });
    assert_eq!(procs.len(), 1, "the config file is merged into the Procfile's process: {procs:#?}");
    let p = &procs[0];
    assert_eq!(p.frontend, Frontend::CommandLine(stacklint_project::gunicorn::CommandSource::Procfile { process_type: "web".into() }));
    assert_eq!(p.anchor.file, dir.join("Procfile"));
    assert_eq!(p.app.as_ref().unwrap().value, "finaleventmate.wsgi:application");
    assert_eq!(p.config_file.as_ref().unwrap().resolved.as_deref(), Some(dir.join("gunicorn_config.py").as_path()));
    assert_eq!(p.worker_class(), WorkerKind::Gevent);
    assert!(p.is_async_worker());
    let threads = p.get("threads").unwrap();
    assert_eq!(threads.value, SettingValue::Int(4));
    assert_eq!(threads.origin.file, dir.join("gunicorn_config.py"));
    assert_eq!(LineIndex::new(&conf).line_of(threads.origin.range.start()) + 1, 9);
    assert_eq!(p.get("max_requests").unwrap().value, SettingValue::Int(10000));
    assert!(p.get("max_requests_jitter").is_some());
    let workers = p.get("workers").unwrap();
    let SettingValue::FromCpuCount { call_range, linear, .. } = &workers.value else { panic!("{workers:?}") };
    assert_eq!(call_range.slice(&conf), "multiprocessing.cpu_count()");
    assert_eq!(*linear, Some((2, 1)));
    assert_eq!(p.effective_workers().count, Some(9), "2 x 4 CPUs (default target) + 1");
    assert_eq!(p.cpu_count_calls.len(), 1);
    assert!(p.unknown.is_empty(), "{:?}", p.unknown);
    // missing settings go into the config file, where the settings are
    let edits = p.insert_settings(&[("worker_tmp_dir", "/dev/shm")]);
    assert_eq!(edits[0].file, dir.join("gunicorn_config.py"));
    let (fixed, _) = apply_edits(&conf, &edits);
    assert!(fixed.ends_with("loglevel = \"info\"\nworker_tmp_dir = \"/dev/shm\"\n"), "{fixed}");
}

/// Apply `edits` to the one file they touch and rebuild.
fn apply_and_rebuild(path: &str, text: &str, edits: &[Edit]) -> (String, Vec<GunicornProcess>) {
    assert!(edits.iter().all(|e| e.file == Path::new(path)), "{edits:?}");
    let (fixed, skipped) = apply_edits(text, edits);
    assert!(skipped.is_empty(), "{skipped:?}");
    let procs = build(&[(path, fixed.as_str())]);
    (fixed, procs)
}

#[test]
fn replace_values_in_place() {
    let cases = [
        ("Procfile", "web: gunicorn app:app --workers=3\n", "web: gunicorn app:app --workers=9\n"),
        ("Procfile", "web: gunicorn app:app -w3 --bind :80\n", "web: gunicorn app:app -w9 --bind :80\n"),
        ("Procfile", "web: gunicorn app:app -w 3\n", "web: gunicorn app:app -w 9\n"),
        ("Procfile", "web: gunicorn app:app --workers \"3\"\n", "web: gunicorn app:app --workers \"9\"\n"),
        ("start.sh", "#!/bin/sh\nexec gunicorn app:app \\\n  --workers 3 \\\n  --timeout 60\n", "#!/bin/sh\nexec gunicorn app:app \\\n  --workers 9 \\\n  --timeout 60\n"),
        ("start.sh", "sh -c \"gunicorn app:app -w 3\"\n", "sh -c \"gunicorn app:app -w 9\"\n"),
        ("start.sh", "GUNICORN_CMD_ARGS=\"--workers 3\" gunicorn app:app\n", "GUNICORN_CMD_ARGS=\"--workers 9\" gunicorn app:app\n"),
        ("start.sh", "export WEB_CONCURRENCY=3\nexec gunicorn app:app\n", "export WEB_CONCURRENCY=9\nexec gunicorn app:app\n"),
        ("deploy/supervisord.conf", "[program:web]\ncommand=/venv/bin/gunicorn app.wsgi -w 3 ; the site\n", "[program:web]\ncommand=/venv/bin/gunicorn app.wsgi -w 9 ; the site\n"),
        ("deploy/web.service", "[Service]\nExecStart=/venv/bin/gunicorn app.wsgi \\
    --workers 3 \\
    --bind unix:/run/web.sock\n", "[Service]\nExecStart=/venv/bin/gunicorn app.wsgi \\
    --workers 9 \\
    --bind unix:/run/web.sock\n"),
        ("deploy/web.service", "[Service]\nEnvironment=\"WEB_CONCURRENCY=3\" DJANGO_SETTINGS_MODULE=app.settings\nExecStart=/venv/bin/gunicorn app.wsgi\n", "[Service]\nEnvironment=\"WEB_CONCURRENCY=9\" DJANGO_SETTINGS_MODULE=app.settings\nExecStart=/venv/bin/gunicorn app.wsgi\n"),
        ("gunicorn.conf.py", "workers = 3\n", "workers = 9\n"),
        ("gunicorn.conf.py", "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n", "import multiprocessing\nworkers = 9\n"),
    ];
    for (path, before, after) in cases {
        let procs = build(&[(path, before)]);
        assert_eq!(procs.len(), 1, "{before}");
        let w = procs[0].get("workers").unwrap_or_else(|| panic!("no workers in {before:?}"));
        let edit = w.replace_value("9").unwrap();
        let (fixed, again) = apply_and_rebuild(path, before, &[edit]);
        assert_eq!(fixed, after);
        assert_eq!(again[0].effective_workers().count, Some(9), "{fixed}");
    }
    // strings are quoted as the place needs
    let procs = build(&[("gunicorn.conf.py", "worker_class = 'sync'\n")]);
    let e = procs[0].get("worker_class").unwrap().replace_value("gthread").unwrap();
    assert_eq!(apply_edits("worker_class = 'sync'\n", &[e]).0, "worker_class = 'gthread'\n");
}

#[test]
fn insert_missing_settings() {
    let add = [("max_requests", "1000"), ("max_requests_jitter", "50")];
    let cases = [
        ("Procfile", "web: gunicorn app:app -w 3\r\nworker: celery worker\r\n", "web: gunicorn app:app -w 3 --max-requests 1000 --max-requests-jitter 50\r\nworker: celery worker\r\n"),
        ("start.sh", "gunicorn app:app --bind :8000 > /tmp/log 2>&1 && echo done\n", "gunicorn app:app --bind :8000 --max-requests 1000 --max-requests-jitter 50 > /tmp/log 2>&1 && echo done\n"),
        ("start.sh", "exec gunicorn app:app \\\n    --bind :8000 \\\n    --workers 3\n", "exec gunicorn app:app \\\n    --bind :8000 \\\n    --workers 3 \\\n    --max-requests 1000 \\\n    --max-requests-jitter 50\n"),
        ("start.sh", "bash -c 'exec gunicorn app:app'; echo\n", "bash -c 'exec gunicorn app:app --max-requests 1000 --max-requests-jitter 50'; echo\n"),
        ("gunicorn.conf.py", "workers = 3\n", "workers = 3\nmax_requests = 1000\nmax_requests_jitter = 50\n"),
        ("gunicorn.conf.py", "workers = 3", "workers = 3\nmax_requests = 1000\nmax_requests_jitter = 50\n"),
        ("gunicorn.conf.py", "workers = 3\r\n", "workers = 3\r\nmax_requests = 1000\r\nmax_requests_jitter = 50\r\n"),
        ("conf.d/web.conf", "[program:web]\ncommand = gunicorn app.wsgi -w 2\nautostart = true\n", "[program:web]\ncommand = gunicorn app.wsgi -w 2 --max-requests 1000 --max-requests-jitter 50\nautostart = true\n"),
        ("web.service", "[Service]\nExecStart=/venv/bin/gunicorn app.wsgi \\
  -w 2\nRestart=always\n", "[Service]\nExecStart=/venv/bin/gunicorn app.wsgi \\
  -w 2 \\
  --max-requests 1000 \\
  --max-requests-jitter 50\nRestart=always\n"),
        ("x.cmdline", "# repo path line 3\nExecStart=/venv/bin/gunicorn app:app -w 2\n", "# repo path line 3\nExecStart=/venv/bin/gunicorn app:app -w 2 --max-requests 1000 --max-requests-jitter 50\n"),
    ];
    for (path, before, after) in cases {
        let procs = build(&[(path, before)]);
        assert_eq!(procs.len(), 1, "{before}: {procs:#?}");
        assert!(procs[0].get("max_requests").is_none());
        let edits = procs[0].insert_settings(&add);
        let (fixed, again) = apply_and_rebuild(path, before, &edits);
        assert_eq!(fixed, after);
        assert_eq!(again[0].get("max_requests").unwrap().value.as_int(), Some(1000));
        assert_eq!(again[0].get("max_requests_jitter").unwrap().value.as_int(), Some(50));
    }
    // switches and strings
    let procs = build(&[("Procfile", "web: gunicorn app:app\n")]);
    let edits = procs[0].insert_settings(&[("preload_app", "true"), ("worker_tmp_dir", "/dev/shm"), ("access_log_format", "%(h)s %(r)s")]);
    let (fixed, again) = apply_and_rebuild("Procfile", "web: gunicorn app:app\n", &edits);
    assert_eq!(fixed, "web: gunicorn app:app --preload --worker-tmp-dir /dev/shm --access-logformat '%(h)s %(r)s'\n");
    assert_eq!(again[0].get("access_log_format").unwrap().value.as_str(), Some("%(h)s %(r)s"));
}

#[test]
fn command_line_forms() {
    let src = "web: GUNICORN_CMD_ARGS='--workers 5 --timeout 20' WEB_CONCURRENCY=7 python -m gunicorn 'config.wsgi:application' -k uvicorn.workers.UvicornWorker --timeout=60 -b :80 --bind=:81 --preload --max-request 10 --bin :82\n";
    let procs = build(&[("Procfile", src)]);
    let p = &procs[0];
    assert_eq!(p.app.as_ref().unwrap().value, "config.wsgi:application");
    assert_eq!(p.worker_class(), WorkerKind::Uvicorn { deprecated: true });
    // GUNICORN_CMD_ARGS beats WEB_CONCURRENCY; the command line beats GUNICORN_CMD_ARGS
    let workers = p.effective_workers();
    assert_eq!(workers.count, Some(5));
    assert!(matches!(workers.source, WorkersSource::Setting(s) if s.origin.layer == Layer::CmdArgsEnv));
    assert_eq!(p.get("timeout").unwrap().value, SettingValue::Int(60));
    assert_eq!(p.get_all("timeout").len(), 2);
    assert_eq!(p.get_all("bind").iter().filter_map(|s| s.value.as_str()).collect::<Vec<_>>(), [":80", ":81", ":82"]);
    assert_eq!(p.get("preload_app").unwrap().value, SettingValue::Bool(true));
    assert_eq!(p.unknown.len(), 1, "{:?}", p.unknown);
    assert_eq!(p.unknown[0].name, "--max-request");
    assert_eq!(p.unknown[0].suggestion.as_deref(), Some("--max-requests"));
    assert_eq!(p.unknown[0].span.range.slice(src), "--max-request");
    // WEB_CONCURRENCY alone
    let p = &build(&[("Procfile", "web: WEB_CONCURRENCY=${WEB_CONCURRENCY:-3} gunicorn app:app -k gthread\n")])[0];
    let w = p.effective_workers();
    assert!(matches!(w.source, WorkersSource::WebConcurrency(_)));
    assert_eq!(w.count, Some(3));
    assert_eq!(p.worker_class(), WorkerKind::Gthread);
    // nothing: 1, sync; sync with threads is gthread
    let p = &build(&[("Procfile", "web: gunicorn app:app --threads 4\n")])[0];
    assert_eq!(p.effective_workers().count, Some(1));
    assert!(matches!(p.effective_workers().source, WorkersSource::Default));
    assert_eq!(p.worker_class(), WorkerKind::Gthread);
    // not servers
    assert!(build(&[("start.sh", "gunicorn --version\npip install gunicorn\necho gunicorn\n")]).is_empty());
}

/// supervisord programs and systemd units: which commands are read, and which are left
/// alone because something the model cannot see may set gunicorn's settings.
#[test]
fn hosts_outside_containers() {
    use stacklint_project::gunicorn::CommandSource;
    let conf = "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=gunicorn app.wsgi -w 2\n\n[program:worker]\ncommand=celery -A app worker\n\n[program:multi]\ncommand=gunicorn app.wsgi\n  -w 2\n\n[program:env]\ncommand=gunicorn app.wsgi\nenvironment=WEB_CONCURRENCY=\"4\"\n";
    let procs = build(&[("supervisord.conf", conf)]);
    assert_eq!(procs.len(), 1, "{procs:#?}");
    assert_eq!(procs[0].frontend, Frontend::CommandLine(CommandSource::Supervisord { program: "web".into() }));
    assert_eq!(procs[0].anchor.range.slice(conf), "gunicorn app.wsgi -w 2");
    let unit = "[Unit]\nDescription=site\n\n[Service]\nUser=www\nExecStartPre=/venv/bin/python manage.py migrate\nExecStart=-/venv/bin/gunicorn app.wsgi -w 2\n\n[Install]\nWantedBy=multi-user.target\n";
    let procs = build(&[("web.service", unit)]);
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0].frontend, Frontend::CommandLine(CommandSource::Systemd));
    assert_eq!(procs[0].get("workers").unwrap().origin.value_range.unwrap().slice(unit), "2");
    assert!(!procs[0].in_container);
    // An env file may set WEB_CONCURRENCY or GUNICORN_CMD_ARGS; a comment line inside the
    // continuation ends the command for a shell reader.
    assert!(build(&[("web.service", "[Service]\nEnvironmentFile=/etc/site.env\nExecStart=/venv/bin/gunicorn app.wsgi\n")]).is_empty());
    assert!(build(&[("web.service", "[Service]\nExecStart=/venv/bin/gunicorn app.wsgi \\\n# workers\n  -w 2\n")]).is_empty());
    // The last ExecStart after a reset is the one that runs.
    let procs = build(&[("web.service", "[Service]\nExecStart=/bin/gunicorn a:b -w 1\nExecStart=\nExecStart=/bin/gunicorn a:b -w 3\n")]);
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0].effective_workers().count, Some(3));
}

#[test]
fn conf_file_forms() {
    let src = "\"\"\"Gunicorn config.\"\"\"\nimport os\nimport multiprocessing as mp\n\n_helper = 3\nport = os.environ.get('PORT', '8000')\nbind = f'0.0.0.0:{port}'\nworker = 4\nworkers: 4\nthreads: int = 2\ntimeout = int(os.environ.get('TIMEOUT', '60'))\nkeepalive = os.getenv('KEEPALIVE')\nraw_env = ['A=1', 'B=2']\nif os.environ.get('DEBUG'):\n    reload = True\n\ndef post_fork(server, worker):\n    pass\n\ndef helper():\n    return mp.cpu_count()\n";
    let procs = build(&[("gunicorn.conf.py", src)]);
    let p = &procs[0];
    assert_eq!(p.frontend, Frontend::ConfFile);
    assert_eq!(p.anchor.range.slice(src), "import os");
    let out = dump(p, &[(Path::new("gunicorn.conf.py"), src)]);
    insta::assert_snapshot!("conf_file_forms", out);
    let ann = p.get_all("workers")[0];
    assert_eq!(ann.origin.written, Written::PyAnnotationOnly);
    assert!(p.get("workers").is_none(), "annotation-only is not a setting gunicorn sees");
    let (fixed, again) = apply_and_rebuild("gunicorn.conf.py", src, &[ann.annotation_to_assignment().unwrap()]);
    assert!(fixed.contains("\nworkers = 4\n"));
    assert_eq!(again[0].get("workers").unwrap().value, SettingValue::Int(4));
    assert_eq!(p.cpu_count_calls.len(), 1);
    // `worker = 4` looks like a setting; `_helper`, `port` (read later), imports and
    // helper functions do not
    let unknown: Vec<(&str, Option<&str>)> = p.unknown.iter().map(|u| (u.name.as_str(), u.suggestion.as_deref())).collect();
    assert_eq!(unknown, [("worker", Some("workers"))]);
}

#[test]
fn config_file_links() {
    let files = [
        ("deploy/start.sh", "#!/bin/sh\nexport GUNICORN_CMD_ARGS=\"--timeout 90\"\ncd /app\nexec gunicorn app.wsgi -c /app/config/gunicorn.py --timeout 120\n"),
        ("config/gunicorn.py", "timeout = 30\nworkers = 2\n"),
        ("gunicorn.conf.py", "workers = 5\n"),
        ("Procfile", "web: gunicorn app.wsgi\n"),
    ];
    let procs = build(&files);
    assert_eq!(procs.len(), 2, "{procs:#?}");
    let script = procs.iter().find(|p| p.anchor.file == Path::new("deploy/start.sh")).unwrap();
    assert_eq!(script.config_file.as_ref().unwrap().resolved.as_deref(), Some(Path::new("config/gunicorn.py")));
    let timeouts: Vec<(Layer, i64)> = script.get_all("timeout").iter().map(|s| (s.origin.layer, s.value.as_int().unwrap())).collect();
    assert_eq!(timeouts, [(Layer::ConfFile, 30), (Layer::CmdArgsEnv, 90), (Layer::CommandLine, 120)]);
    assert_eq!(script.get("timeout").unwrap().value.as_int(), Some(120));
    assert_eq!(script.get("workers").unwrap().origin.file, Path::new("config/gunicorn.py"));
    // the Procfile's gunicorn loads ./gunicorn.conf.py by default
    let web = procs.iter().find(|p| p.anchor.file == Path::new("Procfile")).unwrap();
    assert!(web.config_file.as_ref().unwrap().implicit);
    assert_eq!(web.effective_workers().count, Some(5));
}
