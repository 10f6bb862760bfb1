//! Nothing to link: this package is its end-to-end suites (`Cargo.toml` lists them).
