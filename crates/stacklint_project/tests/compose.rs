//! Compose services in the project model: targets narrowed by limits, the files each
//! service builds or mounts, and the target of those files.

#![allow(clippy::float_cmp)] // CPU counts parsed from text compare exactly

use std::path::{Path, PathBuf};

use stacklint_project::{GIB, MIB, Project, ProjectOptions, Target, TargetSource};

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

fn project(sources: &[(&str, &str)]) -> Project {
    Project::from_sources(ProjectOptions::default(), sources)
}

const COMPOSE: &str = "services:
  web:
    build: ./backend
    command: gunicorn app:app
    deploy:
      resources:
        limits:
          cpus: \"1.5\"
          memory: 1G
  worker:
    build:
      context: ./backend
      dockerfile: Dockerfile
    command: celery -A app worker
    cpus: 0.25
    mem_limit: 512m
  redis:
    image: redis:7.4
    volumes:
      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro
    deploy:
      resources:
        limits:
          memory: 256M
  nginx:
    image: nginx:1.27
    volumes:
      - ./nginx/conf.d:/etc/nginx/conf.d:ro
      - ./nginx/nginx.conf:/etc/nginx/nginx.conf
  db:
    image: postgres:16
    volumes:
      - type: bind
        source: ./postgres/postgresql.conf
        target: /etc/postgresql/postgresql.conf
    deploy:
      resources:
        limits:
          cpus: ${PG_CPUS:-2}
";

fn sample() -> Project {
    project(&[
        ("docker-compose.yml", COMPOSE),
        ("backend/Dockerfile", "FROM python:3.12\nCMD gunicorn app:app\n"),
        ("redis/redis.conf", "maxmemory 1gb\n"),
        ("nginx/nginx.conf", "events {}\n"),
        ("nginx/conf.d/default.conf", "server { listen 80; }\n"),
        ("postgres/postgresql.conf", "shared_buffers = 128MB\n"),
    ])
}

#[test]
fn targets_are_narrowed_by_limits() {
    let p = sample();
    let names: Vec<_> = p.compose.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "worker", "redis", "nginx", "db"]);
    let web = p.compose.service(Path::new("docker-compose.yml"), "web").unwrap();
    assert_eq!((web.target.cpus, web.target.whole_cpus(), web.target.memory), (1.5, 2, GIB));
    assert_eq!(web.target.cpus_source, TargetSource::ComposeLimit { service: "web".into() });
    assert_eq!(web.target.cpus_text(), "1.5 CPUs");
    let worker = p.compose.service(Path::new("docker-compose.yml"), "worker").unwrap();
    assert_eq!((worker.target.cpus, worker.target.whole_cpus(), worker.target.memory), (0.25, 1, 512 * MIB));
    let redis = p.compose.service(Path::new("docker-compose.yml"), "redis").unwrap();
    // memory from the limit, CPUs from the host (default) target
    assert_eq!((redis.target.cpus, redis.target.cpus_source.clone()), (4.0, TargetSource::Default));
    assert_eq!(redis.target.memory, 256 * MIB);
    let db = p.compose.service(Path::new("docker-compose.yml"), "db").unwrap();
    assert_eq!(db.target.cpus, 2.0, "the default of `${{PG_CPUS:-2}}`");
}

#[test]
fn a_declared_host_target_is_only_narrowed() {
    let host = Target::default().with_spec("cpus=1,memory=2GiB", TargetSource::CommandLine).unwrap();
    let compose = "services:\n  web:\n    deploy:\n      resources:\n        limits: {cpus: \"8\", memory: 512M}\n";
    let p = Project::from_sources(ProjectOptions { target: host, ..ProjectOptions::default() }, &[("compose.yaml", compose)]);
    let web = &p.compose.services[0];
    assert_eq!((web.target.cpus, web.target.cpus_source.clone()), (1.0, TargetSource::CommandLine));
    assert_eq!((web.target.memory, web.target.memory_source.clone()), (512 * MIB, TargetSource::ComposeLimit { service: "web".into() }));
    // with only the default host target, a larger limit is what the file declares
    let p = project(&[("compose.yaml", compose)]);
    assert_eq!(p.compose.services[0].target.cpus, 8.0);
}

