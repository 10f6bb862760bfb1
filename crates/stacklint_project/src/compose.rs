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

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use stacklint_syntax::compose::{ComposeFile, Scalar, Service, VolumeKind};
use stacklint_text::TextRange;

use crate::kind::FileKind;
use crate::project::Project;
use crate::target::{Target, TargetSource, parse_cpus, parse_memory};

/// The compose side of the project.
#[derive(Clone, Debug, Default)]
pub struct ComposeModel {
    /// Every compose file, parsed.
    pub files: Vec<ComposeDocument>,
    /// Every service of every compose file, in file order.
    pub services: Vec<ComposeService>,
}

/// One parsed compose file.
#[derive(Clone, Debug)]
pub struct ComposeDocument {
    pub path: PathBuf,
    pub parsed: stacklint_syntax::Parsed<ComposeFile>,
}

/// A service and what the project knows about it.
#[derive(Clone, Debug)]
pub struct ComposeService {
    /// The compose file that defines it.
    pub file: PathBuf,
    pub name: String,
    /// The service as parsed (ranges into `file`).
    pub service: Service,
    /// The host target narrowed by the service's limits.
    pub target: Target,
    /// The project file of the Dockerfile its `build` uses (when it is in the project).
    pub dockerfile: Option<PathBuf>,
    /// Project files bind-mounted into the container.
    pub mounts: Vec<Mount>,
}

/// A project file mounted into a service's container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The project file.
    pub file: PathBuf,
    /// Where the container sees it (`/usr/local/etc/redis/redis.conf`).
    pub container_path: String,
    pub read_only: bool,
    /// The volume entry in the compose file.
    pub range: TextRange,
}

impl ComposeService {
    /// Whether this service builds or mounts `path`.
    pub fn uses(&self, path: &Path) -> bool {
        let path = normalize(path);
        self.dockerfile.as_deref().is_some_and(|d| normalize(d) == path) || self.mounts.iter().any(|m| normalize(&m.file) == path)
    }

    /// Whether the service runs its image's own `CMD` (no `command:` override).
    pub fn runs_image_command(&self) -> bool {
        self.service.command.is_none()
    }
}

impl ComposeModel {
    /// The parsed compose file at `path`.
    pub fn file(&self, path: &Path) -> Option<&ComposeFile> {
        self.files.iter().find(|d| d.path == path).map(|d| &d.parsed.tree)
    }

    /// The services defined in the compose file at `path`.
    pub fn services_in<'m>(&'m self, path: &'m Path) -> impl Iterator<Item = &'m ComposeService> {
        self.services.iter().filter(move |s| s.file == path)
    }

    /// A service by compose file and name.
    pub fn service(&self, file: &Path, name: &str) -> Option<&ComposeService> {
        self.services.iter().find(|s| s.file == file && s.name == name)
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

/// Parse the project's compose files and resolve each service's target and files.
pub(crate) fn build(project: &Project) -> ComposeModel {
    let by_path: HashMap<PathBuf, PathBuf> = project.files.iter().map(|f| (normalize(&f.path), f.path.clone())).collect();
    let mut model = ComposeModel::default();
    for file in project.files_of(FileKind::Compose) {
        let parsed = match &file.parsed {
            crate::project::Parsed::Compose(p) => p.clone(),
            _ => stacklint_syntax::compose::parse(&file.text),
        };
        let dir = file.path.parent().unwrap_or_else(|| Path::new(""));
        for service in &parsed.tree.services {
            model.services.push(resolve(project, &by_path, &file.path, dir, service));
        }
        model.files.push(ComposeDocument { path: file.path.clone(), parsed });
    }
    model
}

fn resolve(project: &Project, by_path: &HashMap<PathBuf, PathBuf>, file: &Path, dir: &Path, service: &Service) -> ComposeService {
    let name = service.name.value.clone();
    let lookup = |rel: &str| by_path.get(&normalize(&dir.join(rel))).cloned();
    let dockerfile = service.build.as_ref().filter(|b| b.dockerfile_inline.is_none() && !b.context_path().contains("://")).and_then(|b| lookup(&b.dockerfile_path()));
    let mut mounts = Vec::new();
    for v in service.volumes.iter().filter(|v| v.kind == VolumeKind::Bind) {
        let (Some(source), Some(target)) = (&v.source, &v.target) else { continue };
        if source.value.starts_with(['~', '$']) {
            continue;
        }
        let host = normalize(&dir.join(&source.value));
        if let Some(f) = by_path.get(&host) {
            mounts.push(Mount { file: f.clone(), container_path: target.value.clone(), read_only: v.read_only, range: v.range });
            continue;
        }
        // A mounted folder: every project file under it.
        let mut under: Vec<(&PathBuf, &PathBuf)> = by_path.iter().filter(|(p, _)| p.starts_with(&host) && **p != host).collect();
        under.sort();
        for (norm, f) in under {
            let rel = norm.strip_prefix(&host).unwrap_or(norm);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
            let container_path = format!("{}/{rel}", target.value.trim_end_matches('/'));
            mounts.push(Mount { file: f.clone(), container_path, read_only: v.read_only, range: v.range });
        }
    }
    ComposeService { file: file.to_path_buf(), target: service_target(&project.target, &name, service), name, service: service.clone(), dockerfile, mounts }
}

/// The host target narrowed by the service's limits. A declared host target (command
/// line, config) is only ever narrowed; the default (an assumption) is replaced by
/// whatever the compose file declares.
pub fn service_target(host: &Target, service: &str, s: &Service) -> Target {
    let mut t = host.clone();
    let source = TargetSource::ComposeLimit { service: service.to_string() };
    if let Some(cpus) = s.limits.cpus().and_then(|c| parse_cpus(interpolation_default(c)).ok())
        && (host.cpus_source == TargetSource::Default || cpus < host.cpus)
    {
        t.cpus = cpus;
        t.cpus_source = source.clone();
    }
    if let Some(memory) = s.limits.memory().and_then(|m| parse_memory(interpolation_default(m)).ok())
        && (host.memory_source == TargetSource::Default || memory < host.memory)
    {
        t.memory = memory;
        t.memory_source = source;
    }
    t
}

/// `${CPUS:-1.5}` → `1.5` (the value compose uses when the variable is unset).
fn interpolation_default(s: &Scalar) -> &str {
    let v = s.value.trim();
    let Some(inner) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else { return v };
    inner.split_once(":-").or_else(|| inner.split_once('-')).map_or(v, |(_, d)| d.trim())
}

/// A path without `.` components and with `..` applied (lexically).
fn normalize(path: &Path) -> PathBuf {
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
