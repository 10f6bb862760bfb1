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
