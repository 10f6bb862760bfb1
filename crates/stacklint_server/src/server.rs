//! The session: documents, settings, capabilities, the last run's findings, and the LSP
//! handlers that tie them to the engine. Handlers never block the runtime: engine work
//! runs on the blocking pool through [`guarded`], one run at a time.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use stacklint_diagnostics::Applicability;
use stacklint_project::ParseCache;
use stacklint_workspace::DiskCache;
use stacklint_text::PositionEncoding;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    CodeActionOptions, CodeActionOrCommand, CodeActionParams, CodeActionProviderCapability,
    CodeActionResponse, ConfigurationItem, DiagnosticOptions, DiagnosticServerCapabilities,
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentDiagnosticParams, FileChangeType,
    DocumentDiagnosticReport, DocumentDiagnosticReportResult,
    FullDocumentDiagnosticReport, Hover, HoverContents, HoverParams,
    HoverProviderCapability, InitializeParams, InitializeResult, InitializedParams,
    MarkupContent, MarkupKind, MessageType, Registration, RelatedFullDocumentDiagnosticReport,
    SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use tower_lsp_server::{Client, LanguageServer};

use crate::code_actions::{self, Context};
use crate::config::{ClientSettings, is_config_file};
use crate::convert::{self, apply_change, path_to_uri, uri_to_path};
use crate::diagnostics::{Publication, to_lsp};
use crate::{hover, service_hover, watch};
use crate::lint::{LintInput, LintResult, fix_buffer, guarded, lint};

/// How the server is built.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Accept `stacklint/debugPanic`, which panics inside the engine's thread (tests of
    /// the panic handling). Never on in `stacklint server`.
    pub test_hooks: bool,
}

/// An open document.
#[derive(Debug)]
struct Document {
    uri: Uri,
    version: i32,
    text: String,
}

/// What the client can do, from `initialize`.
#[derive(Clone, Copy, Debug, Default)]
struct ClientCaps {
    pull_diagnostics: bool,
    refresh_diagnostics: bool,
    document_changes: bool,
    watch_dynamic: bool,
    configuration: bool,
}

/// The findings of one run and the texts and versions they belong to.
#[derive(Debug, Default)]
struct Snapshot {
    result: LintResult,
    versions: HashMap<PathBuf, i32>,
    /// The document generation this run saw.
    generation: u64,
}

#[derive(Debug, Default)]
struct State {
    encoding: Option<PositionEncoding>,
    roots: Vec<PathBuf>,
    settings: ClientSettings,
    caps: ClientCaps,
    documents: HashMap<PathBuf, Document>,
    /// Bumped by every change that can change findings (text, disk, configuration).
    generation: u64,
    last: Arc<Snapshot>,
    /// Files with diagnostics pushed to the client (closed ones that a change implicated,
    /// and open ones in push mode): their URIs, to clear them.
    published: HashMap<PathBuf, Uri>,
    /// Configuration errors shown already (each is shown once until it goes away).
    shown_errors: HashSet<String>,
    /// Every linted file, parsed, kept for the next run (see [`ParseCache`]).
    parse_cache: ParseCache,
    /// The discovery and the disk's texts, kept once the client watches files for us.
    disk_cache: Option<DiskCache>,
}

impl State {
    /// What the engine needs to run on the workspace as the editor has it now.
    fn lint_input(&self) -> LintInput {
        LintInput {
            roots: self.roots.clone(),
            buffers: self.documents.iter().map(|(p, d)| (p.clone(), d.text.clone())).collect(),
            overrides: self.settings.overrides(),
            parse_cache: Some(self.parse_cache.clone()),
            disk_cache: self.disk_cache.clone(),
        }
    }
}

struct Inner {
    client: Client,
    state: Mutex<State>,
    /// One run at a time; a run started while another runs waits, then covers both.
    running: tokio::sync::Mutex<()>,
    options: Options,
}

/// The language server.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

impl Server {
    pub fn new(client: Client, options: Options) -> Server {
        Server {
            inner: Arc::new(Inner {
                client,
                state: Mutex::new(State::default()),
                running: tokio::sync::Mutex::new(()),
                options,
            }),
        }
    }

