//! What kind of file a path holds: by name first, then by sniffing the content.

use std::path::Path;

/// The formats stacklint understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// Django settings module (or any Python module that settings are read from).
    DjangoSettings,
    /// `gunicorn.conf.py` or a file passed with `-c`.
    GunicornConfig,
    /// Any other Python module (models, views, wsgi.py, manage.py, ...).
    Python,
    Dockerfile,
    Compose,
    Nginx,
    Postgres,
    Redis,
    Procfile,
    /// A shell script (entrypoints: `exec gunicorn ...`).
    Shell,
    /// requirements*.txt
    Requirements,
    /// pyproject.toml
    PyProject,
}

impl FileKind {
    pub const ALL: &'static [FileKind] = &[
        FileKind::DjangoSettings,
        FileKind::GunicornConfig,
        FileKind::Python,
        FileKind::Dockerfile,
        FileKind::Compose,
        FileKind::Nginx,
        FileKind::Postgres,
        FileKind::Redis,
        FileKind::Procfile,
        FileKind::Shell,
        FileKind::Requirements,
        FileKind::PyProject,
    ];

    /// The name used in `[files]` of the configuration.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::DjangoSettings => "django-settings",
            FileKind::GunicornConfig => "gunicorn",
            FileKind::Python => "python",
            FileKind::Dockerfile => "dockerfile",
            FileKind::Compose => "compose",
            FileKind::Nginx => "nginx",
            FileKind::Postgres => "postgres",
            FileKind::Redis => "redis",
            FileKind::Procfile => "procfile",
            FileKind::Shell => "shell",
            FileKind::Requirements => "requirements",
            FileKind::PyProject => "pyproject",
        }
    }

    pub fn from_name(name: &str) -> Option<FileKind> {
        FileKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    pub fn is_python(self) -> bool {
        matches!(self, FileKind::DjangoSettings | FileKind::GunicornConfig | FileKind::Python)
    }

    /// Guess the kind from the path alone; `None` when the name says nothing.
    // The name is lowercased first, so suffix checks are case-insensitive.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        let stem_has = |s: &str| lower.contains(s);
        // A Python module is Python whatever its stem says (`procfile.py`, `dockerfile.py`,
        // `nginx.py` are the generators of those files, not the files).
        if lower.ends_with(".py") {
            if lower.starts_with("gunicorn") {
                return Some(FileKind::GunicornConfig);
            }
            return Some(FileKind::Python);
        }
        if lower == "dockerfile" || lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile") || lower.starts_with("dockerfile-") {
            return Some(FileKind::Dockerfile);
        }
        if lower == "procfile" || lower.starts_with("procfile.") {
            return Some(FileKind::Procfile);
        }
        if lower == "pyproject.toml" {
            return Some(FileKind::PyProject);
        }
        if (lower.starts_with("requirements") && lower.ends_with(".txt")) || (path.parent().and_then(Path::file_name).and_then(|p| p.to_str()) == Some("requirements") && lower.ends_with(".txt")) {
            return Some(FileKind::Requirements);
        }
        if (lower.starts_with("docker-compose") || lower.starts_with("compose")) && (lower.ends_with(".yml") || lower.ends_with(".yaml")) {
            return Some(FileKind::Compose);
        }
        if lower == "postgresql.conf" || lower == "postgresql.auto.conf" || (stem_has("postgres") && lower.ends_with(".conf")) {
            return Some(FileKind::Postgres);
        }
        if lower == "redis.conf" || lower == "valkey.conf" || (lower.starts_with("redis") && lower.ends_with(".conf")) {
            return Some(FileKind::Redis);
        }
        if lower == "nginx.conf" || lower.ends_with(".nginx") || path.components().any(|c| c.as_os_str().to_str().is_some_and(|c| c == "nginx" || c == "sites-enabled" || c == "sites-available" || c == "conf.d")) && lower.ends_with(".conf") {
            return Some(FileKind::Nginx);
        }
        if lower.ends_with(".sh") || lower == "entrypoint" || lower == "docker-entrypoint" {
            return Some(FileKind::Shell);
        }
        None
    }

    /// Whether [`FileKind::from_path`] guessed this kind from the folder alone (a `.conf` in
    /// `conf.d/`, `nginx/`, `sites-enabled/`), not from the file's own name: the content must
    /// confirm it (see [`FileKind::contradicted_by`]).
    // The name is lowercased first, so the suffix check is case-insensitive.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    pub fn guessed_from_folder(self, path: &Path) -> bool {
        let lower = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        self == FileKind::Nginx && lower != "nginx.conf" && !lower.ends_with(".nginx")
    }

    /// Whether the content says a file is not of this kind. For nginx: no line ends a
    /// directive or a block (`;`, `{`, `}`), while lines are INI sections (`[program:web]`,
    /// `[www]`: supervisord, php-fpm, uWSGI, pgbouncer, MySQL) or `name = value` settings
    /// (PostgreSQL's `conf.d`, php-fpm pools).
    pub fn contradicted_by(self, text: &str) -> bool {
        if self != FileKind::Nginx {
            return false;
        }
        let mut foreign = false;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';')) {
            if line.ends_with(';') || line.ends_with('{') || line.ends_with('}') {
                return false;
            }
            let ini_section = line.starts_with('[') && line.ends_with(']');
            let assignment = line.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim();
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'))
            });
            foreign |= ini_section || assignment;
        }
        foreign
    }

    /// The kind a name-based guess turns out to be once the content is known: a Python file
    /// whose shebang runs a shell (`manage.py` that wraps `docker compose exec ...`) is a
    /// shell script.
    #[must_use]
    pub fn refine(self, text: &str) -> FileKind {
        if self.is_python() {
            let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
            if let Some(interpreter) = first.strip_prefix("#!") {
                let words: Vec<&str> = interpreter.split_whitespace().collect();
                // `#!/bin/sh`, `#!/usr/bin/env bash`: the program is the last path segment
                // of the first word, or (through env) of the word after it.
                let program = match words.first().map(|w| w.rsplit('/').next().unwrap_or(w)) {
                    Some("env") => words.iter().skip(1).find(|w| !w.starts_with('-')).copied(),
                    other => other,
                };
                if program.is_some_and(|p| matches!(p, "sh" | "bash" | "dash" | "zsh" | "ksh" | "ash")) {
                    return FileKind::Shell;
                }
            }
        }
        self
    }

    /// Guess the kind of a file whose name said nothing, from its first bytes.
    pub fn sniff(text: &str) -> Option<FileKind> {
        let head: String = text.chars().take(4096).collect();
        let first = head.lines().next().unwrap_or("");
        if first.starts_with("#!") && (first.contains("sh") || first.contains("bash")) {
            return Some(FileKind::Shell);
        }
        if first.starts_with("#!") && first.contains("python") {
            return Some(FileKind::Python);
        }
        let code_lines: Vec<&str> = head.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).take(20).collect();
        if code_lines.first().is_some_and(|l| l.to_ascii_uppercase().starts_with("FROM ") || l.starts_with("ARG ")) {
            return Some(FileKind::Dockerfile);
        }
        // Block openers, or directives that end with `;` (`worker_processes = 4` in a Python
        // or INI config is not nginx).
        let nginx_line = |l: &&str| {
            l.starts_with("http {") || l.starts_with("server {") || l.starts_with("events {") || (l.starts_with("upstream ") && l.ends_with('{')) || (l.starts_with("worker_processes") && l.ends_with(';') && !l.contains('='))
        };
        if code_lines.iter().any(nginx_line) {
            return Some(FileKind::Nginx);
        }
        if code_lines.iter().any(|l| l.starts_with("services:")) {
            return Some(FileKind::Compose);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_first() {
        let k = |p: &str| FileKind::from_path(Path::new(p));
        assert_eq!(k("backend/Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(k("docker-compose.yml"), Some(FileKind::Compose));
        assert_eq!(k("nginx/nginx.conf"), Some(FileKind::Nginx));
        assert_eq!(k("conf.d/site.conf"), Some(FileKind::Nginx));
        assert_eq!(k("postgres/postgresql.conf"), Some(FileKind::Postgres));
        assert_eq!(k("redis/redis.conf"), Some(FileKind::Redis));
        assert_eq!(k("gunicorn_config.py"), Some(FileKind::GunicornConfig));
        assert_eq!(k("requirements/prod.txt"), Some(FileKind::Requirements));
        assert_eq!(k("README.md"), None);
        // Generators of those files are Python modules.
        assert_eq!(k("bench/config/procfile.py"), Some(FileKind::Python));
        assert_eq!(k("tools/dockerfile.py"), Some(FileKind::Python));
        assert_eq!(k("conf.d/nginx.py"), Some(FileKind::Python));
        for kind in FileKind::ALL {
            assert_eq!(FileKind::from_name(kind.name()), Some(*kind));
        }
    }

    #[test]
    fn folder_guesses_need_nginx_content() {
        let conf_d = Path::new("conf.d/10-tuning.conf");
        assert!(FileKind::Nginx.guessed_from_folder(conf_d));
        assert!(!FileKind::Nginx.guessed_from_folder(Path::new("deploy/nginx.conf")));
        // PostgreSQL, supervisord, php-fpm look-alikes.
        assert!(FileKind::Nginx.contradicted_by("# tuning\nshared_buffers = 1GB\nwork_mem = 16MB\n"));
        assert!(FileKind::Nginx.contradicted_by("[program:web]\ncommand=gunicorn app.wsgi\n"));
        assert!(FileKind::Nginx.contradicted_by("; pool\n[www]\npm.max_children = 5\n"));
        // nginx snippets, including ones with `=` in values and empty ones.
        assert!(!FileKind::Nginx.contradicted_by("server {\n  listen 80;\n}\n"));
        assert!(!FileKind::Nginx.contradicted_by("proxy_set_header X-A $a;\nset $x \"a=b\";\n"));
        assert!(!FileKind::Nginx.contradicted_by("# nothing yet\n"));
    }

    #[test]
    fn content_refines_a_python_name() {
        assert_eq!(FileKind::Python.refine("#!/bin/sh\ndocker compose exec app ./manage.py \"$@\"\n"), FileKind::Shell);
        assert_eq!(FileKind::Python.refine("#!/usr/bin/env bash\nexec x\n"), FileKind::Shell);
        assert_eq!(FileKind::Python.refine("#!/usr/bin/env python3\nimport os\n"), FileKind::Python);
        assert_eq!(FileKind::Python.refine("import os\n"), FileKind::Python);
        assert_eq!(FileKind::Nginx.refine("#!/bin/sh\n"), FileKind::Nginx);
    }

    #[test]
    fn sniffing() {
        assert_eq!(FileKind::sniff("# syntax=docker/dockerfile:1\nFROM python:3.12\n"), Some(FileKind::Dockerfile));
        assert_eq!(FileKind::sniff("#!/bin/sh\nexec gunicorn app:app\n"), Some(FileKind::Shell));
        assert_eq!(FileKind::sniff("hello"), None);
        assert_eq!(FileKind::sniff("worker_processes auto;\nevents {}\n"), Some(FileKind::Nginx));
        assert_eq!(FileKind::sniff("upstream app {\n  server a:1;\n}\n"), Some(FileKind::Nginx));
        // A Python or INI config that names the same settings is not nginx.
        assert_eq!(FileKind::sniff("import os\nworker_processes = 4\nupstream = os.environ['UPSTREAM']\n"), None);
    }
}
