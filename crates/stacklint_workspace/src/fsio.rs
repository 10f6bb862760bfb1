//! Opening, reading and writing linted files without surprises: a FIFO or device is never
//! read (it would block or have side effects), a file edited during the run is not
//! overwritten, symbolic links and hard links stay links, owners and permissions are kept.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::discovery::special_file;

/// Open `path` for reading only if it is a regular file (after following links).
///
/// The open is non-blocking, so a FIFO that replaced the file since discovery opens at
/// once and is refused by the type check on the open handle (no read ever waits on it).
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = special_file(meta.file_type()).unwrap_or("a folder");
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what}, not a regular file"),
        ));
    }
    Ok(file)
}

/// At most `limit + 1` bytes of `file` (so a caller sees that it is over the limit even if
/// it grew after its size was checked).
pub(crate) fn read_limited(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Why a fixed file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Its content on disk is no longer what was read and fixed: writing would lose an edit.
    #[error("changed since it was read, not fixed")]
    Changed,
    /// A path that (through symbolic links) now leads outside the project.
    #[error("leads to {}, outside the project; not fixed", target.display())]
    OutsideProject { target: PathBuf },
    #[error("could not write the fixed file: {0}")]
    Io(#[from] io::Error),
}

/// How a fixed file was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// A temporary file renamed over the target: all or nothing.
    Replaced,
    /// Truncated and rewritten in place: the file has other hard links, which a rename would
    /// detach (they would keep the old text). Not atomic; the price of keeping the links.
    InPlace,
}

/// Write `new` to the file at `path` in place of `old`, the text it was read as.
///
/// - A symbolic link is written through: its target gets the text, the link stays a link,
///   provided the target is inside `root` (when given, after resolving links).
/// - Right before the file is replaced its content is compared with `old`; if it differs
///   (an editor or another tool wrote it meanwhile) nothing is written ([`WriteError::Changed`]).
/// - Permissions are kept; the owner and group too when the process may set them (as root;
///   otherwise `EPERM` is ignored and the file gets the writer's owner, as any editor does).
/// - A file with several hard links is rewritten in place (see [`WriteMode::InPlace`]).
pub fn write_fixed(
    path: &Path,
    old: &str,
    new: &str,
    root: Option<&Path>,
) -> Result<WriteMode, WriteError> {
    let target = match fs::canonicalize(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(WriteError::Changed),
        Err(e) => return Err(e.into()),
    };
    // Only a path that goes through a link can lead outside: a file named outside the
    // project (`../other/Dockerfile`) is written where it is.
    if target != crate::paths::lexical(path)
        && let Some(root) = root
        && let Ok(root) = fs::canonicalize(root)
        && !target.starts_with(&root)
    {
        return Err(WriteError::OutsideProject { target });
    }
    let unchanged = || -> Result<(), WriteError> {
        let file = match open_regular(&target) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(WriteError::Changed),
            Err(e) => return Err(e.into()),
        };
        let now = read_limited(file, old.len() as u64)?;
        if now == old.as_bytes() {
            Ok(())
        } else {
            Err(WriteError::Changed)
        }
    };
    let meta = fs::metadata(&target)?;
    if links(&meta) > 1 {
        unchanged()?;
        let mut f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&target)?;
        f.write_all(new.as_bytes())?;
        f.sync_all()?;
        return Ok(WriteMode::InPlace);
    }
    replace(&target, new, &meta, unchanged)?;
    Ok(WriteMode::Replaced)
}

