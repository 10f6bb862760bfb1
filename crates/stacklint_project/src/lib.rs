//! The project model that rules query: every file parsed once, the target machine, the
//! deployed versions, and (as the model grows) which config belongs to which process.

// The model reads user files: no unwrap/expect/panic on them (arena ids index internal tables).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod compose;
pub mod concurrency;
pub mod deployment;
pub mod environments;
pub mod roles;
pub mod gunicorn;
pub mod interpolation;
pub mod django;
pub mod nginx;
pub mod orm;
pub mod postgres;
pub mod redis;
pub mod serving;
mod kind;
mod project;
mod target;
mod template;
mod versions;

pub use kind::{ByName, CommentSyntax, Content, FileKind, KindSpec, PathInfo, PathMatch, Sniff};
pub use project::{ContextReader, ParseCache, Parsed, Project, ProjectOptions, SourceFile, SyntaxError, parse, path_ends_with, syntax_errors};
pub use template::TemplateSyntax;
pub use target::{GIB, MIB, Storage, Target, TargetSource, format_bytes, parse_cpus, parse_memory};
pub use versions::{KnownVersion, Version, VersionSource, Versions, parse_requirement, pyproject_names, pyproject_pins, requirement_name, requirements_names, requirements_pins};
