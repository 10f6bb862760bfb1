//! The real programs: Python's compiler and PyYAML (one process for every file), `bash -n`,
//! `nginx -t`. A missing program is skipped with `SKIPPED:` unless
//! `STACKLINT_REQUIRE_ORACLES=1`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use stacklint_project::{Project, ProjectOptions};

use crate::common;

/// What a program said about one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected(String),
    /// The program is not available.
    Skipped,
}

impl Verdict {
    pub fn accepted(&self) -> bool {
        *self == Verdict::Accepted
    }
}

/// Skip loudly for want of a program, or fail under `STACKLINT_REQUIRE_ORACLES=1`.
pub fn skip(what: &str) {
    assert!(!common::oracles_required(), "STACKLINT_REQUIRE_ORACLES=1 but {what}");
    common::skipped(what);
}

/// A Python that imports Django: `STACKLINT_DJANGO_PYTHON` (CI makes a venv with
/// `django==5.2.8`; it must work when set), else `python3` when it can import Django;
/// otherwise `None`, said loudly (a failure when `STACKLINT_REQUIRE_ORACLES=1`).
pub fn django_python() -> Option<PathBuf> {
    let works = |py: &std::path::Path| Command::new(py).args(["-c", "import django"]).output().is_ok_and(|o| o.status.success());
    if let Some(py) = std::env::var_os("STACKLINT_DJANGO_PYTHON").map(PathBuf::from) {
        assert!(works(&py), "STACKLINT_DJANGO_PYTHON={} cannot import django", py.display());
        return Some(py);
    }
    let py = PathBuf::from("python3");
    if works(&py) {
        return Some(py);
    }
    assert!(!common::oracles_required(), "Django is not installed and STACKLINT_REQUIRE_ORACLES=1 (set STACKLINT_DJANGO_PYTHON)");
    eprintln!("\n==========\nSKIPPED: Django not installed (set STACKLINT_DJANGO_PYTHON to a Python with django==5.2.8)\n==========\n");
    None
}

/// `STACKLINT_PYTHON`, or `python3`.
pub fn python() -> String {
    std::env::var("STACKLINT_PYTHON").unwrap_or_else(|_| "python3".into())
}

const SCRIPT: &str = r#"
import importlib.machinery, json, sys
try:
    import yaml
except Exception:
    yaml = None
jobs = json.load(open(sys.argv[1]))
out = {}
for j in jobs:
    p = j["path"]
    try:
        data = open(p, "rb").read()
        if j["kind"] == "py":
            # What `python -m py_compile` runs.
            importlib.machinery.SourceFileLoader("m", p).source_to_code(data, p)
            out[j["id"]] = {"error": None}
        elif yaml is None:
            out[j["id"]] = {"skipped": True}
        else:
            doc = yaml.safe_load(data)
            services = None
            if isinstance(doc, dict) and isinstance(doc.get("services"), dict):
                services = {str(k): sorted(str(x) for x in v) if isinstance(v, dict) else [] for k, v in doc["services"].items()}
            out[j["id"]] = {"error": None, "services": services}
    except BaseException as e:
        out[j["id"]] = {"error": (type(e).__name__ + ": " + str(e))[:400]}
print(json.dumps(out))
"#;

/// A YAML file as PyYAML loaded it: the keys of each service.
pub type Services = Option<BTreeMap<String, Vec<String>>>;

/// Compile every Python text and load every YAML text, in one Python process.
/// `jobs`: (id, "py" | "yaml", text). Returns verdicts (and, for YAML, the services' keys).
pub fn python_batch(jobs: &[(String, &'static str, String)]) -> BTreeMap<String, (Verdict, Services)> {
    let mut out = BTreeMap::new();
    if jobs.is_empty() {
        return out;
    }
    let python = python();
    let Ok(dir) = tempfile::tempdir() else { return out };
    let mut manifest = Vec::new();
    for (n, (id, kind, text)) in jobs.iter().enumerate() {
        let path = dir.path().join(format!("f{n}.{}", if *kind == "py" { "py" } else { "yml" }));
        std::fs::write(&path, text).expect("write an oracle input");
        manifest.push(serde_json::json!({"id": id, "kind": kind, "path": path}));
    }
    let list = dir.path().join("jobs.json");
    std::fs::write(&list, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let result = Command::new(&python).arg("-c").arg(SCRIPT).arg(&list).output();
    let parsed: Option<serde_json::Map<String, serde_json::Value>> = match &result {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).ok(),
        _ => None,
    };
    let Some(map) = parsed else {
        skip(&format!("`{python}` does not run the oracle script (set STACKLINT_PYTHON): {:?}", result.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())));
        for (id, _, _) in jobs {
            out.insert(id.clone(), (Verdict::Skipped, None));
        }
        return out;
    };
    let mut yaml_missing = false;
    for (id, _, _) in jobs {
        let v = map.get(id).cloned().unwrap_or_default();
        let verdict = if v.get("skipped").is_some() {
            yaml_missing = true;
            Verdict::Skipped
        } else {
            match v.get("error").and_then(|e| e.as_str()) {
                Some(e) => Verdict::Rejected(e.to_owned()),
                None => Verdict::Accepted,
            }
        };
        let services = v.get("services").and_then(|s| serde_json::from_value(s.clone()).ok());
        out.insert(id.clone(), (verdict, services));
    }
    if yaml_missing {
        skip(&format!("`{python} -c 'import yaml'` fails (pip install pyyaml): compose files are not loaded"));
    }
    out
}

/// `bash -n` on each text.
pub fn bash_n(texts: &[(String, String)]) -> BTreeMap<String, Verdict> {
    let mut out = BTreeMap::new();
    if texts.is_empty() {
        return out;
    }
    let available = Command::new("bash").arg("-c").arg("true").output().is_ok_and(|o| o.status.success());
    if !available {
        skip("bash not found: shell scripts are not checked");
    }
    let dir = tempfile::tempdir().unwrap();
    for (n, (id, text)) in texts.iter().enumerate() {
        if !available {
            out.insert(id.clone(), Verdict::Skipped);
            continue;
        }
        let path = dir.path().join(format!("s{n}.sh"));
        std::fs::write(&path, text).unwrap();
        let o = Command::new("bash").arg("-n").arg(&path).output().expect("bash runs");
        let v = if o.status.success() { Verdict::Accepted } else { Verdict::Rejected(String::from_utf8_lossy(&o.stderr).trim().to_owned()) };
        out.insert(id.clone(), v);
    }
    out
}

pub fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.is_file())
}

