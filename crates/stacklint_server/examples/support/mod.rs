//! What the server's examples share: a realistic workspace on disk, and a client that runs
//! the server as a child process over pipes (the example's own binary, started again with
//! `--serve`), as an editor does.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// The allocator of `stacklint server` (crates/stacklint/src/main.rs): memory and time as
// the real binary has them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// When started with `--serve`, be the language server on stdio and exit: the examples
/// measure a process that is only the server.
pub fn serve_if_asked() {
    if std::env::args().any(|a| a == "--serve") {
        let code = i32::from(stacklint_server::run_stdio().is_err());
        std::process::exit(code);
    }
}

/// The server as a child process, and the messages it sends.
pub struct Session {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
    next_id: i64,
    pub root: PathBuf,
}

impl Session {
    /// Start the server and initialize it on `root` with these client capabilities.
    pub fn start(root: &Path, capabilities: Value) -> Session {
        let exe = std::env::current_exe().expect("the example's own binary");
        let mut child = Command::new(exe)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let stdin = child.stdin.take().expect("the server's stdin");
        let stdout = child.stdout.take().expect("the server's stdout");
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        let mut session = Session { child, stdin, incoming, next_id: 0, root: root.to_path_buf() };
        let root_uri = uri(root);
        session.request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "workspaceFolders": [{"uri": root_uri, "name": "p"}], "capabilities": capabilities}),
        );
        session.notify("initialized", json!({}));
        session
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn uri(&self, rel: &str) -> String {
        uri(&self.root.join(rel))
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m.get("method").is_none() && m["id"] == id)
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.stdin.write_all(frame.as_bytes()).expect("write to the server");
        self.stdin.flush().expect("flush to the server");
    }

    /// The next message that `matches` (others are dropped; requests are answered `null`).
    pub fn wait(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.incoming.recv_timeout(Duration::from_secs(300)).expect("the server answers");
            if message.get("method").is_some()
                && let Some(id) = message.get("id")
            {
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
            }
            if matches(&message) {
                return message;
            }
        }
    }

    pub fn open(&mut self, rel: &str) -> String {
        let text = std::fs::read_to_string(self.root.join(rel)).expect("a generated file");
        let uri = self.uri(rel);
        self.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "", "version": 1, "text": text}}));
        text
    }

    /// The next `publishDiagnostics` for `rel` (of `version`, when given).
    pub fn diagnostics(&mut self, rel: &str, version: Option<i32>) -> Value {
        let uri = self.uri(rel);
        self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && version.is_none_or(|v| m["params"]["version"] == v)
        })
    }

    /// Insert a comment line at `line` of `rel` and time until its diagnostics arrive.
    pub fn time_edit(&mut self, rel: &str, version: i32, line: u32) -> Duration {
        let uri = self.uri(rel);
        let started = Instant::now();
        let change = json!({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": "# x\n"});
        self.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}));
        self.diagnostics(rel, Some(version));
        started.elapsed()
    }

    /// `shutdown`, `exit`, and wait for the process.
    pub fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

fn read_frame(r: &mut impl BufRead) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// `VmHWM` (peak resident memory) and `VmRSS` of a process, in KiB, from `/proc`.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// p50, p95 and max of `times` as one line.
pub fn summary(times: &mut [Duration]) -> String {
    times.sort();
    format!(
        "p50 {:>7.1?}  p95 {:>7.1?}  max {:>7.1?}  ({} changes)",
        percentile(times, 0.5),
        percentile(times, 0.95),
        times.last().copied().unwrap_or_default(),
        times.len()
    )
}

// ---- the workspace -------------------------------------------------------------------

/// An nginx.conf of about `lines` lines: one upstream, many server blocks.
pub fn nginx(lines: usize) -> String {
    let mut s = String::from("events { worker_connections 1024; }\nhttp {\n  upstream app { server web:8000; }\n");
    let mut n = 3;
    let mut i = 0;
    while n < lines.saturating_sub(1) {
        let _ = write!(s, "  server {{\n    listen 80;\n    server_name s{i}.example.com;\n    location / {{\n      proxy_pass http://app;\n      proxy_set_header Host $host;\n    }}\n  }}\n");
        n += 8;
        i += 1;
    }
    s.push_str("}\n");
    s
}

/// A Django settings module of about `lines` lines.
pub fn settings(lines: usize) -> String {
    let mut s = String::from(
        "import os\n\nDEBUG = False\nALLOWED_HOSTS = ['example.com']\nSECRET_KEY = os.environ['SECRET_KEY']\n\
         DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'HOST': 'db', 'NAME': 'app', 'CONN_MAX_AGE': 60}}\n",
    );
    let mut i = 0;
    while s.lines().count() < lines {
        let _ = write!(s, "FEATURE_{i} = {{\n    'enabled': True,\n    'limit': {i},\n    'name': 'feature-{i}',\n}}\n");
        i += 1;
    }
    s
}

/// A postgresql.conf the size of the shipped sample: mostly commented-out defaults.
fn postgresql_conf() -> String {
    let mut s = String::from("listen_addresses = '*'\nmax_connections = 100\nshared_buffers = 2GB\nwork_mem = 16MB\n");
    for i in 0..200 {
        let _ = write!(s, "\n#------------------------------------------------------------------------------\n# SECTION {i}\n#------------------------------------------------------------------------------\n#setting_{i} = {i}\t\t\t# (change requires restart)\n");
    }
    s
}

/// A redis.conf the size of the shipped one: long comments, a few directives.
fn redis_conf() -> String {
    let mut s = String::from("bind 0.0.0.0\nport 6379\nmaxmemory 512mb\nmaxmemory-policy allkeys-lru\nappendonly yes\n");
    for i in 0..250 {
        let _ = write!(s, "\n################################ SECTION {i} #################################\n\n# Explains what option {i} does, over a few lines of prose, as the\n# shipped file does for every directive.\n# option-{i} yes\n");
    }
    s
}