    /// `stacklint/debugPanic` (only with [`Options::test_hooks`]): panic inside the
    /// engine's thread, to prove the server survives it.
    pub async fn debug_panic(&self) -> Result<()> {
        if !self.inner.options.test_hooks {
            return Err(Error::method_not_found());
        }
        match guarded(forced_panic).await {
            Ok(()) => Ok(()),
            Err(message) => Err(self.internal_error(message).await),
        }
    }

    /// `stacklint/malformedMessage`: the transport received something it could not read.
    pub async fn malformed_message(&self, params: serde_json::Value) {
        let reason = params.get("reason").and_then(serde_json::Value::as_str).unwrap_or("a malformed message");
        self.log(MessageType::WARNING, format!("stacklint: ignored {reason}")).await;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A handler that panicked while holding the lock leaves the state as it was: keep
        // serving with it rather than failing every later request.
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn encoding(&self) -> PositionEncoding {
        self.state().encoding.unwrap_or(PositionEncoding::Utf16)
    }

    async fn log(&self, typ: MessageType, message: impl std::fmt::Display + Send) {
        self.inner.client.log_message(typ, message).await;
    }

    /// Log an internal error and turn it into the request's error answer.
    async fn internal_error(&self, message: String) -> Error {
        self.log(MessageType::ERROR, format!("stacklint: {message}")).await;
        let mut e = Error::internal_error();
        e.message = message.into();
        e
    }

    /// `path` changed on disk; `restructured`: files came or went, or what discovery reads
    /// changed.
    fn forget_disk(&self, path: &Path, restructured: bool) {
        if let Some(cache) = &self.state().disk_cache {
            cache.changed(path);
            if restructured {
                cache.restructured();
            }
        }
    }

    /// Something changed: run again (in the background) and publish what changed.
    fn changed(&self) {
        self.state().generation += 1;
        let server = self.clone();
        tokio::spawn(async move { server.refresh().await });
    }

    /// Make the last run cover every change so far (running when it does not), then
    /// publish. Returns the snapshot.
    async fn refresh(&self) -> Arc<Snapshot> {
        let _running = self.inner.running.lock().await;
        let (input, generation, versions) = {
            let state = self.state();
            if state.last.generation == state.generation && state.generation > 0 {
                return state.last.clone();
            }
            let input = state.lint_input();
            let versions: HashMap<PathBuf, i32> = state.documents.iter().map(|(p, d)| (p.clone(), d.version)).collect();
            (input, state.generation, versions)
        };
        let result = match guarded(move || lint(&input)).await {
            Ok(result) => result,
            Err(message) => {
                let _ = self.internal_error(message).await;
                return self.state().last.clone();
            }
        };
        for w in &result.warnings {
            self.log(MessageType::WARNING, format!("stacklint: {w}")).await;
        }
        self.show_errors(&result.errors).await;
        let snapshot = Arc::new(Snapshot { result, versions, generation });
        let previous = std::mem::replace(&mut self.state().last, snapshot.clone());
        self.publish(&previous, &snapshot).await;
        snapshot
    }

    /// Configuration errors as messages the user sees, each once while it lasts.
    async fn show_errors(&self, errors: &[String]) {
        let fresh: Vec<String> = {
            let mut state = self.state();
            let fresh = errors.iter().filter(|e| !state.shown_errors.contains(*e)).cloned().collect();
            state.shown_errors = errors.iter().cloned().collect();
            fresh
        };
        for e in fresh {
            self.log(MessageType::ERROR, format!("stacklint: {e}")).await;
            self.inner.client.show_message(MessageType::ERROR, format!("stacklint: {e}")).await;
        }
    }

    /// Push the diagnostics that changed between two runs ([`Publication`]); ask a pulling
    /// client to pull again when an open file's findings changed.
    async fn publish(&self, previous: &Snapshot, now: &Snapshot) {
        let encoding = self.encoding();
        let mut out = Vec::new();
        let mut refresh = false;
        {
            let mut state = self.state();
            let caps = state.caps;
            let policy = Publication {
                before: &previous.result.findings,
                after: &now.result.findings,
                first_run: previous.generation == 0,
                pull: caps.pull_diagnostics,
            };
            let mut paths: HashSet<PathBuf> = now.result.findings.keys().cloned().collect();
            paths.extend(previous.result.findings.keys().cloned());
            paths.extend(state.documents.keys().cloned());
            paths.extend(state.published.keys().cloned());
            for path in paths {
                let open = state.documents.contains_key(&path);
                let published = state.published.contains_key(&path);
                if open && caps.pull_diagnostics && previous.result.findings.get(&path) != now.result.findings.get(&path) {
                    refresh = true;
                }
                if !policy.should_publish(&path, open, published) {
                    continue;
                }
                let uri = match state.documents.get(&path) {
                    Some(d) => Some(d.uri.clone()),
                    None => state.published.get(&path).cloned().or_else(|| path_to_uri(&path)),
                };
                let Some(uri) = uri else { continue };
                let items: Vec<_> = now.result.findings.get(&path).map(|ds| ds.iter().map(|d| to_lsp(d, &now.result.sources, encoding)).collect()).unwrap_or_default();
                if items.is_empty() && !open {
                    state.published.remove(&path);
                } else {
                    state.published.insert(path.clone(), uri.clone());
                }
                out.push((uri, items, now.versions.get(&path).copied()));
            }
        }
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        for (uri, items, version) in out {
            self.inner.client.publish_diagnostics(uri, items, version).await;
        }
        if refresh && self.state().caps.refresh_diagnostics {
            let _ = self.inner.client.workspace_diagnostic_refresh().await;
        }
    }

    /// The path of a document the server can lint.
    fn path_of(uri: &Uri) -> Option<PathBuf> {
        uri_to_path(uri)
    }

    async fn fix_all(&self, path: &Path, snapshot: &Snapshot) -> Option<CodeActionOrCommand> {
        let source = snapshot.result.sources.get(path)?;
        let (overrides, unsafe_fixes) = {
            let state = self.state();
            (state.settings.overrides(), state.settings.unsafe_fixes)
        };
        let (p, text) = (path.to_path_buf(), source.text.clone());
        let fixed = match guarded(move || fix_buffer(&p, &text, &overrides, unsafe_fixes)).await {
            Ok(Ok(fixed)) => fixed?,
            Ok(Err(e)) => {
                self.log(MessageType::WARNING, format!("stacklint: fix all: {e}")).await;
                return None;
            }
            Err(message) => {
                let _ = self.internal_error(message).await;
                return None;
            }
        };
        let cx = self.context(snapshot);
        cx.fix_all(path, &fixed).map(CodeActionOrCommand::CodeAction)
    }

    fn context<'a>(&self, snapshot: &'a Snapshot) -> Context<'a> {
        let state = self.state();
        Context {
            sources: &snapshot.result.sources,
            kinds: &snapshot.result.kinds,
            versions: &snapshot.versions,
            encoding: state.encoding.unwrap_or(PositionEncoding::Utf16),
            document_changes: state.caps.document_changes,
        }
    }

    async fn register_watchers(&self) {
        let options = DidChangeWatchedFilesRegistrationOptions { watchers: watch::watchers() };
        let registration = Registration {
            id: "stacklint-watched-files".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: serde_json::to_value(options).ok(),
        };
        match self.inner.client.register_capability(vec![registration]).await {
            // From now on the client says what changes on disk: what is read is kept.
            Ok(()) => self.state().disk_cache = Some(DiskCache::new(watch::watched)),
            Err(e) => self.log(MessageType::WARNING, format!("stacklint: could not watch files: {e}")).await,
        }
    }

    /// The `stacklint` section of a pull-model client's settings (`workspace/configuration`).
    async fn pull_settings(&self) -> Option<serde_json::Value> {
        let item = ConfigurationItem { scope_uri: None, section: Some("stacklint".to_owned()) };
        let values = self.inner.client.configuration(vec![item]).await.ok()?;
        values.into_iter().next()
    }

    /// Take the client's settings (invalid ones are shown and ignored); whether they
    /// changed.
    async fn apply_settings(&self, value: &serde_json::Value) -> bool {
        match ClientSettings::from_json(value) {
            Ok(settings) => {
                let mut state = self.state();
                let changed = state.settings != settings;
                state.settings = settings;
                changed
            }
            Err(e) => {
                self.log(MessageType::ERROR, format!("stacklint: {e}")).await;
                self.inner.client.show_message(MessageType::ERROR, format!("stacklint: {e}")).await;
                false
            }
        }
    }
}

