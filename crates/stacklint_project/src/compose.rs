//! Compose services in the project model: what each service runs on (its target: the
//! host target narrowed by `deploy.resources.limits`) and which project files it uses
//! (the Dockerfile it builds, the config files it mounts).
//!
//! Rules on a redis.conf, postgresql.conf, nginx.conf or Dockerfile ask
//! [`ComposeModel::target_for_file`] for the machine that file's process runs on.
//!
//! ```
//! use std::path::Path;
//! use stacklint_project::{Project, ProjectOptions, GIB, MIB, TargetSource};
//!
//! let compose = "services:\n  redis:\n    image: redis:7.4\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro\n    deploy:\n      resources:\n        limits: {cpus: \"0.5\", memory: 256M}\n";
//! let project = Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", compose), ("redis/redis.conf", "maxmemory 1gb\n")]);
//! let target = project.compose.target_for_file(&project, Path::new("redis/redis.conf"));
//! assert_eq!((target.cpus, target.memory, target.whole_cpus()), (0.5, 256 * MIB, 1));
//! assert_eq!(target.memory_source, TargetSource::ComposeLimit { service: "redis".into() });
//! let service = project.compose.service_for_file(Path::new("redis/redis.conf")).unwrap();
//! assert_eq!(service.mounts[0].container_path, "/usr/local/etc/redis/redis.conf");
//! // a file no service uses runs on the host target (here the default: 4 CPUs, 8 GiB)
//! assert_eq!(project.compose.target_for_file(&project, Path::new("other.conf")).memory, 8 * GIB);
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use stacklint_syntax::compose::{Build, Command, ComposeFile, Dependency, EnvVar, Healthcheck, Image, Node, NodeKind, Port, Scalar, Service, Volume, VolumeKind};
use stacklint_text::TextRange;

use crate::interpolation::{DotEnv, env_file_entries, has_variables, interpolate};
use crate::kind::FileKind;
use crate::project::Project;
use crate::target::{Target, TargetSource, parse_cpus, parse_memory};

/// The compose side of the project.
///
/// Docker Compose reads `docker-compose.yml` with `docker-compose.override.yml` (and
/// `compose.yaml` with `compose.override.yaml`) of the same folder as one application: a
/// service defined in both is one [`ComposeService`] whose values come from either file
/// ([`ComposeService::merged`], each value with the file that wrote it). Other compose
/// files (`docker-compose.prod.yml`) are applications of their own (`-f`). `extends`
/// and top-level `include` are followed; `.env` beside the file interpolates values.
#[derive(Clone, Debug, Default)]
pub struct ComposeModel {
    /// Every compose file read: the project's, then those only named by `extends`/`include`.
    pub files: Vec<ComposeDocument>,
    /// Every service of every application, in file order.
    pub services: Vec<ComposeService>,
    /// What could not be followed (a missing file, a circular `extends`, a binary `.env`),
    /// each at the place that names it.
    pub problems: Vec<ComposeProblem>,
}

/// One parsed compose file.
#[derive(Clone, Debug)]
pub struct ComposeDocument {
    pub path: PathBuf,
    pub parsed: Arc<stacklint_syntax::Parsed<ComposeFile>>,
    /// One of the project's files (else read only because `extends`/`include` name it).
    pub in_project: bool,
}

/// Something in a compose file the model could not follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeProblem {
    pub file: PathBuf,
    pub range: Option<TextRange>,
    pub message: String,
    /// A file `extends`/`include` names does not exist (checked on disk): the key and the
    /// path as written (`include`, `db.yml`). compose refuses to start; SYN002 reports it.
    pub missing_file: Option<(&'static str, String)>,
    /// docker compose refuses the file for it (a circular `extends`, a base service that
    /// does not exist, a `build` file that is not there): SYN002 reports it.
    pub refused: bool,
}

/// A value and the compose file that wrote it (its ranges point into that file).
#[derive(Clone, Debug)]
pub struct InFile<T> {
    pub file: PathBuf,
    pub value: T,
}

/// How a definition takes part in a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerVia {
    /// A service named by `extends` (lowest precedence).
    Extends,
    /// The service's own definition.
    Definition,
    /// The same service in the folder's `*.override.yml`.
    Override,
}

/// One definition a service is made of.
#[derive(Clone, Debug)]
pub struct Layer {
    pub file: PathBuf,
    pub service: Arc<Service>,
    pub via: LayerVia,
}

