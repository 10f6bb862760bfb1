//! The files the server asks its client to watch, and which of them it may keep in memory
//! between runs (see [`stacklint_workspace::DiskCache`]): a kept text is only as good as
//! the promise that a change to it is reported.

use std::path::Path;

use tower_lsp_server::ls_types::{FileSystemWatcher, GlobPattern, WatchKind};

/// Configuration files, ignore files, and every kind of file stacklint reads, by name.
const GLOBS: &[&str] = &[
    "**/{stacklint.toml,.stacklint.toml,pyproject.toml,.gitignore,.ignore}",
    "**/*.{py,conf,yml,yaml,toml,txt,ini,sh,service,socket,env}",
    "**/{Dockerfile,Containerfile,Procfile,.env}",
    "**/*.{Dockerfile,dockerfile}",
    "**/Dockerfile.*",
];

const EXTENSIONS: &[&str] = &["py", "conf", "yml", "yaml", "toml", "txt", "ini", "sh", "service", "socket", "env"];
const NAMES: &[&str] = &["stacklint.toml", ".stacklint.toml", "pyproject.toml", ".gitignore", ".ignore", "Dockerfile", "Containerfile", "Procfile", ".env"];

/// What the server registers: changes of every file [`GLOBS`] names, and the creation and
/// deletion of anything (a folder, a file whose kind its content tells), which changes
/// what discovery finds.
pub fn watchers() -> Vec<FileSystemWatcher> {
    let mut out: Vec<FileSystemWatcher> = GLOBS
        .iter()
        .map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String((*g).to_owned()), kind: None })
        .collect();
    out.push(FileSystemWatcher { glob_pattern: GlobPattern::String("**/*".to_owned()), kind: Some(WatchKind::Create | WatchKind::Delete) });
    out
}

/// Whether a change to the text at `path` is reported by [`watchers`] (the same names as
/// [`GLOBS`]).
pub fn watched(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    NAMES.contains(&name)
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
        || path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e))
}

/// Whether a change to `path` can change which files discovery finds or how it reads them
/// (an ignore file; configuration files are handled as configuration).
pub fn restructures(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == ".gitignore" || n == ".ignore")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `watched` says yes exactly for the names the globs match (a small glob matcher for
    /// the two shapes used: `{a,b}` alternatives and one `*`).
    #[test]
    fn watched_agrees_with_the_globs() {
        fn matches(glob: &str, name: &str) -> bool {
            let glob = glob.trim_start_matches("**/");
            let alternatives: Vec<String> = match (glob.find('{'), glob.find('}')) {
                (Some(a), Some(b)) => glob[a + 1..b].split(',').map(|alt| format!("{}{alt}{}", &glob[..a], &glob[b + 1..])).collect(),
                _ => vec![glob.to_owned()],
            };
            alternatives.iter().any(|g| match g.split_once('*') {
                Some((pre, post)) => name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post),
                None => g == name,
            })
        }
        let names = [
            "settings.py", "nginx.conf", "docker-compose.yml", "compose.yaml", "pyproject.toml", "stacklint.toml",
            ".stacklint.toml", "requirements.txt", "uwsgi.ini", "entrypoint.sh", "app.service", "app.socket", "prod.env",
            ".env", "Dockerfile", "Containerfile", "Procfile", "Dockerfile.prod", "web.Dockerfile", "web.dockerfile",
            ".gitignore", ".ignore", "default", "Procfile.dev", "README.md", "nginx.conf.template", "Makefile",
        ];
        for name in names {
            let by_glob = GLOBS.iter().any(|g| matches(g, name));
            assert_eq!(watched(&Path::new("/p/sub").join(name)), by_glob, "{name}");
        }
        assert!(!watched(Path::new("/p/nginx/sites-available/default")));
        assert!(restructures(Path::new("/p/.gitignore")));
        assert!(!restructures(Path::new("/p/nginx.conf")));
    }
}