/// An nginx project to check: its nginx files (relative paths) and which one is the main
/// config (`None`: they are site files, checked inside a small main config that includes them).
pub struct NginxJob {
    pub id: String,
    pub files: Vec<(PathBuf, String)>,
    pub main: Option<PathBuf>,
}

/// `nginx -t` on each job, on a copy where upstream hostnames are 127.0.0.1 and
/// `user`/`pid` lines are blank; the same rewrite before and after fixing.
pub fn nginx_t(jobs: &[NginxJob]) -> BTreeMap<String, Verdict> {
    let mut out = BTreeMap::new();
    if jobs.is_empty() {
        return out;
    }
    let Some(nginx) = nginx_binary() else {
        skip("nginx not installed: fixed nginx configs are not checked with `nginx -t`");
        for j in jobs {
            out.insert(j.id.clone(), Verdict::Skipped);
        }
        return out;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (n, job) in jobs.iter().enumerate() {
        let dir = tmp.path().join(format!("n{n}"));
        for (rel, text) in &job.files {
            let target = dir.join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, rewrite(text)).unwrap();
        }
        let main = if let Some(m) = &job.main {
            dir.join(m)
        } else {
            let mut main_text = String::from("events {}\nhttp {\n    include /etc/nginx/mime.types;\n");
            for (rel, _) in &job.files {
                let _ = writeln!(main_text, "    include {};", dir.join(rel).display());
            }
            main_text.push_str("}\n");
            let main = dir.join("__main.conf");
            std::fs::write(&main, main_text).unwrap();
            main
        };
        let prefix = main.parent().unwrap_or(&dir).to_path_buf();
        let o = Command::new(&nginx)
            .arg("-t")
            .arg("-q")
            .arg("-p")
            .arg(format!("{}/", prefix.display()))
            .arg("-c")
            .arg(&main)
            .arg("-g")
            .arg(format!("pid {}/nginx.pid;", dir.display()))
            .output()
            .expect("nginx runs");
        let v = if o.status.success() { Verdict::Accepted } else { Verdict::Rejected(String::from_utf8_lossy(&o.stderr).trim().replace(&dir.display().to_string(), "")) };
        out.insert(job.id.clone(), v);
    }
    out
}

/// Upstream hostnames become 127.0.0.1 (nginx resolves them at start), `user`/`pid` are
/// blanked. With stacklint's own parser; the same rewrite before and after fixing.
fn rewrite(text: &str) -> String {
    let project = Project::from_sources(ProjectOptions::default(), &[("nginx/x.conf", text)]);
    let Some(config) = project.files.first().and_then(|f| f.nginx()) else { return text.to_string() };
    let upstreams: Vec<String> = config.find_all("upstream").filter_map(|d| d.arg(0).map(str::to_string)).collect();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for d in config.walk() {
        let in_upstream = d.parent().is_some_and(|p| p.is("upstream"));
        if d.is("user") || d.is("pid") {
            edits.push((d.range.start(), d.range.end(), String::new()));
        } else if d.is("proxy_pass") || d.is("uwsgi_pass") || d.is("fastcgi_pass") || (d.is("server") && in_upstream) {
            let Some(arg) = d.args.first() else { continue };
            if arg.has_variable() {
                continue;
            }
            let value = arg.value.as_str();
            let (scheme, rest) = match value.split_once("://") {
                Some((s, r)) => (format!("{s}://"), r),
                None => (String::new(), value),
            };
            let hostport = rest.split('/').next().unwrap_or(rest);
            let path = &rest[hostport.len()..];
            let (host, port) = match hostport.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, format!(":{p}")),
                _ => (hostport, String::new()),
            };
            if host.starts_with("unix") || upstreams.iter().any(|u| u == host) || host.is_empty() {
                continue;
            }
            edits.push((arg.range.start(), arg.range.end(), format!("{scheme}127.0.0.1{port}{path}")));
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, r) in edits {
        out.replace_range(s..e, &r);
    }
    out
}

/// Whether an nginx text is a main config (`events` or `http` at its top level).
pub fn is_main_nginx(text: &str) -> bool {
    let project = Project::from_sources(ProjectOptions::default(), &[("nginx/x.conf", text)]);
    project.files.first().and_then(|f| f.nginx()).is_some_and(|c| c.roots().any(|d| d.is("events") || d.is("http")))
}