#[test]
fn files_used_by_services() {
    let p = sample();
    let redis = p.compose.service_for_file(Path::new("redis/redis.conf")).unwrap();
    assert_eq!(redis.name, "redis");
    assert_eq!(redis.mounts[0].container_path, "/usr/local/etc/redis/redis.conf");
    assert!(redis.mounts[0].read_only);
    let nginx = p.compose.service_for_file(Path::new("nginx/conf.d/default.conf")).unwrap();
    assert_eq!(nginx.name, "nginx");
    let paths: Vec<_> = nginx.mounts.iter().map(|m| (m.file.clone(), m.container_path.as_str())).collect();
    assert_eq!(paths, [(PathBuf::from("nginx/conf.d/default.conf"), "/etc/nginx/conf.d/default.conf"), (PathBuf::from("nginx/nginx.conf"), "/etc/nginx/nginx.conf")]);
    assert_eq!(p.compose.service_for_file(Path::new("postgres/postgresql.conf")).unwrap().name, "db");
    // both web and worker build backend/Dockerfile; web and worker override the command,
    // so the first one in file order is taken
    let df = p.compose.service_for_file(Path::new("backend/Dockerfile")).unwrap();
    assert_eq!(df.name, "web");
    assert_eq!(df.dockerfile.as_deref(), Some(Path::new("backend/Dockerfile")));
    let t = p.compose.target_for_file(&p, Path::new("redis/redis.conf"));
    assert_eq!(t.memory, 256 * MIB);
    assert_eq!(p.compose.target_for_file(&p, Path::new("unrelated.conf")), p.target);
    let file = p.compose.file(Path::new("docker-compose.yml")).unwrap();
    assert_eq!(file.services.len(), 5);
}

#[test]
fn the_service_running_the_image_command_wins() {
    let compose = "services:\n  worker:\n    build: .\n    command: celery -A app worker\n    cpus: 1\n  web:\n    build: .\n    cpus: 3\n";
    let p = project(&[("docker-compose.yml", compose), ("Dockerfile", "FROM python:3.12\nCMD [\"gunicorn\", \"app:app\"]\n")]);
    let s = p.compose.service_for_file(Path::new("Dockerfile")).unwrap();
    assert_eq!(s.name, "web");
    assert_eq!(p.compose.target_for_file(&p, Path::new("Dockerfile")).cpus, 3.0);
}

#[test]
fn compose_files_in_sub_folders_and_parent_paths() {
    let compose = "services:\n  app:\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile.prod\n    volumes:\n      - ../conf/redis.conf:/etc/redis.conf\n";
    let p = project(&[("deploy/docker-compose.yml", compose), ("docker/Dockerfile.prod", "FROM python:3.12\n"), ("conf/redis.conf", "maxmemory 10mb\n")]);
    let app = &p.compose.services[0];
    assert_eq!(app.dockerfile.as_deref(), Some(Path::new("docker/Dockerfile.prod")));
    assert_eq!(app.mounts.iter().map(|m| m.file.clone()).collect::<Vec<_>>(), [PathBuf::from("conf/redis.conf")]);
}

#[test]
fn broken_compose_files_give_an_empty_model() {
    let p = project(&[("compose.yaml", "services:\n\tweb: {}\n")]);
    assert_eq!(p.compose.files.len(), 1);
    assert!(p.compose.files.iter().all(|f| !f.parsed.errors.is_empty()));
}

