//! Which files to lint, what kind each is, and which configuration governs it.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ignore::WalkBuilder;
use stacklint_project::{ByName, FileKind};

use crate::config::{Config, Overrides, config_in_dir, load_config};
use crate::error::ConfigError;
use crate::paths::{absolute, boundary};

/// Directories never walked into (they are still linted when named explicitly).
pub const SKIPPED_DIRECTORIES: &[&str] = &[
    "target",
    "node_modules",
    ".git",
    ".venv",
    "venv",
    "__pycache__",
];

/// Names that make the folder holding them the top of a project (besides a configuration):
/// a Git work tree, a Python project, a Django project. A Dockerfile or a compose file (any
/// name of those kinds) counts too. See [`Resolver::project_root`].
const PROJECT_MARKERS: &[&str] = &[".git", "pyproject.toml", "manage.py"];

/// Hidden files that are walked nevertheless.
const HIDDEN_ALLOWED: &[&str] = &[".stacklint.toml"];

/// How many bytes content sniffing reads.
const SNIFF_BYTES: u64 = 1024;

/// One file to lint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredFile {
    /// Absolute (not canonicalized: symlinks are kept as named).
    pub path: PathBuf,
    pub kind: FileKind,
    /// Named on the command line rather than found by walking a directory.
    pub explicit: bool,
}

/// Files that belong together: one configuration and the files it governs.
#[derive(Clone, Debug)]
pub struct Project {
    /// The configuration's directory; without one, the topmost folder holding a project
    /// marker (a compose file, Dockerfile, `manage.py`, `pyproject.toml`, `.git`) inside the
    /// linted directory (or the current directory, for a named file), else that directory.
    pub root: PathBuf,
    /// The configuration, command-line overrides applied.
    pub config: Arc<Config>,
    /// Sorted by path.
    pub files: Vec<DiscoveredFile>,
}

/// Something discovery skipped that the user should hear about; linting goes on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryWarning {
    /// A named path that does not exist (the CLI exits with 2 for it, like an unreadable file).
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    /// A directory that could not be listed or a file whose head could not be read.
    #[error("{}: {message}", path.as_deref().map_or_else(String::new, |p| p.display().to_string()))]
    Unreadable {
        path: Option<PathBuf>,
        message: String,
    },
    /// A named file whose kind could not be told from its name or content; `guess` is the
    /// kind it most looks like, the example the message gives.
    #[error("{}: cannot tell what kind of file this is; {}", path.display(), map_it(path, *guess))]
    UnknownKind {
        path: PathBuf,
        guess: Option<FileKind>,
    },
    /// A configuration file that cannot be used: the files it governs (its folder and
    /// below, up to the next configuration) are not linted; every other file still is.
    #[error("{message}\n  note: the files under {}/ were not linted", dir.display())]
    BadConfig {
        /// The configuration's folder.
        dir: PathBuf,
        /// The error, naming the file, line and column.
        message: String,
    },
    /// A FIFO, socket or device: never opened (a FIFO would block the run forever).
    #[error("{}: {what}, not a regular file; skipped", path.display())]
    NotAFile {
        path: PathBuf,
        what: &'static str,
        /// Named on the command line (an error) rather than found in a folder (a warning).
        named: bool,
    },
    /// A symbolic link whose target is outside the project: neither read nor written.
    #[error("{}: symbolic link to {}, outside the project {}; not read, not fixed", path.display(), target.display(), root.display())]
    OutsideProject {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },
    /// A problem of the walk that loses no file to lint (an invalid `.gitignore` line, a
    /// symbolic-link loop).
    #[error("{}: {message}", path.as_deref().map_or_else(String::new, |p| p.display().to_string()))]
    Walk {
        path: Option<PathBuf>,
        message: String,
    },
}

