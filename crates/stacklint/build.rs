//! Link the `stacklint` binary as a position-dependent executable on Linux: the dynamic
//! loader then has no relative relocations to apply at start-up, which was a third of the
//! instructions of a run on an empty folder (startup is the whole cost of an editor's or a
//! pre-commit hook's many small runs).

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
