//! The project model that rules query.

mod kind;

pub use kind::FileKind;