/// How to map a file in `[files]`: with the kind it most looks like, else every kind name.
fn map_it(path: &Path, guess: Option<FileKind>) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if let Some(kind) = guess {
        return format!("map it in [files] (e.g. \"{name}\" = \"{}\")", kind.name());
    }
    let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.name()).collect();
    format!(
        "map it in [files] as \"{name}\" = \"KIND\", KIND one of: {}",
        names.join(", ")
    )
}

impl DiscoveryWarning {
    /// The warning for a file whose kind is unknown, with the kind its name and first
    /// bytes (`head`) look most like.
    pub fn unknown_kind(path: PathBuf, head: &str) -> DiscoveryWarning {
        let guess = FileKind::best_guess(&path, head);
        DiscoveryWarning::UnknownKind { path, guess }
    }

    /// Whether the CLI should fail (exit 2) for it: a named path that does not exist or is
    /// not a regular file, a directory or file that could not be read, a configuration that
    /// could not be used. The rest are warnings: the run is complete without them.
    pub fn is_error(&self) -> bool {
        match self {
            DiscoveryWarning::NotFound { .. }
            | DiscoveryWarning::Unreadable { .. }
            | DiscoveryWarning::BadConfig { .. } => true,
            DiscoveryWarning::NotAFile { named, .. } => *named,
            DiscoveryWarning::UnknownKind { .. }
            | DiscoveryWarning::OutsideProject { .. }
            | DiscoveryWarning::Walk { .. } => false,
        }
    }
}

/// What a FIFO, socket or device is called in messages; `None` for files, folders and links.
pub(crate) fn special_file(file_type: std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
    }
    if file_type.is_file() || file_type.is_dir() || file_type.is_symlink() {
        None
    } else {
        Some("not a file or folder")
    }
}

fn lock(resolver: &Mutex<Resolver>) -> MutexGuard<'_, Resolver> {
    resolver.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The result of [`discover`].
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// Sorted by root.
    pub projects: Vec<Project>,
    pub warnings: Vec<DiscoveryWarning>,
}

impl Discovery {
    /// Every file of every project, with its project.
    pub fn files(&self) -> impl Iterator<Item = (&Project, &DiscoveredFile)> {
        self.projects
            .iter()
            .flat_map(|p| p.files.iter().map(move |f| (p, f)))
    }
}

/// What governs the files of a directory.
#[derive(Clone, Debug)]
enum Governing {
    /// No configuration file up to the file system's root: the defaults.
    Defaults,
    Config(Arc<Config>),
    /// The closest configuration is broken (reported once, in `Resolver::errors`): its
    /// files are not linted.
    Broken,
}

/// Configurations per directory, loaded once, with overrides applied.
struct Resolver {
    cli_config: Option<Arc<Config>>,
    overrides: Overrides,
    by_dir: HashMap<PathBuf, Governing>,
    /// One per broken configuration file.
    errors: Vec<DiscoveryWarning>,
    /// Canonical project roots, for telling where symbolic links lead.
    canonical_roots: HashMap<PathBuf, Option<PathBuf>>,
    /// Folders with symbolic links resolved (cached: many files share a folder).
    canonical_dirs: HashMap<PathBuf, Option<PathBuf>>,
    /// Whether a folder holds a project marker ([`PROJECT_MARKERS`], a Dockerfile, a compose
    /// file).
    marked: HashMap<PathBuf, bool>,
}

