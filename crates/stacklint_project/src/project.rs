//! The project: every file, parsed once, and what the files say about each other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use stacklint_text::{LineIndex, TextRange};

use crate::kind::FileKind;
use crate::target::Target;
use crate::template::TemplateSyntax;
use crate::versions::{KnownVersion, Version, VersionSource, Versions, pyproject_pins, requirements_pins};

/// What the configuration tells the model (already resolved by the workspace).
#[derive(Clone, Debug, Default)]
pub struct ProjectOptions {
    /// The project root: the config file's folder, or the linted folder.
    pub root: PathBuf,
    /// The host target (command line > config > default).
    pub target: Target,
    /// `[versions]` from the config (these win over what files say).
    pub versions: Versions,
    /// `[django] settings-module`.
    pub django_settings_module: Option<String>,
    /// Reads files the model needs but nobody lints (`.env`, `env_file`s, compose files
    /// named by `extends`/`include`); without one only the project's files are known.
    pub reader: ContextReader,
    /// Files parsed by earlier builds, reused when unchanged (an editor's runs).
    pub parse_cache: Option<ParseCache>,
}

/// Parsed files kept from one build to the next: a file whose path, kind and text are
/// what they were is not parsed again (its tree and the extractions cached with it are
/// shared). Clones share the cache.
#[derive(Clone, Default)]
pub struct ParseCache(Arc<Mutex<HashMap<PathBuf, Arc<SourceFile>>>>);

impl ParseCache {
    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<SourceFile>>> {
        // A build that panicked leaves whole entries: still good to read.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The file parsed from exactly this path, kind and text, if one was kept.
    fn reuse(&self, path: &Path, kind: FileKind, text: &str) -> Option<Arc<SourceFile>> {
        self.files().get(path).filter(|f| f.declared == kind && f.text == text).cloned()
    }

    fn keep(&self, files: &[Arc<SourceFile>]) {
        let mut cache = self.files();
        for f in files {
            cache.insert(f.path.clone(), f.clone());
        }
    }

    /// Drop the syntax trees of the Python files that no run used since the last call
    /// (see [`stacklint_python::PyModule::release_tree`]): a file is parsed again if a run
    /// needs its tree. Files a model still holds are left for the next call.
    pub fn release_idle_trees(&self) {
        let mut freed = Vec::new();
        for file in self.files().values_mut() {
            if let Some(file) = Arc::get_mut(file)
                && let Parsed::Python(m) = &mut file.parsed
            {
                freed.push(m.release_tree());
            }
        }
        free_elsewhere(freed);
    }

    /// How many Python files have their tree in memory, of how many.
    pub fn python_trees_loaded(&self) -> (usize, usize) {
        let files = self.files();
        let python: Vec<&stacklint_python::PyModule> = files.values().filter_map(|f| f.python()).collect();
        (python.iter().filter(|m| m.tree_is_loaded()).count(), python.len())
    }

    /// Forget the files for which `keep` says no (deleted, or no longer linted).
    pub fn retain(&self, keep: impl Fn(&Path) -> bool) {
        self.files().retain(|p, _| keep(p));
    }

    /// How many files are kept.
    pub fn len(&self) -> usize {
        self.files().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParseCache({} files)", self.len())
    }
}

/// From how many freshly parsed files a build releases Python trees as it parses (an
/// editor's keystroke parses one or two; its first build, all).
const EAGER_RELEASE: usize = 32;

/// Free trees on a thread of their own: freeing thousands of them takes a while.
fn free_elsewhere(trees: Vec<Option<stacklint_python::Tree>>) {
    let trees: Vec<stacklint_python::Tree> = trees.into_iter().flatten().collect();
    if !trees.is_empty() {
        std::thread::spawn(move || drop(trees));
    }
}

/// How the model reads a file that is not one of the project's files: its text, or why
/// there is none (`not found`, `binary file ...`).
#[derive(Clone, Default)]
pub struct ContextReader(Option<std::sync::Arc<ReadFn>>);

type ReadFn = dyn Fn(&Path) -> Result<String, String> + Send + Sync;

impl ContextReader {
    pub fn new(read: impl Fn(&Path) -> Result<String, String> + Send + Sync + 'static) -> ContextReader {
        ContextReader(Some(std::sync::Arc::new(read)))
    }

    /// In-memory files (tests, editors).
    pub fn from_files(files: HashMap<PathBuf, String>) -> ContextReader {
        ContextReader::new(move |p| files.get(p).cloned().ok_or_else(|| "not found".to_owned()))
    }

