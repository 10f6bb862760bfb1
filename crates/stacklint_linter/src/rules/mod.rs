//! One module per rule, grouped by family; each family's `mod.rs` lists its rules in `RULES`.

pub mod compose;
pub mod django;
pub mod docker;
pub mod gunicorn;
pub mod nginx;
pub mod orm;
pub mod postgres;
pub mod redis;
pub mod syntax;
