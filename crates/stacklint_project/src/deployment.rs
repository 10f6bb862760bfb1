//! The deployment the project's files make up: its services, what each one runs and
//! reads, and how they reach each other.
//!
//! Built once per project from compose services (or, without compose, from Dockerfiles
//! and Procfile process types). For each service: the image and the Dockerfile stage it
//! builds, its replicas, the command it really runs (compose `command`/`entrypoint` over
//! the image's `CMD`/`ENTRYPOINT`, followed through an entrypoint script to its `exec`),
//! its environment, the project files it sees and where, its target, ports, dependencies,
//! healthcheck and the Django settings module it runs. Every value keeps its [`Origin`].
//!
//! Links come from what the services say: a URL in the environment or in the production
//! settings (`postgresql://...@db/`, `redis://redis:6379/0`) names a service by its host;
//! an nginx `proxy_pass`/`upstream` server names a service and port. A host no service
//! has is [`LinkTarget::External`], never guessed.
//!
//! ```
//! use stacklint_project::{Project, ProjectOptions};
//! use stacklint_project::deployment::{LinkKind, LinkTarget, Role};
//!
//! let compose = "services:\n  web:\n    build: .\n    command: gunicorn app.wsgi -w 3\n    environment:\n      DATABASE_URL: postgres://u:p@db:5432/app\n  db:\n    image: postgres:16\n";
//! let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENV DJANGO_SETTINGS_MODULE=app.settings\nCMD [\"python\", \"manage.py\", \"runserver\"]\n";
//! let project = Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", compose), ("Dockerfile", dockerfile)]);
//! let web = project.deployment.service("web").unwrap();
//! assert_eq!(web.command.as_ref().unwrap().argv, ["gunicorn", "app.wsgi", "-w", "3"]);
//! assert!(matches!(&web.role, Role::App { server } if server == "gunicorn"));
//! assert_eq!(web.settings_module.as_ref().unwrap().value, "app.settings");
//! assert_eq!(web.path_of(std::path::Path::new("Dockerfile")), Some("/app/Dockerfile"));
//! let link = &project.deployment.links[0];
//! assert_eq!((link.from.as_str(), &link.kind, &link.to), ("web", &LinkKind::Database, &LinkTarget::Service { name: "db".into(), port: Some(5432) }));
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use stacklint_syntax::dockerfile::{Instruction, Keyword, Stage};
use stacklint_syntax::shell::{self, Token};
use stacklint_text::TextRange;

use crate::kind::FileKind;
use crate::project::{Parsed, Project};
use crate::target::Target;

/// The services of the project and the links between them.
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    pub services: Vec<DeployedService>,
    pub links: Vec<Link>,
}

/// Where a value was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub range: Option<TextRange>,
    /// What said it: `compose command`, `Dockerfile CMD`, `env_file .env`, ...
    pub what: String,
}

impl Origin {
    fn new(file: &Path, range: Option<TextRange>, what: impl Into<String>) -> Origin {
        Origin { file: file.to_path_buf(), range, what: what.into() }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

/// What a service is for, from what it runs or the image it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// An application server: `gunicorn`, `uvicorn`, `daphne`, `hypercorn`, `uwsgi`, `runserver`.
    App { server: String },
    /// A background worker or scheduler: `celery`, `rq`, `dramatiq`, `huey`.
    Worker { program: String },
    Nginx,
    Postgres,
    Redis,
    /// A one-off step (`manage.py migrate`) or anything else.
    Other,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::App { server } => write!(f, "app ({server})"),
            Role::Worker { program } => write!(f, "worker ({program})"),
            Role::Nginx => f.write_str("nginx"),
            Role::Postgres => f.write_str("postgres"),
            Role::Redis => f.write_str("redis"),
            Role::Other => f.write_str("other"),
        }
    }
}

/// One service of the deployment.
#[derive(Clone, Debug)]
pub struct DeployedService {
    pub name: String,
    /// The compose service, Dockerfile or Procfile entry that defines it.
    pub defined_in: Origin,
    pub role: Role,
    /// `name[:tag]` of the image it runs (compose `image:`, else the root `FROM` of the
    /// stage it builds).
    pub image: Option<Sourced<String>>,
    /// The project Dockerfile it builds and the stage (the last one unless `target:`).
    pub build: Option<BuildStage>,
    pub replicas: Option<Sourced<u32>>,
    /// The command it runs; `None` when only the image knows (an official image's default).
    pub command: Option<RunCommand>,
    /// Its environment, lowest precedence first (Dockerfile `ENV` < `env_file` <
    /// `environment`): [`DeployedService::env`] gives the value that wins.
    pub environment: Vec<EnvEntry>,
    /// Project files the service sees, and where.
    pub files: Vec<ServiceFile>,
    pub target: Target,
    pub ports: Vec<Sourced<String>>,
    pub depends_on: Vec<String>,
    pub healthcheck: Option<Origin>,
    /// The Django settings module its process runs (`DJANGO_SETTINGS_MODULE`, `--settings`,
    /// or the default of wsgi.py / manage.py).
    pub settings_module: Option<Sourced<String>>,
    /// The configuration files its program reads (gunicorn `-c`, `redis-server FILE`,
    /// `postgres -c config_file=`, nginx's `/etc/nginx/nginx.conf`), with the project file
    /// that lands there when there is one.
    pub config_files: Vec<ConfigRead>,
    /// The working directory of its process (WORKDIR, or the project root on the host);
    /// `None` when unknown.
    pub workdir: Option<String>,
    /// `env_file`s the project does not have: the environment may hold more than is known.
    pub missing_env_files: Vec<Sourced<String>>,
    /// compose `profiles:`: the service only starts when one of them is enabled.
    pub profiles: Vec<String>,
    /// The image's own ENTRYPOINT and CMD (what compose `entrypoint:`/`command:` override).
    image_command: ImageCommand,
}

/// An image's ENTRYPOINT and CMD argvs.
#[derive(Clone, Debug, Default)]
struct ImageCommand {
    entrypoint: Option<(Vec<String>, Origin)>,
    cmd: Option<(Vec<String>, Origin)>,
}

/// A configuration file a service's program reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRead {
    pub program: String,
    /// The path the program opens (in the container, or on the host).
    pub path: String,
    /// The project file at that path; `None` when it comes from the image or elsewhere.
    pub file: Option<PathBuf>,
    /// The argument that names it, or the program's default.
    pub origin: Origin,
}

/// The Dockerfile stage a service runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildStage {
    pub dockerfile: PathBuf,
    /// The stage's `AS` name, if any.
    pub stage: Option<String>,
    pub stage_index: usize,
}

/// The command a service runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCommand {
    /// The argv; a shell form is `["/bin/sh", "-c", text]`.
    pub argv: Vec<String>,
    /// The program doing the work (`gunicorn`, `celery`, `nginx`, `manage.py runserver`...),
    /// looked up through wrappers and `sh -c`.
    pub program: Option<String>,
    pub origin: Origin,
    /// Entrypoint scripts followed to reach it, outermost first.
    pub via: Vec<Origin>,
}

