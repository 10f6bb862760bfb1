//! Calling the engine: the same [`stacklint_workspace::run`] as the CLI, on the workspace
//! folders with the open buffers in place of the disk, off the async runtime and with its
//! panics caught.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use stacklint_diagnostics::Diagnostic;
use stacklint_linter::FixMode;
use stacklint_project::{FileKind, ParseCache};
use stacklint_text::{LineIndex, PositionEncoding};
use stacklint_workspace::{DiskCache, Overrides, RunRequest, run};

use crate::convert::Text;

/// What to lint.
#[derive(Clone, Debug, Default)]
pub struct LintInput {
    /// The workspace folders: each is linted whole (discovery, every project in it).
    pub roots: Vec<PathBuf>,
    /// Every open buffer, by path.
    pub buffers: Vec<(PathBuf, String)>,
    pub overrides: Overrides,
    /// The session's parsed files: a run parses only what changed since the last one.
    pub parse_cache: Option<ParseCache>,
    /// The discovery and the disk's texts, kept while the client reports file changes.
    pub disk_cache: Option<DiskCache>,
}

/// What a lint found: findings per file and the texts they point into.
#[derive(Debug, Default)]
pub struct LintResult {
    pub findings: HashMap<PathBuf, Vec<Diagnostic>>,
    /// The text each linted file had (the buffer's for an open one).
    pub sources: HashMap<PathBuf, Source>,
    pub kinds: HashMap<PathBuf, FileKind>,
    /// Configuration errors (a run that could not start), for the user.
    pub errors: Vec<String>,
    /// Discovery warnings, for the log.
    pub warnings: Vec<String>,
}

/// A linted text, with its line index made when first needed (most files never are).
#[derive(Debug)]
pub struct Source {
    pub text: String,
    index: OnceLock<LineIndex>,
}

impl Source {
    pub fn new(text: String) -> Source {
        Source { text, index: OnceLock::new() }
    }

    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The text for conversions in `encoding`.
    pub fn at(&self, encoding: PositionEncoding) -> Text<'_> {
        Text { text: &self.text, index: self.index(), encoding }
    }
}

impl LintResult {
    fn absorb(&mut self, outcome: stacklint_workspace::RunOutcome) {
        for d in outcome.diagnostics {
            self.findings.entry(d.file.clone()).or_default().push(d);
        }
        self.sources.extend(outcome.sources.into_iter().map(|(p, t)| (p, Source::new(t))));
        self.kinds.extend(outcome.files);
        // A broken configuration or an unreadable folder leaves files unlinted: the user
        // must hear of it; the rest goes to the log.
        for w in &outcome.warnings {
            if w.is_error() { &mut self.errors } else { &mut self.warnings }.push(w.to_string());
        }
    }
}

/// Lint the workspace folders with the buffers in place, then, alone in their project's
/// context (as `--stdin-filename` does), the buffers no folder holds. A buffer inside a
/// folder that the run did not lint is excluded or of no known kind: it stays unlinted.
pub fn lint(input: &LintInput) -> LintResult {
    let mut result = LintResult::default();
    if let Some(cache) = &input.parse_cache {
        cache.release_idle_trees();
    }
    if !input.roots.is_empty() {
        let request = RunRequest {
            paths: input.roots.clone(),
            overrides: input.overrides.clone(),
            buffers: input.buffers.clone(),
            parse_cache: input.parse_cache.clone(),
            disk_cache: input.disk_cache.clone(),
            ..RunRequest::default()
        };
        match run(&request) {
            Ok(outcome) => result.absorb(outcome),
            Err(e) => result.errors.push(e.to_string()),
        }
    }
    for (path, text) in &input.buffers {
        if input.roots.iter().any(|r| path.starts_with(r)) {
            continue;
        }
        let request = RunRequest {
            overrides: input.overrides.clone(),
            stdin: Some((path.clone(), text.clone())),
            ..RunRequest::default()
        };
        match run(&request) {
            Ok(outcome) => result.absorb(outcome),
            Err(e) => result.errors.push(e.to_string()),
        }
    }
    result
}

/// The buffer at `path` with its fixes applied to a fixpoint (safe ones; unsafe ones too
/// with `unsafe_fixes`), linted in its project's context as `stacklint check --fix
/// --stdin-filename` does. `None` when nothing changes.
pub fn fix_buffer(
    path: &Path,
    text: &str,
    overrides: &Overrides,
    unsafe_fixes: bool,
) -> Result<Option<String>, String> {
    let request = RunRequest {
        overrides: overrides.clone(),
        fix: Some(if unsafe_fixes { FixMode::Unsafe } else { FixMode::Safe }),
        diff: true,
        stdin: Some((path.to_path_buf(), text.to_owned())),
        ..RunRequest::default()
    };
    let outcome = run(&request).map_err(|e| e.to_string())?;
    Ok(outcome
        .fixed
        .into_iter()
        .find(|f| f.path == path && f.new != text)
        .map(|f| f.new))
}

/// Run `work` on the blocking pool; a panic inside it becomes `Err` with its message, so
/// one bad input costs one answer, not the server.
pub async fn guarded<T, F>(work: F) -> Result<T, String>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Err(format!("the engine panicked: {message}"))
        }
        Err(e) => Err(format!("the engine task was cancelled: {e}")),
    }
}