#[test]
fn a_jinja_compose_template_is_read_as_its_skeleton() {
    let p = project(&[("docker-compose.yml", "{% if x %}\nservices:\n  web:\n    image: \"{{ image }}\"\n{% endif %}\n")]);
    let file = p.file(Path::new("docker-compose.yml")).unwrap();
    assert!(file.template.is_some());
    assert!(file.syntax_errors().is_empty());
    assert_eq!(p.compose.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["web"]);
}

#[test]
fn scenario_ragstack() {
    let Some(dir) = shared_inputs::require(shared_inputs::scenarios_dir().join("ragstack"), "the ragstack scenario") else { return };
    let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();
    let sources = [
        ("docker-compose.yml", read("docker-compose.yml")),
        ("redis/redis.conf", read("redis/redis.conf")),
        ("postgres/postgresql.conf", read("postgres/postgresql.conf")),
        ("nginx/nginx.conf", read("nginx/nginx.conf")),
        ("backend/Dockerfile", read("backend/Dockerfile")),
    ];
    let refs: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let p = project(&refs);
    let target = |f: &str| p.compose.target_for_file(&p, Path::new(f));
    // the redis container allows 256M; postgres 2 CPUs and 3G; the backend 1.5 CPUs and 1G
    assert_eq!(target("redis/redis.conf").memory, 256 * MIB);
    assert_eq!((target("postgres/postgresql.conf").cpus, target("postgres/postgresql.conf").memory), (2.0, 3 * GIB));
    assert_eq!((target("backend/Dockerfile").cpus, target("backend/Dockerfile").whole_cpus()), (1.5, 2));
    assert_eq!(target("nginx/nginx.conf"), p.target);
}

// ---------------------------------------------------------------------------------------
// Compose as a gunicorn front end.

use stacklint_project::gunicorn::{CommandSource, Frontend, GunicornProcess};

fn compose_process(p: &Project) -> &GunicornProcess {
    p.gunicorn.iter().find(|g| matches!(&g.frontend, Frontend::CommandLine(CommandSource::Compose { .. }))).expect("a gunicorn process from the compose file")
}

fn apply(text: &str, edits: &[stacklint_diagnostics::Edit]) -> String {
    stacklint_diagnostics::apply_edits(text, edits).0
}

const FOLDED: &str = "services:
  backend:
    build: ./backend
    command: >
      gunicorn app.main:app
      --worker-class uvicorn.workers.UvicornWorker
      --workers 1
      --bind 0.0.0.0:8000
    deploy:
      resources:
        limits:
          cpus: \"1.5\"
          memory: 1G
";

#[test]
fn folded_command_gets_the_service_target_and_exact_fixes() {
    let p = project(&[("docker-compose.yml", FOLDED)]);
    let g = compose_process(&p);
    assert_eq!(g.frontend, Frontend::CommandLine(CommandSource::Compose { service: "backend".into() }));
    assert_eq!((g.target.cpus, g.target.whole_cpus()), (1.5, 2));
    assert_eq!(g.target.cpus_source, TargetSource::ComposeLimit { service: "backend".into() });
    assert!(g.is_async_worker());
    let workers = g.get("workers").unwrap();
    assert_eq!(workers.value.as_int(), Some(1));
    let range = workers.origin.value_range.unwrap();
    assert_eq!(range.slice(FOLDED), "1");
    assert_eq!(FOLDED[..range.start()].lines().count(), 7, "reported on line 7");
    let wc = g.get("worker_class").unwrap();
    assert_eq!(wc.value.as_str(), Some("uvicorn.workers.UvicornWorker"));
    assert_eq!(FOLDED[..g.anchor.range.start()].lines().count(), 5, "the command starts on line 5");
    let mut edits = vec![workers.replace_value("2").unwrap(), wc.replace_value("uvicorn_worker.UvicornWorker").unwrap()];
    edits.extend(g.insert_settings(&[("max_requests", "1000"), ("max_requests_jitter", "50")]));
    let fixed = apply(FOLDED, &edits);
    assert!(fixed.contains("      --worker-class uvicorn_worker.UvicornWorker\n      --workers 2\n      --bind 0.0.0.0:8000 --max-requests 1000 --max-requests-jitter 50\n"), "{fixed}");
    let again = project(&[("docker-compose.yml", &fixed)]);
    let g2 = compose_process(&again);
    assert_eq!(g2.get("workers").unwrap().value.as_int(), Some(2));
    assert_eq!(g2.get("max_requests_jitter").unwrap().value.as_int(), Some(50));
}

