//! Absolute paths inside, short paths in messages.

use std::path::{Path, PathBuf};

/// `path` made absolute against the current directory (without resolving symlinks); `path`
/// itself when the current directory is unknown.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// [`absolute`] with `.` and `..` taken lexically (`std::path::absolute` keeps `..`):
/// `../shared/x` named from `/work/main` is `/work/shared/x`, not a path under
/// `/work/main`. Only for comparing with canonical paths: a link on the way is found there.
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in absolute(path).components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to the current directory when it is under it (`.` for the current
/// directory itself), for messages.
pub(crate) fn display_path(path: &Path) -> PathBuf {
    let abs = absolute(path);
    match std::env::current_dir() {
        Ok(cwd) => match abs.strip_prefix(&cwd) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            Ok(_) => PathBuf::from("."),
            Err(_) => abs,
        },
        Err(_) => abs,
    }
}

/// The folder a file's symbolic links must stay inside: its project's root when the file is
/// under it, else the current directory when it is under that (a `--config` kept elsewhere,
/// such as `ci/lint.toml`, does not make the linted files "outside"), else its own folder.
pub(crate) fn boundary(path: &Path, root: &Path) -> PathBuf {
    let abs = absolute(path);
    if abs.starts_with(root) {
        return root.to_path_buf();
    }
    let cwd = absolute(Path::new("."));
    if abs.starts_with(&cwd) {
        return cwd;
    }
    abs.parent().map_or(abs.clone(), Path::to_path_buf)
}