/// One environment variable as a service gets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvEntry {
    pub name: String,
    /// `None` when it is passed through from the host (`- KEY`).
    pub value: Option<String>,
    pub origin: Origin,
}

/// How a project file gets into a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileVia {
    /// `COPY`/`ADD` into the image.
    Copy,
    /// A compose bind mount.
    Mount,
    /// The service runs on the host (Procfile, supervisord, systemd): it reads the file where it is.
    Host,
}

/// A project file a service sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceFile {
    pub file: PathBuf,
    /// The path inside the container (the project path for a host service).
    pub container_path: String,
    pub via: FileVia,
    /// Shared by every file one instruction or mount brings in.
    pub origin: std::sync::Arc<Origin>,
}

/// A connection one service opens to another (or to something outside the project).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub from: String,
    pub kind: LinkKind,
    pub to: LinkTarget,
    pub origin: Origin,
}

/// What a link is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Database,
    Cache,
    Broker,
    ResultBackend,
    Channels,
    Sessions,
    /// A Redis URL whose use the name does not tell (`REDIS_URL`).
    Redis,
    /// nginx passes requests to it.
    Upstream,
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkKind::Database => "database",
            LinkKind::Cache => "cache",
            LinkKind::Broker => "broker",
            LinkKind::ResultBackend => "result backend",
            LinkKind::Channels => "channels",
            LinkKind::Sessions => "sessions",
            LinkKind::Redis => "redis",
            LinkKind::Upstream => "upstream",
        })
    }
}

/// The other end of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    Service { name: String, port: Option<u16> },
    /// A host no service of the project has (a managed database, `localhost` on a host).
    External { host: String, port: Option<u16> },
}

impl fmt::Display for LinkTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, name, port) = match self {
            LinkTarget::Service { name, port } => ("service", name, port),
            LinkTarget::External { host, port } => ("external", host, port),
        };
        match port {
            Some(p) => write!(f, "{what} {name}:{p}"),
            None => write!(f, "{what} {name}"),
        }
    }
}

impl Deployment {
    pub fn service(&self, name: &str) -> Option<&DeployedService> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The services that see `file` (build it into their image, mount it, or run on the host).
    pub fn services_with_file<'d>(&'d self, file: &'d Path) -> impl Iterator<Item = &'d DeployedService> + 'd {
        self.services.iter().filter(move |s| s.files.iter().any(|f| f.file == file))
    }
}

impl DeployedService {
    /// The value of an environment variable as the process gets it (the last entry wins).
    pub fn env(&self, name: &str) -> Option<&EnvEntry> {
        self.environment.iter().rev().find(|e| e.name == name)
    }

    /// Where the service sees `file`, if it does.
    pub fn path_of(&self, file: &Path) -> Option<&str> {
        self.files.iter().find(|f| f.file == file).map(|f| f.container_path.as_str())
    }

    /// The project file that lands at `container_path` in this service.
    pub fn file_at(&self, container_path: &str) -> Option<&Path> {
        let want = clean_abs(container_path);
        self.files.iter().rev().find(|f| clean_abs(&f.container_path) == want).map(|f| f.file.as_path())
    }
}

/// Programs that serve HTTP, and those that run background work.
const SERVERS: &[&str] = &["gunicorn", "uvicorn", "daphne", "hypercorn", "uwsgi", "granian", "waitress-serve"];
const WORKERS: &[&str] = &["celery", "rq", "rqworker", "dramatiq", "huey_consumer", "arq"];
const DAEMONS: &[&str] = &["nginx", "postgres", "redis-server"];

/// The services alone: the settings modules and the nginx include graph are built from
/// them, and the links (which read the settings) after ([`links`]).
pub(crate) fn services(project: &Project) -> Vec<DeployedService> {
    let mut services = Vec::new();
    let mut built: HashSet<PathBuf> = HashSet::new();
    for cs in &project.compose.services {
        let s = from_compose(project, cs);
        if let Some(b) = &s.build {
            built.insert(b.dockerfile.clone());
        }
        services.push(s);
    }
    // Without compose (or beside it), a Dockerfile nothing builds is a service of its own.
    for file in project.files_of(FileKind::Dockerfile) {
        if built.contains(&file.path) || file.template.is_some() {
            continue;
        }
        let Some(df) = file.dockerfile() else { continue };
        let stages = df.stages();
        let Some(last) = stages.len().checked_sub(1) else { continue };
        let name = dockerfile_service_name(&file.path, &project.root);
        let mut s = empty_service(name, Origin::new(&file.path, None, "Dockerfile"), project.target.clone());
        apply_image(project, &mut s, &file.path, &stages, last, file.path.parent().unwrap_or(Path::new("")));
        finish(project, &mut s);
        services.push(s);
    }
    for file in project.files_of(FileKind::Procfile) {
        let Parsed::Procfile(p) = &file.parsed else { continue };
        for entry in &p.tree {
            let name = entry.name.clone();
            let mut s = empty_service(name.clone(), Origin::new(&file.path, Some(entry.range), format!("Procfile `{name}`")), project.target.clone());
            let tokens = shell::split_range(&file.text, entry.command_range).tree;
            let argv = tokens.iter().filter_map(Token::as_word).map(|w| w.value.clone()).collect();
            s.command = Some(RunCommand { program: program_of(&tokens), argv, origin: Origin::new(&file.path, Some(entry.command_range), format!("Procfile `{name}`")), via: Vec::new() });
            s.files = host_files(project);
            s.workdir = Some(String::new());
            finish(project, &mut s);
            services.push(s);
        }
    }
    for file in project.files_of(FileKind::Supervisord) {
        let Some(ini) = file.ini() else { continue };
        for program in stacklint_syntax::supervisord::programs(ini) {
            let Some(command) = program.command else { continue };
            let what = format!("supervisord [program:{}]", program.name);
            let mut s = empty_service(program.name.to_owned(), Origin::new(&file.path, Some(program.name_range), what.clone()), project.target.clone());
            host_command(project, &mut s, &file.text, command.value_range, Origin::new(&file.path, Some(command.range), what.clone()));
            if let Some(dir) = program.get("directory") {
                s.workdir = Some(dir.value.clone());
            }
            if let Some(env) = program.get("environment") {
                env_assignments(&mut s, &file.text, env.value_range, &Origin::new(&file.path, Some(env.range), format!("{what} environment")));
            }
            finish(project, &mut s);
            services.push(s);
        }
    }
    for file in project.files_of(FileKind::Systemd) {
        let Some(ini) = file.ini() else { continue };
        let Some(exec) = stacklint_syntax::systemd::exec_start(ini).into_iter().last() else { continue };
        let name = file.path.file_stem().and_then(|n| n.to_str()).unwrap_or("unit").to_owned();
        let what = format!("systemd unit {name}");
        let mut s = empty_service(name, Origin::new(&file.path, None, what.clone()), project.target.clone());
        // `ExecStart=-/bin/x`: prefixes that change how systemd runs it, not the argv.
        let raw = exec.value_range.slice(&file.text);
        let skipped = raw.len() - raw.trim_start_matches(['-', '@', '+', '!', ':', '|']).len();
        let range = TextRange::new(exec.value_range.start() + skipped, exec.value_range.end());
        host_command(project, &mut s, &file.text, range, Origin::new(&file.path, Some(exec.range), format!("{what} ExecStart")));
        for dir in stacklint_syntax::systemd::list(ini, "Service", "WorkingDirectory") {
            s.workdir = Some(dir.value.clone());
        }
        for env in stacklint_syntax::systemd::list(ini, "Service", "Environment") {
            env_assignments(&mut s, &file.text, env.value_range, &Origin::new(&file.path, Some(env.range), format!("{what} Environment")));
        }
        // The unit's socket (`name.socket` beside it): systemd listens and hands it over.
        let socket_path = file.path.with_extension("socket");
        if let Some(socket) = project.file(&socket_path).and_then(|f| f.ini().map(|ini| (f, ini))) {
            for listen in stacklint_syntax::systemd::list(socket.1, "Socket", "ListenStream") {
                s.ports.push(Sourced { value: listen.value.clone(), origin: Origin::new(&socket.0.path, Some(listen.range), "systemd socket ListenStream") });
            }
        }
        for env_file in stacklint_syntax::systemd::list(ini, "Service", "EnvironmentFile") {
            s.missing_env_files.push(Sourced { value: env_file.value.clone(), origin: Origin::new(&file.path, Some(env_file.range), "systemd EnvironmentFile") });
        }
        finish(project, &mut s);
        services.push(s);
    }
    services
}

