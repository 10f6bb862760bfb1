//! How the project serves its app: which processes run it, over ASGI or WSGI
//! ([`Project::app_servers`]), and which gunicorn processes an nginx upstream reaches
//! ([`Project::gunicorn_behind`]). Both read the deployment model and the gunicorn
//! processes — parsed commands, never raw text, so a commented-out `# CMD daphne ...`
//! runs nothing.
//!
//! ```
//! use std::path::Path;
//! use stacklint_project::{Project, ProjectOptions};
//! use stacklint_project::serving::{BackendMatch, Interface};
//!
//! let compose = "services:\n  web:\n    build: .\n    command: gunicorn app.asgi:application -k uvicorn_worker.UvicornWorker -b 0.0.0.0:8000\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./app.conf:/etc/nginx/conf.d/app.conf\n";
//! let nginx = "upstream app {\n    server web:8000;\n}\n";
//! let project = Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", compose), ("app.conf", nginx), ("Dockerfile", "FROM python:3.12\n")]);
//! let servers = project.app_servers();
//! assert_eq!(servers[0].interface, Interface::Asgi);
//! let behind = project.gunicorn_behind(Path::new("app.conf"), "web:8000").unwrap();
//! assert_eq!(behind.processes.len(), 1);
//! assert!(matches!(&behind.matched, BackendMatch::Service { name } if name == "web"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use stacklint_syntax::shell;
use stacklint_text::TextRange;

use crate::deployment::{DeployedService, LinkKind, LinkTarget, Sourced, resolve_service};
use crate::django::SettingsModule;
use crate::gunicorn::{CommandSource, Frontend, GunicornProcess, SettingValue, WorkerKind};
use crate::kind::FileKind;
use crate::nginx::{At, Scope};
use crate::project::{Parsed, Project};

/// The interface between a server and the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    Asgi,
    Wsgi,
}

/// A process that serves the app, and over which interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppServer {
    pub interface: Interface,
    /// What says so: "`daphne`", "gunicorn with `uvicorn_worker.UvicornWorker` workers",
    /// "gunicorn serving `config.asgi:application`".
    pub what: String,
    /// The app it loads (`config.asgi:application`), when the command or config says.
    pub app: Option<String>,
    /// The command (or config file) that runs it.
    pub file: PathBuf,
    pub range: Option<TextRange>,
    /// The Django settings module its service runs (`DJANGO_SETTINGS_MODULE`,
    /// `--settings`, the default of wsgi.py/asgi.py), when the deployment knows it.
    pub settings_module: Option<String>,
}

impl AppServer {
    /// Whether it may serve a Django project: the app is not known, or it is loaded from
    /// an `asgi`/`wsgi` module (what `startproject` writes), not a FastAPI or Flask app
    /// beside it (`main:app`).
    pub fn may_serve_django(&self) -> bool {
        self.app.as_deref().is_none_or(|a| a.split(':').next().and_then(|m| m.rsplit('.').next()).is_some_and(|m| m == "asgi" || m == "wsgi"))
    }
}

/// Servers that speak ASGI, and those that speak WSGI, unless an `--interface` says otherwise.
const ASGI_PROGRAMS: &[&str] = &["uvicorn", "daphne", "hypercorn"];
const WSGI_PROGRAMS: &[&str] = &["uwsgi", "waitress-serve"];

impl Project {
    /// Every process that serves the app, from the deployment's services (their command's
    /// program), the gunicorn processes (their worker class and app) and shell scripts no
    /// service runs. In project order; duplicates (a service and its gunicorn process) kept.
    pub fn app_servers(&self) -> &[AppServer] {
        self.app_servers.get_or_init(|| self.find_app_servers())
    }

