//! CMP001's fix (bind a datastore's published port to 127.0.0.1) on its fixtures, checked
//! with the programs that read compose files: PyYAML (YAML 1.1, like docker-compose v1 and
//! many tools: an unquoted `1:2:3` of digits is a base-60 integer there) and, when
//! installed, `docker compose config`.
//!
//! Each fixed port must load as the same entry bound to 127.0.0.1, every other value of
//! the file unchanged. A missing PyYAML is `SKIPPED:` (a failure with
//! `STACKLINT_REQUIRE_ORACLES=1`); a missing `docker compose` is always only `SKIPPED:`.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use stacklint_linter::FixMode;
use stacklint_workspace::{Overrides, RunRequest, run};

/// For each (before, after) pair: the problems of `after` (a list), or `{"skipped": true}`.
const SCRIPT: &str = r#"
import json, sys
try:
    import yaml
except Exception:
    print(json.dumps({"skipped": True}))
    sys.exit(0)
pairs = json.load(open(sys.argv[1]))
problems = []
def strip_ip(port):
    if isinstance(port, dict):
        return {k: v for k, v in port.items() if k != "host_ip"}
    for ip in ("127.0.0.1:", "0.0.0.0:", "[::]:"):
        if port.startswith(ip):
            port = port[len(ip):]
            break
    # `127.0.0.1::6379` (a random host port) is `6379` bound to an address
    return port.lstrip(":")
def bound(port):
    return port.get("host_ip") == "127.0.0.1" if isinstance(port, dict) else port.startswith("127.0.0.1:")
for before_path, after_path in pairs:
    try:
        before = yaml.safe_load(open(before_path))
        after = yaml.safe_load(open(after_path))
    except Exception as e:
        problems.append(f"{after_path}: does not load: {e}")
        continue
    if set(before["services"]) != set(after["services"]):
        problems.append(f"{after_path}: services changed")
    for name, b in before["services"].items():
        a = after["services"][name]
        if {k: v for k, v in a.items() if k != "ports"} != {k: v for k, v in b.items() if k != "ports"}:
            problems.append(f"{after_path}: `{name}` changed beyond its ports")
        bp, ap = b.get("ports") or [], a.get("ports") or []
        if len(bp) != len(ap):
            problems.append(f"{after_path}: `{name}` has {len(ap)} ports, had {len(bp)}")
        for x, y in zip(bp, ap):
            if not isinstance(x, (str, dict)):
                continue  # the original already loads as a number (`22:22` is base 60 in YAML 1.1)
            if not isinstance(y, (str, dict)):
                problems.append(f"{after_path}: `{name}` port {y!r} loads as {type(y).__name__}")
            elif x != y and not (bound(y) and strip_ip(x) == strip_ip(y)):
                problems.append(f"{after_path}: `{name}` port {x!r} became {y!r}")
print(json.dumps(problems))
"#;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/fixtures/CMP001")
}

fn copy_dir(from: &Path, to: &Path) {
    for f in common::files_under(from) {
        let rel = f.strip_prefix(from).unwrap();
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&f, &target).unwrap();
    }
}

fn is_compose(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

#[test]
fn fixed_ports_load_bound_to_localhost() {
    let tmp = tempfile::tempdir().unwrap();
    let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut fixed_dirs = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures()).unwrap().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("fail"))).collect();
    cases.sort();
    assert!(!cases.is_empty(), "no CMP001 fail fixtures");
    let mut fixes = 0;
    for case in &cases {
        let name = case.file_name().unwrap();
        let work = tmp.path().join("fixed").join(name);
        copy_dir(case, &work);
        let overrides = Overrides { select: Some(vec!["CMP001".into()]), ..Overrides::default() };
        let outcome = run(&RunRequest { paths: vec![work.clone()], overrides, fix: Some(FixMode::Unsafe), ..RunRequest::default() }).expect("the fix runs");
        fixes += outcome.fixes_applied;
        for f in common::files_under(case).into_iter().filter(|f| is_compose(f)) {
            pairs.push((f.clone(), work.join(f.strip_prefix(case).unwrap())));
        }
        fixed_dirs.push(work);
    }
    assert!(fixes >= 10, "expected the fixtures' fixes to apply, got {fixes}");
    let list = tmp.path().join("pairs.json");
    std::fs::write(&list, serde_json::to_vec(&pairs).unwrap()).unwrap();
    let python = common::oracles::python();
    let out = Command::new(&python).arg("-c").arg(SCRIPT).arg(&list).output();
    match out.as_ref().ok().filter(|o| o.status.success()).and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok()) {
        Some(serde_json::Value::Array(problems)) => assert!(problems.is_empty(), "{problems:#?}"),
        Some(v) if v.get("skipped").is_some() => {
            assert!(!common::oracles_required(), "STACKLINT_REQUIRE_ORACLES=1 but `{python} -c 'import yaml'` fails: pip install pyyaml");
            eprintln!("SKIPPED: PyYAML load of fixed compose files (`{python} -c 'import yaml'` fails: pip install pyyaml)");
        }
        _ => {
            assert!(!common::oracles_required(), "STACKLINT_REQUIRE_ORACLES=1 but `{python}` does not run: {out:?}");
            eprintln!("SKIPPED: `{python}` does not run (set STACKLINT_PYTHON): {out:?}");
        }
    }
    docker_compose_config(&pairs);
}

/// `docker compose config -q` on every fixed file, when `docker compose` is installed.
fn docker_compose_config(pairs: &[(PathBuf, PathBuf)]) {
    let available = Command::new("docker").args(["compose", "version"]).output().is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("SKIPPED: `docker compose` is not installed: fixed compose files are not checked with `docker compose config`");
        return;
    }
    for (_, after) in pairs {
        let dir = after.parent().unwrap();
        let o = Command::new("docker").args(["compose", "-f"]).arg(after).args(["config", "-q"]).current_dir(dir).output().expect("docker compose runs");
        assert!(o.status.success(), "`docker compose config` rejects {}: {}", after.display(), String::from_utf8_lossy(&o.stderr));
    }
}
