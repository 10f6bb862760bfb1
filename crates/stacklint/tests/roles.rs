//! A file its name and content leave unnamed gets its kind from its place in the
//! deployment: mounted or copied where nginx (or Redis, PostgreSQL...) reads it.

#[path = "../../../tests/common/mod.rs"]
mod common;

fn show_files(dir: &std::path::Path) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = ["stacklint", "check", "--show-files", &dir.display().to_string()].map(String::from);
    stacklint::main_with_args(args, &mut out, &mut err);
    String::from_utf8_lossy(&out).replace(&format!("{}/", dir.display()), "")
}

#[test]
fn a_mounted_or_copied_file_is_read_as_the_program_reads_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Content alone names neither (a bare nginx snippet, two Redis directives).
    let site = "client_max_body_size 20m;\nkeepalive_timeout 30;\n";
    common::write_files(
        dir.path(),
        &[
            ("docker-compose.yml", "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./deploy/site:/etc/nginx/conf.d/site.conf:ro\n  cache:\n    build: ./cache\n"),
            ("deploy/site", site),
            ("cache/Dockerfile", "FROM redis:7.4\nCOPY settings /usr/local/etc/redis/redis.conf\n"),
            ("cache/settings", "bind 0.0.0.0\nport 6380\n"),
            // Nothing reads these where a program would: still no kind.
            ("deploy/notes", "renew the certificate in May\n"),
            ("deploy/cert", "-----BEGIN CERTIFICATE-----\n"),
        ],
    );
    let listed = show_files(dir.path());
    assert!(listed.contains("deploy/site (nginx)"), "{listed}");
    assert!(listed.contains("cache/settings (redis)"), "{listed}");
    assert!(!listed.contains("deploy/notes"), "{listed}");
    assert!(!listed.contains("deploy/cert"), "{listed}");
}