    fn find_app_servers(&self) -> Vec<AppServer> {
        let mut out = Vec::new();
        for g in &self.gunicorn {
            if let Some(mut server) = gunicorn_server(g) {
                // The service whose gunicorn command is this one tells its settings module.
                server.settings_module = self.services_running(g).into_iter().find_map(|s| s.settings_module.as_ref()).map(|m| m.value.clone());
                out.push(server);
            }
        }
        for s in &self.deployment.services {
            let Some(c) = &s.command else { continue };
            let Some(program) = c.program.as_deref() else { continue };
            if let Some(interface) = program_interface(program, &c.argv) {
                out.push(AppServer { interface, what: program_what(program, &c.argv), app: app_argument(&c.argv), file: c.origin.file.clone(), range: c.origin.range, settings_module: s.settings_module.as_ref().map(|m| m.value.clone()) });
            }
        }
        // Scripts a service runs are already there through its command; others may be run
        // by something the model does not see (a platform, a Makefile).
        for file in self.files_of(FileKind::Shell) {
            let Parsed::Shell(parsed) = &file.parsed else { continue };
            for inv in shell::find_any(&parsed.tree, &[ASGI_PROGRAMS, WSGI_PROGRAMS].concat()) {
                let program = shell::basename(&inv.program.value).to_owned();
                let argv: Vec<String> = inv.args.iter().map(|w| w.value.clone()).collect();
                if let Some(interface) = program_interface(&program, &argv) {
                    out.push(AppServer { interface, what: program_what(&program, &argv), app: app_argument(&argv), file: file.path.clone(), range: Some(inv.command_range), settings_module: None });
                }
            }
        }
        out
    }

    /// The app servers that may serve the settings module in `path`: those that run it (or
    /// a module that imports it), and those whose settings module is not known. A server
    /// the deployment shows running another settings module does not serve this one.
    pub fn app_servers_for_settings(&self, path: &Path) -> Vec<AppServer> {
        let runs = |dotted: &str| {
            let Some(module) = self.settings_module_named(dotted) else { return true };
            // A module's bindings come a file at a time: compare each file once, not each
            // binding (a 2,000-line settings module has hundreds).
            let mut last: Option<&std::sync::Arc<Path>> = None;
            module.path == path
                || module.settings.all().iter().any(|b| {
                    let seen = last.is_some_and(|l| std::sync::Arc::ptr_eq(l, &b.file));
                    last = Some(&b.file);
                    !seen && b.file.as_ref() == path
                })
        };
        self.app_servers().iter().filter(|s| s.settings_module.as_deref().is_none_or(runs)).cloned().collect()
    }

    /// The gunicorn processes that an nginx `upstream` server or `proxy_pass` address
    /// (`web:8000`, `127.0.0.1:8000`, `unix:/run/app.sock`) written in `file` reaches:
    /// through the deployment's upstream link to the service of that name, then the
    /// gunicorn process that service runs (bound to that port when its bind is known).
    /// Without compose (gunicorn on the host: Procfile, supervisord, systemd), by the
    /// port alone; a unix socket by its path. `None` when nothing says which process is
    /// there (a service that runs something else, a host no service has).
    pub fn gunicorn_behind(&self, file: &Path, address: &str) -> Option<Backend<'_>> {
        if let Some(path) = address.strip_prefix("unix:") {
            let processes: Vec<&GunicornProcess> = self.gunicorn.iter().filter(|g| binds(g).iter().any(|b| b.strip_prefix("unix:") == Some(path))).collect();
            return (!processes.is_empty()).then(|| Backend { processes, matched: BackendMatch::Socket { path: path.to_owned() } });
        }
        let (host, port) = match address.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().ok()),
            None => (address, None),
        };
        let mut services: Vec<&DeployedService> = Vec::new();
        for link in self.deployment.links.iter().filter(|l| l.kind == LinkKind::Upstream && l.origin.file == file) {
            let LinkTarget::Service { name, port: p } = &link.to else { continue };
            if name != host || *p != port {
                continue;
            }
            // The service the link reached from each nginx service of that name that reads
            // `file` (several compose files may each define a `web`).
            let all = &self.deployment.services;
            for from in all.iter().filter(|s| s.name == link.from && s.files.iter().any(|f| f.file == file)) {
                if let Some(s) = resolve_service(all, from, name)
                    && !services.iter().any(|k| std::ptr::eq(*k, s))
                {
                    services.push(s);
                }
            }
        }
        let port_text = port.unwrap_or(80).to_string();
        if !services.is_empty() {
            let mut processes = Vec::new();
            for s in &services {
                let runs: Vec<&GunicornProcess> = self.gunicorn.iter().filter(|g| self.services_running(g).iter().any(|r| std::ptr::eq(*r, *s))).filter(|g| bind_ports(g).is_none_or(|ports| ports.contains(&port_text))).collect();
                if runs.is_empty() {
                    return None;
                }
                processes.extend(runs);
            }
            let name = services.first().map(|s| s.name.clone()).unwrap_or_default();
            return Some(Backend { processes, matched: BackendMatch::Service { name } });
        }
        if !self.compose.services.is_empty() {
            return None;
        }
        let processes: Vec<&GunicornProcess> = self.gunicorn.iter().filter(|g| bind_ports(g).unwrap_or_else(|| vec!["8000".to_owned()]).contains(&port_text)).collect();
        (!processes.is_empty()).then_some(Backend { processes, matched: BackendMatch::Port { port: port_text } })
    }
}

