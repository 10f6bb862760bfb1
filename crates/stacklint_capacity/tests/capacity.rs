//! The capacity report on small projects: each limit's arithmetic, the one that binds, the
//! inputs' sources (snapshots, since people read them).

use stacklint_capacity::{Input, Inputs, analyze, markdown, svg, text};
use stacklint_project::{Project, ProjectOptions};

const SETTINGS: &str = r#"
INSTALLED_APPS = ["django.contrib.contenttypes"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db",
        "NAME": "app",
        "CONN_MAX_AGE": 0,
    }
}
"#;

const WSGI: &str = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n";

fn project(compose: &str) -> Project {
    Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", compose), ("proj/settings.py", SETTINGS), ("proj/wsgi.py", WSGI), ("proj/__init__.py", "")])
}

/// Three sync workers on four CPUs: three slots bind before the CPUs do, and a new
/// connection per request lengthens every request.
#[test]
fn sync_workers_bind_on_slots() {
    let p = project(
        "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi --workers 3\n    environment:\n      DJANGO_SETTINGS_MODULE: proj.settings\n    deploy:\n      resources:\n        limits:\n          cpus: '4'\n          memory: 2G\n  db:\n    image: postgres:16\n",
    );
    let report = analyze(&p, &Inputs::default());
    let [web] = report.services.as_slice() else { panic!("one app service: {report:#?}") };
    assert_eq!(web.binding.as_deref(), Some("worker slots"));
    // 3 slots / 0.105 s (100 ms + 5 ms to connect).
    assert!((web.requests_per_second.unwrap() - 3.0 / 0.105).abs() < 1e-6);
    insta::assert_snapshot!(text(&report));
}

/// Many gthread slots on two CPUs: the CPUs bind; more workers than the database accepts
/// add a connection limit, a connection per request a database CPU limit; a worker count
/// beyond the memory limit is flagged.
#[test]
fn threads_bind_on_cpu_and_the_database_budget_shows() {
    let p = project(
        "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi --workers 9 --threads 16 -k gthread\n    environment:\n      DJANGO_SETTINGS_MODULE: proj.settings\n    deploy:\n      replicas: 2\n      resources:\n        limits:\n          cpus: '2'\n          memory: 1G\n  db:\n    image: postgres:16\n",
    );
    let inputs = Inputs { request_ms: Input::new(50.0, "--request-time"), ..Inputs::default() };
    let report = analyze(&p, &inputs);
    let [web] = report.services.as_slice() else { panic!("one app service: {report:#?}") };
    assert_eq!(web.binding.as_deref(), Some("CPU"));
    let resources: Vec<&str> = web.limits.iter().map(|l| l.resource.as_str()).collect();
    assert_eq!(resources, ["worker slots", "CPU", "database CPU (connections)", "database connections"]);
    assert!(web.checks.iter().any(|c| c.resource == "memory" && c.exceeded), "{:?}", web.checks);
    insta::assert_snapshot!(markdown(&report));
}

/// A project without an app server says so instead of printing nothing.
#[test]
fn no_app_service() {
    let p = Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", "services:\n  db:\n    image: postgres:16\n")]);
    let report = analyze(&p, &Inputs::default());
    assert!(report.services.is_empty());
    assert!(text(&report).starts_with("No app service found"));
}

/// The chart draws each service's throughput and response time; its text is pinned, so a
/// change to the curves shows in review (render it with `rsvg-convert` to look at it).
#[test]
fn chart() {
    let p = project(
        "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi --workers 3\n    environment:\n      DJANGO_SETTINGS_MODULE: proj.settings\n  db:\n    image: postgres:16\n",
    );
    let chart = svg(&analyze(&p, &Inputs::default()));
    assert!(chart.starts_with("<svg ") && chart.trim_end().ends_with("</svg>"));
    assert_eq!(chart.matches("<polyline").count(), 2, "throughput and response time, one series");
    insta::assert_snapshot!(chart);
}

/// A Procfile app whose database is `localhost` shares the host's CPUs with PostgreSQL:
/// with a connection per request, the backend start-up is charged to the same CPUs.
#[test]
fn database_on_the_same_host() {
    let settings = SETTINGS.replace("\"HOST\": \"db\"", "\"HOST\": \"localhost\"");
    let p = Project::from_sources(ProjectOptions::default(), &[("Procfile", "web: gunicorn proj.wsgi --workers 8 --threads 8 -k gthread\n"), ("proj/settings.py", settings.as_str()), ("proj/wsgi.py", WSGI), ("proj/__init__.py", "")]);
    let inputs = Inputs { cpu_ms: Input::new(1.0, "--cpu-time"), request_ms: Input::new(10.0, "--request-time"), ..Inputs::default() };
    let report = analyze(&p, &inputs);
    let [web] = report.services.as_slice() else { panic!("one app service: {report:#?}") };
    let shared = web.limits.iter().find(|l| l.resource == "CPU shared with PostgreSQL").expect("the shared CPU limit");
    // 4 CPUs (the default target) / (1 + 0.5 + 3.5 ms).
    assert!((shared.requests_per_second - 4.0 / 0.005).abs() < 1e-6, "{shared:?}");
    assert_eq!(web.binding.as_deref(), Some("CPU shared with PostgreSQL"));
}

/// An ASGI worker with a Django pool: each worker runs at most the pool's `max_size`
/// requests that query at once.
#[test]
fn an_async_worker_is_bounded_by_its_pool() {
    let settings = SETTINGS.replace("\"CONN_MAX_AGE\": 0,", "\"OPTIONS\": {\"pool\": {\"min_size\": 2, \"max_size\": 10}},");
    let asgi = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n";
    let compose = "services:\n  web:\n    build: .\n    command: gunicorn proj.asgi:application -k uvicorn_worker.UvicornWorker --workers 2\n    environment:\n      DJANGO_SETTINGS_MODULE: proj.settings\n  db:\n    image: postgres:16\n";
    let p = Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", compose), ("proj/settings.py", settings.as_str()), ("proj/asgi.py", asgi), ("proj/__init__.py", "")]);
    let report = analyze(&p, &Inputs::default());
    let [web] = report.services.as_slice() else { panic!("one app service: {report:#?}") };
    let slots = web.limits.iter().find(|l| l.resource == "worker slots").expect("a slot limit from the pool");
    // 2 workers × 10 pooled connections / 0.1 s.
    assert!((slots.requests_per_second - 200.0).abs() < 1e-9, "{slots:?}");
    assert!(slots.arithmetic.contains("bounded by its database pool"), "{}", slots.arithmetic);
}
