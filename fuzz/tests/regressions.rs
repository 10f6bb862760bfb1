//! Replays every input the fuzzers found (`fuzz/regressions/<target>/*`) and a few seeds.

use std::path::Path;

#[test]
fn fuzz_regressions_still_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut replayed = 0;
    for (name, check) in stacklint_fuzz::TARGETS {
        for entry in std::fs::read_dir(dir.join(name)).into_iter().flatten().filter_map(Result::ok) {
            let data = std::fs::read(entry.path()).unwrap();
            check(&data);
            replayed += 1;
        }
        for seed in [&b""[..], b"\xff\xfe\x00", b"{{{{((((\"\"\"'''", b"RUN <<EOF\n", b"server { location ~ ^/a{2} {", b"x = f'{'"] {
            check(seed);
        }
    }
    println!("replayed {replayed} fuzzer findings");
}

/// A tool, not a check: replay every file of the folder `STACKLINT_FUZZ_REPLAY` (a fuzzer's
/// corpus, or the seeds `.ci/fuzz` builds) through the target `STACKLINT_FUZZ_TARGET`
/// (default `fix`) and list every input that panics, e.g.
/// `STACKLINT_FIX_PROPERTIES=strict STACKLINT_FUZZ_REPLAY=target/fuzz-seeds/fix cargo test -p stacklint_fuzz -- --ignored replay`.
#[test]
#[ignore = "a tool: set STACKLINT_FUZZ_REPLAY to a folder of inputs"]
fn replay() {
    let Some(dir) = std::env::var_os("STACKLINT_FUZZ_REPLAY") else { return };
    let name = std::env::var("STACKLINT_FUZZ_TARGET").unwrap_or_else(|_| "fix".into());
    let (_, check) = stacklint_fuzz::TARGETS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no fuzz target `{name}`"));
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).expect("a folder").filter_map(Result::ok).map(|e| e.path()).collect();
    inputs.sort();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
            let message = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned())).unwrap_or_default();
            failures.push(format!("{}: {}", path.display(), message.lines().next().unwrap_or("")));
        }
    }
    let _ = std::panic::take_hook();
    println!("{} inputs, {} failing:\n{}", inputs.len(), failures.len(), failures.join("\n"));
    assert!(failures.is_empty(), "{} of {} inputs fail `{name}`", failures.len(), inputs.len());
}