impl Resolver {
    /// What governs files in `dir` (absolute). A broken configuration governs its own
    /// subtree only: its error is recorded once and the walk goes on elsewhere.
    fn for_dir(&mut self, dir: &Path) -> Governing {
        if let Some(config) = &self.cli_config {
            return Governing::Config(Arc::clone(config));
        }
        let mut pending = Vec::new();
        let mut found = Governing::Defaults;
        for ancestor in dir.ancestors() {
            if let Some(cached) = self.by_dir.get(ancestor) {
                found = cached.clone();
                break;
            }
            pending.push(ancestor.to_path_buf());
            let loaded = config_in_dir(ancestor).and_then(|config| match config {
                Some(mut config) => config
                    .apply_overrides(&self.overrides)
                    .map(|()| Some(config)),
                None => Ok(None),
            });
            match loaded {
                Ok(None) => {}
                Ok(Some(config)) => {
                    found = Governing::Config(Arc::new(config));
                    break;
                }
                Err(e) => {
                    self.errors.push(DiscoveryWarning::BadConfig {
                        dir: crate::paths::display_path(ancestor),
                        message: e.to_string(),
                    });
                    found = Governing::Broken;
                    break;
                }
            }
        }
        for d in pending {
            self.by_dir.insert(d, found.clone());
        }
        found
    }

    /// The root of the project that a file in `dir` belongs to when no configuration governs
    /// it: the topmost folder from `bound` (the folder named on the command line) down to
    /// `dir` that holds a project marker, else `bound`.
    ///
    /// So a folder of projects (`~/code/a`, `~/code/b`, each with its compose file,
    /// Dockerfile, `manage.py`, `pyproject.toml` or `.git`) is linted as those projects,
    /// each as if named alone, and one project's processes, images and settings never
    /// reach another's findings; the folders of one project (a Dockerfile in `app/`, a
    /// compose file in `docker/`) stay one project with it.
    fn project_root(&mut self, bound: &Path, dir: &Path) -> PathBuf {
        topmost_marked(bound, dir, |candidate| {
            *self
                .marked
                .entry(candidate.to_path_buf())
                .or_insert_with(|| has_project_marker(candidate))
        })
        .unwrap_or_else(|| bound.to_path_buf())
    }

    /// `root` with symbolic links resolved (cached); `None` when it cannot be resolved.
    fn canonical_root(&mut self, root: &Path) -> Option<PathBuf> {
        self.canonical_roots
            .entry(root.to_path_buf())
            .or_insert_with(|| std::fs::canonicalize(root).ok())
            .clone()
    }

    /// `None` when `path` resolves inside its project (see [`boundary`]); else the warning
    /// that skips it.
    fn outside(&mut self, path: &Path, root: &Path) -> Option<DiscoveryWarning> {
        // The file's folder resolved once per folder, then the file itself: one `lstat`
        // per file instead of one per path component.
        let is_link = std::fs::symlink_metadata(path).ok()?.file_type().is_symlink();
        let target = match (is_link, path.parent(), path.file_name()) {
            (false, Some(dir), Some(name)) => {
                let dir = self.canonical_dirs.entry(dir.to_path_buf()).or_insert_with(|| std::fs::canonicalize(dir).ok()).clone()?;
                dir.join(name)
            }
            _ => std::fs::canonicalize(path).ok()?,
        };
        let path = crate::paths::lexical(path);
        if target == path {
            // No link on the way: nothing leads anywhere.
            return None;
        }
        let root = boundary(&path, &crate::paths::lexical(root));
        let canonical_root = self.canonical_root(&root)?;
        (!target.starts_with(&canonical_root)).then_some(DiscoveryWarning::OutsideProject {
            path,
            target,
            root,
        })
    }
}