#[cfg(unix)]
fn links(meta: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn links(_: &fs::Metadata) -> u64 {
    1
}

/// Write a temporary file beside `target` with its permissions and owner, check that
/// `target` is unchanged, and rename the temporary file over it.
fn replace(
    target: &Path,
    text: &str,
    meta: &fs::Metadata,
    unchanged: impl FnOnce() -> Result<(), WriteError>,
) -> Result<(), WriteError> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.stacklint-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        keep_owner(&f, meta)?;
        f.set_permissions(meta.permissions())?;
        drop(f);
        // As late as possible: the window for an edit to be lost is the rename alone.
        unchanged()?;
        fs::rename(&tmp, target)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Give `file` the owner and group of `meta`; `EPERM` (not root) is not an error.
#[cfg(unix)]
fn keep_owner(file: &File, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mine = file.metadata()?;
    if mine.uid() == meta.uid() && mine.gid() == meta.gid() {
        return Ok(());
    }
    match std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn keep_owner(_: &File, _: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    use super::*;

    #[test]
    fn symlinks_are_written_through_inside_the_project_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        fs::create_dir_all(root.join("conf")).unwrap();
        fs::write(root.join("conf/real.conf"), "old").unwrap();
        symlink("conf/real.conf", root.join("nginx.conf")).unwrap();
        let mode = write_fixed(&root.join("nginx.conf"), "old", "new", Some(&root)).unwrap();
        assert_eq!(mode, WriteMode::Replaced);
        assert!(
            fs::symlink_metadata(root.join("nginx.conf"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(root.join("conf/real.conf")).unwrap(),
            "new"
        );

        fs::write(dir.path().join("shared.conf"), "old").unwrap();
        symlink("../shared.conf", root.join("shared.conf")).unwrap();
        let err = write_fixed(&root.join("shared.conf"), "old", "new", Some(&root)).unwrap_err();
        assert!(matches!(err, WriteError::OutsideProject { .. }), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join("shared.conf")).unwrap(),
            "old"
        );
    }

    #[test]
    fn an_edit_made_during_the_run_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gunicorn.conf.py");
        fs::write(&p, "workers = 4\n# edited\n").unwrap();
        let err = write_fixed(&p, "workers = 4\n", "workers = 9\n", None).unwrap_err();
        assert_eq!(err.to_string(), "changed since it was read, not fixed");
        assert_eq!(fs::read_to_string(&p).unwrap(), "workers = 4\n# edited\n");
        // Shorter than what was read counts as changed too.
        fs::write(&p, "work").unwrap();
        assert!(matches!(
            write_fixed(&p, "workers = 4\n", "x", None),
            Err(WriteError::Changed)
        ));
        fs::remove_file(&p).unwrap();
        assert!(matches!(
            write_fixed(&p, "workers = 4\n", "x", None),
            Err(WriteError::Changed)
        ));
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no temporary file left"
        );
    }

    #[test]
    fn hard_links_permissions_and_owner_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("entrypoint.sh");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o750)).unwrap();
        fs::hard_link(&p, dir.path().join("copy.sh")).unwrap();
        assert_eq!(
            write_fixed(&p, "old", "new", None).unwrap(),
            WriteMode::InPlace
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("copy.sh")).unwrap(),
            "new"
        );
        assert_eq!(fs::metadata(&p).unwrap().nlink(), 2);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o750
        );

        let single = dir.path().join("Dockerfile");
        fs::write(&single, "old").unwrap();
        fs::set_permissions(&single, fs::Permissions::from_mode(0o640)).unwrap();
        let owner = (
            fs::metadata(&single).unwrap().uid(),
            fs::metadata(&single).unwrap().gid(),
        );
        // As root, give the file another owner: the rewrite must keep it.
        let root = fs::metadata(dir.path()).unwrap().uid() == 0
            && std::os::unix::fs::chown(&single, Some(65534), Some(65534)).is_ok();
        assert_eq!(
            write_fixed(&single, "old", "new", None).unwrap(),
            WriteMode::Replaced
        );
        let meta = fs::metadata(&single).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        if root {
            assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
        } else {
            assert_eq!((meta.uid(), meta.gid()), owner);
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("nginx.conf");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mkfifo unavailable");
            return;
        }
        let err = open_regular(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "a FIFO (named pipe), not a regular file");
    }
}
