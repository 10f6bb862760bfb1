//! Peak memory of the language server with a 1,000-file workspace open: the server runs as
//! a child process over pipes; a few files are opened and edited, then its `VmHWM` (peak
//! resident set) and `VmRSS` are read from `/proc`.
//!
//! `cargo run --release -p stacklint_server --example memory [-- FILES]`

mod support;

use serde_json::json;
use support::{Session, memory_kib, write_workspace};

fn main() {
    support::serve_if_asked();
    let files = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().expect("temporary folder");
    let bytes = write_workspace(dir.path(), files);
    let mut session = Session::start(dir.path(), json!({}));
    let (idle, _) = memory_kib(session.pid());
    // A workspace of fewer files may lack the last ones.
    let open: Vec<&str> = ["proj/settings.py", "nginx/nginx.conf", "docker-compose.yml", "gunicorn.conf.py", "apps/app0/views.py"]
        .into_iter()
        .filter(|rel| dir.path().join(rel).is_file())
        .collect();
    for &rel in &open {
        session.open(rel);
        session.diagnostics(rel, Some(1));
    }
    for version in 2..12 {
        session.time_edit("proj/settings.py", version, 4);
    }
    let (peak, now) = memory_kib(session.pid());
    println!("workspace: {files} files, {:.1} MiB of text", mib(bytes as u64));
    println!("server after initialize: {:.1} MiB", mib(idle * 1024));
    println!("server with {} files open, 10 edits: peak (VmHWM) {:.1} MiB, now (VmRSS) {:.1} MiB", open.len(), mib(peak * 1024), mib(now * 1024));
    session.stop();
}

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