/// The Django settings module a gunicorn process runs, and the service that says so.
#[derive(Clone)]
pub struct RunSettings<'p> {
    pub module: &'p SettingsModule,
    /// The (first) service whose command is the process.
    pub service: &'p DeployedService,
    /// `DJANGO_SETTINGS_MODULE`, `--settings` or the entry module's default, with its origin.
    pub setting: &'p Sourced<String>,
}

/// An nginx `proxy_pass` whose every address reaches gunicorn processes of the project.
#[derive(Clone, Debug)]
pub struct ProxyRoute<'p> {
    /// The `proxy_pass` directive.
    pub pass: At,
    /// The `location` it is written in.
    pub location: At,
    /// The `server` block around the location (across includes), when there is one.
    pub server: Option<At>,
    /// The gunicorn processes behind it (each address of its upstream reached some).
    pub processes: Vec<&'p GunicornProcess>,
    /// How the (first) address was matched.
    pub matched: BackendMatch,
}

impl<'p> ProxyRoute<'p> {
    /// The settings module every process behind the route runs, when they all run one
    /// and it is the same ([`Project::gunicorn_settings`]).
    pub fn settings(&self, project: &'p Project) -> Option<RunSettings<'p>> {
        let mut found: Option<RunSettings<'p>> = None;
        for g in &self.processes {
            let run = project.gunicorn_settings(g)?;
            match &found {
                Some(f) if f.module.path != run.module.path => return None,
                Some(_) => {}
                None => found = Some(run),
            }
        }
        found
    }
}

impl Project {
    /// The services whose command is gunicorn process `g` (see [`Project::gunicorn_behind`]).
    pub fn services_running<'p>(&'p self, g: &GunicornProcess) -> Vec<&'p DeployedService> {
        if let Some(i) = self.gunicorn.iter().position(|x| std::ptr::eq(x, g))
            && let Some(runs) = self.service_runs().get(i)
        {
            return runs.iter().filter_map(|&s| self.deployment.services.get(s)).collect();
        }
        self.deployment.services.iter().filter(|s| service_runs(s, g)).collect()
    }

    /// For each gunicorn process, the indexes of the services that run it (every rule
    /// that sizes a service asks; worked out once).
    fn service_runs(&self) -> &[Vec<usize>] {
        self.gunicorn_services.get_or_init(|| {
            self.gunicorn
                .iter()
                .map(|g| self.deployment.services.iter().enumerate().filter(|(_, s)| service_runs(s, g)).map(|(i, _)| i).collect())
                .collect()
        })
    }

    /// Whether every place that may set `g`'s settings is read: the config file its
    /// command names (`-c`) is a project file, and no service that runs it reads an
    /// `env_file` the project lacks (which may hold `GUNICORN_CMD_ARGS`).
    pub fn gunicorn_settings_known(&self, g: &GunicornProcess) -> bool {
        let config_read = g.config_file.as_ref().is_none_or(|c| c.implicit || c.resolved.is_some());
        config_read && self.services_running(g).iter().all(|s| s.missing_env_files.is_empty())
    }

    /// The Django settings module gunicorn process `g` runs: that of every service whose
    /// command it is, when they agree and it is a settings module of the project. `None`
    /// when no service runs it, its app is not a `wsgi`/`asgi` module, gunicorn sets
    /// `DJANGO_SETTINGS_MODULE` itself (`raw_env`), the variable is passed from outside,
    /// or the module is an entry module's default that an unread `env_file` (or another
    /// app module than the one gunicorn loads) may change.
    ///
    /// ```
    /// use stacklint_project::{Project, ProjectOptions};
    ///
    /// let wsgi = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"site.settings\")\n";
    /// let settings = "INSTALLED_APPS = []\nMIDDLEWARE = []\nROOT_URLCONF = \"site.urls\"\nSTATIC_URL = \"/static/\"\n";
    /// let nginx = "server {\n    location / {\n        proxy_pass http://127.0.0.1:8000;\n    }\n}\n";
    /// let project = Project::from_sources(
    ///     ProjectOptions::default(),
    ///     &[("Procfile", "web: gunicorn site.wsgi:application --bind 127.0.0.1:8000\n"), ("site/wsgi.py", wsgi), ("site/settings.py", settings), ("nginx/app.conf", nginx)],
    /// );
    /// let run = project.gunicorn_settings(&project.gunicorn[0]).unwrap();
    /// assert_eq!(run.setting.value, "site.settings");
    /// let routes = project.proxied_gunicorn();
    /// assert_eq!(routes.len(), 1);
    /// assert!(routes[0].server.is_some());
    /// assert_eq!(routes[0].settings(&project).unwrap().module.path, run.module.path);
    /// ```
    pub fn gunicorn_settings(&self, g: &GunicornProcess) -> Option<RunSettings<'_>> {
        let app = g.app.as_ref()?.value.as_str();
        let app_module = app.split(':').next().filter(|m| m.rsplit('.').next().is_some_and(|last| last == "wsgi" || last == "asgi"))?;
        let sets_module = |v: &SettingValue| match v {
            SettingValue::Str(v) => v.contains("DJANGO_SETTINGS_MODULE"),
            SettingValue::List(items) => items.iter().any(|i| i.as_str().is_none_or(|v| v.contains("DJANGO_SETTINGS_MODULE"))),
            _ => true,
        };
        if g.get_all("raw_env").iter().any(|s| sets_module(&s.value)) {
            return None;
        }
        let app_file = self.python_module(app_module).map(|f| f.path.as_path());
        let mut found: Option<RunSettings<'_>> = None;
        let services = self.services_running(g);
        if services.is_empty() {
            return None;
        }
        for s in services {
            if s.env("DJANGO_SETTINGS_MODULE").is_some_and(|e| e.value.is_none()) {
                return None;
            }
            let setting = s.settings_module.as_ref()?;
            let from_default = s.env("DJANGO_SETTINGS_MODULE").is_none() && !s.command.as_ref().is_some_and(|c| c.argv.iter().any(|a| a.starts_with("--settings")));
            if from_default && (!s.missing_env_files.is_empty() || app_file != Some(setting.origin.file.as_path())) {
                return None;
            }
            let module = self.settings_module_named(&setting.value)?;
            match &found {
                Some(f) if f.module.path != module.path => return None,
                Some(_) => {}
                None => found = Some(RunSettings { module, service: s, setting }),
            }
        }
        found
    }

    /// Every `proxy_pass` of the project's nginx files (not dumps, not an image's own
    /// configuration) whose address — or every `server` of the `upstream` it names — is
    /// a gunicorn process of the project ([`Project::gunicorn_behind`]). An address matched
    /// by its port alone counts only when it is a loopback host and the processes bind it
    /// statically. Addresses with variables are never followed.
    pub fn proxied_gunicorn(&self) -> Vec<ProxyRoute<'_>> {
        let model = &self.nginx;
        let mut upstreams: std::collections::HashMap<String, Vec<(PathBuf, String)>> = std::collections::HashMap::new();
        let docs: Vec<_> = model.iter().filter(|(_, d)| d.in_project() && !d.in_dump).collect();
        for (id, doc) in &docs {
            for at in model.find(self, *id, "upstream") {
                let Some(u) = model.node(self, at) else { continue };
                let (Some(name), Some(_)) = (u.arg(0), u.block.as_ref()) else { continue };
                let servers = u.children_named("server").filter_map(|s| s.args.first().map(|w| if w.has_variable() { String::new() } else { w.value.clone() })).map(|a| (doc.file.clone(), a)).collect();
                // Two upstreams of one name: not known which one a `proxy_pass` means.
                if upstreams.insert(name.to_owned(), servers).is_some() {
                    upstreams.insert(name.to_owned(), Vec::new());
                }
            }
        }
        let mut out = Vec::new();
        for (id, doc) in &docs {
            for pass in model.find(self, *id, "proxy_pass") {
                let Some(d) = model.node(self, pass) else { continue };
                let Some(url) = d.args.first().filter(|u| !u.has_variable()) else { continue };
                let Some(location) = d.ancestors().find(|a| a.is("location")) else { continue };
                let Some(host) = proxy_host(&url.value) else { continue };
                let addresses: Vec<(PathBuf, String)> = match upstreams.get(&host) {
                    Some(servers) => servers.clone(),
                    None => vec![(doc.file.clone(), host.clone())],
                };
                if addresses.is_empty() || addresses.iter().any(|(_, a)| a.is_empty()) {
                    continue;
                }
                let mut processes: Vec<&GunicornProcess> = Vec::new();
                let mut matched = None;
                let mut all = true;
                for (file, address) in &addresses {
                    let Some(backend) = self.gunicorn_behind(file, address) else {
                        all = false;
                        break;
                    };
                    if let BackendMatch::Port { .. } = backend.matched {
                        let host = address.rsplit_once(':').map_or(address.as_str(), |(h, _)| h);
                        let loopback = matches!(host, "127.0.0.1" | "localhost" | "0.0.0.0" | "[::1]" | "::1");
                        if !loopback || backend.processes.iter().any(|g| bind_ports(g).is_none()) {
                            all = false;
                            break;
                        }
                    }
                    for g in backend.processes {
                        if !processes.iter().any(|k| std::ptr::eq(*k, g)) {
                            processes.push(g);
                        }
                    }
                    matched.get_or_insert(backend.matched);
                }
                let (true, Some(matched)) = (all, matched) else { continue };
                let location = At { doc: *id, id: location.id };
                let server = model.scope_chain(self, Scope::inside(location)).into_iter().find_map(|sc| {
                    let block = sc.block?;
                    let at = At { doc: sc.doc, id: block };
                    model.node(self, at).filter(|n| n.is("server")).map(|_| at)
                });
                out.push(ProxyRoute { pass, location, server, processes, matched });
            }
        }
        out
    }
}

