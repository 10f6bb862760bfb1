//! Time from `didChange` to `publishDiagnostics` through the real server, transport and
//! pipes (the server is a child process, as in an editor): a 500-line nginx config and a
//! 2,000-line settings.py, each alone in its folder and inside a 1,000-file workspace. The
//! client watches files for the server (as VS Code does), so the server keeps what it read
//! of the disk; the last rows are a client that does not, where every run reads the disk.
//!
//! `cargo run --release -p stacklint_server --example latency`

mod support;

use serde_json::json;
use support::{Session, summary, write_workspace};

const EDITS: i32 = 100;

/// Open `rel` in a server on `root`, then time [`EDITS`] edits at `line`.
fn measure(label: &str, root: &std::path::Path, rel: &str, line: u32) {
    let watching = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    measure_with(label, root, rel, line, watching);
}

fn measure_with(label: &str, root: &std::path::Path, rel: &str, line: u32, capabilities: serde_json::Value) {
    let mut session = Session::start(root, capabilities);
    let lines = session.open(rel).lines().count();
    session.diagnostics(rel, Some(1));
    let mut times: Vec<_> = (2..EDITS + 2).map(|version| session.time_edit(rel, version, line)).collect();
    println!("{label:<34} {lines:>5} lines  {}", summary(&mut times));
    session.stop();
}

fn main() {
    support::serve_if_asked();
    let alone = |rel: &str, text: String| {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        std::fs::write(&path, text).expect("write");
        dir
    };
    let dir = alone("nginx/nginx.conf", support::nginx(500));
    measure("nginx.conf alone", dir.path(), "nginx/nginx.conf", 10);
    let dir = alone("proj/settings.py", support::settings(2000));
    measure("settings.py alone", dir.path(), "proj/settings.py", 4);

    let dir = tempfile::tempdir().expect("temporary folder");
    write_workspace(dir.path(), 1000);
    measure("nginx.conf in 1,000 files", dir.path(), "nginx/nginx.conf", 10);
    measure("settings.py in 1,000 files", dir.path(), "proj/settings.py", 4);
    measure_with("nginx.conf, 1,000 files, no watcher", dir.path(), "nginx/nginx.conf", 10, json!({}));
    measure_with("settings.py, 1,000 files, no watcher", dir.path(), "proj/settings.py", 4, json!({}));
}