/// The topmost folder from `bound` down to `dir` that `marked` says holds a project marker.
fn topmost_marked(bound: &Path, dir: &Path, mut marked: impl FnMut(&Path) -> bool) -> Option<PathBuf> {
    let below = dir.strip_prefix(bound).ok()?;
    let mut candidate = bound.to_path_buf();
    if marked(&candidate) {
        return Some(candidate);
    }
    for step in below.components() {
        candidate.push(step);
        if marked(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// The project root of a file linted alone without a configuration (`--stdin-filename`,
/// an editor buffer), as it would be on disk: under the current directory, the topmost
/// folder with a project marker from there down to the file's folder (what `stacklint
/// check .` would use); elsewhere the closest folder with a marker above the file; else
/// the file's folder.
pub(crate) fn lone_file_root(path: &Path) -> PathBuf {
    let path = absolute(path);
    let parent = path.parent().unwrap_or(&path);
    let cwd = absolute(Path::new("."));
    let marked = if path.starts_with(&cwd) {
        topmost_marked(&cwd, parent, has_project_marker)
    } else {
        parent.ancestors().find(|d| has_project_marker(d)).map(Path::to_path_buf)
    };
    marked.unwrap_or_else(|| parent.to_path_buf())
}

/// Whether `dir` holds a project marker: one of [`PROJECT_MARKERS`], a Dockerfile or a
/// compose file (by name).
fn has_project_marker(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        let name = entry.file_name();
        PROJECT_MARKERS.iter().any(|m| name == **m)
            || matches!(
                FileKind::from_path(Path::new(&name)),
                Some(FileKind::Dockerfile | FileKind::Compose)
            )
    })
}

/// Find the files to lint under `paths` (files and directories; `.` when empty), their kinds,
/// and their configurations, grouped into projects.
///
/// Directories are walked honouring `.gitignore`, `.ignore` and git's excludes (inside a git
/// repository or not), skipping hidden entries and [`SKIPPED_DIRECTORIES`], and each
/// configuration's `exclude`. Files named explicitly are always linted. A file's kind comes
/// from `[files]`, then its name, then (for names without extension or ending in `.conf` or
/// `.txt`, and for every named file) its first KiB; files of no known kind are skipped.
///
/// Files no configuration governs are grouped by their project root: the topmost folder
/// with a project marker inside the folder named (see [`Resolver::project_root`]), so a
/// folder of separate projects gives the findings of each project linted alone.
///
/// `cli_config` (`--config`) replaces discovery: it governs every file, and an error in it
/// is the `Err` of this function. A broken configuration found in the tree governs only its
/// own subtree: it is a [`DiscoveryWarning::BadConfig`] (an error for the exit code) and
/// every other file is still found. Unreadable directories, missing paths, FIFOs, sockets
/// and devices (never opened), and symbolic links leading outside their project (never
/// read) are warnings too.
pub fn discover(
    paths: &[PathBuf],
    cli_config: Option<&Path>,
    overrides: &Overrides,
) -> Result<Discovery, ConfigError> {
    overrides.validate()?;
    let cli_config = match cli_config {
        Some(path) => {
            let mut config = load_config(path)?;
            config.apply_overrides(overrides)?;
            Some(Arc::new(config))
        }
        None => None,
    };
    let resolver = Arc::new(Mutex::new(Resolver {
        cli_config,
        overrides: overrides.clone(),
        by_dir: HashMap::new(),
        errors: Vec::new(),
        canonical_roots: HashMap::new(),
        canonical_dirs: HashMap::new(),
        marked: HashMap::new(),
    }));
    let cwd = absolute(Path::new("."));
    let default_paths = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default_paths[..]
    } else {
        paths
    };

    let mut found: BTreeMap<PathBuf, (DiscoveredFile, Arc<Config>)> = BTreeMap::new();
    // Files no name or content names, that a compose mount or a COPY may still give a
    // kind (a `deploy/site` mounted at `/etc/nginx/conf.d/site.conf`).
    let mut unnamed: Vec<(PathBuf, Arc<Config>)> = Vec::new();
    let mut defaults: HashMap<PathBuf, Arc<Config>> = HashMap::new();
    let mut warnings = Vec::new();
    let mut default_for = |root: &Path| -> Result<Arc<Config>, ConfigError> {
        if let Some(c) = defaults.get(root) {
            return Ok(Arc::clone(c));
        }
        let mut config = Config::default_for(root);
        config.apply_overrides(overrides)?;
        let config = Arc::new(config);
        defaults.insert(root.to_path_buf(), Arc::clone(&config));
        Ok(config)
    };

    for named in paths {
        let abs = absolute(named);
        // `metadata` follows links and never opens the file: a FIFO is told here, unopened.
        let Ok(meta) = std::fs::metadata(&abs) else {
            warnings.push(DiscoveryWarning::NotFound {
                path: named.clone(),
            });
            continue;
        };
        if !meta.is_dir() {
            if let Some(what) = special_file(meta.file_type()) {
                warnings.push(DiscoveryWarning::NotAFile {
                    path: named.clone(),
                    what,
                    named: true,
                });
                continue;
            }
            let parent = abs.parent().unwrap_or(&abs);
            let governing = lock(&resolver).for_dir(parent);
            let config = match governing {
                Governing::Broken => continue,
                Governing::Config(c) => c,
                Governing::Defaults => {
                    let bound = if abs.starts_with(&cwd) { &cwd } else { parent };
                    let root = lock(&resolver).project_root(bound, parent);
                    default_for(&root)?
                }
            };
            if let Some(w) = lock(&resolver).outside(&abs, &config.root) {
                warnings.push(w);
                continue;
            }
            match detect_kind(&config, &abs, None, true) {
                Ok(Some(kind)) => {
                    found.insert(
                        abs.clone(),
                        (
                            DiscoveredFile {
                                path: abs,
                                kind,
                                explicit: true,
                            },
                            config,
                        ),
                    );
                }
                Ok(None) => warnings.push(DiscoveryWarning::unknown_kind(
                    named.clone(),
                    &read_head(&abs).unwrap_or_default(),
                )),
                Err(message) => warnings.push(DiscoveryWarning::Unreadable {
                    path: Some(named.clone()),
                    message,
                }),
            }
            continue;
        }

        let filter_resolver = Arc::clone(&resolver);
        let walker = WalkBuilder::new(&abs)
            .standard_filters(true)
            // Git's global excludes apply inside a repository only; reading git's config
            // to find them is a tenth of a run on a small folder.
            .git_global(in_git_repository(&abs))
            .hidden(false)
            .require_git(false)
            .filter_entry(move |entry| {
                if entry.depth() == 0 {
                    return true;
                }
                let name = entry.file_name().to_string_lossy();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if name.starts_with('.') && (is_dir || !HIDDEN_ALLOWED.contains(&name.as_ref())) {
                    return false;
                }
                if is_dir && SKIPPED_DIRECTORIES.contains(&name.as_ref()) {
                    return false;
                }
                let Some(parent) = entry.path().parent() else {
                    return true;
                };
                match lock(&filter_resolver).for_dir(parent) {
                    // Reported once; nothing under a broken configuration is linted.
                    Governing::Broken => false,
                    Governing::Config(c) => !c.is_excluded(entry.path()),
                    Governing::Defaults => true,
                }
            })
            .build();

        for result in walker {
            let entry = match result {
                Ok(entry) => entry,
                Err(err) => {
                    warnings.push(walk_warning(&err));
                    continue;
                }
            };
            if found.contains_key(entry.path()) {
                continue;
            }
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            let is_link = file_type.is_symlink();
            // A link is judged by what it leads to (without opening it); a dangling link is
            // nothing to lint.
            let file_type = if is_link {
                match std::fs::metadata(entry.path()) {
                    Ok(meta) => meta.file_type(),
                    Err(_) => continue,
                }
            } else {
                file_type
            };
            if file_type.is_dir() {
                continue;
            }
            if let Some(what) = special_file(file_type) {
                warnings.push(DiscoveryWarning::NotAFile {
                    path: entry.into_path(),
                    what,
                    named: false,
                });
                continue;
            }
            let path = entry.into_path();
            let parent = path.parent().unwrap_or(&path);
            let governing = lock(&resolver).for_dir(parent);
            let config = match governing {
                Governing::Broken => continue,
                Governing::Config(c) => c,
                Governing::Defaults => {
                    let root = lock(&resolver).project_root(&abs, parent);
                    default_for(&root)?
                }
            };
            if is_link && let Some(w) = lock(&resolver).outside(&path, &config.root) {
                warnings.push(w);
                continue;
            }
            match detect_kind(&config, &path, None, false) {
                Ok(Some(kind)) => {
                    found.insert(
                        path.clone(),
                        (
                            DiscoveredFile {
                                path,
                                kind,
                                explicit: false,
                            },
                            config,
                        ),
                    );
                }
                Ok(None) => {
                    if may_have_a_role(&path) {
                        unnamed.push((path, config));
                    }
                }
                Err(message) => warnings.push(DiscoveryWarning::Unreadable {
                    path: Some(path),
                    message,
                }),
            }
        }
    }
    warnings.append(&mut lock(&resolver).errors);
    claim_by_role(&mut found, unnamed);

    // Group by configuration (its file, or the root of the defaults).
    let mut projects: BTreeMap<(PathBuf, Option<PathBuf>), Project> = BTreeMap::new();
    for (_, (file, config)) in found {
        let key = (config.root.clone(), config.path.clone());
        projects
            .entry(key)
            .or_insert_with(|| Project {
                root: config.root.clone(),
                config: Arc::clone(&config),
                files: Vec::new(),
            })
            .files
            .push(file);
    }
    Ok(Discovery {
        projects: projects.into_values().collect(),
        warnings,
    })
}

