//! Kinds from roles: a file its name and content leave unnamed is nginx because a
//! compose service mounts it, or a Dockerfile copies it, where nginx reads its
//! configuration (`/etc/nginx/...`), because an nginx file `include`s it, or because a
//! command passes it as the program's configuration (`nginx -c`, `redis-server FILE`,
//! `postgres -c config_file=`, `gunicorn -c`); likewise Redis, PostgreSQL, supervisord
//! and systemd.
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use stacklint_project::FileKind;
//! use stacklint_project::roles::claimed_kinds;
//!
//! let compose = "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./deploy/site:/etc/nginx/conf.d/site.conf:ro\n";
//! let sources = [(PathBuf::from("/p/docker-compose.yml"), FileKind::Compose, compose.to_owned())];
//! let claimed = claimed_kinds(&sources, &[PathBuf::from("/p/deploy/site"), PathBuf::from("/p/README")]);
//! assert_eq!(claimed[0].0, Path::new("/p/deploy/site"));
//! assert_eq!(claimed[0].1, FileKind::Nginx);
//! assert_eq!(claimed.len(), 1);
//! ```

use std::path::{Path, PathBuf};

use stacklint_syntax::compose::VolumeKind;
use stacklint_syntax::dockerfile::Keyword;

use crate::deployment::normalize;
use crate::kind::FileKind;

/// The kind of a file a program reads at `container_path`, when the path says it.
pub fn kind_at_container_path(container_path: &str) -> Option<FileKind> {
    let name = container_path.rsplit('/').next().unwrap_or(container_path);
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    // Certificates, keys, password files and pages are not configuration.
    if matches!(ext, Some("pem" | "crt" | "key" | "html" | "htm" | "js" | "css" | "json" | "txt" | "csr" | "p12")) || name.contains("htpasswd") {
        return None;
    }
    let conf = matches!(ext, None | Some("conf"));
    if container_path.starts_with("/etc/nginx/") && (conf || ext == Some("types") || name.ends_with("_params")) && !container_path.starts_with("/etc/nginx/templates/") {
        return Some(FileKind::Nginx);
    }
    if (container_path.starts_with("/usr/local/etc/redis/") || container_path.starts_with("/etc/redis/")) && ext == Some("conf") {
        return Some(FileKind::Redis);
    }
    if container_path.starts_with("/etc/postgresql/") && ext == Some("conf") && !name.starts_with("pg_hba") && !name.starts_with("pg_ident") {
        return Some(FileKind::Postgres);
    }
    if (container_path.starts_with("/etc/supervisor/") || container_path == "/etc/supervisord.conf") && conf {
        return Some(FileKind::Supervisord);
    }
    if container_path.starts_with("/etc/systemd/system/") && matches!(ext, Some("service" | "socket")) {
        return Some(FileKind::Systemd);
    }
    None
}