fn dockerfile(service: &str) -> String {
    format!(
        "FROM python:3.12-slim AS base\nENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\nWORKDIR /app\n\
         RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\n\
         COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n\
         RUN useradd -m {service}\nUSER {service}\nEXPOSE 8000\n\
         CMD [\"gunicorn\", \"proj.wsgi\", \"-c\", \"gunicorn.conf.py\"]\n"
    )
}

fn compose() -> String {
    "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi -c gunicorn.conf.py\n    environment:\n      DJANGO_SETTINGS_MODULE: proj.settings\n      DATABASE_URL: postgres://app:secret@db:5432/app\n    depends_on: [db, redis]\n    deploy:\n      resources:\n        limits: {cpus: '2', memory: 2G}\n  nginx:\n    image: nginx:1.27\n    ports: ['80:80']\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n  db:\n    image: postgres:16\n    command: postgres -c config_file=/etc/postgresql/postgresql.conf\n    volumes:\n      - ./postgres/postgresql.conf:/etc/postgresql/postgresql.conf:ro\n  redis:\n    image: redis:7\n    command: redis-server /usr/local/etc/redis/redis.conf\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro\n".to_owned()
}

const GUNICORN: &str = "bind = '0.0.0.0:8000'\nworkers = 4\nworker_class = 'sync'\ntimeout = 30\nmax_requests = 1000\nmax_requests_jitter = 50\naccesslog = '-'\n";

fn models(app: usize) -> String {
    let mut s = String::from("from django.db import models\n\n");
    for m in 0..8 {
        let _ = write!(
            s,
            "\nclass Thing{app}x{m}(models.Model):\n    name = models.CharField(max_length=200)\n    slug = models.SlugField(unique=True)\n    owner = models.ForeignKey('auth.User', on_delete=models.CASCADE)\n    created = models.DateTimeField(auto_now_add=True)\n    active = models.BooleanField(default=True)\n\n    class Meta:\n        ordering = ['-created']\n\n    def __str__(self):\n        return self.name\n"
        );
    }
    s
}

fn views(app: usize) -> String {
    let mut s = format!("from django.shortcuts import get_object_or_404, render\n\nfrom .models import Thing{app}x0\n\n");
    for v in 0..10 {
        let _ = write!(
            s,
            "\ndef view_{v}(request, slug):\n    thing = get_object_or_404(Thing{app}x0, slug=slug)\n    others = Thing{app}x0.objects.filter(active=True).order_by('-created')[:20]\n    return render(request, 'app{app}/view_{v}.html', {{'thing': thing, 'others': others}})\n"
        );
    }
    s
}

/// A small Python module of `lines` lines.
fn module(name: &str, lines: usize) -> String {
    let mut s = format!("\"\"\"{name}.\"\"\"\n\n");
    for i in 0..lines / 3 {
        let _ = write!(s, "def helper_{i}(value):\n    return value + {i}\n\n");
    }
    s
}

/// The files of a 1,000-file Django monorepo: a deployed project at the root (compose,
/// Dockerfile, nginx, PostgreSQL, Redis, gunicorn, a 2,000-line settings.py), 20 more
/// services with their own configuration, and Django apps (models, views, urls, admin,
/// forms, tests, migrations) filling the rest.
pub fn workspace(files: usize) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("docker-compose.yml".into(), compose()),
        ("Dockerfile".into(), dockerfile("app")),
        ("requirements.txt".into(), "Django==5.2.8\ngunicorn==23.0.0\npsycopg[binary]==3.2.3\nredis==5.2.1\n".into()),
        ("gunicorn.conf.py".into(), GUNICORN.into()),
        ("nginx/nginx.conf".into(), nginx(500)),
        ("postgres/postgresql.conf".into(), postgresql_conf()),
        ("redis/redis.conf".into(), redis_conf()),
        ("proj/settings.py".into(), settings(2000)),
        ("proj/__init__.py".into(), String::new()),
        ("proj/wsgi.py".into(), "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\napplication = get_wsgi_application()\n".into()),
    ];
    for s in 0..20 {
        let dir = format!("services/svc{s}");
        out.push((format!("{dir}/docker-compose.yml"), compose()));
        out.push((format!("{dir}/Dockerfile"), dockerfile("svc")));
        out.push((format!("{dir}/gunicorn.conf.py"), GUNICORN.into()));
        out.push((format!("{dir}/nginx/nginx.conf"), nginx(120)));
        out.push((format!("{dir}/postgres/postgresql.conf"), postgresql_conf()));
        out.push((format!("{dir}/redis/redis.conf"), redis_conf()));
        out.push((format!("{dir}/proj/settings.py"), settings(300)));
    }
    let mut app = 0;
    while out.len() < files {
        let dir = format!("apps/app{app}");
        out.push((format!("{dir}/models.py"), models(app)));
        out.push((format!("{dir}/views.py"), views(app)));
        for name in ["__init__", "urls", "admin", "forms", "apps", "tests", "serializers", "migrations/0001_initial"] {
            out.push((format!("{dir}/{name}.py"), module(name, 60)));
        }
        app += 1;
    }
    out.truncate(files);
    out
}

/// Write [`workspace`] under `root`; its size in bytes.
pub fn write_workspace(root: &Path, files: usize) -> usize {
    let mut bytes = 0;
    for (rel, text) in workspace(files) {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create a folder");
        }
        std::fs::write(&path, &text).expect("write a file");
        bytes += text.len();
    }
    bytes
}