fn walk_warning(err: &ignore::Error) -> DiscoveryWarning {
    fn path_of(err: &ignore::Error) -> Option<PathBuf> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path.clone()),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            _ => None,
        }
    }
    fn message_of(err: &ignore::Error) -> String {
        match err {
            ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
                message_of(err)
            }
            other => other.to_string(),
        }
    }
    fn is_io(err: &ignore::Error) -> bool {
        match err {
            ignore::Error::Io(_) => true,
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => is_io(err),
            ignore::Error::Partial(errs) => errs.iter().any(is_io),
            _ => false,
        }
    }
    fn io_of(err: &ignore::Error) -> Option<&std::io::Error> {
        match err {
            ignore::Error::Io(e) => Some(e),
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => io_of(err),
            _ => None,
        }
    }
    if is_io(err) {
        // A folder that cannot be listed: its files are lost to the run (exit 2).
        let reason = match io_of(err) {
            Some(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                "permission denied".to_owned()
            }
            Some(e) => e.to_string(),
            None => message_of(err),
        };
        let path = path_of(err).map(|p| crate::paths::display_path(&p));
        let what = if path.as_deref().is_some_and(Path::is_dir) {
            "cannot read this folder"
        } else {
            "cannot read"
        };
        DiscoveryWarning::Unreadable {
            path,
            message: format!("{what}: {reason}; its files were not linted"),
        }
    } else {
        DiscoveryWarning::Walk {
            path: path_of(err),
            message: message_of(err),
        }
    }
}