/// A service as compose runs it: its definitions merged (scalars replaced; `environment`
/// by name; `volumes` by target; `ports`, `env_file` appended; `depends_on` by service).
#[derive(Clone, Debug, Default)]
pub struct Merged {
    pub image: Option<InFile<Image>>,
    pub build: Option<InFile<Build>>,
    pub command: Option<InFile<Command>>,
    pub entrypoint: Option<InFile<Command>>,
    pub environment: Vec<InFile<EnvVar>>,
    pub env_file: Vec<InFile<Scalar>>,
    pub ports: Vec<InFile<Port>>,
    pub volumes: Vec<InFile<Volume>>,
    pub depends_on: Vec<InFile<Dependency>>,
    pub healthcheck: Option<InFile<Healthcheck>>,
    pub cpus: Option<InFile<Scalar>>,
    pub memory: Option<InFile<Scalar>>,
    /// `deploy.replicas` or the legacy `scale`, with which one it is.
    pub replicas: Option<InFile<(Scalar, &'static str)>>,
    pub profiles: Vec<InFile<Scalar>>,
}

/// A service and what the project knows about it.
#[derive(Clone, Debug)]
pub struct ComposeService {
    /// The compose file that defines it (the folder's main file when an override adds to it).
    pub file: PathBuf,
    pub name: String,
    /// The service as parsed in `file` (ranges into `file`).
    pub service: Arc<Service>,
    /// Its definitions, lowest precedence first (`extends` bases, `file`, the override).
    pub layers: Vec<Layer>,
    /// What compose runs: the layers merged, each value with its file.
    pub merged: Merged,
    /// `profiles:`: the service only starts when one of them is enabled.
    pub profiles: Vec<String>,
    /// The `.env` variables its values are interpolated with.
    pub env: Arc<DotEnv>,
    /// Its `env_file`s, read (or why not).
    pub env_files: Vec<EnvFile>,
    /// The host target narrowed by the service's limits.
    pub target: Target,
    /// The project file of the Dockerfile its `build` uses (when it is in the project).
    pub dockerfile: Option<PathBuf>,
    /// Project files bind-mounted into the container.
    pub mounts: Vec<Mount>,
}

/// An `env_file` of a service.
#[derive(Clone, Debug)]
pub struct EnvFile {
    /// The entry as written.
    pub written: InFile<Scalar>,
    /// The file it names.
    pub path: PathBuf,
    /// `NAME`, value, range in the env file; or why the file could not be read.
    pub entries: Result<Vec<(String, String, TextRange)>, String>,
}

/// A project file mounted into a service's container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The project file.
    pub file: PathBuf,
    /// Where the container sees it (`/usr/local/etc/redis/redis.conf`).
    pub container_path: String,
    pub read_only: bool,
    /// The compose file of the volume entry.
    pub compose_file: PathBuf,
    /// The volume entry in the compose file.
    pub range: TextRange,
}

impl ComposeService {
    /// Whether this service builds or mounts `path`.
    pub fn uses(&self, path: &Path) -> bool {
        let path = normalize(path);
        let same = |p: &Path| !crate::project::names_differ(p, &path) && normalize(p) == path;
        self.dockerfile.as_deref().is_some_and(same) || self.mounts.iter().any(|m| same(&m.file))
    }

    /// Whether the service runs its image's own `CMD` (no `command:` override).
    pub fn runs_image_command(&self) -> bool {
        self.merged.command.is_none()
    }

    /// Whether one of its definitions is in `path`.
    pub fn defined_in(&self, path: &Path) -> bool {
        self.layers.iter().any(|l| l.file == path)
    }

    /// `value` with `.env` variables replaced; `None` when a variable is unknown.
    pub fn interpolate(&self, value: &str) -> Option<String> {
        interpolate(value, &self.env)
    }
}

impl ComposeModel {
    /// The parsed compose file at `path`.
    pub fn file(&self, path: &Path) -> Option<&ComposeFile> {
        self.files.iter().find(|d| d.path == path).map(|d| &d.parsed.tree)
    }

    /// The services defined (or overridden) in the compose file at `path`.
    pub fn services_in<'m>(&'m self, path: &'m Path) -> impl Iterator<Item = &'m ComposeService> {
        self.services.iter().filter(move |s| s.defined_in(path))
    }

    /// A service by a compose file that defines (or overrides) it, and its name.
    pub fn service(&self, file: &Path, name: &str) -> Option<&ComposeService> {
        self.services.iter().find(|s| s.name == name && s.defined_in(file))
    }