    /// Whether files outside the project can be read (else every one is `not found`).
    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }

    pub fn read(&self, path: &Path) -> Result<String, String> {
        match &self.0 {
            Some(read) => read(path),
            None => Err("not found".to_owned()),
        }
    }
}

impl std::fmt::Debug for ContextReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "ContextReader(..)" } else { "ContextReader(none)" })
    }
}

/// A syntax error in one file, as the model reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
}

/// One file of the project, parsed according to its kind.
pub struct SourceFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    pub line_index: LineIndex,
    /// Parsed from the template's skeleton when the file is a template (see [`TemplateSyntax`]).
    pub parsed: Parsed,
    /// Set when the file holds template tags: its syntax errors are not reported (the
    /// rendered file is what the program reads) and fixes are not applied to it.
    pub template: Option<TemplateSyntax>,
    /// The kind it was built as, before [`FileKind::refine`] (what [`ParseCache`] compares).
    declared: FileKind,
    /// Its settings as evaluated with the files it imported, kept across builds (see
    /// [`Reads`]): an edit elsewhere does not evaluate a 2,000-line settings module again.
    pub(crate) settings_memo: Mutex<Option<(Reads, Arc<stacklint_python::Settings>)>>,
    /// [`crate::django::looks_like_settings`], which reads only this file.
    pub(crate) looks_like_settings: std::sync::OnceLock<bool>,
}

/// The project files something derived from a file read (or looked for and did not find),
/// by path: it still holds while each path names the same parsed file (or still none).
#[derive(Debug, Default)]
pub(crate) struct Reads {
    root: PathBuf,
    files: Vec<(PathBuf, Option<std::sync::Weak<SourceFile>>)>,
}

impl Reads {
    pub(crate) fn new(root: &Path) -> Reads {
        Reads { root: root.to_path_buf(), files: Vec::new() }
    }

    /// Note that `path` was looked up in `project` and what was there.
    pub(crate) fn note(&mut self, project: &Project, path: &Path) {
        self.files.push((path.to_path_buf(), project.file_arc(path).map(Arc::downgrade)));
    }

    /// Whether `project` has the same files at every path read (a weak reference keeps
    /// its allocation, so the same address is the same parse).
    pub(crate) fn still_hold(&self, project: &Project) -> bool {
        self.root == project.root
            && self.files.iter().all(|(path, was)| match (was, project.file_arc(path)) {
                (None, None) => true,
                (Some(was), Some(now)) => std::sync::Weak::ptr_eq(was, &Arc::downgrade(now)),
                _ => false,
            })
    }
}

/// The parse tree of a file, by kind.
pub enum Parsed {
    Python(stacklint_python::PyModule),
    Dockerfile(stacklint_syntax::Parsed<stacklint_syntax::dockerfile::Dockerfile>),
    Nginx(stacklint_syntax::Parsed<stacklint_syntax::nginx::NginxConfig>),
    Procfile(stacklint_syntax::Parsed<Vec<stacklint_syntax::procfile::ProcfileEntry>>),
    Shell(stacklint_syntax::Parsed<Vec<stacklint_syntax::shell::Token>>),
    /// Shared with the compose model (no copy of a big file's tree).
    Compose(std::sync::Arc<stacklint_syntax::Parsed<stacklint_syntax::compose::ComposeFile>>),
    Supervisord(stacklint_syntax::Parsed<stacklint_syntax::ini::IniFile>),
    Systemd(stacklint_syntax::Parsed<stacklint_syntax::ini::IniFile>),
    /// postgresql.conf, postgresql.auto.conf, files of an `include_dir`.
    Postgres(stacklint_syntax::Parsed<stacklint_syntax::postgres::PgConf>),
    Redis(stacklint_syntax::Parsed<stacklint_syntax::redis::RedisConfig>),
    /// Formats this model does not parse (yet): kept as text.
    Text,
}

impl SourceFile {
    /// Parse `text` as `kind`, refined by what the content says (a `.py` file whose shebang
    /// runs a shell is a shell script); a template is parsed as its skeleton.
    pub fn new(path: PathBuf, declared: FileKind, text: String) -> SourceFile {
        let kind = declared.refine(&text);
        let line_index = LineIndex::new(&text);
        let template = TemplateSyntax::detect(&path, &text);
        let parsed = match template {
            Some(syntax) => parse(kind, &syntax.mask(&text, kind)),
            None => parse(kind, &text),
        };
        SourceFile { path, kind, text, line_index, parsed, template, declared, settings_memo: Mutex::new(None), looks_like_settings: std::sync::OnceLock::new() }
    }