/// `http://web:8000/api` → `web:8000`; `http://unix:/run/app.sock:/` → `unix:/run/app.sock`.
fn proxy_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    if let Some(sock) = rest.strip_prefix("unix:") {
        return Some(format!("unix:{}", sock.split(':').next().unwrap_or(sock)));
    }
    Some(rest.split('/').next().unwrap_or(rest).to_owned()).filter(|h| !h.is_empty())
}

/// The gunicorn processes behind an nginx address, and how they were found.
#[derive(Clone, Debug)]
pub struct Backend<'p> {
    pub processes: Vec<&'p GunicornProcess>,
    pub matched: BackendMatch,
}

/// How an nginx address was matched to processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendMatch {
    /// The address names a service of the deployment (an upstream link).
    Service { name: String },
    /// No compose: a gunicorn on the host binds that port.
    Port { port: String },
    /// A gunicorn binds that unix socket.
    Socket { path: String },
}

impl fmt::Display for BackendMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendMatch::Service { name } => write!(f, "the `{name}` service the address names"),
            BackendMatch::Port { port } => write!(f, "matched by port {port} alone: no compose file says which service listens there"),
            BackendMatch::Socket { path } => write!(f, "the process bound to `unix:{path}`"),
        }
    }
}

/// Whether `g` is the gunicorn command `s` runs: its command line lies inside the command
/// the service runs (a compose `command:`, a Dockerfile `CMD`, a Procfile entry, a
/// supervisord `command=`, a systemd `ExecStart=`, an entrypoint script's `exec`); or,
/// when an image `ENTRYPOINT` wraps it (`exec "$@"`), it is the service's compose
/// command, or the `CMD` of the Dockerfile the service builds and runs.
fn service_runs(s: &DeployedService, g: &GunicornProcess) -> bool {
    let (Some(c), Frontend::CommandLine(source)) = (&s.command, &g.frontend) else { return false };
    if c.origin.file == g.anchor.file && c.origin.range.is_some_and(|r| r.contains_range(g.anchor.range)) {
        return true;
    }
    if c.program.as_deref() != Some("gunicorn") {
        return false;
    }
    match source {
        CommandSource::Compose { service } => *service == s.name && s.defined_in.file == g.anchor.file,
        CommandSource::Dockerfile { .. } => c.origin.file == g.anchor.file && s.build.as_ref().is_some_and(|b| b.dockerfile == g.anchor.file),
        _ => false,
    }
}