/// The command of a process on the host (supervisord, systemd): split as shell words.
fn host_command(project: &Project, s: &mut DeployedService, text: &str, range: TextRange, origin: Origin) {
    let tokens = shell::split_range(text, range).tree;
    let argv = tokens.iter().filter_map(Token::as_word).map(|w| w.value.clone()).collect();
    s.command = Some(RunCommand { program: program_of(&tokens), argv, origin, via: Vec::new() });
    s.files = host_files(project);
    s.workdir = Some(String::new());
}

/// `A=b C="d e"` assignments (supervisord `environment=`, systemd `Environment=`).
fn env_assignments(s: &mut DeployedService, text: &str, range: TextRange, origin: &Origin) {
    for t in shell::split_range(text, range).tree {
        // supervisord separates its pairs with commas.
        let Some(w) = t.as_word() else { continue };
        for pair in w.value.split(',') {
            if let Some((k, v)) = pair.split_once('=')
                && !k.is_empty()
                && k.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                s.environment.push(EnvEntry { name: k.trim().to_owned(), value: Some(v.trim_matches(['"', '\'']).to_owned()), origin: origin.clone() });
            }
        }
    }
}

fn empty_service(name: String, defined_in: Origin, target: Target) -> DeployedService {
    DeployedService {
        name,
        defined_in,
        role: Role::Other,
        image: None,
        build: None,
        replicas: None,
        command: None,
        environment: Vec::new(),
        files: Vec::new(),
        target,
        ports: Vec::new(),
        depends_on: Vec::new(),
        healthcheck: None,
        settings_module: None,
        config_files: Vec::new(),
        workdir: None,
        missing_env_files: Vec::new(),
        profiles: Vec::new(),
        image_command: ImageCommand::default(),
    }
}

/// `app` for `./Dockerfile` in a project `app`, `worker` for `worker.Dockerfile` or
/// `docker/worker/Dockerfile`.
fn dockerfile_service_name(path: &Path, root: &Path) -> String {
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("Dockerfile");
    if let Some(stem) = file.strip_suffix(".Dockerfile").or_else(|| file.strip_suffix(".dockerfile")).or_else(|| file.strip_prefix("Dockerfile.")) {
        return stem.to_owned();
    }
    let dir = path.parent().filter(|d| *d != root && !d.as_os_str().is_empty()).or(Some(root));
    dir.and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or("app").to_owned()
}

/// Every project file, where it is: a process on the host reads them in place.
fn host_files(project: &Project) -> Vec<ServiceFile> {
    project
        .files
        .iter()
        .map(|f| {
            let path = f.path.strip_prefix(&project.root).unwrap_or(&f.path).to_string_lossy().into_owned();
            ServiceFile { file: f.path.clone(), container_path: path, via: FileVia::Host, origin: std::sync::Arc::new(Origin::new(&f.path, None, "on the host")) }
        })
        .collect()
}

fn from_compose(project: &Project, cs: &crate::compose::ComposeService) -> DeployedService {
    let m = &cs.merged;
    let file = cs.file.as_path();
    let mut s = empty_service(cs.name.clone(), Origin::new(file, Some(cs.service.name.range), format!("compose service `{}`", cs.name)), cs.target.clone());
    s.profiles.clone_from(&cs.profiles);
    if let Some(df_path) = &cs.dockerfile
        && let Some(df_file) = project.file(df_path)
        && let Some(df) = df_file.dockerfile()
        && let Some(build) = &m.build
    {
        let stages = df.stages();
        let wanted = build.value.target.as_ref().map(|t| t.value.to_ascii_lowercase());
        let index = match wanted {
            Some(t) => stages.iter().rposition(|st| st.name().is_some_and(|n| n.eq_ignore_ascii_case(&t))),
            None => stages.len().checked_sub(1),
        };
        if let Some(index) = index {
            let dir = build.file.parent().unwrap_or(Path::new(""));
            let context_dir = normalize(&dir.join(build.value.context_path()));
            apply_image(project, &mut s, df_path, &stages, index, &context_dir);
        }
    }
    if let Some(image) = &m.image {
        s.image = Some(Sourced { value: value_of(project, cs, &image.file, &image.value.value), origin: Origin::new(&image.file, Some(image.value.value.range), "compose image") });
    }
    // compose `entrypoint:` replaces the image's ENTRYPOINT and drops its CMD;
    // `command:` replaces the CMD.
    let entry = m.entrypoint.as_ref().map(|e| (compose_argv(&e.value), Origin::new(&e.file, Some(e.value.range), "compose entrypoint")));
    let cmd = m.command.as_ref().map(|c| (compose_argv(&c.value), Origin::new(&c.file, Some(c.value.range), "compose command")));
    if entry.is_some() || cmd.is_some() {
        let image = std::mem::take(&mut s.image_command);
        let cmd = match (cmd, &entry) {
            (Some(c), _) => Some(c),
            (None, Some(_)) => None,
            (None, None) => image.cmd,
        };
        let entry = entry.or(image.entrypoint);
        s.command = combine(project, &s, entry, cmd);
    }
    for ef in &cs.env_files {
        match &ef.entries {
            Ok(entries) => {
                for (name, value, range) in entries {
                    s.environment.push(EnvEntry { name: name.clone(), value: Some(value.clone()), origin: Origin::new(&ef.path, Some(*range), format!("env_file {}", ef.written.value.value)) });
                }
            }
            Err(_) => s.missing_env_files.push(Sourced { value: ef.written.value.value.clone(), origin: Origin::new(&ef.written.file, Some(ef.written.value.range), "compose env_file") }),
        }
    }
    for e in &m.environment {
        let value = e.value.value.as_ref().map(|v| value_of(project, cs, &e.file, v));
        s.environment.push(EnvEntry { name: written(project, &e.file, &e.value.name), value, origin: Origin::new(&e.file, Some(e.value.range), "compose environment") });
    }
    for mount in &cs.mounts {
        s.files.push(ServiceFile { file: mount.file.clone(), container_path: mount.container_path.clone(), via: FileVia::Mount, origin: std::sync::Arc::new(Origin::new(&mount.compose_file, Some(mount.range), "compose volume")) });
    }
    s.replicas = m.replicas.as_ref().and_then(|r| {
        let value = cs.interpolate(&r.value.0.value)?.trim().parse().ok()?;
        Some(Sourced { value, origin: Origin::new(&r.file, Some(r.value.0.range), r.value.1) })
    });
    s.ports = m.ports.iter().map(|p| Sourced { value: interpolated(project, cs, &p.file, port_text(project, &p.file, &p.value)), origin: Origin::new(&p.file, Some(p.value.range), "compose ports") }).collect();
    s.depends_on = m.depends_on.iter().map(|d| d.value.service.value.clone()).collect();
    if let Some(h) = &m.healthcheck
        && !h.value.disable
    {
        s.healthcheck = Some(Origin::new(&h.file, Some(h.value.range), "compose healthcheck"));
    }
    finish(project, &mut s);
    s
}