    /// The syntax errors the parser recovered from; none for a template, whose rendering,
    /// not its text, is what the program parses.
    pub fn syntax_errors(&self) -> Vec<SyntaxError> {
        if self.template.is_some() {
            return Vec::new();
        }
        syntax_errors(&self.parsed)
    }

    pub fn python(&self) -> Option<&stacklint_python::PyModule> {
        match &self.parsed {
            Parsed::Python(m) => Some(m),
            _ => None,
        }
    }

    pub fn dockerfile(&self) -> Option<&stacklint_syntax::dockerfile::Dockerfile> {
        match &self.parsed {
            Parsed::Dockerfile(p) => Some(&p.tree),
            _ => None,
        }
    }

    pub fn nginx(&self) -> Option<&stacklint_syntax::nginx::NginxConfig> {
        match &self.parsed {
            Parsed::Nginx(p) => Some(&p.tree),
            _ => None,
        }
    }

    pub fn compose(&self) -> Option<&stacklint_syntax::compose::ComposeFile> {
        match &self.parsed {
            Parsed::Compose(p) => Some(&p.tree),
            _ => None,
        }
    }

    /// The INI tree of a supervisord configuration or a systemd unit.
    pub fn ini(&self) -> Option<&stacklint_syntax::ini::IniFile> {
        match &self.parsed {
            Parsed::Supervisord(p) | Parsed::Systemd(p) => Some(&p.tree),
            _ => None,
        }
    }

    /// The lines of a PostgreSQL configuration file.
    pub fn postgres(&self) -> Option<&stacklint_syntax::postgres::PgConf> {
        match &self.parsed {
            Parsed::Postgres(p) => Some(&p.tree),
            _ => None,
        }
    }

    pub fn redis(&self) -> Option<&stacklint_syntax::redis::RedisConfig> {
        match &self.parsed {
            Parsed::Redis(p) => Some(&p.tree),
            _ => None,
        }
    }

    /// 1-based row of a byte offset.
    pub fn row(&self, offset: usize) -> usize {
        self.line_index.line_of(offset) + 1
    }
}

/// Parse `text` as `kind` (with the parser its [`crate::KindSpec`] registers).
pub fn parse(kind: FileKind, text: &str) -> Parsed {
    (kind.spec().parse)(text)
}

/// Python's tokenizer ends a line at a lone `\r` (old Mac line endings) as at `\n`;
/// tree-sitter does not. Same length, so every offset stays.
pub(crate) fn python_line_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        out.push(if lone(i) { '\n' } else { c });
    }
    std::borrow::Cow::Owned(out)
}

/// The syntax errors of a parsed file.
pub fn syntax_errors(parsed: &Parsed) -> Vec<SyntaxError> {
    let from = |errors: &[stacklint_syntax::ParseError]| errors.iter().map(|e| SyntaxError { range: e.range, message: e.message.clone() }).collect();
    match parsed {
        Parsed::Python(m) => m.syntax_errors().into_iter().map(|(range, message)| SyntaxError { range, message }).collect(),
        Parsed::Dockerfile(p) => from(&p.errors),
        Parsed::Nginx(p) => from(&p.errors),
        Parsed::Procfile(p) => from(&p.errors),
        Parsed::Shell(p) => from(&p.errors),
        Parsed::Compose(p) => from(&p.errors),
        Parsed::Supervisord(p) | Parsed::Systemd(p) => from(&p.errors),
        Parsed::Postgres(p) => from(&p.errors),
        Parsed::Redis(p) => from(&p.errors),
        Parsed::Text => Vec::new(),
    }
}

