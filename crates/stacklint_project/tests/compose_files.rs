//! Compose as Docker Compose reads it: a folder's override file merged into its main file,
//! `extends` and `include` followed, profiles, `.env` interpolation, and bad input (missing
//! files, circular `extends`, binary env files, a mount of `/`, 1,000 services).

#![allow(clippy::float_cmp)] // CPU counts parsed from text compare exactly

use std::fmt::Write as _;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use stacklint_project::compose::ComposeService;
use stacklint_project::{ContextReader, Project, ProjectOptions};

/// A project of `sources`, with `context` readable as files outside it (`.env`, ...).
fn project(sources: &[(&str, &str)], context: &[(&str, &str)]) -> Project {
    let files: HashMap<PathBuf, String> = context.iter().map(|(p, t)| (PathBuf::from(p), (*t).to_owned())).collect();
    Project::from_sources(ProjectOptions { reader: ContextReader::from_files(files), ..ProjectOptions::default() }, sources)
}

fn text_at<'a>(sources: &'a [(&str, &str)], file: &Path, range: stacklint_text::TextRange) -> &'a str {
    let text = sources.iter().find(|(p, _)| Path::new(p) == file).map(|(_, t)| *t).unwrap_or_default();
    range.slice(text)
}

fn problems(p: &Project) -> Vec<String> {
    p.compose.problems.iter().map(|x| format!("{}: {}", x.file.display(), x.message)).collect()
}

const MAIN: &str = "services:
  web:
    image: app:1.0
    command: gunicorn app:app
    environment:
      DEBUG: \"0\"
      DATABASE_URL: postgres://db/app
    volumes:
      - ./conf/app.conf:/etc/app.conf
    ports:
      - \"8000:8000\"
  db:
    image: postgres:16
";

const OVERRIDE: &str = "services:
  web:
    command: gunicorn app:app --reload
    environment:
      DEBUG: \"1\"
    volumes:
      - ./conf/dev.conf:/etc/app.conf
    ports:
      - \"5678:5678\"
  debug:
    image: busybox
    profiles: [debug]
";

#[test]
fn override_file_is_merged_into_its_main_file_and_values_keep_their_file() {
    let sources = [
        ("docker-compose.yml", MAIN),
        ("docker-compose.override.yml", OVERRIDE),
        ("docker-compose.prod.yml", "services:\n  web:\n    image: app:1.0\n"),
        ("conf/app.conf", "x\n"),
        ("conf/dev.conf", "y\n"),
    ];
    let p = project(&sources, &[]);
    let names: Vec<(String, &str)> = p.compose.services.iter().map(|s| (s.file.display().to_string(), s.name.as_str())).collect();
    // The prod file is its own application (used with `-f`): not merged.
    assert_eq!(names, [("docker-compose.yml".into(), "web"), ("docker-compose.yml".into(), "db"), ("docker-compose.override.yml".into(), "debug"), ("docker-compose.prod.yml".into(), "web")]);
    let web = p.compose.service(Path::new("docker-compose.yml"), "web").unwrap();
    assert_eq!(web.layers.len(), 2);
    // Found by either file that defines it.
    assert_eq!(p.compose.service(Path::new("docker-compose.override.yml"), "web").unwrap().name, "web");
    // command replaced, with its range in the override.
    let command = web.merged.command.as_ref().unwrap();
    assert_eq!(command.file, Path::new("docker-compose.override.yml"));
    assert_eq!(text_at(&sources, &command.file, command.value.range), "gunicorn app:app --reload");
    // environment merged by name: DEBUG from the override, DATABASE_URL kept.
    let env: Vec<(&str, &str, String)> = web.merged.environment.iter().map(|e| (e.value.name.value.as_str(), e.value.value.as_ref().unwrap().value.as_str(), e.file.display().to_string())).collect();
    assert_eq!(env, [("DEBUG", "1", "docker-compose.override.yml".into()), ("DATABASE_URL", "postgres://db/app", "docker-compose.yml".into())]);
    // volumes by target (the override's file wins), ports appended.
    assert_eq!(web.mounts.iter().map(|m| (m.file.clone(), m.compose_file.clone())).collect::<Vec<_>>(), [(PathBuf::from("conf/dev.conf"), PathBuf::from("docker-compose.override.yml"))]);
    assert_eq!(web.merged.ports.len(), 2);
    // The deployment model shows the merged service once, the command from the override.
    let deployed: Vec<_> = p.deployment.services.iter().filter(|s| s.name == "web").collect();
    assert_eq!(deployed.len(), 2, "the main application's web and the prod file's web");
    let dev = deployed.first().unwrap();
    assert_eq!(dev.command.as_ref().unwrap().origin.file, Path::new("docker-compose.override.yml"));
    assert_eq!(dev.env("DEBUG").unwrap().value.as_deref(), Some("1"));
    // Profiles: the service only starts with `--profile debug`.
    let debug = p.deployment.service("debug").unwrap();
    assert_eq!(debug.profiles, ["debug"]);
    assert!(p.deployment.service("db").unwrap().profiles.is_empty());
}

