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
    common::require_dir(common::shared_dir().join("scenarios").join(name), "the scenarios")
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
    // CONN_MAX_AGE 0 in the scenario's settings: 40 ms + 5 ms to connect, 10 + 8 ms of CPU.
    assert_eq!(web["request_ms"], 45.0);
    assert_eq!(web["cpu_ms"], 18.0);
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