/// The kinds the compose files and Dockerfiles among `sources` give to `candidates`
/// (absolute paths of files with no kind of their own), with where each lands.
pub fn claimed_kinds(sources: &[(PathBuf, FileKind, String)], candidates: &[PathBuf]) -> Vec<(PathBuf, FileKind, String)> {
    let mut landings: Vec<(PathBuf, String)> = Vec::new();
    // Container paths commands pass as a program's configuration, and project paths (or
    // `*` patterns) nginx files include.
    let mut passed: Vec<(String, FileKind)> = Vec::new();
    let mut landings_claims: Vec<(PathBuf, FileKind, String)> = Vec::new();
    let mut included: Vec<PathBuf> = Vec::new();
    for (path, kind, text) in sources {
        let dir = path.parent().unwrap_or(Path::new(""));
        match kind {
            FileKind::Compose => {
                for service in &stacklint_syntax::compose::parse(text).tree.services {
                    for command in [&service.entrypoint, &service.command].into_iter().flatten() {
                        let words: Vec<&str> = command.words().map(|w| w.value.as_str()).collect();
                        passed.extend(config_args(&words));
                    }
                    for v in service.volumes.iter().filter(|v| v.kind == VolumeKind::Bind) {
                        if let (Some(source), Some(target)) = (&v.source, &v.target)
                            && !source.value.starts_with(['~', '$'])
                        {
                            landings.push((normalize(&dir.join(&source.value)), target.value.clone()));
                        }
                    }
                }
            }
            FileKind::Dockerfile => {
                let df = stacklint_syntax::dockerfile::parse(text).tree;
                for inst in df.instructions.iter().filter(|i| matches!(i.keyword, Keyword::Cmd | Keyword::Entrypoint)) {
                    let words: Vec<&str> = match inst.exec() {
                        Some(e) => e.elements.iter().map(|x| x.value.as_str()).collect(),
                        None => inst.words().iter().map(|w| w.value.as_str()).collect(),
                    };
                    passed.extend(config_args(&words));
                }
                for inst in df.instructions.iter().filter(|i| matches!(i.keyword, Keyword::Copy | Keyword::Add) && i.flag("from").is_none()) {
                    let mut values: Vec<String> = match inst.exec() {
                        Some(e) => e.elements.iter().map(|x| x.value.clone()).collect(),
                        None => inst.words().iter().map(|w| w.value.clone()).collect(),
                    };
                    let Some(dest) = values.pop().filter(|d| d.starts_with('/') && !d.contains('$')) else { continue };
                    let into_dir = dest.ends_with('/') || values.len() > 1;
                    for src in values.iter().filter(|s| !s.contains(['$', '*', '?']) && !s.contains("://")) {
                        // The Dockerfile's folder as the build context (the usual one).
                        let host = normalize(&dir.join(src));
                        let target = if into_dir { format!("{}/{}", dest.trim_end_matches('/'), host.file_name().and_then(|n| n.to_str()).unwrap_or_default()) } else { dest.clone() };
                        landings.push((host, target));
                    }
                }
            }
            FileKind::Nginx => {
                // nginx resolves a relative include against its configuration folder: the
                // including file's folder, or the one above it (`conf.d/x.conf` including
                // `snippets/y`).
                for d in stacklint_syntax::nginx::parse(text).tree.find_all("include") {
                    let Some(pattern) = d.arg(0).filter(|p| !p.contains(['$', '?', '[']) && !p.is_empty()) else { continue };
                    if pattern.starts_with('/') {
                        passed.push((pattern.to_owned(), FileKind::Nginx));
                    } else {
                        included.extend([dir.join(pattern), dir.parent().unwrap_or(dir).join(pattern)].map(|p| normalize(&p)));
                    }
                }
            }
            _ => {}
        }
    }
    // A container path a command names is the project file that lands there.
    for (container, kind) in passed {
        for (host, target) in &landings {
            let target = target.trim_end_matches('/');
            if let Some(rest) = container.strip_prefix(target).filter(|r| r.is_empty() || r.starts_with('/')) {
                let host = normalize(&host.join(rest.trim_start_matches('/')));
                if kind == FileKind::Nginx {
                    included.push(host);
                } else {
                    landings_claims.push((host, kind, container.clone()));
                }
            }
        }
    }
    // Literal includes are a set lookup; `*` patterns are few: (folder, prefix, suffix).
    let (globs, literal): (Vec<PathBuf>, Vec<PathBuf>) = included.into_iter().partition(|p| p.to_string_lossy().contains('*'));
    let literal: std::collections::HashSet<PathBuf> = literal.into_iter().collect();
    let globs: Vec<(PathBuf, String, String)> = globs
        .iter()
        .filter_map(|g| {
            let (prefix, suffix) = g.file_name()?.to_str()?.split_once('*')?;
            (!suffix.contains('*')).then(|| (g.parent().unwrap_or(Path::new("")).to_path_buf(), prefix.to_owned(), suffix.to_owned()))
        })
        .collect();
    let mut out = Vec::new();
    for c in candidates {
        let c_norm = normalize(c);
        if let Some((_, kind, at)) = landings_claims.iter().find(|(host, _, _)| *host == c_norm) {
            out.push((c.clone(), *kind, at.clone()));
            continue;
        }
        let name = c_norm.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let parent = c_norm.parent().unwrap_or(Path::new(""));
        let globbed = || globs.iter().any(|(dir, prefix, suffix)| name.len() >= prefix.len() + suffix.len() && name.starts_with(prefix.as_str()) && name.ends_with(suffix.as_str()) && dir == parent);
        if literal.contains(&c_norm) || globbed() {
            out.push((c.clone(), FileKind::Nginx, "included by an nginx file".to_owned()));
            continue;
        }
        let c_bytes = c_norm.as_os_str().as_encoded_bytes();
        // A byte-prefix test first: most landings are nowhere near the candidate.
        for (host, target) in landings.iter().filter(|(host, _)| c_bytes.starts_with(host.as_os_str().as_encoded_bytes())) {
            let at = if c_norm == *host {
                target.clone()
            } else if let Ok(rel) = c_norm.strip_prefix(host) {
                let rel: Vec<String> = rel.components().map(|x| x.as_os_str().to_string_lossy().into_owned()).collect();
                format!("{}/{}", target.trim_end_matches('/'), rel.join("/"))
            } else {
                continue;
            };
            if let Some(kind) = kind_at_container_path(&at) {
                out.push((c.clone(), kind, at));
                break;
            }
        }
    }
    out
}

