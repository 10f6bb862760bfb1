//! One module per rule, grouped by family; each family's `mod.rs` lists its rules in `RULES`.

pub mod django;
pub mod docker;
pub mod gunicorn;
pub mod nginx;
pub mod redis;
pub mod syntax;
