//! Kinds from roles: a file its name and content leave unnamed is nginx because a
//! compose service mounts it, or a Dockerfile copies it, where nginx reads its
//! configuration (`/etc/nginx/...`); likewise Redis, PostgreSQL, supervisord and systemd.
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
    for (path, kind, text) in sources {
        let dir = path.parent().unwrap_or(Path::new(""));
        match kind {
            FileKind::Compose => {
                for service in &stacklint_syntax::compose::parse(text).tree.services {
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
            _ => {}
        }
    }
    let mut out = Vec::new();
    for c in candidates {
        let c_norm = normalize(c);
        for (host, target) in &landings {
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
}