fn compose_argv(c: &stacklint_syntax::compose::Command) -> Vec<String> {
    match &c.form {
        stacklint_syntax::compose::CommandForm::List(items) => items.iter().map(|s| s.value.clone()).collect(),
        // The string form is split like a shell (compose does not run a shell).
        stacklint_syntax::compose::CommandForm::String(_) => c.words().map(|w| w.value.clone()).collect(),
    }
}

/// A scalar's value; in a template, the text as written (the parsed skeleton has its tags
/// masked).
fn written(project: &Project, file: &Path, scalar: &stacklint_syntax::compose::Scalar) -> String {
    match project.file(file) {
        Some(f) if f.template.is_some() => scalar.range.slice(&f.text).trim().trim_matches(['"', '\'']).to_owned(),
        _ => scalar.value.clone(),
    }
}

/// A value as compose uses it: `.env` variables replaced; as written when one is unknown
/// (never a guess).
fn value_of(project: &Project, cs: &crate::compose::ComposeService, file: &Path, scalar: &stacklint_syntax::compose::Scalar) -> String {
    interpolated(project, cs, file, written(project, file, scalar))
}

fn interpolated(project: &Project, cs: &crate::compose::ComposeService, file: &Path, text: String) -> String {
    match project.file(file) {
        Some(f) if f.template.is_some() => text,
        _ => cs.interpolate(&text).unwrap_or(text),
    }
}

/// A port entry as written (the short form's value when the file is not a project file).
fn port_text(project: &Project, file: &Path, port: &stacklint_syntax::compose::Port) -> String {
    match project.file(file) {
        Some(f) => port.range.slice(&f.text).trim().trim_start_matches("- ").trim_matches(['"', '\'']).to_owned(),
        None => port.value.as_ref().or(port.target.as_ref()).map(|v| v.value.clone()).unwrap_or_default(),
    }
}

