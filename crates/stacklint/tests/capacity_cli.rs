//! `stacklint capacity` on the mission scenarios: what binds first, with the arithmetic
//! (snapshots), the JSON contract of docs/capacity-json.md, and bad input.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::Path;

fn capacity(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut args = vec!["stacklint".to_owned(), "capacity".to_owned()];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args.push(dir.display().to_string());
    let code = stacklint::main_with_args(args, &mut out, &mut err);
    // The root is machine-specific.
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&dir.display().to_string(), "<project>");
    (code, clean(&out), clean(&err))
}

fn scenario(name: &str) -> Option<std::path::PathBuf> {
    common::require_dir(common::scenarios_dir().join(name), "the scenarios")
}

#[test]
fn scenarios_name_what_binds_first() {
    for name in ["eventmate", "ragstack", "wingman"] {
        let Some(dir) = scenario(name) else { return };
        let (code, out, err) = capacity(&dir, &[]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("binds first"), "{out}");
        insta::assert_snapshot!(format!("capacity_{name}"), out);
    }
}

/// The JSON holds what docs/capacity-json.md says, and a flag replaces its input's source.
#[test]
fn json_contract_and_flags() {
    let Some(dir) = scenario("wingman") else { return };
    let (code, out, err) = capacity(&dir, &["--output-format", "json", "--request-time", "40", "--cpu-time", "10"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["schema_version"], 1);
    let report = &json["projects"][0]["report"];
    assert_eq!(report["inputs"]["request_ms"]["source"], "--request-time");
    let web = &report["services"][0];
    assert_eq!(web["service"], "web");
    // CONN_MAX_AGE 0 in the scenario's settings: 40 ms + 5 ms to connect, 10 + 0.5 ms of CPU.
    assert_eq!(web["request_ms"], 45.0);
    assert_eq!(web["cpu_ms"], 10.5);
    let binding = web["binding"].as_str().expect("a binding resource");
    let lowest = web["limits"].as_array().expect("limits").iter().min_by(|a, b| a["requests_per_second"].as_f64().unwrap_or(0.0).total_cmp(&b["requests_per_second"].as_f64().unwrap_or(0.0))).expect("a limit");
    assert_eq!(lowest["resource"], binding);
    assert_eq!(web["requests_per_second"], lowest["requests_per_second"]);
}

#[test]
fn a_negative_input_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = capacity(dir.path(), &["--request-time=-5"]);
    assert_eq!(code, 2);
    assert!(err.contains("--request-time must be a number of at least 0"), "{err}");
}

