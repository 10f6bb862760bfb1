//! From paths on disk to findings and fixed files: discovery, reading, building each
//! project's model, linting or fixing, and writing fixes atomically.
//!
//! The CLI and the language server both call [`run`]; neither has rule logic of its own.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use stacklint_diagnostics::{Diagnostic, Severity, TextRange, unified_diff};
use stacklint_linter::{DroppedFix, FixMode, LinterSettings, fix_project, lint};
use stacklint_project::{
    FileKind, KnownVersion, Project, ProjectOptions, Version, VersionSource, Versions,
};

use crate::config::Config;
use crate::discovery::{DiscoveredFile, DiscoveryWarning, discover};
use crate::error::ConfigError;
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
    /// Files changed by fixes (written unless `diff`).
    pub fixed: Vec<FixedFile>,
    /// How many fixes were applied (or would be, with `diff`).
    pub fixes_applied: usize,
    pub dropped: Vec<DroppedFix>,
    /// Discovery warnings (missing paths, unknown kinds, unreadable directories).
    pub warnings: Vec<DiscoveryWarning>,
    /// Set when a named path was missing or a file could not be read or written: exit code 2.
    pub io_error: bool,
    /// Messages for failed writes.
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
    }
}

/// Read, build, lint (or fix) one project of the discovery.
fn run_project(
    project: &crate::discovery::Project,
    request: &RunRequest,
    stdin_path: Option<&PathBuf>,
) -> Result<RunOutcome, RunError> {
    let mut outcome = RunOutcome::default();
    let stdin_path = &stdin_path.cloned();
    let settings = linter_settings(&project.config)?;
    let options = project_options(&project.root, &project.config);
    let mut files: Vec<(PathBuf, FileKind, String)> = Vec::with_capacity(project.files.len());
    for file in &project.files {
        let text = match (&stdin_path, &request.stdin) {
            (Some(p), Some((_, text))) if *p == file.path => Ok(text.clone()),
            _ => read_source(file),
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
    if let (Some(p), Some((_, text))) = (&stdin_path, &request.stdin)
        && !files.iter().any(|(path, _, _)| path == p)
    {
        let kind = crate::discovery::detect_kind(&project.config, p, Some(text), true)
            .ok()
            .flatten()
            .unwrap_or(FileKind::Python);
        files.push((p.clone(), kind, text.clone()));
    }
    outcome
        .files
        .extend(files.iter().map(|(p, k, _)| (p.clone(), *k)));
    let originals: HashMap<PathBuf, String> = files
        .iter()
        .map(|(p, _, t)| (p.clone(), t.clone()))
        .collect();
    let mode = request.fix.or(request.diff.then_some(FixMode::Safe));
    if let Some(mode) = mode {
        let fixed = fix_project(&options, files, &settings, mode);
        outcome.fixes_applied += fixed.applied_count();
        outcome.dropped.extend(fixed.dropped);
        outcome.diagnostics.extend(fixed.remaining);
        let mut sources = originals.clone();
        for (path, new) in fixed.changed {
            let old = originals.get(&path).cloned().unwrap_or_default();
            let new = keep_line_endings(&old, new);
            sources.insert(path.clone(), new.clone());
            outcome.fixed.push(FixedFile { path, old, new });
        }
        outcome.sources.extend(sources);
    } else {
        let model = Project::build(options, files);
        outcome.diagnostics.extend(lint(&model, &settings));
        outcome.sources.extend(originals);
        // Freeing thousands of syntax trees takes a quarter of a run: do it off the
        // critical path (a CLI exits before it finishes; a server frees it meanwhile).
        std::thread::spawn(move || drop(model));
    }
    Ok(outcome)
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
    let mut paths = request.paths.clone();
    let stdin_path = request.stdin.as_ref().map(|(p, _)| absolute(p));
    if let Some(p) = &stdin_path {
        // Lint the stdin file within its project: discover the folder that holds it.
        paths = vec![
            p.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        ];
    }
    let discovery = discover(&paths, request.config.as_deref(), &request.overrides)?;
    let mut outcome = RunOutcome {
        warnings: discovery.warnings.clone(),
        ..RunOutcome::default()
    };
    outcome.io_error = discovery.warnings.iter().any(DiscoveryWarning::is_error);

    // Projects are independent: lint them side by side (each also parses in parallel).
    let parts: Vec<Result<RunOutcome, RunError>> = discovery
        .projects
        .par_iter()
        .map(|project| run_project(project, request, stdin_path.as_ref()))
        .collect();
    for part in parts {
        let part = part?;
        outcome.diagnostics.extend(part.diagnostics);
        outcome.sources.extend(part.sources);
        outcome.files.extend(part.files);
        outcome.fixed.extend(part.fixed);
        outcome.fixes_applied += part.fixes_applied;
        outcome.dropped.extend(part.dropped);
        outcome.io_error |= part.io_error;
    }
    if let Some(p) = &stdin_path {
        outcome.diagnostics.retain(|d| &d.file == p);
    }
    if request.fix.is_some() && !request.diff && request.stdin.is_none() {
        for f in &outcome.fixed {
            if let Err(e) = write_atomic(&f.path, &f.new) {
                outcome.io_error = true;
                outcome.write_errors.push(format!(
                    "{}: could not write the fixed file: {e}",
                    f.path.display()
                ));
            }
        }
    }
    outcome
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(outcome)
}

/// Read a file as UTF-8 text, or say why not (binary, invalid UTF-8, too large, IO).
pub fn read_source(file: &DiscoveredFile) -> Result<String, String> {
    let meta = fs::metadata(&file.path).map_err(|e| io_reason(&e))?;
    if meta.len() > MAX_FILE_BYTES {
        #[allow(clippy::cast_precision_loss)]
        let mib = meta.len() as f64 / 1024.0 / 1024.0;
        return Err(format!(
            "file is {mib:.1} MiB; stacklint does not lint files over {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    let bytes = fs::read(&file.path).map_err(|e| io_reason(&e))?;
    decode(bytes)
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

/// Fixes write `\n`; a CRLF file gets CRLF in the lines they added.
fn keep_line_endings(old: &str, new: String) -> String {
    if stacklint_text::line_ending(old) != "\r\n" {
        return new;
    }
    let mut out = String::with_capacity(new.len() + 16);
    let mut prev = '\0';
    for c in new.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// Write through a temporary file in the same folder and rename it over the target, so a
/// crash never leaves a half-written file; the target's permissions are kept.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.stacklint-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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
    fn crlf_is_kept() {
        assert_eq!(
            keep_line_endings("a\r\nb\r\n", "a\r\nb\r\nc\n".to_string()),
            "a\r\nb\r\nc\r\n"
        );
        assert_eq!(keep_line_endings("a\n", "a\nc\n".to_string()), "a\nc\n");
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
}
