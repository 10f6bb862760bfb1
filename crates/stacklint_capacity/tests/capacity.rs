//! The capacity report on small projects: each limit's arithmetic, the one that binds, the
//! inputs' sources (snapshots, since people read them).

use stacklint_capacity::{Input, Inputs, analyze, markdown, svg, text};
use stacklint_project::{KnownVersion, Project, ProjectOptions, Version, VersionSource};

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

/// A Procfile gunicorn on 127.0.0.1:8000 with nginx in front on the same host, nginx's
/// version given (`[versions]`), `proxy_pass` as `nginx.conf` writes it.
fn behind_nginx(command: &str, upstream: &str, location: &str, nginx: Option<&str>) -> Project {
    let mut options = ProjectOptions::default();
    if let Some(v) = nginx {
        options.versions.nginx = Some(KnownVersion { version: Version::parse(v).expect("a version"), source: VersionSource::Config, exact: true });
    }
    let conf = format!("worker_processes 1;\nevents {{ worker_connections 1024; }}\nhttp {{\n    upstream app {{\n        server 127.0.0.1:8000;\n{upstream}    }}\n    server {{\n        listen 80;\n        location / {{\n            proxy_pass http://app;\n{location}        }}\n    }}\n}}\n");
    let procfile = format!("web: {command} --bind 127.0.0.1:8000\n");
    // Connections to the database reused: what is left is nginx's.
    let settings = SETTINGS.replace("\"CONN_MAX_AGE\": 0,", "\"CONN_MAX_AGE\": 600,");
    Project::from_sources(options, &[("Procfile", procfile.as_str()), ("nginx/nginx.conf", conf.as_str()), ("proj/settings.py", settings.as_str()), ("proj/wsgi.py", WSGI), ("proj/__init__.py", "")])
}

const KEEPALIVE: (&str, &str) = ("        keepalive 16;\n", "            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n");

fn limit<'a>(s: &'a stacklint_capacity::ServiceCapacity, resource: &str) -> &'a stacklint_capacity::Limit {
    s.limits.iter().find(|l| l.resource == resource).unwrap_or_else(|| panic!("no `{resource}` limit: {:#?}", s.limits))
}

/// nginx 1.22 with a plain `proxy_pass` to gthread workers opens a connection to the app
/// per request: nginx's CPU and that connection's are charged to the CPUs it shares with
/// the app, and nginx's one worker process has a ceiling of its own. With upstream
/// keepalive the connection's cost goes away.
#[test]
fn nginx_in_front_without_upstream_keepalive() {
    let gthread = "gunicorn proj.wsgi --workers 4 --threads 4 -k gthread";
    let inputs = Inputs {
        cpu_ms: Input::new(0.5, "--cpu-time"),
        request_ms: Input::new(1.0, "--request-time"),
        nginx_cpu_ms: Input::new(0.05, "[capacity] nginx-cpu-time"),
        upstream_connect_cpu_ms: Input::new(0.15, "[capacity] upstream-connect-cpu-time"),
        ..Inputs::default()
    };
    let (nginx, connect) = (inputs.nginx_cpu_ms.value, inputs.upstream_connect_cpu_ms.value);
    let report = analyze(&behind_nginx(gthread, "", "", Some("1.22.1")), &inputs);
    let [web] = report.services.as_slice() else { panic!("one app service: {report:#?}") };
    assert!(web.new_upstream_connection_per_request);
    // nginx's one worker process, at 0.2 ms a request, binds before the 4 CPUs shared.
    assert_eq!(web.binding.as_deref(), Some("nginx CPU"));
    // 4 CPUs (the default target) / (0.5 ms + nginx's + a new connection's), in ms.
    let shared = limit(web, "CPU shared with nginx");
    assert!((shared.requests_per_second - 4.0 / ((0.5 + nginx + connect) / 1000.0)).abs() < 1e-6, "{shared:?}");
    // One worker process: one CPU.
    let own = limit(web, "nginx CPU");
    assert!((own.requests_per_second - 1.0 / ((nginx + connect) / 1000.0)).abs() < 1e-6, "{own:?}");
    insta::assert_snapshot!(text(&report));

    let report = analyze(&behind_nginx(gthread, KEEPALIVE.0, KEEPALIVE.1, Some("1.22.1")), &inputs);
    let [web] = report.services.as_slice() else { panic!("one app service: {report:#?}") };
    assert!(!web.new_upstream_connection_per_request);
    assert!(web.nginx.as_deref().is_some_and(|n| n.contains("upstream keepalive (`keepalive 16` at nginx/nginx.conf:6")), "{:?}", web.nginx);
    assert_eq!(web.binding.as_deref(), Some("CPU shared with nginx"));
    let shared = limit(web, "CPU shared with nginx");
    assert!((shared.requests_per_second - 4.0 / ((0.5 + nginx) / 1000.0)).abs() < 1e-6, "{shared:?}");
    // Upstream keepalive without HTTP/1.1 to the app is no keepalive.
    let report = analyze(&behind_nginx(gthread, KEEPALIVE.0, "", Some("1.22.1")), &inputs);
    assert!(report.services[0].new_upstream_connection_per_request);
    assert!(report.services[0].nginx.as_deref().is_some_and(|n| n.contains("no `proxy_http_version 1.1`")), "{:?}", report.services[0].nginx);
}

/// Sync workers close every connection: upstream keepalive changes nothing, and nothing is
/// added for a connection per request (it is part of each request as D measures it).
#[test]
fn nginx_in_front_of_sync_workers() {
    let inputs = Inputs { cpu_ms: Input::new(0.5, "--cpu-time"), request_ms: Input::new(1.0, "--request-time"), ..Inputs::default() };
    for (upstream, location) in [("", ""), KEEPALIVE] {
        let report = analyze(&behind_nginx("gunicorn proj.wsgi --workers 4", upstream, location, Some("1.22.1")), &inputs);
        let web = &report.services[0];
        assert!(!web.new_upstream_connection_per_request);
        assert!(web.nginx.as_deref().is_some_and(|n| n.contains("sync workers close every connection")), "{:?}", web.nginx);
        let shared = limit(web, "CPU shared with nginx");
        assert!((shared.requests_per_second - 4.0 / ((0.5 + inputs.nginx_cpu_ms.value) / 1000.0)).abs() < 1e-6, "{shared:?}");
    }
}

/// From nginx 1.29.7 (or when no version is declared: the newest) upstream connections
/// are kept alive by default; `proxy_http_version 1.0` opts out.
#[test]
fn nginx_keeps_upstream_connections_by_default_from_1_29_7() {
    let gthread = "gunicorn proj.wsgi --workers 4 --threads 4 -k gthread";
    for version in [None, Some("1.29.7")] {
        let report = analyze(&behind_nginx(gthread, "", "", version), &Inputs::default());
        assert!(!report.services[0].new_upstream_connection_per_request, "{version:?}: {:?}", report.services[0].nginx);
    }
    let report = analyze(&behind_nginx(gthread, "", "            proxy_http_version 1.0;\n", None), &Inputs::default());
    assert!(report.services[0].new_upstream_connection_per_request);
    assert!(report.services[0].nginx.as_deref().is_some_and(|n| n.contains("`proxy_http_version 1.0` at nginx/nginx.conf:11")), "{:?}", report.services[0].nginx);
}