/// What the image built from `df` (stage `index`) brings: its root image, ENV, the files
/// it copies, its command and healthcheck.
fn apply_image(project: &Project, s: &mut DeployedService, path: &Path, stages: &[Stage<'_>], index: usize, context: &Path) {
    let chain = stacklint_syntax::dockerfile::stage_chain(stages, index);
    let Some(stage) = stages.get(index) else { return };
    s.build = Some(BuildStage { dockerfile: path.to_path_buf(), stage: stage.name().map(str::to_owned), stage_index: index });
    if let Some(root) = chain.first().and_then(|&i| stages.get(i)).and_then(Stage::image) {
        s.image = Some(Sourced { value: root.word.value.clone(), origin: Origin::new(path, Some(root.word.range), "Dockerfile FROM") });
    }
    // WORKDIR as the build resolves it; `None` once it depends on a value not known here.
    let mut workdir = Some(String::from("/"));
    let mut vars: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut entrypoint: Option<(&Instruction, Vec<String>)> = None;
    let mut cmd: Option<(&Instruction, Vec<String>)> = None;
    for inst in chain.iter().filter_map(|&i| stages.get(i)).flat_map(|st| st.instructions.iter()) {
        match inst.keyword {
            Keyword::Workdir => {
                if let Some(t) = inst.text() {
                    workdir = workdir.zip(expand(t.as_str().trim(), &vars)).map(|(w, t)| join_container(&w, &t));
                }
            }
            Keyword::Env | Keyword::Arg => {
                for kv in inst.key_values() {
                    let value = kv.value.as_ref().map(|v| v.value.clone());
                    match value.as_deref().and_then(|v| expand(v, &vars)) {
                        Some(v) => vars.insert(kv.key.value.clone(), v),
                        None => vars.remove(&kv.key.value),
                    };
                    if inst.keyword == Keyword::Env {
                        s.environment.push(EnvEntry { name: kv.key.value.clone(), value, origin: Origin::new(path, Some(kv.range), "Dockerfile ENV") });
                    }
                }
            }
            Keyword::Copy | Keyword::Add if inst.flag("from").is_none() => {
                if let Some(w) = &workdir {
                    copy_files(project, s, path, inst, context, w, &vars);
                }
            }
            Keyword::Entrypoint => {
                entrypoint = Some((inst, instruction_argv(inst)));
                // An ENTRYPOINT resets the CMD of the image it builds on.
                cmd = None;
            }
            Keyword::Cmd => cmd = Some((inst, instruction_argv(inst))),
            Keyword::Healthcheck => {
                s.healthcheck = inst.healthcheck().filter(|h| h.kind.as_ref().is_some_and(|k| !k.raw.eq_ignore_ascii_case("NONE"))).map(|_| Origin::new(path, Some(inst.range), "Dockerfile HEALTHCHECK"));
            }
            _ => {}
        }
    }
    s.workdir = workdir;
    let origin = |inst: &Instruction| Origin::new(path, Some(inst.range), format!("Dockerfile {}", inst.keyword));
    s.image_command = ImageCommand { entrypoint: entrypoint.map(|(i, a)| (a, origin(i))), cmd: cmd.map(|(i, a)| (a, origin(i))) };
    s.command = combine(project, s, s.image_command.entrypoint.clone(), s.image_command.cmd.clone());
}

/// The command of an ENTRYPOINT and a CMD (either from the image or compose): the
/// entrypoint's argv followed by the command's, through entrypoint scripts.
fn combine(project: &Project, s: &DeployedService, entry: Option<(Vec<String>, Origin)>, cmd: Option<(Vec<String>, Origin)>) -> Option<RunCommand> {
    let origin = entry.as_ref().or(cmd.as_ref()).map(|(_, o)| o.clone())?;
    let mut argv = entry.map(|(a, _)| a).unwrap_or_default();
    argv.extend(cmd.map(|(a, _)| a).unwrap_or_default());
    let c = RunCommand { program: program_of_argv(&argv), argv, origin, via: Vec::new() };
    Some(follow_entrypoint(project, s, c))
}

/// [`program_of`] for an argv (a `sh -c` script inside is split as a shell would).
fn program_of_argv(argv: &[String]) -> Option<String> {
    program_of(&argv.iter().map(|a| Token::Word(shell::Word::verbatim(a.clone(), 0))).collect::<Vec<_>>())
}

/// The argv of a CMD/ENTRYPOINT: the exec array, or `/bin/sh -c text`.
fn instruction_argv(inst: &Instruction) -> Vec<String> {
    if let Some(exec) = inst.exec() {
        return exec.elements.iter().map(|e| e.value.clone()).collect();
    }
    inst.shell_text().map(|t| vec!["/bin/sh".to_owned(), "-c".to_owned(), t.as_str().to_owned()]).unwrap_or_default()
}

/// The files a `COPY`/`ADD` brings into the image, at their container paths.
fn copy_files(project: &Project, s: &mut DeployedService, path: &Path, inst: &Instruction, context: &Path, workdir: &str, vars: &std::collections::HashMap<String, String>) {
    let mut values: Vec<String> = match inst.exec() {
        Some(e) => e.elements.iter().map(|x| x.value.clone()).collect(),
        None => inst.words().iter().map(|w| w.value.clone()).collect(),
    };
    let Some(dest) = values.pop().and_then(|d| expand(&d, vars)) else { return };
    if values.is_empty() || values.iter().any(|v| v.contains("://") || v.contains('$')) {
        return;
    }
    let dest_abs = join_container(workdir, &dest);
    // A destination ending in `/` (or the working directory itself) is a folder; so is
    // one the base image already has as a folder (`COPY nginx.conf /etc/nginx/conf.d`).
    let image = s.image.as_ref().map(|i| short_image(&i.value)).unwrap_or_default();
    let image_dir = IMAGE_DIRS.iter().any(|(name, dirs)| *name == image && dirs.contains(&dest_abs.as_str()));
    let into_dir = dest.ends_with('/') || matches!(dest.as_str(), "." | "./" | "..") || values.len() > 1 || image_dir;
    let origin = std::sync::Arc::new(Origin::new(path, Some(inst.range), format!("Dockerfile {}", inst.keyword)));
    for src in &values {
        let host = normalize(&context.join(src));
        let has_glob = src.contains(['*', '?', '[']);
        let under = if has_glob { host.parent().unwrap_or(Path::new("")) } else { host.as_path() };
        for (fp, f) in project.files_under(under) {
            let container = if has_glob {
                if fp.parent() != host.parent() || !glob_match(host.file_name().and_then(|n| n.to_str()).unwrap_or(""), fp.file_name().and_then(|n| n.to_str()).unwrap_or("")) {
                    continue;
                }
                join_container(&dest_abs, fp.file_name().and_then(|n| n.to_str()).unwrap_or(""))
            } else if fp == host.as_path() {
                if into_dir { join_container(&dest_abs, fp.file_name().and_then(|n| n.to_str()).unwrap_or("")) } else { dest_abs.clone() }
            } else if let Ok(rel) = fp.strip_prefix(&host) {
                if host.as_os_str().is_empty() && fp.is_absolute() {
                    continue;
                }
                join_container(&dest_abs, &slash_path(rel))
            } else {
                continue;
            };
            s.files.push(ServiceFile { file: f.path.clone(), container_path: container, via: FileVia::Copy, origin: std::sync::Arc::clone(&origin) });
        }
    }
}

/// `$VAR` / `${VAR}` of a Dockerfile value replaced from the ENV and ARG values known so
/// far; `None` when one is not known (the build would need it).
fn expand(value: &str, vars: &std::collections::HashMap<String, String>) -> Option<String> {
    if !value.contains('$') {
        return Some(value.to_owned());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i)?);
        let after = rest.get(i + 1..)?;
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            (inner.get(..end)?, end + 2)
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (after.get(..end)?, end)
        };
        // `${VAR:-default}` and friends: not resolved here.
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        out.push_str(vars.get(name)?);
        rest = after.get(len..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// Folders official images ship, by image name: a `COPY` to one of them copies into it.
const IMAGE_DIRS: &[(&str, &[&str])] = &[("nginx", &["/etc/nginx", "/etc/nginx/conf.d", "/etc/nginx/templates", "/usr/share/nginx/html", "/docker-entrypoint.d"])];

/// Whether an absolute container path matches an nginx `include` pattern: component by
/// component, `*` and `?` within one component (glob(3), as nginx expands it).
pub(crate) fn path_glob_match(pattern: &str, path: &str) -> bool {
    let (pattern, path) = (clean_abs(pattern), clean_abs(path));
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(p), Some(n)) if (p.starts_with('.') || !n.starts_with('.')) && glob_match(p, n) => {}
            _ => return false,
        }
    }
}

/// `*` and `?` globs of one path component.
fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| n.get(i..).is_some_and(|tail| go(rest, tail))),
            Some((b'?', rest)) => n.split_first().is_some_and(|(_, t)| go(rest, t)),
            Some((c, rest)) => n.split_first().is_some_and(|(h, t)| h == c && go(rest, t)),
        }
    }
    // Bounded: component names are short, and `*` runs are collapsed.
    let mut collapsed = Vec::with_capacity(pattern.len());
    for b in pattern.bytes() {
        if !(b == b'*' && collapsed.last() == Some(&b'*')) {
            collapsed.push(b);
        }
    }
    pattern.len() <= 255 && name.len() <= 255 && go(&collapsed, name.as_bytes())
}

/// Follows an entrypoint script: a project shell script that the service sees at the
/// path its argv starts with, whose last `exec` runs `"$@"` (the rest of the argv) or
/// a command of its own.
fn follow_entrypoint(project: &Project, s: &DeployedService, mut c: RunCommand) -> RunCommand {
    for _ in 0..3 {
        let args = c.argv.clone();
        let Some(first) = args.first() else { break };
        let Some(script) = script_for(project, s, first) else { break };
        let Parsed::Shell(parsed) = &script.parsed else { break };
        let Some((exec, range)) = last_exec(&parsed.tree) else { break };
        c.via.push(Origin::new(&script.path, Some(range), "entrypoint script exec"));
        let rest = args.get(1..).unwrap_or_default().to_vec();
        if exec.first().is_some_and(|w| w == "$@" || w == "${@}") {
            c.program = program_of_argv(&rest);
            c.argv = rest;
        } else {
            c.program = program_of_argv(&exec);
            c.argv = exec;
            c.origin = Origin::new(&script.path, Some(range), "entrypoint script exec");
        }
    }
    c
}

