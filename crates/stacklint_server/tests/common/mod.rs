//! An in-process LSP client: the server runs on a task, the test talks JSON-RPC to it over
//! in-memory pipes (the real transport and framing). Requests from the server are kept
//! with the notifications, so tests can look at them, and answered: `workspace/configuration`
//! with [`Client::configuration`]'s value for each item, the others (`client/registerCapability`,
//! refreshes) with `null`.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::{Mutex, mpsc};

const PATIENCE: Duration = Duration::from_secs(60);

pub struct Client {
    writer: Arc<Mutex<WriteHalf<DuplexStream>>>,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Messages read but not asked for yet.
    stash: VecDeque<Value>,
    next_id: i64,
    pub root: PathBuf,
    server: tokio::task::JoinHandle<()>,
    /// What `workspace/configuration` answers (`null` until set).
    pub configuration: Arc<std::sync::Mutex<Value>>,
}

async fn write_frame(writer: &Mutex<WriteHalf<DuplexStream>>, message: &Value) {
    let body = message.to_string();
    let mut w = writer.lock().await;
    let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    w.write_all(frame.as_bytes()).await.expect("write to the server");
    w.flush().await.expect("flush to the server");
}

/// A copy of `tests/fixtures/NAME` in a temporary folder.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    copy_dir(&from, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("fixture folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture");
        }
    }
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// What a capable client (VS Code-like, push diagnostics) says it can do.
pub fn push_capabilities() -> Value {
    json!({
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {
            "workspaceEdit": {"documentChanges": true},
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "configuration": true
        },
        "textDocument": {"publishDiagnostics": {"relatedInformation": true}}
    })
}

impl Client {
    /// Start a server and initialize it on `root` with these client capabilities.
    pub async fn start(root: &Path, capabilities: Value, options: Value) -> (Client, Value) {
        Client::start_with(root, capabilities, options, Value::Null).await
    }

    /// [`Client::start`] with the settings `workspace/configuration` answers from the start.
    pub async fn start_with(root: &Path, capabilities: Value, options: Value, configuration: Value) -> (Client, Value) {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        let server = tokio::spawn(stacklint_server::serve(server_read, server_write, stacklint_server::Options { test_hooks: true }));
        let (client_read, client_write) = tokio::io::split(client_side);
        let writer = Arc::new(Mutex::new(client_write));
        let (tx, incoming) = mpsc::unbounded_channel();
        let answer = writer.clone();
        let configuration = Arc::new(std::sync::Mutex::new(configuration));
        let settings = configuration.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(client_read);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.unwrap_or(0)];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                let Ok(message) = serde_json::from_slice::<Value>(&body) else { continue };
                if message.get("method").is_some()
                    && let Some(id) = message.get("id")
                {
                    let result = if message["method"] == "workspace/configuration" {
                        let value = settings.lock().map(|v| v.clone()).unwrap_or_default();
                        let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                        Value::Array(vec![value; items])
                    } else {
                        Value::Null
                    };
                    write_frame(&answer, &json!({"jsonrpc": "2.0", "id": id, "result": result})).await;
                }
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        let mut client = Client { writer, incoming, stash: VecDeque::new(), next_id: 0, root: root.to_path_buf(), server, configuration };
        let init = client
            .request("initialize", json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "project"}],
                "capabilities": capabilities,
                "initializationOptions": options,
            }))
            .await;
        client.notify("initialized", json!({})).await;
        (client, init)
    }

    /// What the client answers `workspace/configuration` with from now on.
    pub fn set_configuration(&self, value: Value) {
        if let Ok(mut v) = self.configuration.lock() {
            *v = value;
        }
    }

    pub fn uri(&self, rel: &str) -> String {
        uri(&self.root.join(rel))
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        write_frame(&self.writer, &json!({"jsonrpc": "2.0", "method": method, "params": params})).await;
    }

    /// Send raw bytes as one message body (malformed input).
    pub async fn send_raw(&mut self, body: &str) {
        let mut w = self.writer.lock().await;
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        w.write_all(frame.as_bytes()).await.expect("write to the server");
    }

    /// The whole response (`result` or `error`) to a request.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        write_frame(&self.writer, &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        self.response(id).await
    }

    pub async fn response(&mut self, id: i64) -> Value {
        self.wait(|m| m.get("method").is_none() && m.get("id") == Some(&json!(id))).await
    }

    /// The next message (stashed or new) that `matches`; others are stashed in order.
    pub async fn wait(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.stash.iter().position(&matches) {
            return self.stash.remove(i).expect("a stashed message");
        }
        loop {
            let message = tokio::time::timeout(PATIENCE, self.incoming.recv())
                .await
                .expect("the server answers within a minute")
                .expect("the server is running");
            if std::env::var_os("LSP_TRACE").is_some() { eprintln!("<- {message}"); }
            if matches(&message) {
                return message;
            }
            self.stash.push_back(message);
        }
    }

    /// The next `publishDiagnostics` for `rel`.
    pub async fn diagnostics(&mut self, rel: &str) -> Value {
        let uri = self.uri(rel);
        let m = self.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()).await;
        m["params"].clone()
    }

    /// Every `publishDiagnostics` received so far, in order, and forget them.
    pub async fn published_so_far(&mut self) -> Vec<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        while let Ok(m) = self.incoming.try_recv() {
            self.stash.push_back(m);
        }
        let (published, rest): (Vec<Value>, Vec<Value>) = self.stash.drain(..).partition(|m| m["method"] == "textDocument/publishDiagnostics");
        self.stash = rest.into();
        published.into_iter().map(|m| m["params"].clone()).collect()
    }

    pub async fn open(&mut self, rel: &str) -> String {
        let text = std::fs::read_to_string(self.root.join(rel)).expect("fixture file");
        self.open_text(rel, &text).await;
        text
    }

    pub async fn open_text(&mut self, rel: &str, text: &str) {
        let uri = self.uri(rel);
        self.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "", "version": 1, "text": text}})).await;
    }

    /// Replace a range of `rel` (incremental sync).
    pub async fn change(&mut self, rel: &str, version: i32, range: [u32; 4], text: &str) {
        let uri = self.uri(rel);
        let [l1, c1, l2, c2] = range;
        self.notify("textDocument/didChange", json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}, "text": text}]
        })).await;
    }

    /// `shutdown` then `exit`: the server stops.
    pub async fn stop(mut self) {
        let r = self.request("shutdown", Value::Null).await;
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null).await;
        tokio::time::timeout(PATIENCE, self.server).await.expect("the server exits after `exit`").expect("the server task ends cleanly");
    }

    /// `value` as pretty JSON with the temporary folder shown as `ROOT`.
    pub fn show(&self, value: &Value) -> String {
        let text = serde_json::to_string_pretty(value).expect("JSON");
        text.replace(&self.root.display().to_string(), "ROOT")
    }
}
