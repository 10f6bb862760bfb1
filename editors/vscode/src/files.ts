// The files stacklint reads, as VS Code globs: which open documents go to the server, and
// which changes on disk it hears about. They follow crates/stacklint_project/src/kind.rs
// (names) and crates/stacklint_workspace/src/discovery.rs (a `.conf` is told by its
// content, so every `.conf` is sent and the server decides). VS Code has no language id
// for most of these formats, hence patterns rather than languages.

/** Globs of the documents the server lints (`scheme: file` and unsaved `untitled` aside). */
export const DOCUMENT_PATTERNS: readonly string[] = [
  // Dockerfiles
  "**/{Dockerfile,Containerfile,dockerfile,containerfile}",
  "**/{Dockerfile,Containerfile,dockerfile,containerfile}{.,-}*",
  "**/*.{dockerfile,Dockerfile}",
  // Compose
  "**/{docker-compose,compose}*.{yml,yaml}",
  // nginx, PostgreSQL, Redis, supervisord: `.conf` files are recognised by their content
  "**/*.conf",
  "**/*.nginx",
  "**/{mime.types,*_params}",
  "**/{nginx,sites-enabled,sites-available}/*",
  // supervisord programs, systemd units
  "**/{supervisor,supervisord,supervisor.d,supervisord.d,conf.d}/*.ini",
  "**/*.{service,socket}",
  // Python: Django settings, gunicorn configs, models and views
  "**/settings*.py",
  "**/settings/**/*.py",
  "**/gunicorn*.py",
  "**/{models,views,urls,wsgi,asgi,celery,manage}.py",
  "**/{models,views}/**/*.py",
  // Procfiles, entrypoints, requirements
  "**/{Procfile,Procfile.*}",
  "**/{entrypoint,docker-entrypoint,*.sh}",
  "**/requirements*.txt",
  "**/requirements/*.txt",
  "**/pyproject.toml",
];

/** Languages other extensions (or this one) give these files. */
export const DOCUMENT_LANGUAGES: readonly string[] = ["dockerfile", "dockercompose", "nginx", "pgconf", "redisconf"];

/**
 * Files whose change on disk the server must hear about: its configuration (reload) and
 * every file a cross-file rule may read (re-lint the open files that depend on it).
 */
export const WATCHED_PATTERN =
  "**/{stacklint.toml,.stacklint.toml,pyproject.toml,.env,Dockerfile*,Containerfile*,*.dockerfile,docker-compose*.{yml,yaml},compose*.{yml,yaml},*.conf,*.nginx,*.py,Procfile*,*.sh,requirements*.txt,*.service,*.socket,*.ini}";
