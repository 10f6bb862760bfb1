//! The project model that rules query.

mod kind;
mod target;

pub use kind::FileKind;
pub use target::{GIB, MIB, Storage, Target, TargetSource, format_bytes, parse_cpus, parse_memory};