/// The whole project as rules see it.
pub struct Project {
    pub root: PathBuf,
    /// Shared with [`ProjectOptions::parse_cache`] when there is one.
    pub files: Vec<Arc<SourceFile>>,
    pub target: Target,
    pub versions: Versions,
    pub django_settings_module: Option<String>,
    /// Every Django settings module, evaluated, the production one marked.
    pub django: Vec<crate::django::SettingsModule>,
    /// The nginx include graph: contexts, roots, cycles, unresolved includes, dumps.
    pub nginx: crate::nginx::NginxModel,
    /// Every gunicorn process, from every front end.
    pub gunicorn: Vec<crate::gunicorn::GunicornProcess>,
    /// Compose services: their targets (host narrowed by limits) and the files they use.
    pub compose: crate::compose::ComposeModel,
    /// The services the files make up, what each runs and reads, and their links.
    pub deployment: crate::deployment::Deployment,
    /// Reads files outside the project (see [`ProjectOptions::reader`]).
    pub reader: ContextReader,
    by_path: HashMap<PathBuf, usize>,
    /// Every file's path with `.` and `..` applied, sorted, with its index (built on first
    /// use): the files under a folder are one range of it.
    normalized: std::sync::OnceLock<Vec<(PathBuf, usize)>>,
    /// The Django model graph, built on first use from each file's cached extraction.
    models: std::sync::OnceLock<crate::orm::ModelGraph>,
    /// What several rules each ask of the model, worked out once, on first use.
    pub(crate) app_servers: std::sync::OnceLock<Vec<crate::serving::AppServer>>,
    pub(crate) postgres_servers: std::sync::OnceLock<Vec<crate::postgres::PgServer>>,
    pub(crate) redis_servers: std::sync::OnceLock<Vec<crate::redis::RedisServer>>,
    pub(crate) development_reasons: Mutex<HashMap<PathBuf, Option<String>>>,
    pub(crate) gunicorn_services: std::sync::OnceLock<Vec<Vec<usize>>>,
    pub(crate) query_models: std::sync::OnceLock<Vec<(usize, usize, usize)>>,
}

impl Project {
    /// Parse every file (in parallel; unchanged ones come from the parse cache) and build
    /// the model.
    pub fn build(options: ProjectOptions, files: Vec<(PathBuf, FileKind, String)>) -> Project {
        let cache = options.parse_cache.as_ref();
        let mut parsed: Vec<(usize, Arc<SourceFile>)> = Vec::with_capacity(files.len());
        let mut fresh: Vec<(usize, (PathBuf, FileKind, String))> = Vec::new();
        for (i, (path, kind, text)) in files.into_iter().enumerate() {
            match cache.and_then(|c| c.reuse(&path, kind, &text)) {
                Some(file) => parsed.push((i, file)),
                None => fresh.push((i, (path, kind, text))),
            }
        }
        // Largest first, so the biggest file isn't the last one a core starts on; the original
        // order (discovery order, which rules and output rely on) is restored after.
        fresh.sort_by_key(|(_, f)| std::cmp::Reverse(f.2.len()));
        // An editor's session keeps every file parsed: a Python file keeps what is read of
        // it, and its tree only while runs use it (see `ParseCache::release_idle_trees`).
        // A build that parses many files (the first, or after a checkout) drops the trees
        // as it goes, but of those that are read again at once: settings, gunicorn's.
        let keep_trees = cache.is_none() || fresh.len() < EAGER_RELEASE;
        let (fresh, freed): (Vec<(usize, Arc<SourceFile>)>, Vec<_>) = fresh
            .into_par_iter()
            .map(|(i, (path, kind, text))| {
                let mut file = SourceFile::new(path, kind, text);
                let read_again = file.kind == FileKind::GunicornConfig || crate::django::looks_like_settings(&file);
                let freed = match &mut file.parsed {
                    Parsed::Python(m) if !keep_trees && !read_again => m.extract_and_release(),
                    _ => None,
                };
                ((i, Arc::new(file)), freed)
            })
            .unzip();
        free_elsewhere(freed);
        if let Some(cache) = cache {
            cache.keep(&fresh.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>());
        }
        parsed.extend(fresh);
        parsed.sort_by_key(|(i, _)| *i);
        let files: Vec<Arc<SourceFile>> = parsed.into_iter().map(|(_, f)| f).collect();
        let by_path = files.iter().enumerate().map(|(i, f)| (f.path.clone(), i)).collect();
        let mut project = Project {
            root: options.root,
            files,
            target: options.target,
            versions: options.versions,
            django_settings_module: options.django_settings_module,
            django: Vec::new(),
            nginx: crate::nginx::NginxModel::default(),
            gunicorn: Vec::new(),
            compose: crate::compose::ComposeModel::default(),
            deployment: crate::deployment::Deployment::default(),
            reader: options.reader,
            by_path,
            normalized: std::sync::OnceLock::new(),
            models: std::sync::OnceLock::new(),
            app_servers: std::sync::OnceLock::new(),
            postgres_servers: std::sync::OnceLock::new(),
            redis_servers: std::sync::OnceLock::new(),
            development_reasons: Mutex::default(),
            gunicorn_services: std::sync::OnceLock::new(),
            query_models: std::sync::OnceLock::new(),
        };
        project.read_versions();
        project.compose = crate::compose::build(&project);
        project.read_interpolated_versions();
        // The services first: which settings module each process runs and which files
        // land where in each container are what the settings and nginx models start from.
        project.deployment.services = crate::deployment::services(&project);
        project.django = crate::django::build(&project);
        project.gunicorn = crate::gunicorn::build_for_project(&project);
        project.nginx = crate::nginx::NginxModel::build(&project);
        let links = crate::deployment::links(&project, &project.deployment.services);
        project.deployment.links = links;
        project
    }

