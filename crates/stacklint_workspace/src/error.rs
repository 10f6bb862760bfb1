//! Errors of configuration loading, with a place a user can go to.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a configuration file: `stacklint.toml:2:1` (1-based, columns in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the current directory when it is under it.
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Why a configuration could not be used. Every variant names the file; those about a key
/// name the key and its line and column too.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid TOML in {location}: {message}")]
    Syntax { location: Location, message: String },
    #[error("unknown key `{key}` in {location}; {}", hint(suggestion.as_deref(), expected))]
    UnknownKey {
        /// Dotted from the stacklint table: `target.cpu`.
        key: String,
        location: Location,
        /// The closest valid key, dotted like `key`.
        suggestion: Option<String>,
        /// The valid keys of the table.
        expected: Vec<String>,
    },
    #[error("invalid value for `{key}` in {location}: {message}")]
    InvalidValue {
        key: String,
        location: Location,
        message: String,
    },
    #[error("{} has no [tool.stacklint] table; add one or pass a stacklint.toml", path.display())]
    NoStacklintTable { path: PathBuf },
    #[error("invalid --target `{spec}`: {message}")]
    InvalidTarget { spec: String, message: String },
}

fn hint(suggestion: Option<&str>, expected: &[String]) -> String {
    if let Some(s) = suggestion {
        format!("did you mean `{s}`?")
    } else {
        let list: Vec<String> = expected.iter().map(|k| format!("`{k}`")).collect();
        format!("expected one of {}", list.join(", "))
    }
}

impl ConfigError {
    /// The configuration file the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigError::Read { path, .. } | ConfigError::NoStacklintTable { path } => Some(path),
            ConfigError::Syntax { location, .. }
            | ConfigError::UnknownKey { location, .. }
            | ConfigError::InvalidValue { location, .. } => Some(&location.path),
            ConfigError::InvalidTarget { .. } => None,
        }
    }
}
