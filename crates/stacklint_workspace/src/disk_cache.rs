//! What an editor's runs keep of the disk between them: the discovery of the folders and
//! the text of the files read. Nothing here looks at the disk again to see whether it is
//! still true: the owner, told of every change by its client's file watcher, says what to
//! forget ([`DiskCache::changed`], [`DiskCache::restructured`]). A text is kept only for
//! the paths the owner says it is told about (`watched`); others are read every run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::config::Overrides;
use crate::discovery::Discovery;
use crate::error::ConfigError;

/// Shared between clones: the server keeps one and hands clones to its runs.
#[derive(Clone)]
pub struct DiskCache {
    kept: Arc<Mutex<Kept>>,
    watched: fn(&Path) -> bool,
}

#[derive(Default)]
struct Kept {
    discovery: Option<(DiscoveryKey, Arc<Discovery>)>,
    texts: HashMap<PathBuf, Result<String, String>>,
}

/// What a discovery depends on besides the disk.
#[derive(Clone, PartialEq)]
pub(crate) struct DiscoveryKey {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
}

impl DiskCache {
    /// A cache that keeps the texts of the paths for which `watched` holds (the files the
    /// client's watcher reports changes of).
    pub fn new(watched: fn(&Path) -> bool) -> DiskCache {
        DiskCache { kept: Arc::default(), watched }
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        // A run that panicked leaves whole entries: still good to read.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file at `path` changed on disk: read it again next time.
    pub fn changed(&self, path: &Path) {
        self.kept().texts.remove(path);
    }

    /// Files or folders were created or deleted, or what governs discovery changed (a
    /// configuration, an ignore file): discover again next time.
    pub fn restructured(&self) {
        self.kept().discovery = None;
    }

    /// Forget everything.
    pub fn clear(&self) {
        *self.kept() = Kept::default();
    }

    /// The discovery for `key`, kept or made by `discover` (and kept when it succeeds).
    pub(crate) fn discovery(
        &self,
        key: DiscoveryKey,
        discover: impl FnOnce() -> Result<Discovery, ConfigError>,
    ) -> Result<Arc<Discovery>, ConfigError> {
        if let Some((kept_key, discovery)) = &self.kept().discovery
            && *kept_key == key
        {
            return Ok(discovery.clone());
        }
        let discovery = Arc::new(discover()?);
        self.kept().discovery = Some((key, discovery.clone()));
        Ok(discovery)
    }

    /// The text at `path`, kept or read by `read` (and kept when `path` is watched).
    pub(crate) fn text(&self, path: &Path, read: impl FnOnce() -> Result<String, String>) -> Result<String, String> {
        if let Some(text) = self.kept().texts.get(path) {
            return text.clone();
        }
        let text = read();
        if (self.watched)(path) {
            self.kept().texts.insert(path.to_path_buf(), text.clone());
        }
        text
    }

    /// Forget the texts of paths for which `keep` says no (no longer linted).
    pub(crate) fn retain(&self, keep: impl Fn(&Path) -> bool) {
        self.kept().texts.retain(|p, _| keep(p));
    }
}

impl std::fmt::Debug for DiskCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.kept();
        write!(f, "DiskCache({} texts, discovery {})", kept.texts.len(), if kept.discovery.is_some() { "kept" } else { "none" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> DiscoveryKey {
        DiscoveryKey { paths: vec![PathBuf::from(path)], config: None, overrides: Overrides::default() }
    }

    #[test]
    fn texts_are_read_once_until_changed() {
        let cache = DiskCache::new(|p| p.extension().is_some_and(|e| e == "conf"));
        let reads = std::cell::Cell::new(0);
        let read = || {
            reads.set(reads.get() + 1);
            Ok(format!("read {}", reads.get()))
        };
        assert_eq!(cache.text(Path::new("/p/nginx.conf"), read), Ok("read 1".to_owned()));
        assert_eq!(cache.text(Path::new("/p/nginx.conf"), read), Ok("read 1".to_owned()));
        cache.changed(Path::new("/p/nginx.conf"));
        assert_eq!(cache.text(Path::new("/p/nginx.conf"), read), Ok("read 2".to_owned()));
        // Not watched: nobody would say it changed, so it is read every time.
        assert_eq!(cache.text(Path::new("/p/default"), read), Ok("read 3".to_owned()));
        assert_eq!(cache.text(Path::new("/p/default"), read), Ok("read 4".to_owned()));
    }

    #[test]
    fn discovery_is_kept_per_key_until_restructured() {
        let cache = DiskCache::new(|_| true);
        let runs = std::cell::Cell::new(0);
        let discover = || {
            runs.set(runs.get() + 1);
            Ok(Discovery::default())
        };
        cache.discovery(key("/a"), discover).ok();
        cache.discovery(key("/a"), discover).ok();
        assert_eq!(runs.get(), 1);
        cache.discovery(key("/b"), discover).ok();
        assert_eq!(runs.get(), 2);
        cache.restructured();
        cache.discovery(key("/b"), discover).ok();
        assert_eq!(runs.get(), 3);
        // A failed discovery is not kept.
        cache.restructured();
        assert!(cache.discovery(key("/b"), || Err(ConfigError::InvalidTarget { spec: "x".to_owned(), message: "bad".to_owned() })).is_err());
        cache.discovery(key("/b"), discover).ok();
        assert_eq!(runs.get(), 4);
    }
}