/// The project shell script a container path (or a bare name on the PATH) refers to.
fn script_for<'p>(project: &'p Project, s: &DeployedService, first: &str) -> Option<&'p crate::project::SourceFile> {
    let file = if first.starts_with('/') {
        s.file_at(first)
    } else {
        let name = first.trim_start_matches("./");
        s.files.iter().find(|f| Path::new(&f.container_path).file_name().and_then(|n| n.to_str()) == Some(name)).map(|f| f.file.as_path())
    }?;
    project.file(file).filter(|f| f.kind == FileKind::Shell)
}

/// The words of the last top-level `exec` of a script, and its range.
fn last_exec(tokens: &[Token]) -> Option<(Vec<String>, TextRange)> {
    let cmds = shell::simple_commands(tokens);
    let last = cmds.iter().rev().find(|c| c.words.first().is_some_and(|w| w.value == "exec"))?;
    let words: Vec<String> = last.words.iter().skip(1).map(|w| w.value.clone()).collect();
    (!words.is_empty()).then_some((words, last.range))
}

/// The program doing the work in a command: a server, a worker or a daemon (through
/// wrappers and `sh -c`), or `manage.py <command>`.
fn program_of(tokens: &[Token]) -> Option<String> {
    let all: Vec<&str> = SERVERS.iter().chain(WORKERS).chain(DAEMONS).copied().collect();
    if let Some(inv) = shell::find_any(tokens, &all).into_iter().next() {
        return Some(shell::basename(&inv.program.value).to_owned());
    }
    // `python manage.py migrate`, `./manage.py runserver`, `django-admin check`.
    for cmd in shell::simple_commands(tokens) {
        let at = cmd.words.iter().position(|w| matches!(shell::basename(&w.value), "manage.py" | "django-admin" | "django-admin.py"));
        if let Some(sub) = at.and_then(|i| cmd.words.get(i + 1..)).and_then(|rest| rest.iter().find(|a| !a.value.starts_with('-'))) {
            return Some(format!("manage.py {}", sub.value));
        }
    }
    None
}

/// Role, settings module: what the rest of the service tells.
fn finish(project: &Project, s: &mut DeployedService) {
    let image = s.image.as_ref().map(|i| short_image(&i.value)).unwrap_or_default();
    let program = s.command.as_ref().and_then(|c| c.program.clone());
    s.role = match program.as_deref() {
        Some(p) if SERVERS.contains(&p) => Role::App { server: p.to_owned() },
        Some("manage.py runserver" | "manage.py runserver_plus") => Role::App { server: "runserver".to_owned() },
        Some(p) if WORKERS.contains(&p) => Role::Worker { program: p.to_owned() },
        Some("nginx") => Role::Nginx,
        Some("postgres") => Role::Postgres,
        Some("redis-server") => Role::Redis,
        Some(_) => Role::Other,
        None => match image.as_str() {
            "nginx" | "openresty" => Role::Nginx,
            "postgres" | "postgis" | "pgvector" => Role::Postgres,
            "redis" | "redis-stack-server" | "valkey" => Role::Redis,
            _ => Role::Other,
        },
    };
    s.settings_module = settings_module(project, s);
    s.config_files = config_files(s);
}

/// The configuration files the service's program reads, from its argv or the program's
/// default path.
fn config_files(s: &DeployedService) -> Vec<ConfigRead> {
    let Some(c) = &s.command else {
        // An official image run as it is reads its default file.
        return match s.role {
            Role::Nginx => vec![config_read(s, "nginx", "/etc/nginx/nginx.conf", Origin::new(&s.defined_in.file, s.defined_in.range, "nginx's default path"))],
            _ => Vec::new(),
        };
    };
    let Some(program) = c.program.as_deref() else { return Vec::new() };
    let argv = &c.argv;
    let at = argv.iter().position(|a| shell::basename(a) == program).unwrap_or(0);
    let args = argv.get(at + 1..).unwrap_or_default();
    let flag = |names: &[&str]| -> Option<String> {
        let mut it = args.iter();
        while let Some(a) = it.next() {
            for n in names {
                if a == n {
                    return it.next().cloned();
                }
                if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                    return Some(v.to_owned());
                }
            }
        }
        None
    };
    let origin = || c.origin.clone();
    let found = match program {
        "gunicorn" => match flag(&["-c", "--config"]) {
            Some(v) => Some((v.strip_prefix("python:").map_or(v.clone(), |m| format!("{}.py", m.replace('.', "/"))), origin())),
            // gunicorn reads ./gunicorn.conf.py when no -c is given.
            None => Some(("gunicorn.conf.py".to_owned(), Origin::new(&c.origin.file, c.origin.range, "gunicorn's default"))),
        },
        // Only the first argument can be the file (`redis-server --maxmemory 30mb` has none).
        "redis-server" => args.first().filter(|a| !a.starts_with('-')).map(|v| (v.clone(), origin())),
        "postgres" => {
            let mut it = args.iter();
            let mut found = None;
            while let Some(a) = it.next() {
                let kv = if a == "-c" { it.next().map(String::as_str) } else { a.strip_prefix("--") };
                if let Some(v) = kv.and_then(|kv| kv.strip_prefix("config_file=").or_else(|| kv.strip_prefix("config-file="))) {
                    found = Some((v.to_owned(), origin()));
                }
            }
            found
        }
        "nginx" => Some(flag(&["-c"]).map_or_else(|| ("/etc/nginx/nginx.conf".to_owned(), Origin::new(&c.origin.file, c.origin.range, "nginx's default")), |v| (v, origin()))),
        _ => None,
    };
    // A default file is read only where it exists: say so only for a project file.
    found.map(|(path, o)| config_read(s, program, &path, o)).filter(|r| r.file.is_some() || !r.origin.what.ends_with("default")).into_iter().collect()
}

fn config_read(s: &DeployedService, program: &str, path: &str, origin: Origin) -> ConfigRead {
    let full = match (&s.workdir, path.starts_with('/')) {
        (Some(w), false) if !w.is_empty() => join_container(w, path),
        // On the host: relative to the project root (where the Procfile runs).
        (Some(_), false) => path.trim_start_matches("./").to_owned(),
        // Absolute, or relative to a folder not known here.
        (_, true) | (None, false) => path.to_owned(),
    };
    let file = match s.files.iter().find(|f| f.via == FileVia::Host) {
        Some(_) => s.files.iter().find(|f| f.container_path == full).map(|f| f.file.clone()),
        None if full.starts_with('/') => s.file_at(&full).map(Path::to_path_buf),
        None => None,
    };
    ConfigRead { program: program.to_owned(), path: full, file, origin }
}

/// `ghcr.io/org/postgres:16-alpine` → `postgres`.
fn short_image(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last).to_ascii_lowercase()
}