/// The addresses a gunicorn binds (gunicorn's default: `127.0.0.1:8000`).
pub(crate) fn binds(g: &GunicornProcess) -> Vec<String> {
    let mut out = Vec::new();
    for s in g.get_all("bind") {
        match &s.value {
            SettingValue::Str(v) => out.push(v.clone()),
            SettingValue::List(items) => out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned))),
            _ => {}
        }
    }
    if out.is_empty() {
        out.push("127.0.0.1:8000".to_owned());
    }
    out
}

/// The TCP ports a gunicorn listens on; `None` when a `bind` is not known statically
/// (`$PORT`), so any port may be its.
fn bind_ports(g: &GunicornProcess) -> Option<Vec<String>> {
    if g.get_all("bind").iter().any(|s| !matches!(s.value, SettingValue::Str(_) | SettingValue::List(_))) {
        return None;
    }
    Some(
        binds(g)
            .iter()
            .filter(|b| !b.starts_with("unix:"))
            .map(|b| match b.rsplit_once(':') {
                Some((_, port)) if port.chars().all(|c| c.is_ascii_digit()) => port.to_owned(),
                _ => "80".to_owned(),
            })
            .collect(),
    )
}

/// A gunicorn process as an app server: ASGI with an ASGI worker class or an `*.asgi`
/// app module, WSGI with one of gunicorn's WSGI worker classes. A config file nothing
/// runs counts only when it sets the worker class or the app.
fn gunicorn_server(g: &GunicornProcess) -> Option<AppServer> {
    if g.frontend == Frontend::ConfFile && g.get("worker_class").is_none() && g.app.is_none() {
        return None;
    }
    let kind = g.worker_class();
    let class = g.get("worker_class").and_then(|s| s.value.as_str().map(str::to_owned));
    let app = g.app.as_ref().map(|a| a.value.as_str());
    let asgi_app = app.is_some_and(|a| a.split(':').next().is_some_and(|m| m.rsplit('.').next() == Some("asgi")));
    let (interface, what) = match (&kind, class) {
        (WorkerKind::Uvicorn { .. } | WorkerKind::Asgi, Some(c)) => (Interface::Asgi, format!("gunicorn with `{c}` workers")),
        (WorkerKind::Uvicorn { .. } | WorkerKind::Asgi, None) => (Interface::Asgi, format!("gunicorn with `{}` workers", kind.name())),
        _ if asgi_app => (Interface::Asgi, format!("gunicorn serving `{}`", app.unwrap_or_default())),
        (WorkerKind::Sync | WorkerKind::Gthread | WorkerKind::Gevent | WorkerKind::Eventlet | WorkerKind::Tornado, _) => (Interface::Wsgi, format!("gunicorn with `{}` workers", kind.name())),
        (WorkerKind::Other(_), _) => return None,
    };
    let what = match (interface, app) {
        (Interface::Asgi, Some(a)) if !what.contains(a) => format!("{what} serving `{a}`"),
        _ => what,
    };
    Some(AppServer { interface, what, app: app.map(str::to_owned), file: g.anchor.file.clone(), range: Some(g.anchor.range) , settings_module: None })
}

