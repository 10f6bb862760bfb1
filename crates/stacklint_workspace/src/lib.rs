//! Configuration and file discovery for stacklint.
//!
//! - [`find_config`] / [`load_config`] / [`Config::from_toml`] read `stacklint.toml`,
//!   `.stacklint.toml` or `[tool.stacklint]` in `pyproject.toml`; unknown keys and bad values
//!   are [`ConfigError`]s that name the file, line and column (and suggest the closest key).
//! - [`Config::apply_overrides`] layers the command line (`--select`, `--ignore`,
//!   `--extend-select`, `--target`) on top.
//! - [`discover`] walks the linted paths and returns the files to lint, each with its
//!   [`FileKind`](stacklint_project::FileKind), grouped into [`Project`]s (one configuration each).
//!   A broken configuration governs only its own subtree (a [`DiscoveryWarning::BadConfig`]);
//!   FIFOs, sockets and devices are reported, never opened; symbolic links leading outside
//!   their project are reported, never read.
//! - [`run`] lints (or fixes) what a request names; `--stdin-filename` lints the buffer alone,
//!   in its project's context. [`write_fixed`] writes a fixed file only if it is unchanged
//!   since it was read, through symbolic links, keeping hard links, permissions and owner.
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use stacklint_workspace::{Config, ConfigError, Overrides, discover};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("stacklint.toml"), "select = [\"GUN\"]\n[target]\ncpus = 2\n")?;
//! std::fs::write(dir.path().join("Dockerfile"), "FROM python:3.13\n")?;
//!
//! let overrides = Overrides { target: Some("memory=4GiB".into()), ..Overrides::default() };
//! let found = discover(&[dir.path().to_path_buf()], None, &overrides)?;
//! let project = &found.projects[0];
//! assert_eq!(project.config.select.as_deref(), Some(&["GUN".to_string()][..]));
//! assert_eq!(project.config.target.cpus, 2.0); // from [target]
//! assert_eq!(project.config.target.memory_text(), "4 GiB"); // from --target
//! assert_eq!(project.files[0].kind.name(), "dockerfile");
//!
//! let err = Config::from_toml("selct = []\n", Path::new("stacklint.toml")).unwrap_err();
//! assert!(matches!(err, ConfigError::UnknownKey { .. }));
//! assert_eq!(err.to_string(), "unknown key `selct` in stacklint.toml:1:1; did you mean `select`?");
//! # Ok(())
//! # }
//! ```

mod config;
mod discovery;
mod disk_cache;
mod error;
mod glob;
mod paths;
mod suggest;

pub use config::{CONFIG_FILE_NAMES, CapacityInputs, Config, capacity_inputs, Overrides, Versions, find_config, load_config};
pub use discovery::{
    DiscoveredFile, Discovery, DiscoveryWarning, Project, SKIPPED_DIRECTORIES, detect_kind,
    discover, resolve_config,
};
pub use disk_cache::DiskCache;
pub use error::{ConfigError, Location};
pub use glob::{GlobMap, PathGlobs};
pub use suggest::{closest, edit_distance};

mod engine;
mod fsio;
pub use engine::{
    FixedFile, MAX_FILE_BYTES, Models, RunError, RunOutcome, RunRequest, build_models, build_models_with, decode, fixed_texts,
    linter_settings, project_options, read_source, run, write_atomic,
};
pub use fsio::{WriteError, WriteMode, write_fixed};
