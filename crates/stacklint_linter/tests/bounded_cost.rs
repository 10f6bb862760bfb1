//! Bounded cost: rules stay linear in their file. Each case lints a large synthetic input
//! and checks the structure of the answer (how many findings of each rule) — not a time:
//! the scaling benchmark (`scripts/scale_bench.py`) measures time per MB. Before the rules
//! indexed what they look up, these inputs took minutes to hours (a lookup of the whole
//! `http` level, or of every `proxy_pass`, per directive).

use std::fmt::Write as _;

use stacklint_linter::{LinterSettings, lint_sources};

fn count(diagnostics: &[stacklint_diagnostics::Diagnostic], code: &str) -> usize {
    diagnostics.iter().filter(|d| d.code == code).count()
}

/// `n` servers in one `http` block, each with a proxying location, a WebSocket location
/// without upgrade headers, and `proxy_buffering off` / `gzip off` at the server level.
fn big_nginx(n: usize) -> String {
    let mut s = String::from("worker_processes 1;\nevents {\n    worker_connections 512;\n}\nhttp {\n    server_tokens off;\n");
    for i in 0..n {
        let _ = write!(
            s,
            "    server {{\n        listen 80;\n        server_name s{i}.example.com;\n        gzip off;\n        proxy_buffering off;\n        location / {{\n            proxy_pass http://127.0.0.1:{port};\n            proxy_set_header Host $host;\n        }}\n        location /ws/ {{\n            proxy_pass http://127.0.0.1:{port};\n        }}\n    }}\n",
            port = 8000 + i % 1000
        );
    }
    s.push_str("}\n");
    s
}

#[test]
fn nginx_rules_on_thousands_of_servers() {
    let n = 3000;
    let text = big_nginx(n);
    let d = lint_sources(&[("nginx/nginx.conf", &text)], &LinterSettings::default());
    // One `gzip off` per server (written below `http`), one `proxy_buffering off` per
    // server (it reaches the plain location `/` and the stream `/ws/`), one WebSocket
    // location without upgrade headers per server.
    assert_eq!(count(&d, "NGX001"), n);
    assert_eq!(count(&d, "NGX004"), n);
    assert_eq!(count(&d, "NGX005"), n);
}

/// Every `in_effect` walk answers from the level's index: the whole configuration is
/// listed once, however many directives ask.
#[test]
fn nginx_levels_are_indexed_once() {
    let n = 2000;
    let text = big_nginx(n);
    let project = stacklint_project::Project::from_sources(stacklint_project::ProjectOptions::default(), &[("nginx/nginx.conf", &text)]);
    let model = &project.nginx;
    let doc = model.doc_by_name(std::path::Path::new("nginx/nginx.conf")).unwrap();
    let passes: Vec<_> = model.find(&project, doc, "proxy_pass").collect();
    assert_eq!(passes.len(), 2 * n);
    for &p in &passes {
        let level = model.scope_of(&project, p).unwrap();
        assert_eq!(model.in_effect(&project, level, "server_tokens").len(), 1);
        assert_eq!(model.in_effect(&project, level, "gzip").len(), 1);
    }
    let directives = model.config(&project, doc).unwrap().directives().len();
    assert!(model.indexed_entries() <= directives, "{} entries indexed for {directives} directives", model.indexed_entries());
}

/// One stage with thousands of instructions, then thousands of stages each built on the
/// one before (the ancestry walk per stage was quadratic, per instruction cubic).
#[test]
fn dockerfile_rules_on_long_stages_and_deep_ancestry() {
    let n = 4000;
    let mut text = String::from("FROM python:3.12 AS s0\n");
    for i in 0..n {
        let _ = write!(text, "RUN pip install pkg{i}\nCMD python manage.py runserver 0.0.0.0:{i}\n");
    }
    let d = lint_sources(&[("Dockerfile", &text)], &LinterSettings::default());
    assert_eq!(count(&d, "DKR001"), n);
    assert_eq!(count(&d, "DKR005"), n);

    let mut text = String::from("FROM python:3.12 AS s0\nENTRYPOINT [\"python\", \"manage.py\"]\n");
    for i in 1..=n {
        let _ = write!(text, "FROM s{prev} AS s{i}\nRUN pip install pkg{i}\nCMD [\"runserver\", \"0.0.0.0:8000\"]\n", prev = i - 1);
    }
    let d = lint_sources(&[("Dockerfile", &text)], &LinterSettings::default());
    // Every stage inherits `ENTRYPOINT ["python", "manage.py"]`: each CMD runs runserver.
    assert_eq!(count(&d, "DKR001"), n);
    // The last stage's ancestry holds every RUN.
    assert_eq!(count(&d, "DKR005"), n);
}

/// NGX003 on nginx 1.27: thousands of upstreams without keepalive and thousands of
/// `proxy_pass` straight to distinct addresses (each looked up every pass, every
/// upstream name and every group before).
#[test]
fn ngx003_on_thousands_of_upstreams_and_addresses() {
    let n = 2000;
    let mut text = String::from("events {}\nhttp {\n");
    for i in 0..n {
        let _ = write!(
            text,
            "    upstream app{i} {{\n        server 10.0.{}.{}:8000;\n    }}\n    server {{\n        listen 80;\n        location / {{\n            proxy_pass http://app{i};\n        }}\n        location /direct/ {{\n            proxy_pass http://10.1.{}.{}:9000;\n        }}\n    }}\n",
            i / 250,
            i % 250,
            i / 250,
            i % 250
        );
    }
    text.push_str("}\n");
    let compose = "services:\n  nginx:\n    image: nginx:1.27.0\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n";
    let d = lint_sources(&[("docker-compose.yml", compose), ("nginx/nginx.conf", &text)], &LinterSettings::default());
    // One finding per upstream, one per direct `proxy_pass`.
    assert_eq!(count(&d, "NGX003"), 2 * n);
}

/// DKR007 asks, per stage, whether its image is an earlier stage: answered from one
/// table (a search of the earlier stages per stage before).
#[test]
fn dkr007_on_thousands_of_stages() {
    let n = 4000;
    let mut text = String::new();
    for i in 0..n {
        let _ = write!(text, "FROM python AS a{i}\nRUN true\nFROM a{i} AS b{i}\nRUN true\n");
    }
    let d = lint_sources(&[("Dockerfile", &text)], &LinterSettings::default());
    // Only the untagged external images; `FROM a{i}` names a stage.
    assert_eq!(count(&d, "DKR007"), n);
}