    /// Build from in-memory files, each kind from its path and content ([`FileKind::detect`];
    /// Python when nothing tells) (tests, doc examples, editors).
    pub fn from_sources(options: ProjectOptions, sources: &[(&str, &str)]) -> Project {
        let files = sources
            .iter()
            .map(|(path, text)| {
                let kind = FileKind::detect(Path::new(path), text).unwrap_or(FileKind::Python);
                (PathBuf::from(path), kind, (*text).to_string())
            })
            .collect();
        Project::build(options, files)
    }

    /// The Django models of the project (see [`crate::orm`]).
    pub fn models(&self) -> &crate::orm::ModelGraph {
        self.models.get_or_init(|| crate::orm::build(self))
    }

    pub fn file(&self, path: &Path) -> Option<&SourceFile> {
        self.file_arc(path).map(AsRef::as_ref)
    }

    pub(crate) fn file_arc(&self, path: &Path) -> Option<&Arc<SourceFile>> {
        self.by_path.get(path).and_then(|&i| self.files.get(i))
    }

    /// The files at or under `dir` (compared with `.` and `..` applied), each with its
    /// normalized path: a range of a sorted index, not a scan of every file.
    pub fn files_under<'p>(&'p self, dir: &'p Path) -> impl Iterator<Item = (&'p Path, &'p SourceFile)> + 'p {
        let all = self.normalized.get_or_init(|| {
            let mut v: Vec<(PathBuf, usize)> = self.files.iter().enumerate().map(|(i, f)| (crate::deployment::normalize(&f.path), i)).collect();
            v.sort();
            v
        });
        let start = all.partition_point(|(p, _)| p.as_path() < dir);
        all.get(start..).unwrap_or_default().iter().take_while(move |(p, _)| p.starts_with(dir)).filter_map(move |(p, i)| self.files.get(*i).map(|f| (p.as_path(), &**f)))
    }