/// The safe fixes applied in memory: GUN001 sets 4 workers on the 4 CPUs, so the CPU limit
/// rises from 3 to 4 busy CPUs; the fixed finding is listed, the files are untouched.
#[test]
fn what_the_fixes_buy() {
    let Some(dir) = scenario("wingman") else { return };
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
    let (code, out, err) = capacity(&dir, &["--output-format", "json"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let report = &json["projects"][0]["report"];
    let before = report["services"][0]["requests_per_second"].as_f64().expect("before");
    let after = &report["after_fixes"];
    assert_eq!(after["applied"], "safe");
    assert!(after["fixes"].as_array().expect("fixes").iter().any(|f| f["code"] == "GUN001"), "{after}");
    let rate = after["services"][0]["requests_per_second"].as_f64().expect("after");
    assert!((rate / before - 4.0 / 3.0).abs() < 1e-9, "{before} -> {rate}");
    assert_eq!(std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile"), dockerfile);
    let (_, none, _) = capacity(&dir, &["--output-format", "json", "--fixes", "none"]);
    let json: serde_json::Value = serde_json::from_str(&none).expect("json");
    assert!(json["projects"][0]["report"]["after_fixes"].is_null());
}

/// `[capacity]` of the project's configuration replaces the defaults and says so; a flag
/// replaces both; a bad value is an error naming the key.
#[test]
fn capacity_table_in_the_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_files(
        dir.path(),
        &[
            ("stacklint.toml", "[capacity]\nrequest-time = 40\ncpu-time = 10.5\nnginx-cpu-time = 0.08\nupstream-connect-cpu-time = 0\n"),
            ("Procfile", "web: gunicorn proj.wsgi --workers 2\n"),
        ],
    );
    let (code, out, err) = capacity(dir.path(), &["--output-format", "json", "--cpu-time", "12"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let inputs = &json["projects"][0]["report"]["inputs"];
    assert_eq!(inputs["request_ms"]["value"], 40.0);
    assert!(inputs["request_ms"]["source"].as_str().is_some_and(|s| s.starts_with("[capacity] in ") && s.ends_with("stacklint.toml")), "{inputs}");
    assert_eq!(inputs["cpu_ms"]["value"], 12.0);
    assert_eq!(inputs["cpu_ms"]["source"], "--cpu-time");
    assert_eq!(inputs["nginx_cpu_ms"]["value"], 0.08);
    assert_eq!(inputs["upstream_connect_cpu_ms"]["value"], 0.0);
    assert!(inputs["upstream_connect_cpu_ms"]["source"].as_str().is_some_and(|s| s.starts_with("[capacity] in ")), "{inputs}");
    common::write_files(dir.path(), &[("stacklint.toml", "[capacity]\nrequest-time = 0\n")]);
    let (code, _, err) = capacity(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("capacity.request-time") && err.contains("expected a number above 0"), "{err}");
}

/// `--set` answers "what if": 8 workers on 8 CPUs double the CPU limit of 4 on 4; a
/// service or key that does not exist is an error that says which exist.
#[test]
fn what_if() {
    let Some(dir) = scenario("wingman") else { return };
    let rate = |extra: &[&str]| {
        let mut args = vec!["--output-format", "json", "--fixes", "none"];
        args.extend_from_slice(extra);
        let (code, out, err) = capacity(&dir, &args);
        assert_eq!(code, 0, "{err}");
        let json: serde_json::Value = serde_json::from_str(&out).expect("json");
        json["projects"][0]["report"]["services"][0]["requests_per_second"].as_f64().expect("a rate")
    };
    let four = rate(&["--set", "web.workers=4"]);
    let eight = rate(&["--set", "web.workers=8", "--set", "web.cpus=8"]);
    assert!((eight / four - 2.0).abs() < 1e-9, "{four} -> {eight}");
    let (code, _, err) = capacity(&dir, &["--set", "api.workers=8"]);
    assert_eq!(code, 2);
    assert!(err.contains("no app service `api` (app services: web)"), "{err}");
    let (code, _, err) = capacity(&dir, &["--set", "web.wrkers=8"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown key `wrkers`"), "{err}");
}

/// `--access-log`: the time per request is the mean `$upstream_response_time` of the
/// requests that reached the app, read with the project's own log_format; a log the
/// project's formats cannot read is an error naming the log.
#[test]
fn time_per_request_from_an_access_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nginx = "events {}\nhttp {\n    log_format timed '$remote_addr [$time_local] \"$request\" $status '\n                     '$request_time $upstream_response_time';\n    access_log /var/log/nginx/access.log timed;\n    server {\n        listen 80;\n        location / { proxy_pass http://web:8000; }\n    }\n}\n";
    let log = "10.0.0.1 [01/Dec/2026:10:00:00 +0000] \"GET /api HTTP/1.1\" 200 0.250 0.240\n10.0.0.1 [01/Dec/2026:10:00:01 +0000] \"GET /static/x.css HTTP/1.1\" 200 0.001 -\n10.0.0.1 [01/Dec/2026:10:00:02 +0000] \"GET /api/2 HTTP/1.1\" 200 0.070 0.060\n";
    common::write_files(
        dir.path(),
        &[
            ("docker-compose.yml", "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi --workers 4\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n"),
            ("nginx/nginx.conf", nginx),
            ("logs/access.log", log),
        ],
    );
    let log_path = dir.path().join("logs/access.log");
    let log_arg = log_path.display().to_string();
    let (code, out, err) = capacity(dir.path(), &["--output-format", "json", "--fixes", "none", "--access-log", &log_arg]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let inputs = &json["projects"][0]["report"]["inputs"];
    // (240 + 60) / 2: the static request has no upstream time.
    assert_eq!(inputs["request_ms"]["value"], 150.0);
    let source = inputs["request_ms"]["source"].as_str().expect("source");
    assert!(source.contains("`$upstream_response_time` of 2 requests") && source.contains("log_format `timed`"), "{source}");
    // The static request is a third of what the users ask for.
    assert!((inputs["static_share"]["value"].as_f64().unwrap_or_default() - 1.0 / 3.0).abs() < 1e-9, "{inputs}");
    common::write_files(dir.path(), &[("logs/access.log", "nothing like the format\n")]);
    let (code, _, err) = capacity(dir.path(), &["--access-log", &log_arg]);
    assert_eq!(code, 2);
    assert!(err.contains("access.log: no line of the access log has the format of `timed`"), "{err}");
}

/// `check --capacity` adds one info line per app service after the findings (full and
/// concise formats); JSON stays a list of findings.
#[test]
fn check_with_capacity() {
    let Some(dir) = scenario("wingman") else { return };
    let check = |format: &str| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let args = ["stacklint", "check", "--capacity", "--output-format", format, &dir.display().to_string()].map(String::from);
        stacklint::main_with_args(args, &mut out, &mut err);
        String::from_utf8_lossy(&out).into_owned()
    };
    let concise = check("concise");
    let info: Vec<&str> = concise.lines().filter(|l| l.starts_with("info: capacity of ")).collect();
    assert_eq!(info, ["info: capacity of `web` (Dockerfile:16): 146 requests/s, about 1478 concurrent users; CPU binds first; nginx connections exceeded"], "{concise}");
    let json: serde_json::Value = serde_json::from_str(&check("json")).expect("json stays a list of findings");
    assert!(json.is_array());
}

/// Every app service of every ecosystem project is sized, or the report says why not.
#[test]
fn ecosystem_services_are_sized_or_say_why() {
    let Some(root) = common::require_dir(common::ecosystem_dir(), "the ecosystem projects") else { return };
    let mut sized = 0;
    for entry in std::fs::read_dir(&root).expect("ecosystem").filter_map(Result::ok).filter(|e| e.path().is_dir()) {
        let (code, out, err) = capacity(&entry.path(), &["--output-format", "json", "--fixes", "none"]);
        assert!(code == 0 || code == 2, "{}: {err}", entry.path().display());
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&out) else { panic!("{}: {out}", entry.path().display()) };
        for project in json["projects"].as_array().into_iter().flatten() {
            for s in project["report"]["services"].as_array().into_iter().flatten() {
                let explained = s["requests_per_second"].is_number() || s["not_sized"].is_string() || s["unknown"].as_array().is_some_and(|u| !u.is_empty());
                assert!(explained, "{}: {s}", entry.path().display());
                sized += usize::from(s["requests_per_second"].is_number());
            }
        }
    }
    assert!(sized >= 5, "only {sized} services sized");
}

/// The Redis a service caches in: every client's django-redis pool against `maxclients`,
/// a budget the headline says is exceeded.
#[test]
fn redis_pools_against_maxclients() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures/RDS009/fail");
    let (code, out, err) = capacity(&dir, &["--output-format", "json", "--fixes", "none"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let web = &json["projects"][0]["report"]["services"][0];
    let check = web["checks"].as_array().expect("checks").iter().find(|c| c["resource"].as_str().is_some_and(|r| r.starts_with("Redis"))).expect("a Redis check");
    assert_eq!(check["exceeded"], true, "{check}");
    assert!(check["arithmetic"].as_str().is_some_and(|a| a.contains("100 × 4 = 400 × 3 = 1200") && a.contains("`maxclients 1000`")), "{check}");
}

/// The nginx in front: `worker_processes × worker_connections` against the users' open
/// connections; the scenario's 1 × 512 is too few, and NGX006/NGX007's fixes make room.
#[test]
fn nginx_connections_against_the_users() {
    let Some(dir) = scenario("wingman") else { return };
    let (code, out, err) = capacity(&dir, &["--output-format", "json"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let report = &json["projects"][0]["report"];
    let nginx = |s: &serde_json::Value| s["checks"].as_array().and_then(|c| c.iter().find(|c| c["resource"] == "nginx connections").cloned()).expect("an nginx check");
    let before = nginx(&report["services"][0]);
    assert_eq!(before["exceeded"], true, "{before}");
    assert!(before["arithmetic"].as_str().is_some_and(|a| a.starts_with("`worker_processes 1` at nginx/nginx.conf:2 × `worker_connections 512` at nginx/nginx.conf:8 = 512 connections")), "{before}");
    let after = nginx(&report["after_fixes"]["services"][0]);
    assert_eq!(after["exceeded"], false, "{after}");
}

/// nginx 1.22 in front of gthread workers with a plain `proxy_pass`: a new connection to
/// the app per request, charged with nginx's CPU to the CPUs they share; NGX003's fix
/// (upstream keepalive) takes the connection's cost away in the numbers after the fixes.
#[test]
fn upstream_keepalive_after_the_fixes() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_files(
        dir.path(),
        &[
            ("stacklint.toml", "[versions]\nnginx = \"1.22.1\"\n[target]\ncpus = 2\n[capacity]\nrequest-time = 1\ncpu-time = 0.4\nnginx-cpu-time = 0.05\n"),
            ("Procfile", "web: gunicorn proj.wsgi --workers 2 --threads 4 -k gthread --bind 127.0.0.1:8000\n"),
            ("nginx/nginx.conf", "worker_processes 2;\nevents { worker_connections 1024; }\nhttp {\n    upstream app {\n        server 127.0.0.1:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://app;\n        }\n    }\n}\n"),
        ],
    );
    let (code, out, err) = capacity(dir.path(), &["--output-format", "json"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let report = &json["projects"][0]["report"];
    let connect = report["inputs"]["upstream_connect_cpu_ms"]["value"].as_f64().expect("the default");
    let before = &report["services"][0];
    assert_eq!(before["new_upstream_connection_per_request"], true, "{before}");
    assert_eq!(before["binding"], "CPU shared with nginx", "{before}");
    // 2 CPUs / (0.4 + 0.05 + the connection's) ms.
    let rate = before["requests_per_second"].as_f64().expect("rate");
    assert!((rate - 2.0 / ((0.45 + connect) / 1000.0)).abs() < 1e-6, "{rate}");
    let after = &report["after_fixes"];
    assert!(after["fixes"].as_array().expect("fixes").iter().any(|f| f["code"] == "NGX003"), "{after}");
    let fixed = &after["services"][0];
    assert_eq!(fixed["new_upstream_connection_per_request"], false, "{fixed}");
    assert!(fixed["nginx"].as_str().is_some_and(|n| n.contains("upstream keepalive")), "{fixed}");
    let rate = fixed["requests_per_second"].as_f64().expect("rate");
    assert!((rate - 2.0 / (0.45 / 1000.0)).abs() < 1e-6, "{rate}");
}
