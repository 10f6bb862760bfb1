//! The stacklint command line: argument parsing, running the engine, rendering output.

pub mod render;