    pub fn files_of(&self, kind: FileKind) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(AsRef::as_ref).filter(move |f: &&SourceFile| f.kind == kind)
    }

    /// The file of a dotted Python module (`config.settings.production`), searched under the
    /// root first, then anywhere in the project (manage.py may live in `src/`).
    /// `path:line` of a byte offset, the path relative to the project root, as messages cite
    /// where a value came from (`docker-compose.yml:12`).
    pub fn place(&self, path: &Path, offset: usize) -> String {
        let line = self.file(path).map_or(0, |f| f.row(offset));
        format!("{}:{line}", path.strip_prefix(&self.root).unwrap_or(path).display())
    }

    pub fn python_module(&self, dotted: &str) -> Option<&SourceFile> {
        let rel = dotted.replace('.', "/");
        let candidates = [format!("{rel}.py"), format!("{rel}/__init__.py")];
        for c in &candidates {
            if let Some(f) = self.file(&self.root.join(c)) {
                return Some(f);
            }
        }
        self.files.iter().map(AsRef::as_ref).filter(|f| f.kind.is_python()).find(|f| candidates.iter().any(|c| path_ends_with(&f.path, c)))
    }

    /// The settings module a `DJANGO_SETTINGS_MODULE` value names, found as Python imports it.
    pub fn settings_module_named(&self, dotted: &str) -> Option<&crate::django::SettingsModule> {
        let file = self.python_module(dotted)?;
        self.django.iter().find(|m| m.path == file.path)
    }

    /// The settings modules production runs (usually one).
    pub fn production_settings(&self) -> impl Iterator<Item = &crate::django::SettingsModule> {
        self.django.iter().filter(|m| m.production.is_some())
    }

    /// The settings modules checked on their own: those no other settings module imports.
    pub fn leaf_settings(&self) -> impl Iterator<Item = &crate::django::SettingsModule> {
        self.django.iter().filter(|m| !m.imported)
    }

    /// Where a requirements file or `pyproject.toml` lists `package` (pinned or not;
    /// names compared as pip does: `uvicorn_worker` is `uvicorn-worker`).
    pub fn requirement(&self, package: &str) -> Option<(&Path, TextRange)> {
        let want = crate::versions::requirement_name(package)?;
        self.files.iter().find_map(|f| {
            let names = match f.kind {
                FileKind::Requirements => crate::versions::requirements_names(&f.text),
                FileKind::PyProject => crate::versions::pyproject_names(&f.text),
                _ => return None,
            };
            names.into_iter().find(|(n, _)| *n == want).map(|(_, r)| (f.path.as_path(), r))
        })
    }

    /// Versions from requirements files, Dockerfile `FROM` images and compose `image:` lines;
    /// `[versions]` in the config (already set) wins.
    /// Image tags written with variables (`postgres:${PG_VERSION:-16}`), as compose
    /// interpolates them (`.env`, else the default); a tag whose variable is unknown gives
    /// no version.
    fn read_interpolated_versions(&mut self) {
        for s in &self.compose.services {
            let Some(image) = s.merged.image.as_ref().filter(|i| crate::interpolation::has_variables(&i.value.value.value)) else { continue };
            let Some(value) = s.interpolate(&image.value.value.value) else { continue };
            let name_part = value.split('@').next().unwrap_or_default();
            let last = name_part.rsplit('/').next().unwrap_or_default();
            let Some((name, tag)) = last.split_once(':') else { continue };
            let Some(version) = Version::parse(tag) else { continue };
            self.versions.offer(name, KnownVersion { version, source: VersionSource::File { path: image.file.clone(), range: image.value.value.range }, exact: true });
        }
    }

    fn read_versions(&mut self) {
        for file in &self.files {
            match file.kind {
                FileKind::Requirements => {
                    for (name, version, exact, range) in requirements_pins(&file.text) {
                        self.versions.offer(&name, KnownVersion { version, source: VersionSource::File { path: file.path.clone(), range }, exact });
                    }
                }
                FileKind::PyProject => {
                    for (name, version, exact, range) in pyproject_pins(&file.text) {
                        self.versions.offer(&name, KnownVersion { version, source: VersionSource::File { path: file.path.clone(), range }, exact });
                    }
                }
                FileKind::Dockerfile => {
                    let Some(df) = file.dockerfile() else { continue };
                    for stage in df.stages() {
                        let Some(image) = stage.image() else { continue };
                        let Some(tag) = &image.tag else { continue };
                        if let Some(version) = Version::parse(&tag.value) {
                            let name = image.name.value.rsplit('/').next().unwrap_or_default();
                            self.versions.offer(name, KnownVersion { version, source: VersionSource::File { path: file.path.clone(), range: tag.range }, exact: true });
                        }
                    }
                }
                FileKind::Compose => {
                    for (name, version, range) in compose_images(&file.text) {
                        self.versions.offer(&name, KnownVersion { version, source: VersionSource::File { path: file.path.clone(), range }, exact: true });
                    }
                }
                _ => {}
            }
        }
    }
}

/// `image: nginx:1.27` lines of a compose file: (image name, tag version, tag range).
fn compose_images(text: &str) -> Vec<(String, Version, TextRange)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("image:") else { continue };
        let value = rest.trim().trim_matches(['"', '\'']);
        let Some((name, tag)) = value.rsplit_once(':') else { continue };
        let Some(version) = Version::parse(tag) else { continue };
        let tag_start = start + line.find(value).unwrap_or(0) + name.len() + 1;
        out.push((name.rsplit('/').next().unwrap_or(name).to_string(), version, TextRange::new(tag_start, tag_start + tag.len())));
    }
    out
}

/// Whether two paths end in different names, so that no lexical normalisation (`.` and
/// `..` applied) can make them one path: the cheap test before normalising both (a file
/// looked up among all of a project's mostly ends here).
pub(crate) fn names_differ(a: &Path, b: &Path) -> bool {
    // The bytes after the last separator when both are plain names: `file_name` walks the
    // components, and this is asked of every project file for every path looked up.
    match (last_segment(a), last_segment(b)) {
        (Some(x), Some(y)) => x != y,
        _ => matches!((a.file_name(), b.file_name()), (Some(x), Some(y)) if x != y),
    }
}