/// "`uvicorn` serving `app.asgi:application`", or "`uvicorn`" when no argument names the app.
fn program_what(program: &str, argv: &[String]) -> String {
    match app_argument(argv) {
        Some(app) => format!("`{program}` serving `{app}`"),
        None => format!("`{program}`"),
    }
}

/// The first `module:attr` argument: the app a server loads.
fn app_argument(argv: &[String]) -> Option<String> {
    let is_app = |a: &&String| !a.starts_with('-') && a.split_once(':').is_some_and(|(m, attr)| !m.is_empty() && !attr.is_empty() && !m.contains('/') && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'));
    argv.iter().find(is_app).cloned()
}

/// The interface a server program speaks: its `--interface asgi|wsgi|asgi3|...` when
/// given, else the program's own (granian's default, RSGI, is neither).
fn program_interface(program: &str, argv: &[String]) -> Option<Interface> {
    let mut flag = None;
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "--interface" {
            flag = it.next().cloned();
        } else if let Some(v) = a.strip_prefix("--interface=") {
            flag = Some(v.to_owned());
        }
    }
    match flag.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some(f) if f.starts_with("asgi") => return Some(Interface::Asgi),
        Some("wsgi") => return Some(Interface::Wsgi),
        _ => {}
    }
    if ASGI_PROGRAMS.contains(&program) {
        Some(Interface::Asgi)
    } else if WSGI_PROGRAMS.contains(&program) {
        Some(Interface::Wsgi)
    } else {
        None
    }
}