    /// The service that builds or mounts `path`. When several do, a service that runs
    /// the Dockerfile's own `CMD` comes first (a worker with its own `command:` does not
    /// run the gunicorn of the `CMD`), then file order.
    pub fn service_for_file(&self, path: &Path) -> Option<&ComposeService> {
        let mut users = self.services.iter().filter(|s| s.uses(path));
        let first = users.next()?;
        if first.runs_image_command() {
            return Some(first);
        }
        Some(users.find(|s| s.runs_image_command() && s.dockerfile.is_some()).unwrap_or(first))
    }

    /// The machine the process configured by `path` runs on: the target of the service
    /// that builds or mounts it, else the host target.
    pub fn target_for_file(&self, project: &Project, path: &Path) -> Target {
        self.service_for_file(path).map_or_else(|| project.target.clone(), |s| s.target.clone())
    }
}

/// `extends` chains and `include` nesting deeper than this are reported, not followed.
const MAX_EXTENDS: usize = 32;

/// The override file compose reads with a main file of the same folder.
fn override_name(main: &str) -> Option<[&'static str; 2]> {
    match main {
        "docker-compose.yml" | "docker-compose.yaml" => Some(["docker-compose.override.yml", "docker-compose.override.yaml"]),
        "compose.yaml" | "compose.yml" => Some(["compose.override.yaml", "compose.override.yml"]),
        _ => None,
    }
}

/// The main file an override belongs to.
fn main_names(name: &str) -> Option<[&'static str; 2]> {
    match name {
        "docker-compose.override.yml" | "docker-compose.override.yaml" => Some(["docker-compose.yml", "docker-compose.yaml"]),
        "compose.override.yaml" | "compose.override.yml" => Some(["compose.yaml", "compose.yml"]),
        _ => None,
    }
}

struct Builder<'p> {
    project: &'p Project,
    by_path: HashMap<PathBuf, PathBuf>,
    docs: Vec<ComposeDocument>,
    index: HashMap<PathBuf, Option<usize>>,
    dotenvs: HashMap<PathBuf, Arc<DotEnv>>,
    problems: Vec<ComposeProblem>,
}

