//! The hand-written parsers.
//!
//! Every parser is total: `parse(&str)` takes any text and returns a tree plus the
//! errors it recovered from. Nodes keep their byte ranges so fixes can edit exact bytes.
//! Parser modules deny `unwrap`, `expect`, `panic` and indexing on user input.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use stacklint_text::TextRange;

pub mod compose;
pub mod dockerfile;
pub mod ini;
pub mod nginx;
pub mod postgres;
pub mod procfile;
pub mod redis;
pub mod shell;
pub mod supervisord;
pub mod systemd;

/// A syntax error the parser recovered from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub range: TextRange,
    /// What was expected or what went wrong, e.g. "expected `;` or `{` after directive `listen`".
    pub message: String,
}

impl ParseError {
    pub fn new(range: TextRange, message: impl Into<String>) -> Self {
        Self { range, message: message.into() }
    }
}

/// A tree and the errors met while building it.
#[derive(Clone, Debug)]
pub struct Parsed<T> {
    pub tree: T,
    pub errors: Vec<ParseError>,
}