/// What follows the last separator, when it is a plain name (not empty, `.` or `..`).
fn last_segment(path: &Path) -> Option<&[u8]> {
    let name = path.as_os_str().as_encoded_bytes().rsplit(|&b| std::path::is_separator(char::from(b))).next()?;
    (!name.is_empty() && name != b"." && name != b"..").then_some(name)
}

/// Whether `path` ends with the `/`-separated relative path `suffix`, component-wise.
pub fn path_ends_with(path: &Path, suffix: &str) -> bool {
    let mut comps = path.components().rev();
    for want in suffix.rsplit('/') {
        match comps.next() {
            Some(c) if c.as_os_str() == want => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python reads a lone `\r` as a line break: a CR-only settings file parses.
    #[test]
    fn python_with_cr_line_endings_parses() {
        let text = "import os\rDEBUG = False\rALLOWED_HOSTS = [\"x\"]\r";
        let f = SourceFile::new(PathBuf::from("settings.py"), FileKind::DjangoSettings, text.to_string());
        assert!(f.syntax_errors().is_empty(), "{:?}", f.syntax_errors().iter().map(|e| &e.message).collect::<Vec<_>>());
        assert_eq!(f.row(text.find("ALLOWED").unwrap()), 3);
    }

    /// A second build with the same cache parses only the file whose text changed.
    #[test]
    fn unchanged_files_are_not_parsed_again() {
        let cache = ParseCache::default();
        let options = ProjectOptions { parse_cache: Some(cache.clone()), ..ProjectOptions::default() };
        let files = |workers: &str| vec![
            (PathBuf::from("gunicorn.conf.py"), FileKind::GunicornConfig, format!("workers = {workers}\n")),
            (PathBuf::from("Dockerfile"), FileKind::Dockerfile, "FROM python:3.12-slim\n".to_owned()),
        ];
        let first = Project::build(options.clone(), files("2"));
        let second = Project::build(options.clone(), files("3"));
        let same = |i: usize| Arc::ptr_eq(&first.files[i], &second.files[i]);
        assert!(!same(0) && same(1));
        assert_eq!(second.files[0].text, "workers = 3\n");
        // The same text as another kind is parsed as that kind.
        let as_python = Project::build(options, vec![(PathBuf::from("Dockerfile"), FileKind::Python, "FROM python:3.12-slim\n".to_owned())]);
        assert_eq!(as_python.files[0].kind, FileKind::Python);
        cache.retain(|p| p == Path::new("Dockerfile"));
        assert_eq!(cache.len(), 1);
    }

    /// A settings module is evaluated again when a file it imports changes, and only then.
    #[test]
    fn settings_are_evaluated_again_when_an_import_changes() {
        let cache = ParseCache::default();
        let options = ProjectOptions { root: PathBuf::from("/p"), parse_cache: Some(cache.clone()), ..ProjectOptions::default() };
        let files = |conn: &str, other: &str| vec![
            (PathBuf::from("/p/proj/settings/base.py"), FileKind::Python, format!("CONN_MAX_AGE = {conn}\nDEBUG = False\nALLOWED_HOSTS = []\nINSTALLED_APPS = []\n")),
            (PathBuf::from("/p/proj/settings/prod.py"), FileKind::Python, "from .base import *\nSECRET_KEY = 'x'\n".to_owned()),
            (PathBuf::from("/p/proj/other.py"), FileKind::Python, other.to_owned()),
        ];
        let prod = |p: &Project| p.django.iter().find(|m| m.path.ends_with("prod.py")).map(|m| m.settings.clone());
        let conn = |p: &Project| {
            let settings = prod(p)?;
            let b = settings.get("CONN_MAX_AGE")?;
            p.file(&b.file)?.text.get(b.statement_range.start()..b.statement_range.end()).map(str::to_owned)
        };
        let first = Project::build(options.clone(), files("0", "x = 1\n"));
        assert_eq!(conn(&first).as_deref(), Some("CONN_MAX_AGE = 0"));
        let other_changed = Project::build(options.clone(), files("0", "x = 2\n"));
        assert!(prod(&first).zip(prod(&other_changed)).is_some_and(|(a, b)| Arc::ptr_eq(&a, &b)), "kept");
        let base_changed = Project::build(options.clone(), files("600", "x = 2\n"));
        assert_eq!(conn(&base_changed).as_deref(), Some("CONN_MAX_AGE = 600"));
        // Gone: the star import finds nothing now.
        let mut without_base = files("600", "x = 2\n");
        without_base.remove(0);
        let alone = Project::build(options, without_base);
        assert_eq!(alone.django.iter().find(|m| m.path.ends_with("prod.py")).and_then(|m| m.settings.get("CONN_MAX_AGE")).map(|b| b.name.clone()), None);
    }

    /// A session's Python trees go when no run uses them and come back when one does; what
    /// was read of them stays. A build of many new files drops them as it parses, but of
    /// settings; a keystroke's build keeps the edited file's.
    #[test]
    fn idle_python_trees_are_released_and_parsed_again() {
        let cache = ParseCache::default();
        let options = ProjectOptions { root: PathBuf::from("/p"), parse_cache: Some(cache.clone()), ..ProjectOptions::default() };
        let mut files = vec![
            (PathBuf::from("/p/app/models.py"), FileKind::Python, "from django.db import models\nclass Room(models.Model):\n    name = models.CharField(max_length=9)\n".to_owned()),
            (PathBuf::from("/p/app/broken.py"), FileKind::Python, "def f(:\n".to_owned()),
            (PathBuf::from("/p/proj/settings.py"), FileKind::Python, "DEBUG = False\n".to_owned()),
        ];
        files.extend((0..EAGER_RELEASE).map(|i| (PathBuf::from(format!("/p/app/m{i}.py")), FileKind::Python, "x = 1\n".to_owned())));
        let total = files.len();
        let project = Project::build(options.clone(), files.clone());
        // Read and released as parsed, but for the settings (evaluated at once).
        assert_eq!(cache.python_trees_loaded(), (1, total));
        let models = project.files[0].python().map(|m| m.orm().classes.len());
        assert_eq!(models, Some(1));
        assert_eq!(cache.python_trees_loaded(), (1, total), "the extraction was kept");
        let errors = project.files[1].syntax_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(cache.python_trees_loaded(), (2, total), "parsed again for its errors");
        // Not released while a model holds the file; released once idle for a pass.
        cache.release_idle_trees();
        assert_eq!(cache.python_trees_loaded(), (2, total));
        drop(project);
        cache.release_idle_trees();
        assert_eq!(cache.python_trees_loaded(), (2, total), "used since the last pass");
        cache.release_idle_trees();
        assert_eq!(cache.python_trees_loaded(), (0, total));
        // A keystroke: the edited file keeps its tree.
        if let Some(f) = files.get_mut(3) {
            f.2 = "x = 2\n".to_owned();
        }
        let again = Project::build(options, files);
        assert_eq!(cache.python_trees_loaded(), (1, total));
        assert_eq!(again.files[1].syntax_errors(), errors);
    }

    #[test]
    fn names_differ_by_the_last_component() {
        assert!(names_differ(Path::new("/p/a/gunicorn.conf.py"), Path::new("/p/gunicorn.py")));
        assert!(!names_differ(Path::new("/p/a/gunicorn.conf.py"), Path::new("/q/./gunicorn.conf.py")));
        // Not plain names: what `file_name` says (`b/.` is `b`; `..` has no name).
        assert!(!names_differ(Path::new("/p/b/."), Path::new("/q/b")));
        assert!(!names_differ(Path::new("/p/b/.."), Path::new("/q/b")));
        assert!(!names_differ(Path::new("/p/b/"), Path::new("/q/b")));
    }

    #[test]
    fn versions_from_images_and_requirements() {
        let p = Project::from_sources(
            ProjectOptions::default(),
            &[
                ("docker-compose.yml", "services:\n  web:\n    image: \"nginx:1.27-alpine\"\n  db:\n    image: postgres:16\n"),
                ("Dockerfile", "FROM python:3.12-slim\n"),
                ("requirements.txt", "Django==5.2.8\n"),
            ],
        );
        assert_eq!(p.versions.nginx.as_ref().map(|v| v.version.text.as_str()), Some("1.27"));
        assert_eq!(p.versions.postgres.as_ref().map(|v| v.version.text.as_str()), Some("16"));
        assert_eq!(p.versions.django.as_ref().map(|v| v.version.text.as_str()), Some("5.2.8"));
        let f = p.file(Path::new("docker-compose.yml")).unwrap();
        let Some(KnownVersion { source: VersionSource::File { range, .. }, .. }) = &p.versions.nginx else { panic!() };
        assert_eq!(range.slice(&f.text), "1.27-alpine");
    }
}