/// The kind of `path` under `config`: `[files]` first, then `[django] settings-module`, then
/// the name, then the content.
///
/// The content is `content` when given (an editor buffer, standard input), else the first KiB
/// read from disk. Only names without extension or ending in `.conf`/`.txt` are sniffed,
/// unless `always_sniff` (a file the user named). `Err` is the reason reading failed.
pub fn detect_kind(
    config: &Config,
    path: &Path,
    content: Option<&str>,
    always_sniff: bool,
) -> Result<Option<FileKind>, String> {
    if let Some(kind) = config.kind_override(path) {
        return Ok(Some(kind));
    }
    if config.is_settings_module(path) {
        return Ok(Some(FileKind::DjangoSettings));
    }
    let candidates = match FileKind::by_name(path) {
        ByName::Kind(kind) => return Ok(Some(kind)),
        // A kind guessed from the folder alone (`conf.d/*.conf` as nginx or supervisord)
        // needs the content to agree (a PostgreSQL `.conf` in a `conf.d` is neither).
        ByName::Folder(candidates) => Some(candidates),
        ByName::Unknown => None,
    };
    let sniffable = candidates.is_some()
        || always_sniff
        || match path.extension() {
            None => true,
            Some(ext) => ext.eq_ignore_ascii_case("conf") || ext.eq_ignore_ascii_case("txt"),
        };
    if !sniffable {
        return Ok(None);
    }
    let head = match content {
        Some(text) => text.chars().take(SNIFF_BYTES as usize).collect(),
        None => read_head(path)?,
    };
    if head.contains('\0') {
        return Ok(None);
    }
    Ok(match candidates {
        Some(candidates) => FileKind::confirm(&candidates, &head),
        None => FileKind::sniff(&head),
    })
}