/// The settings module a Django process runs: `--settings` on its command line, else
/// `DJANGO_SETTINGS_MODULE` in its environment, else the default its entry module sets
/// (`os.environ.setdefault(...)` in wsgi.py / asgi.py for a server, manage.py for a command).
fn settings_module(project: &Project, s: &DeployedService) -> Option<Sourced<String>> {
    let is_django = matches!(&s.role, Role::App { .. } | Role::Worker { .. }) || s.command.as_ref().and_then(|c| c.program.as_deref()).is_some_and(|p| p.starts_with("manage.py"));
    if !is_django {
        return None;
    }
    if let Some(c) = &s.command {
        let mut args = c.argv.iter();
        while let Some(a) = args.next() {
            if let Some(v) = a.strip_prefix("--settings=") {
                return Some(Sourced { value: v.to_owned(), origin: c.origin.clone() });
            }
            if a == "--settings"
                && let Some(v) = args.next()
            {
                return Some(Sourced { value: v.clone(), origin: c.origin.clone() });
            }
        }
    }
    if let Some(e) = s.env("DJANGO_SETTINGS_MODULE")
        && let Some(v) = &e.value
    {
        return Some(Sourced { value: v.clone(), origin: e.origin.clone() });
    }
    // The module the process starts from sets the default: manage.py for a command,
    // the Celery app module for a worker, wsgi.py for a server.
    let entry = match s.command.as_ref().and_then(|c| c.program.as_deref()) {
        Some(p) if p.starts_with("manage.py") => "manage.py",
        Some("celery") => "celery.py",
        _ => "wsgi.py",
    };
    let candidates = [entry, "asgi.py", "manage.py"];
    for name in candidates {
        for f in project.files.iter().filter(|f| f.kind.is_python() && f.path.file_name().is_some_and(|n| n == name)) {
            if let Some((value, range)) = setdefault_module(&f.text) {
                let unless = s.missing_env_files.iter().map(|e| e.value.as_str()).collect::<Vec<_>>().join(", ");
                let what = if unless.is_empty() { format!("{name} default") } else { format!("{name} default, unless {unless} sets it") };
                return Some(Sourced { value, origin: Origin::new(&f.path, Some(range), what) });
            }
        }
    }
    None
}

/// The module of `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`.
fn setdefault_module(text: &str) -> Option<(String, TextRange)> {
    let at = text.find("DJANGO_SETTINGS_MODULE")?;
    let before = text.get(..at)?;
    if !before.trim_end_matches(['"', '\'']).trim_end().ends_with("setdefault(") {
        return None;
    }
    let rest = text.get(at + "DJANGO_SETTINGS_MODULE".len()..)?;
    let comma = rest.find(',')?;
    let after = rest.get(comma + 1..)?;
    let lead = after.len() - after.trim_start().len();
    let quoted = after.get(lead..)?;
    let q = quoted.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = quoted.get(1..)?;
    let end = inner.find(q)?;
    let value = inner.get(..end)?;
    let start = at + "DJANGO_SETTINGS_MODULE".len() + comma + 1 + lead + 1;
    Some((value.to_owned(), TextRange::new(start, start + value.len())))
}

/// Links: URLs in each service's environment and in the production settings, and the
/// upstreams of nginx services.
pub(crate) fn links(project: &Project, services: &[DeployedService]) -> Vec<Link> {
    let mut out = Vec::new();
    for s in services {
        // The entry that wins for each name, in the order they are written.
        let last: std::collections::HashMap<&str, usize> = s.environment.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
        let effective = s.environment.iter().enumerate().filter(|(i, e)| last.get(e.name.as_str()) == Some(i)).map(|(_, e)| e);
        for e in effective {
            let Some(value) = &e.value else { continue };
            let Some(kind) = env_link_kind(&e.name, value) else { continue };
            if let Some((host, port)) = url_host(value) {
                out.push(Link { from: s.name.clone(), kind, to: resolve_host(services, s, &host, port), origin: e.origin.clone() });
            }
        }
        if matches!(s.role, Role::App { .. } | Role::Worker { .. }) {
            settings_links(project, s, services, &mut out);
        }
        if s.role == Role::Nginx {
            nginx_links(project, s, services, &mut out);
        }
    }
    out
}

/// What an environment variable's URL is for, from its name and scheme.
fn env_link_kind(name: &str, value: &str) -> Option<LinkKind> {
    let scheme = value.split_once("://")?.0.to_ascii_lowercase();
    let n = name.to_ascii_uppercase();
    let db = scheme.starts_with("postgres") || scheme.starts_with("mysql") || scheme.starts_with("psql") || scheme.contains("postgis");
    let redis = scheme == "redis" || scheme == "rediss";
    if db {
        return Some(LinkKind::Database);
    }
    // AMQP (RabbitMQ) is only ever a message broker, and not Redis.
    if scheme == "amqp" || scheme == "amqps" {
        return Some(LinkKind::Broker);
    }
    if !redis {
        return None;
    }
    Some(if n.contains("RESULT") {
        LinkKind::ResultBackend
    } else if n.contains("BROKER") || n.contains("CELERY") {
        LinkKind::Broker
    } else if n.contains("CACHE") {
        LinkKind::Cache
    } else if n.contains("CHANNEL") {
        LinkKind::Channels
    } else if n.contains("SESSION") {
        LinkKind::Sessions
    } else {
        LinkKind::Redis
    })
}

/// Host and port of `scheme://user:pass@host:port/path` (the first host of a list).
fn url_host(url: &str) -> Option<(String, Option<u16>)> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let hostport = hostport.split(',').next()?;
    if hostport.is_empty() || hostport.contains('$') || hostport.contains(char::is_whitespace) {
        return None;
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()) => (h, p.parse().ok()),
        _ => (hostport, None),
    };
    Some((host.trim_matches(['[', ']']).to_owned(), port))
}

/// The service a host name means, seen from `from`: one defined in the same file first
/// (several compose files may each define a `web`).
fn resolve_host(services: &[DeployedService], from: &DeployedService, host: &str, port: Option<u16>) -> LinkTarget {
    match resolve_service(services, from, host) {
        Some(s) => LinkTarget::Service { name: s.name.clone(), port },
        None => LinkTarget::External { host: host.to_owned(), port },
    }
}

/// The service `host` names, seen from `from`: one defined in the same file first, else
/// the first of that name.
pub(crate) fn resolve_service<'s>(services: &'s [DeployedService], from: &DeployedService, host: &str) -> Option<&'s DeployedService> {
    let named = || services.iter().filter(|s| s.name == host);
    named().find(|s| s.defined_in.file == from.defined_in.file).or_else(|| named().next())
}

/// Settings whose URLs or hosts are connections, and what for.
const LINK_SETTINGS: &[(&str, LinkKind)] = &[
    ("DATABASES", LinkKind::Database),
    ("CACHES", LinkKind::Cache),
    ("CELERY_BROKER_URL", LinkKind::Broker),
    ("BROKER_URL", LinkKind::Broker),
    ("CELERY_RESULT_BACKEND", LinkKind::ResultBackend),
    ("CHANNEL_LAYERS", LinkKind::Channels),
    ("SESSION_REDIS", LinkKind::Sessions),
];

