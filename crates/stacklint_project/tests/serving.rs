//! How the app is served: ASGI/WSGI servers from parsed commands, and the gunicorn
//! processes behind an nginx address.

use std::path::Path;

use stacklint_project::gunicorn::WorkerKind;
use stacklint_project::serving::{BackendMatch, Interface};
use stacklint_project::{Project, ProjectOptions};

fn project(files: &[(&str, &str)]) -> Project {
    Project::from_sources(ProjectOptions::default(), files)
}

/// A commented-out `CMD daphne ...` runs nothing: only the gunicorn `CMD` serves the app.
#[test]
fn commented_commands_serve_nothing() {
    let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n# CMD [\"daphne\", \"proj.asgi:application\"]\nCMD [\"gunicorn\", \"proj.wsgi:application\"]\n";
    let p = project(&[("Dockerfile", dockerfile)]);
    let servers = p.app_servers();
    assert!(!servers.is_empty());
    assert!(servers.iter().all(|s| s.interface == Interface::Wsgi), "{servers:?}");
    let script = "#!/bin/sh\n# exec uvicorn proj.asgi:application\nexec gunicorn proj.wsgi:application\n";
    let p = project(&[("start.sh", script)]);
    assert!(p.app_servers().iter().all(|s| s.interface == Interface::Wsgi), "{:?}", p.app_servers());
}

#[test]
fn asgi_servers_and_workers() {
    let p = project(&[("Procfile", "web: daphne -b 0.0.0.0 proj.asgi:application\nworker: celery -A proj worker\n")]);
    let servers = p.app_servers();
    assert_eq!(servers.len(), 1);
    assert_eq!((servers[0].interface, servers[0].what.as_str()), (Interface::Asgi, "`daphne` serving `proj.asgi:application`"));
    let p = project(&[("Procfile", "web: gunicorn proj.asgi:application -k uvicorn.workers.UvicornWorker\n")]);
    let asgi: Vec<_> = p.app_servers().iter().filter(|s| s.interface == Interface::Asgi).map(|s| s.what.clone()).collect();
    assert_eq!(asgi, ["gunicorn with `uvicorn.workers.UvicornWorker` workers serving `proj.asgi:application`"]);
    // A FastAPI app beside Django is not Django's server; an unknown app may be.
    let p = project(&[("Procfile", "web: gunicorn proj.wsgi\napi: uvicorn main:app\nws: daphne -u /run/daphne.sock\n")]);
    let django: Vec<_> = p.app_servers().iter().filter(|s| s.may_serve_django()).map(|s| (s.interface, s.what.clone())).collect();
    assert_eq!(django, [(Interface::Wsgi, "gunicorn with `sync` workers".to_owned()), (Interface::Asgi, "`daphne`".to_owned())]);
    // `--interface wsgi` overrides the program's own.
    let p = project(&[("Procfile", "web: uvicorn --interface wsgi proj.wsgi:application\n")]);
    assert_eq!(p.app_servers().iter().map(|s| s.interface).collect::<Vec<_>>(), [Interface::Wsgi]);
}

const NGINX: &str = "upstream api {\n    server api:8000;\n}\nupstream admin {\n    server admin:8000;\n}\n";

/// Two services bind the same port behind different upstream names: each upstream reaches
/// its own service's gunicorn.
#[test]
fn upstream_reaches_the_service_it_names() {
    let compose = "services:\n  api:\n    build: .\n    command: gunicorn api.wsgi --bind 0.0.0.0:8000\n  admin:\n    build: .\n    command: gunicorn admin.wsgi --bind 0.0.0.0:8000 --threads 8\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/app.conf:/etc/nginx/conf.d/app.conf\n";
    let p = project(&[("docker-compose.yml", compose), ("Dockerfile", "FROM python:3.12\n"), ("nginx/app.conf", NGINX)]);
    let conf = Path::new("nginx/app.conf");
    let api = p.gunicorn_behind(conf, "api:8000").unwrap();
    assert_eq!(api.matched, BackendMatch::Service { name: "api".into() });
    assert_eq!(api.processes.iter().map(|g| g.worker_class()).collect::<Vec<_>>(), [WorkerKind::Sync]);
    let admin = p.gunicorn_behind(conf, "admin:8000").unwrap();
    assert_eq!(admin.processes.iter().map(|g| g.worker_class()).collect::<Vec<_>>(), [WorkerKind::Gthread]);
    // A port the service's gunicorn does not bind, a host no service has: nothing known.
    assert!(p.gunicorn_behind(conf, "api:9000").is_none());
    assert!(p.gunicorn_behind(conf, "elsewhere:8000").is_none());
}

/// Without compose, a gunicorn on the host is matched by the port it binds.
#[test]
fn host_gunicorn_by_port() {
    let p = project(&[("Procfile", "web: gunicorn app.wsgi --bind 127.0.0.1:8000\n"), ("nginx/app.conf", "upstream app {\n    server 127.0.0.1:8000;\n}\n")]);
    let found = p.gunicorn_behind(Path::new("nginx/app.conf"), "127.0.0.1:8000").unwrap();
    assert_eq!((found.processes.len(), found.matched.clone()), (1, BackendMatch::Port { port: "8000".into() }));
    assert!(p.gunicorn_behind(Path::new("nginx/app.conf"), "127.0.0.1:9000").is_none());
    let p = project(&[("Procfile", "web: gunicorn app.wsgi --bind unix:/run/app.sock\n")]);
    assert!(matches!(p.gunicorn_behind(Path::new("x.conf"), "unix:/run/app.sock").map(|b| b.matched), Some(BackendMatch::Socket { .. })));
}

/// A package listed pinned or not, in requirements or pyproject, compared as pip names.
#[test]
fn requirements_name_their_packages() {
    let p = project(&[("requirements.txt", "Django==5.2\n# daphne\nuvicorn_worker\n"), ("pyproject.toml", "[project]\nname = \"x\"\ndependencies = [\"hypercorn\"]\n")]);
    let (file, range) = p.requirement("uvicorn-worker").unwrap();
    assert_eq!((file, range.slice(&p.file(file).unwrap().text)), (Path::new("requirements.txt"), "uvicorn_worker"));
    assert_eq!(p.requirement("hypercorn").map(|r| r.0), Some(Path::new("pyproject.toml")));
    assert!(p.requirement("daphne").is_none(), "a commented-out requirement is not one");
}
