//! Time from `didChange` to `publishDiagnostics` through the real server and transport,
//! for a 500-line nginx config and a 2000-line settings.py.
//!
//! `cargo run --release -p stacklint_server --example latency`

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

async fn send(w: &mut (impl AsyncWriteExt + Unpin), message: &Value) {
    let body = message.to_string();
    let _ = w.write_all(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await;
    let _ = w.flush().await;
}

async fn read(r: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some(n) = line.trim().strip_prefix("Content-Length: ") {
            length = n.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

fn nginx(lines: usize) -> String {
    let mut s = String::from("events { worker_connections 1024; }\nhttp {\n  upstream app { server web:8000; }\n");
    let mut n = 3;
    let mut i = 0;
    while n < lines - 1 {
        let _ = write!(s, "  server {{\n    listen 80;\n    server_name s{i}.example.com;\n    location / {{\n      proxy_pass http://app;\n      proxy_set_header Host $host;\n    }}\n  }}\n");
        n += 8;
        i += 1;
    }
    s.push_str("}\n");
    s
}

fn settings(lines: usize) -> String {
    let mut s = String::from("import os\n\nDEBUG = False\nALLOWED_HOSTS = ['example.com']\nSECRET_KEY = os.environ['SECRET_KEY']\n");
    let mut i = 0;
    while s.lines().count() < lines {
        let _ = write!(s, "FEATURE_{i} = {{\n    'enabled': True,\n    'limit': {i},\n    'name': 'feature-{i}',\n}}\n");
        i += 1;
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn measure(name: &str, text: &str, edit_line: u32) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(name);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
    std::fs::write(&path, text).expect("write");
    let (client, server) = tokio::io::duplex(1 << 20);
    let (sr, sw) = tokio::io::split(server);
    tokio::spawn(stacklint_server::serve(sr, sw, stacklint_server::Options::default()));
    let (cr, mut cw) = tokio::io::split(client);
    let mut cr = BufReader::new(cr);
    let root = format!("file://{}", dir.path().display());
    let uri = format!("file://{}", path.display());
    send(&mut cw, &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": null, "rootUri": root, "workspaceFolders": [{"uri": root, "name": "p"}], "capabilities": {}}})).await;
    while let Some(m) = read(&mut cr).await {
        if m["id"] == 1 {
            break;
        }
    }
    send(&mut cw, &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}})).await;
    send(&mut cw, &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "", "version": 1, "text": text}}})).await;
    let published = |m: &Value| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str();
    while let Some(m) = read(&mut cr).await {
        if published(&m) {
            break;
        }
    }
    let mut times = Vec::new();
    for version in 2..=52 {
        let started = Instant::now();
        let change = json!({"range": {"start": {"line": edit_line, "character": 0}, "end": {"line": edit_line, "character": 0}}, "text": "# x\n"});
        send(&mut cw, &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})).await;
        while let Some(m) = read(&mut cr).await {
            if published(&m) && m["params"]["version"] == version {
                break;
            }
        }
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{name:<28} {:>5} lines  p50 {:>7.1?}  p95 {:>7.1?}  max {:>7.1?}  ({} changes)",
        text.lines().count(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or_default(),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    measure("nginx/nginx.conf", &nginx(500), 10).await;
    measure("proj/settings.py", &settings(2000), 4).await;
}