fn forced_panic() {
    panic!("forced by stacklint/debugPanic");
}

fn client_caps(params: &InitializeParams) -> ClientCaps {
    let caps = &params.capabilities;
    let workspace = caps.workspace.as_ref();
    ClientCaps {
        pull_diagnostics: caps.text_document.as_ref().is_some_and(|t| t.diagnostic.is_some()),
        refresh_diagnostics: workspace.and_then(|w| w.diagnostics.as_ref()).and_then(|d| d.refresh_support).unwrap_or(false),
        document_changes: workspace.and_then(|w| w.workspace_edit.as_ref()).and_then(|e| e.document_changes).unwrap_or(false),
        watch_dynamic: workspace.and_then(|w| w.did_change_watched_files.as_ref()).and_then(|d| d.dynamic_registration).unwrap_or(false),
        configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
    }
}

fn roots(params: &InitializeParams) -> Vec<PathBuf> {
    let from_folders: Vec<PathBuf> = params.workspace_folders.iter().flatten().filter_map(|f| uri_to_path(&f.uri)).collect();
    if !from_folders.is_empty() {
        return from_folders;
    }
    #[allow(deprecated)]
    let root = params.root_uri.as_ref().and_then(uri_to_path);
    root.into_iter().collect()
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = convert::negotiate(&params);
        let caps = client_caps(&params);
        let settings = params.initialization_options.as_ref().map(ClientSettings::from_json);
        {
            let mut state = self.state();
            state.encoding = Some(encoding);
            state.caps = caps;
            state.roots = roots(&params);
            if let Some(Ok(settings)) = &settings {
                state.settings = settings.clone();
            }
        }
        if let Some(Err(e)) = settings {
            self.log(MessageType::ERROR, format!("stacklint: initializationOptions: {e}")).await;
        }
        let capabilities = ServerCapabilities {
            position_encoding: Some(convert::encoding_kind(encoding)),
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
                ..TextDocumentSyncOptions::default()
            })),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![tower_lsp_server::ls_types::CodeActionKind::QUICKFIX, code_actions::fix_all_kind()]),
                ..CodeActionOptions::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            diagnostic_provider: caps.pull_diagnostics.then(|| {
                DiagnosticServerCapabilities::Options(DiagnosticOptions {
                    identifier: Some("stacklint".to_owned()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: false,
                    ..DiagnosticOptions::default()
                })
            }),
            ..ServerCapabilities::default()
        };
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo { name: "stacklint".to_owned(), version: Some(env!("CARGO_PKG_VERSION").to_owned()) }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let caps = self.state().caps;
        if caps.watch_dynamic {
            self.register_watchers().await;
        }
        // A pull-model client keeps its settings for us to ask for; what it answers wins
        // over `initializationOptions` (no answer, or `null`, keeps those).
        if caps.configuration
            && let Some(value) = self.pull_settings().await.filter(|v| !v.is_null())
            && self.apply_settings(&value).await
        {
            self.changed();
        }
        self.log(MessageType::INFO, format!("stacklint {} language server ready", env!("CARGO_PKG_VERSION"))).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let Some(path) = Self::path_of(&doc.uri) else { return };
        let clear = {
            let mut state = self.state();
            let pull = state.caps.pull_diagnostics;
            state.documents.insert(path.clone(), Document { uri: doc.uri.clone(), version: doc.version, text: doc.text });
            // A pulling client now pulls this file: drop what was pushed for it.
            (pull && state.published.remove(&path).is_some()).then_some(doc.uri)
        };
        if let Some(uri) = clear {
            self.inner.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
        self.changed();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = Self::path_of(&params.text_document.uri) else { return };
        {
            let mut state = self.state();
            let encoding = state.encoding.unwrap_or(PositionEncoding::Utf16);
            let Some(doc) = state.documents.get_mut(&path) else { return };
            for change in params.content_changes {
                apply_change(&mut doc.text, change, encoding);
            }
            doc.version = params.text_document.version;
        }
        self.changed();
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // The buffer was linted already; a saved configuration file changes what governs
        // the others (and is read from disk).
        let path = Self::path_of(&params.text_document.uri);
        let config = path.as_ref().is_some_and(|p| is_config_file(p));
        let open = path.as_ref().is_some_and(|p| self.state().documents.contains_key(p));
        if let Some(path) = &path {
            self.forget_disk(path, config || watch::restructures(path));
        }
        if config || !open {
            self.changed();
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = Self::path_of(&params.text_document.uri) else { return };
        let clear = {
            let mut state = self.state();
            state.documents.remove(&path);
            // What the disk holds now may not be what was read before it was opened.
            if let Some(cache) = &state.disk_cache {
                cache.changed(&path);
            }
            // Its findings go with it; a later change elsewhere may publish them again.
            state.published.remove(&path).is_some() || !state.caps.pull_diagnostics
        };
        if clear {
            self.inner.client.publish_diagnostics(params.text_document.uri, Vec::new(), None).await;
        }
        self.changed();
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let reload = params.changes.iter().filter_map(|c| uri_to_path(&c.uri)).any(|p| is_config_file(&p));
        for change in &params.changes {
            let Some(path) = uri_to_path(&change.uri) else { continue };
            let restructured = change.typ != FileChangeType::CHANGED || is_config_file(&path) || watch::restructures(&path);
            self.forget_disk(&path, restructured);
        }
        if reload {
            self.log(MessageType::INFO, "stacklint: configuration changed, linting again").await;
        }
        self.changed();
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let value = if params.settings.is_null() && self.state().caps.configuration {
            self.pull_settings().await.unwrap_or_default()
        } else {
            params.settings
        };
        if self.apply_settings(&value).await {
            self.changed();
        }
    }

    async fn diagnostic(&self, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
        let snapshot = self.refresh().await;
        let encoding = self.encoding();
        let items = Self::path_of(&params.text_document.uri)
            .and_then(|p| snapshot.result.findings.get(&p))
            .map(|ds| ds.iter().map(|d| to_lsp(d, &snapshot.result.sources, encoding)).collect())
            .unwrap_or_default();
        Ok(DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id: None, items },
        })))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(path) = Self::path_of(&params.text_document.uri) else { return Ok(None) };
        let snapshot = self.refresh().await;
        let Some(source) = snapshot.result.sources.get(&path) else { return Ok(None) };
        let encoding = self.encoding();
        let range = source.at(encoding).text_range(params.range);
        let only = params.context.only.as_deref();
        let findings = snapshot.result.findings.get(&path).map(Vec::as_slice).unwrap_or_default();
        let mut actions: Vec<CodeActionOrCommand> = Vec::new();
        if code_actions::wanted(only, &tower_lsp_server::ls_types::CodeActionKind::QUICKFIX) {
            let cx = self.context(&snapshot);
            actions.extend(cx.quick_fixes(&path, findings, range).into_iter().map(CodeActionOrCommand::CodeAction));
        }
        let any_safe = findings.iter().any(|d| d.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Safe));
        if code_actions::wanted(only, &code_actions::fix_all_kind()) && (only.is_some() || any_safe)
            && let Some(action) = self.fix_all(&path, &snapshot).await
        {
            actions.push(action);
        }
        Ok(Some(actions))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let Some(path) = Self::path_of(&position.text_document.uri) else { return Ok(None) };
        let snapshot = self.refresh().await;
        let Some(source) = snapshot.result.sources.get(&path) else { return Ok(None) };
        let text = source.at(self.encoding());
        let offset = text.offset(position.position);
        let kind = snapshot.result.kinds.get(&path).copied();
        let findings = snapshot.result.findings.get(&path).map(Vec::as_slice).unwrap_or_default();
        let mut found = hover::hover(&source.text, kind, findings, offset);
        if found.is_none() {
            // Nothing else here: an app service's capacity, when this is where it is defined
            // or run (the model is built again: hovers are rare, edits are not).
            let input = self.state().lint_input();
            let at = path.clone();
            found = guarded(move || service_hover::service_hover(&input, &at, offset)).await.ok().flatten();
        }
        Ok(found.map(|(markdown, range)| Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
            range: Some(text.range(range)),
        }))
    }
}