#[test]
fn compose_yaml_pairs_with_its_override_and_a_lone_override_stands_alone() {
    let p = project(&[("compose.yaml", "services:\n  web:\n    image: a:1\n"), ("compose.override.yaml", "services:\n  web:\n    image: a:2\n"), ("other/docker-compose.override.yml", "services:\n  x:\n    image: b:1\n")], &[]);
    let images: Vec<(&str, &str)> = p.deployment.services.iter().map(|s| (s.name.as_str(), s.image.as_ref().unwrap().value.as_str())).collect();
    assert_eq!(images, [("web", "a:2"), ("x", "b:1")]);
}

#[test]
fn extends_in_the_same_file_and_another_file() {
    let compose = "services:
  base:
    image: app:1.0
    environment:
      A: \"1\"
  web:
    extends: base
    environment:
      B: \"2\"
  worker:
    extends:
      file: common/services.yml
      service: worker
    command: celery -A app worker
";
    let common = "services:\n  worker:\n    image: app:2.0\n    environment:\n      C: \"3\"\n    deploy:\n      resources:\n        limits: {cpus: \"0.5\"}\n";
    let p = project(&[("docker-compose.yml", compose)], &[("common/services.yml", common)]);
    assert!(p.compose.problems.is_empty(), "{:?}", problems(&p));
    let web = p.compose.service(Path::new("docker-compose.yml"), "web").unwrap();
    let names: Vec<&str> = web.merged.environment.iter().map(|e| e.value.name.value.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(web.merged.image.as_ref().unwrap().value.value.value, "app:1.0");
    let worker = p.compose.service(Path::new("docker-compose.yml"), "worker").unwrap();
    // The base's values point into the file that wrote them.
    let image = worker.merged.image.as_ref().unwrap();
    assert_eq!((image.file.as_path(), image.value.value.value.as_str()), (Path::new("common/services.yml"), "app:2.0"));
    assert_eq!(&common[image.value.value.range.start()..image.value.value.range.end()], "app:2.0");
    assert_eq!(worker.target.cpus, 0.5);
    assert!(p.compose.files.iter().any(|d| d.path == Path::new("common/services.yml") && !d.in_project));
}

#[test]
fn circular_extends_is_reported_with_the_files_and_not_followed() {
    let a = "services:\n  web:\n    image: a:1\n    extends:\n      file: b.yml\n      service: api\n";
    let b = "services:\n  api:\n    extends:\n      file: docker-compose.yml\n      service: web\n";
    let p = project(&[("docker-compose.yml", a)], &[("b.yml", b)]);
    let found = problems(&p);
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found.first().unwrap();
    assert!(message.contains("circular `extends`") && message.contains("docker-compose.yml `web`") && message.contains("b.yml `api`"), "{message}");
    // The service is still there, with what is known.
    assert_eq!(p.deployment.service("web").unwrap().image.as_ref().unwrap().value, "a:1");
    // A service extending itself.
    let p = project(&[("docker-compose.yml", "services:\n  web:\n    extends: web\n    image: x:1\n")], &[]);
    assert!(problems(&p).first().is_some_and(|m| m.contains("circular `extends`: docker-compose.yml `web` → docker-compose.yml `web`")), "{:?}", problems(&p));
}

#[test]
fn a_long_extends_chain_is_bounded() {
    let mut compose = String::from("services:\n  s0:\n    image: app:1\n");
    for i in 1..200 {
        let _ = write!(compose, "  s{i}:\n    extends: s{}\n", i - 1);
    }
    let p = project(&[("docker-compose.yml", &compose)], &[]);
    assert!(problems(&p).iter().any(|m| m.contains("deeper than 32")), "{:?}", problems(&p));
    // Within the bound the image is inherited; beyond it, nothing is guessed.
    assert_eq!(p.compose.services.get(20).and_then(|s| s.merged.image.as_ref()).map(|i| i.value.value.value.as_str()), Some("app:1"));
    assert!(p.compose.services.get(150).is_some_and(|s| s.merged.image.is_none()));
}

#[test]
fn include_brings_the_services_of_other_files() {
    let main = "include:\n  - db/compose.yaml\n  - path: missing.yml\nservices:\n  web:\n    image: app:1\n    depends_on: [db]\n";
    let db = "include:\n  - ../docker-compose.yml\nservices:\n  db:\n    image: postgres:16\n";
    let p = project(&[("docker-compose.yml", main), ("db/compose.yaml", db)], &[]);
    let names: Vec<(&str, String)> = p.compose.services.iter().map(|s| (s.name.as_str(), s.file.display().to_string())).collect();
    // The included file is part of the application, not one of its own (and the include
    // back to the main file is not followed again).
    assert_eq!(names, [("web", "docker-compose.yml".into()), ("db", "db/compose.yaml".into())]);
    assert_eq!(problems(&p), ["docker-compose.yml: `include` of `missing.yml`: not found; its services are unknown"]);
}

#[test]
fn dot_env_interpolates_images_limits_replicas_ports_and_environment() {
    let compose = "services:
  web:
    image: app:${TAG}
    ports:
      - \"${PORT:-8000}:8000\"
    environment:
      DATABASE_URL: postgres://${DB_HOST:-db}/app
      SECRET: ${SECRET:?set SECRET}
      PRICE: $$5
    deploy:
      replicas: ${REPLICAS}
      resources:
        limits:
          cpus: ${CPUS:-2}
          memory: ${MEMORY}
  other:
    image: app:${UNSET_TAG}
";
    let p = project(&[("docker-compose.yml", compose)], &[(".env", "TAG=1.4\nREPLICAS=3\nCPUS=0.5\nDB_HOST=\n")]);
    let web = p.deployment.service("web").unwrap();
    assert_eq!(web.image.as_ref().unwrap().value, "app:1.4");
    assert_eq!(web.replicas.as_ref().unwrap().value, 3);
    assert_eq!(web.ports.first().unwrap().value, "8000:8000");
    assert_eq!(web.target.cpus, 0.5);
    // MEMORY is set nowhere: no limit is assumed.
    assert_eq!(web.target.memory, ProjectOptions::default().target.memory);
    // `:-` uses the default when the .env sets an empty value.
    assert_eq!(web.env("DATABASE_URL").unwrap().value.as_deref(), Some("postgres://db/app"));
    // `:?` with the variable unset: compose would stop; the value is unknown, shown as written.
    assert_eq!(web.env("SECRET").unwrap().value.as_deref(), Some("${SECRET:?set SECRET}"));
    assert_eq!(web.env("PRICE").unwrap().value.as_deref(), Some("$5"));
    assert_eq!(p.deployment.service("other").unwrap().image.as_ref().unwrap().value, "app:${UNSET_TAG}");
    let cs: &ComposeService = p.compose.services.first().unwrap();
    assert_eq!(cs.env.file.as_deref(), Some(Path::new(".env")));
}

#[test]
fn env_files_are_read_through_the_reader() {
    let compose = "services:\n  web:\n    image: app:1\n    env_file: [envs/web.env, envs/missing.env, envs/garbage.env]\n";
    let p = project(&[("docker-compose.yml", compose)], &[("envs/web.env", "# c\nDJANGO_SETTINGS_MODULE=app.settings.prod\n"), ("envs/garbage.env", "\u{0}\u{1}\u{2}PK\u{3}\u{4}")]);
    let web = p.deployment.service("web").unwrap();
    assert_eq!(web.env("DJANGO_SETTINGS_MODULE").unwrap().value.as_deref(), Some("app.settings.prod"));
    assert_eq!(web.env("DJANGO_SETTINGS_MODULE").unwrap().origin.file, Path::new("envs/web.env"));
    let missing: Vec<&str> = web.missing_env_files.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(missing, ["envs/missing.env", "envs/garbage.env"]);
    assert_eq!(problems(&p), ["docker-compose.yml: service `web`: `env_file` `envs/garbage.env`: a binary file; its variables are unknown"]);
}

#[test]
fn bad_input_gets_a_message_at_its_place_and_nothing_guessed() {
    let compose = "services:
  web:
    build:
      context: ./api
    extends:
      file: nowhere.yml
      service: base
    volumes:
      - /:/host:ro
  worker:
    extends:
      service: nobody
";
    let sources = [("docker-compose.yml", compose)];
    let p = project(&sources, &[(".env", "A=1\u{0}\u{0}garbage")]);
    let found = problems(&p);
    for want in [
        "`.env` is a binary file",
        "`extends` file `nowhere.yml`: not found; the service's base is unknown",
        "`extends` names service `nobody`, which docker-compose.yml does not define",
        "service `web`: `build` names `api/Dockerfile`, which does not exist",
        "service `web` bind-mounts the host's whole filesystem `/` at `/host`",
    ] {
        assert!(found.iter().any(|m| m.contains(want)), "missing {want:?} in {found:#?}");
    }
    // Each problem is at the place that names it.
    let mount = p.compose.problems.iter().find(|x| x.message.contains("bind-mounts")).unwrap();
    assert_eq!(text_at(&sources, &mount.file, mount.range.unwrap()), "/:/host:ro");
    let web = p.compose.service(Path::new("docker-compose.yml"), "web").unwrap();
    assert!(web.dockerfile.is_none() && web.mounts.is_empty());
}

#[test]
fn a_missing_build_file_of_a_file_used_with_f_is_not_reported() {
    // `docker compose -f deploy/prod.yml` resolves paths against the current folder,
    // which is not known: nothing is claimed.
    let p = project(&[("deploy/prod.yml", "services:\n  web:\n    build: ./api\n")], &[]);
    assert!(p.compose.problems.is_empty(), "{:?}", problems(&p));
}

/// 1,000 services are all modelled (how fast: `benches/deployment_model.rs`).
#[test]
fn a_thousand_services_are_all_modelled() {
    let mut compose = String::from("services:\n");
    for i in 0..1000_u32 {
        let _ = write!(compose, "  svc{i}:\n    image: app:${{TAG:-1.0}}\n    command: gunicorn app:app -w 2\n    depends_on: [svc{}]\n", i.saturating_sub(1));
    }
    let p = project(&[("docker-compose.yml", &compose)], &[]);
    assert_eq!(p.compose.services.len(), 1000);
    assert_eq!(p.deployment.services.len(), 1000);
    assert_eq!(p.deployment.services.get(999).and_then(|s| s.image.as_ref()).map(|i| i.value.as_str()), Some("app:1.0"));
}

#[test]
fn image_versions_written_with_variables_are_interpolated() {
    let compose = "services:\n  db:\n    image: postgres:${PG_VERSION:-15}\n  cache:\n    image: redis:${REDIS_TAG}\n  web:\n    image: nginx:${NGINX}\n";
    let p = project(&[("docker-compose.yml", compose)], &[(".env", "NGINX=1.27\n")]);
    let version = |v: &Option<stacklint_project::KnownVersion>| v.as_ref().map(|v| v.version.to_string());
    assert_eq!(version(&p.versions.postgres).as_deref(), Some("15"));
    assert_eq!(version(&p.versions.nginx).as_deref(), Some("1.27"));
    // REDIS_TAG is set nowhere: no version is assumed.
    assert_eq!(version(&p.versions.redis), None);
}

#[test]
fn deep_include_nesting_is_bounded() {
    let mut context: Vec<(String, String)> = Vec::new();
    for i in 0..500 {
        context.push((format!("inc{i}.yml"), format!("include: [inc{}.yml]\nservices:\n  s{i}:\n    image: app:1\n", i + 1)));
    }
    let context: Vec<(&str, &str)> = context.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let p = project(&[("docker-compose.yml", "include: [inc0.yml]\nservices:\n  web:\n    image: app:1\n")], &context);
    assert!(problems(&p).iter().any(|m| m.contains("deeper than 32")), "{:?}", problems(&p));
    // web and the 32 files within the bound.
    assert_eq!(p.compose.services.len(), 33);
}

#[test]
fn configs_and_secrets_backed_by_project_files_are_seen_by_the_service() {
    let compose = "services:
  proxy:
    image: nginx:1.27
    configs:
      - source: site
        target: /etc/nginx/conf.d/default.conf
      - main
    secrets:
      - db_password
configs:
  site:
    file: ./deploy/site.conf
  main:
    file: ./deploy/nginx.conf
  external_one:
    external: true
secrets:
  db_password:
    file: ./secrets/db.txt
";
    let sources = [("docker-compose.yml", compose), ("deploy/site.conf", "server { listen 80; }\n"), ("deploy/nginx.conf", "events {}\n"), ("secrets/db.txt", "x\n")];
    let p = project(&sources, &[]);
    let proxy = p.deployment.service("proxy").unwrap();
    assert_eq!(proxy.file_at("/etc/nginx/conf.d/default.conf"), Some(Path::new("deploy/site.conf")));
    assert_eq!(proxy.file_at("/main"), Some(Path::new("deploy/nginx.conf")));
    assert_eq!(proxy.file_at("/run/secrets/db_password"), Some(Path::new("secrets/db.txt")));
    assert!(problems(&p).is_empty(), "{:?}", problems(&p));
}

#[test]
fn an_override_file_includes_files_of_its_own() {
    let main = "services:\n  web:\n    image: app:1\n";
    let over = "include:\n  - dev/tools.yml\nservices:\n  web:\n    command: gunicorn app.wsgi\n";
    let tools = "services:\n  mailhog:\n    image: mailhog/mailhog:v1.0.1\n";
    let p = project(&[("docker-compose.yml", main), ("docker-compose.override.yml", over), ("dev/tools.yml", tools)], &[]);
    let names: Vec<&str> = p.compose.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "mailhog"]);
    assert!(problems(&p).is_empty(), "{:?}", problems(&p));
}
