//! Python through tree-sitter, evaluated statically: nothing is imported or executed.
//!
//! - [`PyModule`]: a module parsed once ([`parse`]), its syntax errors, and queries for
//!   gunicorn and ORM rules (imports, `cpu_count()` calls, the docstring, where to append,
//!   `DJANGO_SETTINGS_MODULE` defaults).
//! - [`Value`] / [`Expr`]: the static value model. Every expression keeps its file and byte
//!   range; environment lookups (`os.environ.get`, django-environ, python-decouple) keep
//!   their default and casts, so rules can ask what a setting is when the variable is unset.
//! - [`Settings`]: every top-level binding in order with its kind and conditions,
//!   `from .base import *` chains through a [`ModuleLoader`], and [`Settings::resolve`]
//!   to follow `DATABASES["default"]["CONN_MAX_AGE"]` through dicts, later subscript
//!   assignments and dj-database-url calls.
//!
//! ```
//! use std::path::Path;
//! use stacklint_python::{parse, Outcome, Settings, Value};
//!
//! let src = r#"
//! import os
//! DEBUG = os.environ.get("DEBUG", "False") == "True"
//! DATABASES = {
//!     "default": {
//!         "ENGINE": "django.db.backends.postgresql",
//!     }
//! }
//! "#;
//! let module = parse(src);
//! let settings = Settings::evaluate(Path::new("settings.py"), &module);
//!
//! // DEBUG is False when the variable is unset, but can be True.
//! let debug = settings.value("DEBUG").unwrap();
//! assert_eq!(debug.unset_value(), Some(Value::Bool(false)));
//! assert!(debug.can_be(&Value::Bool(true)));
//!
//! // CONN_MAX_AGE is missing: insert it as the last entry of the "default" dict.
//! let res = settings.resolve(&["DATABASES", "default", "CONN_MAX_AGE"]);
//! let Some(Outcome::Missing { insert: Some(at), .. }) = res.last() else { panic!() };
//! let edits = at.add_entry(r#""CONN_MAX_AGE": 600"#);
//! let mut fixed = src.to_owned();
//! for (range, text) in edits.iter().rev() {
//!     fixed.replace_range(range.as_range(), text);
//! }
//! assert!(fixed.contains("\"django.db.backends.postgresql\",\n        \"CONN_MAX_AGE\": 600,\n    }"));
//! ```

// Parsing never panics: no unwrap/expect/panic/indexing on what the user wrote.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod grammar;
mod lower;
mod module;
pub mod orm;
mod settings;
mod value;

/// The syntax node type of [`PyModule::root`], for callers that walk the tree themselves.
pub use tree_sitter::{Node, Tree};
pub use module::{CallSite, FunctionDef, Import, ImportSpec, ImportedName, PyModule, SettingsModuleRef, parse};
pub use settings::{
    Binding, BindingKind, Condition, ConditionKind, ImportSite, Key, ListItem, ListView,
    MemoryLoader, ModuleLoader, NoImports, Outcome, Resolution, Settings, UnknownInclude,
};
pub use value::{
    BinOp, Call, Dict, DictEntry, EnvLookup, EnvOp, EnvSource, Expr, FileRef, InsertPoint, Kwarg,
    NameRef, Unset, UrlConfig, UrlConfigKind, Value, cache_backend_for_scheme, caps,
    db_engine_for_scheme, truthy,
};