#[test]
fn list_commands_and_environment() {
    let src = "services:
  flow:
    command: [\"gunicorn\", \"app:app\", \"-w\", \"3\"]
    environment:
      GUNICORN_CMD_ARGS: \"--threads 4 --timeout=60\"
    cpus: 2
  block:
    entrypoint:
      - gunicorn
    command:
      - app:app
      - --workers=5
    environment:
      - WEB_CONCURRENCY=7
";
    let p = project(&[("docker-compose.yml", src)]);
    let procs: Vec<&GunicornProcess> = p.gunicorn.iter().filter(|g| matches!(&g.frontend, Frontend::CommandLine(CommandSource::Compose { .. }))).collect();
    assert_eq!(procs.len(), 2);
    let (flow, block) = (procs[0], procs[1]);
    assert_eq!(flow.get("workers").unwrap().origin.value_range.map(|r| r.slice(src)), Some("3"));
    assert_eq!(flow.get("threads").unwrap().origin.value_range.map(|r| r.slice(src)), Some("4"));
    assert_eq!(flow.get("timeout").unwrap().value.as_int(), Some(60));
    assert_eq!(flow.target.cpus, 2.0);
    assert_eq!(block.get("workers").unwrap().value.as_int(), Some(5));
    let env = block.get_all("workers");
    assert_eq!(env.len(), 2, "WEB_CONCURRENCY and --workers");
    assert_eq!(env[0].origin.value_range.map(|r| r.slice(src)), Some("7"));
    let flow_fix = apply(src, &flow.insert_settings(&[("max_requests", "1000")]));
    assert!(flow_fix.contains("command: [\"gunicorn\", \"app:app\", \"-w\", \"3\", \"--max-requests\", \"1000\"]"), "{flow_fix}");
    let block_fix = apply(src, &block.insert_settings(&[("max_requests", "1000")]));
    assert!(block_fix.contains("      - --workers=5\n      - \"--max-requests\"\n      - \"1000\"\n    environment:"), "{block_fix}");
    for fixed in [flow_fix, block_fix] {
        let again = project(&[("docker-compose.yml", &fixed)]);
        let n = again.gunicorn.iter().filter(|g| g.get("max_requests").and_then(|s| s.value.as_int()) == Some(1000)).count();
        assert_eq!(n, 1, "{fixed}");
    }
}

#[test]
fn dockerfile_processes_run_on_the_service_target() {
    let compose = "services:\n  web:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: '3'\n";
    let p = project(&[("docker-compose.yml", compose), ("Dockerfile", "FROM python:3.12\nCMD [\"gunicorn\", \"app.wsgi\", \"-w\", \"2\"]\n")]);
    let g = p.gunicorn.iter().find(|g| matches!(&g.frontend, Frontend::CommandLine(CommandSource::Dockerfile { .. }))).unwrap();
    assert_eq!((g.target.cpus, g.target.cpus_source.clone()), (3.0, TargetSource::ComposeLimit { service: "web".into() }));
}

#[test]
fn build_processes_without_a_project_narrows_too() {
    use stacklint_project::FileKind;
    use stacklint_project::gunicorn::{BuildOptions, build_processes};
    let files = [(PathBuf::from("compose.yaml"), FileKind::Compose, FOLDED)];
    let procs = build_processes(&files, &BuildOptions::default());
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0].target.cpus, 1.5);
}
