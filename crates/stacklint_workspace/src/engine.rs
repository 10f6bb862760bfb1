//! From paths on disk to findings and fixed files: discovery, reading, building each
//! project's model, linting or fixing, and writing fixes atomically.
//!
//! The CLI and the language server both call [`run`]; neither has rule logic of its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use stacklint_diagnostics::{Diagnostic, Severity, TextRange, unified_diff};
use stacklint_linter::{DroppedFix, FixMode, LinterSettings, Oscillation, fix_project, lint};
use stacklint_project::{
    ContextReader, FileKind, KnownVersion, ParseCache, Project, ProjectOptions, Version,
    VersionSource, Versions,
};

use crate::config::Config;
use crate::discovery::{DiscoveredFile, DiscoveryWarning, detect_kind, discover, resolve_config};
use crate::disk_cache::{DiscoveryKey, DiskCache};
use crate::error::ConfigError;
use crate::fsio::{WriteError, open_regular, read_limited, write_fixed};
use crate::{Overrides, paths::absolute};

/// Files above this size are reported (SYN004) instead of parsed.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    pub paths: Vec<PathBuf>,
    /// `--config`.
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    /// `--fix` / `--unsafe-fixes`.
    pub fix: Option<FixMode>,
    /// `--diff`: compute the fixes, write nothing.
    pub diff: bool,
    /// `--stdin-filename`: this path's text comes from here instead of the disk.
    pub stdin: Option<(PathBuf, String)>,
    /// Open editor buffers (the language server): each path's text replaces the disk's in
    /// a whole-project run, so unsaved edits count and cross-file rules see them. A buffer
    /// for a file discovery does not list (new, or not saved yet) joins the deepest
    /// project holding it when its kind can be told from its name or text. Ignored with
    /// `stdin`.
    pub buffers: Vec<(PathBuf, String)>,
    /// Parsed files kept between runs (the language server's): unchanged files are not
    /// parsed again. After a run it holds the files that run linted. Ignored with `stdin`.
    pub parse_cache: Option<ParseCache>,
    /// The discovery and the disk's texts kept between runs (the language server's, when
    /// its client reports file changes). Ignored with `stdin`.
    pub disk_cache: Option<DiskCache>,
}

/// A file whose text a fix changed.
#[derive(Clone, Debug)]
pub struct FixedFile {
    pub path: PathBuf,
    pub old: String,
    pub new: String,
}

impl FixedFile {
    /// The change as a unified diff, the path shown relative to `cwd`.
    pub fn diff(&self, cwd: &Path) -> String {
        let shown = self.path.strip_prefix(cwd).unwrap_or(&self.path);
        unified_diff(
            &shown.to_string_lossy().replace('\\', "/"),
            &self.old,
            &self.new,
        )
    }
}

/// What a run found and did.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// Findings left (after fixing, when fixing), sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every linted file (the fixed text after `--fix`), for rendering.
    pub sources: HashMap<PathBuf, String>,
    /// The files linted, with their kinds (`--show-files`).
    pub files: Vec<(PathBuf, FileKind)>,
    /// Files changed by fixes (written unless `diff`, standard input, or a write was refused).
    pub fixed: Vec<FixedFile>,
    /// How many fixes were applied in memory (or would be, with `diff`).
    pub fixes_applied: usize,
    /// With `--fix`: how many of the changed files were written.
    pub files_written: usize,
    /// With `--fix`: how many fixes the written files hold. `None` when a project had a file
    /// that was not written: the fix loop counts fixes per rule, not per file, so the part
    /// that reached the disk is not known exactly (and is not claimed).
    pub fixes_written: Option<usize>,
    pub dropped: Vec<DroppedFix>,
    /// Files whose fixes did not converge, with the rules that kept changing them.
    pub oscillating: Vec<Oscillation>,
    /// Discovery warnings (missing paths, unknown kinds, unreadable directories).
    pub warnings: Vec<DiscoveryWarning>,
    /// Set when a named path was missing or a file could not be read or written: exit code 2.
    pub io_error: bool,
    /// Messages for fixed files that were not written (failed, changed since read, outside
    /// the project).
    pub write_errors: Vec<String>,
}

/// Errors that stop a run before linting: bad configuration or rule selectors.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{origin}: {message}")]
    Selector { origin: String, message: String },
}

