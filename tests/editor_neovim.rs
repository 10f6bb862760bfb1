//! End to end in a real editor: headless Neovim (>= 0.11, its built-in LSP client) runs
//! `stacklint server` through `editors/neovim/stacklint.lua`, shows DKR005 on a Dockerfile
//! and applies its quick fix (`tests/editor/neovim.lua` drives it).
//!
//! The binary comes from `NVIM_BIN` (`export NVIM_BIN=$(scripts/install-nvim VENV)`);
//! without it the test says `SKIPPED:` and passes, unless `STACKLINT_REQUIRE_ORACLES=1`.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn neovim_shows_the_finding_and_applies_the_fix() {
    let Some(nvim) = std::env::var_os("NVIM_BIN").filter(|p| !p.is_empty()) else {
        common::oracles::skip("NVIM_BIN is not set (export NVIM_BIN=$(scripts/install-nvim target/ci-venv))");
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    common::write_files(dir.path(), &[
        ("stacklint.toml", "select = [\"DKR005\"]\n"),
        ("Dockerfile", "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"),
        ("requirements.txt", "django\n"),
    ]);
    let result = dir.path().join("result.txt");
    let repo = common::repo_root();
    let script = repo.join("tests/editor/neovim.lua");
    let mut child = Command::new(&nvim)
        .args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("STACKLINT_BIN", common::stacklint_bin())
        .env("PROJECT", dir.path())
        .env("RESULT", &result)
        .env("REPO", &repo)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nvim");
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().expect("wait for nvim").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish within 3 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = std::fs::read_to_string(&result).unwrap_or_else(|e| format!("no result from nvim: {e}"));
    assert_eq!(
        report,
        "diagnostic: DKR005 stacklint line 4\nfixed: true\nline: RUN pip install --no-cache-dir -r requirements.txt\nDKR005 gone: true\n",
        "{report}"
    );
    // The fix is in the buffer, not on disk.
    let on_disk = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap_or_default();
    assert!(on_disk.contains("RUN pip install -r requirements.txt"));
}
