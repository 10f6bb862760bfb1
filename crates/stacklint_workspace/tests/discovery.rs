//! File discovery over temporary trees and the shared scenario folders.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use stacklint_project::{FileKind, GIB, TargetSource};
use stacklint_workspace::{Discovery, DiscoveryWarning, Overrides, discover, find_config};

/// Write `files` (path, content) under a new temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for (path, content) in files {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        fs::write(&path, content).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    dir
}

fn run(paths: &[PathBuf], overrides: &Overrides) -> Discovery {
    discover(paths, None, overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn rel(root: &Path, path: &Path) -> String {
    let abs_root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    path.strip_prefix(&abs_root)
        .unwrap_or(path)
        .display()
        .to_string()
        .replace('\\', "/")
}

/// One line per project (`root [config]`) and per file (`  path kind [explicit]`), relative to `root`.
fn listing(root: &Path, discovery: &Discovery) -> String {
    let mut out = String::new();
    for project in &discovery.projects {
        let config = project
            .config
            .path
            .as_deref()
            .map_or_else(|| "(defaults)".to_owned(), |p| rel(root, p));
        let _ = writeln!(out, "project `{}` {config}", rel(root, &project.root));
        for file in &project.files {
            let explicit = if file.explicit { " (named)" } else { "" };
            let _ = writeln!(
                out,
                "  {} {}{explicit}",
                rel(root, &file.path),
                file.kind.name()
            );
        }
    }
    out
}

#[test]
fn closest_config_wins() {
    let dir = tree(&[
        ("stacklint.toml", "select = [\"GUN\"]\n"),
        ("Dockerfile", "FROM python\n"),
        ("sub/.stacklint.toml", "select = [\"NGX\"]\n"),
        (
            "sub/pyproject.toml",
            "[tool.stacklint]\nselect = [\"DKR\"]\n",
        ),
        ("sub/Dockerfile", "FROM python\n"),
        ("sub/deeper/pyproject.toml", "[project]\nname = \"plain\"\n"),
        ("sub/deeper/Procfile", "web: gunicorn app:app\n"),
        (
            "other/pyproject.toml",
            "[tool.stacklint]\nselect = [\"DJS\"]\n",
        ),
        ("other/Procfile", "web: gunicorn app:app\n"),
    ]);
    let root = dir.path();
    let found = run(&[root.to_path_buf()], &Overrides::default());
    insta::assert_snapshot!(listing(root, &found), @r"
    project `` stacklint.toml
      Dockerfile dockerfile
    project `other` other/pyproject.toml
      other/Procfile procfile
      other/pyproject.toml pyproject
    project `sub` sub/.stacklint.toml
      sub/Dockerfile dockerfile
      sub/deeper/Procfile procfile
      sub/deeper/pyproject.toml pyproject
      sub/pyproject.toml pyproject
    ");
    let select = |p: &str| {
        find_config(&root.join(p))
            .ok()
            .flatten()
            .and_then(|c| c.select)
            .unwrap_or_default()
    };
    assert_eq!(select("sub/deeper/Procfile"), ["NGX"]);
    assert_eq!(select("sub"), ["NGX"]);
    assert_eq!(select("other/Procfile"), ["DJS"]);
    assert_eq!(select("Dockerfile"), ["GUN"]);

    // Linting only the nested folder still finds the nested configuration.
    let found = run(&[root.join("sub/deeper")], &Overrides::default());
    assert_eq!(found.projects.len(), 1);
    assert_eq!(
        found.projects[0].config.select,
        Some(vec!["NGX".to_owned()])
    );
}

#[test]
fn without_a_config_the_linted_folder_is_the_root() {
    let dir = tree(&[
        ("app/Dockerfile", "FROM python\n"),
        ("app/gunicorn.conf.py", "workers = 2\n"),
    ]);
    let found = run(
        &[dir.path().join("app")],
        &Overrides {
            target: Some("cpus=2".to_owned()),
            ..Overrides::default()
        },
    );
    assert_eq!(found.projects.len(), 1);
    let project = &found.projects[0];
    assert_eq!(project.config.path, None);
    assert_eq!(rel(dir.path(), &project.root), "app");
    assert_eq!(project.config.target.cpus_source, TargetSource::CommandLine);
    assert_eq!(project.files.len(), 2);
}

#[test]
fn ignored_and_excluded_files_are_skipped_unless_named() {
    let dir = tree(&[
        (
            "stacklint.toml",
            "exclude = [\"legacy\", \"deploy/old-*.conf\"]\n",
        ),
        (".gitignore", "build/\n*.generated.conf\n"),
        ("Dockerfile", "FROM python\n"),
        ("build/Dockerfile", "FROM python\n"),
        ("nginx/site.generated.conf", "server {}\n"),
        ("nginx/site.conf", "server {}\n"),
        ("legacy/nginx.conf", "events {}\n"),
        ("deploy/old-site.conf", "server {\n}\n"),
        ("deploy/nginx.conf", "events {}\n"),
        ("node_modules/pkg/Dockerfile", "FROM node\n"),
        ("target/Dockerfile", "FROM rust\n"),
        (".venv/lib/gunicorn.conf.py", "\n"),
        ("venv/lib/gunicorn.conf.py", "\n"),
        ("app/__pycache__/gunicorn.conf.py", "\n"),
        (".hidden/Dockerfile", "FROM python\n"),
        ("README.md", "# readme\n"),
    ]);
    let root = dir.path();
    let found = run(&[root.to_path_buf()], &Overrides::default());
    insta::assert_snapshot!(listing(root, &found), @r"
    project `` stacklint.toml
      Dockerfile dockerfile
      deploy/nginx.conf nginx
      nginx/site.conf nginx
    ");

    let named = [
        root.to_path_buf(),
        root.join("build/Dockerfile"),
        root.join("legacy/nginx.conf"),
        root.join("nginx/site.generated.conf"),
    ];
    let found = run(&named, &Overrides::default());
    insta::assert_snapshot!(listing(root, &found), @r"
    project `` stacklint.toml
      Dockerfile dockerfile
      build/Dockerfile dockerfile (named)
      deploy/nginx.conf nginx
      legacy/nginx.conf nginx (named)
      nginx/site.conf nginx
      nginx/site.generated.conf nginx (named)
    ");
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn kinds_from_files_table_names_and_content() {
    let dir = tree(&[
        (
            "stacklint.toml",
            "[files]\n\"deploy/*.tmpl\" = \"nginx\"\n\"settings_prod.py\" = \"django-settings\"\n",
        ),
        ("deploy/site.tmpl", "server {}\n"),
        ("other/site.tmpl", "server {}\n"),
        ("settings_prod.py", "DEBUG = False\n"),
        ("bin/start", "#!/bin/sh\nexec gunicorn app:app\n"),
        ("conf/web.conf", "server {\n  listen 80;\n}\n"),
        ("notes.txt", "nothing to see\n"),
        ("docs/index.md", "# docs\n"),
        ("image/Containerfile.txt", "FROM python:3.13\n"),
    ]);
    let root = dir.path();
    let found = run(&[root.to_path_buf()], &Overrides::default());
    insta::assert_snapshot!(listing(root, &found), @r"
    project `` stacklint.toml
      bin/start shell
      conf/web.conf nginx
      deploy/site.tmpl nginx
      image/Containerfile.txt dockerfile
      settings_prod.py django-settings
    ");
}

#[test]
fn named_files_of_unknown_kind_and_missing_paths_are_warnings() {
    let dir = tree(&[("notes.md", "hello\n"), ("Dockerfile", "FROM python\n")]);
    let root = dir.path();
    let found = run(
        &[
            root.join("notes.md"),
            root.join("missing"),
            root.join("Dockerfile"),
        ],
        &Overrides::default(),
    );
    assert_eq!(found.files().count(), 1);
    assert_eq!(found.warnings.len(), 2);
    assert!(matches!(
        &found.warnings[0],
        DiscoveryWarning::UnknownKind { .. }
    ));
    assert!(
        matches!(&found.warnings[1], DiscoveryWarning::NotFound { .. })
            && found.warnings[1].is_error()
    );
    let message = found.warnings[0].to_string();
    assert!(message.ends_with("notes.md: cannot tell what kind of file this is; map it in [files] as \"notes.md\" = \"KIND\", KIND one of: django-settings, gunicorn, python, dockerfile, compose, nginx, postgres, redis, procfile, shell, requirements, pyproject, supervisord, systemd"), "{message}");
}

#[test]
fn a_bad_config_governs_only_its_subtree() {
    let dir = tree(&[
        ("sub/stacklint.toml", "[target]\ncpus = \"many\"\n"),
        ("sub/Dockerfile", "FROM python\n"),
        ("sub/deeper/Procfile", "web: gunicorn app:app\n"),
        ("Dockerfile", "FROM python\n"),
        ("other/Procfile", "web: gunicorn app:app\n"),
    ]);
    let root = dir.path();
    // Walked, and named: the files outside `sub/` are found, those inside are not, and the
    // broken configuration is reported once, with its place.
    for paths in [
        vec![root.to_path_buf()],
        vec![
            root.join("Dockerfile"),
            root.join("sub/Dockerfile"),
            root.join("sub"),
            root.join("other"),
        ],
    ] {
        let found = run(&paths, &Overrides::default());
        let files: Vec<String> = found.files().map(|(_, f)| rel(root, &f.path)).collect();
        assert_eq!(files, ["Dockerfile", "other/Procfile"], "{paths:?}");
        let errors: Vec<&DiscoveryWarning> =
            found.warnings.iter().filter(|w| w.is_error()).collect();
        assert_eq!(errors.len(), 1, "{:?}", found.warnings);
        let message = errors[0].to_string();
        assert!(
            message.starts_with("invalid value for `target.cpus` in "),
            "{message}"
        );
        assert!(
            message.contains(
                "sub/stacklint.toml:2:8: invalid CPU count `many`: expected a positive number\n  note: the files under "
            ) && message.ends_with("sub/ were not linted"),
            "{message}"
        );
    }
}

#[test]
fn explicit_config_governs_everything() {
    let dir = tree(&[
        ("ci/lint.toml", "ignore = [\"GUN\"]\n[target]\ncpus = 16\n"),
        ("stacklint.toml", "ignore = [\"NOT-USED\"]\n"),
        ("a/Dockerfile", "FROM python\n"),
        ("b/Procfile", "web: gunicorn app:app\n"),
    ]);
    let root = dir.path();
    let found = discover(
        &[root.join("a"), root.join("b")],
        Some(&root.join("ci/lint.toml")),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.projects.len(), 1);
    let project = &found.projects[0];
    assert_eq!(project.config.ignore, ["GUN"]);
    assert!((project.config.target.cpus - 16.0).abs() < f64::EPSILON);
    assert_eq!(project.files.len(), 2);
}

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

fn scenarios() -> Option<PathBuf> {
    shared_inputs::require(shared_inputs::scenarios_dir(), "the scenarios")
}

#[test]
fn scenario_folders() {
    let Some(scenarios) = scenarios() else { return };
    let mut out = String::new();
    for name in ["wingman", "eventmate", "ragstack"] {
        let root = scenarios.join(name);
        let found = run(std::slice::from_ref(&root), &Overrides::default());
        assert!(found.warnings.is_empty(), "{name}: {:?}", found.warnings);
        assert_eq!(found.projects.len(), 1, "{name}");
        let target = &found.projects[0].config.target;
        assert!(
            matches!(&target.cpus_source, TargetSource::Config(p) if p.ends_with("stacklint.toml")),
            "{name}"
        );
        let _ = writeln!(
            out,
            "{name}: {} / {}",
            target.cpus_text(),
            target.memory_text()
        );
        out.push_str(&listing(&root, &found));
    }
    insta::assert_snapshot!(out);

    let kind = |scenario: &str, file: &str| {
        let root = scenarios.join(scenario);
        let found = run(std::slice::from_ref(&root), &Overrides::default());
        found
            .files()
            .find(|(_, f)| rel(&root, &f.path) == file)
            .map(|(_, f)| f.kind)
    };
    assert_eq!(kind("wingman", "Dockerfile"), Some(FileKind::Dockerfile));
    assert_eq!(kind("wingman", "nginx/nginx.conf"), Some(FileKind::Nginx));
    assert_eq!(kind("ragstack", "redis/redis.conf"), Some(FileKind::Redis));
    assert_eq!(kind("eventmate", "Procfile"), Some(FileKind::Procfile));
    assert_eq!(
        kind("eventmate", "requirements.txt"),
        Some(FileKind::Requirements)
    );

    let found = run(&[scenarios.join("ragstack")], &Overrides::default());
    assert_eq!(found.projects[0].config.target.memory, 16 * GIB);
}

#[test]
fn settings_module_names_the_django_settings() {
    let dir = tree(&[
        (
            "stacklint.toml",
            "[django]\nsettings-module = \"mysite.settings.production\"\n",
        ),
        ("src/mysite/settings/production.py", "DEBUG = False\n"),
        ("src/mysite/settings/base.py", "DEBUG = True\n"),
        ("src/other/production.py", "\n"),
    ]);
    let root = dir.path();
    let found = run(&[root.to_path_buf()], &Overrides::default());
    insta::assert_snapshot!(listing(root, &found), @r"
    project `` stacklint.toml
      src/mysite/settings/base.py python
      src/mysite/settings/production.py django-settings
      src/other/production.py python
    ");
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// FIFOs are told by their type, never opened (a read would block the run forever); links
/// leading out of the project are not read; links inside it are linted under their name.
#[cfg(unix)]
#[test]
fn fifos_and_links_outside_the_project_are_skipped() {
    let outside = tree(&[("gunicorn.conf.py", "workers = 3\n")]);
    let dir = tree(&[
        ("Dockerfile", "FROM python\n"),
        ("deploy/nginx.conf", "events {}\n"),
    ]);
    let root = dir.path();
    if !mkfifo(&root.join("redis.conf")) {
        eprintln!("SKIPPED: mkfifo unavailable");
        return;
    }
    std::os::unix::fs::symlink(
        outside.path().join("gunicorn.conf.py"),
        root.join("gunicorn.conf.py"),
    )
    .unwrap();
    fs::create_dir(root.join("site")).unwrap();
    std::os::unix::fs::symlink("../deploy/nginx.conf", root.join("site/nginx.conf")).unwrap();

    let found = run(&[root.to_path_buf()], &Overrides::default());
    let files: Vec<String> = found.files().map(|(_, f)| rel(root, &f.path)).collect();
    assert_eq!(
        files,
        ["Dockerfile", "deploy/nginx.conf", "site/nginx.conf"]
    );
    let mut warnings: Vec<String> = found
        .warnings
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                w.is_error(),
                w.to_string()
                    .replace(&*root.to_string_lossy(), "ROOT")
                    .replace(&*outside.path().to_string_lossy(), "OUTSIDE")
            )
        })
        .collect();
    warnings.sort();
    let canonical_outside = fs::canonicalize(outside.path()).unwrap();
    let warnings: Vec<String> = warnings
        .iter()
        .map(|w| w.replace(&*canonical_outside.to_string_lossy(), "OUTSIDE"))
        .collect();
    assert_eq!(
        warnings,
        [
            "false ROOT/gunicorn.conf.py: symbolic link to OUTSIDE/gunicorn.conf.py, outside the project ROOT; not read, not fixed",
            "false ROOT/redis.conf: a FIFO (named pipe), not a regular file; skipped",
        ]
    );

    // Named on the command line: an error (exit 2), still never opened.
    let found = run(
        &[root.join("redis.conf"), root.join("Dockerfile")],
        &Overrides::default(),
    );
    assert_eq!(found.files().count(), 1);
    assert_eq!(found.warnings.len(), 1);
    assert!(found.warnings[0].is_error());
    assert!(
        found.warnings[0]
            .to_string()
            .ends_with("redis.conf: a FIFO (named pipe), not a regular file; skipped")
    );
}