/// Turn a configuration into linter settings, validating every rule selector.
pub fn linter_settings(config: &Config) -> Result<LinterSettings, RunError> {
    let origin = || {
        config
            .path
            .as_ref()
            .map_or_else(|| "command line".to_string(), |p| p.display().to_string())
    };
    let err = |message: String| RunError::Selector {
        origin: origin(),
        message,
    };
    let mut settings = LinterSettings::from_selectors(
        config.select.as_deref(),
        &config.extend_select,
        &config.ignore,
    )
    .map_err(|e| err(e.to_string()))?;
    for (selector, severity) in &config.severity {
        settings
            .set_severity(selector, *severity)
            .map_err(|e| err(format!("[severity]: {e}")))?;
    }
    for (glob, selectors) in config.per_file_ignores.iter() {
        let glob = if glob.contains('/') {
            glob.trim_start_matches('/').to_string()
        } else {
            format!("**/{glob}")
        };
        settings
            .add_per_file_ignore(&glob, selectors)
            .map_err(|e| err(format!("per-file-ignores: {e}")))?;
    }
    Ok(settings)
}

/// Check the command line's rule selectors before any configuration, so errors name the flag.
fn validate_overrides(overrides: &Overrides) -> Result<(), RunError> {
    let flags = [
        ("--select", overrides.select.as_deref().unwrap_or_default()),
        ("--ignore", &overrides.ignore[..]),
        ("--extend-select", &overrides.extend_select[..]),
    ];
    for (flag, selectors) in flags {
        for s in selectors {
            if let Err(suggestion) = stacklint_linter::select_rules(s) {
                let e = stacklint_linter::SelectorError {
                    selector: s.clone(),
                    suggestion,
                };
                return Err(RunError::Selector {
                    origin: flag.to_string(),
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// The model's options for a project governed by `config`.
pub fn project_options(root: &Path, config: &Config) -> ProjectOptions {
    let mut versions = Versions::default();
    let declared = [
        ("nginx", &config.versions.nginx),
        ("postgres", &config.versions.postgres),
        ("redis", &config.versions.redis),
        ("django", &config.versions.django),
        ("gunicorn", &config.versions.gunicorn),
    ];
    for (name, value) in declared {
        if let Some(version) = value.as_deref().and_then(Version::parse) {
            versions.offer(
                name,
                KnownVersion {
                    version,
                    source: VersionSource::Config,
                    exact: true,
                },
            );
        }
    }
    ProjectOptions {
        root: root.to_path_buf(),
        target: config.target.clone(),
        versions,
        django_settings_module: config.django_settings_module.clone(),
        reader: {
            let root = root.to_path_buf();
            ContextReader::new(move |path| read_context(&root, path))
        },
        parse_cache: None,
    }
}

/// Read, build, lint (or fix) one project of the discovery.
#[cfg(test)]
fn run_project(
    project: &crate::discovery::Project,
    request: &RunRequest,
) -> Result<RunOutcome, RunError> {
    run_project_with(project, request, &[])
}

/// [`run_project`] with the open buffers discovery did not list that belong to it.
fn run_project_with(
    project: &crate::discovery::Project,
    request: &RunRequest,
    unlisted: &[(PathBuf, &str)],
) -> Result<RunOutcome, RunError> {
    let mut outcome = RunOutcome::default();
    let settings = linter_settings(&project.config)?;
    let options = ProjectOptions {
        parse_cache: request.parse_cache.clone(),
        ..project_options(&project.root, &project.config)
    };
    let buffers: HashMap<PathBuf, &str> = request
        .buffers
        .iter()
        .map(|(p, t)| (absolute(p), t.as_str()))
        .collect();
    let mut files: Vec<(PathBuf, FileKind, String)> =
        Vec::with_capacity(project.files.len() + unlisted.len());
    for (path, text) in unlisted {
        if let Ok(Some(kind)) = detect_kind(&project.config, path, Some(text), false) {
            files.push((path.clone(), kind, (*text).to_owned()));
        }
    }
    for file in &project.files {
        let text = match (buffers.get(&file.path), &request.disk_cache) {
            (Some(text), _) => Ok((*text).to_owned()),
            (None, Some(cache)) => cache.text(&file.path, || read_source(file)),
            (None, None) => read_source(file),
        };
        match text {
            Ok(text) => files.push((file.path.clone(), file.kind, text)),
            Err(reason) => {
                outcome.io_error = true;
                outcome
                    .diagnostics
                    .push(unreadable(&file.path, reason, &settings));
            }
        }
    }
    outcome
        .files
        .extend(files.iter().map(|(p, k, _)| (p.clone(), *k)));
    lint_or_fix(&mut outcome, &options, files, &settings, request);
    Ok(outcome)
}

/// Lint `files`, or fix them (`request.fix`/`request.diff`), into `outcome`.
fn lint_or_fix(
    outcome: &mut RunOutcome,
    options: &ProjectOptions,
    files: Vec<(PathBuf, FileKind, String)>,
    settings: &LinterSettings,
    request: &RunRequest,
) {
    // Nothing to lint: no thread pool, no model (an editor's or a hook's empty run).
    if files.is_empty() {
        return;
    }
    let originals: HashMap<PathBuf, String> = files
        .iter()
        .map(|(p, _, t)| (p.clone(), t.clone()))
        .collect();
    let mode = request.fix.or(request.diff.then_some(FixMode::Safe));
    if let Some(mode) = mode {
        let fixed = fix_project(options, files, settings, mode);
        outcome.fixes_applied += fixed.applied_count();
        outcome.dropped.extend(fixed.dropped);
        outcome.oscillating.extend(fixed.oscillating);
        outcome.diagnostics.extend(fixed.remaining);
        let mut sources = originals.clone();
        for (path, new) in fixed.changed {
            let old = originals.get(&path).cloned().unwrap_or_default();
            sources.insert(path.clone(), new.clone());
            outcome.fixed.push(FixedFile { path, old, new });
        }
        outcome.sources.extend(sources);
    } else {
        let model = Project::build(options.clone(), files);
        outcome.diagnostics.extend(lint(&model, settings));
        outcome.sources.extend(originals);
        // Freeing thousands of syntax trees takes a quarter of a run: do it off the
        // critical path (a CLI exits before it finishes; a server frees it meanwhile).
        std::thread::spawn(move || drop(model));
    }
}

/// Discover, read, lint (and fix) everything the request names. This is what the CLI runs;
/// another tool (a CI bot, an editor plugin) can embed it the same way.
///
/// ```
/// use stacklint_linter::FixMode;
/// use stacklint_workspace::{RunRequest, run};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("gunicorn.conf.py"), "workers: 9\nmax_requests = 1000\nmax_requests_jitter = 50\n")?;
///
/// // Lint: `workers: 9` is an annotation gunicorn never sees.
/// let found = run(&RunRequest { paths: vec![dir.path().to_path_buf()], ..RunRequest::default() })?;
/// assert!(found.diagnostics.iter().any(|d| d.code == "GUN011"));
///
/// // Fix without writing (`--diff`): the new text and a unified diff.
/// let fixed = run(&RunRequest { paths: vec![dir.path().to_path_buf()], fix: Some(FixMode::Safe), diff: true, ..RunRequest::default() })?;
/// let file = fixed.fixed.iter().find(|f| f.path.ends_with("gunicorn.conf.py")).unwrap();
/// assert!(file.new.starts_with("workers = 9\n"));
/// assert!(file.diff(dir.path()).contains("-workers: 9\n+workers = 9\n"));
/// # Ok(())
/// # }
/// ```
pub fn run(request: &RunRequest) -> Result<RunOutcome, RunError> {
    validate_overrides(&request.overrides)?;
    if let Some((path, text)) = &request.stdin {
        return run_stdin(request, path, text);
    }
    let discover_now = || discover(&request.paths, request.config.as_deref(), &request.overrides);
    let discovery = match &request.disk_cache {
        Some(cache) => {
            let key = DiscoveryKey { paths: request.paths.clone(), config: request.config.clone(), overrides: request.overrides.clone() };
            cache.discovery(key, discover_now)?
        }
        None => Arc::new(discover_now()?),
    };
    let mut outcome = RunOutcome {
        warnings: discovery.warnings.clone(),
        fixes_written: Some(0),
        ..RunOutcome::default()
    };
    outcome.io_error = discovery.warnings.iter().any(DiscoveryWarning::is_error);

    // Projects are independent: lint them side by side (each also parses in parallel).
    // One project needs no pool of its own here (starting the pool is most of a small run).
    let unlisted = unlisted_buffers(&discovery, request);
    let run_one = |(i, project): (usize, &crate::discovery::Project)| {
        let mine: Vec<(PathBuf, &str)> = unlisted
            .iter()
            .filter(|(owner, _, _)| *owner == i)
            .map(|(_, p, t)| (p.clone(), *t))
            .collect();
        run_project_with(project, request, &mine)
    };
    let parts: Vec<Result<RunOutcome, RunError>> = if discovery.projects.len() > 1 {
        discovery.projects.par_iter().enumerate().map(run_one).collect()
    } else {
        discovery.projects.iter().enumerate().map(run_one).collect()
    };
    let write = request.fix.is_some() && !request.diff;
    for (project, part) in discovery.projects.iter().zip(parts) {
        let mut part = part?;
        if write {
            let unwritten = write_project(&mut outcome, &part.fixed, &project.root);
            outcome.fixes_written = outcome
                .fixes_written
                .zip(unwritten.is_empty().then_some(part.fixes_applied))
                .map(|(a, b)| a + b);
            if !unwritten.is_empty() {
                restore_unwritten(&mut part, project, &unwritten)?;
            }
        }
        outcome.diagnostics.extend(part.diagnostics);
        outcome.sources.extend(part.sources);
        outcome.files.extend(part.files);
        outcome.fixed.extend(part.fixed);
        outcome.fixes_applied += part.fixes_applied;
        outcome.dropped.extend(part.dropped);
        outcome.oscillating.extend(part.oscillating);
        outcome.io_error |= part.io_error;
    }
    if !write {
        outcome.fixes_written = None;
    }
    if let Some(cache) = &request.parse_cache {
        cache.retain(|p| outcome.sources.contains_key(p));
    }
    if let Some(cache) = &request.disk_cache {
        cache.retain(|p| outcome.sources.contains_key(p));
    }
    outcome
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(outcome)
}

/// The open buffers no project lists, each with the index of the deepest project whose
/// root holds it (and whose configuration does not exclude it).
fn unlisted_buffers<'r>(
    discovery: &crate::discovery::Discovery,
    request: &'r RunRequest,
) -> Vec<(usize, PathBuf, &'r str)> {
    if request.buffers.is_empty() {
        return Vec::new();
    }
    let listed: HashSet<&Path> = discovery.files().map(|(_, f)| f.path.as_path()).collect();
    request
        .buffers
        .iter()
        .filter_map(|(path, text)| {
            let path = absolute(path);
            if listed.contains(path.as_path()) {
                return None;
            }
            let (owner, project) = discovery
                .projects
                .iter()
                .enumerate()
                .filter(|(_, p)| path.starts_with(&p.root))
                .max_by_key(|(_, p)| p.root.components().count())?;
            (!project.config.is_excluded(&path)).then_some((owner, path, text.as_str()))
        })
        .collect()
}

/// The models of the projects under `paths` (discovered, read and parsed; not linted):
/// what `stacklint model` prints. Files that cannot be read are left out, with a warning.
pub fn build_models(
    paths: &[PathBuf],
    config: Option<&Path>,
    overrides: &Overrides,
) -> Result<Models, RunError> {
    build_models_with(paths, config, overrides, &HashMap::new())
}

/// [`build_models`] with the text of some files replaced (fixed in memory, say): a file
/// in `texts` is not read from the disk.
pub fn build_models_with<S: std::hash::BuildHasher>(
    paths: &[PathBuf],
    config: Option<&Path>,
    overrides: &Overrides,
    texts: &HashMap<PathBuf, String, S>,
) -> Result<Models, RunError> {
    validate_overrides(overrides)?;
    let discovery = discover(paths, config, overrides)?;
    let mut warnings: Vec<String> = discovery.warnings.iter().map(ToString::to_string).collect();
    // As `check` exits 2 for them: files left out because a path, a configuration or a
    // file could not be read.
    let mut incomplete = discovery.warnings.iter().any(DiscoveryWarning::is_error);
    let mut models = Vec::with_capacity(discovery.projects.len());
    for project in &discovery.projects {
        let mut files = Vec::with_capacity(project.files.len());
        for file in &project.files {
            if let Some(text) = texts.get(&file.path) {
                files.push((file.path.clone(), file.kind, text.clone()));
                continue;
            }
            match read_source(file) {
                Ok(text) => files.push((file.path.clone(), file.kind, text)),
                Err(reason) => {
                    incomplete = true;
                    warnings.push(format!("{}: {reason}", file.path.display()));
                }
            }
        }
        models.push(Project::build(project_options(&project.root, &project.config), files));
    }
    Ok(Models { projects: models, warnings, incomplete })
}

/// The projects [`build_models`] builds, and what kept files out of them.
pub struct Models {
    pub projects: Vec<Project>,
    /// One line each, for standard error.
    pub warnings: Vec<String>,
    /// A named path was missing, a configuration broken or a file unreadable: files are
    /// missing from the models (exit 2, as `check` does).
    pub incomplete: bool,
}

/// Write one project's fixed files; the ones that were not written.
fn write_project(outcome: &mut RunOutcome, fixed: &[FixedFile], root: &Path) -> Vec<PathBuf> {
    let mut unwritten = Vec::new();
    for f in fixed {
        let boundary = crate::paths::boundary(&f.path, root);
        match write_fixed(&f.path, &f.old, &f.new, Some(&boundary)) {
            Ok(_) => outcome.files_written += 1,
            Err(e) => {
                unwritten.push(f.path.clone());
                outcome.io_error = true;
                let e = match e {
                    WriteError::Io(e) => WriteError::Io(io::Error::new(e.kind(), io_reason(&e))),
                    other => other,
                };
                outcome
                    .write_errors
                    .push(format!("{}: {e}", f.path.display()));
            }
        }
    }
    unwritten
}

/// A file whose fixes were not written still has the findings they would have fixed: lint
/// the project as it is on disk now (written files fixed, the others as read) and report
/// those files' findings from that, against the text as read.
fn restore_unwritten(
    part: &mut RunOutcome,
    project: &crate::discovery::Project,
    unwritten: &[PathBuf],
) -> Result<(), RunError> {
    for f in part.fixed.iter().filter(|f| unwritten.contains(&f.path)) {
        part.sources.insert(f.path.clone(), f.old.clone());
    }
    let files = part
        .files
        .iter()
        .filter_map(|(p, k)| part.sources.get(p).map(|t| (p.clone(), *k, t.clone())))
        .collect();
    let settings = linter_settings(&project.config)?;
    let model = Project::build(project_options(&project.root, &project.config), files);
    let fresh = lint(&model, &settings);
    part.diagnostics.retain(|d| !unwritten.contains(&d.file));
    part.diagnostics
        .extend(fresh.into_iter().filter(|d| unwritten.contains(&d.file)));
    Ok(())
}

/// At most this many files are read as context for a standard-input buffer.
const MAX_CONTEXT_FILES: usize = 256;

/// `--stdin-filename`: lint (or fix) the buffer alone, as the file at `path` of its project.
///
/// Only the configuration governing `path` is read (`--config`, else the closest one above
/// it, else the defaults rooted at its project, see [`resolve_config`]), so a broken `stacklint.toml` elsewhere in the tree cannot abort an editor's run.
/// Only the buffer is reported and only its fixed text is returned; nothing is written.
/// A buffer over [`MAX_FILE_BYTES`] is reported like a file that large.
fn run_stdin(request: &RunRequest, path: &Path, text: &str) -> Result<RunOutcome, RunError> {
    request.overrides.validate()?;
    let path = absolute(path);
    let config = resolve_config(&path, request.config.as_deref(), &request.overrides)?;
    let settings = linter_settings(&config)?;
    let mut outcome = RunOutcome::default();
    outcome.sources.insert(path.clone(), text.to_owned());
    if text.len() as u64 > MAX_FILE_BYTES {
        outcome.io_error = true;
        outcome
            .diagnostics
            .push(unreadable(&path, too_large(text.len() as u64), &settings));
        return Ok(outcome);
    }
    let Ok(Some(kind)) = detect_kind(&config, &path, Some(text), true) else {
        outcome
            .warnings
            .push(DiscoveryWarning::unknown_kind(path.clone(), text));
        return Ok(outcome);
    };
    outcome.files.push((path.clone(), kind));
    let mut files = vec![(path.clone(), kind, text.to_owned())];
    files.extend(stdin_context(&config, &path));
    let options = project_options(&config.root, &config);
    let context = files.clone();
    lint_or_fix(&mut outcome, &options, files, &settings, request);
    if outcome.fixed.iter().any(|f| f.path != path) {
        // Some fixes edited context files, which are never written: the findings they
        // removed are still there. Lint the fixed buffer among the files as they are.
        let buffer = outcome.fixed.iter().find(|f| f.path == path);
        let files = context
            .into_iter()
            .map(|(p, k, t)| match buffer {
                Some(b) if p == path => (p, k, b.new.clone()),
                _ => (p, k, t),
            })
            .collect();
        let model = Project::build(options.clone(), files);
        outcome.diagnostics = lint(&model, &settings);
    }
    // Context files are read for the model only: never reported, never fixed.
    outcome.diagnostics.retain(|d| d.file == path);
    outcome.dropped.retain(|d| d.diagnostic.file == path);
    outcome.fixed.retain(|f| f.path == path);
    outcome
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(outcome)
}

/// The files a standard-input buffer at `path` is linted with: what its project's model
/// needs, found without walking the tree.
///
/// The bound: the files (not folders) in the buffer's folder and in each folder above it up
/// to the project root (the configuration's folder), which is where a project keeps what
/// governs a file (the compose file, the Dockerfile, `gunicorn.conf.py`, the settings
/// package); plus what the compose files among them reference (each service's Dockerfile and
/// its bind-mounted files, or the files directly in a mounted folder), which is how nginx and
/// redis configs in other folders join the model. At most [`MAX_CONTEXT_FILES`] files, each
/// of a known kind, regular, inside the project, and readable (else silently left out: it is
/// context, not a finding). A folder that does not exist contributes nothing, so a buffer for
/// a file not yet saved is linted alone.
fn stdin_context(config: &Config, path: &Path) -> Vec<(PathBuf, FileKind, String)> {
    let root = config.root.as_path();
    let canonical_root = fs::canonicalize(root).ok();
    let mut seen: HashSet<PathBuf> = HashSet::from([path.to_path_buf()]);
    let mut out: Vec<(PathBuf, FileKind, String)> = Vec::new();
    let mut add = |candidate: PathBuf, out: &mut Vec<(PathBuf, FileKind, String)>| {
        if out.len() >= MAX_CONTEXT_FILES
            || !candidate.starts_with(root)
            || !seen.insert(candidate.clone())
        {
            return;
        }
        let hidden = candidate
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        // `metadata` follows links without opening: FIFOs and devices are never read.
        let is_file = fs::metadata(&candidate).is_ok_and(|m| m.is_file());
        if hidden || !is_file || config.is_excluded(&candidate) {
            return;
        }
        let inside = match (&canonical_root, fs::canonicalize(&candidate)) {
            (Some(r), Ok(c)) => c.starts_with(r),
            _ => false,
        };
        if !inside {
            return;
        }
        let Ok(Some(kind)) = detect_kind(config, &candidate, None, false) else {
            return;
        };
        let file = DiscoveredFile {
            path: candidate.clone(),
            kind,
            explicit: false,
        };
        if let Ok(text) = read_source(&file) {
            out.push((candidate, kind, text));
        }
    };
    let files_in = |dir: &Path| -> Vec<PathBuf> {
        let mut names: Vec<PathBuf> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        names
    };
    if let Some(parent) = path.parent() {
        for dir in parent.ancestors() {
            if !dir.starts_with(root) {
                break;
            }
            for file in files_in(dir) {
                add(file, &mut out);
            }
        }
    }
    let composes: Vec<(PathBuf, String)> = out
        .iter()
        .filter(|(_, k, _)| *k == FileKind::Compose)
        .map(|(p, _, t)| (p.clone(), t.clone()))
        .collect();
    for (compose, text) in composes {
        let dir = compose.parent().unwrap_or(root).to_path_buf();
        let parsed = stacklint_syntax::compose::parse(&text);
        for service in &parsed.tree.services {
            if let Some(build) = &service.build
                && build.dockerfile_inline.is_none()
                && !build.context_path().contains("://")
            {
                add(lexical(&dir.join(build.dockerfile_path())), &mut out);
            }
            for volume in &service.volumes {
                let Some(source) = volume
                    .source
                    .as_ref()
                    .filter(|_| volume.kind == stacklint_syntax::compose::VolumeKind::Bind)
                else {
                    continue;
                };
                if source.value.starts_with(['~', '$']) {
                    continue;
                }
                let host = lexical(&dir.join(&source.value));
                if host.is_dir() {
                    for file in files_in(&host) {
                        add(file, &mut out);
                    }
                } else {
                    add(host, &mut out);
                }
            }
        }
    }
    out
}

/// `a/./b/../c` as `a/c`, without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn too_large(len: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mib = len as f64 / 1024.0 / 1024.0;
    format!(
        "file is {mib:.1} MiB; stacklint does not lint files over {} MiB",
        MAX_FILE_BYTES / 1024 / 1024
    )
}

/// Read a file as UTF-8 text, or say why not (binary, invalid UTF-8, too large, not a
/// regular file, IO). A FIFO or device is refused without a blocking read.
pub fn read_source(file: &DiscoveredFile) -> Result<String, String> {
    read_path(&file.path)
}

fn read_path(path: &Path) -> Result<String, String> {
    let handle = open_regular(path).map_err(|e| io_reason(&e))?;
    let len = handle.metadata().map_err(|e| io_reason(&e))?.len();
    if len > MAX_FILE_BYTES {
        return Err(too_large(len));
    }
    let bytes = read_limited(handle, MAX_FILE_BYTES).map_err(|e| io_reason(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    decode(bytes)
}

/// A file the model reads as context (`.env`, `env_file`s, compose files named by
/// `extends`/`include`): only inside the project root (links resolved), `not found` when
/// it does not exist, else the reasons of [`read_source`].
fn read_context(root: &Path, path: &Path) -> Result<String, String> {
    let path = root.join(path);
    let real = match std::fs::canonicalize(&path) {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err("not found".to_owned()),
        Err(e) => return Err(io_reason(&e)),
    };
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !real.starts_with(&root) {
        return Err(format!("outside the project ({})", root.display()));
    }
    read_path(&real)
}

/// UTF-8 text (a BOM is kept as the file has it), or why the bytes are not text.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if let Some(pos) = bytes.iter().take(8192).position(|b| *b == 0) {
        return Err(format!("binary file (NUL byte at offset {pos})"));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes.iter().take(at).filter(|b| **b == b'\n').count() + 1;
        let col = at
            - bytes
                .iter()
                .take(at)
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        format!("invalid UTF-8 at line {line}, column {col} (byte offset {at})")
    })
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::NotFound => "no such file".to_string(),
        _ => e.to_string(),
    }
}

fn unreadable(path: &Path, reason: String, settings: &LinterSettings) -> Diagnostic {
    let rule = &stacklint_linter::rules::syntax::syn004_unreadable_file::RULE;
    Diagnostic {
        code: rule.code,
        name: rule.name,
        severity: settings
            .severity_override(rule.code)
            .unwrap_or(Severity::Error),
        message: format!("Cannot read the file: {reason}"),
        file: path.to_path_buf(),
        range: TextRange::empty(0),
        help: None,
        fix: None,
        related: Vec::new(),
    }
}

/// Write `text` to `path` through a temporary file renamed over it, so a crash never leaves
/// a half-written file. A symbolic link is written through to its target; permissions,
/// owner (when allowed) and hard links are kept. It does not check the file is unchanged:
/// [`write_fixed`] does, and is what `--fix` uses.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let old = match open_regular(path) {
        Ok(f) => decode(read_limited(f, MAX_FILE_BYTES)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return fs::write(path, text),
        Err(e) => return Err(e),
    };
    match write_fixed(path, &old, text, None) {
        Ok(_) => Ok(()),
        Err(WriteError::Io(e)) => Err(e),
        Err(e) => Err(io::Error::other(e.to_string())),
    }
}

/// Fixed files by path (for the language server and tests).
pub fn fixed_texts(outcome: &RunOutcome) -> BTreeMap<&Path, &str> {
    outcome
        .fixed
        .iter()
        .map(|f| (f.path.as_path(), f.new.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Open buffers replace the disk's text, and a buffer for a file not on disk yet joins
    /// its project.
    #[test]
    fn buffers_replace_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let good = "workers = 9\nmax_requests = 1000\nmax_requests_jitter = 50\n";
        fs::write(root.join("gunicorn.conf.py"), good).unwrap();
        fs::write(root.join("Dockerfile"), "FROM python:3.13\n").unwrap();
        let codes = |request: &RunRequest, name: &str| -> Vec<&'static str> {
            let found = run(request).unwrap();
            found
                .diagnostics
                .iter()
                .filter(|d| d.file.ends_with(name))
                .map(|d| d.code)
                .collect()
        };
        let mut request = RunRequest {
            paths: vec![root.to_path_buf()],
            ..RunRequest::default()
        };
        assert!(!codes(&request, "gunicorn.conf.py").contains(&"GUN011"));
        request.buffers = vec![(root.join("gunicorn.conf.py"), good.replace("workers =", "workers:"))];
        assert!(codes(&request, "gunicorn.conf.py").contains(&"GUN011"));
        // Not on disk: linted as part of the project all the same.
        request.buffers = vec![(root.join("new/gunicorn.conf.py"), "workers: 9\n".into())];
        assert!(codes(&request, "new/gunicorn.conf.py").contains(&"GUN011"));
        assert_eq!(fs::read_to_string(root.join("gunicorn.conf.py")).unwrap(), good);
    }

    #[test]
    fn decoding_reasons() {
        assert!(decode(b"a\x00b".to_vec()).unwrap_err().contains("binary"));
        assert_eq!(
            decode(b"ok\nx\xff".to_vec()).unwrap_err(),
            "invalid UTF-8 at line 2, column 2 (byte offset 4)"
        );
        assert_eq!(decode(b"fine".to_vec()).unwrap(), "fine");
    }

    #[test]
    fn atomic_write_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("entrypoint.sh");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&p, "new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// The context of a standard-input buffer: its folder and the folders above it up to the
    /// project root (not below, not beside), plus what the compose file references.
    #[test]
    fn stdin_context_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            ("stacklint.toml", "[target]\ncpus = 2\n"),
            (
                "compose.yaml",
                "services:\n  web:\n    build: ./app\n  nginx:\n    image: nginx\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./redis:/etc/redis\n",
            ),
            ("app/Dockerfile", "FROM python\n"),
            ("app/settings.py", "DEBUG = False\n"),
            ("app/gunicorn.conf.py", "workers = 2\n"),
            ("app/sub/deep_settings.py", "DEBUG = True\n"),
            ("nginx/nginx.conf", "events {}\n"),
            ("nginx/other.conf", "events {}\n"),
            ("redis/redis.conf", "maxmemory 1gb\n"),
            ("other/Procfile", "web: gunicorn app:app\n"),
        ];
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let config = crate::config::load_config(&root.join("stacklint.toml")).unwrap();
        let context = stdin_context(&config, &absolute(&root.join("app/settings.py")));
        let mut names: Vec<String> = context
            .iter()
            .map(|(p, k, _)| {
                format!(
                    "{} {}",
                    p.strip_prefix(absolute(root)).unwrap().display(),
                    k.name()
                )
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "app/Dockerfile dockerfile",
                "app/gunicorn.conf.py gunicorn",
                "compose.yaml compose",
                "nginx/nginx.conf nginx",
                "redis/redis.conf redis",
            ]
        );
        // A folder that does not exist: only what is above it.
        let context = stdin_context(&config, &absolute(&root.join("new/folder/settings.py")));
        assert_eq!(context.len(), 4, "compose.yaml and what it references");
    }

    #[test]
    fn fixed_counts_only_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("stacklint.toml"), "select = [\"SYN\"]\n").unwrap();
        let stale = "bind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]\n";
        fs::write(root.join("gunicorn.conf.py"), stale).unwrap();
        let outside = tempfile::tempdir().unwrap();
        let request = RunRequest {
            paths: vec![root.to_path_buf()],
            fix: Some(FixMode::Safe),
            ..RunRequest::default()
        };
        let done = run(&request).unwrap();
        assert_eq!((done.files_written, done.fixes_written), (1, Some(1)));
        assert!(done.write_errors.is_empty() && !done.io_error);

        // A fixed file that cannot be written is not counted, and says why.
        fs::write(root.join("gunicorn.conf.py"), stale).unwrap();
        fs::write(outside.path().join("shared.py"), stale).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("shared.py"), root.join("shared.py"))
            .unwrap();
        let mut outcome = RunOutcome::default();
        let fixed = |name: &str, old: &str| {
            [FixedFile {
                path: root.join(name),
                old: old.into(),
                new: String::new(),
            }]
        };
        assert_eq!(
            write_project(&mut outcome, &fixed("shared.py", stale), root),
            [root.join("shared.py")]
        );
        assert_eq!(
            write_project(
                &mut outcome,
                &fixed("gunicorn.conf.py", "something else\n"),
                root
            ),
            [root.join("gunicorn.conf.py")]
        );
        assert_eq!(outcome.files_written, 0);
        assert!(outcome.io_error);
        let shown: Vec<String> = outcome
            .write_errors
            .iter()
            .map(|e| e.replace(&*root.to_string_lossy(), "ROOT"))
            .collect();
        assert!(
            shown[0].starts_with("ROOT/shared.py: leads to ")
                && shown[0].ends_with(", outside the project; not fixed"),
            "{shown:?}"
        );
        assert_eq!(
            shown[1],
            "ROOT/gunicorn.conf.py: changed since it was read, not fixed"
        );
        assert_eq!(
            fs::read_to_string(root.join("gunicorn.conf.py")).unwrap(),
            stale
        );
        assert_eq!(
            fs::read_to_string(outside.path().join("shared.py")).unwrap(),
            stale
        );
    }

    /// A file that was not written keeps the findings its fixes would have removed.
    #[test]
    fn unwritten_files_keep_their_findings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("stacklint.toml"), "select = [\"SYN\"]\n").unwrap();
        let stale = "bind = \"0.0.0.0:8000\"  # stacklint: ignore[SYN001]\n";
        fs::write(root.join("gunicorn.conf.py"), stale).unwrap();
        let request = RunRequest {
            paths: vec![root.to_path_buf()],
            fix: Some(FixMode::Safe),
            ..RunRequest::default()
        };
        let found = discover(&request.paths, None, &request.overrides).unwrap();
        let project = &found.projects[0];
        let mut part = run_project(project, &request).unwrap();
        assert!(part.diagnostics.is_empty(), "fixed in memory");
        let path = absolute(&root.join("gunicorn.conf.py"));
        restore_unwritten(&mut part, project, std::slice::from_ref(&path)).unwrap();
        let codes: Vec<&str> = part.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["SYN003"]);
        assert_eq!(part.sources[&path], stale);
    }
}