/// The first [`SNIFF_BYTES`] of a file, lossily decoded (NUL bytes kept: binary files).
/// Whether a file of no known kind could be a configuration a program reads by its
/// place in the deployment (no extension, `.conf`, `.types`, `*_params`, units).
fn may_have_a_role(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match path.extension().and_then(|e| e.to_str()) {
        None => !name.starts_with(['.', '_']) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        Some(ext) => matches!(ext, "conf" | "types" | "service" | "socket") || name.ends_with("_params"),
    }
}

/// Give the unnamed files the kind their place in the deployment says: the compose files
/// and Dockerfiles of the same project mount or copy them where a program reads them or
/// pass them to it, or its nginx files include them.
fn claim_by_role(found: &mut BTreeMap<PathBuf, (DiscoveredFile, Arc<Config>)>, unnamed: Vec<(PathBuf, Arc<Config>)>) {
    if unnamed.is_empty() {
        return;
    }
    let mut by_root: BTreeMap<PathBuf, Vec<(PathBuf, Arc<Config>)>> = BTreeMap::new();
    for (path, config) in unnamed {
        by_root.entry(config.root.clone()).or_default().push((path, config));
    }
    for (root, candidates) in by_root {
        let sources: Vec<(PathBuf, FileKind, String)> = found
            .values()
            .filter(|(f, c)| c.root == root && matches!(f.kind, FileKind::Compose | FileKind::Dockerfile | FileKind::Nginx))
            .filter_map(|(f, _)| {
                let bytes = crate::fsio::open_regular(&f.path).and_then(|file| crate::fsio::read_limited(file, crate::MAX_FILE_BYTES)).ok()?;
                Some((f.path.clone(), f.kind, String::from_utf8(bytes).ok()?))
            })
            .collect();
        if sources.is_empty() {
            continue;
        }
        let paths: Vec<PathBuf> = candidates.iter().map(|(p, _)| p.clone()).collect();
        for (path, kind, _) in stacklint_project::roles::claimed_kinds(&sources, &paths) {
            let Some((_, config)) = candidates.iter().find(|(p, _)| *p == path) else { continue };
            found.insert(path.clone(), (DiscoveredFile { path, kind, explicit: false }, Arc::clone(config)));
        }
    }
}

fn read_head(path: &Path) -> Result<String, String> {
    let mut head = Vec::new();
    crate::fsio::open_regular(path)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The configuration for one file that is not on disk or linted alone (`--stdin-filename`,
/// an editor buffer): `--config` when given, else the closest configuration, else the
/// defaults rooted at the file's project (see [`lone_file_root`]); overrides applied.
pub fn resolve_config(
    file: &Path,
    cli_config: Option<&Path>,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let mut config = match cli_config {
        Some(path) => load_config(path)?,
        None => match crate::config::find_config(file)? {
            Some(config) => config,
            None => Config::default_for(&lone_file_root(file)),
        },
    };
    config.apply_overrides(overrides)?;
    Ok(config)
}

/// Whether `dir` is inside a Git work tree (a `.git` folder or file in it or above it).
fn in_git_repository(dir: &Path) -> bool {
    dir.ancestors().any(|d| d.join(".git").exists())
}