/// The configuration files a command line passes to its program, as written (container
/// paths when absolute): `nginx -c F`, `redis-server F`, `postgres -c config_file=F`,
/// `gunicorn -c F`.
fn config_args(words: &[&str]) -> Vec<(String, FileKind)> {
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let program = word.rsplit('/').next().unwrap_or(word);
        let rest = words.get(i + 1..).unwrap_or_default();
        let after = |flags: &[&str]| -> Option<String> {
            rest.iter().enumerate().find_map(|(j, w)| {
                if flags.contains(w) {
                    return rest.get(j + 1).map(|v| (*v).to_owned());
                }
                flags.iter().find_map(|f| w.strip_prefix(f).and_then(|v| v.strip_prefix('=')).map(str::to_owned))
            })
        };
        let found = match program {
            "nginx" => after(&["-c"]).map(|f| (f, FileKind::Nginx)),
            // `redis-server FILE`: the first argument, when it is not an option.
            "redis-server" | "valkey-server" => rest.first().filter(|f| !f.starts_with('-')).map(|f| ((*f).to_owned(), FileKind::Redis)),
            "postgres" => rest.iter().find_map(|w| w.strip_prefix("config_file=").or_else(|| w.strip_prefix("--config-file=")).or_else(|| w.strip_prefix("--config_file="))).map(|f| (f.to_owned(), FileKind::Postgres)),
            "gunicorn" => after(&["-c", "--config"]).filter(|f| !f.starts_with("python:")).map(|f| (f, FileKind::GunicornConfig)),
            _ => None,
        };
        out.extend(found.filter(|(f, _)| f.starts_with('/') && !f.contains('$')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(kind_at_container_path("/etc/nginx/conf.d/app"), Some(FileKind::Nginx));
        assert_eq!(kind_at_container_path("/etc/nginx/uwsgi_params"), Some(FileKind::Nginx));
        assert_eq!(kind_at_container_path("/etc/nginx/certs/site.pem"), None);
        assert_eq!(kind_at_container_path("/etc/nginx/templates/default.conf.template"), None);
        assert_eq!(kind_at_container_path("/usr/local/etc/redis/redis.conf"), Some(FileKind::Redis));
        assert_eq!(kind_at_container_path("/etc/postgresql/pg_hba.conf"), None);
        assert_eq!(kind_at_container_path("/app/x.conf"), None);
    }

    #[test]
    fn copied_folder() {
        let df = "FROM nginx:1.27\nCOPY conf /etc/nginx/conf.d\nCOPY cert.pem /etc/nginx/cert.pem\n";
        let sources = [(PathBuf::from("/p/nginx/Dockerfile"), FileKind::Dockerfile, df.to_owned())];
        let claimed = claimed_kinds(&sources, &[PathBuf::from("/p/nginx/conf/site"), PathBuf::from("/p/nginx/cert.pem")]);
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].2, "/etc/nginx/conf.d/site");
    }

    #[test]
    fn included_by_nginx_and_passed_on_command_lines() {
        let nginx = "http {\n    include snippets/proxy_headers;\n    include /etc/nginx/extra/*.inc;\n}\n";
        let compose = "services:\n  cache:\n    image: redis:7\n    command: redis-server /data/custom-redis --maxmemory 1gb\n    volumes:\n      - ./redis/custom-redis:/data/custom-redis\n  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./nginx:/etc/nginx\n";
        let sources = [
            (PathBuf::from("/p/nginx/nginx.conf"), FileKind::Nginx, nginx.to_owned()),
            (PathBuf::from("/p/docker-compose.yml"), FileKind::Compose, compose.to_owned()),
        ];
        let candidates = ["/p/nginx/snippets/proxy_headers", "/p/nginx/extra/a.inc", "/p/nginx/extra/b.txt", "/p/redis/custom-redis", "/p/README"].map(PathBuf::from);
        let claimed: Vec<(String, FileKind)> = claimed_kinds(&sources, &candidates).into_iter().map(|(p, k, _)| (p.display().to_string(), k)).collect();
        assert_eq!(claimed, [("/p/nginx/snippets/proxy_headers".to_owned(), FileKind::Nginx), ("/p/nginx/extra/a.inc".to_owned(), FileKind::Nginx), ("/p/redis/custom-redis".to_owned(), FileKind::Redis)]);
        assert_eq!(config_args(&["postgres", "-c", "config_file=/etc/pg/main.conf"]), [("/etc/pg/main.conf".to_owned(), FileKind::Postgres)]);
        assert_eq!(config_args(&["gunicorn", "--config=/app/gconf", "app:app"]), [("/app/gconf".to_owned(), FileKind::GunicornConfig)]);
        assert!(config_args(&["nginx", "-c", "$CONF"]).is_empty());
    }
}
