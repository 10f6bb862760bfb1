//! Globs from the configuration, matched against paths relative to the configuration's directory.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A list of path globs, as written in `exclude`, `per-file-ignores` or `[files]`.
///
/// The semantics follow `.gitignore`:
/// - a pattern without `/` (`migrations`, `*.conf`) matches a file or directory name at any depth;
/// - a pattern with `/` (`deploy/*.conf`, `/Dockerfile`) is anchored at the configuration's
///   directory; `*` does not cross `/`, `**` does;
/// - a pattern that matches a directory matches everything inside it.
#[derive(Clone, Debug)]
pub struct PathGlobs {
    patterns: Vec<String>,
    set: GlobSet,
}

impl Default for PathGlobs {
    fn default() -> Self {
        Self {
            patterns: Vec::new(),
            set: GlobSet::empty(),
        }
    }
}

impl PathGlobs {
    /// Compile `patterns`; on failure, the index of the bad pattern and globset's reason.
    pub fn new<I, S>(patterns: I) -> Result<PathGlobs, (usize, globset::Error)>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let patterns: Vec<String> = patterns.into_iter().map(Into::into).collect();
        let mut builder = GlobSetBuilder::new();
        for (i, pattern) in patterns.iter().enumerate() {
            builder.add(compile(pattern).map_err(|e| (i, e))?);
        }
        let set = builder.build().map_err(|e| (0, e))?;
        Ok(PathGlobs { patterns, set })
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `relative` (a path relative to the configuration's directory) or one of its
    /// parent directories matches a pattern.
    pub fn is_match(&self, relative: &Path) -> bool {
        !self.is_empty()
            && relative
                .ancestors()
                .any(|p| !p.as_os_str().is_empty() && self.set.is_match(p))
    }

    /// Indices of the patterns that match `relative` or one of its parent directories, ascending.
    pub fn matches(&self, relative: &Path) -> Vec<usize> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<usize> = relative
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .flat_map(|p| self.set.matches(p))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Check one pattern without keeping it.
pub(crate) fn validate(pattern: &str) -> Result<(), globset::Error> {
    compile(pattern).map(|_| ())
}

fn compile(pattern: &str) -> Result<globset::Glob, globset::Error> {
    let trimmed = pattern.trim();
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let glob = if let Some(anchored) = trimmed.strip_prefix('/') {
        anchored.to_owned()
    } else if trimmed.contains('/') {
        trimmed.to_owned()
    } else {
        format!("**/{trimmed}")
    };
    GlobBuilder::new(&glob).literal_separator(true).build()
}

/// Globs mapped to values, in the order they were written (`per-file-ignores`, `[files]`).
#[derive(Clone, Debug)]
pub struct GlobMap<T> {
    globs: PathGlobs,
    values: Vec<T>,
}

impl<T> Default for GlobMap<T> {
    fn default() -> Self {
        Self {
            globs: PathGlobs::default(),
            values: Vec::new(),
        }
    }
}

impl<T> GlobMap<T> {
    /// Compile `(pattern, value)` pairs; on failure, the index of the bad pattern.
    pub fn new(entries: Vec<(String, T)>) -> Result<GlobMap<T>, (usize, globset::Error)> {
        let (patterns, values): (Vec<String>, Vec<T>) = entries.into_iter().unzip();
        Ok(GlobMap {
            globs: PathGlobs::new(patterns)?,
            values,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `(pattern, value)` in the order they were written.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.globs
            .patterns()
            .iter()
            .map(String::as_str)
            .zip(&self.values)
    }

    /// The values of every pattern that matches `relative`, in the order they were written.
    pub fn matching(&self, relative: &Path) -> impl Iterator<Item = &T> {
        self.globs
            .matches(relative)
            .into_iter()
            .filter_map(|i| self.values.get(i))
    }

    /// The value of the first pattern (in the order written) that matches `relative`.
    pub fn first_match(&self, relative: &Path) -> Option<&T> {
        self.matching(relative).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_like_semantics() {
        let g = PathGlobs::new([
            "migrations",
            "deploy/*.conf",
            "/Dockerfile",
            "*.tmpl",
            "build/",
        ])
        .unwrap();
        let m = |p: &str| g.matches(Path::new(p));
        assert_eq!(m("app/migrations/0001_initial.py"), vec![0]);
        assert_eq!(m("migrations"), vec![0]);
        assert_eq!(m("deploy/site.conf"), vec![1]);
        assert_eq!(m("deploy/sub/site.conf"), Vec::<usize>::new());
        assert_eq!(m("other/deploy/site.conf"), Vec::<usize>::new());
        assert_eq!(m("Dockerfile"), vec![2]);
        assert_eq!(m("backend/Dockerfile"), Vec::<usize>::new());
        assert_eq!(m("x/y/nginx.tmpl"), vec![3]);
        assert_eq!(m("build/nginx.conf"), vec![4]);
        assert!(PathGlobs::new(["a[b"]).is_err());
        assert!(!PathGlobs::default().is_match(Path::new("x")));
    }
}