/// Links the settings module the service runs makes: `DATABASES` hosts, cache, Celery
/// and channel URLs (literal, or the default of an environment lookup).
fn settings_links(project: &Project, s: &DeployedService, services: &[DeployedService], out: &mut Vec<Link>) {
    let Some(dotted) = s.settings_module.as_ref().map(|m| m.value.as_str()) else { return };
    let Some(module) = project.settings_module_named(dotted) else { return };
    for (name, kind) in LINK_SETTINGS {
        let Some(expr) = module.settings.value(name) else { continue };
        let mut found = Vec::new();
        endpoints_in(expr, false, &|var| s.env(var).is_some_and(|e| e.value.is_some()), &mut found, 0);
        for (host, port, file, range) in found {
            // A setting read from the environment names the service in the environment:
            // the env link already says it.
            let to = resolve_host(services, s, &host, port);
            if out.iter().any(|l| l.from == s.name && l.kind == *kind && l.to == to) {
                continue;
            }
            out.push(Link { from: s.name.clone(), kind: kind.clone(), to, origin: Origin::new(&file, Some(range), format!("settings {name}")) });
        }
    }
}

/// Hosts in a settings value: URLs (`redis://cache:6379/1`) and `"HOST": "db"` entries.
fn endpoints_in(expr: &stacklint_python::Expr, is_host: bool, env_set: &dyn Fn(&str) -> bool, out: &mut Vec<(String, Option<u16>, PathBuf, TextRange)>, depth: u8) {
    use stacklint_python::Value;
    if depth > 8 || out.len() > 32 {
        return;
    }
    let e = expr.resolved();
    let literal = match &e.value {
        Value::Str(v) => Some(v.clone()),
        // The service sets the variable: its value is what the env link says, not the default.
        Value::Env(lookup) if lookup.var.as_deref().is_some_and(env_set) => None,
        Value::Env(_) | Value::Concat(_) => match e.unset_value() {
            Some(Value::Str(v)) => Some(v),
            _ => None,
        },
        Value::Dict(d) => {
            for entry in &d.entries {
                let key_is_host = entry.key.as_ref().and_then(|k| k.as_str()).is_some_and(|k| k == "HOST");
                endpoints_in(&entry.value, key_is_host, env_set, out, depth + 1);
            }
            None
        }
        Value::List(items) | Value::Tuple(items) => {
            for i in items {
                endpoints_in(i, false, env_set, out, depth + 1);
            }
            None
        }
        Value::UrlConfig(u) => {
            if let Some(url) = &u.url {
                endpoints_in(url, false, env_set, out, depth + 1);
            }
            None
        }
        Value::Call(c) => {
            for a in c.args.iter().chain(c.kwargs.iter().map(|k| &k.value)) {
                endpoints_in(a, false, env_set, out, depth + 1);
            }
            None
        }
        _ => None,
    };
    let Some(v) = literal else { return };
    let found = if v.contains("://") { url_host(&v) } else if is_host && !v.is_empty() && !v.starts_with('/') { Some((v.clone(), None)) } else { None };
    if let Some((host, port)) = found {
        out.push((host, port, e.file.to_path_buf(), e.range));
    }
}

/// nginx `proxy_pass http://host:port` and `upstream { server host:port; }` in the files
/// an nginx service sees.
fn nginx_links(project: &Project, s: &DeployedService, services: &[DeployedService], out: &mut Vec<Link>) {
    for f in s.files.iter().filter(|f| project.file(&f.file).is_some_and(|sf| sf.kind == FileKind::Nginx)) {
        let Some(conf) = project.file(&f.file).and_then(|sf| sf.nginx()) else { continue };
        let upstream_names: HashSet<String> = conf.find_all("upstream").filter_map(|d| d.arg(0).map(str::to_owned)).collect();
        for d in conf.find_all("server").filter(|d| d.parent().is_some_and(|p| p.is("upstream"))) {
            if let Some(a) = d.arg(0)
                && let Some((host, port)) = host_port(a)
            {
                out.push(Link { from: s.name.clone(), kind: LinkKind::Upstream, to: resolve_host(services, s, &host, port), origin: Origin::new(&f.file, Some(d.range), "nginx upstream server") });
            }
        }
        for d in conf.find_all("proxy_pass").chain(conf.find_all("uwsgi_pass")) {
            let Some(a) = d.arg(0) else { continue };
            let target = a.split_once("://").map_or(a, |(_, r)| r);
            let hostport = target.split('/').next().unwrap_or(target);
            if upstream_names.contains(hostport) || hostport.contains('$') {
                continue;
            }
            if let Some((host, port)) = host_port(hostport) {
                let link = Link { from: s.name.clone(), kind: LinkKind::Upstream, to: resolve_host(services, s, &host, port), origin: Origin::new(&f.file, Some(d.range), "nginx proxy_pass") };
                if !out.iter().any(|l| l.from == link.from && l.to == link.to && l.kind == link.kind) {
                    out.push(link);
                }
            }
        }
    }
}

fn host_port(v: &str) -> Option<(String, Option<u16>)> {
    if v.starts_with("unix:") || v.is_empty() {
        return None;
    }
    match v.rsplit_once(':') {
        Some((h, p)) => Some((h.to_owned(), p.parse().ok())),
        None => Some((v.to_owned(), None)),
    }
}

/// `dir` joined with `path` inside a container (absolute `path` wins), normalized.
fn join_container(dir: &str, path: &str) -> String {
    // The common case, a plain relative path under a clean folder: no re-normalizing.
    if !path.starts_with('/') && dir.starts_with('/') && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..") && dir.split('/').skip(1).all(|c| c != "." && c != "..") {
        return format!("{}/{path}", dir.trim_end_matches('/'));
    }
    let joined = if path.starts_with('/') { path.to_owned() } else { format!("{}/{path}", dir.trim_end_matches('/')) };
    clean_abs(&joined)
}

/// An absolute container path without `.`, `..` and repeated or trailing slashes.
fn clean_abs(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn slash_path(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

pub(crate) use crate::compose::normalize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(url_host("postgresql://rag:rag@postgres:5432/rag"), Some(("postgres".into(), Some(5432))));
        assert_eq!(url_host("redis://redis:6379/0"), Some(("redis".into(), Some(6379))));
        assert_eq!(url_host("redis://:pw@cache/1"), Some(("cache".into(), None)));
        assert_eq!(url_host("postgres://${DB_HOST}/x"), None);
        assert_eq!(env_link_kind("AMQP_URL", "amqp://u:p@mq:5672/v"), Some(LinkKind::Broker));
        assert_eq!(env_link_kind("REDIS_URL", "redis://redis:6379/0"), Some(LinkKind::Redis));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.txt", "requirements.txt"));
        assert!(glob_match("req*.t?t", "requirements.txt"));
        assert!(!glob_match("*.py", "requirements.txt"));
    }

    #[test]
    fn container_paths() {
        assert_eq!(join_container("/app", "./src/"), "/app/src");
        assert_eq!(join_container("/app", "/etc/nginx/../x"), "/etc/x");
    }

    #[test]
    fn setdefault() {
        let t = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings.prod')\n";
        let (v, r) = setdefault_module(t).unwrap();
        assert_eq!((v.as_str(), r.slice(t)), ("site.settings.prod", "site.settings.prod"));
    }
}
