//! `stacklint model` on the mission scenarios and the ecosystem projects: a snapshot of
//! the text for each (read in place), the facts the scenarios rest on, and the JSON
//! contract of docs/model-json.md.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::Path;

fn model(dir: &Path, format: &str) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = ["stacklint", "model", "--output-format", format, &dir.display().to_string()].map(String::from);
    let code = stacklint::main_with_args(args, &mut out, &mut err);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    // The root is machine-specific.
    String::from_utf8_lossy(&out).replace(&dir.display().to_string(), "<project>")
}

fn scenario(name: &str) -> Option<std::path::PathBuf> {
    common::require_dir(common::shared_dir().join("scenarios").join(name), "the scenarios")
}

#[test]
fn scenario_models() {
    for name in ["eventmate", "ragstack", "wingman"] {
        let Some(dir) = scenario(name) else { return };
        insta::assert_snapshot!(format!("scenario_{name}"), model(&dir, "text"));
    }
}

/// Which process runs which settings module, and which config file each server reads.
#[test]
fn scenarios_say_what_each_process_runs_and_reads() {
    let Some(dir) = scenario("wingman") else { return };
    let json: serde_json::Value = serde_json::from_str(&model(&dir, "json")).expect("json");
    let services = &json["projects"][0]["services"];
    let web = services.as_array().and_then(|s| s.iter().find(|s| s["name"] == "web")).expect("web");
    assert_eq!(web["settings_module"]["value"], "wingman.settings");
    assert_eq!(web["command"]["program"], "gunicorn");
    let nginx = services.as_array().and_then(|s| s.iter().find(|s| s["name"] == "nginx")).expect("nginx");
    assert_eq!(nginx["config_files"][0]["file"], "nginx/nginx.conf");
    let links = json["projects"][0]["links"].as_array().expect("links");
    assert!(links.iter().any(|l| l["from"] == "nginx" && l["to"]["name"] == "web" && l["to"]["port"] == 8000), "{links:?}");
    assert!(links.iter().any(|l| l["from"] == "web" && l["kind"] == "database" && l["to"]["name"] == "db"), "{links:?}");

    let Some(dir) = scenario("ragstack") else { return };
    let json: serde_json::Value = serde_json::from_str(&model(&dir, "json")).expect("json");
    let services = json["projects"][0]["services"].as_array().expect("services").clone();
    let reads = |name: &str| services.iter().find(|s| s["name"] == name).map(|s| s["config_files"][0]["file"].clone());
    assert_eq!(reads("redis"), Some("redis/redis.conf".into()));
    assert_eq!(reads("postgres"), Some("postgres/postgresql.conf".into()));

    let Some(dir) = scenario("eventmate") else { return };
    let json: serde_json::Value = serde_json::from_str(&model(&dir, "json")).expect("json");
    let web = json["projects"][0]["services"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "web").cloned()).expect("web");
    assert_eq!(web["settings_module"]["value"], "finaleventmate.settings_production");
    assert_eq!(web["config_files"][0]["file"], "gunicorn_config.py");
}

/// The documented top-level fields are there, with their types.
#[test]
fn json_contract() {
    let Some(dir) = scenario("ragstack") else { return };
    let json: serde_json::Value = serde_json::from_str(&model(&dir, "json")).expect("json");
    assert_eq!(json["schema_version"], 1);
    let p = &json["projects"][0];
    for key in ["root", "target", "services", "links", "files"] {
        assert!(!p[key].is_null(), "missing {key}");
    }
    for s in p["services"].as_array().expect("services") {
        for key in ["name", "defined_in", "role", "target", "environment", "files", "ports", "depends_on", "config_files", "missing_env_files"] {
            assert!(!s[key].is_null(), "service misses {key}: {s}");
        }
    }
    // Secrets are not printed.
    assert!(!serde_json::to_string(&json).expect("text").contains(":rag@"));
}

#[test]
fn ecosystem_models() {
    let Some(root) = common::require_dir(common::shared_dir().join("ecosystem"), "the ecosystem projects") else { return };
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("ecosystem").filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        insta::assert_snapshot!(format!("ecosystem_{name}"), model(&dir, "text"));
    }
}

/// A folder's compose file with its override, `.env`, an `extends` base, profiles and bad
/// input, read from disk as the CLI reads it: one merged service per name, values from the
/// file that wrote them, interpolated from `.env`, and the problems at their places.
#[test]
fn compose_override_env_and_problems() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &[u8]| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "docker-compose.yml",
        b"services:\n  web:\n    extends:\n      file: common.yml\n      service: app\n    image: shop:${TAG:-latest}\n    command: gunicorn shop.wsgi -w 4\n    env_file: [envs/web.env, envs/bad.env]\n    deploy:\n      replicas: ${WEB_REPLICAS}\n  db:\n    image: postgres:${PG_VERSION:-16}\n    ports:\n      - \"${PG_PORT}:5432\"\n  loop:\n    extends: loop\n",
    );
    write("docker-compose.override.yml", b"services:\n  web:\n    command: gunicorn shop.wsgi --reload\n    volumes:\n      - /:/host\n  mailhog:\n    image: mailhog/mailhog:v1.0.1\n    profiles: [mail, debug]\n");
    write("common.yml", b"services:\n  app:\n    environment:\n      DJANGO_SETTINGS_MODULE: shop.settings\n");
    write(".env", b"TAG=2.1\nWEB_REPLICAS=3\n");
    write("envs/web.env", b"CACHE_URL=redis://cache:6379/1\n");
    write("envs/bad.env", b"\x00\x01binary\xff");
    let text = model(dir.path(), "text");
    insta::assert_snapshot!("compose_override_env_and_problems", text);
}