impl Builder<'_> {
    /// The project path of `path` (as the project spells it), if it is a project file.
    fn project_path(&self, path: &Path) -> Option<&PathBuf> {
        self.by_path.get(&normalize(path))
    }

    /// A file's text: the project's, else read through the project's reader.
    fn text(&self, path: &Path) -> Result<(PathBuf, String), String> {
        match self.project_path(path).and_then(|p| self.project.file(p)) {
            Some(f) => Ok((f.path.clone(), f.text.clone())),
            None => self.project.reader.read(&tidy(path)).map(|t| (tidy(path), t)),
        }
    }

    /// The compose document at `path`, parsed once.
    fn doc(&mut self, path: &Path) -> Result<usize, String> {
        let key = normalize(path);
        if let Some(i) = self.index.get(&key) {
            return i.ok_or_else(|| "not found".to_owned());
        }
        match self.text(path) {
            Ok((path, text)) => {
                if text.contains('\0') {
                    self.index.insert(key, None);
                    return Err("a binary file".to_owned());
                }
                let parsed = Arc::new(stacklint_syntax::compose::parse(&text));
                self.docs.push(ComposeDocument { path, parsed, in_project: false });
                let i = self.docs.len() - 1;
                self.index.insert(key, Some(i));
                Ok(i)
            }
            Err(e) => {
                self.index.insert(key, None);
                Err(e)
            }
        }
    }

    /// The project file behind a top-level `configs:`/`secrets:` entry (`name: {file: ./x}`)
    /// of the compose file `compose`.
    fn top_level_file(&mut self, compose: &Path, key: &str, name: &str) -> Option<PathBuf> {
        let i = self.doc(compose).ok()?;
        let doc = self.docs.get(i)?;
        let root = doc.parsed.tree.root.as_ref()?.as_mapping()?;
        let written = root.get(key)?.as_mapping()?.get(name)?.as_mapping()?.get("file")?.as_str()?;
        let path = compose.parent().unwrap_or(Path::new("")).join(written);
        self.project_path(&path).cloned()
    }

    fn problem(&mut self, file: &Path, range: Option<TextRange>, message: String) {
        self.push_problem(ComposeProblem { file: file.to_path_buf(), range, message, missing_file: None, refused: false });
    }

    /// A problem docker compose itself stops at.
    fn refused(&mut self, file: &Path, range: Option<TextRange>, message: String) {
        self.push_problem(ComposeProblem { file: file.to_path_buf(), range, message, missing_file: None, refused: true });
    }

    /// A file named by `extends`/`include` could not be read (`error`): missing when the
    /// reader looked on disk and found nothing.
    fn unreadable(&mut self, file: &Path, (key, written): (&'static str, &Scalar), error: &str, message: String) {
        let range = written.range;
        let missing_file = (error == "not found" && self.project.reader.is_some()).then(|| (key, written.value.clone()));
        self.push_problem(ComposeProblem { file: file.to_path_buf(), range: Some(range), message, missing_file, refused: false });
    }

    fn push_problem(&mut self, p: ComposeProblem) {
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }

    /// The `.env` of a folder.
    fn dotenv(&mut self, dir: &Path) -> Arc<DotEnv> {
        if let Some(e) = self.dotenvs.get(dir) {
            return Arc::clone(e);
        }
        let path = dir.join(".env");
        let env = match self.text(&path) {
            Ok((path, text)) if !text.contains('\0') => DotEnv::parse(Some(path), &text),
            Ok((path, _)) => {
                self.problem(&path, None, "`.env` is a binary file: its variables are unknown".to_owned());
                DotEnv::default()
            }
            Err(e) if e == "not found" => DotEnv::default(),
            Err(e) => {
                self.problem(&path, None, format!("`.env` could not be read ({e}): its variables are unknown"));
                DotEnv::default()
            }
        };
        let env = Arc::new(env);
        self.dotenvs.insert(dir.to_path_buf(), Arc::clone(&env));
        env
    }

    /// The definitions of `service` of `docs[doc]`: its `extends` bases (followed), then itself.
    fn layers(&mut self, doc: usize, service: &Arc<Service>, via: LayerVia, stack: &mut Vec<(PathBuf, String)>, out: &mut Vec<Layer>) {
        let Some(file) = self.docs.get(doc).map(|d| d.path.clone()) else { return };
        stack.push((normalize(&file), service.name.value.clone()));
        if let Some(node) = service.get("extends") {
            self.extends(doc, &file, node, stack, out);
        }
        stack.pop();
        out.push(Layer { file, service: Arc::clone(service), via });
    }

    fn extends(&mut self, doc: usize, file: &Path, node: &Node, stack: &mut Vec<(PathBuf, String)>, out: &mut Vec<Layer>) {
        let (base_file, base_name) = match &node.kind {
            NodeKind::Scalar(s) => (None, s.value.clone()),
            NodeKind::Mapping(m) => {
                let Some(name) = m.get("service").and_then(Node::as_str) else {
                    self.refused(file, Some(node.range), "`extends` without `service:`: docker compose refuses the file, and the base is unknown".to_owned());
                    return;
                };
                (m.get("file").and_then(Node::as_scalar).cloned(), name.to_owned())
            }
            _ => return,
        };
        let base_doc = match &base_file {
            None => doc,
            Some(rel) => {
                let path = file.parent().unwrap_or(Path::new("")).join(&rel.value);
                match self.doc(&path) {
                    Ok(i) => i,
                    Err(e) => {
                        self.unreadable(file, ("extends", rel), &e, format!("`extends` file `{}`: {e}; the service's base is unknown", rel.value));
                        return;
                    }
                }
            }
        };
        let Some(base_path) = self.docs.get(base_doc).map(|d| normalize(&d.path)) else { return };
        if let Some(at) = stack.iter().position(|(f, n)| *f == base_path && *n == base_name) {
            let chain: Vec<String> = stack.iter().skip(at).chain(std::iter::once(&(base_path.clone(), base_name.clone()))).map(|(f, n)| format!("{} `{n}`", f.strip_prefix(normalize(&self.project.root)).unwrap_or(f).display())).collect();
            self.refused(file, Some(node.range), format!("circular `extends`: {}: docker compose refuses a cycle, and stacklint does not follow it", chain.join(" → ")));
            return;
        }
        if stack.len() >= MAX_EXTENDS {
            self.problem(file, Some(node.range), format!("`extends` deeper than {MAX_EXTENDS} services; not followed"));
            return;
        }
        let Some(base) = self.docs.get(base_doc).and_then(|d| d.parsed.tree.services.iter().rev().find(|s| s.name.value == base_name)).cloned() else {
            let shown = base_file.as_ref().map_or_else(|| file.strip_prefix(&self.project.root).unwrap_or(file).display().to_string(), |f| f.value.clone());
            self.refused(file, Some(node.range), format!("`extends` names service `{base_name}`, which {shown} does not define: docker compose refuses the file, and the service's base is unknown"));
            return;
        };
        self.layers(base_doc, &base, LayerVia::Extends, stack, out);
    }

    /// The files `include:`d by `docs[doc]`, followed (each once).
    fn includes(&mut self, doc: usize, seen: &mut HashSet<PathBuf>, out: &mut Vec<usize>, depth: usize) {
        let Some(d) = self.docs.get(doc) else { return };
        let file = d.path.clone();
        let mut paths: Vec<Scalar> = Vec::new();
        if let Some(items) = d.parsed.tree.root_mapping().and_then(|m| m.get("include")).and_then(Node::as_sequence) {
            for item in &items.items {
                match &item.kind {
                    NodeKind::Scalar(s) => paths.push(s.clone()),
                    NodeKind::Mapping(m) => match m.get("path").map(|p| &p.kind) {
                        Some(NodeKind::Scalar(s)) => paths.push(s.clone()),
                        Some(NodeKind::Sequence(seq)) => paths.extend(seq.items.iter().filter_map(Node::as_scalar).cloned()),
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        for rel in paths {
            let path = file.parent().unwrap_or(Path::new("")).join(&rel.value);
            if !seen.insert(normalize(&path)) {
                continue;
            }
            if depth >= MAX_EXTENDS {
                self.problem(&file, Some(rel.range), format!("`include` nested deeper than {MAX_EXTENDS} files; `{}` not followed", rel.value));
                continue;
            }
            match self.doc(&path) {
                Ok(i) => {
                    out.push(i);
                    self.includes(i, seen, out, depth + 1);
                }
                Err(e) => self.unreadable(&file, ("include", &rel), &e, format!("`include` of `{}`: {e}; its services are unknown", rel.value)),
            }
        }
    }
}

/// Parse the project's compose files and resolve each service: its definitions merged,
/// its target and files.
pub(crate) fn build(project: &Project) -> ComposeModel {
    let by_path: HashMap<PathBuf, PathBuf> = project.files.iter().map(|f| (normalize(&f.path), f.path.clone())).collect();
    let mut b = Builder { project, by_path, docs: Vec::new(), index: HashMap::new(), dotenvs: HashMap::new(), problems: Vec::new() };
    let mut roots = Vec::new();
    for file in project.files_of(FileKind::Compose) {
        let parsed = match &file.parsed {
            crate::project::Parsed::Compose(p) => Arc::clone(p),
            _ => Arc::new(stacklint_syntax::compose::parse(&file.text)),
        };
        b.docs.push(ComposeDocument { path: file.path.clone(), parsed, in_project: true });
        let i = b.docs.len() - 1;
        b.index.insert(normalize(&file.path), Some(i));
        roots.push(i);
    }
    // Files another file includes are part of that application, not one of their own.
    let mut included: HashSet<PathBuf> = HashSet::new();
    let mut includes_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for &r in &roots {
        let mut seen = HashSet::from([normalize(&b.docs.get(r).map(|d| d.path.clone()).unwrap_or_default())]);
        let mut out = Vec::new();
        b.includes(r, &mut seen, &mut out, 0);
        included.extend(out.iter().filter(|&&i| i != r).filter_map(|&i| b.docs.get(i).map(|d| normalize(&d.path))));
        includes_of.insert(r, out);
    }
    let main_of = |b: &Builder<'_>, path: &Path| -> Option<usize> {
        let names = main_names(path.file_name()?.to_str()?)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        names.iter().find_map(|n| roots.iter().copied().find(|&r| b.docs.get(r).is_some_and(|d| normalize(&d.path) == normalize(&dir.join(n)))))
    };
    let mut services = Vec::new();
    // Files no other file includes first; files left over (includes in a cycle) after.
    let is_included = |b: &Builder<'_>, r: usize| b.docs.get(r).is_some_and(|d| included.contains(&normalize(&d.path)));
    let order: Vec<usize> = roots.iter().copied().filter(|&r| !is_included(&b, r)).chain(roots.iter().copied().filter(|&r| is_included(&b, r))).collect();
    let mut done: HashSet<usize> = HashSet::new();
    for r in order {
        let Some(path) = b.docs.get(r).map(|d| d.path.clone()) else { continue };
        if done.contains(&r) || main_of(&b, &path).is_some() {
            continue;
        }
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let over = path.file_name().and_then(|n| n.to_str()).and_then(override_name).and_then(|names| {
            names.iter().find_map(|n| roots.iter().copied().find(|&o| b.docs.get(o).is_some_and(|d| normalize(&d.path) == normalize(&dir.join(n)))))
        });
        done.insert(r);
        done.extend(over);
        let env = b.dotenv(&dir);
        application(&mut b, r, over, &env, &mut services);
        // The files the main file and its override include (an override may have its own).
        let included_here: Vec<usize> = std::iter::once(r).chain(over).flat_map(|x| includes_of.get(&x).cloned().unwrap_or_default()).collect();
        for i in included_here {
            if !done.insert(i) {
                continue;
            }
            let Some(inc_dir) = b.docs.get(i).map(|d| d.path.parent().unwrap_or(Path::new("")).to_path_buf()) else { continue };
            let env = b.dotenv(&inc_dir);
            application(&mut b, i, None, &env, &mut services);
        }
    }
    let services = services.into_iter().filter_map(|(name, layers, env, standard)| resolve(&mut b, name, layers, env, standard)).collect();
    ComposeModel { files: b.docs, services, problems: b.problems }
}

type Pending = (String, Vec<Layer>, Arc<DotEnv>, bool);

/// The services of `main` (and of its override), each with its layers.
fn application(b: &mut Builder<'_>, main: usize, over: Option<usize>, env: &Arc<DotEnv>, out: &mut Vec<Pending>) {
    let standard = b.docs.get(main).and_then(|d| d.path.file_name()?.to_str().and_then(override_name)).is_some();
    let main_doc = b.docs.get(main).map(|d| Arc::clone(&d.parsed));
    let over_doc = over.and_then(|o| b.docs.get(o)).map(|d| Arc::clone(&d.parsed));
    let main_services = main_doc.as_ref().map_or(&[][..], |d| &d.tree.services[..]);
    let over_services = over_doc.as_ref().map_or(&[][..], |d| &d.tree.services[..]);
    // The last definition of a name wins (as YAML reads a repeated key).
    let index = |services: &[Arc<Service>]| -> HashMap<String, usize> { services.iter().enumerate().map(|(i, s)| (s.name.value.clone(), i)).collect() };
    let (main_index, over_index) = (index(main_services), index(over_services));
    let names = main_services.iter().chain(over_services).map(|s| s.name.value.as_str());
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            continue;
        }
        let mut layers = Vec::new();
        if let Some(s) = main_index.get(name).and_then(|&i| main_services.get(i)) {
            b.layers(main, s, LayerVia::Definition, &mut Vec::new(), &mut layers);
        }
        if let (Some(o), Some(s)) = (over, over_index.get(name).and_then(|&i| over_services.get(i))) {
            let via = if layers.is_empty() { LayerVia::Definition } else { LayerVia::Override };
            b.layers(o, s, via, &mut Vec::new(), &mut layers);
        }
        out.push((name.to_owned(), layers, Arc::clone(env), standard));
    }
}

/// The layers merged, later over earlier.
pub fn merge(layers: &[Layer]) -> Merged {
    fn put<T: Clone>(slot: &mut Option<InFile<T>>, file: &Path, v: Option<&T>) {
        if let Some(v) = v {
            *slot = Some(InFile { file: file.to_path_buf(), value: v.clone() });
        }
    }
    fn by_key<T: Clone>(list: &mut Vec<InFile<T>>, file: &Path, items: &[T], key: impl Fn(&T) -> Option<String>) {
        for item in items {
            let new = InFile { file: file.to_path_buf(), value: item.clone() };
            match key(item).and_then(|k| list.iter().position(|x| key(&x.value).as_deref() == Some(k.as_str()))) {
                Some(i) => {
                    if let Some(slot) = list.get_mut(i) {
                        *slot = new;
                    }
                }
                None => list.push(new),
            }
        }
    }
    let mut m = Merged::default();
    for l in layers {
        let (f, s) = (l.file.as_path(), &l.service);
        put(&mut m.image, f, s.image.as_ref());
        merge_build(&mut m.build, f, s.build.as_ref());
        put(&mut m.command, f, s.command.as_ref());
        put(&mut m.entrypoint, f, s.entrypoint.as_ref());
        put(&mut m.healthcheck, f, s.healthcheck.as_ref());
        put(&mut m.cpus, f, s.limits.cpus());
        put(&mut m.memory, f, s.limits.memory());
        let deploy = s.get("deploy").and_then(Node::as_mapping).and_then(|d| d.get("replicas")).and_then(Node::as_scalar).map(|n| (n.clone(), "compose deploy.replicas"));
        put(&mut m.replicas, f, deploy.or_else(|| s.get("scale").and_then(Node::as_scalar).map(|n| (n.clone(), "compose scale"))).as_ref());
        by_key(&mut m.environment, f, &s.environment, |e| Some(e.name.value.clone()));
        by_key(&mut m.env_file, f, &s.env_file, |e| Some(e.value.clone()));
        by_key(&mut m.ports, f, &s.ports, |p| p.value.as_ref().map(|v| v.value.clone()));
        by_key(&mut m.volumes, f, &s.volumes, |v| v.target.as_ref().map(|t| t.value.trim_end_matches('/').to_owned()));
        by_key(&mut m.depends_on, f, &s.depends_on, |d| Some(d.service.value.clone()));
        if let Some(p) = s.get("profiles") {
            m.profiles = p.as_sequence().map(|seq| seq.items.iter().filter_map(Node::as_scalar).map(|v| InFile { file: f.to_path_buf(), value: v.clone() }).collect()).unwrap_or_default();
        }
    }
    m
}

/// `build` is merged by key. Its paths resolve against the file that names the context:
/// the later `build` when it sets `context`, else the earlier one (whose range is kept).
fn merge_build(slot: &mut Option<InFile<Build>>, file: &Path, new: Option<&Build>) {
    let Some(new) = new else { return };
    let merged = match slot.take() {
        None => InFile { file: file.to_path_buf(), value: new.clone() },
        Some(old) if new.context.is_some() => {
            let o = old.value;
            InFile { file: file.to_path_buf(), value: Build { dockerfile: new.dockerfile.clone().or(o.dockerfile), dockerfile_inline: new.dockerfile_inline.clone().or(o.dockerfile_inline), target: new.target.clone().or(o.target), ..new.clone() } }
        }
        Some(mut old) => {
            let o = &mut old.value;
            o.dockerfile = new.dockerfile.clone().or(o.dockerfile.take());
            o.dockerfile_inline = new.dockerfile_inline.clone().or(o.dockerfile_inline.take());
            o.target = new.target.clone().or(o.target.take());
            old
        }
    };
    *slot = Some(merged);
}

/// `standard`: the service is of a `docker-compose.yml`/`compose.yaml` (and override), whose
/// folder is the project directory compose resolves paths against; a file used with `-f`
/// may be run from elsewhere, so a path that is not found there is not reported.
fn resolve(b: &mut Builder<'_>, name: String, layers: Vec<Layer>, env: Arc<DotEnv>, standard: bool) -> Option<ComposeService> {
    let project = b.project;
    let merged = merge(&layers);
    // The definition in the application's file (the last layer that is not an override).
    let (file, service) = layers.iter().rev().find(|l| l.via != LayerVia::Override).map(|l| (l.file.clone(), Arc::clone(&l.service)))?;
    let value = |s: &Scalar| if has_variables(&s.value) { interpolate(&s.value, &env) } else { Some(s.value.clone()) };
    let dir_of = |f: &Path| f.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut dockerfile = None;
    if let Some(bld) = merged.build.as_ref().filter(|bl| bl.value.dockerfile_inline.is_none() && !bl.value.context_path().contains("://")) {
        let rel = bld.value.dockerfile_path();
        let path = dir_of(&bld.file).join(&rel);
        dockerfile = b.project_path(&path).cloned();
        let named = bld.value.context.is_some() || bld.value.dockerfile.is_some();
        if dockerfile.is_none() && named && standard && !has_variables(&rel) && b.text(&path).is_err() {
            b.refused(&bld.file, Some(bld.value.range), format!("service `{name}`: `build` names `{rel}`, which does not exist: docker compose cannot build the image, and what it runs is unknown"));
        }
    }
    let mut mounts = Vec::new();
    for v in merged.volumes.iter().filter(|v| v.value.kind == VolumeKind::Bind) {
        let (Some(source), Some(target)) = (&v.value.source, &v.value.target) else { continue };
        let (Some(source), Some(target)) = (value(source), value(target)) else { continue };
        // `~` is the user's home; an empty source (an unset `${VAR}`) is an error compose
        // reports; a name after interpolation is a named volume.
        if source.is_empty() || source.starts_with('~') || !source.starts_with(['.', '/']) {
            continue;
        }
        if normalize(Path::new(&source)) == Path::new("/") {
            b.problem(&v.file, Some(v.value.range), format!("service `{name}` bind-mounts the host's whole filesystem `/` at `{target}`"));
            continue;
        }
        let host = normalize(&dir_of(&v.file).join(&source));
        if let Some(f) = b.by_path.get(&host) {
            mounts.push(Mount { file: f.clone(), container_path: target, read_only: v.value.read_only, compose_file: v.file.clone(), range: v.value.range });
            continue;
        }
        // A mounted folder: every project file under it.
        let mut under: Vec<(&PathBuf, &PathBuf)> = b.by_path.iter().filter(|(p, _)| p.starts_with(&host) && **p != host).collect();
        under.sort();
        for (norm, f) in under {
            let rel = norm.strip_prefix(&host).unwrap_or(norm);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
            let container_path = format!("{}/{rel}", target.trim_end_matches('/'));
            mounts.push(Mount { file: f.clone(), container_path, read_only: v.value.read_only, compose_file: v.file.clone(), range: v.value.range });
        }
    }
    // `configs:` and `secrets:` backed by a project file: mounted read-only where the
    // service entry says (default `/<name>` for configs, `/run/secrets/<name>` for secrets).
    for layer in &layers {
        for (key, default_dir) in [("configs", "/"), ("secrets", "/run/secrets/")] {
            let Some(entries) = layer.service.get(key).and_then(Node::as_sequence) else { continue };
            for item in &entries.items {
                let (source, target) = match (item.as_str(), item.as_mapping()) {
                    (Some(n), _) => (Some(n.to_owned()), None),
                    (None, Some(m)) => (m.get("source").and_then(Node::as_str).map(str::to_owned), m.get("target").and_then(Node::as_str).map(str::to_owned)),
                    _ => continue,
                };
                let Some(source) = source else { continue };
                let Some(file) = b.top_level_file(&layer.file, key, &source) else { continue };
                let container_path = match target {
                    Some(t) if t.starts_with('/') => t,
                    Some(t) => format!("{default_dir}{t}"),
                    None => format!("{default_dir}{source}"),
                };
                mounts.push(Mount { file, container_path, read_only: true, compose_file: layer.file.clone(), range: item.range });
            }
        }
    }
    let mut env_files = Vec::new();
    for ef in &merged.env_file {
        let path = tidy(&dir_of(&ef.file).join(&ef.value.value));
        let entries = match b.text(&path) {
            Ok((_, text)) if text.contains('\0') => Err("a binary file".to_owned()),
            Ok((_, text)) => Ok(env_file_entries(&text)),
            Err(e) => Err(e),
        };
        // A missing one is shown with the service (`missing_env_files`); other reasons here.
        if let Err(e) = &entries
            && e != "not found"
        {
            b.problem(&ef.file, Some(ef.value.range), format!("service `{name}`: `env_file` `{}`: {e}; its variables are unknown", ef.value.value));
        }
        let path = b.project_path(&path).cloned().unwrap_or(path);
        env_files.push(EnvFile { written: ef.clone(), path, entries });
    }
    let cpus = merged.cpus.as_ref().and_then(|c| value(&c.value));
    let memory = merged.memory.as_ref().and_then(|m| value(&m.value));
    let target = limited_target(&project.target, &name, cpus.as_deref(), memory.as_deref());
    let profiles = merged.profiles.iter().map(|p| p.value.value.clone()).collect();
    Some(ComposeService { file, name, service, layers, merged, profiles, env, env_files, target, dockerfile, mounts })
}

/// The host target narrowed by the service's limits (a compose file read without the
/// project: variables take their defaults).
pub fn service_target(host: &Target, service: &str, s: &Service) -> Target {
    let env = DotEnv::default();
    let cpus = s.limits.cpus().and_then(|c| interpolate(&c.value, &env));
    let memory = s.limits.memory().and_then(|m| interpolate(&m.value, &env));
    limited_target(host, service, cpus.as_deref(), memory.as_deref())
}

/// The host target narrowed by limits. A declared host target (command line, config) is
/// only ever narrowed; the default (an assumption) is replaced by whatever the compose
/// file declares.
fn limited_target(host: &Target, service: &str, cpus: Option<&str>, memory: Option<&str>) -> Target {
    let mut t = host.clone();
    let source = TargetSource::ComposeLimit { service: service.to_string() };
    if let Some(cpus) = cpus.and_then(|c| parse_cpus(c.trim()).ok())
        && (host.cpus_source == TargetSource::Default || cpus < host.cpus)
    {
        t.cpus = cpus;
        t.cpus_source = source.clone();
    }
    if let Some(memory) = memory.and_then(|m| parse_memory(m.trim()).ok())
        && (host.memory_source == TargetSource::Default || memory < host.memory)
    {
        t.memory = memory;
        t.memory_source = source;
    }
    t
}

/// A path without `.` components (`..` kept: the root it is shown against may have them).
fn tidy(path: &Path) -> PathBuf {
    path.components().filter(|c| *c != Component::CurDir).collect()
}

/// A path without `.` components and with `..` applied (lexically).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize(Path::new("./a/../b/./c")), PathBuf::from("b/c"));
        assert_eq!(normalize(Path::new("/srv/app/./x")), PathBuf::from("/srv/app/x"));
    }
}
